"""Years in report text: single years, ranges, open ranges, fiscal years and decades.

An intervention's record needs its start, end and every year the evidence ties to it, so each
mention says what it covers: ``first``/``last`` (inclusive, None for an open end) and a
``precision`` that tells a later stage how much to trust them:

======================  =========================================  ==================
precision               example                                    first .. last
======================  =========================================  ==================
``year``                "in 2010", "mid-2005"                      2010 .. 2010
``range``               "2008-2012", "2012-13", "between 2008 and   2008 .. 2012
                        2012", "from 2008 to 2010"
``open_start``          "since 2009", "from 1999 onward"           2009 .. None
``open_end``            "by 2007", "until 2010", "before 2007"     None .. 2007
``fiscal_year``         "FY2011", "FY 2011", "fiscal year 2010"    2011 .. 2011
``fiscal_range``        "FY2012-FY2013", "fiscal years 2010-12"    2012 .. 2013
``decade``              "the 1990s", "the late 1990s"              1990 .. 1999
======================  =========================================  ==================

A fiscal year under an open cue ("through FY2011") keeps the open precision with ``fiscal``
set. Years inside an author-year citation ("(Walsh 2012)", "According to Brownfield (2012)")
are returned with ``citation=True``: they date a source, not an intervention, and later stages
ignore them (:func:`mentioned_years` does).

What is not a year: numbers in 1900-2099 that are money ("$2008 million"), part of a larger
number or identifier ("2,008", "22271-020", "ISSN 2359-098X", "P.L. 110-457"), inside a URL,
after a page/number cue ("p. 2010", "n=2010") or counting things ("2000 police"). Cue words
live in ``data/years.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from pipeline.nlp.amounts import AmountMention, find_amounts

PRECISIONS = ("year", "range", "open_start", "open_end", "fiscal_year", "fiscal_range", "decade")


def _load(name: str) -> dict[str, Any]:
    return json.loads((resources.files("pipeline.nlp") / "data" / name).read_text(encoding="utf-8"))


_DATA = _load("years.json")


def _alternation(phrases: Iterable[str]) -> str:
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in ordered)


def _cue(words: Iterable[str], tail: str = "") -> re.Pattern[str]:
    """A case-insensitive cue phrase that must end right where the search stops (``$``)."""
    return re.compile(rf"(?<![\w])(?:{_alternation(words)}){tail}$", re.IGNORECASE)


_MONTH_RE = _alternation(_DATA["citation"]["months"])
# "early 2004", "mid-2005", "June 2011", "3 June 2005", "September 11, 2001": still that year
_MODIFIER = (
    rf"(?:(?:{_alternation(_DATA['within_year_modifiers'])})[\s-]+)?"
    rf"(?:(?:\d{{1,2}}\s+)?(?:{_MONTH_RE})\s+(?:\d{{1,2}},?\s+)?)?"
)
_OPEN_START_BEFORE = _cue(_DATA["open_start"], rf"\s+{_MODIFIER}")
_OPEN_END_BEFORE = _cue(_DATA["open_end"], rf"\s+{_MODIFIER}")
_BETWEEN_BEFORE = _cue(_DATA["range_between"], rf"\s+{_MODIFIER}")
_FROM_BEFORE = _cue(_DATA["range_from"], rf"\s+{_MODIFIER}")
_THE_BEFORE = _cue(["the"], r"\s+")
_NOT_BEFORE = _cue(_DATA["not_before"]["words"], r"\s*")
_TEMPORAL_BEFORE = _cue(
    ["in", "during", "of", "and", "or", "to", "year", *_DATA["open_start"], *_DATA["open_end"]],
    rf"\s+{_MODIFIER}",
)
_OPEN_START_AFTER = re.compile(rf"\s+(?:{_alternation(_DATA['open_start_after'])})(?![\w])", re.IGNORECASE)
_AND_GAP = re.compile(rf"\s+and\s+{_MODIFIER}", re.IGNORECASE)
_TO_GAP = re.compile(rf"\s+(?:{_alternation(_DATA['range_joiners'])})\s+{_MODIFIER}", re.IGNORECASE)
_COUNT_AFTER = re.compile(rf"^\s+(?:{_alternation(_DATA['count_nouns']['words'])})(?![\w])", re.IGNORECASE)
_SCALE_OR_PERCENT_AFTER = re.compile(
    r"^\s?(?:%|per\s?cent\b|percent\b|thousand|million|billion|trillion|bn\b|mn\b|millones|mil\b)",
    re.IGNORECASE,
)
_MONEY_BEFORE = re.compile(r"[$€£¥]\s?$")  # currency codes are caught by find_amounts
_URL = re.compile(
    r"<?(?:https?://|www\.)[^\s<>\"]+>?|\b[\w.-]+\.(?:org|com|net|gov|int|edu|info|br|mx|co)/[^\s<>\"]*",
    re.IGNORECASE,
)

_CITE = _DATA["citation"]
_CITE_CUES = re.compile(rf"(?<![\w])(?:{_alternation(_CITE['cues'])})(?![\w])", re.IGNORECASE)
_REPORTING_AFTER = re.compile(rf"^\s*(?:{_alternation(_CITE['reporting_verbs'])})(?![\w])")
_MONTHS = {m.casefold() for m in _CITE["months"]}
_NAME_BEFORE = re.compile(r"(?:\b[A-Z][\w'’&.-]*|\bet\s+al\.?|\bal\.)[*\s,]*$")
_SENTENCE_START = re.compile(r"(?:^|[.!?][\"”’)]*\s+(?=[A-Z\"“(])|\n)")

_TOKEN = re.compile(
    rf"""
    (?P<fy>\bFY\s?(?P<fy1>\d{{4}}|\d{{2}})(?:\s?[-–—/]\s?(?:FY\s?)?(?P<fy2>\d{{4}}|\d{{2}}))?(?![\w]))
  | (?P<fiscal>\b(?i:fiscal)(?:\s+(?i:years?))?\s+(?P<fs1>(?:19|20)\d{{2}})
        (?:\s?[-–—/]\s?(?P<fs2>(?:19|20)\d{{2}}|\d{{2}})|\s+(?i:to|through|until)\s+(?P<fs3>(?:19|20)\d{{2}}))?(?!\d))
  | (?P<dec>(?<![\w.,])(?:(?P<decmod>(?i:{_alternation(_DATA["decade_modifiers"])}))[\s-]+)?
        (?P<decy>(?:19|20)\d0)'?s(?![\w]))
  | (?P<yr>(?<![\w.,/$€£¥'’])(?<!\d[-–—])(?P<y1>(?:19|20)\d{{2}})(?!\d)
        (?:\s?(?P<sep>[-–—/])\s?(?P<y2>(?:19|20)\d{{2}}|\d{{2}})(?!\d))?)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class YearMention:
    """One stated year or span of years; ``first``/``last`` inclusive, None for an open end."""

    start: int
    end: int
    text: str
    first: int | None
    last: int | None
    precision: str
    fiscal: bool = False
    citation: bool = False


@dataclass
class _Token:
    start: int
    end: int
    first: int
    last: int
    kind: str  # year | range | fiscal | fiscal_range | decade


def _two_digit_end(first: int, raw: str) -> int | None:
    """The end year of "2012-13", "1999-00", "2004-06"; None when it does not follow ``first``."""
    if len(raw) == 4:
        end = int(raw)
    else:
        end = first // 100 * 100 + int(raw)
        if end <= first:
            end += 100
    return end if first < end <= first + 99 and 1900 <= end <= 2099 else None


def _fiscal_year(raw: str) -> int:
    if len(raw) == 4:
        return int(raw)
    two = int(raw)
    return 2000 + two if two < 50 else 1900 + two


def _excluded_spans(text: str, amounts: Sequence[AmountMention] | None = None) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in _URL.finditer(text)]
    spans += [(a.start, a.end) for a in (find_amounts(text) if amounts is None else amounts)]
    return spans


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def _plausible(text: str, start: int, end: int) -> bool:
    """Reject a year-shaped number that is really a page, a count, money or part of an identifier."""
    before = text[max(0, start - 12) : start]
    after = text[end : end + 20]
    if _cue_before(_NOT_BEFORE, text, start) or re.search(r"[=#№]\s*$", before):
        return False
    if _MONEY_BEFORE.search(before):
        return False
    if _SCALE_OR_PERCENT_AFTER.match(after):
        return False
    if re.match(r"[.,]\d|[-–—/]\d|[A-Za-z]{2}|[A-Za-z]\d", after):
        return False
    return not (_COUNT_AFTER.match(after) and not _cue_before(_TEMPORAL_BEFORE, text, start))


def _tokens(text: str, amounts: Sequence[AmountMention] | None = None) -> list[_Token]:
    matches = list(_TOKEN.finditer(text))
    if not matches:  # most sentences state no year: no need to find the amounts they hold
        return []
    excluded = _excluded_spans(text, amounts)
    out: list[_Token] = []
    for m in matches:
        if _inside(excluded, m.start(), m.end()):
            continue
        if m.group("fy"):
            first = _fiscal_year(m.group("fy1"))
            last = _two_digit_end(first, m.group("fy2")) if m.group("fy2") else None
            kind = "fiscal_range" if last else "fiscal"
            end = m.end() if last or not m.group("fy2") else m.end("fy1")
            if m.group("fy2") and not last:
                continue  # "FY2012-08": not a range, not a clean fiscal year either
            out.append(_Token(m.start(), end, first, last or first, kind))
        elif m.group("fiscal"):
            first = int(m.group("fs1"))
            raw = m.group("fs2") or m.group("fs3")
            last = _two_digit_end(first, raw) if raw else None
            if raw and not last:
                continue
            out.append(_Token(m.start(), m.end(), first, last or first, "fiscal_range" if last else "fiscal"))
        elif m.group("dec"):
            decade = int(m.group("decy"))
            out.append(_Token(m.start(), m.end(), decade, decade + 9, "decade"))
        else:
            first = int(m.group("y1"))
            if m.group("y2"):
                last = _two_digit_end(first, m.group("y2"))
                if last is None or not _plausible(text, m.start(), m.end()):
                    continue  # "2011-08", "2011-5678": a date or an identifier, not a year
                out.append(_Token(m.start(), m.end(), first, last, "range"))
                continue
            end = m.end("y1")
            if re.match(r"[a-z](?![A-Za-z])", text[end : end + 2]):
                end += 1  # citation suffix: "2012b"
            elif not _plausible(text, m.start(), end):
                continue
            out.append(_Token(m.start(), end, first, first, "year"))
    return out


def _cue_before(pattern: re.Pattern[str], text: str, start: int) -> re.Match[str] | None:
    """A cue (pattern anchored with ``$``) ending right before ``start``; absolute offsets."""
    return pattern.search(text, max(0, start - 30), start)


def _mention(
    text: str, start: int, end: int, first: int | None, last: int | None, precision: str, fiscal: bool = False
) -> YearMention:
    return YearMention(start, end, text[start:end], first, last, precision, fiscal)


def _compose(text: str, tokens: list[_Token]) -> list[YearMention]:
    """Apply cue words: ranges across two tokens, open starts and ends, decade articles."""
    out: list[YearMention] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        fiscal = tok.kind in ("fiscal", "fiscal_range")
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        range_cue = _cue_before(_BETWEEN_BEFORE, text, tok.start) or _cue_before(
            _FROM_BEFORE, text, tok.start
        )
        if tok.kind == "decade":
            the = _cue_before(_THE_BEFORE, text, tok.start)
            out.append(
                _mention(text, the.start() if the else tok.start, tok.end, tok.first, tok.last, "decade")
            )
            i += 1
            continue
        if nxt is not None and tok.kind in ("year", "fiscal") and nxt.kind in ("year", "fiscal"):
            gap = text[tok.end : nxt.start]
            between = _cue_before(_BETWEEN_BEFORE, text, tok.start) and _AND_GAP.fullmatch(gap)
            if (between or _TO_GAP.fullmatch(gap)) and tok.first < nxt.last:
                start = range_cue.start() if range_cue else tok.start
                both = fiscal or nxt.kind == "fiscal"
                precision = "fiscal_range" if both else "range"
                out.append(_mention(text, start, nxt.end, tok.first, nxt.last, precision, both))
                i += 2
                continue
        i += 1
        if tok.kind in ("range", "fiscal_range"):
            start = range_cue.start() if range_cue else tok.start
            out.append(_mention(text, start, tok.end, tok.first, tok.last, tok.kind, fiscal))
            continue
        onward = _OPEN_START_AFTER.match(text, tok.end)
        open_start = _cue_before(_OPEN_START_BEFORE, text, tok.start)
        open_end = _cue_before(_OPEN_END_BEFORE, text, tok.start)
        if open_start or onward:
            start = open_start.start() if open_start else tok.start
            end = onward.end() if onward else tok.end
            out.append(_mention(text, start, end, tok.first, None, "open_start", fiscal))
        elif open_end:
            out.append(_mention(text, open_end.start(), tok.end, None, tok.last, "open_end", fiscal))
        else:
            precision = "fiscal_year" if fiscal else "year"
            out.append(_mention(text, tok.start, tok.end, tok.first, tok.last, precision, fiscal))
    return out


def _is_citation(text: str, start: int, end: int) -> bool:
    """True when the year at ``text[start:end]`` sits in a parenthesised author-year citation.

    Two shapes: "(Walsh 2012)", "(see Estévez 2001)", "(Walsh et al. 2012; Smith 2010)" — a name
    right before the year inside the parentheses (not a month, unless "accessed …"); and
    "Brownfield (2012)" — a name right before the parenthesis, read as a citation only when the
    parenthesis looks like a reference ("2012b", "2013, 6", "2012, 2011"), a cue opens the
    sentence ("See", "According to", "consult"), "et al" precedes or a reporting verb follows.
    Without such a sign, "France (2011)" or "an OAS (2008) resolution" dates the thing named.
    """
    open_at = text.rfind("(", max(0, start - 200), start)
    if open_at < 0 or ")" in text[open_at:start]:
        return False
    close_at = text.find(")", end, end + 200)
    if close_at < 0 or "(" in text[end:close_at]:
        return False
    inner_before = text[open_at + 1 : start].rsplit(";", 1)[-1]  # "(Walsh 2012; Smith 2010)"
    inner = text[open_at + 1 : close_at]
    if re.fullmatch(r"(?:\s*(?:19|20)\d{2}[a-z]?\s*,?\s*(?:and)?)*\s*", inner_before):
        inner_before = ""  # "(2012, 2011)": the second year shares the first one's reading
    if inner_before.strip():
        if re.search(r"(?<![\w])(?:accessed|retrieved)(?![\w])", inner, re.IGNORECASE):
            return True
        name = re.search(r"([A-Z][\w'’&.-]*|et\s+al\.?|al\.)[\s,]*$", inner_before)
        return bool(name) and name.group(1).casefold() not in _MONTHS
    outer_before = text[max(0, open_at - 120) : open_at]
    if not _NAME_BEFORE.search(outer_before):
        return False
    if re.search(r"\d[a-z]\b|[,:]\s*\d|\band\s+(?:19|20)\d{2}|;", inner):
        return True
    if re.search(r"\bet\s+al\.?[\s,]*$", outer_before):
        return True
    if _REPORTING_AFTER.match(text[close_at + 1 : close_at + 30]):
        return True
    sentence_start = 0
    for m in _SENTENCE_START.finditer(text, max(0, open_at - 300), open_at):
        sentence_start = m.end()
    return _CITE_CUES.search(text, sentence_start, open_at) is not None


def find_years(text: str, amounts: Sequence[AmountMention] | None = None) -> list[YearMention]:
    """Every year, range, open range, fiscal year and decade stated in ``text``, in order.

    A number inside a money amount is not a year; ``amounts``, when given, must be
    ``find_amounts(text)`` (a caller that has them spares finding them again)."""
    return [
        replace(m, citation=True) if m.precision != "decade" and _is_citation(text, m.start, m.end) else m
        for m in _compose(text, _tokens(text, amounts))
    ]


def mentioned_years(mentions: Iterable[YearMention], *, decades: bool = False) -> list[int]:
    """The years a set of mentions names, as records list them in ``years.mentioned``.

    Mirrors the gold coding: a single or fiscal year gives itself; a range gives both ends
    (not every year between: "between 1980 and 2008" mentions 1980 and 2008); an open range
    gives its known end; decades give nothing unless ``decades`` (then both ends); citation
    years are left out (they date a source, not the intervention).
    """
    years: set[int] = set()
    for m in mentions:
        if m.citation or (m.precision == "decade" and not decades):
            continue
        years.update(y for y in (m.first, m.last) if y is not None)
    return sorted(years)
