"""What each amount of a record is: a total, a part of another amount, a table cell, a rate;
how far along the money is; what it is in US dollars; and one total that can be added up.

A record gathers every amount its sentences and tables state: a program's total, its parts,
per-year cells, row totals and grand totals side by side. Added up as they stand they count the
same dollars several times (the CARSI table's cells, row totals and grand total are each the
$574 million the text states). This module gives each amount:

- **role** — ``total`` (a sum stated for itself), ``part`` (a share of another amount of the
  record: ``part_of`` is that amount's position), ``cell`` (a table cell, with its ``row`` and
  ``column`` labels and the ``table`` it sits in; ``part_of`` names the row or column total it
  adds into, when the table prints one) or ``rate`` ("$2 billion per year").
- **stage** — where the text says it: ``requested``, ``pledged``, ``appropriated``,
  ``obligated``, ``disbursed`` (spent) or ``estimated``; None when it says nothing.
- **usd** — the value in US dollars: the value itself for USD, else converted with the rate
  table of ``data/usd_rates.json`` at the amount's year; None when the currency or the year is
  not in the table (never guessed). ``value`` and ``currency`` keep the original.

:func:`total_usd` then gives a record one number that never counts a dollar twice.

Design choices, and why:

- **Table structure before words.** A row labelled "Total" or a "TOTAL" column makes its cells
  totals of the cells they sum; the grand total (both) is the table's own total. A body cell is
  part of its row's total when the table prints one, else of its column's total. The table says
  this by its layout, more surely than any cue word could.
- **Parts in text need a cue or arithmetic.** "$1.3 billion, of which $860 million" and "$50
  million of the $300 million" say it; amounts of one sentence that add up (within 0.5%) to
  another of it are its parts. Nothing else is called a part: a wrong "part" would hide money.
- **Stages from the nearest cue**, before the amount within its clause ("Congress appropriated
  $90 million") or right after it ("$5 million was requested"); for a table cell, its column
  header ("2013 Request"), then its row label ("Requested"), then the caption. A total whose
  parts all have one stage has it too, and amounts joined by "and" share the cue of their
  clause ("$5 million and $3 million were requested").
- **Seized values are results, not money.** An amount whose nearest cue says it was seized or
  confiscated ("$472 million in illegal assets were seized") measures what an intervention
  achieved; it is left out of the record's amounts, as the gold codes it.
- **Vocabulary lives in** ``data/amount_roles.json`` (stage cues, part cues, total labels) and
  ``data/usd_rates.json`` (rates with their source), read once at import; currency codes are
  checked against ISO 4217 like :mod:`pipeline.nlp.amounts` checks its own.
- **total_usd is a lower bound, never a double count.** Parts, cells under a printed total and
  rates are left out; requests, pledges and estimates count only when the record states no
  other money (a request and its appropriation are one sum at two moments); and because
  reports restate a program's money in several passages ("almost $9 billion", "$7.5 billion"
  for Plan Colombia), a record's separate totals are not added: its ``total_usd`` is the
  largest of them, a table's top-level cells counting as one sum.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.document import Table
from pipeline.nlp.amounts import AmountMention, TableAmount, _alternation, _load, is_currency_code
from pipeline.nlp.years import find_years

ROLES = ("total", "part", "cell", "rate")
STAGES = ("requested", "pledged", "appropriated", "obligated", "disbursed", "estimated")
SUM_TOLERANCE = 0.005
"""Amounts that add up to another within 0.5% are its parts (reports round)."""


def _checked(data: dict[str, Any], rates: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fail at import when a data file names a stage csminer does not know or a code that is not
    ISO 4217 (as :mod:`pipeline.nlp.amounts` checks its own)."""
    stages = {k for k in data["stages"] if not k.startswith("_")}
    if stages != set(STAGES) or not set(data["intended_stages"]) <= stages:
        raise ValueError(f"amount_roles.json: stages {sorted(stages)}, expected {list(STAGES)}")
    bad = sorted(code for code in rates if not is_currency_code(code))
    if bad:
        raise ValueError(f"usd_rates.json: not ISO 4217 currency codes: {bad}")
    return data, rates


_DATA, _RATES = _checked(_load("amount_roles.json"), _load("usd_rates.json")["currencies"])
INTENDED_STAGES = frozenset(_DATA["intended_stages"])
"""Money not yet given (requested, pledged, estimated)."""


RESULT = "result"
"""What an amount is when the text counts it as an outcome (the value of what was seized)."""
_STAGE_CUES = {stage: words for stage, words in _DATA["stages"].items() if not stage.startswith("_")}
_STAGE_RE, _CUE_RE = (
    re.compile(
        "|".join(rf"(?P<{cue}>(?<![\w-])(?:{_alternation(words)})(?![\w-]))" for cue, words in cues.items()),
        re.IGNORECASE,
    )
    for cues in (_STAGE_CUES, {**_STAGE_CUES, RESULT: _DATA["results"]["phrases"]})
)
"""Stage cues (table labels), and stage or result cues (text: the nearest one says what it is)."""
_SHARED_PREDICATE = re.compile(r"^[^;:()\d$€£¥]{0,40}\b(?:and|or)\s*$", re.IGNORECASE)
"""Between two amounts of one clause joined by "and"/"or" ("$11 billion in illegal drugs and $472
million in illegal assets were seized"): one with no cue of its own shares the other's."""
_PART_AFTER = re.compile(rf"(?<![\w])(?:{_alternation(_DATA['part_after']['phrases'])})\s*$", re.IGNORECASE)
_PART_BEFORE = re.compile(rf"^\s*(?:{_alternation(_DATA['part_before']['phrases'])})\s*$", re.IGNORECASE)
_PART_OPENING = re.compile(
    rf"^\W*(?:{_alternation(_DATA['part_opening']['phrases'])})(?![\w])", re.IGNORECASE
)
_TOTAL_LABEL = re.compile(rf"^\s*(?:{_alternation(_DATA['total_labels']['phrases'])})\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile("|".join(re.escape(c) for c in _DATA["clause_breaks"]))
CUE_BEFORE = 80
"""A stage cue reaches an amount at most this many characters after it…"""
CUE_AFTER = 30
"""…or this many before it ("$5 million was requested")."""


@dataclass
class RoledAmount:
    """One amount of a record with its role, stage and US-dollar value (see the module notes)."""

    value: float
    currency: str
    text: str
    qualifier: str
    year: int | None = None
    """For table cells: the column's (or row's) year."""
    role: str | None = None
    """total | part | cell | rate (see the module notes); None where nobody said (an amount
    an analyst typed in), which :func:`total_usd` counts as a total."""
    part_of: int | None = None
    """Position, in the record's amounts, of the amount this one adds into."""
    row: str | None = None
    column: str | None = None
    table: int | None = None
    """For table cells: the table's position in its document."""
    stage: str | None = None
    usd: float | None = None


# --- stages -------------------------------------------------------------------------------------


def stage_of(text: str, start: int, end: int, others: Iterable[tuple[int, int]] = ()) -> str | None:
    """The stage the text gives the amount at ``text[start:end]`` (see :func:`cue_of`); None for
    an amount the text counts as a result."""
    cue = cue_of(text, start, end, others)
    return None if cue == RESULT else cue


def cue_of(text: str, start: int, end: int, others: Iterable[tuple[int, int]] = ()) -> str | None:
    """The stage, or :data:`RESULT`, the text gives the amount at ``text[start:end]``: the nearest
    cue before it in its clause (at most :data:`CUE_BEFORE` characters) or right after it
    (:data:`CUE_AFTER`), never across another amount of the sentence (``others``: their spans),
    whose cue it would be."""
    best: tuple[int, str] | None = None
    for m in _CUE_RE.finditer(text, max(0, start - CUE_BEFORE), min(len(text), end + CUE_AFTER)):
        stage = m.lastgroup
        if stage is None:
            continue
        if m.end() <= start:
            lo, hi = m.end(), start
        elif m.start() >= end:
            lo, hi = end, m.start()
        else:
            continue
        distance = hi - lo
        if distance > (CUE_BEFORE if hi == start else CUE_AFTER) or _CLAUSE_BREAK.search(text[lo:hi]):
            continue
        if any(lo <= a < hi or lo < b <= hi for a, b in others if (a, b) != (start, end)):
            continue
        if best is None or distance < best[0]:
            best = (distance, stage)
    return best[1] if best else None


def label_stage(*labels: str | None) -> str | None:
    """The stage the first label that names one gives ("2013 Request" → requested)."""
    for label in labels:
        if label:
            m = _STAGE_RE.search(label)
            if m and m.lastgroup:
                return m.lastgroup
    return None


# --- US dollars ---------------------------------------------------------------------------------


def usd_rate(currency: str, year: int | None) -> float | None:
    """US dollars for one unit of ``currency`` in ``year`` (1 for USD), or None when the rate table
    has no rate for them."""
    if currency == "USD":
        return 1.0
    entry = _RATES.get(currency)
    if entry is None or year is None:
        return None
    rate = entry["rates"].get(str(year))
    if rate is None:
        return None
    return float(rate) if entry["quote"] == "usd_per_unit" else 1.0 / float(rate)


def to_usd(value: float, currency: str, year: int | None) -> float | None:
    rate = usd_rate(currency, year)
    return None if rate is None else round(value * rate, 2)


def _sentence_year(text: str) -> int | None:
    """The one year a sentence gives (not a citation's), else None."""
    years = {
        y.first for y in find_years(text) if not y.citation and y.first is not None and y.first == y.last
    }
    return years.pop() if len(years) == 1 else None


# --- roles --------------------------------------------------------------------------------------


def _text_roles(text: str, mentions: Sequence[AmountMention]) -> dict[int, int]:
    """Within one sentence: mention position → position of the mention it is part of."""
    parts: dict[int, int] = {}
    for i in range(len(mentions) - 1):
        a, b = mentions[i], mentions[i + 1]
        if a.currency != b.currency or a.rate or b.rate:
            continue
        gap = text[a.end : b.start]
        if _PART_AFTER.search(gap) and b.value < a.value:
            parts[i + 1] = i
        elif _PART_BEFORE.match(gap) and a.value < b.value:
            parts[i] = i + 1
    for t, whole in enumerate(mentions):
        others = [
            k
            for k, m in enumerate(mentions)
            if k != t
            and parts.get(k, t) == t
            and not m.rate
            and m.currency == whole.currency
            and m.value < whole.value
        ]
        if len(others) >= 2 and not whole.rate:
            total = sum(mentions[k].value for k in others)
            if abs(total - whole.value) <= SUM_TOLERANCE * whole.value:
                parts.update({k: t for k in others})
    return parts


def _text_cues(
    text: str, mentions: Sequence[AmountMention], spans: list[tuple[int, int]]
) -> list[str | None]:
    """Each amount's stage or :data:`RESULT` (:func:`cue_of`); an amount with none joined by
    "and"/"or" to another amount of its clause that has one shares it ("$5 million and $3
    million were requested", "appropriated $5 million and $3 million")."""
    cues = [cue_of(text, m.start, m.end, spans) for m in mentions]
    joined = [
        bool(_SHARED_PREDICATE.match(text[a.end : b.start])) for a, b in itertools.pairwise(mentions)
    ]
    for k in range(len(mentions) - 2, -1, -1):  # the cue after both
        if cues[k] is None and joined[k]:
            cues[k] = cues[k + 1]
    for k in range(1, len(mentions)):  # the cue before both
        if cues[k] is None and joined[k - 1]:
            cues[k] = cues[k - 1]
    return cues


def _table_roles(table: Table, cells: Sequence[TableAmount], first: int) -> list[RoledAmount]:
    """The cells of one table as amounts, each with its labels, stage and the total it adds into."""
    totals_row = {c.row for c in cells if _TOTAL_LABEL.match(c.row_label or "")}
    totals_col = {c.col for c in cells if _TOTAL_LABEL.match(c.column or "")}
    at = {(c.row, c.col): first + n for n, c in enumerate(cells)}
    out: list[RoledAmount] = []
    for c in cells:
        in_total_row, in_total_col = c.row in totals_row, c.col in totals_col
        grand = next((at[(r, k)] for r in totals_row for k in totals_col if (r, k) in at), None)
        row_total = next((at[(c.row, k)] for k in sorted(totals_col) if (c.row, k) in at), None)
        col_total = next((at[(r, c.col)] for r in sorted(totals_row) if (r, c.col) in at), None)
        if in_total_row and in_total_col:
            role, part_of = "total", None
        elif in_total_row or in_total_col:
            role, part_of = "cell", grand
        else:
            role, part_of = "cell", row_total if row_total is not None else col_total
        out.append(
            RoledAmount(
                c.value,
                c.currency,
                c.text,
                c.qualifier,
                year=c.year,
                role=role,
                part_of=part_of,
                row=c.row_label or None,
                column=c.column or None,
                stage=label_stage(c.column, c.row_label, table.caption),
            )
        )
    return out


def _inherit_stages(amounts: list[RoledAmount]) -> None:
    """A total with no stage of its own takes the one stage all its parts share."""
    changed = True
    while changed:
        changed = False
        for n, a in enumerate(amounts):
            if a.stage is not None:
                continue
            stages = {p.stage for p in amounts if p.part_of == n}
            if len(stages) == 1 and None not in stages:
                a.stage = stages.pop()
                changed = True


def describe_amounts(
    sentences: Iterable[tuple[str, Sequence[AmountMention]]],
    tables: Iterable[tuple[int, Table, Sequence[TableAmount]]],
    start_year: int | None = None,
) -> list[RoledAmount]:
    """A record's amounts, in order: each sentence's (a value and currency stated again in a later
    sentence is one amount), then each table's cells, with roles, stages and USD values.

    ``sentences`` are (text, its amount mentions, offsets into the text); ``tables`` are (the
    table's position in its document, the table, its money cells); ``start_year`` is the
    record's, the year a text amount is converted at when its sentence gives none."""
    out: list[RoledAmount] = []
    seen: dict[tuple[float, str], int] = {}
    for text, found in sentences:
        mentions = sorted(found, key=lambda m: m.start)
        parts = _text_roles(text, mentions)
        spans = [(m.start, m.end) for m in mentions]
        # "Of this amount, $366 million …": parts of the last total stated before the sentence
        before = next((n for n in range(len(out) - 1, -1, -1) if out[n].role == "total"), None)
        opening = before if before is not None and _PART_OPENING.match(text) else None
        cues = _text_cues(text, mentions, spans)
        position: dict[int, int] = {}
        for k, m in enumerate(mentions):
            if cues[k] == RESULT:  # "$472 million in illegal assets were seized": no money given
                continue
            key = (m.value, m.currency)
            if key in seen:
                position[k] = seen[key]
                continue
            seen[key] = position[k] = len(out)
            year = start_year
            if m.currency != "USD":
                year = _sentence_year(text) or start_year
            out.append(
                RoledAmount(
                    m.value,
                    m.currency,
                    m.text,
                    m.qualifier,
                    role="rate" if m.rate else "total",
                    stage=cues[k],
                    usd=to_usd(m.value, m.currency, year),
                )
            )
        for k, whole in parts.items():
            if k not in position or whole not in position:
                continue
            target, part = position[whole], out[position[k]]
            if target != position[k] and part.role == "total" and out[target].part_of != position[k]:
                part.role, part.part_of = "part", target
        if opening is not None:
            whole = out[opening]
            for k in sorted(set(position.values())):
                part = out[k]
                if (
                    k > opening
                    and part.role == "total"
                    and part.currency == whole.currency
                    and part.value < whole.value
                ):
                    part.role, part.part_of = "part", opening
    for index, table, cells in tables:
        roled = _table_roles(table, cells, len(out))
        for a in roled:
            a.table = index
            a.usd = to_usd(a.value, a.currency, a.year if a.year is not None else start_year)
        out.extend(roled)
    _inherit_stages(out)
    return out


# --- one total per record -----------------------------------------------------------------------


def _get(amount: Any, key: str) -> Any:
    return amount.get(key) if isinstance(amount, dict) else getattr(amount, key, None)


def amount_usd(amount: Any) -> float | None:
    """An amount's US-dollar value: its ``usd`` when it has one, its value when it is in USD."""
    usd = _get(amount, "usd")
    if isinstance(usd, int | float) and not isinstance(usd, bool):
        return float(usd)
    value = _get(amount, "value")
    if _get(amount, "currency") == "USD" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _expanded(amounts: Sequence[Any], n: int, children: dict[int, list[int]]) -> list[int]:
    """Amount ``n``, or, when money not yet given (a request) is inside it, the parts it adds
    up from, the request left out: a table's grand total that holds next year's request is its
    per-year totals. A part is followed down one axis only (the total row's cells, where the
    table prints one), so the same money is never reached twice."""
    parts = children.get(n, [])
    if not parts or not _holds_intended(amounts, n, children):
        return [n]
    axis = [k for k in parts if _TOTAL_LABEL.match(_get(amounts[k], "row") or "")] or [
        k for k in parts if not _TOTAL_LABEL.match(_get(amounts[k], "column") or "")
    ]
    return [x for k in axis or parts for x in _expanded(amounts, k, children)]


def _holds_intended(amounts: Sequence[Any], n: int, children: dict[int, list[int]]) -> bool:
    return any(
        _get(amounts[k], "stage") in INTENDED_STAGES or _holds_intended(amounts, k, children)
        for k in children.get(n, [])
    )


def counted_amounts(amounts: Sequence[Any]) -> list[Any]:
    """The amounts :func:`total_usd` reads: top-level ones (no part of another, not a rate) with
    a US-dollar value, of the stages it counts — money given when the record states any (a total
    holding a request is read through its parts, the request left out), else every stage."""
    children: dict[int, list[int]] = {}
    for k, a in enumerate(amounts):
        parent = _get(a, "part_of")
        if isinstance(parent, int) and 0 <= parent < len(amounts) and parent != k:
            children.setdefault(parent, []).append(k)
    top = [
        n
        for n, a in enumerate(amounts)
        if _get(a, "role") != "rate" and _get(a, "part_of") is None and amount_usd(a) is not None
    ]
    given = [
        k
        for n in top
        for k in _expanded(amounts, n, children)
        if _get(amounts[k], "stage") not in INTENDED_STAGES and amount_usd(amounts[k]) is not None
    ]
    return [amounts[k] for k in (given or top)]


def total_usd(amounts: Sequence[Any]) -> float | None:
    """The record's money in US dollars, counted once: the largest of its top-level sums (a text
    total, or a table's top-level cells added up); None when no amount has a USD value.

    Amounts are :class:`RoledAmount` objects or the dicts a record's JSON holds; amounts without
    roles (an older inventory, a gold file) each count as a total, so the largest is taken."""
    sums: list[float] = []
    tables: dict[Any, list[Any]] = {}
    for a in counted_amounts(amounts):
        if _get(a, "role") == "cell" or _get(a, "table") is not None:
            tables.setdefault(_get(a, "table"), []).append(a)
        else:
            sums.append(amount_usd(a) or 0.0)
    for cells in tables.values():
        # a table printing a total row and a total column but no grand total: its row totals
        # and its column totals are the same money, so only the total row is added up
        if any(_TOTAL_LABEL.match(_get(c, "row") or "") for c in cells):
            cells = [c for c in cells if not _TOTAL_LABEL.match(_get(c, "column") or "")] or cells
        sums.append(sum(amount_usd(c) or 0.0 for c in cells))
    return round(max(sums), 2) if sums else None


def with_total_usd(record: dict[str, Any]) -> dict[str, Any]:
    """A record dict with ``total_usd`` computed from its amounts, placed right after them (a
    dict with no amounts is returned as it is)."""
    if "amounts" not in record:
        return record
    amounts = record.get("amounts")
    total = total_usd([a for a in amounts if isinstance(a, dict)] if isinstance(amounts, list) else [])
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key != "total_usd":
            out[key] = value
        if key == "amounts":
            out["total_usd"] = total
    return out
