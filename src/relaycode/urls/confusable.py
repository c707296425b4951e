"""Look-alike letters (steps 10-12 of Chromium's IDN display policy; see ``idn.py``).

The letter sets are the ones Chromium lists in idn_spoof_checker.cc: a label written
only with letters of one of these scripts that pass for Latin ones (``аррӏе``) is a
whole-script confusable unless its TLD is written in, or known to host, that script.
"""

from __future__ import annotations

import regex


class _WholeScript:
    __slots__ = ("allowed_tlds", "letters", "lookalikes")

    def __init__(self, code: str, lookalikes: str, tlds: str = "") -> None:
        self.letters = regex.compile(rf"\p{{sc={code}}}")
        self.lookalikes = frozenset(lookalikes)
        self.allowed_tlds = frozenset(tlds.split())


_WHOLE_SCRIPT = (
    _WholeScript("Armn", "ագզէլհյոսւօՙ", "am"),
    _WholeScript("Cyrl", "аысԁеԍһіюјӏорԗԛѕԝхуъьҽпгѵѡ", "bg by kz pyc ru su ua uz"),
    _WholeScript("Ethi", "ሀሠሰስበነተከዐዕዘጠፐꬅ", "er et"),
    _WholeScript("Geor", "იოყძხჽჿ", "ge"),
    _WholeScript("Grek", "αικνρυωηοτ", "gr"),
    _WholeScript("Hebr", "דוחיןסװײ׳ﬦ", "il"),
    _WholeScript("Beng", "০৭"),
    _WholeScript("Deva", "ऽ०ॱ"),
    _WholeScript("Gujr", "ડટ૦૧"),
    _WholeScript("Guru", "੦੧"),
    _WholeScript("Knda", "ಽ೦೧"),
    _WholeScript("Mlym", "ടഠധനറ൦"),
    _WholeScript("Orya", "ଠ୦୮"),
    _WholeScript("Taml", "டப௦"),
    _WholeScript("Telu", "౦౧"),
    _WholeScript("Mymr", "ခဂငထပဝ၀၂ၔၜ\u1090\u1091\u1095\u1096\u1097", "mm"),
    # Chromium's Linux set (the larger one): the page may be read on any platform.
    _WholeScript("Thai", "ทนบพรหเแ๐ดลปฟม", "th"),
)


def whole_script(label: str, tld: str) -> bool:
    """Every letter of one script in ``label`` imitates Latin, and the TLD is not theirs."""
    for ws in _WHOLE_SCRIPT:
        own = {c for c in label if ws.letters.match(c)}
        if own and own <= ws.lookalikes:
            if tld in ws.allowed_tlds or any(ws.letters.match(c) for c in tld):
                continue
            return True
    return False


_DIGIT_LOOKALIKES = frozenset("θ२২੨૨೩೭շзҙӡउওਤ੩૩౩ဒვპੜ੫丩ㄐճ৪੪୫૭୨౨")


def digit_lookalike(label: str) -> bool:
    """Only digits and characters that pass for digits (``з`` for 3), at least one such."""
    return any(c in _DIGIT_LOOKALIKES for c in label) and all(
        c in _DIGIT_LOOKALIKES or "0" <= c <= "9" for c in label
    )


# Kana that trigger the pattern check even in a single-script label.
KANA_EXCEPTIONS = frozenset("\u3078\u3079\u307a\u30d8\u30d9\u30da\u30fb\u30fc\u30fd\u30fe")

_JA = r"\p{scx=Kana}\p{scx=Hira}\p{scx=Hani}"
_CJK = _JA + r"\p{scx=Bopo}"
_SLASHES = "\u30ce\u30f3\u30bd\u30be\u4e36\u4e40\u4e41\u4e3f"  # ノンソゾ丶乀乁丿
_LATIN_LIKE_HAN = (
    "\u4e00\u3127\u4e28\u4e5b\u4e03\u4e05\u5341\u3007\u3112\u311a"
    "\u311f\u3128\u3129\u3108\u31ba\u31b3\u5de5\u31b2\u8ba0\u4e01"
)  # 一ㄧ丨乛七丅十〇ㄒㄚㄟㄨㄩㄈㆺㆳ工ㆲ讠丁
_DANGEROUS = regex.compile(
    "|".join(
        [
            # Kana and ideographs that look like "/" between non-Japanese letters.
            rf"[^{_JA}][{_SLASHES}][^{_JA}]",
            # Iteration marks ヽヾ not after Katakana.
            r"[^\p{scx=Kana}][\u30fd\u30fe]|^[\u30fd\u30fe]",
            # へべぺ (Hiragana) inside Katakana, ヘベペ (Katakana) inside Hiragana.
            r"^\p{scx=Kana}+[\u3078-\u307a]\p{scx=Kana}+$",
            r"^\p{scx=Hira}+[\u30d8-\u30da]\p{scx=Hira}+$",
            # The prolonged sound mark and the Katakana middle dot out of context.
            r"[^\p{scx=Kana}\p{scx=Hira}]\u30fc|^\u30fc|[a-z]\u30fb|\u30fb[a-z]",
            # Ideographs that pass for Latin letters or punctuation, beside non-CJK.
            rf"[^{_CJK}][{_LATIN_LIKE_HAN}]|[{_LATIN_LIKE_HAN}][^{_CJK}]",
            # Combining diacritics on a non-LGC letter, on a dotless i, dot above on i/j/l.
            r"[^\p{scx=Latn}\p{scx=Grek}\p{scx=Cyrl}][\u0300-\u0339]",
            r"\u0131[\u0300-\u0339]|[ijl]\u0307",
            # Combining Kana voiced sound marks.
            r"[\u3099\u309a]",
        ]
    )
)


def dangerous_pattern(label: str) -> bool:
    return _DANGEROUS.search(label) is not None
