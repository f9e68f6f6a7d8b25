"""What a sentence's grammar says an actor does in it, for the role model to weigh.

The role model learns from the words around a mention; these cues write down what English
grammar states outright about a mention in any report — the subject of "funded" pays, the object
of "donated … to" receives, the object of "like" is only compared, a body "created" is the
outcome — and reach the model as features of each role example (:func:`grammar_cues`).
"""

from __future__ import annotations

from typing import Any

PLACE_TYPES = frozenset({"country", "region", "city"})
"""Actor types that are places: after "in" they say where something happens."""

PAYING_VERBS = frozenset(
    {
        *("fund", "finance", "donate", "grant", "provide", "support", "lend", "award", "sponsor"),
        *("invest", "allocate", "disburse", "transfer", "give", "offer", "pay"),
    }
)
"""Verbs whose subject (or passive agent) pays: "USAID funded …", "… was financed by Spain"."""
DOING_VERBS = frozenset(
    {"train", "equip", "assist", "deploy", "launch", "implement", "deliver", "help", "establish", "create"}
)
"""Verbs whose subject carries out: it provides too, unless the sentence says who pays
("the police trained officers with funding from X")."""
FUNDING_NOUNS = frozenset(
    {
        *("support", "funding", "financing", "assistance", "aid", "grant", "loan", "backing"),
        *("help", "contribution", "donation", "money", "resource", "sponsorship", "fund", "finance"),
    }
)
"""Nouns of giving: "funding from X" names a provider, "support to X" a recipient."""
SPONSORING = frozenset({"auspex", "auspices", "aegis", "sponsorship", "patronage"})
"""Nouns (as lemmatised) whose "of" object sponsors the intervention."""
GIVING_VERBS = frozenset(
    {
        *("donate", "give", "provide", "transfer", "lend", "grant", "deliver", "sell", "award"),
        *("offer", "extend", "allocate", "disburse", "send", "channel"),
    }
)
"""Verbs whose "to"/"for" object receives: "donated helicopters to the army"."""
SERVICE_NOUNS = frozenset({"training", "equipment", "expertise", "advice", "mentoring", "cooperation"})
"""Nouns of a service rendered: their "to"/"for" object receives ("training to the police of X")."""
SERVING_VERBS = frozenset({"train", "assist", "support", "help", "equip", "fund", "finance"})
"""Verbs whose object (or passive subject) benefits: "trained the police", "Honduras was assisted"."""


def grammar_role(features: dict[str, Any]) -> str | None:
    """The role a mention's grammar states outright, from a role example's ``syn:`` features:
    "funder" (subject or passive agent of a verb of paying, object of "funding from" or of
    "under the auspices of"),
    "implementer" (subject of a verb of doing: "trained", "deployed"),
    "recipient" (object of "to"/"for" after a verb or noun of giving or of a service —
    "training to the police of X" — object of "trained"),
    else None. The role model learns from one report's phrasing; these hold in any report."""
    phrase, prep, governor = features.get("syn:phrase"), features.get("syn:prep"), features.get("syn:gov")
    if phrase is None:
        return None  # not parsed
    if prep is None and phrase == "nsubj" and governor in PAYING_VERBS:
        return "funder"
    if prep is None and phrase == "nsubj" and governor in DOING_VERBS:
        return "implementer"
    if features.get("syn:agent") and governor in PAYING_VERBS | DOING_VERBS:
        return "funder"
    if prep in ("from", "by") and governor in FUNDING_NOUNS:
        return "funder"
    if prep == "of" and governor in SPONSORING:
        return "funder"  # "under the auspices of the OAS"
    if prep in ("to", "for") and governor in GIVING_VERBS | FUNDING_NOUNS | SERVICE_NOUNS:
        return "recipient"
    if prep is None and phrase in ("dobj", "nsubjpass") and governor in SERVING_VERBS:
        return "recipient"
    return None


COMPARED = frozenset({"like", "unlike"})
"""Prepositions of comparison: their object plays no part in the intervention."""
CREATING_VERBS = frozenset({"create", "establish", "form", "launch", "found", "set"})
CREATION_NOUNS = frozenset({"creation", "establishment", "formation", "launch", "founding"})
"""Nouns whose "of" object is created: "the creation of police commissions such as X"."""


def where_it_happens(features: dict[str, Any]) -> bool:
    """A place after "in" ("In El Salvador, the US assisted …", "trained police in Peru") is
    where the intervention happens: it benefits, it does not pay."""
    return features.get("syn:prep") == "in" and features.get("type") in PLACE_TYPES


def is_created(features: dict[str, Any]) -> bool:
    """The mention is what the sentence says was created ("the OAS created a drug observatory",
    "the creation of police commissions such as X"): the outcome, not who pays."""
    phrase, prep, governor = features.get("syn:phrase"), features.get("syn:prep"), features.get("syn:gov")
    return (phrase in ("dobj", "nsubjpass") and governor in CREATING_VERBS) or (
        prep == "of" and governor in CREATION_NOUNS
    )


MEETING_NOUNS = frozenset(
    {
        *("summit", "meeting", "conference", "seminar", "session", "assembly", "forum", "workshop"),
        *("congress", "convention", "symposium", "roundtable", "dialogue", "round"),
    }
)
"""Nouns of a gathering: a city "in"/"at" which one is held is its venue."""


def names_a_venue(features: dict[str, Any]) -> bool:
    """The mention is a city that says where something was agreed or met: the city a name
    holds ("the San Salvador Declaration", "the Bogota Manifesto") or the one a gathering is
    held in ("the Summit of the Americas in Cartagena"). A city takes part when its government
    acts ("mayors from Bogota and Medellín exchanged …"), not when it is the venue."""
    if features.get("type") != "city":
        return False
    if features.get("in_name"):
        return True
    return features.get("syn:prep") in ("in", "at") and features.get("syn:gov") in MEETING_NOUNS


def grammar_cues(features: dict[str, Any]) -> dict[str, int]:
    """The grammar's statement about a mention, as role-example features."""
    if "syn:phrase" not in features:
        return {}  # not parsed
    cues = {f"said:{grammar_role(features) or 'nothing'}": 1}
    if where_it_happens(features):
        cues["where_it_happens"] = 1
    if features.get("syn:prep") in COMPARED:
        cues["compared"] = 1
    if is_created(features):
        cues["created"] = 1
    return cues
