"""The codebook classifiers: they learn a margin, never a prior."""

from __future__ import annotations

from pipeline.nlp.actors import ActorRegistry
from pipeline.records.cues import (
    AxisClassifier,
    CueThemes,
    ProviderModality,
    modality_from_funders,
    with_theme_axes,
)
from pipeline.records.examples import codebook_features, with_provider_kind


def example(text: str) -> dict:
    return {"text": text, "features": codebook_features(text, "text")}


HARD = example("interdiction of cocaine shipments and counter-narcotics helicopters for the armed forces")
SOFT = example("youth violence prevention and community policing in poor neighborhoods")
BOTH = example("counter-narcotics interdiction alongside youth violence prevention programs")
NONE = example("a meeting was held")


def test_axis_classifier_decides_from_cues_not_from_the_training_mix() -> None:
    mostly_soft = AxisClassifier("hard", "soft").fit([SOFT] * 9 + [HARD], ["soft"] * 9 + ["hard"])
    mostly_hard = AxisClassifier("hard", "soft").fit([HARD] * 9 + [SOFT], ["hard"] * 9 + ["soft"])
    for model in (mostly_soft, mostly_hard):
        assert list(model.predict([HARD, SOFT])) == ["hard", "soft"]
        # no cue either way: not hard, by the codebook (hard needs a named means of control)
        assert model.predict([NONE])[0] == "soft"
    proba = mostly_soft.predict_proba([HARD, NONE])
    assert proba.shape == (2, 3) and abs(proba.sum(axis=1) - 1).max() < 1e-9
    assert proba[0].max() > proba[1].max()  # clear cues give more confidence than none


def test_axis_classifier_learns_when_mixed_starts() -> None:
    model = AxisClassifier("hard", "soft").fit([HARD, SOFT, BOTH, BOTH], ["hard", "soft", "mixed", "mixed"])
    assert model.predict([BOTH])[0] == "mixed"
    never = AxisClassifier("hard", "soft").fit([HARD, SOFT, BOTH], ["hard", "soft", "hard"])
    assert never.predict([BOTH])[0] != "mixed"


def test_cue_themes_keep_cues_that_held_up() -> None:
    model = CueThemes(min_precision=0.5).fit(
        [HARD, SOFT, BOTH], [["counter-narcotics"], ["youth", "violence-prevention"], ["counter-narcotics"]]
    )
    predicted = [t for t, _ in model.predict([HARD])[0]]
    assert "counter-narcotics" in predicted
    assert all(0.5 <= p <= 1 for _, p in model.predict([BOTH])[0])


def test_axes_can_read_the_themes_kept_instead_of_every_cue() -> None:
    # "police" cues a local theme; when that theme did not hold up in training it stops
    # pulling a counter-narcotics record towards local
    text = example("police helicopters for counter-narcotics interdiction of cocaine shipments")
    themes = CueThemes(min_precision=0.5).fit([text, text], [["counter-narcotics"], ["counter-narcotics"]])
    kept = [dict(text, features=dict(text["features"]))]
    with_theme_axes(kept, themes.predict(kept))
    assert kept[0]["features"]["themes:transnational"] >= 1
    assert kept[0]["features"]["themes:local"] == 0
    model = AxisClassifier("transnational", "local", source="themes").fit(kept, ["transnational"])
    assert model.predict(kept)[0] == "transnational"


def test_modality_follows_who_provides() -> None:
    registry = ActorRegistry.load()
    assert modality_from_funders(["United States", "USAID"], registry) == "bilateral"
    assert modality_from_funders(["Colombia"], registry) == "south-south"
    assert modality_from_funders(["Brazil", "Chile"], registry) == "south-south"
    assert modality_from_funders(["Colombia", "United States"], registry) == "bilateral"
    assert modality_from_funders(["Brazil", "United Nations"], registry) == "multilateral"
    assert modality_from_funders(["Inter-American Development Bank"], registry) == "multilateral"
    assert modality_from_funders(["Organization of American States"], registry) == "regional"
    assert modality_from_funders(["Some Unknown Trust"], registry) is None


def funded_by(*funders: str) -> dict:
    record = example("police training and equipment")
    with_provider_kind(record, list(funders))
    return record


def test_modality_is_the_providers_kind_unless_training_codes_that_kind_otherwise() -> None:
    # fact sheets whose programs are all bilateral teach no prior for the kinds they lack
    us = funded_by("United States", "USAID")
    model = ProviderModality(fallback="bilateral").fit([us] * 30, ["bilateral"] * 30)
    oas, bank = funded_by("Organization of American States"), funded_by("World Bank")
    assert list(model.predict([oas, bank, us])) == ["regional", "multilateral", "bilateral"]
    # no provider the registry knows: the fallback decides
    assert list(model.predict([funded_by("Some Unknown Trust")])) == ["bilateral"]
    # a kind the training records keep coding otherwise follows them
    pair = funded_by("Brazil", "United Nations")  # read as multilateral
    learned = ProviderModality(fallback="bilateral").fit([pair] * 8, ["triangular"] * 8)
    assert list(learned.predict([pair])) == ["triangular"]
    few = ProviderModality(fallback="bilateral").fit([pair] * 2, ["triangular"] * 2)
    assert list(few.predict([pair])) == ["multilateral"]  # two records do not outweigh the codebook


def test_cue_themes_keep_the_codebook_where_training_is_thin() -> None:
    police = example("police officers were trained in interdiction of cocaine shipments")
    model = CueThemes().fit([police] * 20, [["counter-narcotics"]] * 20)
    arms = example("a small arms destruction program and firearm marking")
    kept = [t for t, _ in model.predict([arms, police])[0] + model.predict([police])[0]]
    assert "arms-control" in kept  # never seen in training: the codebook cue stands
    assert "police-reform" not in kept  # fired on twenty records that were never police reform


def test_axis_classifier_learns_that_one_cue_each_way_is_not_yet_mixed() -> None:
    one_each = example("counter-narcotics support and youth programs")
    both = example(
        "counter-narcotics interdiction and border control with youth violence prevention and police reform"
    )
    model = AxisClassifier("hard", "soft").fit(
        [one_each, one_each, both, both, HARD, SOFT], ["hard", "hard", "mixed", "mixed", "hard", "soft"]
    )
    assert model.mixed_least_ == 2
    assert list(model.predict([one_each, both])) == ["hard", "mixed"]


def test_axis_classifier_learns_that_two_cues_each_way_may_still_lean_one_way() -> None:
    # a counter-narcotics program with a prevention aside and a police mention is hard;
    # only a record whose soft half is as broad as its hard half is mixed
    two_each = example("counter-narcotics interdiction of cocaine with police training and prevention talks")
    three_each = example(
        "counter-narcotics, border interdiction and arms control alongside youth violence prevention"
        " and prison reform"
    )
    model = AxisClassifier("hard", "soft").fit(
        [two_each] * 3 + [three_each] * 2 + [HARD, SOFT], ["hard"] * 3 + ["mixed"] * 2 + ["hard", "soft"]
    )
    assert model.mixed_least_ == 3
    assert list(model.predict([two_each, three_each])) == ["hard", "mixed"]


def test_a_mixed_band_must_earn_its_place() -> None:
    few = AxisClassifier("hard", "soft").fit(
        [HARD] * 100 + [SOFT] * 100 + [BOTH] * 3, ["hard"] * 100 + ["soft"] * 100 + ["mixed", "mixed", "hard"]
    )
    assert few.predict([BOTH])[0] == "hard"  # two mixed records in 203 do not open a band


def test_one_theme_each_way_is_never_mixed_whatever_the_training_says() -> None:
    one_each = example("counter-narcotics support and youth programs")
    labels = ["mixed"] * 6 + ["hard", "soft"]
    model = AxisClassifier("hard", "soft").fit([one_each] * 6 + [HARD, SOFT], labels)
    assert model.predict([one_each])[0] != "mixed"


def _with_themes(themes: list[str]) -> dict:
    return {"text": "", "features": {"themes:transnational": 0.0, "themes:local": 0.0}, "themes": themes}


def test_axis_classifier_learns_the_side_of_a_theme_the_codebook_leaves_off_it() -> None:
    policy = _with_themes(["drug-policy"])
    records = [policy] * 4 + [_with_themes(["violence-prevention"])]
    model = AxisClassifier("transnational", "local", source="themes").fit(
        records, ["transnational"] * 3 + ["local", "local"]
    )
    assert model.sides_ == {}  # three of four is short of the share a side needs
    model = AxisClassifier("transnational", "local", source="themes").fit(
        records, ["transnational"] * 4 + ["local"]
    )
    assert model.sides_ == {"drug-policy": "transnational"}
    assert model.predict([policy, _with_themes(["human-rights"])]).tolist() == ["transnational", "local"]


def test_cue_themes_drop_a_loose_cue_word_but_keep_the_themes_sharper_ones() -> None:
    # "police" fired on twenty records that were not police reform; "law enforcement" held up
    loose = example("police commissions exchange intelligence on cocaine shipments")
    sharp = example("training of police and law enforcement officers in Honduras")
    labels = [["counter-narcotics"]] * 20 + [["police-reform"]] * 3
    model = CueThemes().fit([loose] * 20 + [sharp] * 3, labels)
    assert "police-reform" not in [t for t, _ in model.predict([loose])[0]]
    assert "police-reform" in [t for t, _ in model.predict([sharp])[0]]
