"""Message catalogues and the choice of language per request.

A language's catalogue is ``web/i18n/<lang>.json`` plus one fragment per domain,
``web/i18n/<lang>/<domain>.json`` (so the pages of each domain keep their own strings); a
key defined twice is an error at load, not a silent override.

Order: ``?lang=`` (remembered in the ``rc_lang`` cookie), then the cookie, then
Accept-Language, then English. Every user-visible string of the pages is a key here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from fastapi import Request

LANG_COOKIE = "rc_lang"
LANGUAGES = ("en", "zh-CN")
DEFAULT_LANG = "en"
# The Babel (CLDR) locale that writes numbers, prices and dates for each page language.
BABEL_LOCALES = {"en": "en", "zh-CN": "zh_Hans_CN"}
_DIR = Path(__file__).parent / "i18n"


def normalize_lang(value: str | None) -> str | None:
    """Map a tag like ``zh``, ``zh-hans-cn`` or ``en-GB`` onto a supported language."""
    if not value:
        return None
    tag = value.strip().lower().replace("_", "-")
    primary = tag.split("-", 1)[0]
    if primary == "zh":
        # Traditional-script tags still get zh-CN: closer than English for most readers.
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    best: tuple[float, int, str] | None = None
    for index, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = normalize_lang(tag)
        if lang and q > 0 and (best is None or (q, -index) > (best[0], best[1])):
            best = (q, -index, lang)
    return best[2] if best else None


def requested_lang(request: Request) -> str | None:
    """The language named by ``?lang=``, when it is a supported one."""
    return normalize_lang(request.query_params.get("lang"))


def pick_lang(request: Request) -> str:
    return (
        requested_lang(request)
        or normalize_lang(request.cookies.get(LANG_COOKIE))
        or from_accept_language(request.headers.get("accept-language"))
        or DEFAULT_LANG
    )


@lru_cache(maxsize=256)
def _number_locale(header: str, lang: str) -> str:
    tags = [part.split(";", 1)[0].strip() for part in header.split(",")[:20]]
    first = next((tag for tag in tags if tag and tag != "*"), None)
    if first:
        try:
            locale = Locale.parse(first.replace("_", "-"), sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            locale = None
        # The reader's own region (en-GB, zh-TW) for a page in their language; their
        # own locale too when we have no pages in it (a German reading English pages
        # still types "38,50"); otherwise the page language's.
        page_lang = normalize_lang(first)
        if locale is not None and page_lang in (lang, None):
            return str(locale)
    return BABEL_LOCALES.get(lang, BABEL_LOCALES[DEFAULT_LANG])


def number_locale(request: Request, lang: str) -> str:
    """The Babel locale for numbers, prices and dates on this request's page."""
    return _number_locale(request.headers.get("accept-language", "")[:500], lang)


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> Mapping[str, str]:
    return load_catalogue(_DIR, lang)


def load_catalogue(directory: Path, lang: str) -> dict[str, str]:
    files = [directory / f"{lang}.json", *sorted((directory / lang).glob("*.json"))]
    data: dict[str, str] = {}
    for path in files:
        part: dict[str, str] = json.loads(path.read_text("utf-8"))
        twice = sorted(data.keys() & part.keys())
        if twice:
            raise ValueError(f"{path}: keys already defined elsewhere: {', '.join(twice)}")
        data.update(part)
    return data


class Translator:
    """``t("key", name=...)``: the message in ``lang``, else English, else the key itself."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._messages = catalogue(lang)
        self._fallback = catalogue(DEFAULT_LANG)

    def has(self, key: str) -> bool:
        return key in self._messages or key in self._fallback

    def __call__(self, key: str, /, **values: object) -> str:
        text = self._messages.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text
