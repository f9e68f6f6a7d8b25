"""A document's inputs to the records stage: whether the models know such a report, and NER
only for a report on security."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.nlp.actors import ActorMatcher, ActorRegistry
from pipeline.reading.reader import read_pdf
from pipeline.records.inputs import document_inputs
from tests.pdfs import make_pdf

# The same organisations named in a report on transit grants and in one on security cooperation.
GRANTS = [
    "The Springfield Transit Authority awarded grants to Riverside County for new buses in 2004.",
    "The Federal Transit Administration reviewed how Lakewood Township managed those grants.",
    "Auditors found that the grant files of the Harbor Valley Commission were incomplete.",
]
SECURITY = [
    "The Springfield Transit Authority trained officers of the national police in Honduras to"
    " prevent gang violence in 2004.",
    "The Federal Transit Administration reviewed how Lakewood Township funded a program against"
    " drug trafficking.",
    "Auditors found that the Harbor Valley Commission supported border security and crime"
    " prevention in Guatemala.",
]


@pytest.fixture(scope="module")
def ner_matcher() -> ActorMatcher:
    matcher = ActorMatcher(ActorRegistry.load())
    if not matcher.ner_available:
        pytest.skip("pretrained NER package not installed")
    return matcher


def test_a_report_not_about_security_is_mined_without_ner(ner_matcher: ActorMatcher, tmp_path: Path) -> None:
    grants = document_inputs(read_pdf(make_pdf(tmp_path / "grants.pdf", GRANTS)), ner_matcher)
    assert [p.code for p in grants.coverage] == ["W304"]
    assert "without NER" in grants.coverage[0].message  # the user is told what was not looked for
    assert not [m for item in grants.items for m in item.actors if m.how == "ner"]

    security = document_inputs(read_pdf(make_pdf(tmp_path / "security.pdf", SECURITY)), ner_matcher)
    assert security.coverage == []
    found = {m.text for item in security.items for m in item.actors if m.how == "ner"}
    assert {"Springfield Transit Authority", "Lakewood Township", "Harbor Valley Commission"} <= found


# A Spanish report on justice cooperation: none of the codebook's (English) security words.
SPANISH_JUSTICE = [
    "La Fundación Horizonte Andino apoyó la formación de jueces y fiscales en Guatemala durante tres años.",
    "El Ministerio de Justicia de Guatemala y la Fundación Horizonte Andino firmaron un acuerdo de"
    " cooperación en 2019.",
    "Según el informe, los tribunales de la región todavía necesitan más recursos para atender a las"
    " víctimas.",
    "La Asociación Centroamericana de Fiscales organizó cursos para el personal de los juzgados locales.",
]


def test_a_report_in_another_language_keeps_ner(ner_matcher: ActorMatcher, tmp_path: Path) -> None:
    # English security words do not say whether a Spanish report is about security
    report = document_inputs(read_pdf(make_pdf(tmp_path / "informe.pdf", SPANISH_JUSTICE)), ner_matcher)
    assert {p.code for p in report.coverage} == {"W303", "W304"}
    found = {m.text for item in report.items for m in item.actors if m.how == "ner"}
    assert "Fundación Horizonte Andino" in found
