"""Detected sentences → draft records: one intervention, all the sentences that state it.

Grouping follows what a reader follows: a program's name (and its acronym, once the report
has defined it) makes every sentence that names it part of one record, wherever it stands;
"the Plan", "the initiative", "It" continue the program named just before; a footnote joins
the record of the sentence that carries its marker; a table joins the program its caption
names. Unnamed sentences next to each other that share an actor are one passage, one record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from wordfreq import zipf_frequency

from ..nlp.actors import ActorRegistry, fold_text
from ..nlp.mentions import SentenceMentions, TableMentions
from .examples import link_example
from .features import (
    ProgramName,
    acronym_table,
    is_glossary,
    is_program_name,
    name_key,
    program_names,
    starts_with_anaphor,
)
from .models import Model, probabilities

DEFINITE_REFERENCE = re.compile(
    r"\b[Tt]he (program|programme|plan|initiative|project|fund|strategy|agreement|convention|treaty)\b"
)
GENERIC_HEADS = frozenset({"initiative", "program", "programme", "plan", "project", "fund", "strategy"})


@dataclass
class Draft:
    """A record before its fields are filled: evidence, name and table amounts."""

    items: list[SentenceMentions] = field(default_factory=list)
    key: str | None = None
    names: list[str] = field(default_factory=list)
    tables: list[TableMentions] = field(default_factory=list)
    probability: float = 0.0

    @property
    def name(self) -> str | None:
        return max(self.names, key=len) if self.names else None

    def add(self, item: SentenceMentions, probability: float) -> None:
        if item not in self.items:
            self.items.append(item)
        self.probability = max(self.probability, probability)


@dataclass
class Assembler:
    """Groups detected sentences into drafts (parameters only; see :meth:`assemble`)."""

    threshold: float = 0.4
    passage_gap: int = 4
    """Two unnamed detected sentences at most this far apart in one block can be one record."""
    reference_gap: int = 12
    """"The program" can point back to a program named up to this many sentences before."""
    registry: ActorRegistry | None = None
    """Actors' names are not program short names ("Colombia" of "Plan Colombia")."""
    linker: Model | None = None
    """Learned P(same intervention) for two sentences of one passage; cue rules without it."""

    def assemble(
        self, items: list[SentenceMentions], probabilities: list[float], tables: list[TableMentions]
    ) -> list[Draft]:
        acronyms = acronym_table([i.text for i in items])
        long_to_acronym = {name_key(long): acr for acr, long in acronyms.items()}
        drafts: list[Draft] = []
        by_key: dict[str, Draft] = {}
        by_sentence: dict[int, Draft] = {}
        previous: tuple[SentenceMentions, Draft] | None = None
        kept = [
            (item, probability)
            for item, probability in zip(items, probabilities, strict=True)
            if probability >= self.threshold and not is_glossary(item.text)
        ]
        linked = self._links([item for item, _ in kept])
        for (item, probability), link in zip(kept, linked, strict=True):
            names = self._names(item.text, acronyms)
            draft = self._place(item, names, previous, link, by_key, by_sentence, long_to_acronym)
            if draft is None:
                draft = Draft()
                drafts.append(draft)
            if names and draft.key is None:
                draft.key = self._key(names[0], long_to_acronym)
                by_key.setdefault(draft.key, draft)
            draft.names.extend(
                self._display(n, acronyms) for n in names[:1] if self._key(n, long_to_acronym) == draft.key
            )
            draft.add(item, probability)
            by_sentence[item.sentence.index] = draft
            previous = (item, draft)
        self._attach_tables(drafts, tables)
        drafts = self._fold_in_satellites(drafts, {i.sentence.index: i.sentence.block for i in items})
        return [d for d in drafts if d.items or d.tables]

    @staticmethod
    def _fold_in_satellites(drafts: list[Draft], block_of: dict[int, int | None]) -> list[Draft]:
        """Unnamed drafts made only of captions or only of footnotes join the record they serve:
        a caption the program it names, a footnote the record holding its citing paragraph."""
        kept: list[Draft] = []
        for draft in drafts:
            sources = {i.sentence.source for i in draft.items}
            home: Draft | None = None
            if draft.key is None and sources and sources <= {"caption", "table_caption"}:
                caption = fold_text(" ".join(i.text for i in draft.items)).casefold()
                home = next((d for d in drafts if d is not draft and d.key and _names_in(d, caption)), None)
            elif draft.key is None and sources == {"footnote"}:
                citing = {c for i in draft.items for c in i.sentence.cited_by}
                blocks = {block_of.get(c) for c in citing} - {None}
                home = next((d for d in drafts if d is not draft and _holds(d, citing)), None) or next(
                    (
                        d
                        for d in drafts
                        if d is not draft and any(i.sentence.block in blocks for i in d.items)
                    ),
                    None,
                )
            if home is None:
                kept.append(draft)
            else:
                for item in draft.items:
                    home.add(item, draft.probability)
        return kept

    @staticmethod
    def _key(name: ProgramName, long_to_acronym: dict[str, str]) -> str:
        acronym = name.acronym or long_to_acronym.get(name_key(name.text))
        return name_key(acronym or name.text)

    @staticmethod
    def _display(name: ProgramName, acronyms: dict[str, str]) -> str:
        if name.acronym and name.acronym != name.text:
            return f"{name.text} ({name.acronym})"
        return acronyms.get(name.text, name.text) if name.text.isupper() else name.text

    def _same_passage(self, before: SentenceMentions, item: SentenceMentions) -> bool:
        return (
            before.sentence.block == item.sentence.block
            and before.sentence.source == item.sentence.source
            and 0 < item.sentence.index - before.sentence.index <= self.passage_gap
        )

    def _links(self, kept: list[SentenceMentions]) -> list[bool | None]:
        """Whether each kept sentence continues the one kept before it, by the linker (None
        where the two are not one passage or no linker is set); one batched prediction."""
        linked: list[bool | None] = [None] * len(kept)
        if self.linker is None:
            return linked
        pairs = [n for n in range(1, len(kept)) if self._same_passage(kept[n - 1], kept[n])]
        scores = probabilities(self.linker, [link_example(kept[n - 1], kept[n]) for n in pairs], 1)
        for n, score in zip(pairs, scores, strict=True):
            linked[n] = score >= 0.5
        return linked

    def _place(
        self,
        item: SentenceMentions,
        names: list[ProgramName],
        previous: tuple[SentenceMentions, Draft] | None,
        link: bool | None,
        by_key: dict[str, Draft],
        by_sentence: dict[int, Draft],
        long_to_acronym: dict[str, str],
    ) -> Draft | None:
        sentence = item.sentence
        if names:
            return by_key.get(self._key(names[0], long_to_acronym))
        short = self._short_name_draft(item.text, by_key)
        if short is not None:
            return short
        if previous is not None and DEFINITE_REFERENCE.search(" ".join(item.text.split()[:12])):
            before, draft = previous  # "the program", "the Plan": the program named last, nearby
            if draft.key and 0 < sentence.index - before.sentence.index <= self.reference_gap:
                return draft
        if sentence.source == "footnote":
            for index in sentence.cited_by:
                if index in by_sentence:
                    return by_sentence[index]
            return None  # placed after assembly, with the citing paragraph's record
        if previous is None:
            return None
        before, draft = previous
        if not self._same_passage(before, item):
            return None
        if link is not None:
            return draft if link else None
        if starts_with_anaphor(item.text):
            return draft
        shared = set(before.canonical_actors()) & set(item.canonical_actors())
        return draft if shared else None

    def _names(self, text: str, acronyms: dict[str, str]) -> list[ProgramName]:
        """Program names in a sentence, and the report's own acronyms of programs used alone.

        An organisation the actor registry knows (UNDP, CICAD) is an actor, not a program,
        even when its name ends in "Programme" or "Commission": it funds many records.
        """
        registry = self.registry or _default_registry()
        found = [
            n
            for n in program_names(text)
            if registry.get(n.text) is None and registry.get(n.acronym or "") is None
        ]
        if len({n.key for n in found}) >= 3:
            return []  # an overview listing programs belongs to none of them
        for acronym, long_form in acronyms.items():
            if not is_program_name(long_form) or registry.get(acronym) is not None:
                continue
            for match in re.finditer(rf"(?<![\w-]){re.escape(acronym)}(?![\w-])", text):
                if not any(n.start <= match.start() < n.end for n in found):
                    found.append(ProgramName(match.start(), match.end(), acronym, acronym))
        return sorted(found, key=lambda n: n.start)

    def _short_name_draft(self, text: str, by_key: dict[str, Draft]) -> Draft | None:
        """A sentence calling a program by its distinctive word alone ("Mérida was extended")."""
        for draft in by_key.values():
            word = self._distinctive(draft)
            if word and re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text):
                return draft
        return None

    def _distinctive(self, draft: Draft) -> str | None:
        for name in draft.names:
            for word in re.findall(r"[A-ZÀ-Þ][\w’'\-]{3,}", name):
                if word.casefold() in GENERIC_HEADS or zipf_frequency(word.casefold(), "en") >= 3.0:
                    continue
                if (self.registry or _default_registry()).get(word) is not None:
                    continue
                return word
        return None

    @staticmethod
    def _attach_tables(drafts: list[Draft], tables: list[TableMentions]) -> None:
        for table in tables:
            caption = fold_text(table.table.caption or "").casefold()
            if not caption or not table.amounts:
                continue
            for draft in drafts:
                if draft.key and _names_in(draft, caption):
                    draft.tables.append(table)
                    break


@lru_cache(maxsize=1)
def _default_registry() -> ActorRegistry:
    return ActorRegistry.load()


def _holds(draft: Draft, sentences: set[int]) -> bool:
    return any(i.sentence.index in sentences for i in draft.items)


def _names_in(draft: Draft, caption: str) -> bool:
    """A caption names a draft's program by its key, its acronym or its distinctive word."""
    if draft.key and draft.key in caption:
        return True
    for name in draft.names:
        words = [
            w for w in fold_text(name).casefold().replace("(", " ").replace(")", " ").split() if len(w) > 3
        ]
        distinctive = [
            w for w in words if w not in {"initiative", "program", "programme", "plan", "project", "fund"}
        ]
        if distinctive and distinctive[0] in caption:
            return True
    return False
