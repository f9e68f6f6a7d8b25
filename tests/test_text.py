"""The one key under which program names are compared, in a report and across reports."""

from __future__ import annotations

from pipeline.text import fold_text, loose_key, name_key, spelled_key


def test_one_key_for_the_spellings_of_a_name() -> None:
    assert name_key("the Mérida  Initiative") == name_key("Merida Initiative") == "merida initiative"
    assert name_key("la Iniciativa Mérida") == name_key("Iniciativa Merida")
    assert name_key("Plan Colombia") != name_key("Colombia")  # an article goes, a word stays
    assert name_key("UN-Habitat Safer Cities") == "un habitat safer cities"


def test_folding_keeps_letters_and_evens_out_typography() -> None:
    assert fold_text("Gov\u2010ernment’s “plan”") == "Gov-ernment's \"plan\""


def test_registry_keys_keep_punctuation_only_when_spelt() -> None:
    # the registry looks a name up as spelt first ("U.S." its own entry), then loosely
    assert spelled_key("the U.S.’s") == "u.s."
    assert spelled_key("U.S.") != spelled_key("US")
    assert loose_key("U.N.") == loose_key("UN") == "un"
    assert loose_key("UN-Habitat") == loose_key("UN Habitat")
    assert loose_key("Organización de los Estados  Americanos") == "organizacion de los estados americanos"
