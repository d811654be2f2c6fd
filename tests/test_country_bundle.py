"""The country bundle file (country.yaml): what it becomes, and a clear one-line refusal of every mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from losi.bundle import bundle_from_mapping, load_run_files
from losi.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent

GOOD = {
    "country": "uzb",
    "name": "Republic of Uzbekistan",
    "languages": [" uz", "ru", "en"],
    "framework": "osi-2024",
    "portals": {
        "national": "https://gov.uz/",
        "services": ["https://my.gov.uz/", "https://id.egov.uz/"],
        "open_data": "https://data.egov.uz/",
        "participation": "https://meningfikrim.uz/",
        "procurement": "https://xarid.uzex.uz/",
    },
    "ministries": {
        "health": "https://ssv.uz/",
        "employment": "https://mehnat.uz/",
        "social_protection": "https://mehnat.uz/",  # one ministry for two sectors
        "justice": "https://gov.uz/minjust/",  # a ministry inside the national portal
    },
    "other": ["https://lex.uz/"],
    "limits": {"max_pages": 50},
}


def test_a_bundle_becomes_one_portal_with_its_sites() -> None:
    portal = bundle_from_mapping(GOOD, "uzb.yaml")
    assert (portal.id, portal.country, portal.level, portal.framework) == ("UZB", "UZB", "national", "osi-2024")
    assert portal.home_url == "https://gov.uz/" and portal.limits.max_pages == 50
    ids = {s["id"]: s for s in portal.sites}
    assert set(ids) == {"national", "services", "services-2", "open_data", "participation", "procurement",
                        "health", "employment", "justice", "other"}  # fmt: skip
    assert ids["employment"]["sectors"] == ["employment", "social_protection"]
    assert ids["justice"]["url"] == "https://gov.uz/minjust/" and ids["justice"]["roles"] == ["ministry"]
    assert "my.gov.uz" in portal.linked_portals and "xarid.uzex.uz" in portal.linked_portals


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ministries": {"helth": "https://ssv.uz/"}}, "ministries: unknown sector 'helth'; known: health, education"),
        ({"portals": {"national": "gov.uz"}}, "portals.national: 'gov.uz' is not an http(s) URL"),
        ({"portals": {"national": "https://gov.uz/", "services": ["ftp://my.gov.uz/"]}}, "is not an http(s) URL"),
        ({"portals": {"services": "https://my.gov.uz/"}}, "missing field 'portals.national'"),
        ({"portals": None}, "missing field 'portals'"),
        ({"country": None}, "missing field 'country'"),
        ({"country": "Uzbekistan"}, "ISO 3166 alpha-3"),
        ({"framework": "losi-2024"}, "is not a national catalog with sectors"),
        ({"framework": "osi-1999"}, "unknown framework 'osi-1999'"),
        ({"portals": {"national": "https://gov.uz/", "tax": "https://soliq.uz/"}}, "portals: unknown kind(s) tax"),
        ({"ministry": {}}, "unknown field(s) ministry"),
        ({"limits": {"max_pages": "many"}}, "limits.max_pages must be a number"),
        ({"ministries": ["https://ssv.uz/"]}, "'ministries' must map sectors to URLs"),
    ],
)
def test_mistakes_are_named(change: dict, message: str) -> None:
    data = {**GOOD, **change}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ConfigError) as err:
        bundle_from_mapping(data, "uzb.yaml")
    assert message in str(err.value) and str(err.value).startswith("uzb.yaml")


def losi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "losi.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("country: UZB\nportals: {national: https://gov.uz/}\nministries: {sport: https://sport.uz/}\n",
         "unknown sector 'sport'"),
        ("country: UZB\nportals: {national: 'gov.uz/index'}\n", "is not an http(s) URL"),
        ("name: Uzbekistan\nportals: {national: https://gov.uz/}\n", "missing field 'country'"),
        ("country: UZB\nportals: {national: [https://gov.uz/\n", "not valid YAML"),
    ],
)
def test_losi_country_refuses_bad_bundles_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    bundle = tmp_path / "country.yaml"
    bundle.write_text(text, encoding="utf-8")
    result = losi("country", str(bundle), "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_losi_country_names_a_missing_file(tmp_path: Path) -> None:
    result = losi("country", str(tmp_path / "nowhere.yaml"), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2 and "no such file" in result.stderr and "Traceback" not in result.stderr


def test_run_takes_country_files_and_lists_of_them(tmp_path: Path) -> None:
    (tmp_path / "uzb.yaml").write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    geo = {"country": "GEO", "portals": {"national": "https://gov.ge/"}, "ministries": {"health": "https://moh.gov.ge/"}}
    (tmp_path / "geo.yaml").write_text(yaml.safe_dump(geo), encoding="utf-8")
    (tmp_path / "countries.yaml").write_text("countries: [uzb.yaml, geo.yaml]\n", encoding="utf-8")
    (tmp_path / "portals.yaml").write_text("portals:\n  - id: tashkent\n    home_url: https://tashkent.uz/\n",
                                           encoding="utf-8")  # fmt: skip
    portals = load_run_files([tmp_path / "countries.yaml", tmp_path / "portals.yaml"])
    assert [p.id for p in portals] == ["UZB", "GEO", "tashkent"]
    assert [bool(p.sites) for p in portals] == [True, True, False]
    with pytest.raises(ConfigError, match="more than one file"):
        load_run_files([tmp_path / "uzb.yaml", tmp_path / "countries.yaml"])
