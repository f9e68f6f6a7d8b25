"""Model inputs of the records stage: one ``{"text", "features"}`` example per decision.

Three decisions are learned: does a sentence state an intervention (detection), what role
does an actor mention play in it (funder, implementer, recipient, none), and what kind of
intervention is a record (hard/soft, scope, modality, themes). Each example pairs the words
with what the mentions say about them.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..nlp.actors import ActorMention
from ..nlp.mentions import SentenceMentions
from ..nlp.syntax import Grammar
from .cues import KIND, modality_from_funders
from .features import (
    codebook,
    cooperation_patterns,
    cooperation_structure,
    program_names,
    provider_is_subject,
    sentence_features,
    themes_in,
)
from .grammar_roles import grammar_cues, names_a_venue
from .names import ACTOR_LIST_JOINT, default_registry, programs_named
from .rules import ALL_ON, RuleSet

ROLES = ("funder", "implementer", "recipient", "none")
ROLE_CUES = {
    "by": "by",
    "from": "from",
    "to": "to",
    "in": "in",
    "for": "for",
    "with": "with",
    "across": "across",
    "between": "between",
    "through": "through",
    "via": "through",
    "of": "of",
}


LAW = re.compile(r"\b(?:Act|Law|Statute|Code)$")
"""A name headed by Act or Law names a law ("the Bipartisan Safer Communities Act")."""


def detection_example(item: SentenceMentions) -> dict[str, Any]:
    features = sentence_features(item)
    # RECORDS.md: an intervention has an identifiable provider or a name; a name that is no
    # registered organisation (nor a cited source, nor a frame) is the codebook's "name"
    names = programs_named(item.text, default_registry(), item.sentence.emphasis)
    features["named_program"] = int(bool(names))
    # RECORDS.md: laws are national measures, recorded only as bills naming a purpose and an amount
    laws = [n for n in names if LAW.search(n.text)]
    features["named_law"] = int(bool(laws))
    # … and cooperation for security: a named program (no law) in a sentence using a security word
    features["named_security_program"] = int(len(names) > len(laws) and features["security_terms"] > 0)
    # … or an identifiable provider: a registered actor doing a cooperation verb in a sentence on
    # security that denies nothing
    on_security = features["security_terms"] > 0 and not features["negation"]
    features["provider_on_security"] = int(on_security and bool(features["actor_does"]))
    return {"text": delexicalized(item), "features": features}


def delexicalized(item: SentenceMentions) -> str:
    """The sentence with its actors, programs, amounts and years replaced by their kind
    ("ACTORCOUNTRY funded PROGRAM with AMOUNT in YEAR"): what makes a sentence a cooperation
    statement is its shape, not which country or program a report's section is about."""
    text = item.text
    spans: list[tuple[int, int, str]] = [
        (m.start, m.end, "actor" + re.sub(r"\W", "", m.type)) for m in item.actors
    ]
    spans += [(n.start, n.end, "program") for n in program_names(text)]
    spans += [(a.start, a.end, "amount") for a in item.amounts]
    spans += [(y.start, y.end, "year") for y in item.years]
    out, at = [], 0
    for start, end, kind in sorted(spans):
        if start < at:
            continue  # inside a span already replaced
        out += [text[at:start], f" {kind.upper()} "]
        at = end
    out.append(text[at:])
    return "".join(out)


CONTEXT_KEYS = ("program_name", "amounts", "cues", "anti_cues", "actors", "years")


def detection_examples(items: list[SentenceMentions]) -> list[dict[str, Any]]:
    """Detection examples with their passage: interventions come in runs of sentences, so what
    the sentences before and after in the same block mention is evidence too."""
    examples = [detection_example(i) for i in items]
    for n, example in enumerate(examples):
        for side, m in (("prev", n - 1), ("next", n + 1)):
            if 0 <= m < len(items) and items[m].sentence.block == items[n].sentence.block is not None:
                for key in CONTEXT_KEYS:
                    value = examples[m]["features"].get(key)
                    if value:
                        example["features"][f"{side}:{key}"] = value
    return examples


def detection_chunks(items: list[SentenceMentions], size: int) -> Iterator[list[dict[str, Any]]]:
    """:func:`detection_examples` of ``items``, ``size`` at a time, so that a long document's
    examples (and the model's inputs made of them) are never all held at once. Each chunk is
    built with one sentence more on either side and those two examples dropped: their features
    are the context of the chunk's first and last sentences."""
    for start in range(0, len(items), size):
        first = max(start - 1, 0)
        examples = detection_examples(items[first : start + size + 1])
        yield examples[start - first : start - first + size]


LIST_GAP = re.compile(rf"\s*(?:{ACTOR_LIST_JOINT.pattern})(?:the\s+)?", re.IGNORECASE)
"""What stands between two actors of one list: a comma or a conjunction ("Brazil, Colombia and
the United States")."""


@dataclass(frozen=True)
class SentenceActors:
    """What a sentence's actor mentions say of each other, found once per sentence (a list of
    signatories, or text that lost its sentence breaks, can name hundreds of actors in one
    sentence: asked per mention, it would cost the square of their number)."""

    listed: frozenset[int]
    """Where the mentions standing in a list of actors start."""
    named: frozenset[str]
    """The registered actors the sentence names."""

    @classmethod
    def of(cls, item: SentenceMentions) -> SentenceActors:
        # mentions come in text order and do not overlap: only neighbours can be joined by a
        # list's comma or conjunction, any other has a name between them
        listed: set[int] = set()
        for left, right in itertools.pairwise(item.actors):
            if LIST_GAP.fullmatch(item.text[left.end : right.start]):
                listed.update((left.start, right.start))
        named = frozenset(m.canonical for m in item.actors if m.canonical)
        return cls(frozenset(listed), named)


def in_a_list(mention: ActorMention, around: SentenceActors) -> bool:
    """Whether the mention stands in a list of actors. Members of a list are often examples of a
    class ("countries such as Brazil, Colombia and Mexico") or the many bodies a program names in
    passing, where an actor standing alone is more often the one that acts."""
    return mention.start in around.listed


def its_country_named(mention: ActorMention, around: SentenceActors) -> bool:
    """Whether the mention belongs to a country the sentence also names ("the United States …
    through the Department of Homeland Security"): an agency beside its state more often
    carries out what its state pays for than pays itself."""
    return (
        mention.country is not None
        and mention.country != mention.canonical
        and mention.country in around.named
    )


def role_example(
    item: SentenceMentions,
    mention: ActorMention,
    position: int,
    grammar: Grammar | None = None,
    around: SentenceActors | None = None,
) -> dict[str, Any]:
    """One actor mention in a stating sentence: the words around it, its grammar when the
    sentence was parsed, what it is and where it stands among the sentence's other actors
    (``around``, found here when not given)."""
    text = item.text
    left = re.findall(r"[\w'’\-]+", text[: mention.start].casefold())[-6:]
    right = re.findall(r"[\w'’\-]+", text[mention.end :].casefold())[:4]
    features: dict[str, Any] = {
        "type": mention.type,
        "how": mention.how,
        "position": "first" if position == 0 else "later",
        "country": int(mention.country == mention.canonical),
        "possessive": int(text[mention.end : mention.end + 2] in ("'s", "’s")),
        "amounts": int(bool(item.amounts)),
        # in a program's name, or in a title the report sets apart ("the so-called *Bogota Manifesto*")
        "in_name": int(
            any(n.start <= mention.start < n.end for n in program_names(text))
            or any(a <= mention.start and mention.end <= b for a, b in item.sentence.emphasis)
        ),
        # the inventory's region receives; who acts on it mostly comes from outside
        "latin_american": int(mention.country in latin_american_countries()),
    }
    around = around or SentenceActors.of(item)
    features["listed"] = int(in_a_list(mention, around))
    features["its_country_named"] = int(its_country_named(mention, around))
    does, reaches = cooperation_patterns()
    features["does"] = int(bool(does.match(text, mention.end, min(len(text), mention.end + 60))))
    features["reached"] = int(bool(reaches.search(text[max(0, mention.start - 80) : mention.start])))
    for word in left[-2:]:
        features[f"before:{ROLE_CUES.get(word, 'w')}"] = 1
    if left:
        features["prev"] = left[-1]
    if right:
        features["next"] = right[0]
    if grammar is not None:
        features.update(grammar.features())
        features.update(grammar_cues(features))
    if names_a_venue(features):
        features["venue"] = 1
    context = " ".join([*left, "ACTOR", *right])
    return {"text": context, "features": features}


GRAMMAR_PREFIX = "syn:"


def has_grammar(example: dict[str, Any]) -> bool:
    return any(k.startswith(GRAMMAR_PREFIX) for k in example["features"])


def without_grammar(example: dict[str, Any]) -> dict[str, Any]:
    """A role example as it would be without a parser."""
    features = {k: v for k, v in example["features"].items() if not k.startswith(GRAMMAR_PREFIX)}
    return {**example, "features": features}


def acts_for(mention: ActorMention, rules: RuleSet = ALL_ON) -> str | None:
    """Whom a mention's role goes to: a registered actor itself; an organisation the registry
    does not know but whose name gives its country ("U.S. Army Corps of Engineers", "Peruvian
    Navy") acts for that country, as a registered agency acts for its state."""
    if mention.canonical:
        return mention.canonical
    if mention.type == "organization" and rules.on("organisations-act-for-their-country"):
        return mention.country
    return None


def role_examples(
    item: SentenceMentions, rules: RuleSet = ALL_ON
) -> list[tuple[ActorMention, dict[str, Any]]]:
    """The role model's examples of a sentence: one per mention that acts for someone."""
    grammar = item.grammar or [None] * len(item.actors)
    actors = [(m, g) for m, g in zip(item.actors, grammar, strict=True) if acts_for(m, rules)]
    around = SentenceActors.of(item)
    return [(m, role_example(item, m, i, g, around)) for i, (m, g) in enumerate(actors)]


@lru_cache(maxsize=1)
def latin_american_countries() -> frozenset[str]:
    """Countries the registry counts as Latin America (south-south needs to know)."""
    registry = default_registry()
    region = registry.get("Latin America")
    return frozenset(registry.members_of(region.canonical)) if region else frozenset()


def record_example(items: list[SentenceMentions], name: str | None, section: str | None) -> dict[str, Any]:
    """A whole record as codebook evidence: theme cues in its words and its section heading,
    and who takes part (actor types, Latin American countries or not).

    Only these features reach the kind classifiers, not raw words: words tie a model to the
    sections it was trained on, the codebook's cues carry over to other reports.
    """
    text = " ".join([name or "", *(i.read_text for i in items)])
    types: Counter[str] = Counter()
    countries: set[str] = set()
    for item in items:
        for m in item.actors:
            if m.canonical:
                types[m.type] += 1
            if m.country:
                countries.add(m.country)
    features: dict[str, Any] = {f"actor:{k}": min(v, 4) for k, v in types.items()}
    features["countries"] = min(len(countries), 5)
    latin_america = latin_american_countries()
    features["latin_american_countries"] = min(len(countries & latin_america), 4)
    features["other_countries"] = min(len(countries - latin_america), 4)
    features["amounts"] = int(any(i.amounts for i in items))
    features["named"] = int(bool(name))
    features.update(codebook_features(text, "text"))
    del section  # headings name sections the models never saw: they tie a model to one report
    return {"text": text, "features": features}


def with_provider_kind(example: dict[str, Any], funders: list[str]) -> None:
    """Add to a record example the modality the codebook reads off who provides (a regional
    body → regional, countries → bilateral or south-south …), which the modality model
    (:class:`.cues.ProviderModality`) starts from."""
    modality = modality_from_funders(funders, default_registry())
    if modality is not None:
        example["features"][f"{KIND}{modality}"] = 1


def codebook_features(text: str, prefix: str) -> dict[str, float]:
    """Theme cues in a text, pooled into the codebook's hard/soft and transnational/local axes."""
    found = themes_in(text)
    book = codebook()
    low = text.casefold()
    features: dict[str, float] = {}
    for axis in ("hard", "soft", "transnational", "local"):
        features[f"{prefix}:{axis}"] = float(len(found & set(book[axis])))
    features[f"{prefix}:hard-soft"] = features[f"{prefix}:hard"] - features[f"{prefix}:soft"]
    features[f"{prefix}:transnational-local"] = (
        features[f"{prefix}:transnational"] - features[f"{prefix}:local"]
    )
    features[f"{prefix}:transnational_words"] = float(sum(w in low for w in book["transnational_words"]))
    features[f"{prefix}:local_words"] = float(sum(w in low for w in book["local_words"]))
    return features


ANOTHER = re.compile(r"\b(?:another|other|second|separate|different)\b")
CONNECTIVES = (
    "in addition",
    "also",
    "moreover",
    "similarly",
    "likewise",
    "furthermore",
    "meanwhile",
    "for example",
    "for instance",
    "another",
    "other",
    "by contrast",
    "by way of contrast",
    "related,",
    "equally",
    "but ",
    "finally",
    "specifically",
    "indeed",
    "in particular",
    "it ",
    "its ",
    "this ",
    "these ",
    "they ",
    "the program",
    "the initiative",
    "the plan",
    "the project",
)


def link_example(before: SentenceMentions, item: SentenceMentions, footnote: bool = False) -> dict[str, Any]:
    """Two detected sentences of one passage, or a citing sentence and its footnote: is the
    second about the first one's intervention?"""
    head = " ".join(item.text.casefold().split()[:8]) + " "
    shared = set(before.canonical_actors()) & set(item.canonical_actors())
    years_before = {y.first for y in before.years if not y.citation}
    years_item = {y.first for y in item.years if not y.citation}
    features: dict[str, Any] = {
        "footnote": int(footnote),
        "distance": 0 if footnote else item.sentence.index - before.sentence.index,
        "shared_actors": min(len(shared), 3),
        "new_actors": min(len(set(item.canonical_actors()) - set(before.canonical_actors())), 3),
        "shared_years": int(bool(years_before & years_item)),
        "new_years": int(bool(years_item - years_before)),
        "actor_does": cooperation_structure(item)["actor_does"],
        # a named provider as the subject tells what it did: often one more intervention
        "provider_subject": int(provider_is_subject(item)),
        # "is another example", "a second program": a new instance, not more of the same
        "another": int(bool(ANOTHER.search(item.text.casefold()))),
        "amounts": int(bool(item.amounts)),
        "named": int(bool(program_names(item.text))),
        "anaphor": int(
            any(f" {w}" in f" {head}" for w in ("it ", "its ", "this ", "these ", "they ", "the program"))
        ),
    }
    for cue in CONNECTIVES:
        if head.startswith(cue):
            features[f"starts:{cue.strip()}"] = 1
    return {"text": "", "features": features, "index": item.sentence.index}
