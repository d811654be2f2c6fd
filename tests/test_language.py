"""Language detection per paragraph, language tags, and language versions from a page's switcher."""

from __future__ import annotations

import pytest

from crawler.parse import parse_page
from crawler.scope import Scope
from indicators.language import detect_language, language_versions, normalize_lang_tag
from losi.models import Link
from tests.conftest import CORPORA

PARAGRAPHS = {
    "en": "The city council approved the budget for the next year, and the mayor said that the new park "
    "will be opened to residents in the spring after the works are finished.",
    "ru": "Городской совет утвердил бюджет на следующий год, и мэр сообщил, что новый парк будет открыт "
    "для жителей весной после завершения работ.",
    "uz": "Shahar kengashi kelgusi yil uchun budjetni tasdiqladi va hokim yangi bog‘ ishlar tugagandan so‘ng "
    "bahorda aholi uchun ochilishini ma’lum qildi.",
    "kk": "Қалалық мәслихат келесі жылға арналған бюджетті бекітті және әкім жаңа саябақ жұмыстар "
    "аяқталғаннан кейін көктемде тұрғындар үшін ашылатынын айтты.",
    "ky": "Шаардык кеңеш кийинки жылга бюджетти бекитти жана мэр жаңы парк иштер бүткөндөн кийин жазында "
    "тургундар үчүн ачыла турганын билдирди.",
    "tg": "Маҷлиси шаҳр буҷети соли ояндаро тасдиқ кард ва раиси шаҳр гуфт, ки боғи нав баъди анҷоми корҳо "
    "дар фасли баҳор барои сокинон кушода мешавад.",
    "ka": "ქალაქის საკრებულომ დაამტკიცა მომავალი წლის ბიუჯეტი და მერმა განაცხადა, რომ ახალი პარკი "
    "სამუშაოების დასრულების შემდეგ გაზაფხულზე გაიხსნება.",
    "hy": "Քաղաքի ավագանին հաստատեց հաջորդ տարվա բյուջեն, և քաղաքապետը հայտնեց, որ նոր այգին կբացվի "
    "գարնանը՝ աշխատանքների ավարտից հետո։",
    "az": "Şəhər bələdiyyəsi gələn il üçün büdcəni təsdiq etdi və başçı bildirdi ki, yeni park işlər "
    "başa çatdıqdan sonra yazda sakinlər üçün açılacaq.",
    "ro": "Consiliul municipal a aprobat bugetul pentru anul viitor, iar primarul a declarat că noul parc "
    "va fi deschis pentru locuitori în primăvară, după finalizarea lucrărilor.",
}
UZ_CYRILLIC = (
    "Шаҳар кенгаши келгуси йил учун бюджетни тасдиқлади ва ҳоким янги боғ ишлар тугагандан сўнг "
    "баҳорда аҳоли учун очилишини маълум қилди."
)


@pytest.mark.parametrize("lang", sorted(PARAGRAPHS))
def test_detects_each_language(lang: str) -> None:
    assert detect_language(PARAGRAPHS[lang]) == lang


def test_uzbek_in_both_scripts_is_uz() -> None:
    assert detect_language(PARAGRAPHS["uz"]) == "uz"
    assert detect_language(UZ_CYRILLIC) == "uz"


@pytest.mark.parametrize("text", ["", "   ", "12 345 67", "OK", "©"])
def test_unsure_on_too_little_text(text: str) -> None:
    assert detect_language(text) == ""


def test_language_without_lexicon_falls_back_to_langdetect() -> None:
    text = "Der Stadtrat hat den Haushalt für das nächste Jahr beschlossen und der Bürgermeister sagte, dass der neue Park im Frühjahr eröffnet wird."  # noqa: E501
    assert detect_language(text) == "de"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("uz-Cyrl-UZ", "uz"), ("ru_RU", "ru"), ("EN", "en"), ("", ""), ("x-default", ""), ("kat", "ka"), ("hy-AM", "hy")],
)
def test_normalize_lang_tag(tag: str, expected: str) -> None:
    assert normalize_lang_tag(tag) == expected


def test_language_versions_from_switcher_anchors() -> None:
    page = "https://tashkent.uz/uz/news/"
    links = [
        Link(url="https://tashkent.uz/uz/", text="O‘zbekcha", region="header"),
        Link(url="https://tashkent.uz/oz/", text="Ўзбекча", region="header"),
        Link(url="https://tashkent.uz/ru/", text="Русский", region="header"),
        Link(url="https://tashkent.uz/en/", text="EN", region="header"),
        Link(url="https://tashkent.uz/uz/contacts", text="Bog‘lanish", region="footer"),
        Link(url="https://facebook.com/en/", text="Facebook", region="footer"),
    ]
    versions = language_versions(links, page)
    assert versions["ru"] == "https://tashkent.uz/ru/"
    assert versions["en"] == "https://tashkent.uz/en/"
    assert versions["uz"] == "https://tashkent.uz/uz/"
    assert set(versions) == {"uz", "ru", "en"}


def test_language_versions_from_hreflang_and_url_patterns() -> None:
    page = "https://tbilisi.gov.ge/news?lang=ka"
    links = [
        Link(url="https://tbilisi.gov.ge/news?lang=en", text="🇬🇧", region="header"),
        Link(url="https://tbilisi.gov.ge/ru/", hreflang="ru-RU", text="Рус"),
        Link(url="https://tbilisi.gov.ge/page/1", text="ქართ", region="header"),
    ]
    versions = language_versions(links, page)
    assert versions == {"en": "https://tbilisi.gov.ge/news?lang=en", "ru": "https://tbilisi.gov.ge/ru/",
                        "ka": "https://tbilisi.gov.ge/page/1"}  # fmt: skip


def test_language_versions_ignores_other_sites_and_empty_input() -> None:
    assert language_versions([], "https://city.am/") == {}
    assert language_versions([Link(url="https://other.org/en/")], "https://city.am/hy/") == {"hy": "https://city.am/hy/"}


# Real municipal pages in languages without a lexicon here share little words with English and Romanian
# ("de", "in", "is"); they must still be read as their own language, or a correct <html lang> looks wrong.
REAL_PAGES = {
    "AFFLIGEM_HANDTEKENING.html": "nl",
    "https_www_aalter_be_eid.html": "nl",
    "https_www_aalter_be_verhuizen.html": "nl",
    "https_www_nova_gorica_si_za_obcane_postopki_in_obrazci_2011101410574355_.html": "sl",
    "https_www_wien_gv_at_amtshelfer_verkehr_fahrzeuge_aenderungen_einzelgenehmigung_html.html": "de",
}


@pytest.mark.parametrize("name,expected", sorted(REAL_PAGES.items()))
def test_real_pages_in_languages_without_a_lexicon(name: str, expected: str) -> None:
    path = CORPORA / "municipal-services" / name
    if not path.is_file():
        pytest.skip(f"corpus page {path} is not here")
    url = f"https://example.org/{name}"
    page = parse_page(path.read_bytes(), url=url, final_url=url, status=200, content_type="text/html",
                      scope=Scope(domains=["example.org"]))
    assert page is not None and page.lang_detected == expected
