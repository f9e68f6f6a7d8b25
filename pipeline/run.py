"""The main job: PDFs → documents → sentences and mentions → records → files.

One function per document (:func:`process_document`) returns an outcome instead of raising,
so a batch goes on past a bad file; :func:`run` composes the documents and writes
``records.jsonl``, ``records.csv``, ``records.parquet`` and ``documents.jsonl``.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .config import Config
from .document import Status
from .errors import ErrorCode, problem

if TYPE_CHECKING:  # the stages import spaCy and scikit-learn: only a run that mines pays for them
    from .nlp.actors import ActorMatcher
    from .nlp.syntax import GrammarReader
    from .records.build import RecordModels
    from .records.model import Record


@dataclass
class Stages:
    """What is loaded once and used for every document (models, matchers, splitter)."""

    matcher: ActorMatcher
    splitter: Any
    models: RecordModels
    notes: list[str] = field(default_factory=list)
    grammar: GrammarReader | None = None

    @classmethod
    def load(cls, models: RecordModels, use_ner: bool = True) -> Stages:
        """The stages; ``use_ner=False`` leaves the pretrained pipeline out (NER and parser)."""
        from .nlp.actors import ActorMatcher
        from .nlp.sentences import sentence_splitter
        from .nlp.syntax import GrammarReader
        from .records.names import default_registry

        matcher = ActorMatcher(default_registry(), use_ner=use_ner)  # the registry the records read
        grammar = GrammarReader(enabled=use_ner)
        notes = [] if matcher.ner_available else [problem(ErrorCode.NER_UNAVAILABLE).message]
        if not grammar.available:
            notes.append(problem(ErrorCode.PARSER_UNAVAILABLE).message)
        return cls(matcher, sentence_splitter(), models, notes, grammar)

    def warm(self) -> None:
        """Load now what mining would load on its first document: the modules of each stage, the
        registry's matcher, the pretrained pipeline's first call and the word-frequency table
        (line-end hyphens, common words). A run calls this before it forks its workers, so they
        share one copy (copy-on-write) instead of each loading its own, and start mining at once."""
        from .nlp.word_frequencies import word_table
        from .reading import reader  # noqa: F401  (imported for its side effect: loaded once)
        from .records import build, coverage, inputs, rules  # noqa: F401

        _ = self.matcher.compiled
        self.matcher.find("The United States funded it.")  # spaCy sets itself up on its first text
        if self.grammar is not None:
            _ = self.grammar.available
        word_table()  # the reader's hyphen test and the records stage's common-word test


@dataclass
class DocumentOutcome:
    summary: dict[str, Any]
    records: list[Record]
    title: str | None = None
    """The document's title, for the inventory (kept out of ``documents.jsonl``'s summary)."""


def process_document(
    path: Path, stages: Stages, config: Config, password: str | None = None
) -> DocumentOutcome:
    """Read one PDF and mine its records; problems become the outcome, never an exception."""
    from .reading.reader import read_pdf
    from .records.build import build_records
    from .records.inputs import document_inputs
    from .records.rules import RuleSet

    timings: dict[str, float] = {}
    start = time.perf_counter()
    document = read_pdf(path, config.reading, password=password)
    timings["read"] = time.perf_counter() - start
    records: list[Record] = []
    sentences = 0
    if document.status != Status.FAILURE:
        try:
            t = time.perf_counter()
            inputs = document_inputs(document, stages.matcher, stages.splitter)
            document.errors.extend(inputs.coverage)  # another language, no security content
            timings["mentions"] = time.perf_counter() - t
            t = time.perf_counter()
            rules = RuleSet.parse(config.rules.disabled)
            records = build_records(inputs, stages.models, grammar=stages.grammar, rules=rules)
            timings["records"] = time.perf_counter() - t
            sentences = len(inputs.items)
        except Exception as exc:  # keep what was read; say what failed
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"{type(exc).__name__}: {exc} ({Path(frame.filename).name}:{frame.lineno})"
            document.errors.append(problem(ErrorCode.INTERNAL, detail=detail))
            document.status = Status.PARTIAL
    summary = {
        "doc": document.doc,
        "path": str(path),
        "sha256": document.sha256,
        "status": document.status.value,
        "pages": document.pages,
        "counts": {
            "blocks": len(document.blocks),
            "notes": len(document.footnotes),
            "tables": len(document.tables),
            "sentences": sentences,
            "records": len(records),
            "ocr_pages": len(document.ocr),
            "turned_pages": len(document.turned),
        },
        "errors": [{"code": e.code, "message": e.message, "page": e.page} for e in document.errors],
        "warnings": list(stages.notes),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "ocr": {  # pages read by OCR, the time spent on them (part of "read") and how sure it was
            "pages": document.ocr_pages,
            "seconds": round(document.ocr_seconds, 3),
            "confidence": round(sum(p.confidence for p in document.ocr) / len(document.ocr), 1)
            if document.ocr
            else None,
        },
        "pipeline_version": __version__,
        "model_version": stages.models.version,
    }
    return DocumentOutcome(summary, records, document.title)


def prepare_outputs() -> None:
    """Import now what :func:`write_outputs` needs (pyarrow, about 0.1 s). A run calls this while
    its workers mine, on a core they leave free (one document, one worker), not after them."""
    import pyarrow.json
    import pyarrow.parquet  # noqa: F401

    from . import export  # noqa: F401


def write_outputs(
    records: list[Record] | list[dict[str, Any]], summaries: list[dict[str, Any]], out: Path
) -> None:
    """The record files (records sorted by doc, then in id order) and ``documents.jsonl``
    (one summary per document, in input order)."""
    from .export import write_all  # pyarrow: imported only where record files are written

    out.mkdir(parents=True, exist_ok=True)
    write_all(records, out)
    with (out / "documents.jsonl").open("w", encoding="utf-8") as fh:
        for summary in summaries:
            fh.write(json.dumps(summary, ensure_ascii=False) + "\n")


def run(
    paths: list[Path], out: Path, stages: Stages, config: Config, password: str | None = None
) -> list[DocumentOutcome]:
    """Process every PDF serially and write the record files and the per-document report (no
    inventory; :func:`pipeline.batch.run_batch` is the parallel, inventory-keeping run)."""
    outcomes = [process_document(p, stages, config, password) for p in paths]
    records = [r for o in sorted(outcomes, key=lambda o: o.summary["doc"]) for r in o.records]
    write_outputs(records, [o.summary for o in outcomes], out)
    return outcomes
