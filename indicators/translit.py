"""Uzbek Latin <-> Cyrillic transliteration (the 1995 Latin alphabet, as written on Uzbek portals).

`cyrillic_to_latin_map` also returns, for every character of its output, the index of the input character
it came from, so that a match found in the Latin text can be cut from the original Cyrillic text.
Letters of the other Cyrillic alphabets in this project (Kazakh, Kyrgyz, Tajik) get a Latin value too:
the output is a matching key, not a spelling anyone should read.
"""

from __future__ import annotations

import re

_VOWELS_CYR = set("аеёиоуэюяўыӣӯәөүұі")

# Lower-case Cyrillic -> Latin. "е" depends on its position and is handled in code.
_CYR_TO_LAT: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ё": "yo", "ж": "j", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "x", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "'", "ы": "i",
    "ь": "", "э": "e", "ю": "yu", "я": "ya", "ў": "o'", "қ": "q", "ғ": "g'", "ҳ": "h",
    # other Central Asian Cyrillic letters (matching keys only)
    "ә": "a", "ө": "o", "ү": "u", "ұ": "u", "і": "i", "ң": "ng", "һ": "h", "ҷ": "j", "ӣ": "i", "ӯ": "u",
    "ї": "i", "є": "e", "ґ": "g",
}  # fmt: skip

# Latin digraphs first, then single letters; "e" depends on its position and is handled in code.
_LAT_TO_CYR: list[tuple[str, str]] = [
    ("o'", "ў"), ("g'", "ғ"), ("sh", "ш"), ("ch", "ч"), ("yo", "ё"), ("yu", "ю"), ("ya", "я"), ("ye", "е"),
    ("a", "а"), ("b", "б"), ("d", "д"), ("f", "ф"), ("g", "г"), ("h", "ҳ"), ("i", "и"), ("j", "ж"),
    ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("q", "қ"), ("r", "р"),
    ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("x", "х"), ("y", "й"), ("z", "з"), ("'", "ъ"),
]  # fmt: skip

APOSTROPHES = "ʻʼ’‘`´′ʹ"  # all written for the Uzbek o' / g' and the tutuq belgisi


def is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff" or "\u0500" <= char <= "\u052f"


_CYRILLIC = re.compile("[\u0400-\u04ff\u0500-\u052f]")


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC.search(text) is not None


def cyrillic_to_latin_map(text: str) -> tuple[str, list[int]]:
    """Transliterate Cyrillic to Uzbek Latin. Returns the output and, per output char, its source index."""
    out: list[str] = []
    index: list[int] = []
    prev = " "
    for i, char in enumerate(text):
        lower = char.lower()
        if lower == "е":
            latin = "ye" if not prev.isalpha() or prev.lower() in _VOWELS_CYR or prev in "ъь" else "e"
        else:
            latin = _CYR_TO_LAT.get(lower)
        if latin is None:
            out.append(char)
            index.append(i)
        else:
            if char != lower and latin:
                latin = latin[0].upper() + latin[1:]
            out.append(latin)
            index.extend([i] * len(latin))
        prev = char
    return "".join(out), index


def cyrillic_to_latin(text: str) -> str:
    return cyrillic_to_latin_map(text)[0]


def latin_to_cyrillic(text: str) -> str:
    """Uzbek Latin -> Cyrillic. Accepts any of the apostrophes in APOSTROPHES."""
    for a in APOSTROPHES:
        text = text.replace(a, "'")
    out: list[str] = []
    i = 0
    while i < len(text):
        chunk = text[i : i + 2]
        lower2 = chunk.lower()
        prev = text[i - 1] if i else " "
        if lower2[:1] == "e" and (not prev.isalpha()):
            out.append("Э" if chunk[0].isupper() else "э")
            i += 1
            continue
        if lower2[:1] == "e":
            out.append("Е" if chunk[0].isupper() else "е")
            i += 1
            continue
        for latin, cyr in _LAT_TO_CYR:
            if lower2.startswith(latin):
                out.append(cyr.upper() if chunk[0].isupper() else cyr)
                i += len(latin)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
