"""One document's inputs to the records stage: its sentences' mentions, its tables' amounts,
the rows of its inventory tables and the region it is about.

Made once per document, by the main job and by training alike; nothing here learns or looks
at gold records (inference never imports training).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..document import Document
from ..nlp.actors import ActorMatcher
from ..nlp.mentions import (
    SentenceMentions,
    TableMentions,
    extract_mentions,
    extract_table_mentions,
    home_region,
)
from ..nlp.sentences import split_sentences
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


def document_inputs(document: Document, matcher: ActorMatcher, nlp: Any = None) -> DocumentInputs:
    """Sentences, their actors, amounts and years, and the tables' money cells of ``document``."""
    items = extract_mentions(split_sentences(document, nlp), matcher, document.title)
    tables = extract_table_mentions(document)
    region = home_region(document.title, matcher)
    return DocumentInputs(
        document,
        items,
        tables,
        home=region.canonical if region else None,
        rows=row_mentions(tables, matcher, first_index=len(items)),
    )
