"""Tables that list interventions one per row: each row is a record.

Inventories and annexes set out projects as rows ("Donor | Project | Country | Amount | Years").
A table is read so when its header names who provides and what or where (the project, the
country); each row then becomes a record whose roles come from its columns, not from a
model: the header says who the donor is more surely than any sentence. Tables of another
kind (budgets by year, crime counts) have no such header and are left to the caption rule of
:meth:`pipeline.records.assemble.Assembler.assemble`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..document import Table
from ..nlp.actors import ActorMatcher
from ..nlp.mentions import SentenceMentions, TableMentions, extract_mentions
from ..nlp.sentences import Sentence, table_sentence

COLUMN_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("implementer", re.compile(r"\b(?:implement\w*|executing|executed\s+by|partners?)\b", re.I)),
    (
        "funder",
        re.compile(
            r"\b(?:donors?|funders?|funded\s+by|funding\s+(?:source|agency)|financ\w*|sponsors?)\b", re.I
        ),
    ),
    (
        "program",
        re.compile(r"\b(?:projects?|programm?e?s?|initiatives?|interventions?|activit(?:y|ies))\b", re.I),
    ),
    ("recipient", re.compile(r"\b(?:countr(?:y|ies)|recipients?|beneficiar(?:y|ies)|location)\b", re.I)),
)
"""Column roles by header words; the first pattern that fits a header wins ("Implementing
partner" is an implementer, not a funder's partner), and each role takes one column."""
ROW_PROBABILITY = 0.9
"""Confidence that a row of an inventory table states an intervention (its header says so)."""


@dataclass
class RowMentions:
    """One row of an inventory table as a sentence ("Donor: USAID; Project: …") with its
    mentions, the columns each role reads, and the row's money cells."""

    item: SentenceMentions
    columns: dict[str, str]
    """Role (funder, implementer, program, recipient) → the row's cell in that column."""
    table: TableMentions
    roles: dict[str, str] = field(default_factory=dict)
    """Registry name → role, for the actors found in the role columns."""


def column_roles(table: Table) -> dict[int, str]:
    """Column index → role, for a table whose header names who provides and what or where
    (else empty)."""
    roles: dict[int, str] = {}
    for n, header in enumerate(table.header):
        for role, pattern in COLUMN_ROLES:
            if pattern.search(header) and role not in roles.values():
                roles[n] = role
                break
    kinds = set(roles.values())
    return roles if "funder" in kinds and kinds & {"program", "recipient"} else {}


def row_mentions(
    tables: list[TableMentions], matcher: ActorMatcher, first_index: int, ner: bool = True
) -> list[RowMentions]:
    """Every row of every inventory table, numbered as sentences from ``first_index`` on (its
    actors found as the sentences' are: ``ner=False`` for the registry's only)."""
    rows: list[tuple[Sentence, dict[str, str], TableMentions, dict[tuple[int, int], str]]] = []
    for mentions in tables:
        table = mentions.table
        roles = column_roles(table)
        if not roles:
            continue
        for r, cells in enumerate(table.rows):
            if not any(c.strip() for c in cells) or _is_total(cells):
                continue
            text, spans = _row_text(table.header, cells)
            index = first_index + len(rows)
            sentence = table_sentence(index, text, table, "table_row", table.bbox, section=table.caption)
            own = TableMentions(mentions.table_index, table, [a for a in mentions.amounts if a.row == r])
            columns = {role: cells[n].strip() for n, role in roles.items() if n in spans}
            rows.append((sentence, columns, own, {spans[n]: role for n, role in roles.items() if n in spans}))
    items = extract_mentions([s for s, _, _, _ in rows], matcher, ner=ner)
    out: list[RowMentions] = []
    for item, (_, columns, own, role_at) in zip(items, rows, strict=True):
        row = RowMentions(item, columns, own)
        for mention in item.actors:
            role = next((r for (s, e), r in role_at.items() if s <= mention.start < e), None)
            if mention.canonical and role in ("funder", "implementer", "recipient"):
                row.roles.setdefault(mention.canonical, role)
        out.append(row)
    return out


def _row_text(header: list[str], cells: list[str]) -> tuple[str, dict[int, tuple[int, int]]]:
    """ "Header: cell; Header: cell" and where each cell stands in it."""
    parts: list[str] = []
    spans: dict[int, tuple[int, int]] = {}
    at = 0
    for n, cell in enumerate(cells):
        cell = " ".join(cell.split())
        if not cell:
            continue
        label = " ".join(header[n].split()) if n < len(header) else ""
        prefix = f"{label}: " if label else ""
        if parts:
            at += 2  # "; "
        spans[n] = (at + len(prefix), at + len(prefix) + len(cell))
        parts.append(prefix + cell)
        at += len(prefix) + len(cell)
    return "; ".join(parts), spans


def _is_total(cells: list[str]) -> bool:
    first = next((c.strip() for c in cells if c.strip()), "")
    return re.match(r"(?i)(?:grand\s+)?(?:sub-?)?total\b", first) is not None
