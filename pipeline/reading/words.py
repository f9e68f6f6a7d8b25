"""Page characters → words and baseline rows, with superscripts told apart.

A page's characters (from either backend, see :mod:`pipeline.reading.content`) are grouped by
pdfplumber's word extractor's rules (:func:`_upright_words` applies them in fewer steps, with
the same words as the result). TeX output carries no space characters, so words are cut by
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
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
from pdfplumber.utils.text import LIGATURES, WordExtractor

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

    Characters are grouped by pdfplumber's word extractor's rules, whichever library read
    them, so both backends cut words by the same rules.
    """
    chars = without_doubled_chars(page.chars)
    # a backend that tells superscript glyphs apart (``raised``) cuts words where they begin
    raised = bool(chars) and "raised" in chars[0]
    extra_attrs = ["size", "upright", "raised"] if raised else ["size", "upright"]
    if _plain_coordinates(chars):
        extracted = _upright_words(chars, settings.x_tolerance, settings.y_tolerance, extra_attrs)
    else:  # NaN or odd coordinates: pdfplumber's own ordering of them is the rule
        extractor = WordExtractor(
            x_tolerance=settings.x_tolerance,
            y_tolerance=settings.y_tolerance,
            keep_blank_chars=False,
            extra_attrs=extra_attrs,
        )
        extracted = extractor.iter_extract_tuples(chars)
    words: list[Word] = []
    last_chars: list[Obj] = []
    # The reader keeps every page's words until the whole document is laid out, so a word
    # shares what it repeats: the top, bottom and size of the others on its line (one float
    # object each instead of one per word) and its text ("the", "of", a name) with the same
    # word elsewhere. Same values, about 30% less memory per page.
    same: dict[float, float] = {}
    for w, word_chars in extracted:
        if not w["upright"] or not w["text"].strip():
            continue
        if words and _tracking_split(words[-1], last_chars, w, word_chars):
            words[-1].text += w["text"]
            words[-1].x1 = float(w["x1"])
            last_chars = last_chars + word_chars
            continue
        last_chars = word_chars
        top, bottom, size = float(w["top"]), float(w["bottom"]), round(float(w["size"]), 2)
        words.append(
            Word(
                text=sys.intern(w["text"]),
                x0=float(w["x0"]),
                top=_shared(same, top),
                x1=float(w["x1"]),
                bottom=_shared(same, bottom),
                size=_shared(same, size),
                font=_letters_font(word_chars),
                superscript=bool(w.get("raised")),
            )
        )
    return words


def _shared(pool: dict[float, float], value: float) -> float:
    """The float of ``pool`` equal to ``value`` (``value`` itself the first time). Zero is
    never shared: 0.0 == -0.0, and a sign must not move from one word to another."""
    return pool.setdefault(value, value) if value else value


def _plain_coordinates(chars: list[Obj]) -> bool:
    """Every character's ``x0`` and ``top`` is a finite number: then sorting and clustering
    them is plain arithmetic, which :func:`_upright_words` reproduces."""
    try:
        # a NaN or an infinity makes the sum non-finite (so may an overflow: the slow path then)
        return math.isfinite(sum(map(_X0, chars))) and math.isfinite(sum(map(_TOP, chars)))
    except (TypeError, ValueError, OverflowError):
        return False




def _upright_words(
    chars: list[Obj], x_tolerance: float, y_tolerance: float, extra_attrs: list[str]
) -> Iterator[tuple[Obj, list[Obj]]]:
    """pdfplumber's ``WordExtractor.iter_extract_tuples`` (blank characters dropped, no text
    flow, no ratios, default directions) for the upright words only, in its order.

    The extractor is most of the cost of reading a page once PDFium has read it: it sorts
    tuples through lambdas, clusters through dictionaries of sorted lists and yields through
    nested generators, per character. This does the same steps plainly: runs of characters
    sharing the extra attributes, lines clustered by ``top`` (chained within the y tolerance),
    characters of a line in ``x0`` order (stable), a new word at a blank, a jump back, a gap
    over the x tolerance or a change of line. Rotated runs are skipped, not read: the caller
    keeps only upright words.
    """
    for key, run in itertools.groupby(chars, itemgetter("upright", *extra_attrs)):
        if not key[0]:
            continue
        group = list(run)
        tops = sorted(set(map(_TOP, group)))
        line_of: dict[float, int] = {}
        if y_tolerance == 0 or len(tops) < 2:
            line_of = {top: n for n, top in enumerate(tops)}
        else:
            n, last = 0, tops[0]
            for top in tops:
                if top > last + y_tolerance:
                    n += 1
                line_of[top] = n
                last = top
        lines: list[list[Obj]] = [[] for _ in range(max(line_of.values()) + 1)]
        for char in group:
            lines[line_of[char["top"]]].append(char)
        for line in lines:
            if not line:
                continue
            line.sort(key=_X0)
            word: list[Obj] = []
            # the word's last character's x0, x1 and top, held as locals: read once per character
            last_x0 = last_x1 = last_top = 0.0
            for char in line:
                text = char["text"]
                if text.isspace():
                    if word:
                        yield _merged(word, extra_attrs), word
                    word = []
                elif not text:  # pdfplumber's punctuation test holds for "": a word of its own
                    if word:
                        yield _merged(word, extra_attrs), word
                    yield _merged([char], extra_attrs), [char]
                    word = []
                else:
                    x0, top = char["x0"], char["top"]
                    if word and (
                        x0 < last_x0 or x0 > last_x1 + x_tolerance or abs(top - last_top) > y_tolerance
                    ):
                        yield _merged(word, extra_attrs), word
                        word = [char]
                    else:
                        word.append(char)
                    last_x0, last_x1, last_top = x0, char["x1"], top
            if word:
                yield _merged(word, extra_attrs), word


def _merged(chars: list[Obj], extra_attrs: list[str]) -> Obj:
    """The word pdfplumber makes of its characters: their box, the text with ligatures
    expanded, and the first character's extra attributes."""
    first = chars[0]
    if len(chars) == 1:  # a third of all words: the character's own box
        text = first["text"]
        word: Obj = {
            "text": LIGATURES.get(text, text or ""),
            "x0": first["x0"],
            "top": first["top"],
            "x1": first["x1"],
            "bottom": first["bottom"],
            "upright": first["upright"],
        }
    else:
        word = {
            "text": "".join([LIGATURES.get(t, t or "") for t in map(_TEXT, chars)]),
            "x0": min(map(_X0, chars)),
            "top": min(map(_TOP, chars)),
            "x1": max(map(_X1, chars)),
            "bottom": max(map(_BOTTOM, chars)),
            "upright": first["upright"],
        }
    for key in extra_attrs:
        word[key] = first[key]
    return word


def _tracking_split(prev: Word, prev_chars: list[Obj], word: Obj, chars: list[Obj]) -> bool:
    """Two pieces of one letter-spaced word ("T HE WHITE HOUSE"): the gap between them is the
    gap between the letters inside them, a tracking wider than the word-gap tolerance."""
    if abs(float(word["top"]) - prev.top) > 0.1 or round(float(word["size"]), 2) != prev.size:
        return False
    if bool(word.get("raised")) != prev.superscript:
        return False
    inside = prev_chars if len(prev_chars) > len(chars) else chars
    gaps = [float(b["x0"]) - float(a["x1"]) for a, b in itertools.pairwise(inside)]
    if not gaps or max(gaps) <= 0.05 * prev.size:
        return False  # no median above the largest gap: letters set close, no tracking (most words)
    tracking = statistics.median(gaps)
    gap = float(word["x0"]) - prev.x1
    return tracking > 0.05 * prev.size and abs(gap - tracking) <= 0.1 * tracking


def _letters_font(chars: list[Obj]) -> str:
    """A word's font is its letters': "(plan" with an upright bracket is an italic word."""
    for char in chars:
        if str(char.get("text", "")).isalnum():
            return str(char.get("fontname", ""))
    return str(chars[0].get("fontname", "")) if chars else ""


def without_doubled_chars(chars: list[Obj], tolerance: float = 1.0) -> list[Obj]:
    """The characters less those printed twice on top of each other (fake bold, shadows).

    pdfplumber's ``dedupe_chars`` does the same but sorts inside its loop, which costs more
    than parsing the page. Here each glyph is hashed into a grid of cells twice the tolerance
    wide: a copy within the tolerance lies in the glyph's own cell or in a neighbouring one.
    Most pages have no copies at all, so the grid is first checked in bulk
    (:func:`_maybe_doubled`) and only glyphs with a like glyph (same text and font) in a
    neighbouring cell go through the exact test: the others can neither be a copy nor have one.
    """
    candidates = _maybe_doubled(chars, 2 * tolerance)
    if candidates is None:  # coordinates the bulk check cannot take: test every glyph
        return _without_doubled(chars, tolerance)
    if not candidates:
        return list(chars)
    dropped = {id(c) for c in candidates} - {id(c) for c in _without_doubled(candidates, tolerance)}
    return [c for c in chars if id(c) not in dropped] if dropped else list(chars)


_X0, _TOP, _TEXT = itemgetter("x0"), itemgetter("top"), itemgetter("text")
_X1, _BOTTOM = itemgetter("x1"), itemgetter("bottom")
_GRID_LIMIT = 1 << 20
"""Cells per axis the bulk check packs into one integer key; farther-out glyphs take the loop."""


def _maybe_doubled(chars: list[Obj], cell: float) -> list[Obj] | None:
    """The characters (in order) with a like character in their own or a neighbouring grid
    cell, or None when a coordinate is not finite or too far out to pack into a key."""
    if len(chars) < 2:
        return []
    try:
        # glyph kind = hash of (text, font): a collision only sends more glyphs to the exact test
        kinds = zip(map(_TEXT, chars), [c.get("fontname") for c in chars], strict=True)
        codes = np.fromiter(map(hash, kinds), np.int64, len(chars))
        xs = np.fromiter(map(_X0, chars), np.float64, len(chars))
        ys = np.fromiter(map(_TOP, chars), np.float64, len(chars))
    except (KeyError, TypeError, ValueError, OverflowError):  # odd values: the exact loop decides
        return None
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        return None
    gx, gy = np.floor(xs / cell), np.floor(ys / cell)
    if max(np.abs(gx).max(), np.abs(gy).max()) >= _GRID_LIMIT // 2 - 2:
        return None
    # one integer per (glyph kind, cell column, cell row); a neighbour's key is an offset away
    # (arithmetic wraps around 2**64, which keeps those offsets)
    keys = (codes * _GRID_LIMIT + (gx.astype(np.int64) + _GRID_LIMIT // 2)) * _GRID_LIMIT + (
        gy.astype(np.int64) + _GRID_LIMIT // 2
    )
    present, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    near = counts > 1  # another like glyph in its own cell
    # neighbouring cells right, below, and on both diagonals; the other four are the same
    # pairs seen from the other side. Queries on the sorted keys are sorted: a quick search.
    for shift in (_GRID_LIMIT, 1, _GRID_LIMIT + 1, _GRID_LIMIT - 1):
        wanted = present + shift
        at = np.minimum(np.searchsorted(present, wanted), len(present) - 1)
        found = present[at] == wanted
        near |= found
        near[at[found]] = True
    flagged = near[inverse]
    return [chars[i] for i in np.flatnonzero(flagged)]


def _without_doubled(chars: list[Obj], tolerance: float) -> list[Obj]:
    """The exact test, glyph by glyph in order: a glyph within ``tolerance`` of a kept like
    glyph is a copy. Each glyph is hashed into a grid of cells twice the tolerance wide, so
    its own cell and the neighbour on the side of the cell the glyph is nearer to (four cells)
    are looked at, and linearly."""
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
