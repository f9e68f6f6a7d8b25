"""Which language a document is written in."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.nlp.language import detect_language
from pipeline.reading.reader import read_pdf

PORTUGUESE = (
    "A cooperação internacional em segurança cidadã cresceu na América Latina durante a última década,"
    " com programas de prevenção da violência e reforma policial financiados por doadores bilaterais e"
    " multilaterais que buscam fortalecer as instituições do Estado e reduzir os homicídios nas cidades"
    " mais violentas da região, o que não é pouco para um país que tem tantas cidades."
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (PORTUGUESE, "pt"),
        (
            "La cooperación internacional en seguridad ciudadana ha crecido en América Latina durante la"
            " última década, con programas de prevención de la violencia y reforma policial financiados"
            " por donantes bilaterales y multilaterales que buscan fortalecer las instituciones del Estado"
            " y reducir los homicidios en las ciudades más violentas de la región.",
            "es",
        ),
    ],
)
def test_spanish_and_portuguese_are_told_apart(text: str, code: str) -> None:
    assert detect_language(text).code == code


def test_short_or_wordless_text_decides_nothing() -> None:
    assert detect_language("Plan Colombia, 2000").code is None
    assert detect_language(" ".join(["12.5", "USD", "3,400"] * 40)).code is None


def test_a_french_report_and_an_english_one(shared_dir: Path) -> None:
    french = read_pdf(shared_dir / "corpus" / "layouts" / "pdfplumber__chelsea_pdta-65pp-french-report.pdf")
    english = read_pdf(shared_dir / "corpus" / "field" / "pdf" / "wh-caribbean-2023.pdf")
    assert detect_language(" ".join(b.text for b in french.blocks)).code == "fr"
    guess = detect_language(" ".join(b.text for b in english.blocks))
    assert (guess.code, guess.name) == ("en", "English")


def test_the_shipped_profiles_are_wordfreqs_most_frequent_words() -> None:
    import json

    from pipeline.nlp.language import PROFILES, wordfreq_profiles

    # after upgrading wordfreq: python -c "from pipeline.nlp.language import write_profiles; write_profiles()"
    assert json.loads(PROFILES.read_text(encoding="utf-8"))["words"] == wordfreq_profiles()
