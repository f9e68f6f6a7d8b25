"""The codebook classifiers: they learn a margin, never a prior."""

from __future__ import annotations

from pipeline.records.cues import AxisClassifier, CueThemes
from pipeline.records.examples import codebook_features


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
        assert model.predict([NONE])[0] == "hard"  # no cue either way: the codebook's first label
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
