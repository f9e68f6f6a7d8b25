"""The records stage's hand-written rules: named, registered, switchable and measured.

Every hand-written decision of grouping, naming and roles is a rule in :data:`RULES`, declared
in ``data/rules.json`` with the line of the codebook (RECORDS.md) or the fact of English it
writes down. The code asks
``rules.on(NAME)`` where the rule decides, so any rule can be switched off from the config
(``--set rules.disabled=venue-cities,agency-states``) and its worth measured per
document: ``csminer evaluate --ablate`` builds the leave-one-document-out records again with
each rule off. A rule earns its place by helping across documents; one that helps a single
report and costs another goes.

Detection has no rule here: what a rule knew about a sentence (it names a program, an actor
does a cooperation verb towards a place) is a feature the detector weighs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Rule:
    name: str
    stage: str
    """Where it decides: filter (which detected sentences state nothing), names, grouping,
    roles, fields (recipients, modality), records (which drafts are records)."""
    writes_down: str
    """The codebook line or the fact of English the rule writes down."""


def _declared() -> tuple[Rule, ...]:
    """The rules as ``data/rules.json`` declares them, in the order the stage applies them."""
    text = resources.files(__package__).joinpath("data", "rules.json").read_text(encoding="utf-8")
    return tuple(Rule(**entry) for entry in json.loads(text))


RULES: dict[str, Rule] = {rule.name: rule for rule in _declared()}
"""The registry: rule name → rule."""


@dataclass(frozen=True)
class RuleSet:
    """Which rules are on (all but ``disabled``)."""

    disabled: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(self.disabled - RULES.keys())
        if unknown:
            raise ValueError(f"unknown rule(s): {', '.join(unknown)}; known: {', '.join(sorted(RULES))}")

    @classmethod
    def parse(cls, names: str) -> RuleSet:
        """A rule set from a comma-separated list of the rules to switch off."""
        return cls(frozenset(n.strip() for n in names.split(",") if n.strip()))

    def on(self, name: str) -> bool:
        if name not in RULES:
            raise KeyError(f"no rule named {name!r}")
        return name not in self.disabled

    def without(self, name: str) -> RuleSet:
        return RuleSet(self.disabled | {name})


ALL_ON = RuleSet()
