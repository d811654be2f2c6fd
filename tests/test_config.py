"""portals.yaml / portals.csv: what a user writes, and the clear message for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from losi.config import ConfigError, load_portals


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_with_defaults_and_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "portals.yaml",
        """
defaults:
  framework: losi-2024
  limits: {max_pages: 50}
  politeness: {delay: 1}
portals:
  - id: tashkent
    name: Toshkent shahar hokimligi
    country: uzb
    home_url: https://tashkent.uz/
    languages: [uz, ru]
    linked_portals: [my.gov.uz]
    limits: {max_depth: 2}
  - home_url: https://www.tbilisi.gov.ge/
    languages: ka, en
""",
    )
    first, second = load_portals(path)
    assert first.id == "tashkent" and first.country == "UZB" and first.languages == ["uz", "ru"]
    assert first.limits.max_pages == 50 and first.limits.max_depth == 2 and first.politeness.delay == 1.0
    assert first.linked_portals == ["my.gov.uz"]
    assert second.id == "tbilisi.gov.ge" and second.languages == ["ka", "en"] and second.level == "city"


def test_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "portals.csv",
        "id,name,country,level,home_url,languages,framework\n"
        "yerevan,Yerevan,ARM,city,https://www.yerevan.am/,hy;en;ru,losi-2024\n"
        "egov-kz,eGov,KAZ,national,https://egov.kz/,kk;ru,osi-2024\n",
    )
    yerevan, egov = load_portals(path)
    assert (
        yerevan.languages == ["hy", "en", "ru"] and egov.level == "national" and egov.framework == "osi-2024"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "portals: [{id: a, home_url: 'ftp://x.uz/'}]",
            "portal #1 (a): field 'home_url' 'ftp://x.uz/' is not an http",
        ),
        (
            "portals: [{id: a, home_url: 'https://x.uz/', level: town}]",
            "field 'level' must be one of city, national",
        ),
        (
            "portals: [{id: a, home_url: 'https://x.uz/', limits: {max_pages: lots}}]",
            "limits.max_pages must be a number",
        ),
        ("portals: [{id: a, home_url: 'https://x.uz/', colour: red}]", "unknown field(s) colour"),
        (
            "portals: [{id: a, home_url: 'https://x.uz/', limits: {probe_seconds: 0}}]",
            "limits.probe_seconds must be at least 1",
        ),
        (
            "portals: [{id: a, home_url: 'https://x.uz/', limits: {filler_share: 2}}]",
            "limits.filler_share must be between 0 and 1",
        ),
        (
            "portals: [{id: a, home_url: 'https://x.uz/'}, {id: a, home_url: 'https://y.uz/'}]",
            "id 'a' is used twice",
        ),
        ("portals: [{id: 'a b', home_url: 'https://x.uz/'}]", "field 'id' 'a b' may only hold"),
        ("portals: [{home_url: 'https://x.uz/', country: Uzbekistan}]", "ISO 3166 alpha-3"),
        ("portals: []", "lists no portals"),
        ("portals: [unclosed", "not valid YAML"),
        ("just text", "expected a 'portals:' list"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "portals.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_portals(path)
    assert message in str(info.value)
    assert "portals.yaml" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_portals(tmp_path / "nope.yaml")


def test_substitution_of_base_url(tmp_path: Path) -> None:
    path = write(tmp_path, "portals.yaml", "portals: [{id: a, home_url: '{base}/a/'}]")
    (portal,) = load_portals(path, substitutions={"base": "http://127.0.0.1:8123"})
    assert portal.home_url == "http://127.0.0.1:8123/a/"
