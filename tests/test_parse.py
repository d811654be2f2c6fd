"""The parse step against real HTML: encodings, regions, selectors, forms, dates, robustness."""

from __future__ import annotations

import random
import re

import lxml.html

from crawler.parse import EMAIL_RE, find_dates, find_emails, parse_page
from crawler.scope import Scope

SCOPE = Scope(domains=["city.example.uz"])
URL = "https://city.example.uz/ru/page"

PAGE = """<!doctype html><html lang="ru-RU"><head><meta charset="windows-1251"><title>Контакты</title>
<meta name="description" content="Описание"><meta property="og:title" content="OG"><script src="/app.js"></script>
<style>.x{}</style></head><body>
<header><nav class="main-menu"><a href="/ru/news/">Новости</a><a href="#/contacts">SPA</a>
<a href="/ru/x#top">X</a><a href="javascript:void(0)">JS</a></nav></header>
<div id="content"><main><h1>Контакты</h1><h2>Приёмная</h2>
<p>Телефон: <a href="tel:+998711234567">+998 71 123-45-67</a></p>
<p>Опубликовано 12 марта 2024 г.; обновлено 05.06.2023.</p><time datetime="2024-01-02T10:00">вчера</time>
<a href="/files/budget.PDF?v=2"><img alt="Бюджет 2024"></a> <a href="https://data.example.org/set.csv">CSV</a>
<form action="/send" method="POST"><label for="n">Имя</label><input id="n" name="name" required>
<label>Сообщение <textarea name="msg"></textarea></label><select name="t" aria-label="Тема"><option>A</option>
<option>B</option></select><input type="hidden" name="csrf" value="1">
<input type="radio" name="r" id="r1"><label for="r1">Да</label>
<input type="radio" name="r" id="r2"><label for="r2">Нет</label>
<input name="q2" placeholder="Телефон"><button>Отправить</button></form>
<script>var hidden = "не текст";</script><noscript>без скриптов</noscript></main></div>
<div class="site-footer"><a href="https://facebook.com/city" aria-label="Facebook"></a>
<a href="/privacy" title="Политика">Политика конфиденциальности</a></div>
<iframe src="https://www.youtube.com/embed/x"></iframe></body></html>"""


def parse(html: bytes | str, **kw) -> object:
    body = html.encode("utf-8") if isinstance(html, str) else html
    args = {"url": URL, "final_url": URL, "status": 200, "content_type": "text/html", "scope": SCOPE}
    args.update(kw)
    return parse_page(body, **args)


def test_full_page_in_windows_1251() -> None:
    page = parse(PAGE.encode("cp1251"))
    assert page.title == "Контакты"
    assert page.lang_declared == "ru"
    assert page.lang_detected == "ru"
    assert [(h.level, h.text) for h in page.headings] == [(1, "Контакты"), (2, "Приёмная")]
    assert "Телефон" in page.text and "не текст" not in page.text and "без скриптов" not in page.text
    assert page.meta["description"] == "Описание" and page.meta["og:title"] == "OG"
    assert page.scripts == ["https://city.example.uz/app.js"]
    assert page.iframes == ["https://www.youtube.com/embed/x"]


def test_links_regions_and_selectors() -> None:
    page = parse(PAGE)
    by_text = {link.label: link for link in page.links}
    assert by_text["Новости"].url == "https://city.example.uz/ru/news/"
    assert by_text["Новости"].region == "nav"
    assert by_text["SPA"].url == "https://city.example.uz/ru/page#/contacts"  # hash route kept
    assert by_text["X"].url == "https://city.example.uz/ru/x"  # plain fragment dropped
    assert "JS" not in by_text
    fb = next(lk for lk in page.links if lk.aria_label == "Facebook")
    assert fb.region == "footer" and not fb.internal
    privacy = next(lk for lk in page.links if lk.text == "Политика конфиденциальности")
    assert privacy.title == "Политика" and privacy.region == "footer" and privacy.internal
    doc = lxml.html.fromstring(PAGE)
    for link in page.links:  # every selector finds exactly its own element
        found = doc.cssselect(link.selector)
        assert len(found) == 1, link.selector
    assert by_text["Бюджет 2024"].region == "main"


def test_documents_forms_dates() -> None:
    page = parse(PAGE)
    assert [d.url for d in page.documents] == [
        "https://city.example.uz/files/budget.PDF?v=2",
        "https://data.example.org/set.csv",
    ]
    (form,) = page.forms
    assert form.action == "https://city.example.uz/send" and form.method == "post"
    assert form.submit_text == "Отправить" and form.has_free_text()
    fields = {f.name: f for f in form.fields}
    assert "csrf" not in fields
    assert fields["name"].label == "Имя" and fields["name"].required
    assert fields["msg"].label == "Сообщение" and fields["msg"].type == "textarea"
    assert fields["t"].label == "Тема" and fields["t"].options == ["A", "B"]
    assert fields["r"].options == ["Да", "Нет"]
    assert fields["q2"].label == "Телефон"
    assert page.dates == ["2024-01-02", "2024-03-12", "2023-06-05"]


def test_dates_in_several_languages() -> None:
    text = "March 5, 2024; 12 марта 2024; 2024 yil 1-aprel; 3 may 2023; 2024-13-40; 31.02.2024; 03/25/2024"
    assert find_dates(text) == ["2024-03-05", "2024-03-12", "2024-04-01", "2023-05-03", "2024-03-25"]


def test_worded_dates_are_found_wherever_their_year_stands() -> None:
    """Month names are matched only around the years a text names (a page of numbers stays cheap): a date at
    the start or end of a long text, a day far from its month, two dates sharing one stretch, none cut."""
    filler = " ".join(f"item {i} costs {i * 7} sum, room {i % 40}" for i in range(400))
    text = (f"12 марта 2024 г. {filler} 2025 yil 3-sentyabr, {filler} Posted on 7          March    2026. "
            f"and August 2026 {filler} 30 december 2026")
    assert find_dates(text) == ["2024-03-12", "2025-09-03", "2026-03-07", "2026-08-01", "2026-12-30"]
    assert find_dates(f"{filler} September 30, 2025") == ["2025-09-30"]
    assert find_dates(f"{filler} 1999 {filler}") == []


def test_numeric_dates_are_found_near_their_year_as_anywhere() -> None:
    """Numeric dates too are read only around years from 1900 to 2100 (the only ones a date may have)."""
    filler = " ".join(f"item {i} costs {i * 7}.{i % 60} sum, room {i % 40}/{i % 9}" for i in range(400))
    text = f"2024-03-12 {filler} 31.12.2150.01.2024 {filler} 1899-01-01 2100-12-31 {filler} 03/25/2024"
    assert find_dates(text) == ["2024-03-12", "2100-12-31", "2024-03-25"]
    assert find_dates(f"{filler} 12.03.2024") == ["2024-03-12"]


def test_emails_found_around_at_signs_are_the_regular_expressions_matches() -> None:
    """find_emails runs EMAIL_RE only around each '@': the same matches, in the same places, as over the whole
    text, also where addresses touch, share a domain part or are cut short."""
    rng = random.Random(7)
    texts = ["a.b@c.com@d.org", "x@y.com.", "@@a@b.cc", "mail: foo.bar+x@sub.dom-ain.org, bar@baz.io and q@w",
             "ab@cd.ef@gh.ij@kl.mn", "-@-.ab", "é@ü.de", "1@2.34", "a@b.cd" * 3, "no address here", ""]  # fmt: skip
    texts += ["".join(rng.choice("ab.@-+_ 1é") for _ in range(rng.randint(0, 30))) for _ in range(20_000)]
    for text in texts:
        assert [m.span() for m in find_emails(text)] == [m.span() for m in EMAIL_RE.finditer(text)], text


def test_not_html_and_broken_input() -> None:
    assert parse(b"%PDF-1.4 ...", content_type="application/pdf") is None
    assert parse(b'{"a": 1}', content_type="application/json") is None
    empty = parse(b"")
    assert empty is not None and empty.links == [] and empty.text == ""
    broken = parse(b"\x00\xff<<<html><body><a href='/a'>A</a><div><p>unclosed <b>tags")
    assert [lk.url for lk in broken.links] == ["https://city.example.uz/a"]
    xhtml = parse(b'<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
                  b'<a href="z">z</a></body></html>', content_type="application/xhtml+xml")  # fmt: skip
    assert [lk.url for lk in xhtml.links] == ["https://city.example.uz/ru/z"]
    sniffed = parse(b"<!DOCTYPE html><html><body><p>hi</p></body></html>", content_type="")
    assert sniffed is not None and sniffed.text == "hi"


def test_meta_charset_bom_and_lying_header() -> None:
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head>'
    html += "<body><p>Ташкент</p></body></html>"
    assert parse(html.encode("cp1251")).text == "Ташкент"
    assert parse(b"\xef\xbb\xbf" + "<p>Тошкент</p>".encode()).text == "Тошкент"
    lying = parse("<p>Самарканд</p>".encode(), headers={"Content-Type": "text/html; charset=iso-8859-1"})
    assert lying.text == "Самарканд"  # valid UTF-8 beats a declared single-byte charset


def test_controls_buttons_aria_labels_and_titles() -> None:
    html = """<html><body><header><button class="burger" aria-label="Меню"></button></header>
<div id="ai-chat"><button type="button">ЖИ-көмекші</button><span role="button">Открыть чат</span></div>
<details><summary>Подробнее</summary><p>текст</p></details><a href="/x" title="Карта сайта">map</a>
<div><p>просто текст</p></div><template><button>скрытый шаблон</button></template>
<noscript><button>без скриптов</button></noscript><script>var b = "<button>нет</button>";</script></body></html>"""
    page = parse(html)
    labels = [c.label for c in page.controls]
    assert labels == ["Меню", "ЖИ-көмекші", "Открыть чат", "Подробнее", "Карта сайта"]
    doc = lxml.html.fromstring(html)
    for control in page.controls:  # every selector finds exactly the element that carries the label
        (found,) = doc.cssselect(control.selector)
        said = [found.text_content(), found.get("aria-label") or "", found.get("title") or ""]
        assert any(part and part in control.label for part in said), control
    assert page.controls[1].selector.startswith("#ai-chat")
    full = {c.label for c in parse(PAGE).controls}
    assert {"Тема", "Отправить", "Facebook", "Политика"} <= full, full
    assert parse(b"").controls == []


def test_declared_charset_header_before_meta() -> None:
    from crawler.parse import declared_charset

    body = b'<meta charset="windows-1251"><p>x</p>'
    assert declared_charset(body) == "cp1251"
    assert declared_charset(body, {"Content-Type": "text/html; charset=UTF-8"}) == "utf-8"
    assert declared_charset(b"<p>x</p>", content_type="text/html; charset=x-no-such") is None
    assert declared_charset(b"<p>x</p>") is None


def test_links_resolved_once_per_template_resolve_as_against_the_page_itself() -> None:
    """A root-relative or absolute href is resolved once for every page of a host (the template's menu); the
    result must be what resolving it against each page's own address gives, on every href of real pages."""
    from pathlib import Path

    from crawler.parse import _absolute, _resolved

    corpora = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
    pages = [page.read_text(encoding="utf-8", errors="replace") for page in sorted(corpora.glob("*/*.htm*"))[:300]]
    hrefs = {m.group(1) for html in pages for m in re.finditer(r'(?:href|src|action)="([^"]*)"', html)}
    hrefs |= {"//cdn.example/x.js", "///triple/slash", "https://", "https://?q", "http:relative", "HTTPS://Up/X",
              "/a/../b", "?page=2", "#/spa/route", "../up", " /padded ", "//[::1/x", "tel:+9", "ftp://x/y"}  # fmt: skip
    assert len(hrefs) > 1000
    bases = ["https://city.example.uz/ru/a/b?x=1#f", "http://127.0.0.1:8000/", "HTTPS://City.Example/dir/page.html",
             "http://user:pw@city.example:81/a/"]  # fmt: skip
    for base in bases:
        for href in filter(str.strip, hrefs):  # an empty href is no link (the page itself is not linked)
            assert _absolute(base, href) == _resolved.__wrapped__(base, href.strip()), (base, href)
