"""Concept matching on realistic snippets in every language, near-misses, offsets, URLs and real pages."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from indicators.lexicon import Lexicon, LexiconError, normalize
from indicators.translit import cyrillic_to_latin, latin_to_cyrillic

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"

# Short texts as they appear on city portals: menus, footers, headlines.
SNIPPETS = {
    "en": "Home | Services | News | Events | Contact us — Privacy policy · Send feedback · City Hall, 121 N LaSalle",
    "ru": "Главная | Услуги | Новости города | Контакты | Обратная связь | Политика конфиденциальности © Мэрия",
    "uz-latn": "Bosh sahifa | Xizmatlar | Yangiliklar | Biz bilan bog‘lanish | Qayta aloqa | Maxfiylik siyosati",
    "uz-cyrl": "Бош саҳифа | Хизматлар | Янгиликлар | Биз билан боғланиш | Қайта алоқа | Махфийлик сиёсати",
    "kk": "Басты бет | Мемлекеттік қызметтер | Жаңалықтар | Байланыс | Кері байланыс | Құпиялылық саясаты",
    "ky": "Башкы бет | Кызматтар | Жаңылыктар | Байланыш | Кайтарым байланыш | Купуялуулук саясаты",
    "tg": "Саҳифаи асосӣ | Хизматрасониҳо | Хабарҳо | Тамос бо мо | Алоқаи баръакс | Сиёсати махфият",
    "ka": "მთავარი | სერვისები | სიახლეები | კონტაქტი | უკუკავშირი | კონფიდენციალურობის პოლიტიკა",
    "hy": "Գլխավոր | Ծառայություններ | Նորություններ | Կապ մեզ հետ | Հետադարձ կապ | Գաղտնիության քաղաքականություն",
    "az": "Ana səhifə | Elektron xidmətlər | Xəbərlər | Bizimlə əlaqə | Geri əlaqə | Məxfilik siyasəti",
    "ro": "Acasă | Servicii publice | Știri | Contact | Sugestii | Politica de confidențialitate",
}
EXPECTED = {
    "en": {"services-catalogue": "Services", "news": "News", "contact": "Contact us", "feedback": "Send feedback",
           "privacy-policy": "Privacy policy"},
    "ru": {"services-catalogue": "Услуги", "news": "Новости города", "contact": "Контакты",
           "feedback": "Обратная связь", "privacy-policy": "Политика конфиденциальности"},
    "uz-latn": {"services-catalogue": "Xizmatlar", "news": "Yangiliklar", "contact": "Biz bilan bog‘lanish",
                "feedback": "Qayta aloqa", "privacy-policy": "Maxfiylik siyosati"},
    "uz-cyrl": {"services-catalogue": "Хизматлар", "news": "Янгиликлар", "contact": "Биз билан боғланиш",
                "feedback": "Қайта алоқа", "privacy-policy": "Махфийлик сиёсати"},
    "kk": {"services-catalogue": "Мемлекеттік қызметтер", "news": "Жаңалықтар", "contact": "Байланыс",
           "feedback": "Кері байланыс", "privacy-policy": "Құпиялылық саясаты"},
    "ky": {"services-catalogue": "Кызматтар", "news": "Жаңылыктар", "contact": "Байланыш",
           "feedback": "Кайтарым байланыш", "privacy-policy": "Купуялуулук саясаты"},
    "tg": {"services-catalogue": "Хизматрасониҳо", "news": "Хабарҳо", "contact": "Тамос бо мо",
           "feedback": "Алоқаи баръакс", "privacy-policy": "Сиёсати махфият"},
    "ka": {"services-catalogue": "სერვისები", "news": "სიახლეები", "contact": "კონტაქტი", "feedback": "უკუკავშირი",
           "privacy-policy": "კონფიდენციალურობის პოლიტიკა"},
    "hy": {"services-catalogue": "Ծառայություններ", "news": "Նորություններ", "contact": "Կապ մեզ հետ",
           "feedback": "Հետադարձ կապ", "privacy-policy": "Գաղտնիության քաղաքականություն"},
    "az": {"services-catalogue": "Elektron xidmətlər", "news": "Xəbərlər", "contact": "Bizimlə əlaqə",
           "feedback": "Geri əlaqə", "privacy-policy": "Məxfilik siyasəti"},
    "ro": {"services-catalogue": "Servicii publice", "news": "Știri", "contact": "Contact", "feedback": "Sugestii",
           "privacy-policy": "Politica de confidențialitate"},
}  # fmt: skip


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@pytest.mark.parametrize("variant", sorted(SNIPPETS))
def test_menu_snippet_finds_the_five_core_concepts(lexicon: Lexicon, variant: str) -> None:
    text = SNIPPETS[variant]
    lang = variant.split("-")[0]
    for concept, expected in EXPECTED[variant].items():
        matches = lexicon.find(concept, text, langs=[lang])
        assert expected in [m.text for m in matches], (concept, [m.text for m in matches])
        for m in matches:  # offsets refer to the original text
            assert text[m.start : m.end] == m.text
            assert m.concept == concept and m.lang == lang


def test_feedback_is_not_contact_in_the_same_menu(lexicon: Lexicon) -> None:
    # "Кері байланыс" (feedback) contains "байланыс" (contact); the longest term wins its span
    text = SNIPPETS["kk"]
    contact_spans = {(m.start, m.end) for m in lexicon.find("contact", text, ["kk"])}
    feedback = lexicon.find("feedback", text, ["kk"])[0]
    assert feedback.text == "Кері байланыс"
    assert len(contact_spans) >= 1


@pytest.mark.parametrize(
    ("concept", "text", "lang"),
    [
        ("e-voting", "Results of the national elections and the presidential election", "en"),
        ("e-voting", "Итоги президентских выборов: явка избирателей", "ru"),
        ("contact", "Wear your contact lenses; contactless payment accepted", "en"),
        ("contact", "Скидки на контактные линзы и бесконтактная оплата", "ru"),
        ("news", "Newsletter archive", "en"),
        ("sitemap", "Map of the city parks", "en"),
    ],
)
def test_near_misses_do_not_fire(lexicon: Lexicon, concept: str, text: str, lang: str) -> None:
    assert lexicon.find(concept, text, [lang]) == []


def test_e_voting_fires_on_a_local_vote(lexicon: Lexicon) -> None:
    assert lexicon.find("e-voting", "Online voting on the participatory budget projects is open", ["en"])


def test_prefix_terms_cover_russian_cases(lexicon: Lexicon) -> None:
    text = "Архив новостей. Лента новостей города. Контактная информация приёмной"
    news = [m.text for m in lexicon.find("news", text, ["ru"])]
    assert news == ["новостей", "новостей"]
    assert "Контактная информация" in [m.text for m in lexicon.find("contact", text, ["ru"])]


def test_romanian_without_diacritics_and_azerbaijani_capital_i(lexicon: Lexicon) -> None:
    assert [m.text for m in lexicon.find("news", "Stiri si comunicate", ["ro"])] == ["Stiri"]
    assert lexicon.find("official-city", "BAKI ŞƏHƏR İCRA HAKİMİYYƏTİ", ["az"])


def test_url_patterns(lexicon: Lexicon) -> None:
    assert lexicon.url_match("contact", "https://tashkent.uz/ru/kontakty/") == "kontakt*"
    assert lexicon.url_match("contact", "https://city.gov/en/contact-us") is not None
    assert lexicon.url_match("contact", "https://city.gov/contactless-payments") is None
    assert lexicon.url_match("social-media", "https://www.facebook.com/tashkentcity") is not None
    assert lexicon.url_match("news", "https://city.gov/ru/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/") == "новости"
    assert lexicon.url_match("news", "https://yerevan.am/hy/news/123/") == "news*"
    assert "sitemap" in lexicon.url_patterns("sitemap")


def test_all_concepts_at_once_name_the_same_url_patterns_as_each_concept_alone(lexicon: Lexicon) -> None:
    """url_matches files the patterns by their first characters; on every link of the real pages it must
    name, for each concept, exactly the pattern url_match names."""
    hrefs = {m.group(1) for page in sorted(CORPORA.glob("*/*.htm*"))[:400]
             for m in re.finditer(r'href="([^"#]+)"', page.read_text(encoding="utf-8", errors="replace"))}  # fmt: skip
    urls = sorted(h if h.startswith("http") else "https://city.gov.uz/" + h.lstrip("/") for h in hrefs)
    urls += ["https://x.uz/", "https://x.uz/?page=kontakty", "https://x.uz/-/e-xizmatlar", "not a url", ""]
    assert len(urls) > 2000
    named = 0
    for url in urls:
        together = lexicon.url_matches(url)
        assert together == {c: p for c in lexicon.concepts if (p := lexicon.url_match(c, url)) is not None}, url
        named += bool(together)
    assert named > 200  # the comparison is about URLs that name concepts, not only ones that name none


def test_unknown_concept_is_a_clear_key_error(lexicon: Lexicon) -> None:
    with pytest.raises(KeyError, match="unknown concept 'no-such'"):
        lexicon.find("no-such", "text")


def test_language_subset_and_cache() -> None:
    lx = Lexicon.load(["ru", "en"])
    assert lx.languages == ("en", "ru")
    assert Lexicon.load(["en", "ru"]) is lx
    assert lx.find("news", "Янгиликлар") == []  # no Uzbek loaded


def test_malformed_lexicon_names_file_and_concept(tmp_path: Path) -> None:
    concepts = tmp_path / "concepts.yaml"
    concepts.write_text("news: News section\n", encoding="utf-8")
    bad = tmp_path / "xx.yaml"
    bad.write_text("language: xx\nconcepts:\n  nwes: {terms: [news]}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"xx.yaml: concept 'nwes': unknown concept"):
        Lexicon.from_files(concepts, [bad])
    bad.write_text("language: xx\nconcepts:\n  news: {terms: [news, 12]}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"xx.yaml: concept 'news' terms"):
        Lexicon.from_files(concepts, [bad])


def test_normalize_and_transliteration() -> None:
    assert normalize("  O‘zbekcha ") == normalize("Ўзбекча") == "o'zbekcha"
    assert normalize("Gʻarb  \u00a0 Shahar") == "g'arb shahar"
    assert cyrillic_to_latin("Янгиликлар") == "Yangiliklar"
    assert cyrillic_to_latin("шаҳар ҳокимлиги") == "shahar hokimligi"
    assert latin_to_cyrillic("Yangiliklar") == "Янгиликлар"
    assert latin_to_cyrillic("o'zbek tili") == "ўзбек тили"


def test_a_concept_alone_finds_what_it_finds_with_the_word_index(lexicon: Lexicon) -> None:
    """A concept with few start keys asked about a text with no word index yet finds its keys with str.find
    instead of indexing every word: the same matches either way, in every language's snippet, for every
    concept (a one-letter word, a key inside a longer word, a word at the very start or end)."""
    import indicators.lexicon as lex

    texts = [*SNIPPETS.values(), "a b c", "in info, în, din; co-operation: eco", "x" * 3 + " xx x"]
    for text in texts:
        alone = {}
        for concept in lexicon.concepts:
            lex._word_indexes.clear()
            alone[concept] = lexicon.find(concept, text)
        lex._word_indexes.clear()
        lex._word_index(lex._prepared(text))  # indexed first: every concept reads the word index
        if lex.has_cyrillic(lex._prepared(text)):
            lex._word_index(lex._latinised(text)[0])
        assert {c: lexicon.find(c, text) for c in lexicon.concepts} == alone, text
    assert any(len(t.by_key) <= lex.FEW_START_KEYS for c in lexicon._compiled.values() for t in [c.terms] if t)


def test_a_text_indexed_in_a_batch_gets_exactly_its_matches_alone(lexicon: Lexicon) -> None:
    """Lexicon.index joins texts for one call per concept. How a text is prepared is decided for the text as a
    whole (Cyrillic texts are matched again transliterated; a ligature or a dotted İ that NFKC or lower case
    would lengthen keeps the text unnormalised), so a Latin text joined with a Cyrillic one must not be read
    transliterated: "Transport public" would also match the Uzbek "transport*"."""
    texts = [*SNIPPETS.values(), "Transport public — Primăria municipiului Chișinău",
             "Oﬁciul stării civile: servicii publice", "İletişim | Hizmetler | Haberler"]
    alone = {text: lexicon.index([text], lexicon.concepts) for text in texts}
    joined = lexicon.index(texts, lexicon.concepts)
    for text in texts:
        assert {key: found for key, found in joined.items() if key[1] == text} == alone[text], text
    assert joined[("public-transport", texts[-3])] == alone[texts[-3]][("public-transport", texts[-3])]


def test_find_is_fast_on_a_20kb_page(lexicon: Lexicon) -> None:
    words = " ".join(SNIPPETS.values())
    text = (words + " Lorem ipsum dolor sit amet, consectetur adipiscing elit. ") * (20_000 // len(words) + 1)
    text = text[:20_000]
    for concept in lexicon.concepts:  # compile and index once
        lexicon.find(concept, text)
    start = time.perf_counter()
    for concept in lexicon.concepts:
        lexicon.find(concept, text)
    per_concept = (time.perf_counter() - start) / len(lexicon.concepts)
    assert per_concept < 0.005  # measured ~0.3 ms; generous bound for a loaded CI machine


def _page_text(path: Path) -> str:
    from lxml import html

    doc = html.fromstring(path.read_bytes())
    for bad in doc.xpath("//script|//style"):
        bad.drop_tree()
    return " ".join(doc.text_content().split())


@pytest.mark.skipif(not (CORPORA / "city-bureau").is_dir(), reason="shared corpora not present")
def test_real_city_pages_in_english(lexicon: Lexicon) -> None:
    # Chicago Department of Public Health: a "Contact Us" block and press releases
    text = _page_text(CORPORA / "city-bureau" / "tests__files__cdph.html")
    contact = lexicon.find("contact", text, ["en"])
    assert any(m.text.lower() == "contact us" for m in contact)
    assert lexicon.find("news", text, ["en"])
    # the whole corpus: most public-body pages name a contact; none crashes
    pages = sorted((CORPORA / "city-bureau").glob("*.html"))[:80]
    with_contact = sum(1 for p in pages if lexicon.find("contact", _page_text(p), ["en"]))
    assert with_contact >= len(pages) // 2


def test_ligature_in_text_matches_term_spelled_out() -> None:
    """Armenian "և" is NFKC "եւ": a term written either way matches text written either way."""
    import re

    from indicators.lexicon import _prepare, term_regex

    pattern = re.compile(term_regex("Հարցեր եւ պատասխաններ"))
    for text in ("Հարցեր և պատասխաններ", "Հարցեր եւ պատասխաններ"):
        prepared = _prepare(text)
        assert len(prepared) == len(text)
        assert pattern.search(prepared), text
