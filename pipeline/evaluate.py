"""Score predicted records against gold records, and explain the errors.

The figures are those of the reference scorer ``shared/eval/score.py``, re-implemented here so
that the package works without the shared folder. They must agree with it exactly: the same
text normalisation, token sets and stop words, the same overlap/Jaccard similarity with the
0.6 threshold, the same one-to-one best-first matching (candidates sorted by
``(similarity, pred index, gold index)`` descending), the same field metrics, alias table and
amount rule. ``tests/test_evaluate.py`` runs the reference scorer and compares every figure.

Three deliberate differences that change no figure:
- token sets are computed once per record instead of once per compared pair (the reference
  tokenises inside its double loop; the sets are the same, so the similarities are the same);
- documents are scored in sorted order, so ``summary["pairs"]`` is deterministic (the reference
  iterates a ``set`` of document ids, whose order depends on string hashing);
- :func:`load_jsonl` raises ValueError on a bad line where the reference exits the process.

On top of the figures it gives what error analysis needs: confusion tables for the three
label fields, per-theme precision/recall/F1, and the missed gold records and spurious
predictions with their first evidence sentence and their nearest counterpart; per document, the
counts its figures come from (:class:`Tallies`), so that figures over several documents can be
pooled again for bootstrap intervals over reports (:func:`intervals`, :func:`difference_intervals`).
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .records.model import LABELS as RECORD_LABELS
from .text import TRAILING_ACRONYM, name_key

MATCH_THRESHOLD = 0.6
"""Best evidence-pair similarity at or above which a prediction may match a gold record."""

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
STOP = frozenset(
    {
        "the", "a", "an", "of", "and", "in", "to", "for", "on", "by",
        "with", "as", "at", "its", "is", "was", "were", "be",
    }
)  # fmt: skip

SUMMARY_KEYS = (
    "detect_f1",
    "detect_precision",
    "detect_recall",
    "hard_soft_acc",
    "scope_acc",
    "modality_acc",
    "funders_f1",
    "recipients_f1",
    "themes_f1",
    "amounts_f1",
    "years_start_acc",
    "years_end_acc",
)
"""The keys of the reference scorer's last summary line, in its order."""

LABEL_FIELDS = ("hard_soft", "scope", "modality")
LABELS: dict[str, tuple[str, ...]] = {k: RECORD_LABELS[k] for k in LABEL_FIELDS}
"""Display order of the labels (record.schema.json); labels outside it follow, sorted."""

NONE_LABEL = "none"
"""Confusion-table column for a matched prediction that gives no label."""

EVIDENCE_CHARS = 200
"""How much of the first evidence sentence the error lists show."""


# --- the reference scorer's figures ------------------------------------------------------------


def normalize(text: str) -> str:
    """The reference normalisation: ligatures, footnote digits, NFKC, ``\\``, line-end hyphens, case."""
    for lig, rep in LIGATURES.items():
        text = text.replace(lig, rep)
    text = "".join(ch for ch in text if ch not in SUPERSCRIPTS)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\\", "")
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    text = re.sub(r"[\u00ad]", "", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def tokens(text: str) -> set[str]:
    """Word set of the normalised text without stop words."""
    return {t for t in re.findall(r"\w+", normalize(text)) if t not in STOP}


def similarity(a: set[str], b: set[str]) -> float:
    """Overlap coefficient on token sets, Jaccard when either side has fewer than 6 words.

    The overlap coefficient lets a short gold sentence match inside a longer predicted one;
    Jaccard keeps two-word fragments from matching anything that contains their words.
    """
    if not a or not b:
        return 0.0
    inter = len(a & b)
    if min(len(a), len(b)) < 6:
        return inter / len(a | b)
    return inter / min(len(a), len(b))


def as_list(value: Any) -> list[Any]:
    """A list, a single string or dict, or nothing: a malformed field is scored, not mis-iterated."""
    if value is None:
        return []
    if isinstance(value, str | dict):
        return [value]
    return list(value)


def _evidence_tokens(record: dict[str, Any]) -> list[set[str]]:
    return [tokens(str(e)) for e in as_list(record.get("evidence"))]


def _record_similarity(pred_tokens: list[set[str]], gold_tokens: list[set[str]]) -> float:
    """Best similarity over all pairs of a predicted and a gold evidence sentence."""
    return max((similarity(p, g) for p in pred_tokens for g in gold_tokens), default=0.0)


def record_similarity(pred: dict[str, Any], gold: dict[str, Any]) -> float:
    """Similarity of two records: their best-matching evidence sentences."""
    return _record_similarity(_evidence_tokens(pred), _evidence_tokens(gold))


def _key(name: str) -> str:
    name = normalize(name)
    name = re.sub(r"^the\s+", "", name)
    return re.sub(r"[^\w ]+", "", name).strip()


def load_aliases(path: Path | None) -> dict[str, str]:
    """Alias key → canonical key from an actors CSV (``canonical,type,aliases``, aliases ``|``-separated).

    A missing path gives an empty table (names are then compared case-folded only), as in the
    reference scorer, so an evaluation never fails for want of the table.
    """
    table: dict[str, str] = {}
    if not path or not path.exists():
        return table
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            canonical = row["canonical"].strip()
            for name in [canonical, *(row.get("aliases") or "").split("|")]:
                if name.strip():
                    table[_key(name)] = _key(canonical)
    return table


def canon(names: Any, aliases: dict[str, str]) -> set[str]:
    """Canonical keys of a list of actor names."""
    out = set()
    for n in as_list(names):
        k = _key(str(n))
        out.add(aliases.get(k, k))
    return out


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSON Lines file, blank lines skipped; a bad line raises with its number."""
    records = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
    return records


@dataclass
class Counts:
    """True/false positives and false negatives of set comparisons, with the reference's F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, pred: set[Any], gold: set[Any]) -> None:
        self.tp += len(pred & gold)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)

    def precision(self) -> float:
        """1.0 when nothing was predicted and nothing was missed (an empty set agreed with)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def f1(self) -> float:
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0


def amount_counts(pred: Any, gold: Any, counts: Counts) -> None:
    """Greedy amount matching: same currency, values within 0.5 % of the gold value."""
    gold_left = [(float(a.get("value") or 0), (a.get("currency") or "USD").upper()) for a in as_list(gold)]
    preds = [a for a in as_list(pred) if isinstance(a, dict)]
    tp = 0
    for a in preds:
        try:
            v, c = float(a.get("value") or 0), (a.get("currency") or "USD").upper()
        except (TypeError, ValueError):
            continue
        for i, (gv, gc) in enumerate(gold_left):
            if gc == c and abs(v - gv) <= 0.005 * max(abs(gv), 1.0):
                tp += 1
                gold_left.pop(i)
                break
    counts.tp += tp
    counts.fp += len(preds) - tp
    counts.fn += len(gold_left)


ACCURACY_FIELDS = ("hard_soft", "scope", "modality", "years_start", "years_end")
SET_FIELDS = ("funders", "recipients", "themes", "amounts")


@dataclass
class Tallies:
    """The counts a set of documents' figures come from. The reference scorer pools matched
    pairs and set comparisons over documents (it does not average per document), so the
    tallies of several documents add up to theirs together; resampling reports for an interval
    only has to add them up again."""

    gold: int = 0
    predicted: int = 0
    matched: int = 0
    agree: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in ACCURACY_FIELDS})
    """Field → [matched pairs that agree, matched pairs whose gold record states the field]."""
    sets: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in SET_FIELDS})
    names: list[int] = field(default_factory=lambda: [0, 0])
    """[matched pairs whose names agree, matched pairs] (beyond the reference: see same_name)."""

    def __add__(self, other: Tallies) -> Tallies:
        return Tallies(
            self.gold + other.gold,
            self.predicted + other.predicted,
            self.matched + other.matched,
            {k: [a + b for a, b in zip(self.agree[k], other.agree[k], strict=True)] for k in ACCURACY_FIELDS},
            {
                k: Counts(c.tp + o.tp, c.fp + o.fp, c.fn + o.fn)
                for k, c, o in ((k, self.sets[k], other.sets[k]) for k in SET_FIELDS)
            },
            [self.names[0] + other.names[0], self.names[1] + other.names[1]],
        )

    def vector(self) -> np.ndarray:
        """The counts in one row, in :func:`_figures`' order."""
        return np.array(
            [
                self.gold,
                self.predicted,
                self.matched,
                *(n for k in ACCURACY_FIELDS for n in self.agree[k]),
                *(n for k in SET_FIELDS for n in (self.sets[k].tp, self.sets[k].fp, self.sets[k].fn)),
                *self.names,
            ],
            dtype=float,
        )

    def figures(self) -> dict[str, float | None]:
        """The scorer's figures (unrounded; None where a field has no case) and ``name_acc``."""
        figures = _figures(self.vector()[None, :])
        return {k: None if np.isnan(v[0]) else float(v[0]) for k, v in figures.items()}


def _ratio(part: np.ndarray, whole: np.ndarray, empty: float) -> np.ndarray:
    return np.divide(part, whole, out=np.full(part.shape, empty), where=whole > 0)


def _figures(counts: np.ndarray) -> dict[str, np.ndarray]:
    """The figures of rows of counts (:meth:`Tallies.vector`), the scorer's conventions
    vectorised: NaN where an accuracy has no case, a set with nothing predicted and nothing
    missed agreed with."""
    gold, predicted, matched = counts[:, 0], counts[:, 1], counts[:, 2]
    precision = _ratio(matched, predicted, 0.0)
    recall = _ratio(matched, gold, 0.0)
    out = {
        "detect_precision": precision,
        "detect_recall": recall,
        "detect_f1": _ratio(2 * precision * recall, precision + recall, 0.0),
    }
    at = 3
    for k in ACCURACY_FIELDS:
        out[f"{k}_acc"] = _ratio(counts[:, at], counts[:, at + 1], np.nan)
        at += 2
    for k in SET_FIELDS:
        tp, fp, fn = counts[:, at], counts[:, at + 1], counts[:, at + 2]
        p = _ratio(tp, tp + fp, 0.0)
        p = np.where(tp + fp == 0, np.where(fn == 0, 1.0, 0.0), p)
        r = _ratio(tp, tp + fn, 1.0)
        out[f"{k}_f1"] = _ratio(2 * p * r, p + r, 0.0)
        at += 3
    out["name_acc"] = _ratio(counts[:, at], counts[:, at + 1], np.nan)
    return out


@dataclass
class _DocMatch:
    """Matching of one document: pairs as (pred index, gold index, similarity), best counterparts."""

    pairs: list[tuple[int, int, float]]
    best_for_pred: list[tuple[float, int | None]]
    best_for_gold: list[tuple[float, int | None]]


def _match(preds: list[dict[str, Any]], golds: list[dict[str, Any]]) -> _DocMatch:
    """One-to-one matching, best first, ties broken as the reference does (higher indices first)."""
    pred_tokens = [_evidence_tokens(p) for p in preds]
    gold_tokens = [_evidence_tokens(g) for g in golds]
    best_for_pred: list[tuple[float, int | None]] = [(0.0, None)] * len(preds)
    best_for_gold: list[tuple[float, int | None]] = [(0.0, None)] * len(golds)
    cands = []
    for i, pt in enumerate(pred_tokens):
        for j, gt in enumerate(gold_tokens):
            s = _record_similarity(pt, gt)
            if s > best_for_pred[i][0]:
                best_for_pred[i] = (s, j)
            if s > best_for_gold[j][0]:
                best_for_gold[j] = (s, i)
            if s >= MATCH_THRESHOLD:
                cands.append((s, i, j))
    cands.sort(reverse=True)
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for s, i, j in cands:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j, s))
    return _DocMatch(pairs, best_for_pred, best_for_gold)


def _mean_words(records: Iterable[dict[str, Any]]) -> float:
    lens = [len(str(e).split()) for r in records for e in as_list(r.get("evidence"))]
    return round(sum(lens) / len(lens), 1) if lens else 0.0


# --- the evaluation ------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """The reference figures plus the error analysis.

    ``summary`` has the keys and values of the reference scorer's result dict (including
    ``missed_gold``, ``unmatched_pred`` and ``pairs``). ``confusion[field][gold][pred]`` counts
    matched pairs with a gold label; ``themes[theme]`` has precision, recall, f1, support (gold
    count), tp, fp, fn over matched pairs; ``missed`` and ``spurious`` list the unmatched gold
    records and predictions (doc, id, name, first evidence sentence, nearest counterpart).
    ``name_acc`` is beyond the reference: the share of matched pairs whose names agree
    (:func:`same_name`), None without pairs.
    """

    summary: dict[str, Any]
    name_acc: float | None = None
    confusion: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    themes: dict[str, dict[str, float]] = field(default_factory=dict)
    missed: list[dict[str, Any]] = field(default_factory=list)
    spurious: list[dict[str, Any]] = field(default_factory=list)
    tallies: Tallies = field(default_factory=Tallies)
    """The counts behind the figures (see :class:`Tallies`)."""


def _doc_order(doc: Any) -> tuple[str, str]:
    """Sort key for document ids of any type (a malformed prediction may carry a number)."""
    return (type(doc).__name__, str(doc))


def _first_evidence(record: dict[str, Any]) -> str:
    evidence = as_list(record.get("evidence"))
    text = re.sub(r"\s+", " ", str(evidence[0])).strip() if evidence else ""
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1].rstrip() + "…"


def _error_entry(
    record: dict[str, Any],
    best: tuple[float, int | None],
    others: list[dict[str, Any]],
    partners: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    """One entry of the error lists.

    The nearest counterpart (best evidence similarity, same document) tells a near miss (a
    shortened or split sentence) from a true miss; when that counterpart is matched to another
    record, ``nearest_matched`` names it, which points at a split or merge disagreement.
    """
    s, k = best
    partner = partners.get(k) if k is not None else None
    return {
        "doc": record.get("doc"),
        "id": record.get("id"),
        "name": record.get("name"),
        "evidence": _first_evidence(record),
        "nearest": others[k].get("id") if k is not None else None,
        "similarity": round(s, 3),
        "nearest_matched": partner.get("id") if partner is not None else None,
    }


def _ordered_labels(known: tuple[str, ...], seen: Iterable[str]) -> list[str]:
    extra = sorted(set(seen) - set(known) - {NONE_LABEL})
    return [lab for lab in known if lab in seen] + extra


def evaluate(
    gold: list[dict[str, Any]], pred: list[dict[str, Any]], aliases: dict[str, str], all_docs: bool = False
) -> Evaluation:
    """Score ``pred`` against ``gold`` exactly as the reference scorer does, then analyse the errors.

    Only documents with gold records are scored; with ``all_docs`` every predicted document is,
    so the records of an off-topic report count as spurious predictions.
    """
    docs = {g["doc"] for g in gold}
    if all_docs:
        docs |= {p["doc"] for p in pred if isinstance(p, dict) and p.get("doc")}
    gold_by: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    pred_by: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for g in gold:
        gold_by[g["doc"]].append(g)
    for p in pred:
        if isinstance(p, dict) and p.get("doc") in docs:
            pred_by[p["doc"]].append(p)

    pairs: list[tuple[dict[str, Any], dict[str, Any], float]] = []
    missed: list[dict[str, Any]] = []
    spurious: list[dict[str, Any]] = []
    for d in sorted(docs, key=_doc_order):
        preds, golds = pred_by.get(d, []), gold_by.get(d, [])
        m = _match(preds, golds)
        pairs += [(preds[i], golds[j], s) for i, j, s in m.pairs]
        gold_of = {i: golds[j] for i, j, _ in m.pairs}  # matched prediction index → its gold record
        pred_of = {j: preds[i] for i, j, _ in m.pairs}
        missed += [
            _error_entry(g, m.best_for_gold[j], preds, gold_of)
            for j, g in enumerate(golds)
            if j not in pred_of
        ]
        spurious += [
            _error_entry(p, m.best_for_pred[i], golds, pred_of)
            for i, p in enumerate(preds)
            if i not in gold_of
        ]

    tally = Tallies(gold=len(gold), predicted=sum(len(v) for v in pred_by.values()), matched=len(pairs))
    acc, sets, names = tally.agree, tally.sets, tally.names
    confusion: dict[str, dict[str, dict[str, int]]] = {k: defaultdict(dict) for k in LABEL_FIELDS}
    per_theme: dict[str, Counts] = defaultdict(Counts)
    details = []
    for p, g, s in pairs:
        names[1] += 1
        names[0] += int(same_name(p.get("name"), g.get("name")))
        for k in LABEL_FIELDS:
            if g.get(k):
                acc[k][1] += 1
                acc[k][0] += int(p.get(k) == g.get(k))
                row = confusion[k][str(g.get(k))]
                col = str(p.get(k)) if p.get(k) else NONE_LABEL
                row[col] = row.get(col, 0) + 1
        for k in ("start", "end"):
            gy = (g.get("years") or {}).get(k)
            if gy is not None:
                acc[f"years_{k}"][1] += 1
                py = p.get("years") if isinstance(p.get("years"), dict) else {}
                acc[f"years_{k}"][0] += int(py.get(k) == gy)
        for k in ("funders", "recipients"):
            sets[k].add(canon(p.get(k), aliases), canon(g.get(k), aliases))
        p_themes, g_themes = set(map(str, as_list(p.get("themes")))), set(as_list(g.get("themes")))
        sets["themes"].add(p_themes, g_themes)
        for theme in p_themes | g_themes:
            per_theme[str(theme)].add(p_themes & {theme}, g_themes & {theme})
        amount_counts(p.get("amounts"), g.get("amounts"), sets["amounts"])
        details.append({"gold": g.get("id"), "pred": p.get("id"), "similarity": round(s, 3)})

    figures = tally.figures()
    matched_gold = {d["gold"] for d in details}
    matched_pred = {d["pred"] for d in details}
    summary = {
        "gold": tally.gold,
        "predicted": tally.predicted,
        "matched": tally.matched,
        # in the reference scorer's order
        **{k: round(v, 4) if v is not None else None for k, v in figures.items() if k != "name_acc"},
        "evidence_words_pred": _mean_words(p for ps in pred_by.values() for p in ps),
        "evidence_words_gold": _mean_words(gold),
        "missed_gold": [g.get("id") for g in gold if g.get("id") not in matched_gold],
        "unmatched_pred": [
            p.get("id") for ps in pred_by.values() for p in ps if p.get("id") not in matched_pred
        ],
        "pairs": details,
    }
    name_acc = figures["name_acc"]
    return Evaluation(
        summary=summary,
        name_acc=round(name_acc, 4) if name_acc is not None else None,
        tallies=tally,
        confusion=_order_confusion(confusion),
        themes=_theme_table(per_theme),
        missed=missed,
        spurious=spurious,
    )


def same_name(pred: Any, gold: Any) -> bool:
    """Whether a matched record's name is the gold's, beyond what the reference scorer scores:
    both unnamed, or one name under the package's name key, a trailing acronym in parentheses
    aside ("Joint Task Force Alpha (JTFA)"). A fragment, a date carried along or a name given
    where the text gives none all disagree."""
    if not pred or not gold:
        return not pred and not gold
    return name_key(TRAILING_ACRONYM.sub("", str(pred))) == name_key(TRAILING_ACRONYM.sub("", str(gold)))


def _order_confusion(raw: dict[str, dict[str, dict[str, int]]]) -> dict[str, dict[str, dict[str, int]]]:
    """Square tables in schema label order, zeros filled, a ``none`` column last."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for k in LABEL_FIELDS:
        rows = raw.get(k, {})
        seen = set(rows) | {c for r in rows.values() for c in r}
        labels = _ordered_labels(LABELS[k], seen)
        cols = [*labels, NONE_LABEL]
        out[k] = {r: {c: rows.get(r, {}).get(c, 0) for c in cols} for r in labels if r in rows}
    return out


def _theme_table(per_theme: dict[str, Counts]) -> dict[str, dict[str, float]]:
    """Per theme, in alphabetical order: the reference's set-F1 conventions applied to one class."""
    return {
        theme: {
            "precision": round(c.precision(), 4),
            "recall": round(c.recall(), 4),
            "f1": round(c.f1(), 4),
            "support": c.tp + c.fn,
            "tp": c.tp,
            "fp": c.fp,
            "fn": c.fn,
        }
        for theme, c in sorted(per_theme.items())
    }


DOCUMENT_COLUMNS = (
    "gold",
    "predicted",
    "matched",
    "detect_precision",
    "detect_recall",
    "detect_f1",
    "hard_soft_acc",
    "scope_acc",
    "funders_f1",
    "amounts_f1",
    "years_start_acc",
    "name_acc",
)
"""The per-document table's columns (the micro totals have the same)."""


SAME_REPORT = 0.5
"""Share of one document's gold evidence found word for word in another's from which the two
are renderings of one report (one group under leave-one-document-out)."""


def report_groups(gold: list[dict[str, Any]], docs: Iterable[str] = ()) -> dict[str, str]:
    """Document → its report: documents sharing most of their gold evidence are renderings of
    one report (the seed's one- and two-column PDFs), named after the first of them. A document
    without gold records is a report of its own."""
    evidence: dict[str, set[str]] = defaultdict(set)
    for record in gold:
        said = as_list(record.get("evidence"))
        evidence[str(record.get("doc"))].update(" ".join(sorted(tokens(str(e)))) for e in said)
    names = sorted(set(evidence) | {str(d) for d in docs})
    parent = {d: d for d in names}

    def root(doc: str) -> str:
        while parent[doc] != doc:
            doc = parent[doc]
        return doc

    # only documents sharing a sentence can be one report: count shared sentences through an
    # index of who holds each, not over every pair of documents (a corpus of thousands)
    holders: dict[str, list[str]] = defaultdict(list)
    for doc in sorted(evidence):
        for sentence in evidence[doc]:
            holders[sentence].append(doc)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for held in holders.values():
        for pair in itertools.combinations(held, 2):
            shared[pair] += 1
    for (a, b), count in sorted(shared.items()):
        if count >= SAME_REPORT * min(len(evidence[a]), len(evidence[b])):
            first, second = sorted((root(a), root(b)))
            parent[second] = first
    return {d: root(d) for d in names}


INTERVAL_LEVEL = 0.95
INTERVAL_RESAMPLES = 2000
MIN_REPORTS = 3
"""Fewer reports than this give no interval: resampling two says nothing about a third."""
INTERVAL_FIGURES = (*SUMMARY_KEYS, "name_acc")
INTERVAL_NAMES = {
    "detect_f1": "detect F1",
    "detect_precision": "P",
    "detect_recall": "R",
    "hard_soft_acc": "hard_soft",
    "scope_acc": "scope",
    "funders_f1": "funders",
    "amounts_f1": "amounts",
    "years_start_acc": "years",
}
"""The figures whose intervals the table's last line gives (the card keeps them all)."""


def _report_counts(tallies: dict[str, Tallies], groups: dict[str, str], reports: list[str]) -> np.ndarray:
    """One row of counts per report (its documents' tallies added up), in ``reports``' order."""
    rows = {r: np.zeros(len(Tallies().vector())) for r in reports}
    for doc, tally in tallies.items():
        rows[groups.get(doc, doc)] += tally.vector()
    return np.array([rows[r] for r in reports])


DRAW_CELLS = 1_000_000
"""Report counts held at once while drawing (8 MB): draws are made in blocks of rows."""


def _drawn_figures(
    counts: list[np.ndarray], resamples: int, seed: int
) -> list[dict[str, np.ndarray]]:
    """For each matrix of per-report counts, the figures of ``resamples`` draws of as many
    reports as there are with replacement, the same draws for every matrix (a paired
    comparison): each draw is a row of how often each report is drawn, and its counts one
    matrix product."""
    reports = len(counts[0])
    rng = np.random.default_rng(seed)
    block = max(1, DRAW_CELLS // reports)
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in counts]
    for start in range(0, resamples, block):
        size = min(block, resamples - start)
        draws = rng.multinomial(reports, np.full(reports, 1.0 / reports), size=size).astype(float)
        for part, matrix in zip(parts, counts, strict=True):
            part.append(_figures(draws @ matrix))
    return [{k: np.concatenate([p[k] for p in part]) for k in part[0]} for part in parts]


def _percentiles(values: np.ndarray, level: float) -> list[float] | None:
    values = values[~np.isnan(values)]
    if not len(values):
        return None
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return [round(float(low), 4), round(float(high), 4)]


def intervals(
    tallies: dict[str, Tallies],
    groups: dict[str, str],
    level: float = INTERVAL_LEVEL,
    resamples: int = INTERVAL_RESAMPLES,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Percentile bootstrap intervals of the micro figures over reports: how far the figures
    could move on another set of reports like these. Reports, not records, are drawn: records
    of one report share its author and layout, so they do not vary independently (the two
    renderings of one report are drawn together). Empty with fewer than ``MIN_REPORTS``."""
    return difference_intervals({}, tallies, groups, level, resamples, seed)


def difference_intervals(
    base: dict[str, Tallies],
    other: dict[str, Tallies],
    groups: dict[str, str],
    level: float = INTERVAL_LEVEL,
    resamples: int = INTERVAL_RESAMPLES,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Paired bootstrap intervals of ``other``'s micro figures minus ``base``'s (its figures
    alone when ``base`` is empty), the same reports drawn for both: an interval that holds 0 is
    a change these reports cannot tell from chance. Empty with fewer than ``MIN_REPORTS``
    reports. Draws are summed as matrix products, so thousands of reports take a second."""
    reports = sorted({groups.get(d, d) for d in [*base, *other]})
    if len(reports) < MIN_REPORTS:
        return {}
    compared = [_report_counts(other, groups, reports)]
    if base:
        compared.append(_report_counts(base, groups, reports))
    after, *rest = _drawn_figures(compared, resamples, seed)
    before = rest[0] if rest else None
    out = {}
    for key in INTERVAL_FIGURES:
        values = after[key] - before[key] if before is not None else after[key]
        span = _percentiles(values, level)
        if span is not None:
            out[key] = span
    return out


def document_tallies(
    gold: list[dict[str, Any]], pred: list[dict[str, Any]], aliases: dict[str, str], docs: list[str]
) -> dict[str, Tallies]:
    """Per document, the counts its figures come from (every document scored, as ``--all-docs``)."""
    return {doc: _document_evaluation(gold, pred, aliases, doc).tallies for doc in docs}


def _document_evaluation(
    gold: list[dict[str, Any]], pred: list[dict[str, Any]], aliases: dict[str, str], doc: str
) -> Evaluation:
    return evaluate(
        [g for g in gold if g.get("doc") == doc],
        [p for p in pred if isinstance(p, dict) and p.get("doc") == doc],
        aliases,
        all_docs=True,
    )


def document_rows(
    gold: list[dict[str, Any]],
    pred: list[dict[str, Any]],
    aliases: dict[str, str],
    docs: list[str] | None = None,
    groups: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Per document, the counts and the scorer's figures, and their micro totals over all of
    them (``{"documents": {doc: row}, "micro": row}``). Every document in ``docs`` (by
    default those with gold records or predictions) is scored: a document without gold records
    counts all its predictions as spurious, as ``--all-docs`` does. With three reports or more
    (``groups``: document → report, by default :func:`report_groups`), ``"intervals"`` holds
    the micro figures' bootstrap intervals over reports and ``"interval"`` how they were drawn."""
    if docs is None:
        predicted = {str(p.get("doc")) for p in pred if isinstance(p, dict)}
        docs = sorted({str(g.get("doc")) for g in gold} | predicted)

    def row(ev: Evaluation) -> dict[str, Any]:
        values = {k: ev.summary.get(k) for k in ("gold", "predicted", "matched", *SUMMARY_KEYS)}
        values["name_acc"] = ev.name_acc
        if not values["gold"]:  # a near-miss: precision is all there is to score, and only with records
            values["detect_recall"] = values["detect_f1"] = None
            if not values["predicted"]:
                values["detect_precision"] = None
        return values

    evaluations = {doc: _document_evaluation(gold, pred, aliases, doc) for doc in docs}
    chosen = set(docs)
    micro = evaluate(
        [g for g in gold if g.get("doc") in chosen],
        [p for p in pred if isinstance(p, dict) and p.get("doc") in chosen],
        aliases,
        all_docs=True,
    )
    out: dict[str, Any] = {
        "documents": {doc: row(ev) for doc, ev in evaluations.items()},
        "micro": row(micro),
    }
    groups = groups if groups is not None else report_groups(gold, docs)
    spans = intervals({doc: ev.tallies for doc, ev in evaluations.items()}, groups)
    if spans:
        out["intervals"] = spans
        out["interval"] = {
            "level": INTERVAL_LEVEL,
            "resamples": INTERVAL_RESAMPLES,
            "reports": len({groups.get(d, d) for d in docs}),
            "method": "percentile bootstrap over reports (a report's renderings drawn together)",
        }
    return out


def document_table(rows: dict[str, Any]) -> str:
    """The per-document table as text, micro totals last (n/a where a figure has no case)."""
    short = {
        "predicted": "pred",
        "matched": "match",
        "detect_precision": "P",
        "detect_recall": "R",
        "detect_f1": "F1",
        "hard_soft_acc": "hard_soft",
        "scope_acc": "scope",
        "funders_f1": "funders",
        "amounts_f1": "amounts",
        "years_start_acc": "years",
        "name_acc": "names",
    }

    def cells(values: dict[str, Any]) -> list[str]:
        out = []
        for k in DOCUMENT_COLUMNS:
            v = values.get(k)
            out.append("n/a" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v))
        return out

    header = ["document", *(short.get(k, k) for k in DOCUMENT_COLUMNS)]
    body = [[doc, *cells(values)] for doc, values in rows["documents"].items()]
    body.append(["micro (all documents)", *cells(rows["micro"])])
    return "\n".join([*_table(header, body), *interval_lines(rows)]) + "\n"


def interval_lines(rows: dict[str, Any]) -> list[str]:
    """The micro figures' intervals over reports, under the table (none with too few reports)."""
    spans = rows.get("intervals") or {}
    if not spans:
        return []
    how = rows.get("interval") or {}
    level = round(100 * how.get("level", INTERVAL_LEVEL))
    shown = ", ".join(
        f"{name} {spans[k][0]:.3f}-{spans[k][1]:.3f}" for k, name in INTERVAL_NAMES.items() if k in spans
    )
    return [
        f"{level}% intervals of the micro figures, {how.get('resamples')} draws of the"
        f" {how.get('reports')} reports: {shown}"
    ]


# --- output ------------------------------------------------------------------------------------


def summary_lines(ev: Evaluation) -> list[str]:
    """The two lines the reference scorer prints last, character for character."""
    r = ev.summary
    return [
        f"gold={r['gold']} predicted={r['predicted']} matched={r['matched']} "
        f"evidence_words pred={r['evidence_words_pred']} gold={r['evidence_words_gold']}",
        " ".join(f"{k}={r[k]}" if r[k] is not None else f"{k}=n/a" for k in SUMMARY_KEYS),
    ]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Plain fixed-width text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        first = str(cells[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _error_lines(title: str, entries: list[dict[str, Any]], other: str) -> list[str]:
    lines = [f"{title} ({len(entries)}):"]
    for e in entries:
        near = f"nearest {other} {e['nearest']} at {e['similarity']}" if e["similarity"] else "no overlap"
        if e["similarity"] and e["nearest_matched"] is not None:
            near += f", matched to {e['nearest_matched']}"
        name = f" [{e['name']}]" if e.get("name") else ""
        lines.append(f"  {e['doc']} {e['id']}{name} ({near})")
        lines.append(f"    {e['evidence']}")
    return lines


def report(ev: Evaluation, details: bool = True) -> str:
    """Human-readable report: summary lines, confusion tables, theme table, then (``details``) errors."""
    lines = summary_lines(ev)
    for k, table in ev.confusion.items():
        total = sum(n for row in table.values() for n in row.values())
        lines += ["", f"{k}: gold (rows) × predicted (columns), {total} matched pairs with a gold label"]
        if not table:
            lines.append("  (no matched pair with a gold label)")
            continue
        cols = list(next(iter(table.values())))
        lines += _table([k, *cols], [[r, *(str(v) for v in row.values())] for r, row in table.items()])
    lines += ["", "themes over matched pairs:"]
    if ev.themes:
        header = ["theme", "precision", "recall", "f1", "support", "fp"]
        rows = [
            [t, *(f"{m[x]:.3f}" for x in ("precision", "recall", "f1")), str(m["support"]), str(m["fp"])]
            for t, m in ev.themes.items()
        ]
        lines += _table(header, rows)
    else:
        lines.append("  (no theme on any matched pair)")
    if details:
        lines += ["", *_error_lines("missed gold records", ev.missed, "prediction")]
        lines += ["", *_error_lines("spurious predictions", ev.spurious, "gold")]
    return "\n".join(lines) + "\n"
