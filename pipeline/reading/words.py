"""Page characters → words and baseline rows, with superscripts told apart.

A page's characters (from either backend, see :mod:`pipeline.reading.content`) are grouped by
pdfplumber's word extractor. TeX output carries no space characters, so words are cut by
horizontal gaps (``x_tolerance``); doubled characters (fake bold) are removed
(:func:`without_doubled_chars`); ligatures are expanded by the extractor. Words are split on a
change of font *size* only, so a raised footnote number becomes its own word ("2009" + "43")
while an italic full stop stays glued to its word.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from dataclasses import dataclass

from pdfplumber.utils.text import WordExtractor

from ..config import ReadingSettings
from ..document import BBox
from .content import Obj, PageContent

NOTE_MARK = re.compile(r"^[0-9*†‡§,]+$")


@dataclass(eq=False, slots=True)
class Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    font: str
    superscript: bool = False

    @property
    def bold(self) -> bool:
        return "bold" in self.font.lower() or "black" in self.font.lower()

    @property
    def italic(self) -> bool:
        name = self.font.lower()
        return "italic" in name or "oblique" in name

    @property
    def note_marker(self) -> bool:
        """A raised footnote or table-note mark ("59", "*"), not a raised letter."""
        return self.superscript and bool(NOTE_MARK.match(self.text))

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    def inside(self, box: BBox, slack: float = 1.0) -> bool:
        """The word's centre lies in ``box`` (give or take ``slack``)."""
        return box[0] - slack <= self.cx <= box[2] + slack and box[1] - slack <= self.cy <= box[3] + slack


@dataclass(eq=False, slots=True)
class WordRun:
    """Words read together (a baseline row, a column line, a table line): box and body size.

    Raised footnote markers ride along but do not count for the run's top or size.
    """

    words: list[Word]

    @property
    def body_words(self) -> list[Word]:
        return [w for w in self.words if not w.superscript]

    # The layout code asks for these hundreds of thousands of times a document: one list
    # comprehension each, no intermediate list of body words, no generator.

    @property
    def x0(self) -> float:
        return min([w.x0 for w in self.words])

    @property
    def x1(self) -> float:
        return max([w.x1 for w in self.words])

    @property
    def top(self) -> float:
        tops = [w.top for w in self.words if not w.superscript]
        return min(tops) if tops else min([w.top for w in self.words])

    @property
    def bottom(self) -> float:
        return max([w.bottom for w in self.words])

    @property
    def bbox(self) -> BBox:
        return (self.x0, min([w.top for w in self.words]), self.x1, self.bottom)

    @property
    def size(self) -> float:
        return statistics.median(w.size for w in (self.body_words or self.words))


@dataclass(eq=False, slots=True)
class Row(WordRun):
    """Words sharing one baseline across the whole page width (columns not split yet)."""


def page_words(page: PageContent, settings: ReadingSettings) -> list[Word]:
    """Upright words of a page, characters de-duplicated, with font name and size.

    Characters are grouped by pdfplumber's word extractor, whichever library read them, so
    both backends cut words by the same rules.
    """
    chars = without_doubled_chars(page.chars)
    # a backend that tells superscript glyphs apart (``raised``) cuts words where they begin
    raised = bool(chars) and "raised" in chars[0]
    extractor = WordExtractor(
        x_tolerance=settings.x_tolerance,
        y_tolerance=settings.y_tolerance,
        keep_blank_chars=False,
        extra_attrs=["size", "upright", "raised"] if raised else ["size", "upright"],
    )
    words: list[Word] = []
    last_chars: list[Obj] = []
    for w, word_chars in extractor.iter_extract_tuples(chars):
        if not w["upright"] or not w["text"].strip():
            continue
        if words and _tracking_split(words[-1], last_chars, w, word_chars):
            words[-1].text += w["text"]
            words[-1].x1 = float(w["x1"])
            last_chars = last_chars + word_chars
            continue
        last_chars = word_chars
        words.append(
            Word(
                text=w["text"],
                x0=float(w["x0"]),
                top=float(w["top"]),
                x1=float(w["x1"]),
                bottom=float(w["bottom"]),
                size=round(float(w["size"]), 2),
                font=_letters_font(word_chars),
                superscript=bool(w.get("raised")),
            )
        )
    return words


def _tracking_split(prev: Word, prev_chars: list[Obj], word: Obj, chars: list[Obj]) -> bool:
    """Two pieces of one letter-spaced word ("T HE WHITE HOUSE"): the gap between them is the
    gap between the letters inside them, a tracking wider than the word-gap tolerance."""
    if abs(float(word["top"]) - prev.top) > 0.1 or round(float(word["size"]), 2) != prev.size:
        return False
    if bool(word.get("raised")) != prev.superscript:
        return False
    inside = prev_chars if len(prev_chars) > len(chars) else chars
    gaps = [float(b["x0"]) - float(a["x1"]) for a, b in itertools.pairwise(inside)]
    if not gaps:
        return False
    tracking = statistics.median(gaps)
    gap = float(word["x0"]) - prev.x1
    return tracking > 0.05 * prev.size and abs(gap - tracking) <= 0.1 * tracking


def _letters_font(chars: list[Obj]) -> str:
    """A word's font is its letters': "(plan" with an upright bracket is an italic word."""
    letter = next((c for c in chars if str(c.get("text", "")).isalnum()), chars[0] if chars else None)
    return str(letter.get("fontname", "")) if letter is not None else ""


def without_doubled_chars(chars: list[Obj], tolerance: float = 1.0) -> list[Obj]:
    """The characters less those printed twice on top of each other (fake bold, shadows).

    pdfplumber's ``dedupe_chars`` does the same but sorts inside its loop, which costs more
    than parsing the page. Here each glyph is hashed into a grid of cells twice the tolerance
    wide: a copy within the tolerance lies in the glyph's own cell or in the neighbour on the
    side of the cell the glyph is nearer to, so four cells are looked at, and linearly.
    """
    cell = 2 * tolerance
    seen: dict[int, list[Obj]] = {}
    kept: list[Obj] = []
    for char in chars:
        x, y = char["x0"], char["top"]
        fx, fy = x / cell, y / cell
        gx, gy = math.floor(fx), math.floor(fy)
        nx = gx - 1 if fx - gx < 0.5 else gx + 1
        ny = gy - 1 if fy - gy < 0.5 else gy + 1
        doubled = False
        for key in ((gx << 20) + gy, (nx << 20) + gy, (gx << 20) + ny, (nx << 20) + ny):
            for other in seen.get(key, ()):
                if (
                    abs(other["x0"] - x) <= tolerance
                    and abs(other["top"] - y) <= tolerance
                    and other["text"] == char["text"]
                    and other.get("fontname") == char.get("fontname")
                ):
                    doubled = True
                    break
            if doubled:
                break
        if not doubled:
            seen.setdefault((gx << 20) + gy, []).append(char)
            kept.append(char)
    return kept


def build_rows(words: list[Word], settings: ReadingSettings) -> list[Row]:
    """Group words by baseline, then fold raised small words into the row they sit on.

    A footnote marker is smaller and raised: its bottom is above its row's baseline, so a
    plain baseline grouping would put it in a row of its own (or in another column's row).
    It is moved to the row whose words it touches and whose baseline is below it.
    """
    rows: list[Row] = []
    for word in sorted(words, key=lambda w: (w.bottom, w.x0)):
        if rows and word.bottom - rows[-1].words[-1].bottom <= settings.y_tolerance * 0.5:
            rows[-1].words.append(word)
        else:
            rows.append(Row([word]))
    for i, row in enumerate(rows):
        for word in [w for w in row.words if len(w.text) <= 4]:
            host = _host_row(word, rows, i, settings)
            if host is not None:
                word.superscript = True
                if host is not row:
                    row.words.remove(word)
                    host.words.append(word)
    rows = [r for r in rows if r.words]
    for row in rows:
        row.words.sort(key=lambda w: w.x0)
    return rows


def _host_row(word: Word, rows: list[Row], index: int, settings: ReadingSettings) -> Row | None:
    """The row a small raised word belongs to, if any: its own or one of the next few down.

    Slightly raised markers (a tenth of the text size) share their row's baseline band, so
    the word's own row is looked at too.
    """
    for other in rows[index : index + 5]:
        if other.top > word.bottom + 1:
            continue
        for base in other.words:
            if base is word or base.superscript or word.size > settings.superscript_ratio * base.size + 0.1:
                continue
            raised = base.bottom - word.bottom >= 0.1 * base.size
            gap_after = word.x0 - base.x1
            gap_before = base.x0 - word.x1
            touching = -0.5 <= gap_after <= 0.5 * base.size or -0.5 <= gap_before <= 0.6 * base.size
            if raised and touching and word.bottom > base.top:
                return other
    return None
