"""Actors: who funds, implements and receives citizen-security cooperation.

Two parts:

- :class:`ActorRegistry` — the curated list of real actors (countries, regions, cities,
  multilateral and regional bodies, government agencies, NGOs, firms) read from
  ``data/actors.csv``. Canonical names are those of the shared alias table
  (``spec/actors.csv``) because the scorer compares names through it; the registry adds
  acronyms, demonyms, parents (USAID → United States, SOUTHCOM → US Department of Defense →
  United States), region members and the area a regional body serves. ISO 3166 alpha-3 codes
  come from ``pycountry`` at load time, and every ISO country the data file does not list is
  added from ``pycountry`` too, so a country can never be "missing from the registry".
- :class:`ActorMatcher` — finds actor mentions in text: spaCy ``PhraseMatcher`` over an
  accent-folded copy of the text (``Merida`` = ``Mérida``; offsets map back to the original),
  case-insensitive for names, case-sensitive for acronyms (``US`` is not ``us``), demonyms
  (``Mexican government`` → Mexico), coordinated ellipsis (``Central and South America`` →
  Central America + South America), fuzzy matching of capitalised leftovers above a high
  threshold, and — when the pretrained model package is installed — spaCy NER for
  organisations and places the registry does not know yet (``how="ner"``, ``canonical=None``),
  which :func:`new_actor_candidates` counts so the registry can grow.

Decisions worth knowing (tests pin each one):

- "American" alone is *not* a demonym of the United States: in this literature it mostly
  appears inside "Latin American", "Inter-American", "Pan American", "Organization of American
  States". ``US``/``U.S.`` as an adjective is an acronym mention of the United States.
- "Indian" is not a demonym of India (in Latin American texts it often means indigenous).
- A demonym marks the *country*, not an agency: "Colombian police" → Colombia; only the full
  name "Colombian National Police" is the agency.
- Names must contain an upper-case letter where they occur ("turkey" or "chile" in lower case
  are words, not countries).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pycountry
import spacy
from rapidfuzz import fuzz, process
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from ..text import fold, fold_text, loose_key, spelled_key
from .english import blank_english
from .pretrained import BATCH_CHARACTERS, PACKAGE, pipe_batched, pretrained_pipeline
from .word_frequencies import ENGLISH, is_frequent

DATA_FILE = Path(__file__).resolve().parent / "data" / "actors.csv"
NER_PACKAGE = PACKAGE

ACTOR_TYPES = (
    "country",
    "region",
    "city",
    "multilateral",
    "regional body",
    "government agency",
    "non-governmental",
    "private",
)
"""Actor types. ``city`` is beyond the brief's list because records name cities as recipients."""

_TYPE_SYNONYMS = {"regional": "regional body", "agency": "government agency", "ngo": "non-governmental"}
"""The shared ``spec/actors.csv`` says ``regional``/``agency``; accept them so it loads too."""

HOW_SCORES = {"exact": 1.0, "alias": 1.0, "acronym": 1.0, "demonym": 0.9, "ellipsis": 0.85}
NER_SCORE = 0.5
"""The small pretrained model gives no calibrated scores; a fixed low score ranks NER last."""

_HOW_RANK = {"exact": 0, "alias": 1, "acronym": 2, "demonym": 3, "ellipsis": 4, "fuzzy": 5}

NER_LABELS = {"ORG": "organization", "GPE": "place", "LOC": "place", "NORP": "group"}
"""NER labels that can name an actor, and the ``type`` given to their unregistered mentions."""

_ORG_HEADS = frozenset(
    [
        "ministry",
        "ministries",
        "police",
        "agency",
        "institute",
        "bureau",
        "department",
        "secretariat",
        "council",
        "commission",
        "foundation",
        "bank",
        "office",
        "forces",
        "force",
        "army",
        "navy",
        "guard",
        "court",
        "courts",
        "congress",
        "senate",
        "parliament",
        "assembly",
        "embassy",
        "university",
        "center",
        "centre",
        "observatory",
        "network",
        "forum",
        "association",
        "corporation",
        "committee",
        "service",
        "services",
        "unit",
        "units",
        "prosecutor",
        "attorney",
        "tribunal",
        "directorate",
        "administration",
        "authority",
        "cooperation",
    ]
)
"""Head words that make an NER ORG an organisation in its own right even though it contains a
place or demonym ("Brazilian Ministry of Justice"): then the unregistered organisation is kept
(with the place as its ``country``) instead of being swallowed by the place. Program words
(Initiative, Plan, Strategy) are deliberately absent: "Plan Colombia" keeps Colombia."""

_LANGUAGE_DEMONYMS = frozenset(
    [
        "spanish",
        "portuguese",
        "french",
        "english",
        "dutch",
        "german",
        "italian",
        "chinese",
        "japanese",
        "russian",
        "arabic",
    ]
)
_LANGUAGE_NEXT = frozenset(
    [
        "speaking",
        "language",
        "languages",
        "speaker",
        "speakers",
        "translation",
        "translated",
        "version",
        "edition",
        "text",
    ]
)
"""A demonym that is also a language is dropped before these words or after "in"/"into" at the
end of a phrase ("Spanish-speaking", "available in Spanish.")."""

_CONNECTORS = frozenset(
    [
        "of",
        "and",
        "the",
        "for",
        "de",
        "del",
        "la",
        "las",
        "los",
        "y",
        "do",
        "da",
        "dos",
        "das",
        "on",
        "against",
    ]
)
"""Lower-case words allowed inside a capitalised name when looking for fuzzy candidates."""

_FUZZY_MIN_SINGLE = 12
"""A one-word fuzzy candidate must be this long: short words one letter off a name are too often
other words ("Americans" vs "Americas"); a 92 ratio already excludes most short typos anyway."""


# --------------------------------------------------------------------------- text folding


def _looks_like_acronym(alias: str) -> bool:
    """An alias without spaces that is mostly upper case (OAS, U.S., DoD, UNLiREC, RedGEALC)."""
    if not alias or any(ch.isspace() for ch in alias) or "-" in alias:
        return False
    letters = [ch for ch in alias if ch.isalpha()]
    upper = sum(ch.isupper() for ch in letters)
    if len(letters) < 2 or upper < 2:
        return False
    camel = any(a.islower() and b.isupper() for a, b in pairwise(alias))
    return upper * 2 >= len(letters) or camel


def _acronym_variants(acronym: str) -> set[str]:
    """``OAS`` → {OAS, O.A.S., O.A.S}; ``U.S.`` → {U.S., U.S, US}."""
    variants = {acronym}
    bare = acronym.replace(".", "")
    if "." in acronym and bare.isalpha():
        variants.add(bare)
    if bare.isalpha() and bare.isupper() and 2 <= len(bare) <= 5:
        variants.add(".".join(bare) + ".")
        variants.add(".".join(bare))
    return variants


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Actor:
    """One real actor. ``parent`` is organisational (agency → ministry → country; UNDP → UN) or,
    for regions, the containing region; ``members`` are a region's member countries;
    ``area`` is the region a regional body serves (SICA → Central America)."""

    canonical: str
    type: str
    aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    iso3: str | None = None
    parent: str | None = None
    members: tuple[str, ...] = ()
    demonyms: tuple[str, ...] = ()
    area: str | None = None
    match: bool = True
    """False for names that are mostly other things in this literature (Georgia, Jersey):
    :meth:`ActorRegistry.get` still knows them, the matcher does not look for them."""


class RegistryError(ValueError):
    """The registry data file contradicts itself (unknown type, parent, member; a name that
    points at two actors; a country pycountry does not know)."""


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split("|") if part.strip())


def _pycountry_names(country: Any) -> list[str]:
    """Usable English names of a pycountry country: common, short and official, without the
    inverted "Korea, Republic of" forms."""
    names: list[str] = []
    for attr in ("common_name", "name", "official_name"):
        value = getattr(country, attr, None)
        if not value:
            continue
        if "," in value:
            head, _, tail = value.partition(", ")
            if tail.lower().endswith((" of", " of the")):
                value = f"{tail} {head}"
            else:
                continue
        value = re.sub(r"^[Tt]he ", "", value)
        if value not in names:
            names.append(value)
    return names


class ActorRegistry:
    """The curated actor list with lookups by any name, parent chains and region members."""

    def __init__(self, actors: Iterable[Actor]) -> None:
        self._actors: dict[str, Actor] = {}
        for actor in actors:
            if actor.canonical in self._actors:
                raise RegistryError(f"duplicate canonical name {actor.canonical!r}")
            self._actors[actor.canonical] = actor
        self._names: dict[str, str] = {}
        self._loose: dict[str, str] = {}
        self._acronyms: dict[str, str] = {}
        self._acronyms_loose: dict[str, str] = {}
        self._demonyms: dict[str, str] = {}
        self._found: dict[str, str | None] = {}  # get() memo: the registry does not change
        clashes: list[str] = []
        for actor in self._actors.values():
            for name in (actor.canonical, *actor.aliases):
                self._claim(self._names, spelled_key(name), actor.canonical, clashes, name)
                self._loose.setdefault(loose_key(name), actor.canonical)
            for acronym in actor.acronyms:
                for variant in _acronym_variants(acronym):
                    self._claim(self._acronyms, fold_text(variant), actor.canonical, clashes, acronym)
                self._acronyms_loose.setdefault(loose_key(acronym), actor.canonical)
            for demonym in actor.demonyms:
                self._claim(self._demonyms, spelled_key(demonym), actor.canonical, clashes, demonym)
        for key, canonical in self._demonyms.items():
            if self._names.get(key, canonical) != canonical:
                clashes.append(f"demonym {key!r} of {canonical} is a name of {self._names[key]}")
        if clashes:
            raise RegistryError("names pointing at two actors: " + "; ".join(clashes))
        self._check_links()

    @staticmethod
    def _claim(index: dict[str, str], key: str, canonical: str, clashes: list[str], name: str) -> None:
        owner = index.setdefault(key, canonical)
        if owner != canonical:
            clashes.append(f"{name!r} ({canonical} and {owner})")

    def _check_links(self) -> None:
        problems = []
        for actor in self._actors.values():
            if actor.type not in ACTOR_TYPES:
                problems.append(f"{actor.canonical}: unknown type {actor.type!r}")
            for link in (actor.parent, actor.area, *actor.members):
                if link is not None and link not in self._actors:
                    problems.append(f"{actor.canonical}: unknown actor {link!r}")
            if actor.type == "region":
                problems += [
                    f"{actor.canonical}: member {m!r} is not a country"
                    for m in actor.members
                    if m in self._actors and self._actors[m].type != "country"
                ]
            seen = {actor.canonical}
            node = actor
            while node.parent is not None and node.parent in self._actors:
                if node.parent in seen:
                    problems.append(f"{actor.canonical}: parent cycle")
                    break
                seen.add(node.parent)
                node = self._actors[node.parent]
        if problems:
            raise RegistryError("; ".join(problems))

    # -- loading

    @classmethod
    def load(cls, path: Path | None = None) -> ActorRegistry:
        """Read the data file (default: the package's ``data/actors.csv``).

        Columns: ``canonical,type`` required; ``aliases,acronyms,demonyms,members`` as
        ``|``-separated lists; ``parent``, ``area`` as names; ``iso3`` only to override
        pycountry; ``match=no`` to keep an ambiguous name out of text matching. Types
        ``regional``/``agency`` and aliases that look like acronyms (no spaces, mostly capitals)
        are understood, so a table in the shared ``spec/actors.csv`` format loads too (its
        countries must be known to pycountry under one of their names). Links (parent, area,
        members) may use any name or acronym and are stored as canonical names.
        """
        path = Path(path) if path is not None else DATA_FILE
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = [row for row in csv.DictReader(fh) if (row.get("canonical") or "").strip()]
        actors: list[dict[str, Any]] = []
        used_iso3: set[str] = set()
        for n, row in enumerate(rows, 2):
            canonical = row["canonical"].strip()
            kind = (row.get("type") or "").strip().lower()
            kind = _TYPE_SYNONYMS.get(kind, kind)
            aliases, acronyms = [], list(_split(row.get("acronyms")))
            for alias in _split(row.get("aliases")):
                (acronyms if _looks_like_acronym(alias) else aliases).append(alias)
            iso3 = (row.get("iso3") or "").strip().upper() or None
            if kind == "country":
                iso3, extra = _country_code(canonical, aliases + acronyms, iso3, f"{path.name}:{n}")
                if iso3 in used_iso3:
                    raise RegistryError(f"{path.name}:{n}: {canonical} is {iso3}, listed twice")
                aliases += [a for a in extra if a != canonical and a not in aliases]
                used_iso3.add(iso3)
            actors.append(
                {
                    "canonical": canonical,
                    "type": kind,
                    "aliases": aliases,
                    "acronyms": acronyms,
                    "iso3": iso3,
                    "parent": (row.get("parent") or "").strip() or None,
                    "members": list(_split(row.get("members"))),
                    "demonyms": list(_split(row.get("demonyms"))),
                    "area": (row.get("area") or "").strip() or None,
                    "match": (row.get("match") or "").strip().lower() not in {"no", "false", "0"},
                }
            )
        actors += _other_countries(used_iso3, actors)
        _drop_taken_country_names(actors)
        return cls(_resolve_links(actors))

    # -- lookups

    def get(self, name: str) -> Actor | None:
        """The actor a name, alias, acronym or demonym denotes; case and accent tolerant.

        Exact-case acronyms win ("CAN" is the Andean Community), then names, then names without
        punctuation, then acronyms in any case ("oas"), then demonyms ("Colombian"); a name
        written with its acronym in brackets ("Inter-American Development Bank (IADB)") is
        looked up by either part.
        """
        text = (name or "").strip()
        if not text:
            return None
        if text not in self._found:
            actor = self._lookup(text)
            self._found[text] = actor.canonical if actor else None
        canonical = self._found[text]
        return self._actors[canonical] if canonical is not None else None

    def _lookup(self, text: str) -> Actor | None:
        folded = fold_text(text)
        for index, key in (
            (self._acronyms, folded),
            (self._names, spelled_key(text)),
            (self._loose, loose_key(text)),
            (self._acronyms_loose, loose_key(text)),
            (self._demonyms, spelled_key(text)),
        ):
            canonical = index.get(key)
            if canonical is not None:
                return self._actors[canonical]
        written = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", text)  # "Name (ACRONYM)"
        if written:
            return self.get(written.group(1)) or self.get(written.group(2))
        return None

    def __getitem__(self, canonical: str) -> Actor:
        return self._actors[canonical]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Actor]:
        return iter(self._actors.values())

    def __len__(self) -> int:
        return len(self._actors)

    def parents(self, canonical: str) -> list[str]:
        """The parent chain, nearest first (SOUTHCOM → [US Department of Defense, United States])."""
        chain: list[str] = []
        actor = self._actors.get(canonical)
        while actor is not None and actor.parent is not None and actor.parent not in chain:
            chain.append(actor.parent)
            actor = self._actors.get(actor.parent)
        return chain

    def country_of(self, canonical: str) -> str | None:
        """The country an actor belongs to: itself for a country, else the first country up
        its parent chain (DEA → US Department of Justice → United States); None for
        multilateral bodies and regions."""
        actor = self._actors.get(canonical) or self.get(canonical)
        if actor is None:
            return None
        if actor.type == "country":
            return actor.canonical
        for parent in self.parents(actor.canonical):
            if self._actors[parent].type == "country":
                return parent
        return None

    def area_of(self, canonical: str) -> str | None:
        """The region a body serves, inherited from its parents (CICAD → OAS → Americas)."""
        actor = self._actors.get(canonical) or self.get(canonical)
        if actor is None:
            return None
        for node in (actor.canonical, *self.parents(actor.canonical)):
            if self._actors[node].area:
                return self._actors[node].area
        return None

    def members_of(self, canonical: str) -> tuple[str, ...]:
        """Member countries of a region (empty when the region has no fixed membership)."""
        actor = self._actors.get(canonical) or self.get(canonical)
        return actor.members if actor is not None else ()

    def matchable(self) -> Iterator[Actor]:
        """Actors whose names the matcher looks for in text."""
        return (a for a in self._actors.values() if a.match)

    def is_acronym(self, text: str) -> bool:
        """True for a registered acronym in exactly this case (and its dotted variants)."""
        return fold_text(text) in self._acronyms


def _country_code(canonical: str, names: list[str], iso3: str | None, where: str) -> tuple[str, list[str]]:
    """ISO alpha-3 from pycountry (never typed by hand unless overriding) and pycountry's names."""
    if iso3:
        country = pycountry.countries.get(alpha_3=iso3)
        if country is None:
            raise RegistryError(f"{where}: {canonical}: pycountry has no alpha-3 {iso3!r}")
        return iso3, _pycountry_names(country)
    for name in (canonical, *names):
        try:
            country = pycountry.countries.lookup(name)
        except LookupError:
            continue
        if len(name) > 3 or name == country.alpha_3 or name == country.alpha_2:
            return country.alpha_3, _pycountry_names(country)
    raise RegistryError(f"{where}: country {canonical!r} is unknown to pycountry (add an alias)")


def _other_countries(used_iso3: set[str], curated: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every ISO 3166 country the data file does not list, named as pycountry names it."""
    taken = {spelled_key(a["canonical"]) for a in curated}
    out = []
    for country in pycountry.countries:
        if country.alpha_3 in used_iso3:
            continue
        names = _pycountry_names(country) or [country.name]
        canonical = names[0]
        if spelled_key(canonical) in taken:
            continue
        out.append(
            {
                "canonical": canonical,
                "type": "country",
                "aliases": names[1:],
                "acronyms": [],
                "iso3": country.alpha_3,
                "parent": None,
                "members": [],
                "demonyms": [],
                "area": None,
                "match": True,
            }
        )
    return out


def _drop_taken_country_names(actors: list[dict[str, Any]]) -> None:
    """pycountry's extra names give way to curated names (first claim wins, curated first)."""
    claimed: dict[str, str] = {}
    for actor in actors:
        for name in (actor["canonical"], *actor["aliases"], *actor["demonyms"]):
            claimed.setdefault(spelled_key(name), actor["canonical"])
    for actor in actors:
        if actor["type"] == "country":
            actor["aliases"] = [a for a in actor["aliases"] if claimed[spelled_key(a)] == actor["canonical"]]


def _resolve_links(rows: list[dict[str, Any]]) -> list[Actor]:
    """Turn parent/area/member names (any name or acronym) into canonical names."""
    index: dict[str, str] = {}
    acr: dict[str, str] = {}
    for row in rows:
        for name in (row["canonical"], *row["aliases"]):
            index.setdefault(spelled_key(name), row["canonical"])
        for acronym in row["acronyms"]:
            acr.setdefault(fold_text(acronym), row["canonical"])

    def resolve(name: str | None) -> str | None:
        if name is None:
            return None
        return acr.get(fold_text(name)) or index.get(spelled_key(name)) or name

    return [
        Actor(
            canonical=row["canonical"],
            type=row["type"],
            aliases=tuple(row["aliases"]),
            acronyms=tuple(row["acronyms"]),
            iso3=row["iso3"],
            parent=resolve(row["parent"]),
            members=tuple(resolve(m) or m for m in row["members"]),
            demonyms=tuple(row["demonyms"]),
            area=resolve(row["area"]),
            match=row["match"],
        )
        for row in rows
    ]


# --------------------------------------------------------------------------- mentions


@dataclass(frozen=True, slots=True)  # thousands a report, kept all through the mining
class ActorMention:
    """One actor mention: ``text == source[start:end]``.

    ``how``: exact | alias | acronym | demonym | ellipsis | fuzzy | ner. ``ellipsis`` marks the
    first conjunct of "Central and South America". ``canonical`` is None for NER mentions the
    registry does not know (new-actor candidates). ``country``: the country the mention ties to
    (a country itself, an agency's or city's country, the country inside an unregistered
    organisation's name), None for regions and multilateral bodies.
    """

    start: int
    end: int
    text: str
    canonical: str | None
    type: str
    how: str
    score: float
    country: str | None


@dataclass(frozen=True)
class _Hit:
    start: int  # token indices in the matching doc
    end: int
    canonical: str
    how: str
    score: float


class _Compiled:
    """Everything built once per matcher: tokenizer, two PhraseMatchers, fuzzy choices."""

    def __init__(self, registry: ActorRegistry) -> None:
        self.nlp = blank_english()
        vocab = self.nlp.vocab
        self.names = PhraseMatcher(vocab, attr="LOWER")
        self.acronyms = PhraseMatcher(vocab, attr="ORTH")
        self.labels: dict[int, tuple[str, str]] = {}
        self.forms: dict[tuple[str, ...], tuple[str, str]] = {}
        fuzzy: dict[str, str] = {}
        for actor in registry.matchable():
            name_forms: dict[str, list[str]] = {"exact": [actor.canonical], "alias": list(actor.aliases)}
            name_forms["demonym"] = [*actor.demonyms, *(_plural(d) for d in actor.demonyms if _plural(d))]
            seen: set[tuple[str, ...]] = set()
            for how in ("exact", "alias", "demonym"):
                docs = []
                for form in name_forms[how]:
                    doc = self.nlp.make_doc(_strip_leading_the(fold_text(form)))
                    key = tuple(t.lower_ for t in doc)
                    if not key or key in seen:
                        continue
                    seen.add(key)
                    docs.append(doc)
                    self.forms.setdefault(key, (actor.canonical, how))
                    fuzzy.setdefault(loose_key(form), actor.canonical)
                if docs:
                    self.names.add(self._label(actor.canonical, how), docs)
            acronym_docs = []
            for acronym in actor.acronyms:
                for variant in sorted(_acronym_variants(acronym)):
                    acronym_docs.append(self.nlp.make_doc(fold_text(variant)))
            if acronym_docs:
                self.acronyms.add(self._label(actor.canonical, "acronym"), acronym_docs)
        self.fuzzy_keys = list(fuzzy)
        self.fuzzy_canonical = list(fuzzy.values())

    def _label(self, canonical: str, how: str) -> str:
        label = f"{how}\t{canonical}"
        self.labels[self.nlp.vocab.strings.add(label)] = (canonical, how)
        return label


def _plural(demonym: str) -> str | None:
    """ "Colombians", "Latin Americans": plural demonyms name the same country or region."""
    if demonym.endswith(("an", "i")) or (demonym.endswith("e") and not demonym.endswith("ese")):
        return demonym + "s"
    return None


def _strip_leading_the(text: str) -> str:
    return re.sub(r"^[Tt]he\s+", "", text.strip())


class ActorMatcher:
    """Find actor mentions; matchers are built on first use and reused for every text."""

    def __init__(
        self,
        registry: ActorRegistry,
        nlp: spacy.Language | None = None,
        *,
        fuzzy_threshold: float = 92,
        use_ner: bool = True,
    ) -> None:
        self.registry = registry
        self.fuzzy_threshold = fuzzy_threshold
        self.use_ner = use_ner
        self._nlp = nlp
        self._ner_loaded = nlp is not None
        self._compiled: _Compiled | None = None
        self._ner_skip: list[str] | None = None

    # -- lazily built parts

    @property
    def compiled(self) -> _Compiled:
        if self._compiled is None:
            self._compiled = _Compiled(self.registry)
        return self._compiled

    @property
    def ner(self) -> spacy.Language | None:
        """The NER pipeline in use (loaded on first need), or None."""
        if not self.use_ner:
            return None
        if not self._ner_loaded:
            self._nlp = load_ner()
            self._ner_loaded = True
        if self._nlp is None or "ner" not in self._nlp.pipe_names:
            return None
        if self._ner_skip is None:
            self._ner_skip = _ner_disable(self._nlp)
        return self._nlp

    @property
    def ner_available(self) -> bool:
        """False when NER was switched off or the model package is missing: the caller can say
        that unregistered actors were not looked for."""
        return self.ner is not None

    # -- public API

    def find(self, text: str) -> list[ActorMention]:
        """Non-overlapping actor mentions in ``text``, in text order (longest match wins)."""
        ner = self.ner
        ents = _ner_spans(ner(text, disable=self._ner_skip or [])) if ner is not None else []
        return self._merge(text, self._registry_mentions(text), ents)

    def find_all(
        self, texts: Iterable[str], max_chars: int = BATCH_CHARACTERS, ner: bool = True
    ) -> Iterator[list[ActorMention]]:
        """:meth:`find` for many texts, running NER in batches (much faster than one by one);
        ``ner=False`` for the registry's actors only."""
        nlp = self.ner if ner else None
        # a document repeats its names: each capitalised span is compared with the registry's
        # names once per call (a memo that lives as long as the call, not across documents)
        fuzzy_memo: dict[str, tuple[str, float, int] | None] = {}
        if nlp is None:
            for text in texts:
                yield self._merge(text, self._registry_mentions(text, fuzzy_memo), [])
            return
        texts = list(texts)
        found = [self._registry_mentions(text, fuzzy_memo) for text in texts]
        # NER only where it can add an actor (most sentences' capitals are all known names), and
        # only on the words around what the registry leaves unexplained (see NER_CONTEXT_WORDS)
        windows = {
            n: _ner_windows(text, capitals)
            for n, text in enumerate(texts)
            if (capitals := _unexplained_capitals(text, found[n]))
        }
        # a text that comes again (a repeated note, a running line) is read once
        pieces = list(dict.fromkeys(texts[n][a:b] for n, spans in windows.items() for a, b in spans))
        docs = pipe_batched(nlp, pieces, self._ner_skip or [], max_chars)
        spans_of = {piece: _ner_spans(doc) for piece, doc in zip(pieces, docs, strict=True)}
        for n, (text, mentions) in enumerate(zip(texts, found, strict=True)):
            ents = [
                (a + start, b + start, label)
                for start, end in windows.get(n, [])
                for a, b, label in spans_of[text[start:end]]
            ]
            yield self._merge(text, mentions, ents)

    def find_in_doc(self, doc: Doc) -> list[ActorMention]:
        """:meth:`find` on ``doc.text``, using the doc's own entities when it has them.

        Offsets are characters in ``doc.text`` (``doc.char_span`` turns them into spans). The
        registry is matched on its own tokenization so "U.S.-funded" splits the same way
        whatever tokenizer made the doc.
        """
        text = doc.text
        if doc.has_annotation("ENT_IOB"):
            ents = _ner_spans(doc) if self.use_ner else []
        else:
            ner = self.ner
            ents = _ner_spans(ner(text, disable=self._ner_skip or [])) if ner is not None else []
        return self._merge(text, self._registry_mentions(text), ents)

    # -- registry matching

    def _registry_mentions(
        self, text: str, fuzzy_memo: dict[str, tuple[str, float, int] | None] | None = None
    ) -> list[ActorMention]:
        c = self.compiled
        folded, index = fold(text)
        doc = c.nlp.make_doc(folded)
        hits = self._phrase_hits(doc, text, index)
        chosen = _select(hits)
        chosen += self._ellipsis_hits(doc, chosen)
        chosen = self._fuzzy_hits(doc, chosen, {} if fuzzy_memo is None else fuzzy_memo)
        mentions = []
        for hit in sorted(chosen, key=lambda h: h.start):
            start, end = _char_span(doc, hit.start, hit.end, index)
            actor = self.registry[hit.canonical]
            mentions.append(
                ActorMention(
                    start=start,
                    end=end,
                    text=text[start:end],
                    canonical=actor.canonical,
                    type=actor.type,
                    how=hit.how,
                    score=hit.score,
                    country=self.registry.country_of(actor.canonical),
                )
            )
        return mentions

    def _phrase_hits(self, doc: Doc, text: str, index: list[int] | None) -> list[_Hit]:
        c = self.compiled
        hits = []
        for match_id, start, end in [*c.names(doc), *c.acronyms(doc)]:
            canonical, how = c.labels[match_id]
            if how == "acronym":
                if self._shouted(doc, start, end):
                    continue
            else:
                s, e = _char_span(doc, start, end, index)
                if not _starts_upper(text[s:e]):
                    continue
                if how == "demonym" and _language_use(doc, start, end):
                    continue
            hits.append(_Hit(start, end, canonical, how, HOW_SCORES[how]))
        return hits

    def _shouted(self, doc: Doc, start: int, end: int) -> bool:
        """An acronym inside an all-capitals phrase ("HELP US", "WE CAN") is a word."""
        neighbours = [doc[i] for i in (start - 1, end) if 0 <= i < len(doc) and doc[i].is_alpha]
        if not neighbours:
            return False
        return all(t.is_upper and len(t) > 1 and not self.registry.is_acronym(t.text) for t in neighbours)

    def _ellipsis_hits(self, doc: Doc, chosen: list[_Hit]) -> list[_Hit]:
        """ "Central and South America": the bare modifier before "and"/"or" borrows the head of
        the matched name after it, when modifier + head is itself a registered name."""
        covered = _covered(chosen)
        forms = self.compiled.forms
        out: list[_Hit] = []
        for hit in chosen:
            if hit.end - hit.start < 2 or hit.how not in {"exact", "alias", "demonym"}:
                continue
            head = tuple(t.lower_ for t in doc[hit.start + 1 : hit.end])
            i = hit.start - 1
            if i >= 2 and [t.lower_ for t in doc[i - 2 : i + 1]] == ["the", "rest", "of"]:
                i -= 3
            if i < 1 or doc[i].lower_ not in {"and", "or", "&"}:
                continue
            i -= 1
            while i >= 0 and i not in covered and doc[i].is_alpha and doc[i].is_title:
                found = forms.get((doc[i].lower_, *head))
                if found is None:
                    break
                out.append(_Hit(i, i + 1, found[0], "ellipsis", HOW_SCORES["ellipsis"]))
                if i >= 2 and doc[i - 1].text == ",":
                    i -= 2
                else:
                    break
        return out

    def _fuzzy_hits(
        self, doc: Doc, chosen: list[_Hit], memo: dict[str, tuple[str, float, int] | None]
    ) -> list[_Hit]:
        """Capitalised spans left unmatched (or matched only as a demonym/ellipsis) compared
        with every registered name; ratio ≥ threshold replaces what they cover.

        A span may swallow a demonym only when the name it resembles keeps that demonym's words
        ("Colombian Nationl Police" → Colombian National Police), so "Central American
        Republics" never becomes the Central African Republic."""
        c = self.compiled
        if self.fuzzy_threshold > 100 or not c.fuzzy_keys:
            return chosen
        weak = [h for h in chosen if h.how in {"demonym", "ellipsis"}]
        strong = _covered([h for h in chosen if h.how not in {"demonym", "ellipsis"}])
        found: list[_Hit] = []
        for run in _capitalised_runs(doc, strong):
            for start, end in _sub_spans(doc, run):
                if any(h.start < end and start < h.end for h in found):
                    continue
                inside = [h for h in weak if h.start < end and start < h.end]
                if any(h.start < start or h.end > end for h in inside):
                    continue
                key = loose_key(doc[start:end].text)
                if end - start == 1 and len(key) < _FUZZY_MIN_SINGLE:
                    continue
                if key in memo:
                    best = memo[key]
                else:
                    best = memo[key] = process.extractOne(
                        key, c.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=self.fuzzy_threshold
                    )
                if best is None or best[1] >= 100:
                    continue  # 100 would have been an exact match; the span failed a filter
                target = set(best[0].split())
                if any(not set(loose_key(doc[h.start : h.end].text).split()) <= target for h in inside):
                    continue
                found.append(_Hit(start, end, c.fuzzy_canonical[best[2]], "fuzzy", round(best[1] / 100, 3)))
        if not found:
            return chosen
        kept = [h for h in chosen if not any(f.start < h.end and h.start < f.end for f in found)]
        return kept + found

    # -- merging NER

    def _merge(
        self, text: str, mentions: list[ActorMention], ents: list[tuple[int, int, str]]
    ) -> list[ActorMention]:
        """Add NER entities that the registry did not explain.

        Overlapping a registry mention drops the entity, except an ORG with an organisational
        head word that only contains places ("Brazilian Ministry of Justice"): the organisation
        replaces them and keeps their country.
        """
        out = list(mentions)
        for start, end, label in ents:
            start, end = _clean_entity(text, start, end)
            if end <= start or not any(ch.isupper() for ch in text[start:end]):
                continue
            if _opening_word(text, start, end):
                continue
            if self.registry.get(text[start:end]) is not None:
                continue  # a registered name the matcher rejected here ("HELP US"): not new
            inside = [m for m in out if m.start < end and start < m.end]
            country = None
            if inside:
                if not self._org_over_places(text, start, end, label, inside):
                    continue
                country = next((m.country for m in inside if m.country), None)
                out = [m for m in out if m not in inside]
            out.append(
                ActorMention(start, end, text[start:end], None, NER_LABELS[label], "ner", NER_SCORE, country)
            )
        return sorted(out, key=lambda m: m.start)

    @staticmethod
    def _org_over_places(text: str, start: int, end: int, label: str, inside: list[ActorMention]) -> bool:
        if label != "ORG":
            return False
        if any(m.start < start or m.end > end or m.type not in {"country", "region", "city"} for m in inside):
            return False
        if sum(m.end - m.start for m in inside) >= end - start - 3:
            return False
        words = {w.casefold() for w in re.findall(r"[^\W\d_]+", text[start:end])}
        return bool(words & _ORG_HEADS)


def _select(hits: list[_Hit]) -> list[_Hit]:
    """Greedy non-overlapping selection: longest first, then exact > alias > acronym > demonym."""
    taken: set[int] = set()
    chosen = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, _HOW_RANK[h.how], h.start)):
        span = set(range(hit.start, hit.end))
        if span & taken:
            continue
        taken |= span
        chosen.append(hit)
    return chosen


def _starts_upper(span: str) -> bool:
    """Names are proper nouns: "la Paz" (peace) is not La Paz, "turkey" is not Turkey."""
    first = next((ch for ch in span if ch.isalpha()), "")
    return first.isupper()


def _covered(hits: Iterable[_Hit]) -> set[int]:
    return {i for h in hits for i in range(h.start, h.end)}


def _language_use(doc: Doc, start: int, end: int) -> bool:
    if doc[start:end].text.lower() not in _LANGUAGE_DEMONYMS:
        return False
    nxt = end + 1 if end < len(doc) and doc[end].text == "-" else end
    if nxt < len(doc) and doc[nxt].lower_ in _LANGUAGE_NEXT:
        return True
    prev_in = start > 0 and doc[start - 1].lower_ in {"in", "into"}
    return prev_in and (end >= len(doc) or doc[end].is_punct)


def _capitalised_runs(doc: Doc, covered: set[int]) -> Iterator[tuple[int, int]]:
    """Maximal runs of capitalised words (with connectors inside) not covered by strong hits."""
    i, n = 0, len(doc)
    while i < n:
        if i in covered or not _capitalised(doc[i]):
            i += 1
            continue
        j = i + 1
        while (
            j < n
            and j not in covered
            and (_capitalised(doc[j]) or doc[j].lower_ in _CONNECTORS or doc[j].text in {"-", "'s"})
        ):
            j += 1
        while j > i + 1 and not _capitalised(doc[j - 1]):
            j -= 1
        yield i, j
        i = j


def _capitalised(token: Any) -> bool:
    text = token.text
    return len(text) > 1 and text[0].isupper() and any(ch.isalpha() for ch in text)


def _sub_spans(doc: Doc, run: tuple[int, int], max_tokens: int = 8) -> Iterator[tuple[int, int]]:
    """Sub-spans of a run that start and end on capitalised words, longest first."""
    start, end = run
    spans = [
        (s, e)
        for s in range(start, end)
        for e in range(s + 1, min(end, s + max_tokens) + 1)
        if _capitalised(doc[s]) and _capitalised(doc[e - 1])
    ]
    return iter(sorted(spans, key=lambda se: (se[0] - se[1], se[0])))


def _char_span(doc: Doc, start: int, end: int, index: list[int] | None) -> tuple[int, int]:
    """Token span in the folded doc → character span in the original text."""
    s = doc[start].idx
    e = doc[end - 1].idx + len(doc[end - 1].text)
    if index is None:
        return s, e
    return index[s], index[e - 1] + 1


def _clean_entity(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim "the", possessive "'s", a list entry's bullet and stray punctuation from an NER span."""
    span = text[start:end]
    lead = re.match(r"^(?:[Tt]he\s+|[\s\"'“‘(\[\u2022\u00b7\u25aa\u25cf*\u2013\u2014-]+)+", span)
    if lead:
        start += lead.end()
    span = text[start:end]
    trail = re.search(r"(?:['’]s?|[\s\"'”’)\].,;:]+)+$", span)
    if trail:
        end -= len(span) - trail.start()
    return start, end


OPENING_WORD_ZIPF = 4.5
"""How common a word must be in English for its capital at the sentence's start to be the
sentence's ("Working with Congress, …", "Climate: …"), not a name's. A proper noun as common
("Congress may consider …") is lost with them when it opens the sentence; the registry knows
the US Congress by its full names only."""


def _opening_word(text: str, start: int, end: int) -> bool:
    """An entity that is one common English word opening the sentence (or its list entry),
    capitalised as a sentence opens: an acronym spelled like a word ("CARE") is a name."""
    word = text[start:end]
    return (
        not text[:start].strip(" \u2022\u00b7\u25aa\u25cf*\u2013\u2014-")
        and word.isalpha()
        and word.istitle()
        and is_frequent(word.casefold(), OPENING_WORD_ZIPF, ENGLISH)
    )


SENTENCE_OPENERS_FILE = Path(__file__).resolve().parent / "data" / "sentence_openers.txt"


@lru_cache(maxsize=1)
def sentence_openers() -> frozenset[str]:
    """Words that open sentences and never begin a name (``data/sentence_openers.txt``)."""
    lines = SENTENCE_OPENERS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


def _unexplained_capitals(text: str, mentions: list[ActorMention]) -> list[int]:
    """Where capital letters lie outside every registry mention (ignoring an opening function
    word such as "The" or "In"): only there can NER find an actor.

    An entity needs a capital letter (see :meth:`ActorMatcher._merge`), and one that only
    overlaps registry mentions is dropped unless an organisation word around places makes it
    one — a word that is itself capitalised.
    """
    first = re.match(r"\W*([A-Za-z]+)\b", text)
    skip_to = first.end() if first and first.group(1).casefold() in sentence_openers() else 0
    covered: list[tuple[int, int]] = []  # the mentions' union, in text order
    for start, end in sorted((m.start, m.end) for m in mentions):
        if covered and start <= covered[-1][1]:
            covered[-1] = (covered[-1][0], max(covered[-1][1], end))
        else:
            covered.append((start, end))
    # capitals and stretches both in text order: one sweep, linear in the text
    capitals = []
    n = 0
    for match in re.finditer(r"[A-ZÀ-Þ]", text[skip_to:]):
        at = match.start() + skip_to
        while n < len(covered) and covered[n][1] <= at:
            n += 1
        if n == len(covered) or at < covered[n][0]:
            capitals.append(at)
    return capitals


NER_CONTEXT_WORDS = 8
"""Words NER reads on either side of a name the registry leaves unexplained.

The pretrained NER decides each token from four tokens either side of it (four convolution
layers of window one) and the token before it; eight words are eight tokens or more, so a name
gets the same decision in its window as in its whole sentence (over every sentence NER reads in
the shipped, field and layout reports, the same mentions; five words changed one), and NER
reads about two thirds of the text it read before.
"""
_WORD = re.compile(r"\S+")


def _ner_windows(text: str, capitals: list[int], context: int = NER_CONTEXT_WORDS) -> list[tuple[int, int]]:
    """The stretches of ``text`` NER reads: each name holding an unexplained capital (its
    capitalised words and the connectors between them, "Ministry of Justice and Peace") with
    ``context`` words either side, overlapping stretches joined; character offsets."""
    words = [(w.start(), w.end()) for w in _WORD.finditer(text)]
    starts = [start for start, _end in words]
    spans: list[tuple[int, int]] = []
    last = -1
    for first in sorted({bisect.bisect_right(starts, at) - 1 for at in capitals}):
        if first <= last:
            continue  # a word inside the name just read: its name ends where that one does
        last = first
        while last + 1 < len(words):
            word = text[words[last + 1][0] : words[last + 1][1]]
            if not (word[:1].isupper() or word.strip("(),.;:").casefold() in _CONNECTORS):
                break
            last += 1
        spans.append((max(0, first - context), min(len(words) - 1, last + context)))
    joined: list[tuple[int, int]] = []
    for first, last in spans:
        if joined and first <= joined[-1][1] + 1:
            joined[-1] = (joined[-1][0], max(joined[-1][1], last))
        else:
            joined.append((first, last))
    return [(words[first][0], words[last][1]) for first, last in joined]


def _ner_spans(doc: Doc) -> list[tuple[int, int, str]]:
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in NER_LABELS]


def _ner_disable(nlp: spacy.Language) -> list[str]:
    """Components NER does not need (tagger, parser, lemmatizer…): skipping them is most of
    the speed-up. A ``tok2vec`` that NER listens to is kept."""
    needed = {"ner"} | _listened(nlp.get_pipe_config("ner"))
    return [name for name in nlp.pipe_names if name not in needed]


def _listened(config: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(config, dict):
        for key, value in config.items():
            if key == "upstream" and isinstance(value, str):
                found.add("tok2vec" if value == "*" else value)
            else:
                found |= _listened(value)
    return found


def load_ner(package: str = NER_PACKAGE) -> spacy.Language | None:
    """The pretrained pipeline if its package is installed and has NER, else None. Never
    downloads. Shared with the parser (see :mod:`.pretrained`): NER runs with the components it
    does not need disabled per call (:func:`_ner_disable`), not removed."""
    nlp = pretrained_pipeline(package)
    return nlp if nlp is not None and "ner" in nlp.pipe_names else None


def new_actor_candidates(mentions: Iterable[ActorMention]) -> list[tuple[str, int]]:
    """Names of unregistered actors (NER mentions) with how often they occur, most frequent
    first: the worklist for growing the registry."""
    counts = Counter(re.sub(r"\s+", " ", m.text).strip() for m in mentions if m.canonical is None)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# --------------------------------------------------------------------------- command line


def _read_texts(path: Path) -> list[str]:
    """A ``.jsonl`` file's ``text`` fields, or a plain text file's paragraphs."""
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line).get("text", "") for line in fh if line.strip()]
    return [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.nlp.actors FILE… [--no-ner] [--candidates N]``: speed and new-actor
    candidates over text files (``.jsonl`` with a ``text`` field, or plain text)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--no-ner", action="store_true")
    parser.add_argument("--candidates", type=int, default=30, help="how many candidates to list")
    args = parser.parse_args(argv)
    texts = [t for path in args.files for t in _read_texts(path)]
    words = sum(len(t.split()) for t in texts)
    matcher = ActorMatcher(ActorRegistry.load(), use_ner=not args.no_ner)
    t0 = time.perf_counter()
    _ = matcher.ner, matcher.compiled
    t1 = time.perf_counter()
    mentions = [m for found in matcher.find_all(texts) for m in found]
    t2 = time.perf_counter()
    print(
        f"texts={len(texts)} words={words} mentions={len(mentions)} ner={matcher.ner_available} "
        f"setup_s={t1 - t0:.2f} match_s={t2 - t1:.3f} words_per_s={words / max(t2 - t1, 1e-9):,.0f}"
    )
    for name, count in new_actor_candidates(mentions)[: args.candidates]:
        print(f"{count:4d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
