"""Drafts → records: roles decided per mention, amounts and years gathered, kinds classified.

:class:`RecordModels` holds the fitted models (or a constant where training left one class);
:func:`build_records` composes detection, assembly and field filling for one document and
gives every field a confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import __version__
from ..document import Document
from ..nlp.actors import ActorMention, ActorRegistry
from ..nlp.amount_roles import describe_amounts
from ..nlp.mentions import SentenceMentions
from ..nlp.syntax import GrammarReader
from ..nlp.years import mentioned_years
from ..text import TRAILING_ACRONYM, name_key
from .assemble import Assembler, Draft
from .cues import CueThemes, with_theme_axes
from .examples import (
    ROLES,
    acts_for,
    detection_chunks,
    has_grammar,
    record_example,
    role_examples,
    with_provider_kind,
)
from .features import is_reference_entry, security_terms
from .inputs import DocumentInputs
from .model import EvidenceSpan, Record, RecordYears
from .names import default_registry
from .predict import Model, predict_labels, probabilities
from .rows import ROW_PROBABILITY, RowMentions
from .rules import ALL_ON, RuleSet

FIELDS = ("hard_soft", "scope", "modality")


@dataclass
class RecordModels:
    """The fitted models of the records stage and the version they go by."""

    detector: Model
    roles: Model
    """Roles of actor mentions, from their words and (when parsed) their grammar."""
    fields: dict[str, Any]
    """hard_soft and scope: codebook axis classifiers; modality: a mention-feature model."""
    themes: CueThemes | None
    linker: Model | None = None
    roles_unparsed: Model | None = None
    """Roles of mentions in sentences the parser did not read (no parser installed), trained
    on the same mentions without their grammar; None when ``roles`` never saw grammar."""
    version: str = "untrained"
    meta: dict[str, Any] = field(default_factory=dict)


def section_of(items: list[SentenceMentions]) -> str | None:
    return next((i.sentence.section for i in items if i.sentence.section), None)


DETECTION_CHUNK = 512
"""Sentences the detector reads at once. A whole document's examples and the model's inputs made
of them (n-gram counts, feature rows) took memory in proportion to its length,
18 MiB at 105 pages; a chunk's take 3 MiB. A call costs some 20 ms whatever its length (the
trees are walked one at a time), so much smaller chunks would cost time."""


def detect(items: list[SentenceMentions], models: RecordModels, chunk: int = DETECTION_CHUNK) -> list[float]:
    """P(the sentence states an intervention), as the detector gives it (what the codebook
    says of a sentence naming a program or an actor giving to a place is among its features),
    ``chunk`` sentences at a time: each sentence's probability is its own, whatever the chunk."""
    detected: list[float] = []
    for examples in detection_chunks(items, chunk):
        detected += probabilities(models.detector, examples, 1)
    return detected


def build_records(
    inputs: DocumentInputs,
    models: RecordModels,
    grammar: GrammarReader | None = None,
    rules: RuleSet = ALL_ON,
    detected: list[float] | None = None,
) -> list[Record]:
    """Every intervention record of one document, ids in document order. With a ``grammar``
    reader, the records' sentences are parsed so that roles can read their grammar; rows of
    tables listing interventions each make a record after the text's."""
    assembler = Assembler(linker=models.linker, rules=rules)
    detected = detected if detected is not None else detect(inputs.items, models)
    on_security = report_on_security(inputs.document)
    drafts = [
        d
        for d in [*assembler.assemble(inputs.items, detected, inputs.tables), *map(row_draft, inputs.rows)]
        if not rules.on("security-content") or about_security(d, on_security)
    ]
    if grammar is not None:
        grammar.annotate(item for draft in drafts if not draft.roles for item in draft.items)
    places = inputs.places if rules.on("recipient-from-section") else {}
    return fill_records(
        inputs.document.doc, drafts, models, inputs.home, rules, places=places, title=inputs.document.title
    )


def row_draft(row: RowMentions) -> Draft:
    """The draft of one row of an inventory table: named by its program column, its roles by
    the columns they stand in, its money the row's cells."""
    program = row.columns.get("program")
    draft = Draft(
        key=name_key(program) if program else None,
        names=[program] if program else [],
        tables=[row.table] if row.table.amounts else [],
        roles=dict(row.roles),
    )
    draft.add(row.item, ROW_PROBABILITY, "table")
    return draft


def report_on_security(document: Document) -> bool:
    """Whether the report's title speaks of security ("… Citizen Security Cooperation …")."""
    return security_terms(document.title or "") > 0


def about_security(draft: Draft, on_security: bool = False) -> bool:
    """A record has to speak of security somewhere in its evidence (its tables count; a note
    giving a bibliographic reference does not: its title's words name the cited work). In a
    report about security (``on_security``), a named program is about it whatever its
    sentences say ("UN-Habitat promotes safer cities through its Global Network …")."""
    cited = [i for i in draft.items if i.sentence.source == "footnote" and is_reference_entry(i.text)]
    said = [i.text for i in draft.items if i not in cited]
    text = " ".join([*said, *(t.table.caption or "" for t in draft.tables)])
    return security_terms(text) > 0 or bool(draft.key and (draft.tables or on_security))


RECORD_CHUNK = 128
"""Records whose roles and kinds are predicted together. A whole document's at once took memory
in proportion to its length (the role examples of every mention and the model's inputs made of
them, 9 MiB at 105 pages; 3 MiB a chunk)."""


def fill_records(
    doc: str,
    drafts: list[Draft],
    models: RecordModels,
    home: str | None = None,
    rules: RuleSet = ALL_ON,
    chunk: int = RECORD_CHUNK,
    places: dict[str, list[str]] | None = None,
    title: str | None = None,
) -> list[Record]:
    """Drafts → records numbered in order; a draft that turns out to have neither a name nor a
    provider is no record.

    Roles and kinds are predicted in one call per model for ``chunk`` records, not per record:
    scikit-learn's per-call checks cost more than the prediction itself. A record that names
    no recipient gets, at a low confidence, the sub-region its funding regional body serves
    or else the report's ``home`` region: a report about Latin America that does not say who
    benefits means the region.
    """
    records = [_draft_record(doc, n, d, models) for n, d in enumerate(drafts, 1)]
    chosen = list(zip(records, drafts, strict=True))
    for start in range(0, len(chosen), chunk):
        _roles(chosen[start : start + chunk], models, rules)
        _classify(chosen[start : start + chunk], models, rules)  # the modality reads the funders
    registry = default_registry()
    places = places or {}
    for record, draft in chosen:
        if record.recipients:
            continue
        # a section headed by a place is about it; then the report's region; then the title's place
        found = _places_served(record, places.get(section_of(draft.items) or "", []), registry)
        if not found and home is not None and rules.on("recipient-from-report"):
            found = [_served_area(record, home, registry) or home]
        if not found:
            found = _places_served(record, places.get(title or "", []), registry)
        for place in found:
            record.recipients.append(place)
            record.confidence[f"recipient:{place}"] = record.confidence["recipients"] = HOME_CONFIDENCE
    # RECORDS.md: an intervention has an identifiable provider or a name
    if rules.on("provider-or-name"):
        records = [r for r, d in chosen if r.name or _provider_stated(r, d, rules)]
    for number, record in enumerate(records, 1):
        record.id = f"{doc}-{number:04d}"
    return records


def _provider_stated(record: Record, draft: Draft, rules: RuleSet = ALL_ON) -> bool:
    """Whether a provider of the record is named where the record states the intervention, not
    only in a sentence that joined it as the same passage: "For a century, the region's security
    priorities have been shaped by its northern neighbour" states no intervention, whoever the
    sentences after it name. A table's columns and the actor "the country" stands for count."""
    providers = set(record.funders) | set(record.implementers)
    if not providers or draft.roles or draft.antecedent:
        return bool(providers)
    stating = [i for i in draft.items if draft.joined_by.get(i.sentence.index, "start") != "passage"]
    return any((acts_for(m, rules) or m.text) in providers for item in stating for m in item.actors)


HOME_CONFIDENCE = 0.5
"""Confidence of a recipient that is the report's region because the record names none."""


def _places_served(record: Record, named: list[str], registry: ActorRegistry) -> list[str]:
    """The places a heading names that are none of the record's providers nor their countries
    (the United States of "the U.S.-Mexico Dialogue" gives; Mexico benefits)."""
    providers = set(record.funders) | set(record.implementers)
    providers |= {c for p in providers if (c := registry.country_of(p)) is not None}
    return [p for p in named if p not in providers]


def _served_area(record: Record, home: str, registry: ActorRegistry) -> str | None:
    """The sub-region a funding regional body serves (SICA → Central America), when it lies in
    the report's region: a sub-regional body's program is for its own members."""
    home_chain = [home, *registry.parents(home)] if registry.get(home) is not None else [home]
    for funder in record.funders:
        actor = registry.get(funder)
        area = registry.area_of(funder) if actor is not None and actor.type == "regional body" else None
        if area is None or area in home_chain or registry.get(area) is None:
            continue
        if home_chain[-1] in [area, *registry.parents(area)]:
            return area
    return None


def _draft_record(doc: str, number: int, draft: Draft, models: RecordModels) -> Record:
    """A record with everything but its roles and kinds: evidence, amounts, years."""
    record = Record(id=f"{doc}-{number:04d}", doc=doc, name=draft.name)
    record.pipeline_version = __version__
    record.model_version = models.version
    record.confidence["detect"] = round(draft.probability, 3)
    # a name comes from the text's own capitalised name (or acronym); none found may be a miss
    record.confidence["name"] = 0.8 if draft.name else 0.6
    seen: set[str] = set()
    for item in sorted(draft.items, key=lambda i: i.sentence.index):
        s = item.sentence
        if s.text in seen:  # a table's caption is both a caption block and the table's caption
            continue
        seen.add(s.text)
        how = draft.joined_by.get(s.index, "start")
        span = EvidenceSpan(s.text, s.start, s.end, list(s.pages), list(s.boxes), s.source, how)
        record.evidence.append(span)
    for table in draft.tables:
        caption = table.table.caption or ""
        if caption in seen:
            continue
        record.evidence.append(
            EvidenceSpan(
                caption, -1, -1, [table.table.page], [(table.table.page, table.table.bbox)], "table", "table"
            )
        )
    _years(record, draft)
    _amounts(record, draft)  # after the years: an amount in another currency is converted at its year
    return record


def _roles(chosen: list[tuple[Record, Draft]], models: RecordModels, rules: RuleSet = ALL_ON) -> None:
    """Each actor takes the role its mentions most probably play; "none" keeps it out. What the
    sentence's grammar states outright about a mention (it pays, receives, is only compared, is
    what was created: :mod:`.grammar_roles`) is among the features the role model weighs."""
    program_keys = [_program_keys(draft) for _, draft in chosen]
    pairs = [
        (n, item.sentence.index, pair)
        for n, (_, draft) in enumerate(chosen)
        if not draft.roles
        for item in draft.items
        for pair in role_examples(item, rules)
        # "Like the IADB, UNDP set up a fund": what is compared takes no part, so is not asked about
        if not (rules.on("comparisons") and pair[1]["features"].get("compared"))
        # "the San Salvador Declaration", "the Summit of the Americas in Cartagena": the city is
        # where it was agreed, no party
        and not (rules.on("venue-cities") and pair[1]["features"].get("venue"))
        # "police reform in Latin America, notably in El Salvador and Honduras": the countries benefit
        and not (rules.on("continents-are-settings") and _continent_beside_its_countries(item, pair[0]))
        # "the OAS created CICAD": the record of CICAD does not have CICAD as a party
        and not (rules.on("programs-are-not-their-parties") and _is_the_program(pair[0], program_keys[n]))
    ]
    registry = default_registry()
    allowed = [
        PLACE_ROLES
        if rules.on("regions-do-not-provide") and _is_region(acts_for(mention, rules), registry)
        else None
        for _, _, (mention, _) in pairs
    ]
    labelled = _predict_roles(models, [e for _, _, (_, e) in pairs], allowed)
    best: list[dict[str, tuple[str, float]]] = [{} for _ in chosen]
    for (n, _, (mention, _)), (role, p) in zip(pairs, labelled, strict=True):
        name = acts_for(mention, rules) or mention.text
        if role in ROLES[:3] and p > best[n].get(name, ("", 0.0))[1]:
            best[n][name] = (role, p)
    for n, (_, draft) in enumerate(chosen):
        if draft.roles:  # stated outright (a table's columns)
            best[n] = {name: (role, ROW_PROBABILITY) for name, role in draft.roles.items()}
    for (record, draft), roles in zip(chosen, best, strict=True):
        for name, (role, p) in roles.items():
            getattr(record, f"{role}s").append(name)
            record.confidence[f"{role}:{name}"] = round(p, 3)
        if rules.on("accord-parties"):
            _add_mutual_parties(record, draft, registry)
        if rules.on("agency-states"):
            _add_agency_states(record, registry)
        if rules.on("regions-do-not-provide"):
            _regions_do_not_provide(record, registry)
        if draft.antecedent and not (record.funders or record.implementers):
            # "The country supports 18 police attaches …": who "the country" is acts
            record.funders.append(draft.antecedent)
            record.confidence[f"funder:{draft.antecedent}"] = ANTECEDENT_CONFIDENCE
        for role in ("funders", "implementers", "recipients"):
            values = [record.confidence[f"{role[:-1]}:{n}"] for n in getattr(record, role)]
            record.confidence[role] = round(float(np.mean(values)), 3) if values else 0.0


CONTINENT_MEMBERS = 20
"""More member countries than this make a region a continent (Latin America holds 33, the
Americas 35); the codebook's sub-regions hold 3 to 16 (Central America 7, the Caribbean 13)."""


def _continent_beside_its_countries(item: SentenceMentions, mention: ActorMention) -> bool:
    """A continent named in a sentence that names countries of it: the setting, not a party."""
    if mention.type != "region" or not mention.canonical:
        return False
    members = set(default_registry().members_of(mention.canonical))
    return len(members) > CONTINENT_MEMBERS and any(m.canonical in members for m in item.actors)


def _program_keys(draft: Draft) -> set[str]:
    """The name keys a draft's program goes by: its names, without and as their acronym."""
    keys = set()
    for name in draft.names:
        keys.add(name_key(TRAILING_ACRONYM.sub("", name)))
        acronym = TRAILING_ACRONYM.search(name)
        if acronym and acronym.group(1):
            keys.add(name_key(acronym.group(1)))
    return keys - {""}


def _is_the_program(mention: ActorMention, keys: set[str]) -> bool:
    return bool(keys) and bool({name_key(mention.text), name_key(mention.canonical or "")} & keys)


def _predict_roles(
    models: RecordModels, examples: list[dict[str, Any]], allowed: list[frozenset[str] | None]
) -> list[tuple[Any, float]]:
    """Each example's role by the role model that fits it (with or without the grammar), among
    the roles it may take."""
    if models.roles_unparsed is None:
        return predict_labels(models.roles, examples, allowed)
    unparsed = [n for n, e in enumerate(examples) if not has_grammar(e)]
    parsed = [n for n, e in enumerate(examples) if has_grammar(e)]
    out: list[tuple[Any, float]] = [("none", 0.0)] * len(examples)
    for model, rows in ((models.roles, parsed), (models.roles_unparsed, unparsed)):
        chosen = predict_labels(model, [examples[n] for n in rows], [allowed[n] for n in rows])
        for n, labelled in zip(rows, chosen, strict=True):
            out[n] = labelled
    return out


ANTECEDENT_CONFIDENCE = 0.5
"""Confidence of a provider read off what "the country" of a record's opening stands for."""
LOOSE_JOINS = frozenset({"passage", "footnote", "follow-up", "reference"})
"""Ways of joining a record that carry on its topic rather than state it (see :func:`_roles`)."""


MUTUAL_VERBS = frozenset({"agree", "sign", "decide", "ratify", "conclude", "pledge", "commit"})
"""Verbs of an accord: their subjects bind each other, each giving and receiving."""
JOINT_VERBS = frozenset({"establish", "launch", "convene", "create", "form", "hold"})
"""Verbs of setting something up: two or more states doing it together ("the United States and
Peru established a Bilateral Security Working Group") are its parties, each giving and receiving;
one body doing it alone ("the OAS created CICAD") is its provider only."""
EXAMPLES_OF_A_CLASS = re.compile(r"\b(?:such as|including|like)\b[^.;:]*$", re.IGNORECASE)
"""Before a mention: it is named as an example of a class, which acts member by member."""
PARTY_TYPES = frozenset({"country", "region", "regional body"})
PARTY_CONFIDENCE = 0.7


def _add_mutual_parties(record: Record, draft: Draft, registry: ActorRegistry) -> None:
    """The parties to an accord ("Peru and Ecuador agreed to …", "the interior ministers of
    Chile and Bolivia signed …", "the members of a regional body agreed …") both fund and
    receive it: each commits its own means and gains the others'. Read off the stating
    sentences' grammar; several states, or one body of states, make the parties."""
    for item in draft.items:
        if draft.joined_by.get(item.sentence.index, "start") in LOOSE_JOINS or not item.grammar:
            continue
        parties: dict[str, list[str]] = {}
        for mention, grammar in zip(item.actors, item.grammar, strict=True):
            actor = registry.get(mention.canonical) if mention.canonical else None
            if grammar is None or actor is None or actor.type not in PARTY_TYPES:
                continue
            verb = grammar.subject_of
            if verb in JOINT_VERBS and EXAMPLES_OF_A_CLASS.search(item.text[: mention.start]):
                continue  # "Countries such as Colombia and Peru have established …": each its own
            if verb in MUTUAL_VERBS | JOINT_VERBS and actor.canonical not in parties.get(verb, []):
                parties.setdefault(verb, []).append(actor.canonical)
        for verb, names in parties.items():
            alone = verb in JOINT_VERBS or registry[names[0]].type != "regional body"
            if len(names) < 2 and alone:
                continue
            for name in names:
                for role in ("funder", "recipient"):
                    if name not in getattr(record, f"{role}s"):
                        getattr(record, f"{role}s").append(name)
                        record.confidence[f"{role}:{name}"] = PARTY_CONFIDENCE


def _add_agency_states(record: Record, registry: ActorRegistry) -> None:
    """A government agency acts for its state: the country an agency funding or carrying out
    the intervention belongs to (USAID, the DEA → United States) provides it too, at the
    agency's confidence. Multilateral bodies have no state and add nothing."""
    for role in ("funder", "implementer"):
        for name in list(getattr(record, f"{role}s")):
            actor = registry.get(name)
            state = registry.country_of(name) if actor is not None and actor.type != "country" else None
            if state is None or state in record.funders:
                continue
            if state in record.recipients:  # the report says it receives: its agency is lent to it
                continue
            record.funders.append(state)
            record.confidence[f"funder:{state}"] = record.confidence[f"{role}:{name}"]


PLACE_ROLES = frozenset({"recipient", "none"})
"""The roles a region may play: RECORDS.md's providers are countries, agencies, banks,
foundations and firms; a region is a place ("Latin American governments are cooperating
through the OAS")."""


def _is_region(name: str | None, registry: ActorRegistry) -> bool:
    actor = registry.get(name) if name else None
    return actor is not None and actor.type == "region"


def _regions_do_not_provide(record: Record, registry: ActorRegistry) -> None:
    """What the role model may not choose for a region (:data:`PLACE_ROLES`), the roles other
    rules add (the parties to an accord) and a table's columns may not give it either."""
    for role in ("funders", "implementers"):
        names = getattr(record, role)
        for name in [n for n in names if (a := registry.get(n)) is not None and a.type == "region"]:
            names.remove(name)
            record.confidence.pop(f"{role[:-1]}:{name}", None)


def _amounts(record: Record, draft: Draft) -> None:
    # each amount's role, stage and US-dollar value: pipeline/nlp/amount_roles.py
    record.amounts = describe_amounts(
        [(item.sentence.text, item.amounts) for item in draft.items],
        [(table.table_index, table.table, table.amounts) for table in draft.tables],
        record.years.start,
    )
    record.confidence["amounts"] = 0.95 if record.amounts else 1.0


def _years(record: Record, draft: Draft) -> None:
    mentions = [y for y in draft.years() if not y.citation]
    years = set(mentioned_years(mentions))
    funded = {a.year for t in draft.tables for a in t.amounts if a.year}
    years.update(funded)
    record.years = RecordYears(mentioned=sorted(years))
    # the first year a table of the program's money has a column for is a year it ran, whatever
    # later year the text speaks of ("CARSI … by 2013" beside a table from 2008)
    starts = [y.first for y in mentions if y.first is not None] + sorted(funded)
    ends = [
        y.last
        for y in mentions
        if y.last is not None and y.precision in ("range", "fiscal_range", "open_end")
    ]
    # a year that dates the statement ("By 2007, a committee developed …") dates the activity
    # when nothing else starts it
    record.years.start = min(starts) if starts else (min(years) if years else None)
    record.years.end = max(ends) if ends and (not starts or max(ends) > min(starts)) else None
    record.confidence["years"] = 0.9 if mentions else 1.0


def _classify(chosen: list[tuple[Record, Draft]], models: RecordModels, rules: RuleSet = ALL_ON) -> None:
    examples = [record_example(d.items, d.name, section_of(d.items)) for _, d in chosen]
    themes = models.themes.predict(examples) if models.themes is not None else [[] for _ in examples]
    with_theme_axes(examples, themes)  # hard/soft and scope read the themes chosen
    for example, (record, _) in zip(examples, chosen, strict=True):
        with_provider_kind(example, record.funders)  # the modality model reads who provides
    for name in FIELDS:
        for (record, _), (label, p) in zip(
            chosen, predict_labels(models.fields[name], examples), strict=True
        ):
            setattr(record, name, label)
            record.confidence[name] = round(p, 3)
    if models.themes is not None:
        for (record, _), picked in zip(chosen, themes, strict=True):
            record.themes = [t for t, _ in picked]
            record.confidence["themes"] = round(float(np.mean([p for _, p in picked])), 3) if picked else 0.0
