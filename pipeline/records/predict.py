"""Predicting with the records stage's fitted models, with NumPy alone.

A run only predicts, and importing scikit-learn and SciPy to do so took about a second of every
run's start. So a run builds the model file's estimators as the twins below (see
:mod:`.store`): each holds the learned state scikit-learn saved, under scikit-learn's names
(``coef_``, ``idf_``, ``vocabulary_``), and computes ``transform`` or ``predict_proba`` for the
settings csminer trains with, in scikit-learn's order of operations, so that the probabilities
are the same floats (a test compares them on every sentence of the shipped reports). A model
file asking for settings a twin does not compute is refused when it loads.

Fitting stays with scikit-learn: the estimators of :mod:`.models` inherit their prediction from
their twins here, so it is written once.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cached_property
from numbers import Number
from typing import Any, ClassVar, Protocol

import numpy as np

Example = dict[str, Any]


class Classifier(Protocol):
    """A fitted classifier: scikit-learn's, or its twin."""

    classes_: np.ndarray

    def predict_proba(self, X: list[Example]) -> np.ndarray: ...


Model = Classifier | str
"""A fitted classifier, or the one label training left (nothing to learn)."""


def probabilities(model: Model, examples: list[Example], positive: Any) -> list[float]:
    """P(positive) for each example; a constant model says 1 or 0."""
    return [float(p) for p in class_columns(model, examples, [positive])[:, 0]]


def class_columns(model: Model, examples: list[Example], classes: list[Any]) -> np.ndarray:
    """P(c) for each example (rows) and each of ``classes`` (columns), from one prediction: what
    :func:`probabilities` gives class by class, without predicting once per class."""
    if not examples:
        return np.zeros((0, len(classes)))
    if isinstance(model, str):
        return np.array([[1.0 if model == c else 0.0 for c in classes]] * len(examples))
    proba = model.predict_proba(examples)
    own = list(model.classes_)
    none = np.zeros(len(examples))
    return np.column_stack([proba[:, own.index(c)] if c in own else none for c in classes])


def predict_labels(
    model: Model, examples: list[Example], allowed: list[frozenset[str] | None] | None = None
) -> list[tuple[str, float]]:
    """Most probable label and its probability, per example; with ``allowed``, the most probable
    of the labels an example may take (None: any)."""
    if not examples:
        return []
    if isinstance(model, str):
        return [(model, 1.0)] * len(examples)
    proba = model.predict_proba(examples)
    classes = list(model.classes_)
    choosable = proba
    if allowed is not None:
        admits = np.array([[a is None or c in a for c in classes] for a in allowed], dtype=bool)
        choosable = np.where(admits, proba, -1.0)
    best = choosable.argmax(axis=1)
    return [(str(classes[b]), float(proba[i, b])) for i, b in enumerate(best)]


# --- the inputs: sparse rows, words, mention features ---------------------------------------------


class SparseRows:
    """A sparse matrix as its stored cells (row, column, value), each row's cells in the order a
    scikit-learn CSR matrix holds them: sums along a row are added up in that order, as SciPy's."""

    def __init__(
        self, shape: tuple[int, int], row: np.ndarray, column: np.ndarray, value: np.ndarray
    ) -> None:
        self.shape = shape
        self.row = row
        self.column = column
        self.value = value

    @classmethod
    def of(cls, rows: list[list[tuple[int, float]]], width: int) -> SparseRows:
        """The matrix whose row ``i`` holds the (column, value) cells ``rows[i]``."""
        return cls(
            (len(rows), width),
            np.repeat(np.arange(len(rows), dtype=np.int64), [len(cells) for cells in rows]),
            np.array([c for cells in rows for c, _ in cells], dtype=np.int64),
            np.array([v for cells in rows for _, v in cells], dtype=np.float64),
        )

    def __len__(self) -> int:
        return self.shape[0]

    def row_sums(self, values: np.ndarray) -> np.ndarray:
        """Each row's sum of ``values`` (one per cell), added in the cells' order from 0."""
        return np.bincount(self.row, weights=values, minlength=len(self))

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``X @ weights.T`` for (classes × columns) weights: one column per class."""
        return np.stack([self.row_sums(self.value * w[self.column]) for w in weights], axis=1)

    @classmethod
    def hstack(cls, parts: list[SparseRows]) -> SparseRows:
        """The parts side by side: a row's cells of the first part, then of the next."""
        offsets = np.cumsum([0] + [p.shape[1] for p in parts[:-1]])
        return cls(
            (len(parts[0]), sum(p.shape[1] for p in parts)),
            np.concatenate([p.row for p in parts]),
            np.concatenate([p.column + offset for p, offset in zip(parts, offsets, strict=True)]),
            np.concatenate([p.value for p in parts]),
        )


class _Fitted:
    """A twin of a scikit-learn estimator, built from a model file: the state saved, checked
    against the settings the twin computes (``COMPUTED``: setting → the values it handles)."""

    COMPUTED: ClassVar[dict[str, tuple[Any, ...]]] = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        computed = self.COMPUTED
        other = {name: state.get(name) for name in computed if state.get(name) not in computed[name]}
        if other:
            raise ValueError(f"{type(self).__name__} with settings a run does not compute: {other}")


def _strip_accents(text: str) -> str:
    """scikit-learn's ``strip_accents_unicode``: decompose, drop the combining marks."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


class TfidfVectorizer(_Fitted):
    """Words → TF-IDF: the word n-grams of the vocabulary, counted, weighted and normalised."""

    COMPUTED: ClassVar[dict[str, tuple[Any, ...]]] = {
        "input": ("content",),
        "analyzer": ("word",),
        "preprocessor": (None,),
        "tokenizer": (None,),
        "stop_words": (None,),
        "strip_accents": (None, "unicode"),
        "binary": (False,),
        "dtype": (np.float64,),
    }

    @cached_property
    def _token_pattern(self) -> re.Pattern[str]:
        return re.compile(self.token_pattern)

    def _terms(self, text: str) -> list[str]:
        """The terms scikit-learn's word analyzer reads: tokens, then each longer n-gram."""
        if self.lowercase:
            text = text.lower()
        if self.strip_accents == "unicode":
            text = _strip_accents(text)
        tokens = self._token_pattern.findall(text)
        shortest, longest = self.ngram_range
        terms = list(tokens) if shortest == 1 else []
        for n in range(max(shortest, 2), min(longest, len(tokens)) + 1):
            terms.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return terms

    def transform(self, texts: list[str]) -> SparseRows:
        rows = []
        for text in texts:
            counts: dict[int, int] = {}
            for term in self._terms(text):
                column = self.vocabulary_.get(term)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            rows.append(sorted(counts.items()))  # a CSR row's columns are sorted
        return self._tfidf.transform(SparseRows.of(rows, len(self.vocabulary_)))


class TfidfTransformer(_Fitted):
    """Counts → TF-IDF weights, each row scaled to unit length."""

    COMPUTED: ClassVar[dict[str, tuple[Any, ...]]] = {"norm": ("l2",), "use_idf": (True,)}

    def transform(self, counts: SparseRows) -> SparseRows:
        value = counts.value.copy()
        if self.sublinear_tf:
            np.log(value, out=value)
            value += 1.0
        value *= self.idf_[counts.column]
        squares = counts.row_sums(value * value)
        norms = np.sqrt(squares)
        norms[squares == 0.0] = 1.0  # an empty row stays as it is
        return SparseRows(counts.shape, counts.row, counts.column, value / norms[counts.row])


class DictVectorizer(_Fitted):
    """Feature dictionaries → one column per known feature (``name=value`` for a string value)."""

    COMPUTED: ClassVar[dict[str, tuple[Any, ...]]] = {"dtype": (np.float64,)}

    def _cells(self, features: dict[Any, Any]) -> list[tuple[int, float]]:
        cells = []
        for name, value in features.items():
            if isinstance(value, str):
                name, value = f"{name}{self.separator}{value}", 1
            elif not (isinstance(value, int | float | Number) or value is None):  # ABCs last: slower
                raise TypeError(f"feature {name}: a {type(value).__name__} value is not read")
            column = self.vocabulary_.get(name)
            if column is not None:
                cells.append((column, self.dtype(value)))
        return cells

    def transform(self, X: list[dict[Any, Any]]) -> SparseRows | np.ndarray:
        rows = [self._cells(features) for features in X]
        if self.sparse:  # a CSR row's columns are sorted
            return SparseRows.of([sorted(cells, key=lambda c: c[0]) for cells in rows], len(self.vocabulary_))
        dense = np.zeros((len(X), len(self.vocabulary_)))
        for i, cells in enumerate(rows):
            for column, value in cells:
                dense[i, column] += value
        return dense


# --- the estimators -------------------------------------------------------------------------------


def _expit(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` as SciPy's ``expit`` computes it, with the C library's ``exp`` one
    value at a time: NumPy's vectorised ``exp`` can differ from it in the last bit."""

    def logistic(v: float) -> float:
        try:
            return 1.0 / (1.0 + math.exp(-v))
        except OverflowError:  # exp(-v) beyond the largest float: 1 / inf
            return 0.0

    return np.array([logistic(v) for v in x.ravel().tolist()], dtype=np.float64).reshape(x.shape)


class LogisticRegression(_Fitted):
    def decision_function(self, X: SparseRows) -> np.ndarray:
        scores = X.dot(self.coef_) + self.intercept_
        return scores.reshape(-1) if scores.shape[1] == 1 else scores

    def predict_proba(self, X: SparseRows) -> np.ndarray:
        scores = self.decision_function(X)
        if len(self.classes_) <= 2:
            positive = _expit(scores)
            return np.stack([1 - positive, positive], axis=1)
        scores -= scores.max(axis=1).reshape(-1, 1)  # softmax, as scikit-learn's, in place
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1).reshape(-1, 1)
        return scores


class _SigmoidCalibration(_Fitted):
    def predict(self, scores: np.ndarray) -> np.ndarray:
        return _expit(-(self.a_ * scores + self.b_))


class _CalibratedClassifier(_Fitted):
    """One fold's classifier with a sigmoid per class mapping its scores to probabilities."""

    COMPUTED: ClassVar[dict[str, tuple[Any, ...]]] = {"method": ("sigmoid",)}

    def predict_proba(self, X: SparseRows) -> np.ndarray:
        scores = self.estimator.decision_function(X)
        scores = scores.reshape(-1, 1) if scores.ndim == 1 else scores
        n_classes = len(self.classes)
        positions = np.searchsorted(np.unique(self.classes), self.estimator.classes_)
        proba = np.zeros((len(X), n_classes))
        # two classes: one score and one sigmoid, for the second class (zip stops there)
        for position, column, calibrator in zip(positions, scores.T, self.calibrators, strict=False):
            proba[:, position + 1 if n_classes == 2 else position] = calibrator.predict(column)
        if n_classes == 2:
            proba[:, 0] = 1.0 - proba[:, 1]
        else:
            total = np.sum(proba, axis=1)[:, np.newaxis]
            proba = np.divide(proba, total, out=np.full_like(proba, 1 / n_classes), where=total != 0)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba


class CalibratedClassifierCV(_Fitted):
    """The mean of the folds' calibrated probabilities."""

    COMPUTED: ClassVar[dict[str, tuple[Any, ...]]] = {"method": ("sigmoid",)}

    def predict_proba(self, X: SparseRows) -> np.ndarray:
        mean = np.zeros((len(X), len(self.classes_)))
        for calibrated in self.calibrated_classifiers_:
            mean += calibrated.predict_proba(X)
        mean /= len(self.calibrated_classifiers_)
        return mean


class Pipeline(_Fitted):
    COMPUTED: ClassVar[dict[str, tuple[Any, ...]]] = {"transform_input": (None,)}

    def transform(self, X: Any) -> Any:
        for _, step in self.steps:
            X = step.transform(X)
        return X

    def predict_proba(self, X: Any) -> np.ndarray:
        for _, step in self.steps[:-1]:
            X = step.transform(X)
        return self.steps[-1][1].predict_proba(X)

    @property
    def classes_(self) -> np.ndarray:
        return self.steps[-1][1].classes_


class FeatureUnion(_Fitted):
    """Its parts' sparse columns side by side."""

    COMPUTED: ClassVar[dict[str, tuple[Any, ...]]] = {"transformer_weights": (None,)}

    def transform(self, X: list[Example]) -> SparseRows:
        return SparseRows.hstack([part.transform(X) for _, part in self.transformer_list])


# --- csminer's own estimators: what they do once fitted (.models fits them) ----------------------


class TextOf:
    """Selects the text of each example (a Pipeline step with no learned state)."""

    def transform(self, X: list[Example]) -> list[str]:
        return [x["text"] for x in X]


class FeaturesOf:
    """Selects the mention-feature dictionary of each example."""

    def transform(self, X: list[Example]) -> list[dict[str, Any]]:
        return [x["features"] for x in X]


class BoostedTrees:
    """Gradient-boosted trees for a binary decision, walked with NumPy over their node arrays."""

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The boosted score (log-odds of the second class) of each row."""
        X = np.asarray(X, dtype=np.float64)
        rows = np.arange(len(X))
        score = np.full(len(X), self.baseline_)
        for start in self.tree_starts_:
            at = np.zeros(len(X), dtype=np.int64)  # node of each row, within this tree
            while True:
                node = start + at
                inner = ~self.is_leaf_[node]
                if not inner.any():
                    break
                left = X[rows, self.feature_[node]] <= self.threshold_[node]
                at = np.where(inner, np.where(left, self.left_[node], self.right_[node]), at)
            score += self.value_[start + at]
        return score

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        positive = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - positive, positive])


class Blend:
    """The mean of its estimators' class probabilities."""

    def predict_proba(self, X: list[Example]) -> np.ndarray:
        return np.mean([class_columns(e, X, list(self.classes_)) for e in self.estimators_], axis=0)


class ShapeBackoff:
    """Its estimator's probability, raised to the learned rate of the codebook shapes a sentence has."""

    def predict_proba(self, X: list[Example]) -> np.ndarray:
        base = np.array(probabilities(self.estimator_, X, 1))
        backoff = np.array(
            [max((self.rates_[s] for s in self.shapes if x["features"].get(s)), default=0.0) for x in X]
        )
        positive = np.maximum(base, backoff) if len(X) else base
        return np.column_stack([1.0 - positive, positive])


TWINS: dict[str, type] = {
    "pipeline.records.models.Blend": Blend,
    "pipeline.records.models.BoostedTrees": BoostedTrees,
    "pipeline.records.models.FeaturesOf": FeaturesOf,
    "pipeline.records.models.ShapeBackoff": ShapeBackoff,
    "pipeline.records.models.TextOf": TextOf,
    "sklearn.calibration.CalibratedClassifierCV": CalibratedClassifierCV,
    "sklearn.calibration._CalibratedClassifier": _CalibratedClassifier,
    "sklearn.calibration._SigmoidCalibration": _SigmoidCalibration,
    "sklearn.feature_extraction._dict_vectorizer.DictVectorizer": DictVectorizer,
    "sklearn.feature_extraction.text.TfidfTransformer": TfidfTransformer,
    "sklearn.feature_extraction.text.TfidfVectorizer": TfidfVectorizer,
    "sklearn.linear_model._logistic.LogisticRegression": LogisticRegression,
    "sklearn.pipeline.FeatureUnion": FeatureUnion,
    "sklearn.pipeline.Pipeline": Pipeline,
}
"""The twin a run builds for each stored type that needs scikit-learn (store.TRUSTED_TYPES lists
them all; the codebook classifiers of :mod:`.cues` need nothing more to predict: built as they are)."""
