"""Program names: which capitalised phrases of a sentence name an intervention.

A name is found by its shape (:func:`~pipeline.records.features.program_names`: a capitalised
phrase headed by Initiative, Plan, Fund …, or a title set in italics); this module decides which
of those name an intervention of the sentence: not an organisation the actor registry knows
(unless the sentence creates it, or it is a field mission), not a place's prefix or suffix, not a
source the sentence cites, not the frame another program sits in. Detection and grouping both
read names through :func:`programs_named`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..nlp.actors import Actor, ActorRegistry
from .features import ProgramName, head_word, program_names, with_emphasised_names
from .rules import ALL_ON, RuleSet


@lru_cache(maxsize=1)
def default_registry() -> ActorRegistry:
    return ActorRegistry.load()


CREATED = re.compile(
    r"\b(?:created|establish(?:ed|es)?|formed|launched|set up|founded|creation of)\s+(?:the\s+|an?\s+)?$"
    # or called a program in apposition ("one United Nations program, the Commission against …")
    r"|\b(?:program|programme|initiative|project|mission)s?\s*,\s*(?:the\s+)?$"
)
AND_NEXT = re.compile(
    r"^\s*(?:\([^()]*\))?\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s+as well as\s+)(?:the\s+|an?\s+)?$"
)


def programs_named(
    text: str,
    registry: ActorRegistry,
    emphasis: tuple[tuple[int, int], ...] = (),
    rules: RuleSet = ALL_ON,
) -> list[ProgramName]:
    """The program names of a sentence (with the titles it sets in italics, at ``emphasis``),
    leaving out organisations the registry knows (UNDP, CICAD) unless the sentence creates
    them ("the OAS created CICAD")."""
    candidates = [
        n
        for n in with_emphasised_names(text, program_names(text), emphasis)
        if not (rules.on("frames") and CONTAINER.search(text, 0, n.start))
    ]
    candidates = [n for n in candidates if not _names_only_actors(n.text, registry)]
    if rules.on("possessors"):
        candidates = [owned for n in candidates if (owned := _without_owner(n)) is not None]
    if not rules.on("registered-organisations"):
        return candidates
    created = _created(text, candidates)
    instance = INSTANCES.search(text)
    return [
        n
        for n, made in zip(candidates, created, strict=True)
        if made
        or (instance is not None and instance.end() <= n.start <= instance.end() + INSTANCE_REACH)
        or _not_an_organisation(registry.get(n.text) or registry.get(n.acronym or ""), registry)
    ]


POSSESSIVE = re.compile(r"(?<=\w)[’']s(?=\s|$)|(?<=s)[’'](?=\s|$)")
"""A possessive ending ("OAS's", "Security’s", "States'")."""
OPENING_QUOTE = re.compile(r"(?:^|\s)[‘'\"“]")
"""A quotation opening inside a name: a quote mark after it closes it ("the ‘Safe Cities’ Initiative")."""
PLURAL_POSSESSORS = frozenset({"women", "children", "men", "people", "peoples", "girls", "boys", "victims"})
"""Plural nouns whose possessive is a title's own word ("Women's Justice Initiative")."""


def _without_owner(name: ProgramName) -> ProgramName | None:
    """A name without the owner it opens on in the possessive; None when the run ends on one
    (the owner of a program it does not name)."""
    owned = [
        m for m in POSSESSIVE.finditer(name.text)
        if name.text[: m.start()].split()[-1].casefold() not in PLURAL_POSSESSORS
    ]  # fmt: skip
    if not owned or OPENING_QUOTE.search(name.text, 0, owned[-1].start()):
        return name
    cut = owned[-1]
    rest = name.text[cut.end() :].lstrip()
    if not rest:
        return None
    if not head_word().search(rest):
        return name  # an owner inside the name's tail ("Partnership with Guatemala's Ministry")
    if len(rest.split()) < 2 and not name.acronym:
        return None
    start = name.start + len(name.text) - len(rest)
    return ProgramName(start, name.end, rest, name.acronym)


INSTANCES = re.compile(
    r"\b(?:mechanisms?|initiatives?|programs?|programmes?|projects?|forums?|fora|networks?|commissions?|"
    r"task\s+forces?|partnerships?)\s+(?:such\s+as|like|including|include:?)\s"
)
"""Bodies given as instances of a kind of cooperation ("mechanisms such as the X Network and
the Y Forum", "forums include: …") are the interventions the sentence states, registered
organisations or not."""
INSTANCE_REACH = 200
"""Characters after "such as" within which a name is one of the instances."""


CONTAINER = re.compile(r"\b(?:within|inside|under\s+the\s+(?:umbrella|auspices)\s+of)\s+(?:the\s+)?$")
"""A name the program before it sits in ("the X Network within the Y Dialogue"): its frame,
not another program the sentence states."""
MISSION_AREA_MEMBERS = 10
"""A body's area of at most this many countries makes it a field mission (see below)."""


ACTOR_LIST_JOINT = re.compile(r",\s*(?:and\s+)?|\s+(?:and|y|e|et)\s+")


def _names_only_actors(text: str, registry: ActorRegistry) -> bool:
    """Whether a capitalised run is a list of known actors ("the European Union and Japan"
    before "fund" used as a verb), not the name of a program."""
    parts = ACTOR_LIST_JOINT.split(text)
    return len(parts) >= 2 and all(registry.get(re.sub(r"^the\s+", "", p)) is not None for p in parts)


def _not_an_organisation(actor: Actor | None, registry: ActorRegistry) -> bool:
    """A name the registry does not know, or one of a field mission: a body another
    organisation set up for one country or a few (CICIG in Guatemala, ONUCA in Central
    America, MINUSTAH in Haiti) is itself an intervention, unlike a standing body of a whole
    region (ECLAC, PAHO)."""
    if actor is None:
        return True
    if not (actor.parent and actor.area) or actor.type not in ("multilateral", "regional body"):
        return False
    area = registry.get(actor.area)
    if area is None:
        return False
    return area.type == "country" or 0 < len(registry.members_of(area.canonical)) <= MISSION_AREA_MEMBERS


def _created(text: str, names: list[ProgramName]) -> list[bool]:
    """Which names are the objects of a creation verb, directly or down a list of names
    ("created the A (ACR) and the B as well as the C")."""
    made: list[bool] = []
    for n, name in enumerate(names):
        before = text[max(0, name.start - 40) : name.start]
        chained = n > 0 and made[-1] and AND_NEXT.match(text[names[n - 1].end : name.start]) is not None
        made.append(bool(CREATED.search(before)) or chained)
    return made
