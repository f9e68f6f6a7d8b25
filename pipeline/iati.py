"""Interventions as IATI 2.03 activity XML, for tools that read the aid-transparency standard.

One ``<iati-activity>`` per intervention (the records of several reports joined into one):
funders are participating organisations of role 1 (funding), implementers of role 4
(implementing); recipients become ISO 3166-1 alpha-2 countries or Region-codelist regions
(names neither resolves stay in the description, never guessed); themes suggest DAC 5-digit
sectors; years give the activity dates; amounts give budgets and transactions by stage (see
:mod:`pipeline.nlp.amount_roles`): only amounts that are no part of another and no rate, money
obligated or disbursed as transactions (2 outgoing commitment, 3 disbursement), the rest as
budgets (a table cell's year is a one-year budget, the largest other amount one over the
activity's years); each source document is a
document link to its first page of evidence. csminer reports what reports say about activities
it does not run, so the reporting organisation is csminer itself, as a secondary reporter.

An intervention with no year at all has no activity date, which the standard requires: it is
left out and named in a comment at the top of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lxml import etree

from .evaluate import as_list
from .export import _atomic_write

VERSION = "2.03"
REPORTER_REF = "XI-CSMINER"
"""Not a registered publisher: the identifier prefix of activities csminer describes."""
REPORTER_TYPE = "90"  # OrganisationType "Other"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

SECTORS: dict[str, str] = {
    "police-reform": "15210",
    "community-policing": "15210",
    "intelligence": "15210",
    "border-security": "15210",
    "military-assistance": "15210",
    "institutional-capacity": "15210",
    "organized-crime": "15210",
    "money-laundering": "15210",
    "cyber-crime": "15210",
    "human-trafficking": "15210",
    "justice-reform": "15130",
    "prison-reform": "15130",
    "counter-narcotics": "16063",
    "drug-policy": "16063",
    "gender-violence": "15180",
    "arms-control": "15240",
    "violence-prevention": "15220",
    "youth": "15220",
    "gangs": "15220",
    "human-rights": "15160",
}
"""Theme → suggested DAC 5-digit purpose code (vocabulary 1). A record without themes gets
15210, security system management and reform: every record is about security."""
DEFAULT_SECTOR = "15210"

REGIONS: dict[str, str] = {
    "central america": "1032",
    "northern triangle": "1032",
    "caribbean": "1031",
    "west indies": "380",
    "caribbean and central america": "389",
    "south america": "489",
    "andean region": "489",
    "andean community": "489",
    "southern cone": "489",
    "latin america": "498",
    "latin america and the caribbean": "498",
    "the americas": "498",
    "americas": "498",
    "western hemisphere": "498",
}
"""Region names the reports use → Region codelist (vocabulary 1, OECD DAC)."""

COUNTRY_NAMES = {"the united states": "US", "usa": "US", "bolivia": "BO", "venezuela": "VE"}
"""Names pycountry does not resolve as the reports write them."""


@lru_cache(maxsize=512)
def country_code(name: str) -> str | None:
    """ISO 3166-1 alpha-2 of a country name, or None (a city, a region, an institution)."""
    import pycountry

    key = re.sub(r"\s+", " ", name).strip()
    if key.casefold() in COUNTRY_NAMES:
        return COUNTRY_NAMES[key.casefold()]
    try:
        return str(pycountry.countries.lookup(key).alpha_2)
    except LookupError:
        return None


def region_code(name: str) -> str | None:
    return REGIONS.get(re.sub(r"\s+", " ", name).strip().casefold().replace("&", "and"))


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _narrative(parent: etree._Element, tag: str, text: str, **attrs: str) -> etree._Element:
    element = _sub(parent, tag, **attrs)
    _sub(element, "narrative", _xml_text(text))
    return element


def _xml_text(text: str) -> str:
    """Characters XML 1.0 cannot hold removed (a PDF's text may carry control characters)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", re.sub(r"\s+", " ", text)).strip()


def _unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v))


TRANSACTION_TYPES = {"obligated": "2", "disbursed": "3"}
"""Stage → TransactionType code: an obligation is an outgoing commitment, money given a
disbursement. Other stages (requested, pledged, appropriated, estimated, none said) are budgets."""


def _amounts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The group's amounts, one per figure: the same value and currency stated by two reports
    (within 0.5%) is one amount; parts of another amount and rates are left out (their whole is
    there, and IATI adds budgets up)."""
    out: list[dict[str, Any]] = []
    for r in records:
        for a in as_list(r.get("amounts")):
            if not isinstance(a, dict) or not isinstance(a.get("value"), int | float) or a["value"] <= 0:
                continue
            if a.get("part_of") is not None or a.get("role") == "rate":
                continue
            if not any(
                b.get("currency") == a.get("currency")
                and b.get("year") == a.get("year")
                and abs(b["value"] - a["value"]) <= 0.005 * max(b["value"], a["value"])
                for b in out
            ):
                out.append(a)
    return out


def _value(parent: etree._Element, amount: dict[str, Any], value_date: str) -> None:
    value = float(amount["value"])
    text = str(int(value)) if value.is_integer() else f"{value:.2f}"
    _sub(parent, "value", text, currency=str(amount.get("currency") or "USD"), value_date=value_date)


def activity(key: str, records: list[dict[str, Any]], paths: dict[str, str]) -> etree._Element | None:
    """The activity of one intervention (its records), or None when no year dates it."""
    starts = [r["years"]["start"] for r in records if (r.get("years") or {}).get("start")]
    ends = [r["years"]["end"] for r in records if (r.get("years") or {}).get("end")]
    mentioned = [y for r in records for y in (r.get("years") or {}).get("mentioned") or []]
    start = min(starts) if starts else (min(mentioned) if mentioned else None)
    if start is None:
        return None
    end = max(ends) if ends else None
    act = etree.Element("iati-activity", {XML_LANG: "en", "default-currency": "USD"})
    _sub(act, "iati-identifier", f"{REPORTER_REF}-{key}")
    _narrative(act, "reporting-org", "csminer", ref=REPORTER_REF, type=REPORTER_TYPE, secondary_reporter="1")
    funders = _unique(f for r in records for f in as_list(r.get("funders")))
    implementers = _unique(i for r in records for i in as_list(r.get("implementers")))
    recipients = _unique(x for r in records for x in as_list(r.get("recipients")))
    name = next((r["name"] for r in records if r.get("name")), None)
    title = name or f"{', '.join(funders) or 'Unnamed provider'}: security cooperation" + (
        f" with {', '.join(recipients)}" if recipients else ""
    )
    _narrative(act, "title", title)
    evidence = " ".join(str(e) for r in records for e in as_list(r.get("evidence")))
    _narrative(act, "description", evidence or title, type="1")
    unresolved = [x for x in recipients if not country_code(x) and not region_code(x)]
    if unresolved:  # cities and institutions: said, not coded
        _narrative(act, "description", f"Recipients named in the sources: {', '.join(unresolved)}", type="2")
    for org in funders:
        _narrative(act, "participating-org", org, role="1")
    for org in implementers:
        _narrative(act, "participating-org", org, role="4")
    if not funders and not implementers:
        _narrative(act, "participating-org", "Not stated in the sources", role="1")
    finished = end is not None and end < date.today().year
    _sub(act, "activity-status", code="4" if finished else "2")
    _sub(act, "activity-date", type="2", iso_date=f"{start}-01-01")  # actual start
    if end is not None:
        _sub(act, "activity-date", type="4" if finished else "3", iso_date=f"{end}-12-31")
    for code in _unique(country_code(x) for x in recipients):
        _sub(act, "recipient-country", code=code)
    for code in _unique(region_code(x) for x in recipients if not country_code(x)):
        _sub(act, "recipient-region", code=code, vocabulary="1")
    themes = _unique(t for r in records for t in as_list(r.get("themes")))
    for code in _unique([SECTORS.get(t) for t in themes]) or [DEFAULT_SECTOR]:
        _sub(act, "sector", code=code, vocabulary="1")
    amounts = _amounts(records)
    transactions = [a for a in amounts if a.get("stage") in TRANSACTION_TYPES]
    amounts = [a for a in amounts if a not in transactions]
    by_year = [a for a in amounts if isinstance(a.get("year"), int)]
    overall = sorted((a for a in amounts if a not in by_year), key=lambda a: -float(a["value"]))
    for a in by_year:  # a table cell: that year's budget
        budget = _sub(act, "budget", type="1")
        _sub(budget, "period-start", iso_date=f"{a['year']}-01-01")
        _sub(budget, "period-end", iso_date=f"{a['year']}-12-31")
        _value(budget, a, f"{a['year']}-01-01")
    if overall:  # the largest stated figure over the activity's years; parts are not added to it
        budget = _sub(act, "budget", type="1")
        _sub(budget, "period-start", iso_date=f"{start}-01-01")
        _sub(budget, "period-end", iso_date=f"{end or start}-12-31")
        _value(budget, overall[0], f"{start}-01-01")
    for a in transactions:  # money the text says was committed or given, dated by its year
        when = f"{a['year'] if isinstance(a.get('year'), int) else start}-01-01"
        transaction = _sub(act, "transaction")
        _sub(transaction, "transaction-type", code=TRANSACTION_TYPES[a["stage"]])
        _sub(transaction, "transaction-date", iso_date=when)
        _value(transaction, a, when)
    for doc in _unique(r.get("doc") for r in records):
        pages = sorted({p for r in records if r.get("doc") == doc for p in as_list(r.get("pages"))})
        url = paths.get(doc) or f"{doc}.pdf"
        url = (url if re.match(r"^[a-z]+:", url) else quote(url)) + (f"#page={pages[0]}" if pages else "")
        link = _sub(act, "document-link", url=url, format="application/pdf")
        where = f", page {pages[0]}" if pages else ""
        _narrative(link, "title", f"Source report {doc}{where}")
        _sub(link, "category", code="A07")  # review of project performance: a report about it
    return act


def iati_tree(records: list[dict[str, Any]], paths: dict[str, str] | None = None) -> etree._ElementTree:
    """The ``<iati-activities>`` document: one activity per intervention, in intervention order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(str(r.get("intervention") or f"iv-{r.get('id')}"), []).append(r)
    root = etree.Element("iati-activities", version=VERSION)
    skipped = []
    for key, members in groups.items():
        act = activity(key, members, paths or {})
        if act is None:
            skipped.append(key)
        else:
            root.append(act)
    if skipped:
        note = f" left out, no year to date them: {', '.join(skipped)} ".replace("--", "- -")
        root.insert(0, etree.Comment(note))
    return etree.ElementTree(root)


def write_iati(records: list[dict[str, Any]], path: Path, paths: dict[str, str] | None = None) -> Path:
    """The IATI file at ``path``; ``paths`` gives each document's file (the links' target)."""
    tree = iati_tree(records, paths)
    return _atomic_write(
        path, lambda tmp: tree.write(str(tmp), encoding="UTF-8", xml_declaration=True, pretty_print=True)
    )


def validate(path: Path, schema: Path) -> list[str]:
    """Schema errors of an IATI file against ``iati-activities-schema.xsd`` (none: valid)."""
    xsd = etree.XMLSchema(etree.parse(str(schema)))
    ok = xsd.validate(etree.parse(str(path)))
    return [] if ok else [f"line {e.line}: {e.message}" for e in xsd.error_log]
