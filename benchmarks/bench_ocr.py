"""OCR: seconds per scanned page, and word recall against the reading truth.

Eight pages of each seed rendering are drawn at 300 dpi into picture-only PDFs (no text layer,
as a scanner makes them) and read with ``--ocr auto``; the body words are compared in order
with the stretch of ``truth/neighborhood/body.jsonl`` those pages hold, and the notes with the
notes the born-digital pages hold. The field report set in two columns is scanned whole and
compared with the text it was typeset from (words in order, notes found). Run with
``make bench-ocr`` (needs the ``tesseract`` program; ``make setup`` installs it where it can).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the measuring helpers live beside the tests

from pipeline.config import ReadingSettings  # noqa: E402
from pipeline.reading.ocr import INSTALL_HINT, ocr_available  # noqa: E402
from pipeline.reading.reader import read_pdf  # noqa: E402
from tests.reading.measure import normalized_words, read_truth, score, word_scores  # noqa: E402
from tests.reading.scans import (  # noqa: E402
    body_recall,
    body_words,
    image_only_pdf,
    truth_body_words,
    truth_window,
)

TWO_COLUMN_FIELD = "wh-rootcauses-report-2022"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=ROOT.parent / "shared", help="the shared corpus folder"
    )
    parser.add_argument("--pages", type=int, default=8, help="pages of each rendering to scan")
    parser.add_argument("--dpi", type=int, default=300)
    args = parser.parse_args()
    if not ocr_available():
        print(f"OCR is not installed: {INSTALL_HINT}", file=sys.stderr)
        return 2
    truth = truth_body_words(args.shared / "corpus" / "truth" / "neighborhood")
    pages = list(range(1, args.pages + 1))
    print(
        f"{'rendering':<10} {'pages':>5} {'s/page':>7} {'recall':>7} {'precision':>9} {'confidence':>10}"
        f" {'notes':>7} {'note words':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for rendering in ("1col", "2col"):
            source = args.shared / "corpus" / "reports" / f"neighborhood-{rendering}.pdf"
            scan = image_only_pdf(source, Path(tmp) / f"{rendering}.pdf", pages, args.dpi)
            born = read_pdf(source, ReadingSettings(max_pages=len(pages), ocr="never"))
            expected = truth_window(truth, body_words(born))
            start = time.perf_counter()
            document = read_pdf(scan, ReadingSettings(ocr_dpi=args.dpi))
            seconds = time.perf_counter() - start
            recall, precision = body_recall(document, expected)
            confidence = sum(p.confidence for p in document.ocr) / max(1, len(document.ocr))
            born_notes = {n.n: n.text for n in born.footnotes}
            notes = {n.n: n.text for n in document.footnotes}
            note_recall, _ = word_scores(
                [w for n in sorted(born_notes) for w in normalized_words(born_notes[n])],
                [w for n in sorted(notes) for w in normalized_words(notes[n])],
            )
            found = f"{len(notes.keys() & born_notes.keys())}/{len(born_notes)}"
            print(
                f"{rendering:<10} {len(document.ocr):>5} {seconds / len(pages):>7.2f} {recall:>7.3f}"
                f" {precision:>9.3f} {confidence:>10.1f} {found:>7}"
                f" {note_recall if born_notes else float('nan'):>10.3f}"
            )
            print(f"{'':<10} OCR alone: {document.ocr_seconds / len(pages):.2f} s/page")
        field = args.shared / "corpus" / "field"
        source = field / "pdf" / f"{TWO_COLUMN_FIELD}.pdf"
        count = read_pdf(source, ReadingSettings(ocr="never")).pages
        scan = image_only_pdf(source, Path(tmp) / "field.pdf", list(range(1, count + 1)), args.dpi)
        start = time.perf_counter()
        document = read_pdf(scan, ReadingSettings(ocr_dpi=args.dpi))
        seconds = time.perf_counter() - start
        result = score(document, read_truth(field / "text" / f"{TWO_COLUMN_FIELD}.txt"))
        print(f"\n{TWO_COLUMN_FIELD} ({count} pages, two columns, notes across the foot), scanned:")
        print(f"  {seconds / count:.2f} s/page  words and notes: {result.row()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
