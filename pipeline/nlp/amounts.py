"""Money amounts in report text and in report tables.

Reports state money in many shapes: "some $ 366 million", "US$1.6 billion", "more than USD 2
million", "$5-10 million", "between $1 and $2 billion", "€3m", "1.500 millones de pesos", and in
tables as bare cells ("557*") whose unit sits in the caption ("($ million)"). This module reads
all of them into :class:`AmountMention` (running text) or :class:`TableAmount` (table cells):
a plain value in units of an ISO 4217 currency, a qualifier, an optional range end, rate and
flag, and the span as written so later stages can ground it.

Design choices, and why:

- **Currency is required.** A number is money only when a currency symbol, code or word is
  attached to it (or, for a bare scaled number such as "4 billion", when an earlier amount of
  the same sentence gave one and the next word is a safe follower). That rule alone keeps
  percentages, years, counts of people ("14,377 police"), footnote numbers and "n=1,304" out.
- **"$" means US dollars** in these reports (RECORDS.md) unless the text names another dollar
  ("C$", "Canadian dollars"). **Pesos are never guessed**: "Colombian pesos" gives COP, a bare
  "pesos" takes the currency of the ``country`` hint, and without either the amount is skipped
  (a wrong currency would be worse than a missing amount).
- **Vocabularies live in** ``data/*.json`` (currency symbols and words, scale words, qualifier
  cues, rate phrases, context words) and are read once at import. ISO codes found in the data or
  in the text are checked against :mod:`pycountry`, never against a hand-typed list.
- **Ranges and changes.** "$5-10 million" and "between $1 and $2 billion" are one mention with
  ``high``; "from USD 500,000 in 2010 to more than USD 2 million in 2013" is two mentions (two
  complete amounts at two times). Each keeps the qualifier cue that sits right before it.
- Numbers: "1,304", "3.9", "1.500 millones", "50 000 $" (space-grouped only next to a currency,
  so "in 2010 500 officers" never fuses), number words before a scale ("two million dollars").
- Offsets are into the string given; a stray backslash before "$" (``\\$``, as in plain-text
  copies of the reports) is tolerated and kept inside the span.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any

import pycountry

from pipeline.document import Table

QUALIFIERS = ("exact", "approx", "more_than", "less_than")
_GENERIC = {"dollar", "peso"}


def _load(name: str) -> dict[str, Any]:
    return json.loads((resources.files("pipeline.nlp") / "data" / name).read_text(encoding="utf-8"))


def is_currency_code(code: str) -> bool:
    """True when ``code`` is an ISO 4217 alphabetic code known to pycountry."""
    return len(code) == 3 and code.isupper() and pycountry.currencies.get(alpha_3=code) is not None


def _checked(mapping: dict[str, str], where: str) -> dict[str, str]:
    """Drop ``_doc`` keys and fail at import when a data file names a code that is not ISO 4217."""
    out = {k: v for k, v in mapping.items() if not k.startswith("_")}
    bad = sorted({v for v in out.values() if v not in _GENERIC and not is_currency_code(v)})
    if bad:
        raise ValueError(f"{where}: not ISO 4217 currency codes: {bad}")
    return out


_CURRENCIES = _load("currencies.json")
_SCALE_DATA = _load("scales.json")
_QUALIFIER_DATA = _load("qualifiers.json")
_RATE_DATA = _load("rates.json")
_CONTEXT = _load("amount_context.json")

_SYMBOLS = _checked(_CURRENCIES["symbols"], "currencies.json symbols")
_SYMBOL_KEY = {re.sub(r"\s+", "", k): v for k, v in _SYMBOLS.items()}
_WORDS = _checked(_CURRENCIES["words"], "currencies.json words")
_WORD_KEY = {k.casefold(): v for k, v in _WORDS.items()}
_GENERIC_DEFAULTS = _checked(_CURRENCIES["generic_defaults"], "currencies.json generic_defaults")
_PESO_DEMONYMS = {k: v for k, v in _CURRENCIES["peso_demonyms"].items() if not k.startswith("_")}
_PESO_COUNTRIES = _checked(_CURRENCIES["peso_countries"], "currencies.json peso_countries")
_STOP_CODES = set(_CURRENCIES["iso_code_stoplist"]["codes"])
_AMBIGUOUS_CODES = set(_CURRENCIES["ambiguous_codes"]["codes"])

_SCALES = {k: Decimal(str(v)) for k, v in _SCALE_DATA["scales"].items()}
_ATTACHED = set(_SCALE_DATA["attached_only"])
_DOT_WORDS = set(_SCALE_DATA["dot_thousands"]["words"])
_TABLE_SCALES = {k: Decimal(str(v)) for k, v in _SCALE_DATA["table"].items()}
_NUMBER_WORDS = {k: Decimal(str(v)) for k, v in _SCALE_DATA["number_words"].items() if not k.startswith("_")}
_EMPTY_CELLS = {c.casefold() for c in _CONTEXT["empty_cells"]}
_FLAG_CHARS = _CONTEXT["flag_chars"]


def _phrase(text: str) -> str:
    """A regex for a vocabulary phrase: literal words, any run of whitespace between them."""
    return r"\s+".join(re.escape(w) for w in text.split())


def _alternation(phrases: list[str] | set[str], phrase: bool = True) -> str:
    ordered = sorted(set(phrases), key=len, reverse=True)  # longest first: "mil millones" before "mil"
    return "|".join(_phrase(p) if phrase else re.escape(p) for p in ordered)


def _symbol_pattern(symbol: str) -> str:
    # "US $" and "US$" are one symbol; letters before a symbol must not be part of a longer word.
    parts = [re.escape(ch) for ch in symbol if not ch.isspace()]
    body = r"\s?".join(parts) if " " in symbol else "".join(parts)
    return (r"(?<![A-Za-z])" if symbol[0].isalpha() else "") + body


_SYMBOL_RE = "|".join(_symbol_pattern(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_WORD_SCALES = [s for s in _SCALES if s not in _ATTACHED]
_NUM_RE = (
    r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?"  # 1.500.000 (dot-grouped thousands)
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,304 / 500,000
    rf"|\d+,\d{{1,2}}(?=\s?(?:{_alternation(_DOT_WORDS)})\b)"  # 2,8 millones (decimal comma)
    r"|\d+(?:\.\d+)?"  # 366 / 3.9
)
_SCALE_WORD_RE = _alternation(_WORD_SCALES)
_SUFFIX_SYMBOLS = sorted(s for s in _SYMBOLS if not any(ch.isalnum() for ch in s))  # "100 000 $", "50 €"
_NUMBER_WORD_RE = _alternation(list(_NUMBER_WORDS))
_DEMONYM_RE = _alternation(list(_PESO_DEMONYMS))
_CURRENCY_WORD_RE = _alternation(list(_WORDS))
# "50 000", "1 500 000": space-grouped thousands, read only next to a currency (or a scale word),
# so that "in 2010 500 officers" never becomes one number
_SPACED_RE = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)"
_SPACED_NEXT_TO_MONEY = (
    rf"{_SPACED_RE}(?=[ \u00a0]?(?:{_alternation(_SUFFIX_SYMBOLS, phrase=False)}"
    rf"|(?i:{_SCALE_WORD_RE}|{_CURRENCY_WORD_RE})(?![\w])))"
)
_ATOM = re.compile(
    rf"""
    (?:(?P<pre>{_SYMBOL_RE}|(?<![A-Za-z])[A-Z]{{3}}(?=\s?\d))\s?)?
    (?:
        (?P<num>(?<![\w.,])(?(pre)(?:{_SPACED_RE}|{_NUM_RE})|(?:{_SPACED_NEXT_TO_MONEY}|{_NUM_RE}))(?!\d))
      | (?P<wnum>(?<![\w])(?i:{_NUMBER_WORD_RE})(?=[\s-]+(?i:thousand|million|billion|trillion)))
    )
    (?:
        (?P<att>{_alternation(_ATTACHED, phrase=False)})(?![\w])
      | [\s-]?(?P<scw>(?i:{_SCALE_WORD_RE}))(?![\w])
    )?
    (?:
        \s+(?:(?i:of|de)\s+)?(?:(?P<dem>{_DEMONYM_RE})\s+)?(?P<word>(?i:{_CURRENCY_WORD_RE}))(?![\w])
      | [ \u00a0]?(?P<code>(?<![A-Za-z])[A-Z]{{3}})(?![A-Za-z])
      | [ \u00a0]?(?P<sufsym>{_alternation(_SUFFIX_SYMBOLS, phrase=False)})(?![ \u00a0]?\d)
    )?
    """,
    re.VERBOSE,
)

_MAY_HOLD_ATOM = re.compile(r"\d|(?i:thousand|million|billion|trillion)")
"""What every atom holds: a digit, or the scale word after a number word ("two million")."""


def _cue_re(groups: dict[str, list[str]], before: bool) -> re.Pattern[str]:
    parts = []
    for name, phrases in groups.items():
        parts.append(rf"(?P<{name}>{_alternation(phrases)})")
    body = "|".join(parts)
    if before:
        return re.compile(rf"(?<![\w])(?:{body})\s*$", re.IGNORECASE)
    return re.compile(rf"^\s*(?:{body})(?![\w])", re.IGNORECASE)


_QUALIFIER_BEFORE = _cue_re(_QUALIFIER_DATA["before"], before=True)
_QUALIFIER_AFTER = _cue_re(_QUALIFIER_DATA["after"], before=False)
_RATES = {name: phrases for name, phrases in _RATE_DATA.items() if not name.startswith("_")}
_RATE_AFTER = re.compile(
    r"^\s*,?\s*(?:"
    + "|".join(rf"(?P<{name}>{_alternation(phrases)})" for name, phrases in _RATES.items())
    + r")(?![\w])(?!\s+(?:later|earlier|ago|before|after)\b)",
    re.IGNORECASE,
)
_BETWEEN_BEFORE = re.compile(r"(?<![\w])between\s+$", re.IGNORECASE)
_PERCENT_AFTER = re.compile(r"^\s?(?:%|per\s?cent\b|percent\b|pc\b)", re.IGNORECASE)
_FOLLOWER = re.compile(
    rf"^\s*(?:[,;:)\]–—]|\.(?!\d)|$|(?:{_alternation(_CONTEXT['inherit_followers'])})(?![\w]))",
    re.IGNORECASE,
)
_SENTENCE_BREAK = re.compile(r"[.!?][\"”’)]*\s+(?=[A-Z\"“(])|\n\s*\n")


@dataclass(frozen=True)
class AmountMention:
    """One money amount in running text.

    ``value`` is a plain number in units of ``currency`` (the low end of a range); ``high`` is
    the range's upper end. ``rate`` is "year" (or "month") for "$2 billion per year". ``scale``
    is the multiplier the text applied ("million" → 1e6), kept so a reviewer can see why.
    """

    start: int
    end: int
    text: str
    value: float
    currency: str
    qualifier: str
    high: float | None = None
    rate: str | None = None
    flag: str | None = None
    scale: float = 1.0


@dataclass(frozen=True)
class TableAmount:
    """One money amount in a table cell, with where it sits and what its column means.

    ``year`` comes from the column header ("2008", "FY2010", "2013 Request"); a "Total"
    column has none. ``scale`` and ``currency`` usually come from the caption ("($ million)").
    """

    row: int
    col: int
    row_label: str
    column: str
    text: str
    value: float
    currency: str
    qualifier: str = "exact"
    flag: str | None = None
    scale: float = 1.0
    year: int | None = None
    fiscal: bool = False


@dataclass
class _Atom:
    """A number with whatever currency and scale are glued to it (internal, before combining)."""

    start: int
    end: int
    number: Decimal
    scale: Decimal | None
    currencies: list[str]
    demonym: str | None
    plain_integer: bool
    currency: str | None = None
    high: Decimal | None = None

    @property
    def has_currency(self) -> bool:
        return bool(self.currencies) or self.currency is not None

    @property
    def looks_like_year(self) -> bool:
        bare = not self.currencies and self.scale is None
        return bare and self.plain_integer and 1900 <= self.number <= 2099


def _parse_number(raw: str, scale_word: str | None) -> Decimal | None:
    """Read "1,304", "3.9", "1.500.000", "50 000", "2,8" (decimal comma before Spanish scale words)."""
    try:
        if re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?", raw):
            return Decimal(raw.replace(".", "").replace(",", "."))
        if scale_word and scale_word.casefold() in _DOT_WORDS and re.fullmatch(r"\d{1,3}\.\d{3}", raw):
            return Decimal(raw.replace(".", ""))  # "1.500 millones" is 1500 million
        if re.fullmatch(r"\d+,\d{1,2}", raw):
            return Decimal(raw.replace(",", "."))
        return Decimal(re.sub(r"[,\s]", "", raw))
    except InvalidOperation:
        return None


def _scale_of(word: str | None) -> Decimal | None:
    if word is None:
        return None
    key = re.sub(r"\s+", " ", word)
    if key in _SCALES:
        return _SCALES[key]
    return _SCALES.get(key.casefold())


def _currency_of(token: str) -> str | None:
    """Map a matched symbol, word or ISO code to an ISO code or a generic marker."""
    key = re.sub(r"\s+", "", token)
    if key in _SYMBOL_KEY:
        return _SYMBOL_KEY[key]
    word = _WORD_KEY.get(re.sub(r"\s+", " ", token).casefold())
    if word:
        return word
    if key not in _STOP_CODES and is_currency_code(key):
        return key
    return None


@lru_cache(maxsize=256)
def _country_alpha2(country: str | None) -> str | None:
    if not country:
        return None
    try:
        return pycountry.countries.lookup(country).alpha_2
    except LookupError:
        return None


def _resolve_currency(candidates: list[str], demonym: str | None, country: str | None) -> str | None:
    """Most specific first: an ISO code beats a generic; pesos need a demonym or a country hint.

    "$ 5,000 pesos" is pesos (the word is more specific than the sign); "C$ 5 million dollars" is
    CAD; a bare "$" or "dollars" is USD; bare "pesos" with no country is undecidable (None).
    """
    specific = [c for c in candidates if c not in _GENERIC]
    if specific:
        return specific[0]
    if "peso" in candidates:
        alpha2 = _PESO_DEMONYMS.get(demonym) if demonym else _country_alpha2(country)
        return _PESO_COUNTRIES.get(alpha2) if alpha2 else None
    if "dollar" in candidates:
        return _GENERIC_DEFAULTS["dollar"]
    return None


def _atom_from(m: re.Match[str]) -> _Atom | None:
    """Build an atom from a match of :data:`_ATOM`, or None when the number is unreadable."""
    scale_word = m.group("att") or m.group("scw")
    if m.group("num"):
        number = _parse_number(m.group("num"), scale_word)
        plain = bool(re.fullmatch(r"\d+", m.group("num")))
    else:
        number = _NUMBER_WORDS.get(re.sub(r"\s+", " ", m.group("wnum")).casefold())
        plain = False
    if number is None:
        return None
    groups = ("pre", "word", "code", "sufsym")
    currencies = [c for c in (_currency_of(m.group(g)) for g in groups if m.group(g)) if c]
    if scale_word is None and number < 1000:
        # "COP 15" is a climate conference, not fifteen Colombian pesos
        currencies = [c for c in currencies if c not in _AMBIGUOUS_CODES]
    end = m.end()
    if m.group("code") and _currency_of(m.group("code")) is None:
        # a trailing acronym ("the 2012 OAS report") is not part of the amount
        end = max(m.end(g) for g in ("num", "wnum", "att", "scw") if m.group(g))
    return _Atom(
        start=m.start(),
        end=end,
        number=number,
        scale=_scale_of(scale_word),
        currencies=currencies,
        demonym=m.group("dem"),
        plain_integer=plain,
    )


def _atoms(clean: str) -> list[_Atom]:
    """Every number in the text with the currency and scale glued to it.

    Bare numbers are kept too: they can be the low end of a range ("$5-10 million").
    """
    atoms: list[_Atom] = []
    if not _MAY_HOLD_ATOM.search(clean):
        return atoms  # most sentences: trying the pattern at every position finds nothing
    for m in _ATOM.finditer(clean):
        if m.group("pre") and _currency_of(m.group("pre")) is None:
            # an upper-case acronym before a number ("DOD 229") is not a currency code
            m = _ATOM.match(clean, m.start("num") if m.group("num") else m.start("wnum")) or m
        atom = _atom_from(m)
        if atom is None or _PERCENT_AFTER.match(clean[atom.end :]):
            continue
        atoms.append(atom)
    return atoms


def _combine(clean: str, atoms: list[_Atom]) -> list[_Atom]:
    """Join ranges ("$5-10 million", "between $1 and $2 billion", "$5 to $10 million").

    "from X to Y" with two complete amounts stays two amounts (a change over time, not a range).
    """
    out: list[_Atom] = []
    i = 0
    while i < len(atoms):
        left = atoms[i]
        right = atoms[i + 1] if i + 1 < len(atoms) else None
        if right is not None and not left.looks_like_year:
            gap = clean[left.end : right.start]
            dash = re.fullmatch(r"\s?[-–—]\s?", gap) is not None
            to = re.fullmatch(r"\s+to\s+", gap, re.IGNORECASE) is not None
            between_cue = _BETWEEN_BEFORE.search(clean, max(0, left.start - 12), left.start)
            between = between_cue is not None and re.fullmatch(r"\s+and\s+", gap, re.IGNORECASE) is not None
            shared_scale = left.scale is None and right.scale is not None
            either_currency = left.has_currency or right.has_currency
            if either_currency and (dash or between or (to and shared_scale)):
                scale = left.scale if left.scale is not None else right.scale
                low = left.number * (scale or 1)
                high = right.number * (right.scale or 1)
                if low < high and not (left.currencies and right.currencies and _clash(left, right)):
                    merged = _Atom(
                        start=between_cue.start() if between and between_cue else left.start,
                        end=right.end,
                        number=left.number,
                        scale=scale,
                        currencies=left.currencies + right.currencies,
                        demonym=left.demonym or right.demonym,
                        plain_integer=False,
                    )
                    merged.high = high
                    out.append(merged)
                    i += 2
                    continue
            if to and left.has_currency and not right.has_currency and right.scale is not None:
                right.currencies = list(left.currencies)
                right.demonym = left.demonym
        out.append(left)
        i += 1
    return out


def _clash(left: _Atom, right: _Atom) -> bool:
    specific = {c for c in left.currencies + right.currencies if c not in _GENERIC}
    return len(specific) > 1


def _qualifier(clean: str, start: int, end: int) -> tuple[str, int, int]:
    """The qualifier cue right before (or after) a span, and the span widened to include it."""
    m = _QUALIFIER_BEFORE.search(clean, max(0, start - 40), start)  # "$" anchors at ``start``
    if m:
        name = next(k for k, v in m.groupdict().items() if v)
        return name, m.start(), end
    m = _QUALIFIER_AFTER.match(clean[end : end + 20])
    if m:
        name = next(k for k, v in m.groupdict().items() if v)
        return name, start, end + m.end()
    return "exact", start, end


def _rate(clean: str, end: int) -> str | None:
    m = _RATE_AFTER.match(clean[end : end + 30])
    if not m:
        return None
    return next(k for k, v in m.groupdict().items() if v)


def _flag(clean: str, end: int) -> str | None:
    m = re.match(rf"[{re.escape(_FLAG_CHARS)}]+", clean[end : end + 3])
    return m.group(0) if m else None


def _same_sentence(clean: str, a: int, b: int) -> bool:
    return _SENTENCE_BREAK.search(clean, a, b) is None


def find_amounts(text: str, *, country: str | None = None) -> list[AmountMention]:
    """Every money amount stated in ``text``, in order of appearance.

    ``country`` (a name or ISO 3166 code) decides the currency of bare "pesos"; without it such
    amounts are skipped rather than guessed. Numbers with no currency anywhere are not money.
    """
    clean = text.replace("\\$", " $")  # same length: offsets stay valid
    atoms = _combine(clean, _atoms(clean))
    mentions: list[AmountMention] = []
    last_resolved: _Atom | None = None
    for atom in atoms:
        currency = _resolve_currency(atom.currencies, atom.demonym, country) if atom.currencies else None
        if (
            currency is None
            and not atom.currencies
            and atom.scale is not None
            and last_resolved is not None
            and _same_sentence(clean, last_resolved.end, atom.start)
            and _FOLLOWER.match(clean[atom.end :])
        ):
            # "$52.6 billion ... and innovative finance mechanisms totaled 4 billion."
            currency = last_resolved.currency
        if currency is None:
            continue
        atom.currency = currency
        last_resolved = atom
        qualifier, start, end = _qualifier(clean, atom.start, atom.end)
        if start > 0 and text[start - 1] == "\\" and clean[start] == "$":
            start -= 1  # keep a stray backslash before "$" inside the span, as written
        scale = atom.scale if atom.scale is not None else Decimal(1)
        value = atom.number * scale
        mentions.append(
            AmountMention(
                start=start,
                end=end,
                text=text[start:end],
                value=float(value),
                currency=currency,
                qualifier=qualifier,
                high=float(atom.high) if atom.high is not None else None,
                rate=_rate(clean, end),
                flag=_flag(clean, atom.end),
                scale=float(scale),
            )
        )
    return mentions


# --------------------------------------------------------------------------- tables

_TABLE_SCALE_RE = re.compile(
    r"(?<![\w'])(?:(?i:" + _alternation([k for k in _TABLE_SCALES if k != "MM"]) + r")|MM)(?![\w])"
)
_TABLE_CURRENCY_RE = re.compile(
    rf"(?P<sym>{_SYMBOL_RE})|(?<![\w])(?P<word>(?i:{_alternation(list(_WORDS))}))(?![\w])"
    r"|(?<![A-Za-z])(?P<code>[A-Z]{3})(?![A-Za-z])"
)
_CELL = re.compile(
    rf"""^\s*(?P<q>~|≈|c\.|>|<|≥|≤)?\s*
    (?:(?P<pre>{_SYMBOL_RE}|[A-Z]{{3}})\s?)?
    (?P<num>{_NUM_RE})
    \s?(?P<scale>(?i:{_SCALE_WORD_RE})|{_alternation(_ATTACHED, phrase=False)})?
    \s*(?P<flag>[{re.escape(_FLAG_CHARS)}]+|\([a-z]\)|[a-z](?![\w]))?\s*$""",
    re.VERBOSE,
)
_CELL_QUALIFIERS = {
    "~": "approx",
    "≈": "approx",
    "c.": "approx",
    ">": "more_than",
    "≥": "more_than",
    "<": "less_than",
    "≤": "less_than",
}
_NON_MONEY_COLUMN = re.compile("|".join(re.escape(w) for w in _CONTEXT["non_money_columns"]), re.IGNORECASE)


def table_unit(table: Table) -> tuple[str | None, float | None]:
    """The currency and scale a table states for its cells ("($ million)" → USD, 1e6).

    Looks in the caption first, then the header rows and the table note: that is where reports
    put the unit. Returns ``(None, None)`` parts that the table does not state.
    """
    places = [
        table.caption or "",
        " ".join(table.header),
        *(" ".join(r) for r in table.header_rows),
        table.note or "",
    ]
    currency: str | None = None
    scale: float | None = None
    for place in places:
        if scale is None:
            m = _TABLE_SCALE_RE.search(place)
            if m:
                key = m.group(0)
                scale = float(_TABLE_SCALES.get(key, _TABLE_SCALES.get(key.casefold(), Decimal(1))))
        if currency is None:
            found = []
            demonym = None
            for m in _TABLE_CURRENCY_RE.finditer(place):
                token = m.group("sym") or m.group("word") or m.group("code")
                if m.group("code") and (token in _STOP_CODES or not is_currency_code(token)):
                    continue
                cur = _currency_of(token)
                if cur:
                    found.append(cur)
                    before = place[: m.start()].split()
                    if cur == "peso" and before and before[-1] in _PESO_DEMONYMS:
                        demonym = before[-1]
            if found:
                currency = _resolve_currency(found, demonym, None)
    return currency, scale


def _column_names(table: Table) -> list[str]:
    width = max([len(table.header), *(len(r) for r in table.rows), *(len(r) for r in table.header_rows)])
    names = []
    for c in range(width):
        name = table.header[c] if c < len(table.header) else ""
        if not name.strip() and table.header_rows:
            name = " ".join(r[c] for r in table.header_rows if c < len(r) and r[c].strip())
        names.append(name.strip())
    return names


def _single_year(text: str) -> tuple[int | None, bool]:
    """The one year a header or row label names ("2008", "FY2010", "2013 Request"), else None."""
    from pipeline.nlp.years import find_years  # local: years imports this module

    found = [y for y in find_years(text) if y.first is not None and y.first == y.last]
    if len(found) == 1 and found[0].precision in ("year", "fiscal_year"):
        return found[0].first, found[0].fiscal
    return None, False


def _is_number_cell(cell: str) -> bool:
    return _CELL.match(cell) is not None


def amounts_from_table(
    table: Table,
    *,
    currency: str | None = None,
    scale: float | None = None,
    keep_zero: bool = False,
    country: str | None = None,
) -> list[TableAmount]:
    """Money amounts in a table's cells, each with its row label, column header and year.

    Unit: ``currency``/``scale`` arguments win, else what :func:`table_unit` finds, else a cell's
    own symbol. A table with no currency anywhere yields nothing (a count table is not money).
    Cells "", "-", "---", "n/a" hold no amount; a "0" cell says nothing was given, so it is
    skipped unless ``keep_zero``. Columns headed "%", "share", … are not money.
    """
    unit_currency, unit_scale = table_unit(table)
    if currency is None:
        currency = unit_currency
    if currency == "peso":
        alpha2 = _country_alpha2(country)
        currency = _PESO_COUNTRIES.get(alpha2) if alpha2 else None
    if scale is None:
        scale = unit_scale if unit_scale is not None else 1.0
    names = _column_names(table)
    label_col = _label_column(table)
    years = [_single_year(name) for name in names]
    out: list[TableAmount] = []
    for r, row in enumerate(table.rows):
        label = row[label_col].strip() if label_col is not None and label_col < len(row) else ""
        row_year, row_fiscal = _single_year(label) if label else (None, False)
        for c, cell in enumerate(row):
            if c == label_col:
                continue
            column = names[c] if c < len(names) else ""
            if _NON_MONEY_COLUMN.search(column):
                continue
            raw = cell.strip()
            if raw.casefold() in _EMPTY_CELLS:
                continue
            m = _CELL.match(raw)
            if not m:
                continue
            cell_currency = currency
            if m.group("pre"):
                own = _currency_of(m.group("pre"))
                if own and own not in _GENERIC:
                    cell_currency = own
                elif own == "dollar" and cell_currency is None:
                    cell_currency = _GENERIC_DEFAULTS["dollar"]
            if cell_currency is None:
                continue
            cell_scale = _scale_of(m.group("scale"))
            mult = cell_scale if cell_scale is not None else Decimal(str(scale))
            number = _parse_number(m.group("num"), m.group("scale"))
            if number is None or (number == 0 and not keep_zero):
                continue
            year, fiscal = years[c] if c < len(years) else (None, False)
            if year is None and row_year is not None:
                year, fiscal = row_year, row_fiscal
            out.append(
                TableAmount(
                    row=r,
                    col=c,
                    row_label=label,
                    column=column,
                    text=cell,
                    value=float(number * mult),
                    currency=cell_currency,
                    qualifier=_CELL_QUALIFIERS.get(m.group("q") or "", "exact"),
                    flag=m.group("flag"),
                    scale=float(mult),
                    year=year,
                    fiscal=fiscal,
                )
            )
    return out


def _label_column(table: Table) -> int | None:
    """Column 0 holds row labels when most of its cells are not numbers (the usual layout)."""
    if not table.rows:
        return None
    first = [row[0] for row in table.rows if row]
    wordy = sum(1 for cell in first if cell.strip() and not _is_number_cell(cell))
    return 0 if wordy * 2 >= len(first) else None
