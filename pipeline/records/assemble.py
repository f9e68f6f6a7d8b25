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
from itertools import pairwise

from rapidfuzz import fuzz

from ..nlp.actors import ActorRegistry, fold_text
from ..nlp.mentions import SentenceMentions, TableMentions
from ..nlp.word_frequencies import ENGLISH, is_frequent
from ..nlp.years import YearMention
from ..text import name_key
from .examples import link_example
from .features import (
    DOERS,
    ProgramName,
    acronym_table,
    is_glossary,
    is_program_name,
    opens_pointing_back,
    program_heads,
    starts_with_anaphor,
)
from .names import AND_NEXT, default_registry, programs_named
from .predict import Model, probabilities
from .rules import ALL_ON, RuleSet

SEQUENCE_OPENING = re.compile(
    r"^(?:(?:shortly|soon|just|immediately|long|years|months|weeks|a\s+year|a\s+decade)\s+)?"
    r"(?:after|before|following|prior\s+to|for\s+the\s+first\s+time\s+since)\b[^,;]{3,160},",
    re.IGNORECASE,
)
"""An opening clause placing the sentence after or before another event ("Shortly after
agreement on the Convention in 2005, …", "For the first time since the Convention, …"): a
program named there is that other event."""


def sequence_opening_end(text: str) -> int:
    match = SEQUENCE_OPENING.match(text)
    return match.end() if match else 0


DEFINITE_REFERENCE = re.compile(
    r"\b(?:[Tt]he|[Tt]his) "
    r"((?i:program|programme|plan|initiative|project|fund|strategy|agreement|convention|treaty))\b"
)
"""A program called by its kind: "the plan", "In this program, …"."""
BACK_REFERENCE = re.compile(
    r"\b(?:[Tt]he|[Tt]his) (?:program|programme|plan|initiative|project|fund|strategy)\b|\b(?:[Ii]ts|[Ii]t)\b"
    r"|\b[Tt]his (?:amount|sum|total)\b"
)
"""A word pointing back to a program named before, or to the money just said of it: "the plan",
"this initiative", "its", "it", "Of this amount, some $366 million …"."""
EXPLETIVE = re.compile(
    r"It (?:seems|appears|(?:is|was|has been) (?:not )?(?:\w+ly )?(?:worth|important|clear|likely|unlikely|"
    r"expected|anticipated|noted|said|believed|estimated|hoped|possible|impossible|necessary|essential|"
    r"difficult|unclear|true|interesting|notable|striking|telling|evident|apparent|recalling|noting))\b"
)
"""An "it" that points at nothing: "It is worth noting that …", "It is anticipated that …"."""
ANAPHORIC_SUBJECT = re.compile(
    r"^(?:[A-Z][^,]{0,60},\s*)?"
    r"(It|[Tt]he\s+(?:country|government|organi[sz]ation|agency|bank|institution|foundation|donor))\b"
    r"(?!\s*(?:’s|'s)\b)"
)
"""A sentence whose subject points back to an actor ("It established …", "In 2011, the
country supported …")."""
ORGANISATIONS = frozenset(
    {"government agency", "multilateral", "regional body", "non-governmental", "private"}
)
ANTECEDENT_KINDS = {
    "country": frozenset({"country"}),
    "government": frozenset({"country"}),
    "it": ORGANISATIONS | {"country"},
    **{noun: ORGANISATIONS for noun in ("organization", "organisation", "agency", "bank", "institution")},
    **{noun: ORGANISATIONS for noun in ("foundation", "donor")},
}
"""What "the country", "the agency" or "it" can stand for."""
PARALLEL_OPENING = re.compile(r"^(?:Likewise|Similarly|Related(?:ly)?|In\s+a\s+similar\s+vein),")
"""A sentence opening on a word of likeness brings in another instance of what came before:
another intervention, not more of the same one."""
SETS_UP = re.compile(
    r"\b(?:launch(?:ed|es)?|creat(?:ed|es|ion)|establish(?:ed|es|ment)|set\s+up|form(?:ed|ation))\s+"
    r"(?:of\s+)?(?:a|an)\s+(?:new\s+)?(?:[\w\-]+\s+){0,3}?"
    r"(?:facility|fund|program|programme|project|initiative|task\s+force|unit|network|cent(?:er|re)|mechanism)\b"
)
"""A passage sentence setting up a new intervention ("It has also announced the launch of a
citizen security facility"): another record."""
GENERIC_HEADS = frozenset({"initiative", "program", "programme", "plan", "project", "fund", "strategy"})


LISTED_NEXT = re.compile(r"(?:[,;:]|\band|\bas well as|\bor)\s+(?:the\s+|an?\s+)?(?:[\w.'’\-]+\s+){0,2}$")
"""What comes just before a program listed beside another: a connector and at most two words
(", the", "; the", "and the legally binding OAS"). Only the end of the words between two names
counts: the first name may go on past where it was read to end ("the UN Protocol to Prevent,
Suppress and Punish …, the ILO Convention")."""


@dataclass
class Draft:
    """A record before its fields are filled: evidence, name and table amounts."""

    items: list[SentenceMentions] = field(default_factory=list)
    key: str | None = None
    names: list[str] = field(default_factory=list)
    tables: list[TableMentions] = field(default_factory=list)
    probability: float = 0.0
    joined_by: dict[int, str] = field(default_factory=dict)
    """Sentence index → why it joined (see :class:`~pipeline.records.model.EvidenceSpan`)."""
    at: int = 0
    """Where in its first sentence the record is stated (its name, its clause): records of one
    sentence come in the order the sentence states them."""
    years_of: dict[int, list[YearMention]] = field(default_factory=dict)
    """Sentence index → the years of it that date this record, where the sentence lists several
    programs each with its own year ("A (1999), B (2000)"); absent: all its years."""
    roles: dict[str, str] = field(default_factory=dict)
    """Registry name → role, where the source states the roles outright (a table's columns);
    empty: the role model reads them off the sentences."""
    antecedent: str | None = None
    """The actor an opening "It" or "The country" of the record's first sentence stands for
    (the one the sentences before it speak of), if any: who acts when nobody else is named."""

    def years(self) -> list[YearMention]:
        return [y for i in self.items for y in self.years_of.get(i.sentence.index, i.years)]

    @property
    def name(self) -> str | None:
        return max(self.names, key=len) if self.names else None

    def add(self, item: SentenceMentions, probability: float, joined_by: str) -> None:
        if item not in self.items:
            self.items.append(item)
            self.joined_by[item.sentence.index] = "start" if len(self.items) == 1 else joined_by
        self.probability = max(self.probability, probability)


@dataclass
class Assembler:
    """Groups detected sentences into drafts (parameters only; see :meth:`assemble`)."""

    threshold: float = 0.4
    """P(states an intervention) from which a sentence joins a record."""
    record_threshold: float = 0.5
    """P from which an unnamed record with no table is one: its best sentence has to be more
    likely an intervention than not. A sentence joins a record more readily than it makes one."""
    passage_gap: int = 4
    """Two unnamed detected sentences at most this far apart in one block can be one record."""
    reference_gap: int = 12
    """"The program" can point back to a program named up to this many sentences before."""
    registry: ActorRegistry | None = None
    """Actors' names are not program short names ("Colombia" of "Plan Colombia")."""
    linker: Model | None = None
    """Learned P(same intervention) for two sentences of one passage; cue rules without it."""
    link_threshold: float = 0.5
    """The linker's P(same intervention) from which two sentences are one record."""
    rules: RuleSet = ALL_ON
    """The hand-written rules switched on (see :mod:`.rules`)."""

    def assemble(
        self, items: list[SentenceMentions], probabilities: list[float], tables: list[TableMentions]
    ) -> list[Draft]:
        acronyms = acronym_table([i.text for i in items])
        keys = NameKeys({name_key(long): acr for acr, long in acronyms.items()})
        rules = self.rules
        names_of = {i.sentence.index: self._names(i.text, acronyms, i.sentence.emphasis) for i in items}
        keys.learn_renamings([(i.text, names_of[i.sentence.index]) for i in items])
        drafts: list[Draft] = []
        by_key: dict[str, Draft] = {}
        by_sentence: dict[int, Draft] = {}
        previous: tuple[SentenceMentions, Draft] | None = None
        kept = [
            (item, probability)
            for item, probability in zip(items, probabilities, strict=True)
            if probability >= self.threshold and not self._states_nothing(item)
        ]
        linked = self._links([item for item, _ in kept])
        # a note the linker keeps apart from its citing sentence states another intervention
        unlinked_notes = self._unlinked_notes(items, [item for item, _ in kept])
        listing: dict[int, Draft | None] = {}  # sentence naming programs → the one it states
        passing: dict[int, set[int]] = {}  # listing sentence → drafts it names only in passing
        named: list[tuple[int, Draft]] = []  # (sentence, draft) of sentences naming a program
        enumerating: set[int] = set()  # sentences listing interventions, some unnamed
        for (item, probability), link in zip(kept, linked, strict=True):
            frame_end = sequence_opening_end(item.text) if rules.on("frames") else 0
            names = [n for n in names_of[item.sentence.index] if n.start >= frame_end]
            referent = self._opening_reference(item, names, named) if rules.on("definite-reference") else None
            if referent is not None:
                # "Adopted in 2004, the strategy is overseen by A, B and C": the sentence speaks of
                # the program named before; the names it goes on to are its parts
                referent.add(item, probability, "reference")
                by_sentence[item.sentence.index] = referent
                previous = (item, referent)
                continue
            enumerated = enumerated_interventions(item, names) if rules.on("enumerated-interventions") else []
            if enumerated:
                # "Examples include peace laboratories in X, agreements with Y and the Z Program":
                # each item is an intervention of its own, stated by this one sentence, read with
                # the lead-in: who ("Examples of EU interventions include") and the item
                listed: list[Draft] = []
                lead_in = (0, enumerated[0][0])
                for start, end in enumerated:
                    inside = [n for n in names if start <= n.start < end]
                    if inside:
                        draft = self._draft_for(keys(inside[0]), inside[0], drafts, by_key, acronyms)
                    else:
                        draft = Draft(at=start)
                        drafts.append(draft)
                    draft.add(item.narrowed((lead_in, (start, end))), probability, "listing")
                    if len(draft.items) == 1:
                        draft.at = start  # the records of one list in the order it lists them
                    listed.append(draft)
                listing[item.sentence.index] = None
                enumerating.add(item.sentence.index)
                unlinked_notes.add(item.sentence.index)  # a note listing them states them
                by_sentence[item.sentence.index] = listed[0]
                previous = None
                continue
            firsts = self._first_per_key(names, keys)
            if rules.on("listed-programs") and len(firsts) >= 2:
                # a sentence listing programs states each of them: it is evidence of every one
                listed = [self._draft_for(key, name, drafts, by_key, acronyms) for key, name in firsts]
                for draft in listed:
                    draft.add(item, probability, "listing")
                tied = [years_tied_to(name, item) for _, name in firsts]
                if any(tied):  # each program listed with its own year keeps only that one
                    for draft, years in zip(listed, tied, strict=True):
                        draft.years_of[item.sentence.index] = years
                (_, first), (_, second) = firsts[:2]
                coordinated = AND_NEXT.match(item.text[first.end : second.start]) is not None
                listing[item.sentence.index] = None if coordinated else listed[0]
                # "X, adopted at the meeting of Y", "X, to be followed by Y": a later name not
                # listed beside the one before it, with no money said after that one, is named
                # in passing; the sentence does not state it
                ends = [*(n.start for _, n in firsts[2:]), len(item.text)]
                passing[item.sentence.index] = {
                    id(draft)
                    for draft, (_, before), (_, name), end in zip(
                        listed[1:], firsts[:-1], firsts[1:], ends, strict=True
                    )
                    if LISTED_NEXT.search(item.text[before.end : name.start]) is None
                    and not any(before.end <= a.start < end for a in item.amounts)
                }
                by_sentence[item.sentence.index] = listed[0]
                # after an overview of several programs, what follows carries on none of them
                previous = None if coordinated else (item, listed[0])
                continue
            if enumerating.intersection(item.sentence.cited_by):
                # a note to a sentence listing several interventions belongs to none of them:
                # it is a record of its own if it states one
                unlinked_notes.add(item.sentence.index)
            draft, joined_by = self._place(
                item, names, previous, link, by_key, by_sentence, keys, unlinked_notes, named
            )
            if draft is None:
                draft = Draft()
                drafts.append(draft)
            if names and draft.key is None:
                draft.key = keys(names[0])
                by_key.setdefault(draft.key, draft)
            # the name again later in the sentence may come with its acronym ("• Crime Gun
            # Intelligence Unit: … the regional Crime Gun Intelligence Unit (CGIU) …")
            draft.names.extend(
                self._display(n, acronyms)
                for n in names
                if keys(n) == draft.key and (n is names[0] or n.text == names[0].text)
            )
            draft.add(item, probability, joined_by)
            if names and draft.key:
                named.append((item.sentence.index, draft))
                clause = another_unnamed_clause(item.text, names) if rules.on("unnamed-clause") else None
                if clause is not None:
                    extra = Draft(at=clause)  # "… formed the X Group and supports pilot projects in …"
                    extra.add(item, probability, "start")
                    drafts.append(extra)
                    if draft.items[0] is item:
                        draft.at = names[0].start
                if keys(names[0]) == draft.key:
                    dating = years_before_name(names[0], item)
                    if dating:
                        draft.years_of.setdefault(item.sentence.index, dating)
            by_sentence[item.sentence.index] = draft
            previous = (item, draft)
        if rules.on("follow-ups"):
            self._attach_follow_ups(items, probabilities, by_sentence)
        # a sentence naming several programs in one breath ("A, B and C") is an overview: it
        # stays evidence only of those stated nowhere else. One that names a program and goes on
        # to others ("US spending on A amounted to … with a further … for B") states the first
        # it names, and stays its evidence too
        for draft in drafts:
            own = [
                i
                for i in draft.items
                if listing.get(i.sentence.index, draft) is draft
                or (draft.key is None and i.sentence.index in enumerating)
            ]
            if own:
                draft.items = own
            elif all(id(draft) in passing.get(i.sentence.index, ()) for i in draft.items):
                draft.items = []
        if rules.on("captions-and-tables"):
            self._attach_tables(drafts, tables)
        if rules.on("pronoun-antecedents"):
            for draft in drafts:
                draft.antecedent = self._antecedent(draft, items)
        blocks = {i.sentence.index: i.sentence.block for i in items}
        drafts = self._fold_in_satellites(drafts, blocks, unlinked_notes)
        least = self.record_threshold
        drafts = [d for d in drafts if d.tables or (d.items and (d.key or d.probability >= least))]
        # records in document order of their first sentence (a program first met in a listing
        # takes its place where its own sentences begin)
        return sorted(
            drafts, key=lambda d: (min((i.sentence.index for i in d.items), default=len(items)), d.at)
        )

    def _antecedent(self, draft: Draft, items: list[SentenceMentions]) -> str | None:
        """The actor the opening pronoun or "the country/agency" of a draft's first sentence
        stands for: the first actor of a kind it can stand for in the nearest sentence before
        it, in the same passage, that names one ("Colombia fields 34 officers in UN missions.
        The country supports 18 police attaches …" → Colombia)."""
        if not draft.items:
            return None
        first = min(draft.items, key=lambda i: i.sentence.index)
        opening = ANAPHORIC_SUBJECT.match(first.text)
        if opening is None or EXPLETIVE.match(first.text, opening.start(1)):
            return None
        kinds = ANTECEDENT_KINDS.get(opening.group(1).split()[-1].casefold(), ANTECEDENT_KINDS["it"])
        at = next((n for n, i in enumerate(items) if i.sentence.index == first.sentence.index), None)
        if at is None:
            return None
        later = first
        for before in reversed(items[max(0, at - self.passage_gap) : at]):
            if not self._same_passage(before, later):
                return None
            found = next((m.canonical for m in before.actors if m.canonical and m.type in kinds), None)
            if found is not None:
                return found
            later = before
        return None

    def _fold_in_satellites(
        self, drafts: list[Draft], block_of: dict[int, int | None], unlinked_notes: set[int]
    ) -> list[Draft]:
        """Unnamed drafts made only of captions or only of footnotes join the record they serve:
        a caption the program it names, a footnote the record holding its citing paragraph. A
        caption that names no program (a pull quote, a photo's line) is dropped."""
        kept: list[Draft] = []
        for draft in drafts:
            sources = {i.sentence.source for i in draft.items}
            home: Draft | None = None
            captions = self.rules.on("captions-and-tables")
            if captions and draft.key is None and sources and sources <= {"caption", "table_caption"}:
                caption = fold_text(" ".join(i.text for i in draft.items)).casefold()
                home = next((d for d in drafts if d is not draft and d.key and _names_in(d, caption)), None)
            elif (
                self.rules.on("notes-join-citing")
                and draft.key is None
                and sources == {"footnote"}
                and not any(i.sentence.index in unlinked_notes for i in draft.items)
            ):
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
                if (
                    home is not None
                    and self.rules.on("notes-name-their-program")
                    and not all(_speaks_of(i, home) for i in draft.items)
                ):
                    home = None
            if home is None:
                if captions and draft.key is None and sources and sources <= {"caption", "table_caption"}:
                    continue  # a caption naming no program restates the body: no record of its own
                kept.append(draft)
            else:
                for item in draft.items:
                    how = "footnote" if item.sentence.source == "footnote" else "caption"
                    home.add(item, draft.probability, how)
        return kept

    @staticmethod
    def _first_per_key(names: list[ProgramName], keys: NameKeys) -> list[tuple[str, ProgramName]]:
        firsts: dict[str, ProgramName] = {}
        for name in names:
            firsts.setdefault(keys(name), name)
        return list(firsts.items())

    def _draft_for(
        self,
        key: str,
        name: ProgramName,
        drafts: list[Draft],
        by_key: dict[str, Draft],
        acronyms: dict[str, str],
    ) -> Draft:
        """The draft of the program ``key`` names, started here if the report has not named it yet."""
        draft = by_key.get(key)
        if draft is None:
            draft = Draft(key=key)
            drafts.append(draft)
            by_key[key] = draft
        draft.names.append(self._display(name, acronyms))
        return draft

    @staticmethod
    def _display(name: ProgramName, acronyms: dict[str, str]) -> str:
        if name.acronym and name.acronym != name.text:
            return f"{name.text} ({name.acronym})"
        return acronyms.get(name.text, name.text) if name.text.isupper() else name.text

    def _attach_follow_ups(
        self, items: list[SentenceMentions], probabilities: list[float], by_sentence: dict[int, Draft]
    ) -> None:
        """Sentences the detector passed over that carry on the program named just before them
        join its record ("follow-up"): one that opens by pointing back to it ("It entered into
        force in 2004", "The plan was extended …", but not "It is worth noting that …"), and
        one giving money said of it ("$40 million has been spent since its inception"). What
        they add about a program is its evidence, however unlike a statement of cooperation
        their words are. An unnamed record takes only a sentence calling it by the kind of
        intervention it brought in ("a … initiative" → "The initiative …"): what "it" is there
        is less sure."""
        for n, (item, probability) in enumerate(zip(items, probabilities, strict=True)):
            if probability >= self.threshold or item.sentence.index in by_sentence:
                continue
            for before in reversed(items[max(0, n - self.passage_gap) : n]):
                draft = by_sentence.get(before.sentence.index)
                if draft is not None and self._same_passage(before, item):
                    if (draft.key is not None and _follows_up(item, draft)) or (
                        draft.key is None and _calls_by_kind(item, draft)
                    ):
                        draft.add(item, probability, "follow-up")
                        by_sentence[item.sentence.index] = draft
                    break

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
            linked[n] = score >= self.link_threshold
        return linked

    def _referent(self, noun: str, index: int, named: list[tuple[int, Draft]]) -> Draft | None:
        """The program "the <noun>" points back to: the latest named nearby whose name has that
        head word ("the Plan" → Plan Colombia), else the latest named nearby (also for a generic
        "the program")."""
        nearby = [d for at, d in reversed(named) if 0 < index - at <= self.reference_gap]
        noun = noun.casefold()
        if noun in ("program", "programme", "project", "initiative"):
            return nearby[0] if nearby else None  # any program is "the program"
        headed = [d for d in nearby if any(noun in n.casefold() for n in d.names)]
        return (headed or nearby or [None])[0]

    def _opening_reference(
        self, item: SentenceMentions, names: list[ProgramName], named: list[tuple[int, Draft]]
    ) -> Draft | None:
        """The program a named sentence is about when it calls that program "the <noun>" before
        naming anything else (a body sentence: a note's referent is its citing sentence's)."""
        if not names or item.sentence.source == "footnote":
            return None
        reference = DEFINITE_REFERENCE.search(item.text, 0, names[0].start)
        if reference is None or len(item.text[: reference.start()].split()) >= 12:
            return None
        return self._referent(reference.group(1), item.sentence.index, named)

    def _unlinked_notes(self, items: list[SentenceMentions], kept: list[SentenceMentions]) -> set[int]:
        """Detected footnotes the linker keeps apart from every detected sentence citing them:
        a note that states another intervention is its own record. Empty without a linker."""
        if self.linker is None:
            return set()
        detected = {i.sentence.index for i in kept}
        pairs = [
            (items[c], note)
            for note in kept
            if note.sentence.source == "footnote"
            for c in note.sentence.cited_by
            if c in detected and c < len(items) and items[c].sentence.index == c
        ]
        scores = probabilities(self.linker, [link_example(a, b, footnote=True) for a, b in pairs], 1)
        joined = {
            b.sentence.index for (_, b), p in zip(pairs, scores, strict=True) if p >= self.link_threshold
        }
        return {b.sentence.index for _, b in pairs} - joined

    def _place(
        self,
        item: SentenceMentions,
        names: list[ProgramName],
        previous: tuple[SentenceMentions, Draft] | None,
        link: bool | None,
        by_key: dict[str, Draft],
        by_sentence: dict[int, Draft],
        keys: NameKeys,
        unlinked_notes: set[int],
        named: list[tuple[int, Draft]],
    ) -> tuple[Draft | None, str]:
        sentence = item.sentence
        rules = self.rules
        if names:
            return by_key.get(keys(names[0])), "name"
        reference = (
            DEFINITE_REFERENCE.search(" ".join(item.text.split()[:12]))
            if rules.on("definite-reference")
            else None
        )
        # a note's "the initiative" is the one its citing sentence speaks of: the notes run on
        # in their own order, after the body, so the latest program named before it is not it
        if reference and sentence.source != "footnote":
            referent = self._referent(reference.group(1), sentence.index, named)
            if referent is not None:
                return referent, "reference"
        if sentence.source == "footnote" and rules.on("notes-join-citing"):
            if sentence.index in unlinked_notes:
                return None, "start"  # a note stating an intervention of its own
            for index in sentence.cited_by:
                if index in by_sentence:
                    home = by_sentence[index]
                    if rules.on("notes-name-their-program") and not _speaks_of(item, home):
                        return None, "start"
                    return home, "footnote"
            return None, "start"  # placed after assembly, with the citing paragraph's record
        if previous is None:
            return None, "start"
        before, draft = previous
        if not self._same_passage(before, item):
            return None, "start"
        if draft.key is not None and rules.on("definite-reference") and _calls_by_head(item, draft):
            return draft, "reference"  # "… in 2013 the Treaty sets out …" after the X Treaty
        if rules.on("new-actor-new-record") and _brings_in_another(item, draft):
            return None, "start"
        if link is not None:
            return (draft if link else None), "passage"
        if starts_with_anaphor(item.text):
            return draft, "passage"
        shared = set(before.canonical_actors()) & set(item.canonical_actors())
        return (draft if shared else None), "passage"

    def _names(
        self, text: str, acronyms: dict[str, str], emphasis: tuple[tuple[int, int], ...] = ()
    ) -> list[ProgramName]:
        """Program names in a sentence, and the report's own acronyms of programs used alone.

        An organisation the actor registry knows (UNDP, CICAD) is an actor, not a program,
        even when its name ends in "Programme" or "Commission": it funds many records — unless
        the sentence creates it ("the OAS has created CICAD"): then its creation is the record.
        """
        registry = self.registry or default_registry()
        found = programs_named(text, registry, emphasis, self.rules)
        for acronym, long_form in acronyms.items():
            if acronym not in text or not is_program_name(long_form) or registry.get(acronym) is not None:
                continue
            for match in re.finditer(rf"(?<![\w-]){re.escape(acronym)}(?![\w-])", text):
                if any(n.start <= match.start() < n.end for n in found):
                    continue
                defined = _defined_here(text, match.start(), long_form, found)
                if defined is not None:  # "a so-called Cooperation Program between … (COPOLAD)"
                    found = [n for n in found if n is not defined]
                    end = defined.start + len(long_form)
                    found.append(ProgramName(defined.start, end, long_form, acronym))
                else:
                    found.append(ProgramName(match.start(), match.end(), acronym, acronym))
        return sorted(found, key=lambda n: n.start)

    def _states_nothing(self, item: SentenceMentions) -> bool:
        """Whether a detected sentence is of a kind that states no intervention (see :mod:`.rules`)."""
        on, text = self.rules.on, item.text
        return (on("headings") and item.sentence.is_heading) or (on("glossaries") and is_glossary(text))

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


NAME_FILLERS = frozenset(
    {"of", "for", "the", "and", "to", "in", "on", "against", "with", "de", "del", "la", "y"}
)


RENAMED_TO = re.compile(
    r"^\s*(?:\([^()]*\))?\s*[,;:–—-]*\s*(?:(?:was|is|were|has\s+been|had\s+been)\s+)?(?:later\s+|since\s+|"
    r"subsequently\s+)?(?:(?:revised|expanded|reformed)\s+and\s+)?(?:re-?named|re-?branded|re-?titled|re-?cast|"
    r"re-?launched|transformed\s+into|converted\s+into|replaced\s+by|succeeded\s+by|now)(?:\s+as)?\s+(?:the\s+)?$"
)
"""Between an old name and its new one: "ACI (…) - re-named the ACP", "X, later renamed Y",
"X was revised and recast as the Y"."""
RENEWED_IN = re.compile(
    r"^\s*(?:\([^()]*\))?\s*[,;:–—-]*\s*(?:(?:was|is|were|has\s+been|had\s+been)\s+)?re-?authori[sz]ed"
    r"(?:\s+(?:through|until|to)\s+\S+)?\s+(?:in|by|under|as|through)\s+(?:the\s+)?$"
)
"""Between a law or program and the act that renews it ("the BSA was reauthorized through
FY2012 in the Border Safety Renewal Act"): one intervention carried on under a new name."""
FORMERLY = re.compile(
    r"^\s*(?:\([^()]*\))?\s*[,;:–—-]*\s*(?:(?:was|is|were|had\s+been)\s+)?(?:formerly|previously|originally|"
    r"once)?\s*(?:known|called|named)\s+(?:as\s+)?(?:the\s+)?$"
)
"""Between a current name and its old one: "the ACP was known as the ACI", "Y, formerly called X"."""
SAME_AS = re.compile(
    r"^\s*(?:\([^()]*\))?\s*(?:,|\()\s*(?:or|also\s+known\s+as|also\s+called|known\s+as|aka)\s+"
    r"(?:the\s+)?[\"“'‘]?$"
)
"""Between a name and another spelling of it: "the Andean Counterdrug Initiative, or ACI",
"the Convention on Cyber-crime (or “Budapest Convention”)"."""


@dataclass
class NameKeys:
    """A program name's identity key: its acronym when the report defines one, and the current
    name when the report says the program was renamed (the old and new names are one record)."""

    long_to_acronym: dict[str, str]
    renamed: dict[str, str] = field(default_factory=dict)
    words: dict[str, frozenset[str]] = field(default_factory=dict)
    """Content words of every full-name key met so far (for shortened names)."""

    def __call__(self, name: ProgramName) -> str:
        acronym = name.acronym or self.long_to_acronym.get(name_key(name.text))
        key = name_key(acronym or name.text)
        seen = {key}
        while key in self.renamed and self.renamed[key] not in seen:  # follow chains, never loop
            key = self.renamed[key]
            seen.add(key)
        if acronym:
            return self._same_program(key, _long_form_key(name.text, key))
        return self._same_program(key)

    def _same_program(self, key: str, long_form: str | None = None) -> str:
        """A name that is a shortened or longer form of exactly one name met before, with the
        same head word ("Firearms Protocol", "United Nations Firearms Protocol"), is its key. A
        name given with its acronym is compared by its long form ("Global Safer Cities Network
        (GSCN)" after "the Global Network on Safer Cities")."""
        if key in self.words:
            return key
        words = frozenset(_actors_abbreviated(long_form or key).split()) - NAME_FILLERS
        heads = words & program_heads()
        if len(words) < 2 or not heads:
            self.words[key] = words
            return key
        matches = [
            known
            for known, theirs in self.words.items()
            if len(theirs) >= 2
            and heads & theirs
            and _shorter_or_longer(words, theirs)
        ]
        if len(matches) == 1:
            self.renamed[key] = matches[0]
            return matches[0]
        self.words[key] = words
        return key

    def learn_renamings(self, sentences: list[tuple[str, list[ProgramName]]]) -> None:
        """Old name → new name from what the report says between two names of a sentence."""
        for text, names in sentences:
            for a, b in pairwise(names):
                between = text[a.end : b.start]
                if RENAMED_TO.match(between) or SAME_AS.match(between) or RENEWED_IN.match(between):
                    old, new = a, b
                elif FORMERLY.match(between):
                    old, new = b, a
                else:
                    continue
                old_key, new_key = self(old), self(new)
                if old_key != new_key:
                    self.renamed[old_key] = new_key


def _defined_here(text: str, at: int, long_form: str, names: list[ProgramName]) -> ProgramName | None:
    """The name the words found at the start of the long form an acronym closes here: the words
    stopped inside it ("Cooperation Program" of "the Cooperation Program between Latin America
    and the European Union on Drug Policies (COPOLAD)"), so the name is the whole long form."""
    start = text.rfind(long_form, 0, at)
    if start < 0 or text[start + len(long_form) : at].strip() != "(":
        return None
    return next((n for n in names if n.start == start and n.end < start + len(long_form)), None)


def _shorter_or_longer(words: frozenset[str], theirs: frozenset[str]) -> bool:
    """One name's words all in the other's, also when one word is spelt a letter or two apart
    ("Public Heath" for "Public Health", "Defence" for "Defense"): one name printed twice."""
    if words <= theirs or theirs <= words:
        return True
    mine, other = words - theirs, theirs - words
    for a in mine:
        for b in other:
            if min(len(a), len(b)) >= 4 and fuzz.ratio(a, b) >= MISSPELT_RATIO:
                fixed = (words - {a}) | {b}
                return fixed <= theirs or theirs <= fixed
    return False


MISSPELT_RATIO = 85
"""rapidfuzz's ratio from which two words of a name are one word misspelt (health/heath 91,
defence/defense 86; alpha/bravo 20)."""


def _long_form_key(text: str, acronym_key: str) -> str:
    """The key of a name given with its acronym, the acronym left out ("Global Safer Cities
    Network (GSCN)" → "global safer cities network"); the acronym's own key when given alone."""
    words = [w for w in name_key(text).split() if w != acronym_key]
    return " ".join(words) or acronym_key


def _actors_abbreviated(key: str) -> str:
    """A name key with the registered actors it names written as their acronyms ("united
    nations firearms protocol" → "un firearms protocol"), so that "UN Protocol …" and "United
    Nations … Protocol" compare word for word."""
    padded = f" {key} "
    for long_form, acronym in _actor_acronyms():
        if f" {long_form} " in padded:
            padded = padded.replace(f" {long_form} ", f" {acronym} ")
    return padded.strip()


@lru_cache(maxsize=1)
def _actor_acronyms() -> tuple[tuple[str, str], ...]:
    """(name key, acronym key) of every registered actor with an acronym, longest names first."""
    pairs = {
        (name_key(name), name_key(actor.acronyms[0]))
        for actor in default_registry()
        if actor.acronyms
        for name in (actor.canonical, *actor.aliases)
        if len(name_key(name).split()) >= 2
    }
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


TIED_AFTER = re.compile(r"[\s*_’'\"”]*\(?")
TIED_BEFORE = re.compile(r"(?:’s|'s)?[\s*_]*")


def years_tied_to(name: ProgramName, item: SentenceMentions) -> list[YearMention]:
    """The years written against a program's name: "X (1999)", "the 1988 X"."""
    text = item.text
    return [
        y
        for y in item.years
        if (y.start >= name.end and TIED_AFTER.fullmatch(text, name.end, y.start))
        or (y.end <= name.start and TIED_BEFORE.fullmatch(text, y.end, name.start))
    ]


COOPERATION_VERB = (
    r"(?:supports?|supported|creat(?:es?|ed)|establish(?:es|ed)?|launch(?:es|ed)?|funds?|funded|financed?|"
    r"provides?|provided|trains?|trained|formed|set\s+up|signed)"
)
UNNAMED_INTERVENTION = re.compile(
    rf"\b{COOPERATION_VERB}\s+(?:a|an|several|two|three|new)?\s*(?:[\w\-]+\s+){{0,3}}?"
    r"(projects?|programs?|programmes?|task\s+forces?|initiatives?|agreements?|units?)\b"
    r"(?!\s+(?:called|named|known\s+as|dubbed)\b)"
)
"""A clause setting up an intervention it does not name ("created a task force", "supports
pilot projects"); not one naming it next ("an initiative called X")."""


def another_unnamed_clause(text: str, names: list[ProgramName]) -> int | None:
    """Where a sentence naming a program also sets up another it leaves unnamed ("In 2004 the
    bureau created a task force, while in 2005 the department launched the X"); else None."""
    for m in UNNAMED_INTERVENTION.finditer(text):
        if any(n.start < m.end() and m.start() < n.end for n in names):
            continue  # the name's own words
        if any(n.start >= m.end() and UMBRELLA.search(text, m.end(), n.start) for n in names):
            continue  # "initiatives …, including the X project": the kind of the named one
        if RELATIVE.search(text, 0, m.start()):
            continue  # "… financed the X, which supports units in …": what the X does
        return m.start()
    return None


RELATIVE = re.compile(r"\b(?:which|that|who)\s+(?:also\s+|now\s+|in\s+turn\s+)?$")
"""A relative pronoun right before a verb: the clause tells of the noun before it."""
UMBRELLA = re.compile(r"\b(?:including|such\s+as|like|notably|among\s+them)\b")
"""Between an unnamed kind and a name, "including …": the kind is the named program's own."""


ENUMERATION = re.compile(r"\b(?:include[sd]?|including|such\s+as|namely)\b:?|:(?=\s)")
"""Where a sentence starts listing ("Examples include …", "… such as …", "…: A; B; and C")."""
INTERVENTION_KIND = re.compile(
    r"\b(?:program(?:me)?s?|projects?|initiatives?|agreements?|accords?|treaty|treaties|conventions?|"
    r"protocols?|laborator(?:y|ies)|commissions?|task\s+forces?|exchanges?|training|loans?|"
    r"missions?|facilit(?:y|ies)|partnerships?|academ(?:y|ies)|operations?|campaigns?)\b",
    re.IGNORECASE,
)
"""Kinds of intervention a list item can name without naming the intervention itself (not
"fund" or "grant": a list running into its verb, "… and Japan fund prevention", is no item)."""
LIST_JOINT = re.compile(r"[,;]\s*(?:(?:and|or)\s+)?|\s+(?:and|or|as\s+well\s+as)\s+")


def enumerated_interventions(item: SentenceMentions, names: list[ProgramName]) -> list[tuple[int, int]]:
    """The spans of the items of a list of interventions ("Examples include peace laboratories
    in X, cooperation agreements with Y, and the Z Program"), when at least two items are
    interventions of their own and one of them is unnamed: an item naming a program, or naming a
    kind of intervention (agreements, training, a commission) tied to an actor or a place. A list
    of actors, places or bare kinds ("loans, grants and technical assistance") is not split, nor
    are the parts of a program the lead-in names ("The X Program's activities include …"), and
    a list of named programs alone is left to the names: empty then."""
    text = item.text
    cue = next((c for c in ENUMERATION.finditer(text) if not _run_in_head(text, c)), None)
    if cue is None or any(n.start < cue.start() for n in names):
        return []  # "The X Program's activities include A and B": the items are its parts
    # an item begins at a part naming a program or a kind of intervention; the parts after it
    # that name neither are still of it ("agreements … such as the OAS, SICA and CAN")
    items: list[list[int]] = []
    for start, end in _list_parts(text, cue.end(), names):
        named = any(start <= n.start < end for n in names)
        if named or _kinds_in(item, start, end):
            items.append([start, end, named])
        elif items:
            items[-1][1] = end
    interventions = [
        (start, end, bool(named))
        for start, end, named in items
        if named or any(start <= m.start < end for m in item.actors)
    ]
    if len(interventions) < 2 or all(named for _, _, named in interventions):
        return []
    ends = [start for start, _, _ in interventions[1:]] + [len(text)]
    return [(start, end) for (start, _, _), end in zip(interventions, ends, strict=True)]


RUN_IN_HEAD = re.compile(r"[\s\u2022\u00b7*\-\u2013]*(?:[\w’'&/,.()\-]+\s+){0,5}[\w’'&/.()\-]+$")
"""A short label opening a sentence ("• Human Smuggling", "Audit and Oversight")."""


def _run_in_head(text: str, cue: re.Match[str]) -> bool:
    """A colon closing a run-in head ("• Human Smuggling: In June 2021, …"): the label names
    the topic of the sentence after it, which is no list."""
    if cue.group(0) != ":":
        return False
    after = text[cue.end() :].lstrip()
    return after[:1].isupper() and RUN_IN_HEAD.fullmatch(text, 0, cue.start()) is not None


def _kinds_in(item: SentenceMentions, start: int, end: int) -> bool:
    """Whether ``item.text[start:end]`` names a kind of intervention outside an actor's name
    ("commissions", not the "Commission" of "the Inter-American Commission")."""
    return any(
        not any(m.start <= kind.start() < m.end for m in item.actors)
        for kind in INTERVENTION_KIND.finditer(item.text, start, end)
    )


def _list_parts(text: str, start: int, names: list[ProgramName]) -> list[tuple[int, int]]:
    """The parts of a list from ``start``, split at commas, semicolons and "and"/"or" outside
    brackets and names ("the Fast and Furious program" is one part)."""
    depth_at: list[int] = []
    depth = 0
    for char in text:
        depth += char in "(["
        depth = max(0, depth - (char in ")]"))
        depth_at.append(depth)
    spans: list[tuple[int, int]] = []
    begin = start
    for joint in LIST_JOINT.finditer(text, start):
        if depth_at[joint.start()] == 0 and not any(n.start <= joint.start() < n.end for n in names):
            spans.append((begin, joint.start()))
            begin = joint.end()
    spans.append((begin, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def years_before_name(name: ProgramName, item: SentenceMentions) -> list[YearMention]:
    """The year that dates the clause naming a program, where a sentence dates several events
    before the name ("In 2004 the bureau set up a task force, while in 2005 the department
    created the X"): the last written before it. Empty unless two years or more come first (a
    single one may date the statement, not the program: "By 2010 the X, begun in 2000, …")."""
    before = [y for y in item.years if not y.citation and y.end <= name.start]
    return before[-1:] if len({y.first for y in before}) >= 2 else []


def _holds(draft: Draft, sentences: set[int]) -> bool:
    return any(i.sentence.index in sentences for i in draft.items)


def _follows_up(item: SentenceMentions, draft: Draft) -> bool:
    """Whether a sentence carries on the program of ``draft``, named just before it (see
    :meth:`Assembler._attach_follow_ups`): it opens on it, gives money said of it, or calls it
    by its head word anywhere ("Adopted by a large majority in 2013, the Treaty sets out …")."""
    if item.amounts and BACK_REFERENCE.search(item.text):
        return True
    lead = " ".join(item.text.split()[:12])
    if (starts_with_anaphor(item.text) and not EXPLETIVE.match(item.text)) or DEFINITE_REFERENCE.search(lead):
        return True
    return _calls_by_head(item, draft)


def _calls_by_kind(item: SentenceMentions, draft: Draft) -> bool:
    """Whether a sentence opens on "the <kind>" and the unnamed record's first sentence brought in
    "a … <kind>" ("… jointly run a container control initiative. The initiative has led to …")."""
    reference = DEFINITE_REFERENCE.search(" ".join(item.text.split()[:6]))
    if reference is None:
        return False
    kind = re.escape(reference.group(1).casefold())
    return re.search(rf"\b(?:a|an)\s+(?:[\w\-]+\s+){{0,3}}?{kind}\b", draft.items[0].text, re.I) is not None


def _calls_by_head(item: SentenceMentions, draft: Draft) -> bool:
    """Whether a sentence calls the draft's program "the <its head word>" ("the Treaty")."""
    words = [name.split("(")[0].split() for name in draft.names]
    heads = {w[-1].casefold() for w in words if w and len(w[-1]) > 3}
    return any(re.search(rf"\bthe {re.escape(head)}\b", item.text, re.I) for head in heads)


def _speaks_of(item: SentenceMentions, draft: Draft) -> bool:
    """Whether a note can go on about the draft's program: the draft has no name (nothing to
    say which), or the note names it, calls it by its head word or points back to it."""
    if draft.key is None:
        return True
    return _names_in(draft, fold_text(item.text).casefold()) or _follows_up(item, draft)


def _names_in(draft: Draft, caption: str) -> bool:
    """A caption names a draft's program by its key, one of its names whole, or a rare word of one."""
    if draft.key and _has_words(caption, draft.key):
        return True
    for name in draft.names:
        if _has_words(caption, name_key(name)):
            return True
        words = [
            w for w in fold_text(name).casefold().replace("(", " ").replace(")", " ").split() if len(w) > 3
        ]
        # a common word ("latin", "security") names nothing: only a rare one stands for the name
        distinctive = [w for w in words if w not in GENERIC_HEADS and not is_frequent(w, 3.0, ENGLISH)]
        if distinctive and _has_words(caption, distinctive[0]):
            return True
    return False


def _has_words(text: str, words: str) -> bool:
    """``words`` occur in ``text`` as whole words ("colombia" is not in "colombian")."""
    return re.search(rf"(?<![\w-]){re.escape(words)}(?![\w-])", text) is not None


OPENING_WORDS = 5
"""Words an opening phrase takes before a sentence's subject ("Over the past decade, the US")."""


def _brings_in_another(item: SentenceMentions, draft: Draft) -> bool:
    """Whether a passage sentence brings in another intervention than the record before it:
    it opens on an actor the record does not name ("… GIZ supports X. The Open Society
    Foundations awarded …"), on a word of likeness ("Likewise, …") or sets one up ("… announced
    the launch of a facility")."""
    return bool(
        _opens_on_another_actor(item, draft) or PARALLEL_OPENING.match(item.text) or SETS_UP.search(item.text)
    )


def _opens_on_another_actor(item: SentenceMentions, draft: Draft) -> bool:
    """Whether a sentence opens on an actor the record's sentences do not name: it tells of
    what another actor does, not more of this record (a passage the linker reads as one runs
    on through a list of donors otherwise). A provider opening the sentence is its subject,
    whatever places it shares with the record ("USAID has provided … in Honduras. The
    Department of State worked with … across Honduras"); a place opening it ("In Honduras, …")
    brings in another intervention only when the sentence names none of the record's actors.
    One that opens by pointing back ("Its partners, Canada and Spain, …", "Since its inception,
    the US Congress …") carries on."""
    if starts_with_anaphor(item.text) or opens_pointing_back(item.text):
        return False
    first = next((m for m in item.actors if m.canonical), None)
    if first is None or len(item.text[: first.start].split()) > OPENING_WORDS:
        return False
    named = {c for i in draft.items for c in i.canonical_actors()}
    if first.type in DOERS:
        return first.canonical not in named
    return not named & set(item.canonical_actors())
