"""Classifiers that decide from the codebook's cues, with their few parameters learned.

Section-wise cross-validation on the dev report showed why: a model that learns the words,
or even the class prior, learns that report's mix of hard and soft programs, and it misses
once a section it never saw comes up. These estimators read only the codebook axes, learn
no prior, and fit just the margin at which "mixed" starts and how sharp their confidence is.
They fit and predict with plain Python and NumPy: nothing clones or tunes them, so they need no
scikit-learn base, and a run builds them from the model file as they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..nlp.actors import ActorRegistry
from .features import codebook, theme_cues_in
from .model import LABELS

MIXED_GAIN = 0.01
"""Accuracy a wider "mixed" band must add on the training records to be chosen."""
SIDE_SUPPORT = 3
SIDE_SHARE = 0.8
"""A theme off the codebook's axis joins a side when that many records, that share of them,
take it (see :meth:`AxisClassifier._learn_sides`)."""


class AxisClassifier:
    """Two-sided codebook decision (hard vs soft, transnational vs local) with a "mixed" band.

    ``positive``/``negative`` name the two labels and the example features holding their cue
    counts (``<source>:<label>``: ``text`` counts every codebook theme whose cues the words
    use, ``themes`` only the themes :class:`CueThemes` keeps); both present, each at least
    ``mixed_least_`` times (two or more: "both in substance", says the codebook) and within
    ``mixed_margin_`` of each other → mixed. Both are learned, never a class prior.
    """

    def __init__(
        self, positive: str = "hard", negative: str = "soft", mixed: str = "mixed", source: str = "text"
    ) -> None:
        self.positive = positive
        self.negative = negative
        self.mixed = mixed
        self.source = source

    def _scores(self, X: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        pos = np.array([self._side(x, self.positive) for x in X])
        return pos, np.array([self._side(x, self.negative) for x in X])

    def _side(self, x: dict[str, Any], label: str) -> float:
        """The cues of one side: the codebook's count, and the themes learned to take it."""
        learned = sum(self.sides_.get(t) == label for t in x.get("themes", ()))
        return x["features"].get(f"{self.source}:{label}", 0.0) + learned

    def _learn_sides(self, X: list[dict[str, Any]], y: list[str]) -> dict[str, str]:
        """The side of the axis each theme the codebook leaves off it takes in the training
        records ("drug policy" may go with transnational and neither hard nor soft): one
        side in at least ``SIDE_SHARE`` of ``SIDE_SUPPORT`` or more records."""
        book = codebook()
        placed = set(book.get(self.positive, ())) | set(book.get(self.negative, ()))
        seen: dict[str, list[str]] = {}
        for x, label in zip(X, y, strict=True):
            for theme in set(x.get("themes", ())) - placed:
                seen.setdefault(theme, []).append(label)
        sides = {}
        for theme, labels in seen.items():
            for side in (self.positive, self.negative):
                if len(labels) >= SIDE_SUPPORT and labels.count(side) >= SIDE_SHARE * len(labels):
                    sides[theme] = side
        return sides

    def _decide(
        self, pos: np.ndarray, neg: np.ndarray, margin: float, tie: str, least: float = 1.0
    ) -> list[str]:
        out = []
        for p, n in zip(pos, neg, strict=True):
            if p >= least and n >= least and abs(p - n) <= margin:
                out.append(self.mixed)
            elif p == n == 0:
                out.append(self.negative)
            elif p == n:
                out.append(tie)
            else:
                out.append(self.positive if p > n else self.negative)
        return out

    def fit(self, X: list[dict[str, Any]], y: list[str]) -> AxisClassifier:
        self.sides_ = self._learn_sides(X, y)
        pos, neg = self._scores(X)
        # Without cues at all the second label stands, by the codebook's definitions: hard and
        # transnational need a named threat or means of control, soft and local do not. With as
        # many cues each way the first label stands: a learned tie-break would be the training
        # report's prior again.
        self.tie_ = self.positive
        # from no "mixed" at all to the widest band; a wider band has to earn its place by
        # more than MIXED_GAIN of accuracy, or one section's few mixed records would decide it.
        # "Both in substance" takes at least two themes each way: with one each, a record's
        # passing words (a "prevention" aside in a counter-narcotics program) made it mixed,
        # which section-fold cross-validation showed wrong three times in four. Whether two
        # or three is learned: the narrower band is tried first, as a long program description
        # names a police or prevention side it does not fund
        bands = [(-1.0, 1.0), (0.0, 3.0), (1.0, 3.0), (0.0, 2.0), (1.0, 2.0)]
        best = (-1.0, -1.0, 1.0)
        for margin, least in bands:
            decided = self._decide(pos, neg, margin, self.tie_, least)
            accuracy = float(np.mean([a == b for a, b in zip(decided, y, strict=True)]))
            if accuracy > best[0] + (MIXED_GAIN if best[0] >= 0 else 0.0):
                best = (accuracy, margin, least)
        self.accuracy_, self.mixed_margin_, self.mixed_least_ = best
        self.classes_ = np.array([self.positive, self.negative, self.mixed])
        return self

    def predict(self, X: list[dict[str, Any]]) -> np.ndarray:
        pos, neg = self._scores(X)
        return np.array(self._decide(pos, neg, self.mixed_margin_, self.tie_, self.mixed_least_))

    def predict_proba(self, X: list[dict[str, Any]]) -> np.ndarray:
        """The decided label gets its share by how clear the cue difference is."""
        pos, neg = self._scores(X)
        labels = self.predict(X)
        proba = np.full((len(X), 3), 0.0)
        for i, label in enumerate(labels):
            clarity = 1.0 - np.exp(-abs(pos[i] - neg[i]) - 0.5 * (pos[i] + neg[i]))
            top = 0.45 + 0.5 * clarity
            proba[i] = (1.0 - top) / 2
            proba[i, list(self.classes_).index(label)] = top
        return proba


def with_theme_axes(examples: list[dict[str, Any]], themes: list[list[tuple[str, float]]]) -> None:
    """Add ``themes:<axis>`` counts (the chosen themes pooled into the codebook's axes) and
    the chosen themes themselves."""
    book = codebook()
    for example, chosen in zip(examples, themes, strict=True):
        names = {t for t, _ in chosen}
        example["themes"] = sorted(names)  # for the themes off the axes (AxisClassifier)
        for axis in ("hard", "soft", "transnational", "local"):
            example["features"][f"themes:{axis}"] = float(len(names & set(book[axis])))


class CueThemes:
    """Themes whose codebook cue words the record uses, keeping only cues that held up.

    ``fit`` estimates the precision of each cue word of each theme on the training records
    ("police" for police reform fires on any police mention, "police reform" seldom wrongly)
    and drops the cues right less often than ``min_precision``; a theme is predicted when a
    cue it keeps fires, as sure as its surest such cue. The codebook is the prior: each
    estimate starts at ``prior_precision`` worth ``prior_weight`` records, so a cue the
    training records barely cover (a report section it never saw) is kept, and only cues that
    keep firing on other records lose it. ``precision_``: "theme|cue" → estimate.
    """

    def __init__(
        self, min_precision: float = 0.3, prior_precision: float = 0.6, prior_weight: float = 5.0
    ) -> None:
        self.min_precision = min_precision
        self.prior_precision = prior_precision
        self.prior_weight = prior_weight

    def fit(self, X: list[dict[str, Any]], y: list[list[str]]) -> CueThemes:
        hits: dict[tuple[str, str], list[int]] = {}
        for x, gold in zip(X, y, strict=True):
            for theme, cue in theme_cues_in(x["text"]):
                hits.setdefault((theme, cue), []).append(int(theme in gold))
        prior = self.prior_precision * self.prior_weight
        self.precision_ = {
            f"{t}|{c}": float((sum(v) + prior) / (len(v) + self.prior_weight)) for (t, c), v in hits.items()
        }
        return self

    def predict(self, X: list[dict[str, Any]]) -> list[list[tuple[str, float]]]:
        out = []
        for x in X:
            best: dict[str, float] = {}
            for theme, cue in theme_cues_in(x["text"]):
                p = self.precision_.get(f"{theme}|{cue}", self.prior_precision)
                if p >= self.min_precision and p > best.get(theme, 0.0):
                    best[theme] = p
            out.append(sorted(best.items()))
        return out


KIND = "provider_kind:"
"""The record feature naming the modality the codebook reads off who provides."""


class ProviderModality:
    """Modality as the codebook reads it off who provides (:func:`modality_from_funders`), with
    how the training records code each kind of provider learned on top of that reading.

    Left to a model that weighs the provider's kind as one feature among others, the modality
    was the training reports' prior: fitted on fact sheets whose programs are all bilateral, it
    called a World Bank loan or an OAS commission bilateral too. Here the kind decides, as the
    codebook says, unless the training records code that kind otherwise: ``rates_[kind]`` is
    the share of each label among the training records of that kind, starting from the
    codebook's reading worth ``prior_weight`` records (a kind the training never saw keeps it;
    countries beside a multilateral body may turn out triangular). Where the registry knows no
    provider, the ``fallback`` model (fitted beforehand, or one label) decides.
    """

    def __init__(self, fallback: Any = None, prior_weight: float = 5.0) -> None:
        self.fallback = fallback
        self.prior_weight = prior_weight

    @staticmethod
    def _kind(x: dict[str, Any]) -> str | None:
        kinds = [f.split(":", 1)[1] for f, v in x["features"].items() if f.startswith(KIND) and v]
        return kinds[0] if kinds else None

    def fit(self, X: list[dict[str, Any]], y: list[str]) -> ProviderModality:
        self.classes_ = np.array(list(LABELS["modality"]))
        counts: dict[str, np.ndarray] = {}
        for x, label in zip(X, y, strict=True):
            kind = self._kind(x)
            if kind is not None and label in LABELS["modality"]:
                counts.setdefault(kind, np.zeros(len(self.classes_)))[list(self.classes_).index(label)] += 1
        self.rates_: dict[str, list[float]] = {}
        for kind in LABELS["modality"]:
            seen = counts.get(kind, np.zeros(len(self.classes_)))
            prior = (self.classes_ == kind).astype(float) * self.prior_weight
            self.rates_[kind] = [float(v) for v in (seen + prior) / (seen.sum() + self.prior_weight)]
        return self

    def predict_proba(self, X: list[dict[str, Any]]) -> np.ndarray:
        proba = np.zeros((len(X), len(self.classes_)))
        unknown = []
        for n, x in enumerate(X):
            kind = self._kind(x)
            if kind is not None and kind in self.rates_:
                proba[n] = self.rates_[kind]
            else:
                unknown.append(n)
        if unknown:
            proba[unknown] = self._fallback_proba([X[n] for n in unknown])
        return proba

    def _fallback_proba(self, X: list[dict[str, Any]]) -> np.ndarray:
        labels = list(self.classes_)
        if isinstance(self.fallback, str):
            return np.tile((self.classes_ == self.fallback).astype(float), (len(X), 1))
        own = list(self.fallback.classes_)
        found = self.fallback.predict_proba(X)
        out = np.zeros((len(X), len(labels)))
        for column, label in enumerate(own):
            if label in labels:
                out[:, labels.index(label)] = found[:, column]
        return out

    def predict(self, X: list[dict[str, Any]]) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


SOUTH = "Latin America"
"""The region whose member countries' cooperation with each other is south-south."""


def modality_from_funders(funders: list[str], registry: ActorRegistry) -> str | None:
    """The codebook's modality read off who provides: a regional body → regional; a
    multilateral body → multilateral; countries (and their agencies) → bilateral, or
    south-south when every providing country is Latin American; an NGO or a foundation →
    non-governmental; a firm → private. None when no funder is known to the registry (the
    learned model decides then).

    Triangular is not read off the funders: a country beside a multilateral body or a northern
    donor among predicted funders is more often a recipient read as a provider than a partner.
    """
    types: set[str] = set()
    countries: set[str] = set()
    for name in funders:
        actor = registry.get(name)
        if actor is None:
            continue
        country = registry.country_of(actor.canonical)
        if country is not None:
            countries.add(country)
            types.add("country")
        else:
            types.add(actor.type)
    if not types:
        return None
    if "regional body" in types:
        return "regional"
    if "multilateral" in types:
        return "multilateral"
    if countries:
        south = set(registry.members_of(SOUTH))
        return "south-south" if countries <= south else "bilateral"
    if "non-governmental" in types:
        return "non-governmental"
    if "private" in types:
        return "private"
    return None
