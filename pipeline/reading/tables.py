"""Tables on a page → :class:`pipeline.document.Table`, kept out of the prose.

Two kinds of table are read, because report PDFs draw tables in two ways:

* **Closed grids** (every cell boxed, e.g. the FBI NICS sheet, Word/Excel exports): pdfplumber's
  ``lines`` strategy finds them well, so it is used as is; we only clean its output (drop the
  empty columns that thin decorative rectangles create, split "banded" rows where several
  records share one ruled cell, lift a spanning title row out of the header).
* **Rule bands** (booktabs-style horizontal rules and no vertical ones: LaTeX ``\\toprule /
  \\midrule / \\bottomrule``, reportlab ``LINEABOVE/LINEBELOW``, Federal Register tables whose
  outer sides are open): pdfplumber's ``text`` strategy guesses columns badly here (it cut
  "2001 20|02" in our reports, and pdfplumber's maintainer calls it a best guess — see
  jsvine/pdfplumber#1096, #985), so columns are found from the words: stacked rules of the same
  width delimit the table, and the x-ranges of the cells in the body rows, merged where they
  overlap, are the columns (right-aligned numbers of different widths overlap, separate
  columns do not). Inner vertical rules, when drawn, are used as column separators instead.

A band of rules is only a table if the text between its rules *looks* tabular: most lines
split into several cells, and cells are short (prose between two page-wide rules, as in GAO
side-heading layouts, has long cells and is rejected). That is what keeps plain two-column
prose from becoming a table.

Around each table we read the caption (the nearby line(s) starting "Figure 6." / "Table 2:")
and, just below, the note and "Source: …" lines in a smaller font. The table's ``bbox`` covers
the grid plus its note/source lines (what the layout stage must drop from the prose); the
caption has its own ``caption_bbox`` and stays in the prose as a caption block.
"""

from __future__ import annotations

import re
import statistics
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from pdfplumber.page import Page
from pdfplumber.table import TableFinder
from pdfplumber.table import TableSettings as FinderSettings

from ..config import ReadingSettings
from ..document import BBox, Table
from .content import PageContent, as_content
from .words import Word, WordRun, build_rows, page_words

__all__ = ["TableSettings", "find_tables", "table_regions"]


@dataclass(frozen=True)
class TableSettings:
    """Tolerances for finding and reading tables (PDF points unless said otherwise)."""

    x_tolerance: float = 1.5
    """Gap below which two characters belong to one word; TeX PDFs have no space characters."""
    y_tolerance: float = 3.0
    """Vertical slack when grouping characters into words (pdfplumber's meaning)."""
    superscript_ratio: float = 0.88
    """A digit/mark word smaller than this × its line's size and raised is a footnote marker."""
    rule_max_thickness: float = 3.0
    """A horizontal line, or a filled rectangle this thin, counts as a rule."""
    rule_min_length: float = 40.0
    """Shorter horizontal strokes (underlines, footnote separators are kept out by width match)."""
    rule_extent_tolerance: float = 3.0
    """Rules whose left and right ends agree within this belong to one table band."""
    rule_merge_gap: float = 1.0
    """Rules closer than this vertically (double rules) are one rule."""
    snap_tolerance: float = 3.0
    """pdfplumber ``snap``/``join``/``intersection`` tolerance for closed grids."""
    cell_gap_factor: float = 0.9
    """Without vertical rules, a gap wider than this × font size between words starts a new cell."""
    tabular_line_share: float = 0.5
    """Share of a band's text lines that must split into ≥ 2 cells for the band to be tabular."""
    max_mean_cell_words: float = 4.0
    """Mean words per cell above which an unruled band is prose, not a table."""
    small_text_max_cell_words: float = 12.0
    """The same limit for text set smaller than the page's body text (tables of short sentences:
    small print is the table's, not the prose's); one line with two cells is then enough."""
    context_rule_gap: float = 150.0
    """Rules further apart than this are not one stretch of table when measuring body text."""
    ruled_rows_min_slabs: int = 3
    """With this many rule-separated body slabs, rules separate rows: each slab is one row."""
    min_columns: int = 2
    min_rows: int = 2
    """Header included: a header and one body row is the smallest table."""
    banded_fill_share: float = 0.75
    """A ruled grid row is split into one record per text line only when each line fills this
    share of the row's filled cells (records), not when wrapped cells happen to line up."""
    indent_tolerance: float = 2.0
    """A label-only line indented more than this under the first column continues the row above."""
    caption_gap_factor: float = 1.6
    """The caption sits within this × its font size of the table."""
    max_caption_lines: int = 3
    note_gap_factor: float = 1.6
    """The first note/source line sits within this × its font size below the table."""
    note_line_gap_factor: float = 0.8
    """Further note lines follow each other with gaps under this × font size."""
    note_size_slack: float = 1.0
    """Note lines are at most this much larger than the table's own text…"""
    body_size_margin: float = 0.3
    """…and smaller than the page's body text by this much, unless they start "Note"/"Source"."""
    max_note_lines: int = 8
    caption_pattern: str = (
        r"^(?:figure|fig\.|table|tableau|tabla|cuadro|gr[aá]fico|chart|graph|exhibit|box|map)"
        r"\s*[A-Z]?[0-9IVX]+[a-z]?(?:[.\-][0-9]+)*\s*(?:[.:\u2013\u2014|-]|$)"
    )
    """A caption line starts with a label and number followed by punctuation (not "Table 2 shows")."""
    source_pattern: str = r"^(?:sources?|fuentes?|fontes?|data sources?)\s*:"
    note_pattern: str = r"^(?:notes?|nota|notas|\*|†|‡|[a-z]\))\s*[:.]?"


DEFAULT_SETTINGS = TableSettings()


# --------------------------------------------------------------------------- words and lines


def _page_words(page: PageContent, settings: TableSettings) -> list[Word]:
    """The page's words as the reader sees them, with raised note markers flagged."""
    reading = ReadingSettings(
        x_tolerance=settings.x_tolerance,
        y_tolerance=settings.y_tolerance,
        superscript_ratio=settings.superscript_ratio,
    )
    words = page_words(page, reading)
    build_rows(words, reading)  # flags superscripts in place
    return words


def _group_lines(words: Iterable[Word]) -> list[WordRun]:
    """Words → lines by vertical overlap (a raised marker overlaps its line, so it joins it)."""
    lines: list[WordRun] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        for line in reversed(lines[-3:]):
            main = [w for w in line.words if w.size >= word.size * 0.8] or line.words
            top, bottom = min(w.top for w in main), max(w.bottom for w in main)
            if top - 0.5 <= word.cy <= bottom + 0.5 or (
                word.top - 0.5 <= (top + bottom) / 2 <= word.bottom + 0.5
            ):
                line.words.append(word)
                break
        else:
            lines.append(WordRun([word]))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    lines.sort(key=lambda ln: (ln.top, ln.x0))
    return lines


def _text(words: Sequence[Word], x_tolerance: float) -> str:
    """Words of one cell or line → text, one baseline after the other.

    Rows are grouped by vertical overlap (so a vertically centred cell stays in its row), but a
    header cell printed on two baselines ("Cost on U.S." over "operators") overlaps the same
    row: its words are read baseline by baseline, or they would interleave.
    """
    return _join_lines(_baseline_text(sub, x_tolerance) for sub in _baselines(words))


def _baselines(words: Sequence[Word]) -> list[list[Word]]:
    """Split words by baseline (bottom within 0.3 × size); markers go with the text they touch."""
    plain = sorted((w for w in words if not w.note_marker), key=lambda w: w.bottom)
    groups: list[list[Word]] = []
    for word in plain:
        if groups and abs(word.bottom - groups[-1][-1].bottom) <= 0.3 * word.size:
            groups[-1].append(word)
        else:
            groups.append([word])
    for marker in (w for w in words if w.note_marker):
        if groups:
            min(groups, key=lambda g: abs(statistics.fmean(w.cy for w in g) - marker.cy)).append(marker)
        else:
            groups.append([marker])
    return sorted(groups, key=lambda g: min(w.top for w in g))


def _baseline_text(words: Sequence[Word], x_tolerance: float) -> str:
    """Words of one baseline → text: a space where the print has a gap, markers dropped.

    When a marker is dropped the space decision spans it: "funds⁵⁹," gives "funds,", and no
    space is left before closing punctuation: "(km²)" gives "(km)", not "(km )".
    """
    out: list[str] = []
    pending_space = False
    after_marker = False
    previous: Word | None = None
    for word in sorted(words, key=lambda w: w.x0):
        if previous is not None and word.x0 - previous.x1 > x_tolerance:
            pending_space = True
        previous = word
        if word.note_marker:
            after_marker = True
            continue
        if after_marker and word.text[:1] in ",.;:)]}!?%":
            pending_space = False
        if out and pending_space:
            out.append(" ")
        after_marker = False
        out.append(word.text)
        pending_space = False
    return "".join(out)


def _join_lines(parts: Iterable[str]) -> str:
    """Lines of one cell or paragraph → one string (a trailing hyphen joins without a space)."""
    text = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if not text:
            text = part
        elif text.endswith("-") and not text.endswith(" -") and part[:1].islower():
            text += part
        else:
            text += " " + part
    return text


# --------------------------------------------------------------------------- rules


@dataclass
class _Rule:
    x0: float
    x1: float
    y: float


@dataclass
class _VRule:
    x: float
    top: float
    bottom: float


def _rules(page: PageContent, settings: TableSettings) -> tuple[list[_Rule], list[_VRule]]:
    """Drawn horizontal and vertical strokes: lines, and filled rectangles thin enough to be lines.

    Rectangle *outlines* are not rules here: boxed figure placeholders and row shading are
    rectangles, and their edges say nothing about columns.
    """
    horizontal: list[_Rule] = []
    vertical: list[_VRule] = []
    objects: list[dict[str, Any]] = [*page.lines, *page.rects]
    for obj in objects:
        x0, x1, top, bottom = float(obj["x0"]), float(obj["x1"]), float(obj["top"]), float(obj["bottom"])
        width, height = x1 - x0, bottom - top
        if height <= settings.rule_max_thickness and width >= settings.rule_min_length:
            horizontal.append(_Rule(x0, x1, (top + bottom) / 2))
        elif width <= settings.rule_max_thickness and height > 0:
            vertical.append(_VRule((x0 + x1) / 2, top, bottom))
    return _merge_collinear(horizontal, settings), vertical


def _merge_collinear(rules: list[_Rule], settings: TableSettings) -> list[_Rule]:
    """Rule pieces on one y that touch end to end (a bottom rule drawn per column) → one rule."""
    merged: list[_Rule] = []
    for rule in sorted(rules, key=lambda r: r.x0):
        for other in merged:
            if (
                abs(other.y - rule.y) <= settings.rule_max_thickness
                and rule.x0 <= other.x1 + settings.snap_tolerance
            ):
                other.x1 = max(other.x1, rule.x1)
                break
        else:
            merged.append(_Rule(rule.x0, rule.x1, rule.y))
    merged.sort(key=lambda r: (r.y, r.x0))
    return merged


# --------------------------------------------------------------------------- result assembly


@dataclass
class _Found:
    """A table before its caption and notes are attached."""

    bbox: BBox
    header_rows: list[list[str]]
    rows: list[list[str]]
    size: float
    """Median font size of the table's words (note lines are compared to it)."""
    body_size: float = 0.0
    """Running-text size around the table (what "small print" is measured against)."""
    title: str | None = None
    title_bbox: BBox | None = None


def _header(header_rows: list[list[str]]) -> list[str]:
    """Multi-row headers joined per column: "2013" over "Request" → "2013 Request"."""
    if not header_rows:
        return []
    return [_join_lines(row[i] for row in header_rows) for i in range(len(header_rows[0]))]


def _overlaps(a: BBox, b: BBox, slack: float = 0.0) -> bool:
    return a[0] < b[2] + slack and b[0] < a[2] + slack and a[1] < b[3] + slack and b[1] < a[3] + slack


def _union(boxes: Iterable[BBox]) -> BBox:
    boxes = list(boxes)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _valid(header_rows: list[list[str]], rows: list[list[str]], settings: TableSettings) -> bool:
    """At least two columns, a header and a body row, and two rows with two filled cells."""
    grid = [*header_rows, *rows]
    if not rows or not grid or len(grid[0]) < settings.min_columns:
        return False
    if len(rows) + (1 if header_rows else 0) < settings.min_rows:
        return False
    filled_rows = sum(1 for row in grid if sum(1 for c in row if c) >= 2)
    return filled_rows >= 2


# --------------------------------------------------------------------------- closed grids


def _grid_tables(
    page: PageContent, words: list[Word], rules: list[_Rule], settings: TableSettings
) -> list[_Found]:
    """Fully ruled tables through pdfplumber's ``lines`` strategy, cleaned."""
    if not page.rects and not any(abs(line["x1"] - line["x0"]) < 1 for line in page.lines):
        return []  # no vertical strokes at all: no closed grid, skip the finder
    finder_settings = {
        "vertical_strategy": "lines",
        "horizontal_strategy": "lines",
        "snap_tolerance": settings.snap_tolerance,
        "join_tolerance": settings.snap_tolerance,
        "intersection_tolerance": settings.snap_tolerance,
        "text_x_tolerance": settings.x_tolerance,
    }
    found: list[_Found] = []
    # the finder reads only its page's edges (and bbox), which page content of either backend has
    finder = TableFinder(page, FinderSettings.resolve(finder_settings))  # type: ignore[arg-type]
    for table in finder.tables:
        bbox: BBox = tuple(float(v) for v in table.bbox)  # type: ignore[assignment]
        if _open_sided(bbox, rules, settings):
            continue  # a partial grid inside wider rules: the rule-band reader does it whole
        cells = [list(row.cells) for row in table.rows]
        result = _read_grid(cells, [w for w in words if w.inside(bbox, 0.0)], bbox, settings)
        if result is not None:
            found.append(result)
    return found


def _open_sided(bbox: BBox, rules: list[_Rule], settings: TableSettings) -> bool:
    """True when horizontal rules through the grid run well past its sides.

    pdfplumber only closes cells bounded on four sides, so a table with open outer sides
    (Federal Register style) comes back as its inner columns only.
    """
    slack = 2 * settings.snap_tolerance
    for rule in rules:
        crosses = bbox[1] - slack <= rule.y <= bbox[3] + slack and rule.x0 < bbox[2] and rule.x1 > bbox[0]
        if crosses and (rule.x0 < bbox[0] - slack or rule.x1 > bbox[2] + slack):
            return True
    return False


def _read_grid(
    cells: list[list[tuple[float, float, float, float] | None]],
    words: list[Word],
    bbox: BBox,
    settings: TableSettings,
) -> _Found | None:
    """pdfplumber's cell boxes → cleaned header and rows, or None if it is not a real table.

    A word goes to the row of the (smallest) cell holding it, so a label spanning several rows
    stays whole in its first row; but to the grid column under its centre, not the column
    where its cell starts: drawn cells of different rows need not share boundaries (a "88"
    cell starting one thin column left of its "Oui" header), so the printed position is the
    reliable one.
    """
    edges = sorted({c[0] for row in cells for c in row if c} | {c[2] for row in cells for c in row if c})
    if len(edges) < 2:
        return None
    title = title_bbox = None
    first = [c for c in cells[0] if c is not None and any(w.inside(c, 0.0) for w in words)]
    if len(first) == 1 and len(edges) >= 4 and first[0][2] - first[0][0] >= 0.8 * (bbox[2] - bbox[0]):
        # one cell across the whole first row: the table's title (its caption), not a header;
        # the table's box then starts below it, so the caption stays out of the table's regions
        title_words = [w for w in words if w.inside(first[0], 0.0)]
        title = _text(title_words, settings.x_tolerance)
        title_bbox = _union((w.x0, w.top, w.x1, w.bottom) for w in title_words)
        words = [w for w in words if not w.inside(first[0], 0.0)]
        bbox = (bbox[0], first[0][3], bbox[2], bbox[3])
    boxes = [(r, c) for r, row in enumerate(cells) for c in row if c is not None]
    per_row: list[list[list[Word]]] = [[[] for _ in edges[:-1]] for _ in cells]
    for word in words:
        holders = [(r, c) for r, c in boxes if word.inside(c, 0.0)]
        if not holders:
            continue
        row, cell = min(holders, key=lambda rc: (rc[1][2] - rc[1][0]) * (rc[1][3] - rc[1][1]))
        first_col, last_col = bisect_right(edges, cell[0] + 0.5) - 1, bisect_right(edges, cell[2] - 0.5) - 1
        if last_col - first_col + 1 >= max(2, (len(edges) - 1) / 2):
            column = first_col  # a cell across much of the table (a notes row): keep its text whole
        else:
            column = bisect_right(edges, word.cx) - 1
        per_row[row][max(0, min(len(edges) - 2, column))].append(word)
    grid: list[list[str]] = []
    for per_column in per_row:
        grid.extend(_split_banded(per_column, settings))
    if not grid:
        return None
    keep = [i for i in range(len(grid[0])) if any(row[i] for row in grid)]
    rows = [[row[i] for i in keep] for row in grid if any(row[i] for i in keep)]
    if not rows:
        return None
    header_rows, body = [rows[0]], rows[1:]
    while len(body) >= 2 and _continues_header(header_rows, body[0]):
        header_rows.append(body.pop(0))
    if not _valid(header_rows, body, settings):
        return None
    size = statistics.median([w.size for w in words]) if words else 0.0
    return _Found(bbox, header_rows, body, size, title=title, title_bbox=title_bbox)


def _continues_header(header_rows: list[list[str]], row: list[str]) -> bool:
    """Is this grid row more header, a header cell wrapped onto the next ruled row?

    Yes for a sparse row (at most half its cells filled) without digits whose text sits under
    header text ("Synthèse des" / "résultats", "RESSOURCES" / "NECESSAIRES"), or that leaves the
    label column empty under a labelled header.
    """
    filled = [i for i, cell in enumerate(row) if cell]
    if not filled or len(filled) > max(1, len(row) // 2) or any(ch.isdigit() for c in row for ch in c):
        return False
    under_header = all(any(h[i] for h in header_rows) for i in filled)
    return under_header or (bool(header_rows[0][0]) and not row[0])


def _split_banded(per_column: list[list[Word]], settings: TableSettings) -> list[list[str]]:
    """One ruled row holding several records on aligned lines → one row per line.

    Some grids rule every fifth record only (the NICS sheet). If every text line of the row
    has text in at least two cells and in most of the row's filled cells, the lines are
    records; otherwise (wrapped cells next to one-line cells) the row is one record and each
    cell's lines are joined.
    """
    tol = settings.x_tolerance
    lines = _group_lines(w for column in per_column for w in column)
    if len(lines) >= 2:
        column_of = {id(w): i for i, column in enumerate(per_column) for w in column}
        per_line = [{column_of[id(w)] for w in line.words} for line in lines]
        filled = sum(1 for column in per_column if column)
        if all(len(cols) >= max(2, settings.banded_fill_share * filled) for cols in per_line):
            out: list[list[str]] = []
            for line in lines:
                members = {id(w) for w in line.words}
                out.append([_text([w for w in c if id(w) in members], tol) for c in per_column])
            return out
    return [[_text(column, tol) for column in per_column]]


# --------------------------------------------------------------------------- rule bands


def _rule_groups(rules: list[_Rule], settings: TableSettings) -> list[list[_Rule]]:
    """Rules of one table, top to bottom, double rules merged.

    Rules belong together when they share an end and the shorter covers at least half the
    longer: full-width top/bottom rules plus row rules that skip a spanning label column
    (GAO), but not a column-wide footnote separator under a page-wide header rule.
    """
    groups: list[list[_Rule]] = []
    frames: list[_Rule] = []  # each group's widest rule
    for rule in rules:
        for group, frame in zip(groups, frames, strict=True):
            if _compatible(frame, rule, settings):
                if rule.y - group[-1].y > settings.rule_merge_gap:
                    group.append(rule)
                if rule.x1 - rule.x0 > frame.x1 - frame.x0:
                    frames[groups.index(group)] = rule
                break
        else:
            groups.append([rule])
            frames.append(rule)
    return [g for g in groups if len(g) >= 2]


def _compatible(a: _Rule, b: _Rule, settings: TableSettings) -> bool:
    tol = settings.rule_extent_tolerance
    shares_end = abs(a.x0 - b.x0) <= tol or abs(a.x1 - b.x1) <= tol
    widths = sorted((a.x1 - a.x0, b.x1 - b.x0))
    return shares_end and widths[0] >= 0.5 * widths[1]


def _segments(line: WordRun, separators: list[float] | None, settings: TableSettings) -> list[list[Word]]:
    """A line's words → cells: by vertical rules when drawn, else by wide gaps."""
    words = line.words  # markers stay: they are dropped when text is made, spacing intact
    if separators is not None:
        groups: dict[int, list[Word]] = {}
        for word in words:
            groups.setdefault(sum(1 for x in separators if x < word.cx), []).append(word)
        return [groups[k] for k in sorted(groups)]
    gap = settings.cell_gap_factor * line.size
    out: list[list[Word]] = [[words[0]]]
    for word in words[1:]:
        if word.x0 - out[-1][-1].x1 > gap:
            out.append([word])
        else:
            out[-1].append(word)
    return out


def _tabular(
    lines: list[WordRun], separators: list[float] | None, body_size: float, settings: TableSettings
) -> bool:
    """Do these lines read as table rows? Most split into cells, and (unruled) cells are short.

    Text smaller than the page's body text gets a looser test: a table of short sentences
    (wrapped over several lines, so most lines hold one cell) is still a table when set small.
    """
    if not lines:
        return False
    cells = [_segments(line, separators, settings) for line in lines]
    multi = sum(1 for c in cells if len(c) >= 2)
    if multi == 0:
        return False
    small = statistics.median(ln.size for ln in lines) < body_size - settings.body_size_margin
    if not small and multi < settings.tabular_line_share * len(lines):
        return False
    if separators:
        return True
    counts = [len(seg) for c in cells for seg in c]
    limit = settings.small_text_max_cell_words if small else settings.max_mean_cell_words
    return statistics.fmean(counts) <= limit


def _band_tables(
    words: list[Word],
    rules: list[_Rule],
    vrules: list[_VRule],
    taken: list[BBox],
    page_body_size: float,
    settings: TableSettings,
) -> list[_Found]:
    """Tables delimited by stacked same-width horizontal rules (booktabs and the like)."""
    found: list[_Found] = []
    for group in _rule_groups(rules, settings):
        body_size = _context_size(words, group, page_body_size, settings)
        # a slab spans the wider of its two rules (row rules may skip a spanning label column)
        slabs: list[BBox] = [(min(a.x0, b.x0), a.y, max(a.x1, b.x1), b.y) for a, b in pairwise(group)]
        kinds: list[str] = []
        for slab in slabs:
            lines = _lines_in(words, slab)
            separators = _separators(vrules, slab, settings)
            kind = "table" if _tabular(lines, separators, body_size, settings) else "other"
            kinds.append(kind if lines else "empty")
        for first, last in _runs(kinds):
            x0 = min(slab[0] for slab in slabs[first : last + 1])
            x1 = max(slab[2] for slab in slabs[first : last + 1])
            top, bottom = slabs[first][1], slabs[last][3]
            top, bottom = _extend_by_verticals(vrules, x0, x1, top, bottom, settings)
            region: BBox = (x0, top, x1, bottom)
            if any(_overlaps(region, box) for box in taken):
                continue
            cuts = sorted({y for y in (r.y for r in group) if top - 0.5 <= y <= bottom + 0.5} | {top, bottom})
            result = _read_band(words, region, cuts, vrules, settings)
            if result is not None:
                result.body_size = body_size
                found.append(result)
                taken.append(result.bbox)
    return found


def _context_size(words: list[Word], group: list[_Rule], fallback: float, settings: TableSettings) -> float:
    """Body-text size around a band of rules, measured away from its densest stretch of rules.

    A page that is mostly table has table-sized text as its most common size, so the words
    between closely stacked rules are left out; a far-away rule (a running-header rule above a
    table lower down) does not widen that stretch.
    """
    stretches: list[list[_Rule]] = [[group[0]]]
    for rule in group[1:]:
        if rule.y - stretches[-1][-1].y > settings.context_rule_gap:
            stretches.append([rule])
        else:
            stretches[-1].append(rule)
    boxes = [(min(r.x0 for r in s), s[0].y, max(r.x1 for r in s), s[-1].y) for s in stretches if len(s) > 1]
    return _body_size([w for w in words if not any(w.inside(box) for box in boxes)]) or fallback


def _runs(kinds: list[str]) -> list[tuple[int, int]]:
    """Maximal runs of tabular (or empty) slabs holding at least one tabular slab, ends trimmed."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(kinds):
        if kinds[i] != "table":
            i += 1
            continue
        j = i
        while j + 1 < len(kinds) and kinds[j + 1] in {"table", "empty"}:
            j += 1
        while kinds[j] == "empty":
            j -= 1
        runs.append((i, j))
        i = j + 1
    return runs


def _lines_in(words: list[Word], box: BBox) -> list[WordRun]:
    return _group_lines(w for w in words if w.inside(box, 0.0))


def _separators(vrules: list[_VRule], box: BBox, settings: TableSettings) -> list[float] | None:
    """x of inner vertical rules crossing most of ``box``; None when there are none."""
    x0, top, x1, bottom = box
    height = bottom - top
    if height <= 0:
        return None
    slack = settings.snap_tolerance
    spans: dict[float, float] = {}
    for v in vrules:
        if x0 + slack < v.x < x1 - slack:
            covered = min(v.bottom, bottom) - max(v.top, top)
            if covered > 0:
                key = next((k for k in spans if abs(k - v.x) <= slack), v.x)
                spans[key] = spans.get(key, 0.0) + covered
    xs = sorted(x for x, covered in spans.items() if covered >= 0.6 * height)
    return xs or None


def _extend_by_verticals(
    vrules: list[_VRule], x0: float, x1: float, top: float, bottom: float, settings: TableSettings
) -> tuple[float, float]:
    """Inner vertical rules running past the last (or first) horizontal rule carry the table on."""
    slack = settings.snap_tolerance
    inner = [v for v in vrules if x0 + slack < v.x < x1 - slack]
    changed = True
    while changed:
        changed = False
        for v in inner:
            if v.top <= bottom + slack and v.bottom > bottom + slack and v.top >= top - slack:
                bottom, changed = v.bottom, True
            if v.bottom >= top - slack and v.top < top - slack and v.bottom <= bottom + slack:
                top, changed = v.top, True
    return top, bottom


def _read_band(
    words: list[Word],
    region: BBox,
    cuts: list[float],
    vrules: list[_VRule],
    settings: TableSettings,
) -> _Found | None:
    """Words between the rules → header rows and body rows.

    The first slab is the header when there is a rule under it and more below; otherwise the
    first line is. Columns come from the vertical rules if any, else from body cells' x-ranges.
    """
    x0, top, x1, bottom = region
    slab_lines = [lines for a, b in pairwise(cuts) if (lines := _lines_in(words, (x0, a, x1, b)))]
    if not slab_lines:
        return None
    separators = _separators(vrules, region, settings)
    if len(slab_lines) >= 2:
        header_lines, body_slabs = slab_lines[0], slab_lines[1:]
    else:
        header_lines, body_slabs = slab_lines[0][:1], [slab_lines[0][1:]]
    body_lines = [line for slab in body_slabs for line in slab]
    if not body_lines:
        return None
    if separators is not None:
        columns = [(a, b) for a, b in zip([x0, *separators], [*separators, x1], strict=True)]
    else:
        columns = _columns(body_lines, settings)
    if len(columns) < settings.min_columns:
        return None

    def cells(line: WordRun) -> list[list[Word]]:
        out: list[list[Word]] = [[] for _ in columns]
        for segment in _segments(line, separators, settings):
            out[_column_of(segment, columns)].extend(segment)
        return out

    header_rows = [[_text(c, settings.x_tolerance) for c in cells(line)] for line in header_lines]
    ruled_rows = len(body_slabs) >= settings.ruled_rows_min_slabs
    rows: list[list[list[Word]]] = []
    for slab in body_slabs:
        left = min((w.x0 for line in slab for w in cells(line)[0]), default=x0)
        last: list[list[Word]] | None = None  # the previous line's cells, within this slab
        for line in slab:
            parts = cells(line)
            if last is not None and (ruled_rows or _continues(parts, last, left, settings)):
                for mine, more in zip(rows[-1], parts, strict=True):
                    mine.extend(more)
            else:
                rows.append([list(p) for p in parts])
            last = parts
    body = [[_text(cell, settings.x_tolerance) for cell in row] for row in rows]
    if not _valid(header_rows, body, settings):
        return None
    if len(slab_lines) < 2 and len(columns) < 3:
        return None  # one unruled slab of two columns: side headings beside prose, not a table
    if _looks_like_contents(header_rows, body):
        return None
    inside = [w for w in words if w.inside(region, 0.5) and not w.note_marker]
    box = _union([line.bbox for slab in slab_lines for line in slab] + [(x0, top, x1, bottom)])
    size = statistics.median([w.size for w in inside]) if inside else 0.0
    return _Found(box, header_rows, body, size)


_PAGE_NUMBER = re.compile(r"^(?:\d{1,4}|[ivxlc]{1,6})$", re.IGNORECASE)


def _looks_like_contents(header_rows: list[list[str]], rows: list[list[str]]) -> bool:
    """A table of contents between rules: the last column is page numbers, (nearly) rising."""
    last = [v for row in [*header_rows[:1], *rows] for v in row[-1].split()]
    if len(last) < 3 or not all(_PAGE_NUMBER.match(v) for v in last):
        return False
    numbers = [int(v) for v in last if v.isdigit()]
    if len(numbers) < 3 or all(1800 <= n <= 2100 for n in numbers):
        return False  # a column of years is data, not page numbers
    rising = sum(1 for a, b in pairwise(numbers) if b >= a)
    return rising >= 0.8 * (len(numbers) - 1)  # lists of tables restart the count once or twice


def _columns(lines: list[WordRun], settings: TableSettings) -> list[tuple[float, float]]:
    """Column x-ranges: the union of overlapping cell ranges over lines that have several cells.

    Right-aligned numbers of different widths overlap within their column; separate columns
    do not. Single-cell lines (section labels, spanning notes) are left out so they cannot
    fuse columns.
    """
    spans: list[tuple[float, float]] = []
    for line in lines:
        segments = _segments(line, None, settings)
        if len(segments) >= 2:
            spans.extend((min(w.x0 for w in s), max(w.x1 for w in s)) for s in segments)
    spans.sort()
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _column_of(segment: list[Word], columns: list[tuple[float, float]]) -> int:
    """The column a cell belongs to: most overlap, else nearest centre."""
    a, b = min(w.x0 for w in segment), max(w.x1 for w in segment)
    overlaps = [min(b, c1) - max(a, c0) for c0, c1 in columns]
    best = max(range(len(columns)), key=lambda i: overlaps[i])
    if overlaps[best] > 0:
        return best
    centre = (a + b) / 2
    return min(range(len(columns)), key=lambda i: abs((columns[i][0] + columns[i][1]) / 2 - centre))


def _continues(parts: list[list[Word]], last: list[list[Word]], left: float, settings: TableSettings) -> bool:
    """Is this line the wrapped continuation of the row above (within one ruled slab)?

    Yes when the first column is empty and the line fills fewer cells than the line above (or
    at most half the others): text wrapped in some cell. Yes also when only the first column is
    filled and it is indented under the labels (a hanging indent). A line with its own label
    starts a row, so a row with blank cells is not glued onto the one above.
    """
    filled = {i for i, p in enumerate(parts) if p}
    if not filled:
        return True
    if 0 not in filled:
        before = {i for i, p in enumerate(last) if p}
        return filled < before or len(filled) <= max(1, (len(parts) - 1) // 2)
    if filled == {0}:
        return min(w.x0 for w in parts[0]) > left + settings.indent_tolerance
    return False


# --------------------------------------------------------------------------- captions and notes


def _body_size(words: list[Word]) -> float:
    """The page's running-text size: the size carrying the most characters."""
    weights: Counter[float] = Counter()
    for word in words:
        weights[round(word.size, 1)] += len(word.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def _attach(found: _Found, free: list[Word], page_number: int, settings: TableSettings) -> Table:
    """Caption above (or below) and note/source lines below → the finished :class:`Table`.

    Only words within the table's width are looked at, so a neighbouring column's prose on the
    same baseline cannot glue onto a caption or a note.
    """
    caption_re = re.compile(settings.caption_pattern, re.IGNORECASE)
    source_re = re.compile(settings.source_pattern, re.IGNORECASE)
    note_re = re.compile(settings.note_pattern, re.IGNORECASE)
    box = found.bbox
    slack = 6.0
    near = [
        ln
        for ln in _group_lines(w for w in free if box[0] - slack <= w.cx <= box[2] + slack)
        if ln.x0 >= box[0] - slack and ln.x1 <= box[2] + slack
    ]

    def text_of(line: WordRun) -> str:
        return _text(line.words, settings.x_tolerance)

    def small(line: WordRun) -> bool:
        return (
            line.size <= found.size + settings.note_size_slack
            and line.size < found.body_size - settings.body_size_margin
        )

    caption_lines: list[WordRun] = []
    above = sorted((ln for ln in near if ln.bottom <= box[1] + 1), key=lambda ln: -ln.bottom)
    edge = box[1]
    run: list[WordRun] = []
    for line in above[: settings.max_caption_lines]:
        limit = settings.caption_gap_factor if not run else settings.note_line_gap_factor
        if edge - line.bottom > limit * line.size:
            break
        run.append(line)
        edge = line.top
        if caption_re.match(text_of(line)):
            caption_lines = list(reversed(run))
            break

    below = sorted((ln for ln in near if ln.top >= box[3] - 1), key=lambda ln: ln.top)
    edge = box[3]
    note_lines: list[WordRun] = []
    source_lines: list[WordRun] = []
    below_caption: list[WordRun] = []
    current: list[WordRun] | None = None
    for line in below[: settings.max_note_lines + settings.max_caption_lines]:
        text = text_of(line)
        limit = settings.note_gap_factor if current is None else settings.note_line_gap_factor
        if line.top - edge > limit * line.size:
            break
        if current is None and not caption_lines and caption_re.match(text):
            current = below_caption
        elif source_re.match(text):
            current = source_lines
        elif note_re.match(text):
            current = note_lines
        elif (
            current is below_caption
            and len(below_caption) < settings.max_caption_lines
            and (abs(line.size - below_caption[-1].size) <= 0.5)
        ):
            pass  # the caption wraps
        elif current is None or current is below_caption:
            if not small(line):
                break
            current = note_lines
        elif abs(line.size - current[-1].size) > 0.5:
            break
        current.append(line)
        edge = line.bottom
    if below_caption:
        caption_lines = below_caption

    caption = found.title
    caption_bbox = found.title_bbox
    if caption_lines:
        caption = _join_lines(text_of(ln) for ln in caption_lines)
        caption_bbox = _union(ln.bbox for ln in caption_lines)
    owned = [ln.bbox for ln in [*note_lines, *source_lines]]
    return Table(
        page=page_number,
        bbox=_union([box, *owned]),
        caption=caption,
        header=_header(found.header_rows),
        rows=found.rows,
        header_rows=found.header_rows,
        note=_join_lines(text_of(ln) for ln in note_lines) or None,
        source=_join_lines(text_of(ln) for ln in source_lines) or None,
        caption_bbox=caption_bbox,
    )


# --------------------------------------------------------------------------- public API


def find_tables(
    page: Page | PageContent, settings: TableSettings = DEFAULT_SETTINGS, words: list[Word] | None = None
) -> list[Table]:
    """Every table on ``page``, top to bottom, with caption, note and source attached.

    ``words`` are the page's words as the reader already extracted them (superscripts
    flagged), so a page is read once; without them the page is read here.
    ``page`` is a pdfplumber page or the content a backend read from one. ``Table.page`` is the
    1-based page number; ``Table.bbox`` covers the grid and its note/source lines (see
    :func:`table_regions`).
    """
    page = as_content(page)
    if words is None:
        words = _page_words(page, settings)
    if not words:
        return []
    rules, vrules = _rules(page, settings)
    found = _grid_tables(page, words, rules, settings)
    body_size = _body_size(words)
    found += _band_tables(words, rules, vrules, [f.bbox for f in found], body_size, settings)
    if not found:
        return []
    found.sort(key=lambda f: (f.bbox[1], f.bbox[0]))
    free = [w for w in words if not any(w.inside(f.bbox) for f in found)]
    for f in found:
        if not f.body_size:
            f.body_size = _body_size([w for w in words if not w.inside(f.bbox)]) or body_size
    return [_attach(f, free, page.page_number, settings) for f in found]


def table_regions(table: Table) -> list[BBox]:
    """Boxes whose words belong to the table, not the prose: the grid plus note/source lines.

    The caption is deliberately not included: it stays in the prose as a caption block
    (its box is ``table.caption_bbox``). A title lifted from a grid's spanning first row lies
    inside the grid and so is dropped with it.
    """
    return [table.bbox]
