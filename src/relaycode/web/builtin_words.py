"""The names and field labels of the templates relaycode makes itself (receipts, service
vouchers: ``credentials/direct.py``) in the reader's language.

Those templates are stored in English when first used, so a Chinese page would show
"Receipt" and "Payee". Only a name or label still equal to the built-in English one is
translated: a merchant who renamed it sees their own words."""

from __future__ import annotations

from functools import cache

from relaycode.web import i18n


@cache
def builtin_words(lang: str) -> dict[str, dict[str, str]]:
    """``{kind: {English text: the text in lang}}`` (also sent to station.js)."""
    # Imported here: the credentials package pulls in the models, which pages need not.
    from relaycode.credentials.direct import DEFAULTS

    t = i18n.Translator(lang)
    out: dict[str, dict[str, str]] = {}
    for kind, spec in DEFAULTS.items():
        words = {str(spec["name"]): t(f"credpages.kind.{kind}")}
        for field in spec["fields"]:
            words[str(field["label"])] = t(f"credpages.builtin.{kind}.{field['key']}")
        out[kind] = words
    return out


def shown(lang: str, kind: str, text: str) -> str:
    """``text`` (a template's name or a field's label) as a reader of ``lang`` sees it."""
    return builtin_words(lang).get(kind, {}).get(text, text)
