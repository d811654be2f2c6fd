"""The one test of "this host belongs to that domain", and the places that ask it."""

from __future__ import annotations

import itertools

import pytest

from assessors.bundle import on_site, site_key
from assessors.signals import load_data
from crawler.scope import Scope
from indicators.filler import is_placeholder_email
from losi.hosts import bare_host, first_domain_of, host_and_domains_above, in_domain


def _domains_in_data() -> list[str]:
    """Every domain the rules' data files name."""
    social = load_data("social.yaml").get("platforms") or {}
    stores = load_data("app_stores.yaml").get("stores") or {}
    return sorted({*itertools.chain.from_iterable(social.values()),
                   *itertools.chain.from_iterable(spec.get("hosts", []) for spec in stores.values()),
                   *(load_data("widgets.yaml").get("messenger_chat_hosts") or []),
                   *load_data("information_sites.yaml")["information_only"]})  # fmt: skip


HOSTS = ["facebook.com", "m.facebook.com", "notfacebook.com", "facebook.com.evil.example", "t.me", "at.me",
         "apps.apple.com", "play.google.com", "google.com", "lex.uz", "www.lex.uz", "uz", "com", "a.b.c.d.e",
         "127.0.0.1", "localhost", "tashkent.uz", "my.gov.uz", "gov.uz", "xgov.uz"]  # fmt: skip


def test_a_host_belongs_to_its_domain_and_to_no_name_that_merely_ends_like_it() -> None:
    assert in_domain("m.facebook.com", "facebook.com")
    assert in_domain("facebook.com", "facebook.com")
    assert not in_domain("notfacebook.com", "facebook.com")
    assert not in_domain("facebook.com.evil.example", "facebook.com")
    assert not in_domain("facebook.com", "m.facebook.com")
    assert first_domain_of("my.gov.uz", ["lex.uz", "gov.uz", "uz"]) == "gov.uz"
    assert first_domain_of("xgov.uz", ["gov.uz"]) is None
    assert bare_host("WWW.Lex.UZ") == "lex.uz"


def test_the_domains_above_a_host_are_exactly_those_it_belongs_to() -> None:
    domains = _domains_in_data()
    assert len(domains) > 20
    for host in [*HOSTS, *domains, *("sub." + d for d in domains)]:
        above = host_and_domains_above(host)
        for domain in [*domains, *HOSTS]:
            assert in_domain(host, domain) == (domain in above), (host, domain)


def test_the_scope_and_placeholder_emails_ask_the_same_test() -> None:
    scope = Scope(domains=["tashkent.uz", "127.0.0.1:8001"])
    assert scope.is_internal("https://hokimiyat.tashkent.uz/x")
    assert not scope.is_internal("https://nottashkent.uz/")
    assert scope.is_internal("http://127.0.0.1:8001/a") and not scope.is_internal("http://127.0.0.1:8002/a")
    assert is_placeholder_email("info@mail.example.com") and not is_placeholder_email("info@myexample.com")


@pytest.mark.parametrize(("key_url", "url", "on"), [
    ("https://ssv.uz/", "https://www.ssv.uz/ru/news", True),
    ("https://ssv.uz/", "https://med.ssv.uz/", True),
    ("https://ssv.uz/", "https://notssv.uz/", False),
    ("https://gov.uz/ssv/", "https://gov.uz/ssv/about", True),
    ("https://gov.uz/ssv/", "https://gov.uz/mvd/about", False),
    ("http://127.0.0.1:8001/", "http://127.0.0.1:8001/page", True),
    ("http://127.0.0.1:8001/", "http://127.0.0.1:8002/page", False),
    ("http://localhost/", "http://a.localhost/", False),
])  # fmt: skip
def test_a_url_is_on_a_bundle_site_when_its_host_belongs_and_it_is_under_the_folder(
    key_url: str, url: str, on: bool
) -> None:
    assert on_site(site_key(key_url), url) is on
