"""The detector's back-off to the codebook's shapes."""

from __future__ import annotations

import numpy as np

from pipeline.records.models import ShapeBackoff, classifier, probabilities


def _example(text: str, named: int) -> dict:
    return {"text": text, "features": {"named_security_program": named, "cooperation_statement": 0}}


def test_a_shape_s_learned_rate_backs_off_the_word_model() -> None:
    # in training, sentences naming a program mostly state interventions, whatever their words
    X = [_example(f"critics said the plan number {n} was talk", 1) for n in range(9)]
    X += [_example("critics said the weather was fine", 0) for _ in range(30)]
    X += [_example(f"the agency funded training of police officers {n}", 0) for n in range(10)]
    y = [1] * 8 + [0] + [0] * 30 + [1] * 10
    model = ShapeBackoff(classifier(calibrate=False), smoothing=5.0).fit(X, y)
    overall = np.mean(y)
    assert model.rates_["named_security_program"] == (8 + 5 * overall) / (9 + 5)
    unseen = [_example("observers wrote that the plan was discussed", 1), _example("observers wrote", 0)]
    base = probabilities(model.estimator_, unseen, 1)
    named, plain = model.predict_proba(unseen)[:, 1]
    rate = model.rates_["named_security_program"]
    assert named == max(base[0], rate) and named >= rate
    assert plain == base[1]  # no shape: the word model's own probability
    assert list(model.classes_) == [0, 1]
