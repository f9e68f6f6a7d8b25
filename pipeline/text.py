"""Text keys shared by every stage: folding accents and typographic marks, and the keys under
which names are compared. :func:`name_key` is a program's identity, within a report and across
reports (records, the inventory's links, scoring); the registry looks an actor's name up by
:func:`spelled_key` first and :func:`loose_key` after. All three fold the same way.

Kept free of heavy imports (no spaCy): the inventory and the exports compare names too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CHAR_MAP = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u00a0": " ",
    "\u00ad": "",  # soft hyphen: invisible, the word continues
    "\u200b": "",  # zero-width space
}


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in _CHAR_MAP:
        return _CHAR_MAP[ch]
    if unicodedata.category(ch) == "No":  # superscript footnote digits glued to words
        return " "
    decomposed = unicodedata.normalize("NFKD", ch)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped or ch


def fold(text: str) -> tuple[str, list[int] | None]:
    """Strip accents (and normalise quotes, dashes, superscripts) keeping a way back.

    Returns the folded text and, when its length differs or any character changed position,
    the index into ``text`` of every folded character (``None`` means identity, the common
    ASCII case). Ligatures expand to two characters, hence the map instead of a same-length
    guarantee.
    """
    if text.isascii():
        return text, None
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        rep = ch if ch.isascii() else _fold_char(ch)
        out.append(rep)
        index.extend([i] * len(rep))
    return "".join(out), index


def fold_text(text: str) -> str:
    """The folded text alone (for keys and patterns)."""
    return fold(text)[0]


TRAILING_ACRONYM = re.compile(r"\s*\(([^()]*)\)\s*$")
"""The acronym (or other aside) a name is given with: "Joint Task Force Alpha (JTFA)"."""

LEADING_ARTICLE = re.compile(r"^(?:the|el|la|los|las|o|a|os|as)\s+")
"""A leading article, English or the region's languages: "the Plan Colombia", "la Iniciativa
Mérida" are the names without it."""


def name_key(name: str) -> str:
    """A program name's identity across its spellings: accents, case, typographic marks,
    punctuation and a leading article ignored."""
    key = fold_text(name).casefold()
    key = " ".join(re.sub(r"[^\w ]+", " ", key).split())
    return LEADING_ARTICLE.sub("", key)


def spelled_key(name: str) -> str:
    """A name as it is spelt, for looking it up letter for letter: folded, case-folded, spaces
    collapsed, without a leading "the" or a trailing possessive. Punctuation stays, so that a
    name finds its own registry entry ("U.S.") before :func:`loose_key` makes it like others."""
    key = re.sub(r"\s+", " ", fold_text(name)).strip().casefold()
    key = re.sub(r"'s$|'$", "", key)
    return key[4:] if key.startswith("the ") else key


def loose_key(name: str) -> str:
    """:func:`spelled_key` without punctuation ("U.N." = "UN", "UN-Habitat" = "UN Habitat")."""
    key = re.sub(r"[-/]", " ", spelled_key(name))
    key = re.sub(r"[^\w ]+", "", key)
    return re.sub(r"\s+", " ", key).strip()
