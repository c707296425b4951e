"""Reading request bodies with a hard size limit (checked while streaming)."""

from __future__ import annotations

from fastapi import Request

from relaycode.errors import TooLarge


async def read_limited(request: Request, limit: int, *, code: str = "upload_too_large") -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"upload is larger than {limit} bytes", code=code)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"upload is larger than {limit} bytes", code=code)
        chunks.append(chunk)
    return b"".join(chunks)
