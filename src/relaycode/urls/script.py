"""Script checks of the IDN display policy (see ``idn.py``): allowed characters, script
mixing ("Highly Restrictive", UTS #39 §5.2), whole-script confusables, digit look-alikes
and Chromium's dangerous patterns. Script data comes from the ``regex`` module
(``\\p{scx=…}``, current Unicode), the rest from ``unicodedata``."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex

from relaycode.urls.confusable import (
    KANA_EXCEPTIONS,
    dangerous_pattern,
    digit_lookalike,
    whole_script,
)

# UAX #31 table 5, recommended scripts (ISO 15924 codes as ``regex`` spells them).
RECOMMENDED = [
    "Arab",
    "Armn",
    "Beng",
    "Bopo",
    "Cyrl",
    "Deva",
    "Ethi",
    "Geor",
    "Grek",
    "Gujr",
    "Guru",
    "Hani",
    "Hang",
    "Hebr",
    "Hira",
    "Knda",
    "Kana",
    "Khmr",
    "Laoo",
    "Latn",
    "Mlym",
    "Mymr",
    "Orya",
    "Sinh",
    "Taml",
    "Telu",
    "Thaa",
    "Thai",
    "Tibt",
]
_SCX = {name: regex.compile(rf"\p{{scx={name}}}") for name in RECOMMENDED}
_COMMON = regex.compile(r"[\p{scx=Zyyy}\p{scx=Zinh}]")

# Blocks of technical, historic or rarely used letters that UTS #39 marks Restricted, plus
# Chromium's own removals (idn_spoof_checker.cc, SetAllowedUnicodeSet).
_RESTRICTED_RANGES = (
    (0x0250, 0x02AF),  # IPA extensions (ɑ, ɡ, ɩ …), bar the African letters below
    (0x02B0, 0x02FF),  # spacing modifier letters (ʻ ʼ …)
    (0x01CD, 0x01DC),  # Latin Extended-B: Pinyin tone letters
    (0x01C0, 0x01C3),  # click letters ǀ ǁ ǂ ǃ (look like l and !)
    (0x1C80, 0x1C8F),  # Cyrillic Extended-C
    (0x1D00, 0x1DFF),  # phonetic extensions, combining marks supplement
    (0x1E00, 0x1E9B),  # Latin Extended Additional (the Vietnamese part stays)
    (0x1F00, 0x1FFF),  # Greek Extended
    (0x2C60, 0x2C7F),  # Latin Extended-C
    (0x2DE0, 0x2DFF),  # Cyrillic Extended-A
    (0xA640, 0xA69F),  # Cyrillic Extended-B
    (0xA720, 0xA7FF),  # Latin Extended-D
    (0xAB30, 0xAB6F),  # Latin Extended-E
)
_AFRICAN_IPA = frozenset("ɓɔɖɗəɛɣɨɲʉʋʒ")  # used in living orthographies: allowed
_REMOVED = frozenset("\u0138\u0338\u058a\u2010\u2019\u2027\u30a0\u02bb\u02bc\u02ec")
# Non-letters that the UAX #31 inclusion set admits.
_INCLUSION = frozenset("\u00b7\u0375\u05f3\u05f4\u0f0b\u30fb\u30fc\u30fd\u30fe\u3005\u3006\u3007")


@lru_cache(maxsize=4096)
def allowed_char(c: str) -> bool:
    """Approximates UTS #39 ``Identifier_Status=Allowed`` with Chromium's removals."""
    if c.isascii():
        return c.isalnum() or c == "-"
    if c in _REMOVED:
        return False
    cp = ord(c)
    if c not in _AFRICAN_IPA and any(lo <= cp <= hi for lo, hi in _RESTRICTED_RANGES):
        return False
    if c in _INCLUSION:
        return True
    category = unicodedata.category(c)
    if category[0] not in "LM" and category != "Nd":
        return False
    if unicodedata.normalize("NFKC", c) != c:
        return False
    if category[0] == "M" and _COMMON.match(c):
        return 0x0300 <= cp <= 0x036F  # inherited marks: the basic combining diacritics
    return bool(scripts_of(c))


@lru_cache(maxsize=4096)
def scripts_of(c: str) -> frozenset[str]:
    """The recommended scripts in ``c``'s Script_Extensions (empty for Common/Inherited)."""
    return frozenset(name for name, pattern in _SCX.items() if pattern.match(c))


# UTS #39 augmentation: Han goes with the Japanese, Korean and Bopomofo writing systems.
_AUGMENT = {
    "Hani": {"Hani", "Jpan", "Kore", "Hanb"},
    "Hira": {"Jpan"},
    "Kana": {"Jpan"},
    "Hang": {"Kore"},
    "Bopo": {"Hanb"},
}
_CJK_MIXES = (
    frozenset({"Latn", "Hani", "Hira", "Kana"}),
    frozenset({"Latn", "Hani", "Bopo"}),
    frozenset({"Latn", "Hani", "Hang"}),
)


def _resolved(label: str) -> tuple[set[str] | None, set[str]]:
    """(resolved script set, or None when every character is Common; scripts seen)."""
    resolved: set[str] | None = None
    seen: set[str] = set()
    for c in label:
        scx = scripts_of(c)
        if not scx:
            continue
        seen |= scx
        augmented = set().union(*(_AUGMENT.get(s, {s}) for s in scx))
        resolved = augmented if resolved is None else resolved & augmented
    return resolved, seen


def unsafe_middle_dot(label: str, tld: str) -> bool:
    """U+00B7 only as Catalan's ela geminada (l·l), and only under .cat."""
    for i, c in enumerate(label):
        if c != "\u00b7":
            continue
        if tld != "cat" or i == 0 or i == len(label) - 1:
            return True
        if label[i - 1] != "l" or label[i + 1] != "l":
            return True
    return False


def _mixed_numbers(label: str) -> bool:
    zeros = {ord(c) - unicodedata.digit(c) for c in label if unicodedata.category(c) == "Nd"}
    return len(zeros) > 1


def mixing_problem(label: str, tld: str) -> str | None:
    """Script mixing, numbering systems, confusables and dangerous patterns."""
    if _mixed_numbers(label):
        return "mixed_numbers"
    resolved, seen = _resolved(label)
    if resolved is None or resolved:
        if whole_script(label, tld):
            return "whole_script"
        if digit_lookalike(label):
            return "digit_lookalike"
        if not any(0x0300 <= ord(c) <= 0x0339 or c in KANA_EXCEPTIONS for c in label):
            return None
        return "dangerous_pattern" if dangerous_pattern(label) else None
    if not any(seen <= mix for mix in _CJK_MIXES):
        return "mixed_script"
    if "Latn" in seen and any(not c.isascii() and "Latn" in scripts_of(c) for c in label):
        return "mixed_script"  # only ASCII Latin may sit beside CJK
    if digit_lookalike(label):
        return "digit_lookalike"
    return "dangerous_pattern" if dangerous_pattern(label) else None
