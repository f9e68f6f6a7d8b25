"""The detector's back-off to the codebook's shapes."""

from __future__ import annotations

import numpy as np

from pipeline.records.models import ShapeBackoff, classifier
from pipeline.records.predict import probabilities


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


def test_a_blend_averages_what_its_models_say() -> None:
    from pipeline.records.models import Blend, feature_trees

    def example(n: int, states: bool) -> dict:
        does = {"actor_does": 1, "security_terms": 2} if states else {"anti_cues": 1}
        words = "agency funded police training" if states else "critics said"
        return {"text": f"{words} {n}", "features": does}

    X = [example(n, n % 3 == 0) for n in range(90)]
    y = [int(n % 3 == 0) for n in range(90)]
    blend = Blend([classifier(calibrate=False), feature_trees(min_samples_leaf=5)]).fit(X, y)
    unseen = [example(1000, True), example(1001, False)]
    words, trees = (m.predict_proba(unseen) for m in blend.estimators_)
    assert np.allclose(blend.predict_proba(unseen), (words + trees) / 2)
    stating, not_stating = blend.predict_proba(unseen)[:, 1]
    assert stating > 0.5 > not_stating
    # each of its models predicts once for all classes, not once per class
    calls: list[int] = []
    for model in blend.estimators_:
        predict = model.predict_proba
        model.predict_proba = lambda rows, predict=predict: calls.append(len(rows)) or predict(rows)
    assert np.array_equal(blend.predict_proba(unseen), (words + trees) / 2) and calls == [2, 2]
    # sample weights reach both models: weighting the stating examples down lowers their probability
    light = Blend([classifier(calibrate=False), feature_trees(min_samples_leaf=5)]).fit(
        X, y, sample_weight=np.array([0.05 if label else 1.0 for label in y])
    )
    assert light.predict_proba(unseen)[0, 1] < stating


def test_every_report_weighs_the_same_in_training() -> None:
    from pipeline.records.train import report_weights

    # a long study in two renderings (one report) and a short fact sheet
    weights = report_weights(["study"] * 600 + ["sheet"] * 20)
    assert len(weights) == 620 and np.isclose(weights.mean(), 1.0)
    assert np.isclose(weights[:600].sum(), weights[600:].sum())
    assert len(report_weights([])) == 0


def test_boosted_trees_predict_as_scikit_learn_s_trees_from_plain_arrays() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from pipeline.records.models import BoostedTrees

    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, size=(400, 6)).astype(float)
    y = ((X[:, 0] > 1) & (X[:, 3] < 2)).astype(int)  # a conjunction
    weights = rng.uniform(0.5, 2.0, size=400)
    trees = BoostedTrees(max_iter=50).fit(X, y, sample_weight=weights)
    reference = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=50, max_leaf_nodes=15, min_samples_leaf=20, l2_regularization=1.0,
        class_weight="balanced", early_stopping=False, random_state=0,
    ).fit(X, y, sample_weight=weights)  # fmt: skip
    unseen = rng.integers(0, 4, size=(100, 6)).astype(float)
    assert np.allclose(trees.predict_proba(unseen), reference.predict_proba(unseen), atol=1e-12)
    learned = {k: v for k, v in vars(trees).items() if k.endswith("_") and k != "baseline_"}
    assert all(isinstance(v, np.ndarray) for v in learned.values())  # a model file of numbers
