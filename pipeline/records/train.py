"""Training the records stage from gold records, and measuring it honestly.

Gold evidence is aligned to the document's own sentences (the scorer's word-overlap, a
stricter threshold), which labels sentences for detection, actor mentions for roles and
records for their kinds. Figures are cross-validated with the report's sections as folds:
every sentence is detected, and every record classified, by models that never saw its
section.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..document import Document
from ..evaluate import canon, similarity, tokens
from ..nlp.actors import ActorMatcher
from ..nlp.mentions import (
    SentenceMentions,
    TableMentions,
    extract_mentions,
    extract_table_mentions,
    home_region,
)
from ..nlp.sentences import split_sentences
from ..nlp.syntax import GrammarReader
from .assemble import Assembler
from .build import FIELDS, RecordModels, about_security, detect, report_on_security, section_of
from .cues import AxisClassifier, CueThemes, with_theme_axes
from .examples import (
    detection_examples,
    has_grammar,
    link_example,
    record_example,
    role_examples,
    without_grammar,
)
from .model import Record
from .models import classifier, fit_or_constant
from .rows import RowMentions, row_mentions

ALIGN_THRESHOLD = 0.75
TOP_HEADING = re.compile(r"^(section|chapter|part)\s+([ivxlc]+|\d+)\b", re.I)


@dataclass
class DocumentData:
    """One document with its sentences' mentions and its tables' amounts."""

    document: Document
    items: list[SentenceMentions]
    tables: list[TableMentions]
    folds: list[int] = field(default_factory=list)
    home: str | None = None
    """The region the report is about (from its title), if it names one."""
    rows: list[RowMentions] = field(default_factory=list)
    """Rows of the tables that list interventions one per row (see :mod:`.rows`)."""


def prepare(document: Document, matcher: ActorMatcher, nlp: Any = None) -> DocumentData:
    sentences = split_sentences(document, nlp)
    items = extract_mentions(sentences, matcher, document.title)
    data = DocumentData(document, items, extract_table_mentions(document))
    data.rows = row_mentions(data.tables, matcher, first_index=len(items))
    region = home_region(document.title, matcher)
    data.home = region.canonical if region else None
    data.folds = section_folds(document, items)
    return data


def section_folds(document: Document, items: list[SentenceMentions], minimum: int = 3) -> list[int]:
    """A fold number per sentence: the report's top-level section it sits in.

    Top-level sections are headings that say so ("Section II", "Chapter 3") or, failing that,
    headings in the largest heading type after the title page. A footnote goes with the
    sentence that cites it. Reports with too few sections are cut into equal runs instead.
    """
    headings = [i for i, b in enumerate(document.blocks) if b.kind == "heading" and b.page > 1]
    top = [i for i in headings if TOP_HEADING.match(document.blocks[i].text)]
    if len(top) < minimum and headings:
        biggest = max(document.blocks[i].font_size for i in headings)
        top = [i for i in headings if document.blocks[i].font_size >= biggest - 0.5]
    folds: list[int] = []
    for item in items:
        s = item.sentence
        if s.source == "footnote" and s.cited_by:
            folds.append(folds[s.cited_by[0]] if s.cited_by[0] < len(folds) else 0)
        elif s.block is not None:
            folds.append(sum(1 for t in top if t <= s.block))
        else:
            folds.append(folds[-1] if folds else 0)
    if len(set(folds)) < minimum:
        size = max(1, len(items) // 5 + 1)
        folds = [i // size for i in range(len(items))]
    return folds


def align(data: DocumentData, gold: list[dict[str, Any]]) -> dict[int, str]:
    """Sentence index → id of the gold record whose evidence it is."""
    mine = [tokens(i.text) for i in data.items]
    aligned: dict[int, str] = {}
    for record in gold:
        if record.get("doc") != data.document.doc:
            continue
        for evidence in record.get("evidence") or []:
            theirs = tokens(str(evidence))
            best, where = 0.0, -1
            for n, words in enumerate(mine):
                score = similarity(words, theirs)
                if score > best:
                    best, where = score, n
            if best >= ALIGN_THRESHOLD and where not in aligned:
                aligned[where] = record["id"]
    return aligned


def fit_models(
    datas: list[DocumentData],
    gold: list[dict[str, Any]],
    aliases: dict[str, str],
    keep: Any = None,
    grammar: GrammarReader | None = None,
) -> RecordModels:
    """Fit every model on the sentences and records that ``keep(doc_index, fold)`` allows;
    with a ``grammar`` reader, the gold-aligned sentences are parsed for the role model."""
    keep = keep or (lambda d, f: True)
    by_id = {g["id"]: g for g in gold}
    det_x, det_y, role_x, role_y, link_x, link_y = [], [], [], [], [], []
    grouped: dict[str, list[SentenceMentions]] = defaultdict(list)
    for d, data in enumerate(datas):
        aligned = align(data, gold)
        positives = sorted(n for n in aligned if keep(d, data.folds[n]))
        if grammar is not None:
            grammar.annotate(data.items[n] for n in positives)
        for a, b in itertools.pairwise(positives):
            first, second = data.items[a].sentence, data.items[b].sentence
            if (
                first.block == second.block
                and first.source == second.source
                and b - a <= Assembler.passage_gap
            ):
                link_x.append(link_example(data.items[a], data.items[b]))
                link_y.append(int(aligned[a] == aligned[b]))
        for n in positives:  # a detected footnote and the detected sentences citing it
            for citing in data.items[n].sentence.cited_by:
                if citing in aligned and keep(d, data.folds[citing]):
                    link_x.append(link_example(data.items[citing], data.items[n], footnote=True))
                    link_y.append(int(aligned[citing] == aligned[n]))
        examples = detection_examples(data.items)
        for n, item in enumerate(data.items):
            if not keep(d, data.folds[n]):
                continue
            det_x.append(examples[n])
            det_y.append(int(n in aligned))
            if n in aligned:
                record = by_id[aligned[n]]
                grouped[record["id"]].append(item)
                for mention, example in role_examples(item):
                    role_x.append(example)
                    role_y.append(_role_of(mention.canonical or "", record, aliases))
    rec_x, labels = [], defaultdict(list)
    theme_sets = []
    for record_id, items in grouped.items():
        record = by_id[record_id]
        rec_x.append(record_example(items, record.get("name"), section_of(items)))
        for name in FIELDS:
            labels[name].append(str(record.get(name) or "none"))
        theme_sets.append(list(record.get("themes") or []))
    themes = CueThemes().fit(rec_x, theme_sets) if rec_x else None
    if themes is not None:  # the axes read the themes the records will get, as in build
        with_theme_axes(rec_x, themes.predict(rec_x))
    fields: dict[str, Any] = {
        "hard_soft": AxisClassifier("hard", "soft", source="themes").fit(rec_x, labels["hard_soft"])
        if rec_x
        else "hard",
        "scope": AxisClassifier("transnational", "local", source="themes").fit(rec_x, labels["scope"])
        if rec_x
        else "transnational",
        "modality": fit_or_constant(classifier(words=False), rec_x, labels["modality"])
        if rec_x
        else "bilateral",
    }
    return RecordModels(
        detector=fit_or_constant(classifier(), det_x, det_y),
        roles=fit_or_constant(classifier(), role_x, role_y),
        linker=fit_or_constant(classifier(words=False), link_x, link_y) if link_x else None,
        roles_unparsed=fit_or_constant(classifier(), [without_grammar(e) for e in role_x], role_y)
        if any(has_grammar(e) for e in role_x)
        else None,
        fields=fields,
        themes=themes,
        meta={
            "sentences": len(det_x),
            "positives": sum(det_y),
            "mentions": len(role_x),
            "records": len(rec_x),
        },
    )


def _role_of(canonical: str, record: dict[str, Any], aliases: dict[str, str]) -> str:
    key = canon([canonical], aliases)
    for role in ("funder", "implementer", "recipient"):
        if key & canon(record.get(f"{role}s"), aliases):
            return role
    return "none"


def cross_validated_records(
    datas: list[DocumentData],
    gold: list[dict[str, Any]],
    aliases: dict[str, str],
    assembler: Assembler,
    grammar: GrammarReader | None = None,
) -> list[Record]:
    """Records for every document, each sentence detected and each record classified by
    models trained without its section (the same section of every document is held out)."""
    folds = sorted({f for data in datas for f in data.folds})
    detected = [[0.0] * len(data.items) for data in datas]
    models_by_fold: dict[int, RecordModels] = {}
    for fold in folds:
        models = fit_models(datas, gold, aliases, keep=lambda d, f, fold=fold: f != fold, grammar=grammar)
        models_by_fold[fold] = models
        for d, data in enumerate(datas):
            chosen = [n for n, f in enumerate(data.folds) if f == fold]
            scores = detect([data.items[n] for n in chosen], models)
            for n, p in zip(chosen, scores, strict=True):
                detected[d][n] = p
    records: list[Record] = []
    for d, data in enumerate(datas):
        router = _FoldRouter(models_by_fold, data, grammar)
        fold_assembler = replace(assembler, linker=_FoldLinker(models_by_fold, router.fold_of()))
        records.extend(router.build(data, detected[d], fold_assembler))
    return records


@dataclass
class _FoldLinker:
    """Asks the linker of the fold the second sentence belongs to (held-out linking)."""

    models_by_fold: dict[int, RecordModels]
    fold_of: dict[int, int]

    def predict_proba(self, examples: list[dict[str, Any]]) -> Any:
        out = np.zeros((len(examples), 2))
        by_fold: dict[int, list[int]] = {}
        for n, example in enumerate(examples):
            by_fold.setdefault(self.fold_of.get(example["index"], min(self.models_by_fold)), []).append(n)
        for fold, rows in by_fold.items():
            linker = self.models_by_fold[fold].linker
            if linker is None or isinstance(linker, str):
                out[rows] = [0.0, 1.0] if linker == 1 else [1.0, 0.0]
            else:
                out[rows] = linker.predict_proba([examples[n] for n in rows])
        return out

    @property
    def classes_(self) -> list[int]:
        return [0, 1]


@dataclass
class _FoldRouter:
    """Fills each record with the models of the fold its first sentence belongs to."""

    models_by_fold: dict[int, RecordModels]
    data: DocumentData
    grammar: GrammarReader | None = None

    def fold_of(self) -> dict[int, int]:
        return {item.sentence.index: self.data.folds[n] for n, item in enumerate(self.data.items)}

    def build(self, data: DocumentData, detected: list[float], assembler: Assembler) -> list[Record]:
        from .build import fill_records

        fold_of = self.fold_of()
        on_security = report_on_security(data.document)
        drafts = [
            d for d in assembler.assemble(data.items, detected, data.tables) if about_security(d, on_security)
        ]
        if self.grammar is not None:
            self.grammar.annotate(item for draft in drafts for item in draft.items)
        models_of = [
            self.models_by_fold[
                fold_of.get(draft.items[0].sentence.index if draft.items else -1, min(self.models_by_fold))
            ]
            for draft in drafts
        ]
        return fill_records(data.document.doc, drafts, models_of, data.home)


def train(
    datas: list[DocumentData],
    gold: list[dict[str, Any]],
    aliases: dict[str, str],
    version: str,
    assembler: Assembler | None = None,
    grammar: GrammarReader | None = None,
) -> tuple[RecordModels, dict[str, Any]]:
    """Cross-validated figures by section folds, then the models fitted on everything (with
    the sentences' grammar when a ``grammar`` reader is given)."""
    from ..evaluate import evaluate

    assembler = assembler or Assembler()
    held_out = cross_validated_records(datas, gold, aliases, assembler, grammar)
    docs = {d.document.doc for d in datas}
    scored = evaluate([g for g in gold if g.get("doc") in docs], [r.to_core() for r in held_out], aliases)
    summary = {k: v for k, v in scored.summary.items() if k not in ("pairs", "missed_gold", "unmatched_pred")}
    models = fit_models(datas, gold, aliases, grammar=grammar)
    models.version = version
    return models, summary
