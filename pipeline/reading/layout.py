"""Rows → line segments → columns → reading order, with furniture and footnote zones set apart.

Columns are found from the page itself: a gutter is a vertical white channel that many rows
have text on both sides of. Lines that cross a gutter (full-width headings, captions, boxes)
cut the page into bands; each band is read column by column, bands top to bottom. This is
the XY-cut idea restricted to the cuts a typeset page actually uses, which keeps two columns
whose paragraph breaks happen to line up from being read across.
"""

from __future__ import annotations

import functools
import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..document import BBox
from .content import Obj
from .words import Row, Word, WordRun

TERMINAL = (".", "?", "!", ":", "”", '"', "’", ")")


@dataclass(eq=False, slots=True)
class Line(WordRun):
    """A run of words on one baseline inside one column (or across the page when spanning)."""

    page: int
    column: int = 0
    spanning: bool = False
    boxed: bool = False
    """Set inside a box of running text (a sidebar): read as an aside, not as the body."""

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def plain_text(self) -> str:
        return " ".join(w.text for w in self.body_words)

    def share(self, attr: str) -> float:
        words = self.body_words or self.words
        total = sum(len(w.text) for w in words) or 1
        return sum(len(w.text) for w in words if getattr(w, attr)) / total


@dataclass
class PageLayout:
    page: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    """Body lines in reading order."""
    footnote_lines: list[Line] = field(default_factory=list)
    furniture: list[Line] = field(default_factory=list)
    columns: list[tuple[float, float]] = field(default_factory=list)
    """(x0, x1) of each column, left to right."""


def furniture_key(text: str) -> str:
    """What stays of a margin line once its page number is ignored."""
    return re.sub(r"\d+", "#", text.casefold()).strip()


def margin_zone(line: Line, height: float, margin: float) -> str | None:
    if line.bottom <= height * margin:
        return "header"
    if line.top >= height * (1 - margin):
        return "footer"
    return None


def find_gutters(rows: list[Row], width: float, min_gutter: float) -> list[tuple[float, float]]:
    """Vertical white channels that separate columns on this page.

    A channel is white where few rows put ink across it. Rows are counted inside the stretch
    of the page the channel actually divides (from the first row with text on both of its
    sides to the last): a full-width title above two columns, or page-foot notes below them,
    do not close the gutter between the columns.
    """
    if len(rows) < 6:
        return []
    size = int(width) + 2
    ink = np.zeros((len(rows), size), dtype=bool)
    left = np.zeros((len(rows), size), dtype=bool)
    right = np.zeros((len(rows), size), dtype=bool)
    for r, row in enumerate(rows):
        for w in row.words:
            ink[r, max(0, int(w.x0)) : min(size, int(w.x1) + 1)] = True
        left[r, min(size, int(min(w.x1 for w in row.words)) + 1) :] = True
        right[r, : max(0, int(max(w.x0 for w in row.words)))] = True
    cover = ink.sum(axis=0)
    xs = np.flatnonzero(cover)
    if not len(xs):
        return []
    lo, hi = int(xs[0]), int(xs[-1])
    allowed = max(1, int(0.06 * len(rows)))
    # the stretch a channel at x divides: from where rows clear of x have text on both of its
    # sides to where they stop having it; rows inked at x are counted inside it only
    left &= ~ink
    right &= ~ink
    n = len(rows)
    first = np.maximum(np.argmax(left, axis=0), np.argmax(right, axis=0))
    last = np.minimum(n - 1 - np.argmax(left[::-1], axis=0), n - 1 - np.argmax(right[::-1], axis=0))
    need = max(3, 0.2 * n)
    sided = (left.sum(axis=0) >= need) & (right.sum(axis=0) >= need) & (last > first)
    running = np.vstack([np.zeros((1, size), dtype=int), np.cumsum(ink, axis=0)])
    span = np.arange(size)
    between = running[np.maximum(last, first) + 1, span] - running[first, span]
    white = (cover <= allowed) | (sided & (between <= allowed))
    gutters: list[tuple[float, float]] = []
    x = lo
    while x <= hi:
        if white[x]:
            start = x
            while x <= hi and white[x]:
                x += 1
            if x - start >= min_gutter and start > lo and x <= hi:
                gutters.append((float(start), float(x)))
        x += 1
    return [g for g in gutters if _sides_filled(rows, g)]


def _has_text(words: list[Word]) -> bool:
    """Words that read as text, not a lone bullet or list number hanging in the margin."""
    return sum(c.isalpha() for w in words for c in w.text) >= 3


def _sides_filled(rows: list[Row], gutter: tuple[float, float]) -> bool:
    """Both sides of a gutter carry text over a shared height: columns, not a margin note
    nor the hanging bullets of a list (a side needs some rows of words, not marks only)."""
    left = [[w for w in r.words if w.x1 <= gutter[0] + 1] for r in rows]
    right = [[w for w in r.words if w.x0 >= gutter[1] - 1] for r in rows]
    left_rows = [r for r, words in zip(rows, left, strict=True) if words]
    right_rows = [r for r, words in zip(rows, right, strict=True) if words]
    need = max(3, 0.2 * len(rows))
    if len(left_rows) < need or len(right_rows) < need:
        return False
    if sum(map(_has_text, left)) < 3 or sum(map(_has_text, right)) < 3:
        return False
    shared = min(left_rows[-1].bottom, right_rows[-1].bottom) - max(left_rows[0].top, right_rows[0].top)
    return shared > 0.3 * (rows[-1].bottom - rows[0].top)


def split_lines(
    rows: list[Row], gutters: list[tuple[float, float]], page: int, size_gap: float
) -> list[Line]:
    """Cut each row at the gutters (unless a word crosses one) and at wide gaps."""
    lines: list[Line] = []
    for row in rows:
        current: list[Word] = []
        for word in row.words:
            if current:
                prev = current[-1]
                cut = any(prev.x1 <= (g[0] + g[1]) / 2 <= word.x0 for g in gutters)
                gap = word.x0 - prev.x1
                if cut or (gap > size_gap * max(word.size, prev.size) and not word.superscript):
                    lines.append(Line(current, page))
                    current = []
            current.append(word)
        if current:
            lines.append(Line(current, page))
    for line in lines:
        line.spanning = any(w.x0 < (g[0] + g[1]) / 2 < w.x1 for w in line.words for g in gutters)
        line.column = sum(1 for g in gutters if line.x0 >= (g[0] + g[1]) / 2)
    return lines


def column_spans(
    lines: list[Line], gutters: list[tuple[float, float]], width: float
) -> list[tuple[float, float]]:
    edges = [0.0, *[c for g in gutters for c in g], width]
    spans = []
    for i in range(len(gutters) + 1):
        inside = [ln for ln in lines if not ln.spanning and ln.column == i]
        if inside:
            spans.append((min(ln.x0 for ln in inside), max(ln.x1 for ln in inside)))
        else:
            spans.append((edges[2 * i], edges[2 * i + 1]))
    return spans


def reading_order(lines: list[Line]) -> list[Line]:
    """Bands cut by spanning lines, top to bottom; inside a band, column by column."""
    spanning = sorted((ln for ln in lines if ln.spanning), key=lambda ln: ln.top)
    others = [ln for ln in lines if not ln.spanning]
    ordered: list[Line] = []
    cuts = [ln.top for ln in spanning]
    bands: list[list[Line]] = [[] for _ in range(len(cuts) + 1)]
    for ln in others:
        bands[sum(1 for c in cuts if ln.top >= c)].append(ln)
    for i, band in enumerate(bands):
        ordered.extend(sorted(band, key=lambda ln: (ln.column, ln.top, ln.x0)))
        if i < len(spanning):
            ordered.append(spanning[i])
    return ordered


def split_footnote_zone(
    lines: list[Line], rules: list[BBox], columns: list[tuple[float, float]], body_size: float
) -> tuple[list[Line], list[Line]]:
    """Separate the notes at the foot of each column, or of the page, from the body lines.

    A short rule starting at the column's left edge opens the zone (TeX, Word, most DTP) when
    the lines under it are smaller than the body, or when they are set at body size but open
    on a note number (a raised or smaller figure); without a rule, a trailing run of smaller
    lines whose first starts with a number does. Notes set across the columns are looked for at
    the page's foot first, when some line there spans the columns.
    """
    body: list[Line] = []
    notes: list[Line] = []
    if any(ln.spanning for ln in lines) and columns:
        # notes set across the columns: a zone at the page's foot that some spanning line is in
        page_limit = _rule_limit(lines, rules, columns[0][0], columns[-1][1], body_size)
        under = [ln for ln in lines if page_limit is not None and ln.top >= page_limit]
        if not under or not _starts_with_number(min(under, key=_top)):  # a table's rules open none
            page_limit = _small_tail(lines, body_size, whole=False)
        if page_limit is not None and any(ln.spanning and ln.top >= page_limit for ln in lines):
            notes = [ln for ln in lines if ln.top >= page_limit]
            lines = [ln for ln in lines if ln.top < page_limit]
    for index, (cx0, cx1) in enumerate(columns):
        col = [ln for ln in lines if ln.column == index and not ln.spanning]
        limit = _rule_limit(col, rules, cx0, cx1, body_size)
        if limit is None:
            limit = _small_tail(col, body_size)
        for ln in col:
            (notes if limit is not None and ln.top >= limit else body).append(ln)
    body.extend(ln for ln in lines if ln.spanning)
    return body, notes


def _rule_limit(col: list[Line], rules: list[BBox], cx0: float, cx1: float, body_size: float) -> float | None:
    """The top of a note zone opened by a short rule at the column's left edge."""
    width = cx1 - cx0
    starts = [r[1] for r in rules if abs(r[0] - cx0) <= 6 and 0.08 * width <= r[2] - r[0] <= 0.6 * width]
    for y in sorted(starts):
        below = sorted((ln for ln in col if ln.top >= y), key=lambda ln: ln.top)
        if not below:
            continue
        if all(ln.size < body_size * 0.95 for ln in below):
            return y
        if _opens_on_note_number(below[0]) and all(ln.size < body_size * 1.05 for ln in below):
            return y
        if _small_share(below, body_size) >= 0.8 and any(map(_starts_with_number, below)):
            return y  # notes led by plain numbers, a line or two misjudged in size (a scan's)
    return None


def _small_share(lines: list[Line], body_size: float) -> float:
    """The share of the lines' characters set smaller than the body."""
    chars = sum(len(ln.plain_text) for ln in lines) or 1
    return sum(len(ln.plain_text) for ln in lines if ln.size < body_size * 0.95) / chars


def _opens_on_note_number(line: Line) -> bool:
    """A line led by a note number set as notes set it: raised, or smaller than its text."""
    first = line.words[0]
    if not re.match(r"^\d{1,3}[.)]?$", first.text):
        return False
    return first.superscript or first.size < 0.9 * line.size or len(line.words) == 1


def merge_number_lines(lines: list[Line]) -> list[Line]:
    """Rejoin a note number that layout left apart from its text.

    The number may stand beside its text ("²  See …" with an indent), or on a line of its own
    just above it, where a word processor wrapped a long first word (an address) to the next
    line; either way the number alone on its line opens the note that follows it.
    """
    out: list[Line] = []
    for line in sorted(lines, key=lambda ln: (ln.page, ln.column, ln.top, ln.x0)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and len(prev.words) == 1
            and re.match(r"^\d{1,3}\.?$", prev.words[0].text)
            and prev.page == line.page
            and prev.column == line.column
            and (_beside_number(prev, line) or _under_number(prev, line))
        ):
            prev.words[0].superscript = prev.words[0].size < line.size
            out[-1] = Line([*prev.words, *line.words], line.page, line.column, line.spanning, line.boxed)
        else:
            out.append(line)
    return out


def _beside_number(number: Line, line: Line) -> bool:
    return line.x0 > number.x1 and line.top < number.bottom and line.bottom > number.top


def _under_number(number: Line, line: Line) -> bool:
    """The line right under a lone number, starting where the number does."""
    return 0 <= line.top - number.bottom < 0.8 * line.size and abs(line.x0 - number.x0) < line.size


def _top(line: Line) -> float:
    return line.top


def _starts_with_number(line: Line) -> bool:
    return bool(re.match(r"^\d{1,3}\.?$", line.words[0].text))


def _small_tail(col: list[Line], body_size: float, whole: bool = True) -> float | None:
    """The top of a trailing run of small lines opening on a note number.

    ``whole``: ``col`` is a whole column, and a column of nothing but small text is a text of
    its own (references), not notes; lines spanning a page's foot are only part of the page.
    """
    ordered = sorted(col, key=lambda ln: ln.top)
    tail: list[Line] = []
    for ln in reversed(ordered):
        if ln.size < body_size * 0.9:
            tail.insert(0, ln)
        else:
            break
    if whole and len(tail) == len(ordered):
        return None  # a whole column of small text is a text of its own (references), not notes
    for i, ln in enumerate(tail):
        if _starts_with_number(ln) and (i == 0 or not tail[i - 1].plain_text.endswith(TERMINAL) or i < 3):
            return ln.top
    return None


def body_style(all_lines: list[Line]) -> tuple[float, str]:
    """The body text's size and font family: the most common by characters."""
    sizes: Counter[float] = Counter()
    fonts: Counter[str] = Counter()
    for ln in all_lines:
        for w in ln.body_words:
            sizes[round(w.size, 1)] += len(w.text)
            fonts[font_family(w.font)] += len(w.text)
    if not sizes:
        return 10.0, ""
    return sizes.most_common(1)[0][0], fonts.most_common(1)[0][0]


@functools.lru_cache(maxsize=4096)
def font_family(fontname: str) -> str:
    """'ABCDEF+LMRoman10-Italic' → 'lmroman'; subset prefixes, sizes and styles dropped."""
    name = fontname.split("+")[-1]
    name = re.split(r"[-,]", name)[0]
    return re.sub(r"\d+$", "", name).casefold()


def median_gap(lines: list[Line]) -> float:
    gaps = [
        b.top - a.bottom
        for a, b in itertools.pairwise(lines)
        if a.column == b.column and a.page == b.page and 0 <= b.top - a.bottom < 2 * a.size
    ]
    return statistics.median(gaps) if gaps else 2.0


# --------------------------------------------------------------------------- boxes (sidebars)

MIN_BOX = 24.0
"""Points: a drawn shape narrower or shorter than this holds no text of its own (a rule, a bullet)."""
THIN = 1.5
"""Points: a stroke at most this thick is a rule, one side of a frame."""


def find_boxes(lines: list[Obj], rects: list[Obj], curves: list[Obj]) -> list[BBox]:
    """Closed shapes on a page that can hold text: filled or stroked rectangles and rounded
    boxes (a closed path), and frames drawn as four separate rules."""
    boxes: list[BBox] = []
    for shape in [*rects, *curves]:
        x0, top, x1, bottom = (float(shape[k]) for k in ("x0", "top", "x1", "bottom"))
        if x1 - x0 < MIN_BOX or bottom - top < MIN_BOX:
            continue
        pts = shape.get("pts") or []
        if shape.get("object_type") == "curve" and (
            len(pts) < 4 or abs(pts[0][0] - pts[-1][0]) > 1 or abs(pts[0][1] - pts[-1][1]) > 1
        ):
            continue  # an open path: a chart's line or an arc, not a box
        boxes.append((x0, top, x1, bottom))
    strokes = [*lines, *rects]
    level = [s for s in strokes if s["bottom"] - s["top"] <= THIN and s["x1"] - s["x0"] >= MIN_BOX]
    upright = [s for s in strokes if s["x1"] - s["x0"] <= THIN and s["bottom"] - s["top"] >= MIN_BOX]
    for a, b in itertools.combinations(sorted(level, key=lambda s: float(s["top"])), 2):
        if abs(a["x0"] - b["x0"]) > 3 or abs(a["x1"] - b["x1"]) > 3 or b["top"] - a["bottom"] < MIN_BOX:
            continue
        x0, x1, top, bottom = float(a["x0"]), float(a["x1"]), float(a["top"]), float(b["bottom"])
        sides = [
            any(abs(v["x0"] - x) <= 3 and v["top"] <= top + 3 and v["bottom"] >= bottom - 3 for v in upright)
            for x in (x0, x1)
        ]
        if all(sides):
            boxes.append((x0, top, x1, bottom))
    return boxes


def mark_boxed(lines: list[Line], boxes: list[BBox], body_size: float) -> None:
    """Set apart the lines of a sidebar: a box holding running text, set inside its frame.

    A box holds a sidebar when its text is inset from all four of its edges (the box is
    drawn around the text, not a cell the text fills), is set at the body's size, and runs
    from the box's top to its bottom in lines no further apart than a paragraph's: a figure's
    frame holds a caption and scattered labels around a picture, a table's box its cells
    (already read as a table), a page's frame the whole page.
    """
    for box in sorted(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1])):
        inside = [ln for ln in lines if not ln.boxed and _within(ln, box)]
        if len(inside) < 3 or len(inside) > 0.9 * len(lines):
            continue
        if _is_sidebar(inside, box, body_size):
            for ln in inside:
                ln.boxed = True


def _within(line: Line, box: BBox, slack: float = 1.0) -> bool:
    return (
        line.x0 >= box[0] - slack
        and line.x1 <= box[2] + slack
        and line.top >= box[1] - slack
        and line.bottom <= box[3] + slack
    )


def _is_sidebar(inside: list[Line], box: BBox, body_size: float) -> bool:
    pad = 0.15 * body_size
    x0, x1 = min(ln.x0 for ln in inside), max(ln.x1 for ln in inside)
    top, bottom = min(ln.top for ln in inside), max(ln.bottom for ln in inside)
    if min(x0 - box[0], box[2] - x1, top - box[1], box[3] - bottom) < pad:
        return False
    chars = sum(len(ln.plain_text) for ln in inside)
    at_body = sum(len(ln.plain_text) for ln in inside if abs(ln.size - body_size) <= 0.1 * body_size)
    if at_body < 0.6 * chars:
        return False
    running = [ln for ln in inside if ln.x1 - ln.x0 >= 0.6 * (x1 - x0) and len(ln.words) >= 6]
    if len(running) < 2:
        return False
    rows = sorted({round(ln.top, 1) for ln in inside})
    gaps = [b - a for a, b in itertools.pairwise(rows)]
    return max(gaps, default=0.0) <= 3.0 * body_size and bottom - top >= 0.6 * (box[3] - box[1])
