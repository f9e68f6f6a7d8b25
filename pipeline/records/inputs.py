"""One document's inputs to the records stage: its sentences' mentions, its tables' amounts,
the rows of its inventory tables and the region it is about.

Made once per document, by the main job and by training alike; nothing here learns or looks
at gold records (inference never imports training).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..document import Document, Problem
from ..errors import ErrorCode
from ..nlp.actors import ActorMatcher
from ..nlp.mentions import (
    SentenceMentions,
    TableMentions,
    extract_mentions,
    extract_table_mentions,
    heading_places,
    home_region,
)
from ..nlp.sentences import split_sentences
from .coverage import coverage_problems
from .rows import RowMentions, row_mentions


@dataclass
class DocumentInputs:
    """One document with its sentences' mentions and its tables' amounts."""

    document: Document
    items: list[SentenceMentions]
    tables: list[TableMentions]
    home: str | None = None
    """The region the report is about (from its title), if it names one."""
    rows: list[RowMentions] = field(default_factory=list)
    """Rows of the tables that list interventions one per row (see :mod:`.rows`)."""
    coverage: list[Problem] = field(default_factory=list)
    """Whether the models know such a report: another language (W303), not about security
    (W304); see :mod:`.coverage`."""
    places: dict[str, list[str]] = field(default_factory=dict)
    """Heading (and title) → the countries and regions it names: where a section is set."""


def document_inputs(
    document: Document, matcher: ActorMatcher, nlp: Any = None, ner_off_topic: bool = False
) -> DocumentInputs:
    """Sentences, their actors, amounts and years, and the tables' money cells of ``document``.

    A report that is not about security (W304, judged in the language it is written in) is mined
    without NER: NER looks for the parties of interventions outside the registry, such a report is
    likely to state none, and NER is most of what finding mentions costs (on a grants audit, 1.9 s
    of 2.1 s; on a 65-page French transport plan, 1.1 s of 2.5 s). What NER would add there is
    names for records that would likely be no interventions.

    Training reads such a report in full (``ner_off_topic=True``): a near-miss coded with no
    records teaches the models that sentences naming organisations, NER's among them, need not
    state an intervention. Held out one document at a time, models trained without those names
    found fewer of the seed report's records (micro detect F1 0.739 against 0.750)."""
    sentences = split_sentences(document, nlp)
    coverage = coverage_problems(sentences)
    off_topic = any(p.code == ErrorCode.NO_SECURITY_CONTENT.value for p in coverage)
    ner = ner_off_topic or not off_topic
    region = home_region(document.title, matcher)
    items = extract_mentions(sentences, matcher, region, ner=ner)
    tables = extract_table_mentions(document)
    return DocumentInputs(
        document,
        items,
        tables,
        home=region.canonical if region else None,
        rows=row_mentions(tables, matcher, first_index=len(items), ner=ner),
        coverage=coverage,
        places=heading_places([document.title or "", *(s.section or "" for s in sentences)], matcher),
    )
