"""A document's inputs to the records stage: whether the models know such a report, and NER
only for a report on security."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.nlp.actors import ActorMatcher, ActorRegistry
from pipeline.reading.reader import read_pdf
from pipeline.records.features import security_terms
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


# A Spanish report on justice cooperation: none of the codebook's English security words, but
# its Spanish ones ("Ministerio de Justicia").
SPANISH_JUSTICE = [
    "La Fundación Horizonte Andino apoyó la formación de jueces y fiscales en Guatemala durante tres años.",
    "El Ministerio de Justicia de Guatemala y la Fundación Horizonte Andino firmaron un acuerdo de"
    " cooperación en 2019.",
    "Según el informe, los tribunales de la región todavía necesitan más recursos para atender a las"
    " víctimas.",
    "La Asociación Centroamericana de Fiscales organizó cursos para el personal de los juzgados locales.",
]
# A Spanish report on transit grants, whose "seguridad" is road safety.
SPANISH_GRANTS = [
    "La Autoridad de Tránsito de Springfield otorgó subvenciones al condado de Riverside para comprar"
    " nuevos autobuses en 2004.",
    "La Administración Federal de Tránsito revisó cómo el municipio de Lakewood gestionó esas"
    " subvenciones durante los últimos años.",
    "Según los auditores, los expedientes de la Comisión de Harbor Valley estaban incompletos y no"
    " tenían las firmas necesarias.",
    "La municipalidad también mejoró la seguridad vial de los ciclistas con nuevas señales en las"
    " calles del centro.",
]


def test_a_report_in_another_language_is_judged_on_security_in_its_own_words(
    ner_matcher: ActorMatcher, tmp_path: Path
) -> None:
    justice = document_inputs(read_pdf(make_pdf(tmp_path / "informe.pdf", SPANISH_JUSTICE)), ner_matcher)
    assert [p.code for p in justice.coverage] == ["W303"]  # Spanish, and about security
    found = {m.text for item in justice.items for m in item.actors if m.how == "ner"}
    assert "Fundación Horizonte Andino" in found

    grants = document_inputs(read_pdf(make_pdf(tmp_path / "subvenciones.pdf", SPANISH_GRANTS)), ner_matcher)
    assert [p.code for p in grants.coverage] == ["W303", "W304"]
    assert "without NER" in grants.coverage[1].message
    assert not [m for item in grants.items for m in item.actors if m.how == "ner"]


def test_security_words_are_read_in_the_texts_language() -> None:
    assert security_terms("El programa apoya la seguridad ciudadana y la reforma policial.", "es") == 2
    # road safety, food security: other senses of "seguridad", "sécurité"
    assert security_terms("Mejoras de la seguridad vial y de la inseguridad alimentaria.", "es") == 0
    assert security_terms("La sécurité des cyclistes et la sécurité routière.", "fr") == 0
    # "forces de sécurité", "trafic de drogue" and "drogue"
    assert security_terms("Les forces de sécurité luttent contre le trafic de drogue.", "fr") == 3
    # English words, whatever the language they are asked in when the codebook has none for it
    assert security_terms("Police training against gang violence.") == 3
    assert security_terms("Police training against gang violence.", "sw") == 3
