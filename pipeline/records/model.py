"""The intervention record: what csminer emits, in the shape of RECORDS.md plus grounding.

``to_dict()`` gives the RECORDS.md fields first, then what the pipeline adds (spans with
pages and boxes, per-field confidences, model and pipeline versions); ``to_core()`` gives
exactly the RECORDS.md fields, for exchange with tools that want nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..document import BBox
from ..nlp.amount_roles import RoledAmount, with_total_usd

CORE_FIELDS = (
    "id",
    "doc",
    "name",
    "evidence",
    "pages",
    "funders",
    "implementers",
    "recipients",
    "amounts",
    "years",
    "hard_soft",
    "scope",
    "modality",
    "themes",
)


LABELS: dict[str, tuple[str, ...]] = {
    "hard_soft": ("hard", "soft", "mixed"),
    "scope": ("transnational", "local", "mixed"),
    "modality": (
        "bilateral", "multilateral", "regional", "south-south", "triangular", "non-governmental", "private",
    ),
    "themes": (
        "counter-narcotics", "organized-crime", "gangs", "arms-control", "human-trafficking",
        "money-laundering", "cyber-crime", "border-security", "intelligence", "military-assistance",
        "police-reform", "justice-reform", "prison-reform", "violence-prevention", "youth",
        "gender-violence", "community-policing", "human-rights", "drug-policy", "institutional-capacity",
    ),
    "qualifier": ("exact", "approx", "more_than", "less_than"),
}  # fmt: skip
"""The RECORDS.md vocabularies (``record.schema.json``'s enums), in the schema's order: the
one list the evaluation, the review app and the exports read."""
DECIDED_FIELDS = tuple(f for f in CORE_FIELDS if f not in ("id", "doc", "evidence", "pages"))
"""The fields that say something of an intervention (not where it was read): what is decided,
by the pipeline or by an analyst."""


RecordAmount = RoledAmount
"""One amount of a record: value, currency, text, qualifier, a table cell's year, and what the
amount is (role, part_of, row, column, table), its stage and its US-dollar value — defined with
the logic that fills them in (:mod:`pipeline.nlp.amount_roles`)."""


@dataclass
class RecordYears:
    start: int | None = None
    end: int | None = None
    mentioned: list[int] = field(default_factory=list)


@dataclass
class EvidenceSpan:
    """One stating sentence: its text and where it is (document offsets, pages, boxes)."""

    text: str
    start: int
    end: int
    pages: list[int] = field(default_factory=list)
    boxes: list[tuple[int, BBox]] = field(default_factory=list)
    source: str = "body"
    """body | footnote | table | caption"""
    joined_by: str = "start"
    """Why the sentence is in this record: start (it opened the record), name,
    reference ("the program"), passage, follow-up (a sentence the detector passed over that
    carries on the program named before it), footnote (its marker's sentence is here), listing
    (it lists this program with others), caption, table."""


@dataclass
class Record:
    id: str
    doc: str
    name: str | None = None
    evidence: list[EvidenceSpan] = field(default_factory=list)
    funders: list[str] = field(default_factory=list)
    implementers: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    amounts: list[RecordAmount] = field(default_factory=list)
    years: RecordYears = field(default_factory=RecordYears)
    hard_soft: str | None = None
    scope: str | None = None
    modality: str | None = None
    themes: list[str] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    """Per field, 0–1: how sure the pipeline is of each value it filled."""
    pipeline_version: str = ""
    model_version: str = ""

    @property
    def pages(self) -> list[int]:
        return sorted({p for span in self.evidence for p in span.pages})

    def to_core(self) -> dict[str, Any]:
        """Exactly the RECORDS.md fields, in their order."""
        return {
            "id": self.id,
            "doc": self.doc,
            "name": self.name,
            "evidence": [span.text for span in self.evidence],
            "pages": self.pages,
            "funders": list(self.funders),
            "implementers": list(self.implementers),
            "recipients": list(self.recipients),
            "amounts": [
                {"value": a.value, "currency": a.currency, "text": a.text, "qualifier": a.qualifier}
                for a in self.amounts
            ],
            "years": asdict(self.years),
            "hard_soft": self.hard_soft,
            "scope": self.scope,
            "modality": self.modality,
            "themes": list(self.themes),
        }

    def to_dict(self) -> dict[str, Any]:
        """RECORDS.md fields, then spans, confidences and versions."""
        data = self.to_core()
        data["amounts"] = [asdict(a) for a in self.amounts]
        data = with_total_usd(data)  # the money counted once, after the amounts (nlp/amount_roles.py)
        data["spans"] = [asdict(span) for span in self.evidence]
        data["confidence"] = dict(sorted(self.confidence.items()))
        data["pipeline_version"] = self.pipeline_version
        data["model_version"] = self.model_version
        return data
