"""The scikit-learn models of the records stage, built from one set of parts.

Every model reads examples of one shape, ``{"text": str, "features": dict}``: the words go
through TF-IDF, the mention features (actor types, money, years, cues) through a
DictVectorizer, and a calibrated logistic regression sits on top, so every prediction comes
with a probability that means what it says. Models are stored with skops, never pickle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

Example = dict[str, Any]
Model = Pipeline | str
"""A fitted pipeline, or the one label training left (nothing to learn)."""


class TextOf(BaseEstimator, TransformerMixin):
    """Selects the text of each example (a Pipeline step with no learned state)."""

    def fit(self, X: list[Example], y: Any = None) -> TextOf:
        return self

    def transform(self, X: list[Example]) -> list[str]:
        return [x["text"] for x in X]


class FeaturesOf(BaseEstimator, TransformerMixin):
    """Selects the mention-feature dictionary of each example."""

    def fit(self, X: list[Example], y: Any = None) -> FeaturesOf:
        return self

    def transform(self, X: list[Example]) -> list[dict[str, Any]]:
        return [x["features"] for x in X]


def _inputs(max_features: int, ngram_max: int) -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                Pipeline(
                    [
                        ("select", TextOf()),
                        (
                            "tfidf",
                            TfidfVectorizer(
                                ngram_range=(1, ngram_max),
                                min_df=2,
                                max_features=max_features,
                                sublinear_tf=True,
                                strip_accents="unicode",
                            ),
                        ),
                    ]
                ),
            ),
            ("mentions", Pipeline([("select", FeaturesOf()), ("vectorize", DictVectorizer())])),
        ]
    )


def classifier(
    c: float = 1.0,
    max_features: int = 5000,
    ngram_max: int = 2,
    calibrate: bool = True,
    words: bool = True,
    balanced: bool = True,
    intercept: bool = True,
) -> Pipeline:
    """Text + mentions → calibrated class probabilities (detection, hard/soft, scope, modality, roles).

    ``words=False`` reads the mention features only (the kind classifiers: see
    :func:`pipeline.records.examples.record_example`). ``intercept=False`` leaves out the
    class prior: a report's mix of hard and soft programs is not the next report's, so the
    kind classifiers decide from the cues alone.
    """
    model: Any = LogisticRegression(
        C=c, class_weight="balanced" if balanced else None, fit_intercept=intercept, max_iter=3000
    )
    if calibrate:
        model = CalibratedClassifierCV(model, cv=3, method="sigmoid")
    inputs: Any = (
        _inputs(max_features, ngram_max)
        if words
        else Pipeline([("select", FeaturesOf()), ("vectorize", DictVectorizer())])
    )
    return Pipeline([("inputs", inputs), ("model", model)])


def fit_or_constant(model: Pipeline, X: list[Example], y: list[str]) -> Pipeline | str:
    """Fit, or fall back to the single class when the labels leave nothing to learn."""
    classes = sorted(set(y))
    if len(classes) == 1:
        return classes[0]
    counts = np.bincount([classes.index(v) for v in y])
    if counts.min() < 3 and isinstance(model.named_steps["model"], CalibratedClassifierCV):
        model.set_params(model=model.named_steps["model"].estimator)  # too few to calibrate by CV
    return model.fit(X, y)


def probabilities(model: Model, examples: list[dict[str, Any]], positive: Any) -> list[float]:
    """P(positive) for each example; a constant model says 1 or 0."""
    if not examples:
        return []
    if isinstance(model, str):
        return [1.0 if model == positive else 0.0] * len(examples)
    proba = model.predict_proba(examples)
    classes = list(model.classes_)
    if positive not in classes:
        return [0.0] * len(examples)
    return [float(p) for p in proba[:, classes.index(positive)]]


def predict_labels(model: Model, examples: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """Most probable label and its probability, per example."""
    if not examples:
        return []
    if isinstance(model, str):
        return [(model, 1.0)] * len(examples)
    proba = model.predict_proba(examples)
    classes = list(model.classes_)
    best = proba.argmax(axis=1)
    return [(str(classes[b]), float(proba[i, b])) for i, b in enumerate(best)]


CODEBOOK_SHAPES = ("named_security_program", "cooperation_statement", "provider_on_security")
"""Sentence shapes RECORDS.md defines an intervention by (cooperation for security, with a name
or an identifiable provider): a program named in a sentence on security; a registered actor doing
a cooperation verb towards a place on a security matter; a registered actor doing a cooperation
verb in a sentence on security that denies nothing. (Money with an actor on security was tried
as a fourth: detection rose a little more, but the extra sentences it kept joined the wrong
records of the seed's tabled programs, and amounts fell from 0.88 to 0.61.)"""


class ShapeBackoff(BaseEstimator, ClassifierMixin):
    """A binary classifier that backs off to the codebook where its words are less sure.

    The word model learns one report's phrasing; the codebook's shapes (:data:`CODEBOOK_SHAPES`)
    hold in any report, but a logistic regression weighs a rare feature little next to a
    thousand words. So each shape has its own learned rate — the share of training sentences of
    that shape that state an intervention, smoothed towards the overall rate — and a sentence of
    that shape is given at least that probability. Both parts are fitted; nothing is set by hand.
    """

    def __init__(
        self, estimator: Any = None, shapes: tuple[str, ...] = CODEBOOK_SHAPES, smoothing: float = 5.0
    ) -> None:
        self.estimator = estimator
        self.shapes = shapes
        self.smoothing = smoothing

    def fit(self, X: list[Example], y: list[int]) -> ShapeBackoff:
        self.estimator_ = fit_or_constant(clone(self.estimator), X, y)
        labels = np.asarray(y, dtype=float)
        overall = float(labels.mean()) if len(labels) else 0.0
        self.rates_: dict[str, float] = {}
        for shape in self.shapes:
            mask = np.array([bool(x["features"].get(shape)) for x in X], dtype=bool)
            positives, count = float(labels[mask].sum()), int(mask.sum())
            self.rates_[shape] = (positives + self.smoothing * overall) / (count + self.smoothing)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: list[Example]) -> np.ndarray:
        base = np.array(probabilities(self.estimator_, X, 1))
        backoff = np.array(
            [max((self.rates_[s] for s in self.shapes if x["features"].get(s)), default=0.0) for x in X]
        )
        positive = np.maximum(base, backoff) if len(X) else base
        return np.column_stack([1.0 - positive, positive])
