"""HTTP for codes: issue, revoke, render, decode, scan, trust list (lists: list_endpoints)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from relaycode.codes import render, service
from relaycode.codes.access import CodeIssuer, CodeReader, CodesIssuer
from relaycode.codes.scan_lane import ScanPrincipalDep, scan_response
from relaycode.codes.schemas import (
    BarcodeOut,
    CodeOut,
    DecodeOut,
    IssueIn,
    ScanIn,
    ScanOut,
    TrustListOut,
)
from relaycode.codes.trust_list import instance_trust_list
from relaycode.deps import DbDep, StateDep
from relaycode.errors import InvalidInput, NotFound
from relaycode.uploads import read_limited

if TYPE_CHECKING:
    from relaycode.codes.decode import DecodedBarcode
    from relaycode.codes.decode_gate import DecodeGate
    from relaycode.config import Settings

router = APIRouter(tags=["codes"])


class CodeImageQuery(render.RenderOptions):
    """Rendering options, plus ``download`` to get an attachment."""

    download: bool = False


_MEDIA = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


# The hot path is declared first: routes are matched in declaration order.
@router.post(
    "/scan",
    response_model=ScanOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ScanIn.model_json_schema()}},
        }
    },
)
async def scan(request: Request, principal: ScanPrincipalDep, state: StateDep) -> Response:
    """Classify scanned text: ``ours`` (with what it resolves to), ``ours_invalid`` (with a
    ``reason``), ``foreign_url``, ``gtin`` or ``text``; records a scan event. Anonymous
    callers are welcome; an API key must carry the ``scan`` scope.

    In the running app ``ScanLane`` answers this path before routing, through the same
    ``scan_response`` (see scan_lane.py); ``RELAYCODE_SCAN_FAST_PATH=0`` routes it here.
    """
    return await scan_response(request, state, principal)


@router.post("/offers/{offer_id}/codes", status_code=status.HTTP_201_CREATED)
def issue_code(
    access: CodesIssuer, db: DbDep, state: StateDep, data: IssueIn | None = None
) -> CodeOut:
    """Issue a new printed code for the offer; the body (optional) names its channel."""
    channel = data.channel if data is not None else None
    code = service.issue_offer_code(db, state.keyring, access.offer, channel=channel)
    return service.code_out(state.settings, state.keyring, code)


@router.post("/codes/{code_id}/revoke")
def revoke_code(code: CodeIssuer, db: DbDep, state: StateDep) -> CodeOut:
    """Withdraw one code: it then scans as ``ours_invalid`` with reason ``revoked``."""
    return service.code_out(state.settings, state.keyring, service.revoke_code(db, code.id))


@router.get(
    "/codes/{code_id}/image.{fmt}",
    response_class=Response,
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}},
)
def code_image(
    fmt: Literal["png", "svg", "pdf"],
    code: CodeReader,
    state: StateDep,
    opts: Annotated[CodeImageQuery, Query()],
) -> Response:
    """The code drawn as PNG, SVG or PDF, in the symbology and size asked for."""
    text = service.code_text(state.settings, state.keyring, code)
    if text is None:
        raise NotFound("this code's key was retired", code="key_retired")
    renderer = {"png": render.render_png, "svg": render.render_svg, "pdf": render.render_pdf}[fmt]
    headers = {"Cache-Control": "private, max-age=3600"}
    if opts.download:
        headers["Content-Disposition"] = f'attachment; filename="relaycode-{code.id[:12]}.{fmt}"'
    options = render.RenderOptions(**opts.model_dump(exclude={"download"}))
    return Response(renderer(text, options), media_type=_MEDIA[fmt], headers=headers)


@router.post("/decode")
async def decode(request: Request, state: StateDep) -> DecodeOut:
    """Find every barcode in an uploaded image (PNG, JPEG, WebP or GIF as the raw body,
    or a multipart form with a ``file`` field): each symbol found, repeated ones included,
    with its four corners (top-left, top-right, bottom-right, bottom-left) in pixels of the
    upright image. The search stops after ``RELAYCODE_DECODE_SECONDS``. Errors:
    ``image_too_large`` (bytes) or ``image_too_many_pixels`` (memory to decode) as 413,
    ``bad_image`` or ``image_bad_shape`` as 422, ``decode_busy`` with ``Retry-After`` as 503."""
    settings = state.settings
    limit = settings.max_upload_bytes
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5, max_part_size=limit)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("send the image as the 'file' field", code="no_file")
        data = await upload.read(limit + 1)
    else:
        data = await read_limited(request, limit, code="image_too_large")
    if not data:
        raise InvalidInput("the upload is empty", code="bad_image")
    gate = _decode_gate(request, settings)
    # The slot is taken here, on the loop, so that a full gate costs no thread at all.
    with gate.slot():
        found = await _decode_in_thread(data, settings, gate)
    return DecodeOut(
        barcodes=[
            BarcodeOut(
                text=b.text, symbology=b.symbology, position=list(b.position), engine=b.engine
            )
            for b in found
        ]
    )


def _decode_gate(request: Request, settings: Settings) -> DecodeGate:
    """One gate per app: decodes share its process's CPUs and memory."""
    from relaycode.codes.decode_gate import DecodeGate, default_slots, give_back_big_blocks

    gate = getattr(request.app.state, "decode_gate", None)
    if not isinstance(gate, DecodeGate):
        give_back_big_blocks()
        slots = settings.decode_concurrency or default_slots()
        memory = settings.decode_memory_mb * 1024 * 1024
        gate = DecodeGate(slots, memory, retry_after=settings.decode_seconds)
        request.app.state.decode_gate = gate
    return gate


async def _decode_in_thread(
    data: bytes, settings: Settings, gate: DecodeGate
) -> list[DecodedBarcode]:
    # Imported here: OpenCV and zxing-cpp load slowly, and only decoding needs them.
    from relaycode.codes import decode as decoder

    # A worker thread: decoding is seconds of CPU that must not stall the event loop.
    return await run_in_threadpool(
        partial(
            decoder.decode_image_bytes,
            data,
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
            max_memory=gate.memory,
            seconds=settings.decode_seconds,
            gate=gate,
        )
    )


@router.get(
    "/trust-list", response_model=TrustListOut, responses={304: {"description": "Unchanged"}}
)
def trust_list(request: Request, state: StateDep) -> Response:
    """Public keys that verify this instance's signed credentials (formats 3 and 4), with
    validity windows: all an offline verifier needs. Cacheable: send ``If-None-Match``
    with the ``ETag`` to get 304 while the keys are unchanged; retired keys drop out."""
    trust = instance_trust_list(state.settings, state.keyring)
    etag = trust.etag()
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    body = TrustListOut.model_validate(trust.to_json())
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)
