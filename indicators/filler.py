"""Template filler: lorem ipsum, a theme's demo text, placeholder contact details (data in filler.yaml).

Real government sites built on bought or free templates keep the template's debris: "Card title", lorem
ipsum news, "203 Fake St.", "+1 5589 55488 55". None of it says anything about the administration, and a
rule that reads it can be fooled (a lorem paragraph read as a language version, a fake phone number read as
contact details). The parse step asks `filler_reason` about each text block and drops the filler ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from losi.hosts import in_domain
from losi.portal_cache import portal_cache

FILLER_FILE = Path(__file__).parent / "filler.yaml"
LOREM_SHARE = 0.6  # a block whose words are at least this share lorem vocabulary is lorem ipsum
LOREM_MIN_WORDS = 3  # ... when it has at least this many words
LOREM_LONG_WORDS = 2  # ... of which this many are long (short Latin words also occur in Romance languages)
PHRASE_SHARE = 0.5  # a block at least this share covered by template phrases is filler

_TO_GEORGIAN = str.maketrans("abcdefghijklmnopqrstuvwxyz", "აბცდეფგჰიჯკლმნოპქრსთუვწხიზ")
_TO_CYRILLIC = str.maketrans("abcdefghijklmnopqrstuvwyz", "абцдефгхийклмнопкрстуввыз")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class FillerRules:
    lorem_words: frozenset[str]
    phrases: tuple[str, ...]  # lower-case
    placeholder_emails: tuple[str, ...]  # lower-case fragments of an address
    placeholder_phones: tuple[re.Pattern[str], ...]


@cache
def filler_rules() -> FillerRules:
    data = yaml.safe_load(FILLER_FILE.read_text(encoding="utf-8")) or {}
    latin = {str(w).lower() for w in data.get("lorem_words") or []}
    words = latin | {w.translate(_TO_GEORGIAN) for w in latin} | {w.translate(_TO_CYRILLIC) for w in latin}
    phrases = sorted(
        {str(p).lower() for group in (data.get("phrases") or {}).values() for p in group or []}, key=len, reverse=True
    )
    return FillerRules(
        lorem_words=frozenset(words),
        phrases=tuple(phrases),
        placeholder_emails=tuple(str(e).lower() for e in data.get("placeholder_emails") or []),
        placeholder_phones=tuple(re.compile(p) for p in data.get("placeholder_phones") or []),
    )


@portal_cache(1 << 14)  # a template's blocks (menus, footers) repeat on every page of a portal
def filler_reason(text: str) -> str:
    """Why this text block is template filler ("" when it is not): lorem ipsum or a template phrase."""
    rules = filler_rules()
    lowered = " ".join(text.lower().split())
    if not lowered:
        return ""
    words = _WORD.findall(lowered)
    if words:
        lorem = [w for w in words if w in rules.lorem_words]
        long_words = sum(len(w) >= 5 for w in lorem)
        if words[:2] == ["lorem", "ipsum"] or (
            len(lorem) >= max(LOREM_MIN_WORDS, LOREM_SHARE * len(words)) and long_words >= LOREM_LONG_WORDS
        ):
            return "lorem ipsum"
    covered = 0
    found = ""
    rest = lowered
    for phrase in rules.phrases:
        if phrase in rest:
            covered += rest.count(phrase) * len(phrase)
            found = found or phrase
            rest = rest.replace(phrase, " ")
    if found and covered >= PHRASE_SHARE * len(lowered.replace(" ", "")):
        return f"template text '{found}'"
    return ""


def is_placeholder_email(address: str) -> bool:
    """A template's address: one listed whole, a listed local part ("youremail@") or a listed domain."""
    low = address.strip().lower()
    local, _, domain = low.rpartition("@")
    for entry in filler_rules().placeholder_emails:
        if entry.endswith("@"):
            if f"{local}@" == entry:
                return True
        elif "@" in entry:
            if low == entry:
                return True
        elif in_domain(domain, entry):
            return True
    return False


def is_placeholder_phone(number: str) -> bool:
    return any(p.search(number) for p in filler_rules().placeholder_phones)
