"""The indicator catalogs: LOSI 2024 complete and consistent, bad catalogs rejected with a clear message."""

from __future__ import annotations

import argparse
import io
from collections import Counter

import pytest
import yaml

from indicators import explain
from indicators.catalog import CATALOG_DIR, CatalogError, catalog_from_dict, load_catalog
from indicators.lexicon import Lexicon

# methodology.md §1.2 with the §8 conventions (#236 = IF open-data policy, #235 = PE open-data provision)
LOSI_2024 = {
    "IF": "281 215 216 224 236 242",
    "CP": "212 217 218 220 221 222 223 226 227 228 229 230 231 232 233 238 239 243 282 283 284 285 289 290 "
    "291 292 293 294 295 296",
    "SP": "253 254 255 256 257 258 259 260 261 262 263 264 265 266 268 269a 269b 286 287 297 298 299",
    "PE": "250 252 219 235 267 270b 271 272 274 275 276 277 278 279 280",
    "EGL": "206 225a 225b 234 237 240 241 245 270a 273",
    "TECH": "214 201 202 204 205 207 208 209 210 246 247 288",
}


def test_losi_2024_has_exactly_the_95_codes_in_their_criteria() -> None:
    catalog = load_catalog("losi-2024")
    expected = {code: crit for crit, codes in LOSI_2024.items() for code in codes.split()}
    assert len(expected) == 95
    assert {i.code: i.criterion for i in catalog.indicators} == expected
    counts = Counter(i.criterion for i in catalog.indicators)
    assert counts == {"IF": 6, "CP": 30, "SP": 22, "PE": 15, "EGL": 10, "TECH": 12}


def test_losi_2024_scoring_and_conventions() -> None:
    catalog = load_catalog("losi-2024")
    assert catalog.scoring.denominator is None and catalog.denominator == 95
    assert [b.name for b in catalog.scoring.bands] == ["Very High", "High", "Middle", "Low"]
    assert catalog.scoring.band(0.76) == "Very High" and catalog.scoring.band(0.75) == "High"
    assert catalog.scoring.band(0.30) == "Middle" and catalog.scoring.band(0.1) == "Low"
    assert catalog.get("236").criterion == "IF" and "open-data-policy" in catalog.get("236").concepts
    assert catalog.get("235").criterion == "PE" and catalog.get("235").rule == "open-data"
    people = {i.code for i in catalog.indicators if i.rule is None}
    assert people == {"202", "250", "252"}
    # own data needs a login: a person signs in where there is one; a portal without any login is not_met
    assert {catalog.get(c).rule for c in ("246", "247")} == {"own-data"}
    assert all(catalog.get(c).mode == "human" for c in people)
    services = {i.code: i.rule for i in catalog.indicators if i.criterion == "SP"}
    assert services.pop("297") == "concept-page"  # help for homeless people: information counts (see its notes)
    assert set(services.values()) == {"online-service"}
    assert catalog.get("214").rule == "contact-details" and catalog.get("296").rule == "news-section"


@pytest.mark.parametrize("framework", ["losi-2024", "osi-2024", "losi-2022"])
def test_every_concept_referenced_exists_and_has_en_ru_uz_terms(framework: str) -> None:
    lexicon = Lexicon.load()
    catalog = load_catalog(framework)
    for ind in catalog.indicators:
        assert ind.question and ind.yes_when and ind.name
        for concept in ind.concepts:
            assert concept in lexicon.concepts, (ind.code, concept)


def test_every_concept_has_terms_in_en_ru_uz() -> None:
    lexicon = Lexicon.load()
    missing = [(c, lang) for c in lexicon.concepts for lang in ("en", "ru", "uz") if not lexicon.terms(c, lang)]
    assert missing == []


def test_core_concepts_have_terms_in_all_ten_languages() -> None:
    lexicon = Lexicon.load()
    core = ["contact", "feedback", "news", "privacy-policy", "services-catalogue", "search", "sitemap",
            "social-media", "events", "budget"]  # fmt: skip
    assert set(lexicon.languages) >= {"en", "ru", "uz", "kk", "ky", "tg", "ka", "hy", "az", "ro"}
    missing = [(c, lang) for c in core for lang in lexicon.languages if not lexicon.terms(c, lang)]
    assert missing == []


def test_osi_and_losi_2022_catalogs() -> None:
    osi = load_catalog("osi-2024")
    assert osi.level == "national"
    assert {c.code for c in osi.criteria} == {"IF", "CP", "SP", "EPI", "TECH", "EGL"}
    assert osi.get("008").rule == "contact-details"
    raw = yaml.safe_load((CATALOG_DIR / "osi-2024.yaml").read_text(encoding="utf-8"))
    assert "subindex_weights" in raw and raw["subindex_weights"] is None
    l22 = load_catalog("losi-2022")
    assert len(l22.indicators) == 17 and all("%" in i.notes for i in l22.indicators)


def _minimal(**indicator: object) -> dict:
    base = {"code": "900", "criterion": "IF", "name": "n", "question": "q?", "yes_when": "y", "mode": "automated",
            "rule": "contact-details", "concepts": ["contact"]}  # fmt: skip
    base.update(indicator)
    return {"id": "t", "criteria": [{"code": "IF", "name": "Institutional"}],
            "scoring": {"bands": [{"name": "Low", "above": 0}]}, "indicators": [base]}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"concepts": ["no-such-concept"]}, "indicator 900: field 'concepts' names unknown concept"),
        ({"rule": "Contact_Details"}, "indicator 900: field 'rule' is 'Contact_Details', not a kebab-case"),
        ({"mode": "magic"}, "indicator 900: field 'mode' is 'magic'"),
        ({"criterion": "XX"}, "indicator 900: field 'criterion' is 'XX'"),
        ({"question": None}, "indicator 900: missing field 'question'"),
    ],
)
def test_malformed_catalog_is_rejected_naming_entry_and_field(change: dict, message: str) -> None:
    with pytest.raises(CatalogError) as err:
        catalog_from_dict(_minimal(**change), "bad.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("bad.yaml")


def test_valid_minimal_catalog_loads() -> None:
    catalog = catalog_from_dict(_minimal(), "ok.yaml")
    assert catalog.get("900").concepts == ("contact",)


def _run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    explain.configure(parser)
    out = io.StringIO()
    return explain.run(parser.parse_args(list(argv)), out=out), out.getvalue()


def test_losi_indicators_lists_95_rows_and_explains_one() -> None:
    rc, text = _run()
    lines = text.strip().splitlines()
    assert rc == 0 and len(lines) == 97  # header, 95 rows, how many are automated / semi-automated / human
    assert lines[-1].startswith("95 indicators: 13 automated, ")
    rc, text = _run("234", "--lang", "ru")
    assert rc == 0
    assert "privacy-policy" in text and "политика конфиденциальности" in text and "Технология" not in text
    assert "ka terms" not in text
    rc, text = _run("--framework", "osi-2024", "--format", "csv")
    assert rc == 0 and text.splitlines()[0] == "code,criterion,mode,rule,name"


def test_losi_indicators_unknown_code_or_framework(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("999")[0] == 2
    assert "269b" in capsys.readouterr().err
    assert _run("--framework", "losi-1999")[0] == 2
    assert "losi-2024" in capsys.readouterr().err
