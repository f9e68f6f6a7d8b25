"""Sentences → mentions: actors, money amounts and years found in each sentence.

The extractors work on plain strings; this stage runs them over every sentence of a
document (actors in one batch, so the pretrained NER runs once per document) and keeps
their offsets relative to the sentence, which maps back to the document through
``Sentence.start``. Table cells become amounts of their table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..document import Document, Table
from .actors import ActorMatcher, ActorMention
from .amounts import AmountMention, TableAmount, amounts_from_table, find_amounts
from .sentences import Sentence
from .years import YearMention, find_years


@dataclass
class SentenceMentions:
    """One sentence with what was found in it (offsets relative to ``sentence.text``)."""

    sentence: Sentence
    actors: list[ActorMention] = field(default_factory=list)
    amounts: list[AmountMention] = field(default_factory=list)
    years: list[YearMention] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.sentence.text

    def canonical_actors(self) -> list[str]:
        """Registry names of the actors mentioned, in text order, once each."""
        seen: list[str] = []
        for mention in self.actors:
            if mention.canonical and mention.canonical not in seen:
                seen.append(mention.canonical)
        return seen


@dataclass
class TableMentions:
    table_index: int
    table: Table
    amounts: list[TableAmount]


def extract_mentions(sentences: list[Sentence], matcher: ActorMatcher) -> list[SentenceMentions]:
    """Actors, amounts and years of every sentence, in sentence order."""
    actors = matcher.find_all(s.text for s in sentences)
    return [
        SentenceMentions(sentence, found, find_amounts(sentence.text), find_years(sentence.text))
        for sentence, found in zip(sentences, actors, strict=True)
    ]


def extract_table_mentions(document: Document) -> list[TableMentions]:
    """Every money cell of every table, with the scale and year its caption and header give."""
    return [TableMentions(i, t, amounts_from_table(t)) for i, t in enumerate(document.tables)]
