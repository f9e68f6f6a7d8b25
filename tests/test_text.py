"""The one key under which program names are compared, in a report and across reports."""

from __future__ import annotations

from pipeline.text import fold_text, name_key


def test_one_key_for_the_spellings_of_a_name() -> None:
    assert name_key("the Mérida  Initiative") == name_key("Merida Initiative") == "merida initiative"
    assert name_key("la Iniciativa Mérida") == name_key("Iniciativa Merida")
    assert name_key("Plan Colombia") != name_key("Colombia")  # an article goes, a word stays
    assert name_key("UN-Habitat Safer Cities") == "un habitat safer cities"


def test_folding_keeps_letters_and_evens_out_typography() -> None:
    assert fold_text("Gov\u2010ernment’s “plan”") == "Gov-ernment's \"plan\""
