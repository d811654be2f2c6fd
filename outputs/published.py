"""Published UN survey indices (OSI, EPI, EGDI, HCI, TII) per country and edition, as data.

A national portal's report shows the published OSI beside the tool's own estimate. They are not the same
measure: the published OSI is min-max normalised across 193 countries from the UN's own questionnaire;
the tool's estimate is the raw share of catalog indicators it found met on this portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data" / "published.yaml"
MEASURES = ("osi", "epi", "egdi", "hci", "tii")
NOT_SAME_MEASURE = (
    "Published OSI: UN E-Government Survey, min-max normalised across 193 countries. "
    "Tool estimate: the share of this catalog's indicators met on this portal. Not the same measure."
)


@dataclass(frozen=True)
class PublishedIndices:
    country: str  # ISO 3166 alpha-3
    country_name: str
    edition: int
    egdi_rank: int | None
    osi: float | None
    epi: float | None
    egdi: float | None
    hci: float | None
    tii: float | None


@cache
def _load(path: Path = DATA) -> dict[int, dict[str, PublishedIndices]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[int, dict[str, PublishedIndices]] = {}
    for edition, countries in (raw.get("editions") or {}).items():
        year = int(edition)
        out[year] = {
            code.upper(): PublishedIndices(
                country=code.upper(),
                country_name=str(v.get("country", code)),
                edition=year,
                egdi_rank=v.get("egdi_rank"),
                **{m: (float(v[m]) if v.get(m) is not None else None) for m in MEASURES},
            )
            for code, v in (countries or {}).items()
        }
    return out


def editions() -> list[int]:
    return sorted(_load(), reverse=True)


def published(country: str, edition: int | None = None) -> PublishedIndices | None:
    """The published indices of a country (alpha-3) for an edition (default: the latest one)."""
    data = _load()
    if not data or not country:
        return None
    year = edition if edition is not None else max(data)
    return data.get(year, {}).get(country.upper())


def published_history(country: str) -> list[PublishedIndices]:
    """Every edition held for a country, newest first."""
    return [p for year in editions() if (p := published(country, year)) is not None]
