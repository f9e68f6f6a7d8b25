"""Sentences → mentions: actors, money amounts and years found in each sentence.

The extractors work on plain strings; this stage runs them over every sentence of a
document (actors in one batch, so the pretrained NER runs once per document) and keeps
their offsets relative to the sentence, which maps back to the document through
``Sentence.start``. Table cells become amounts of their table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..document import Document, Table
from .actors import ActorMatcher, ActorMention
from .amounts import AmountMention, TableAmount, amounts_from_table, find_amounts
from .sentences import Sentence
from .syntax import Grammar
from .years import YearMention, find_years


@dataclass
class SentenceMentions:
    """One sentence with what was found in it (offsets relative to ``sentence.text``)."""

    sentence: Sentence
    actors: list[ActorMention] = field(default_factory=list)
    amounts: list[AmountMention] = field(default_factory=list)
    years: list[YearMention] = field(default_factory=list)
    grammar: list[Grammar | None] | None = None
    """Per actor mention, its grammar (see :mod:`.syntax`); None until the sentence is parsed."""
    focus: tuple[tuple[int, int], ...] = ()
    """The parts of the sentence a record reads, where the sentence lists several interventions
    (its lead-in and one item: see :meth:`narrowed`); empty: all of it."""

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def read_text(self) -> str:
        """What a record reads of the sentence: its focus, else all of it."""
        if not self.focus:
            return self.text
        return " ".join(self.text[start:end].strip() for start, end in self.focus)

    def narrowed(self, focus: tuple[tuple[int, int], ...]) -> SentenceMentions:
        """This sentence as one record of several reads it: only the mentions inside ``focus``
        (the evidence stays the whole sentence)."""

        def inside(start: int) -> bool:
            return any(a <= start < b for a, b in focus)

        return replace(
            self,
            actors=[m for m in self.actors if inside(m.start)],
            amounts=[m for m in self.amounts if inside(m.start)],
            years=[y for y in self.years if inside(y.start)],
            grammar=None,
            focus=focus,
        )

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


REGION_REFERENCE = re.compile(
    r"\b(?:the|this|our) (?:region|sub-continent|subcontinent)\b(?!\w*[-’']s?\w)", re.I
)


def home_region(title: str | None, matcher: ActorMatcher) -> ActorMention | None:
    """The region a report is about, from its title ("… in Latin America"): what its text
    means by "the region"."""
    if not title:
        return None
    # a registered region: NER's names are never one (and NER is most of what matching costs)
    found = next(matcher.find_all([title], ner=False))
    regions = [m for m in found if m.canonical and m.type == "region"]
    return regions[-1] if regions else None


def heading_places(headings: list[str], matcher: ActorMatcher) -> dict[str, list[str]]:
    """The countries and regions each heading names, in order, by its text ("Strengthening
    Recovery and Resilience in Mozambique" → Mozambique): what a section is about. The
    registry's alone: a place NER finds is no registered country or region."""
    distinct = list(dict.fromkeys(h for h in headings if h))
    places: dict[str, list[str]] = {}
    for heading, found in zip(distinct, matcher.find_all(distinct, ner=False), strict=True):
        named = [m.canonical for m in found if m.canonical and m.type in ("country", "region")]
        if named:
            places[heading] = list(dict.fromkeys(named))
    return places


def region_references(text: str, home: ActorMention | None) -> list[ActorMention]:
    """ "The region" in a sentence, resolved to the report's home region."""
    if home is None:
        return []
    return [
        replace(home, start=m.start(), end=m.end(), text=m.group(0), how="reference", score=0.7)
        for m in REGION_REFERENCE.finditer(text)
    ]


def extract_mentions(
    sentences: list[Sentence], matcher: ActorMatcher, home: ActorMention | None = None, ner: bool = True
) -> list[SentenceMentions]:
    """Actors, amounts and years of every sentence, in sentence order; with the region the report
    is about (:func:`home_region`), "the region" becomes that region. ``ner=False``: the
    registry's actors only, for this document (the matcher's NER is used where it is on and
    ``ner`` is)."""
    actors = matcher.find_all((s.text for s in sentences), ner=ner)
    out = []
    for sentence, found in zip(sentences, actors, strict=True):
        found = sorted([*found, *region_references(sentence.text, home)], key=lambda m: m.start)
        amounts = find_amounts(sentence.text)
        out.append(SentenceMentions(sentence, found, amounts, find_years(sentence.text, amounts)))
    return out


def extract_table_mentions(document: Document) -> list[TableMentions]:
    """Every money cell of every table, with the scale and year its caption and header give."""
    return [TableMentions(i, t, amounts_from_table(t)) for i, t in enumerate(document.tables)]
