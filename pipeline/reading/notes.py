"""Footnotes and endnotes: split into numbered notes, then linked to the markers in the body.

Notes are recognised by their numbering, which is the one thing every style shares: a note
starts on a line whose first word is the next number in sequence (raised or plain, "12" or
"12."); any other line continues the note before it, across columns and pages.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from ..document import Note
from .blocks import assemble
from .layout import Line

NOTE_NUMBER = re.compile(r"^(\d{1,3})[.)]?$")
SKIP = 5
"""Notes a run may be missing (left in the body, misread) before the next is still taken."""
NOTES_HEADING = re.compile(r"^(end\s*)?notes$|^notas$|^footnotes$", re.I)
REFERENCES_HEADING = re.compile(
    r"^(references|bibliography|works cited|sources|referencias|bibliografía)$", re.I
)


def leading_number(line: Line) -> int | None:
    match = NOTE_NUMBER.match(line.words[0].text)
    return int(match.group(1)) if match and len(line.words) > 1 else None


def _hanging_start(line: Line, note: list[Line]) -> bool:
    """A line standing out to the left of the note before it, whose lines after the first
    hang indented: a note's number in the hanging margin, not text running on."""
    rest = [ln for ln in note[1:] if ln.page == line.page and ln.column == line.column]
    return bool(rest) and min(ln.x0 for ln in rest) > line.x0 + 3


def split_notes(
    lines: list[Line], vocabulary: Counter[str], kind: Literal["footnote", "endnote"], first_expected: int = 1
) -> list[Note]:
    """Cut a run of note lines into notes by their sequence numbers."""
    groups: list[tuple[int, list[Line]]] = []
    expected = first_expected
    for line in lines:
        number = leading_number(line)
        starts = number is not None and (
            number == expected
            or (expected < number <= expected + 2 and line.words[0].superscript)
            or (groups and expected < number <= expected + SKIP and _hanging_start(line, groups[-1][1]))
            or not groups
        )
        if starts and number is not None:
            groups.append((number, [line]))
            expected = number + 1
        elif groups:
            groups[-1][1].append(line)
    notes = []
    for number, note_lines in groups:
        text = assemble(note_lines, vocabulary, skip_first_word=True)
        first = note_lines[0]
        notes.append(
            Note(
                n=number,
                text=text.text,
                page=first.page,
                bbox=first.bbox,
                kind=kind,
                fragments=text.fragments,
            )
        )
    return notes
