"""The scikit-learn models of the records stage, built from one set of parts.

Every model reads examples of one shape, ``{"text": str, "features": dict}``: the words go
through TF-IDF, the mention features (actor types, money, years, cues) through a
DictVectorizer, and a calibrated logistic regression sits on top, so every prediction comes
with a probability that means what it says. Models are stored as arrays and JSON, never pickle
(:mod:`.store`).

Fitting is scikit-learn's, here; predicting is written once, in :mod:`.predict`: the classes here
inherit it, and a run predicts with its twins of scikit-learn's estimators, without importing
scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from . import predict
from .predict import Example


class TextOf(predict.TextOf, BaseEstimator, TransformerMixin):
    """Selects the text of each example (a Pipeline step with no learned state)."""

    def fit(self, X: list[Example], y: Any = None) -> TextOf:
        return self


class FeaturesOf(predict.FeaturesOf, BaseEstimator, TransformerMixin):
    """Selects the mention-feature dictionary of each example."""

    def fit(self, X: list[Example], y: Any = None) -> FeaturesOf:
        return self


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


class BoostedTrees(predict.BoostedTrees, BaseEstimator, ClassifierMixin):
    """Gradient-boosted trees for a binary decision, kept as plain arrays.

    A linear model adds its features up; a cooperation statement is a conjunction (a provider
    *and* a cooperation verb *and* a place *and* security words), and which conjunctions count
    holds across authors where word weights do not. scikit-learn's histogram gradient boosting
    fits the trees; the fitted trees are then kept as arrays (feature, threshold, children, leaf
    value per node) and walked with NumPy, so that the model file holds numbers only and
    predicting needs none of the fitting machinery (its loss objects, random generators and
    binning). ``early_stopping=False``: scikit-learn would otherwise hold out a random tenth of
    the examples above 10,000, and a refit would differ.
    """

    def __init__(
        self,
        learning_rate: float = 0.05,
        max_iter: int = 200,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization

    def fit(self, X: np.ndarray, y: list[Any], sample_weight: np.ndarray | None = None) -> BoostedTrees:
        fitted = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            class_weight="balanced",
            early_stopping=False,
            random_state=0,
        ).fit(X, y, sample_weight=sample_weight)
        if len(fitted.classes_) != 2:
            raise ValueError("BoostedTrees decides between two classes")
        self.classes_ = fitted.classes_
        self.baseline_ = float(np.ravel(fitted._baseline_prediction)[0])
        nodes = [tree.nodes for trees in fitted._predictors for tree in trees]
        self.tree_starts_ = np.cumsum([0] + [len(n) for n in nodes[:-1]]).astype(np.int64)
        every = np.concatenate(nodes)
        self.feature_ = every["feature_idx"].astype(np.int64)
        self.threshold_ = every["num_threshold"].astype(np.float64)
        self.left_ = every["left"].astype(np.int64)
        self.right_ = every["right"].astype(np.int64)
        self.is_leaf_ = every["is_leaf"].astype(bool)
        self.value_ = every["value"].astype(np.float64)
        return self


def feature_trees(**params: Any) -> Pipeline:
    """Mention features → :class:`BoostedTrees` (detection, beside the words' model)."""
    return Pipeline(
        [
            ("inputs", Pipeline([("select", FeaturesOf()), ("vectorize", DictVectorizer(sparse=False))])),
            ("model", BoostedTrees(**params)),
        ]
    )


class Blend(predict.Blend, BaseEstimator, ClassifierMixin):
    """The mean of its estimators' class probabilities (each fitted on the same examples).

    The detector blends the words-and-features logistic regression with :func:`feature_trees`:
    the words learn an author's phrasing, the trees which conjunctions of mentions state an
    intervention, and each is wrong on other sentences. Held out one report at a time, with
    every report weighing the same, sentence detection F1 rose from 0.555 (the regression alone)
    to 0.60 with the mean: higher on every report but one fact sheet (0.59 → 0.57)."""

    def __init__(self, estimators: list[Any] | None = None) -> None:
        self.estimators = estimators

    def fit(self, X: list[Example], y: list[int], sample_weight: np.ndarray | None = None) -> Blend:
        self.estimators_ = [fit_or_constant(clone(e), X, y, sample_weight) for e in self.estimators or []]
        self.classes_ = np.array(sorted(set(y)))
        return self


def fit_or_constant(
    model: Pipeline, X: list[Example], y: list[Any], sample_weight: np.ndarray | None = None
) -> Pipeline | str:
    """Fit, or fall back to the single class when the labels leave nothing to learn.
    ``sample_weight`` goes to the pipeline's final step."""
    classes = sorted(set(y))
    if len(classes) == 1:
        return classes[0]
    counts = np.bincount([classes.index(v) for v in y])
    if counts.min() < 3 and isinstance(model.named_steps["model"], CalibratedClassifierCV):
        model.set_params(model=model.named_steps["model"].estimator)  # too few to calibrate by CV
    if sample_weight is None:
        return model.fit(X, y)
    return model.fit(X, y, model__sample_weight=sample_weight)


CODEBOOK_SHAPES = ("named_security_program", "cooperation_statement", "provider_on_security")
"""Sentence shapes RECORDS.md defines an intervention by (cooperation for security, with a name
or an identifiable provider): a program named in a sentence on security; a registered actor doing
a cooperation verb towards a place on a security matter; a registered actor doing a cooperation
verb in a sentence on security that denies nothing. (Money with an actor on security was tried
as a fourth: detection rose a little more, but the extra sentences it kept joined the wrong
records of the seed's tabled programs, and amounts fell from 0.88 to 0.61.)"""


class ShapeBackoff(predict.ShapeBackoff, BaseEstimator, ClassifierMixin):
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

    def fit(self, X: list[Example], y: list[int], sample_weight: np.ndarray | None = None) -> ShapeBackoff:
        if isinstance(self.estimator, Pipeline):
            self.estimator_ = fit_or_constant(clone(self.estimator), X, y, sample_weight)
        else:
            self.estimator_ = clone(self.estimator).fit(X, y, sample_weight=sample_weight)
        labels = np.asarray(y, dtype=float)
        weights = np.ones(len(labels)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        overall = float(np.average(labels, weights=weights)) if len(labels) else 0.0
        self.rates_: dict[str, float] = {}
        for shape in self.shapes:
            mask = np.array([bool(x["features"].get(shape)) for x in X], dtype=bool)
            # weighted counts, in units of an average example
            positives = float((labels * weights)[mask].sum()) / weights.mean() if len(labels) else 0.0
            count = float(weights[mask].sum()) / weights.mean() if len(labels) else 0.0
            self.rates_[shape] = (positives + self.smoothing * overall) / (count + self.smoothing)
        self.classes_ = np.array([0, 1])
        return self
