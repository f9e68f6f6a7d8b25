"""Opening bad input: each file gets its own specific code and message, and nothing escapes.

Real files only: the corpus in ``shared/corpus/bad/`` plus small PDFs built here (reportlab, or
by hand when a test needs one exact defect).
"""

from __future__ import annotations

import gc
import hashlib
import io
import logging
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from reportlab.pdfgen import canvas

from pipeline.config import LimitSettings
from pipeline.document import Status
from pipeline.errors import ErrorCode, is_fatal
from pipeline.reading import opening
from pipeline.reading.opening import (
    GARBLED_PAGE_SHARE,
    OpenedPdf,
    PageTextInfo,
    open_pdf,
    text_layer_problems,
    text_layer_report,
)
from pipeline.reading.reader import read_pdf

E = ErrorCode


@dataclass(frozen=True)
class Expect:
    codes: tuple[ErrorCode, ...] = ()
    """What opening reports, in order."""
    text: tuple[ErrorCode, ...] | None = None
    """What the text-layer check reports over all pages (None: the file does not open)."""
    words: tuple[str, ...] = ()
    """Words the messages must contain, so the user knows what to do."""


BAD: dict[str, Expect] = {
    "camelot-tabula__argentina_diputados_voting_record.pdf": Expect(
        text=(E.GARBLED_FONT,), words=("Edwardian-Script-ITC", "unreadable")
    ),
    "camelot__image-scanned-no-text-layer.pdf": Expect(text=(E.NEEDS_OCR,), words=("OCR",)),
    "empty.pdf": Expect(text=()),  # one blank page: opens fine, nothing to extract, nothing to OCR
    "gao-reader__gao-08-1075t__actually-HTML-not-PDF.pdf": Expect((E.NOT_PDF,), words=("HTML",)),
    "neighborhood-encrypted.pdf": Expect((E.ENCRYPTED,), words=("--password",)),
    "neighborhood-scanned-p1-4.pdf": Expect(text=(E.NEEDS_OCR,), words=("4 page(s)", "OCR")),
    "neighborhood-truncated.pdf": Expect((E.TRUNCATED,), words=("truncated", "264,885 bytes")),
    "not-a-pdf.pdf": Expect((E.NOT_PDF,), words=("plain text",)),  # its content is never quoted
    "pdfminer__encryption-aes-256-r6__pw-usersecret.pdf": Expect((E.ENCRYPTED,), words=("--password",)),
    "pdfminer__pdf-with-jbig2-image-only.pdf": Expect(text=(E.NEEDS_OCR,), words=("OCR",)),
    "pdfminer__zen_of_python_corrupted.pdf": Expect((E.REPAIRED,), text=(), words=("corrupted",)),
    "pdfplumber__empty-0-bytes.pdf": Expect((E.EMPTY_FILE,), words=("0 bytes",)),
    "pdfplumber__malformed-from-issue-932.pdf": Expect((E.REPAIRED,), text=(), words=("upside down",)),
    "pdfplumber__password-example__pw-test.pdf": Expect((E.ENCRYPTED,), words=("--password",)),
    "pysamplefiles__005-libreoffice-writer-password__pw-openpassword.pdf": Expect(
        (E.ENCRYPTED,), words=("--password",)
    ),
    "pysamplefiles__017-unreadablemetadata.pdf": Expect((E.REPAIRED,), text=(), words=("cross-reference",)),
}

PASSWORDS = {
    "neighborhood-encrypted.pdf": "secret",
    "pdfminer__encryption-aes-256-r6__pw-usersecret.pdf": "usersecret",
    "pdfplumber__password-example__pw-test.pdf": "test",
    "pysamplefiles__005-libreoffice-writer-password__pw-openpassword.pdf": "openpassword",
}


@pytest.fixture(scope="module")
def bad_dir(shared_dir: Path) -> Path:
    return shared_dir / "corpus" / "bad"


def _codes(opened: OpenedPdf) -> list[str]:
    return [p.code for p in opened.problems]


def _text_infos(opened: OpenedPdf) -> list[PageTextInfo]:
    assert opened.pdf is not None
    return [text_layer_report(page) for page in opened.pdf.pages]


def _assert_consistent(opened: OpenedPdf) -> None:
    """At most one fatal problem, and exactly when there is no PDF."""
    fatal = [p for p in opened.problems if is_fatal(p.code)]
    assert len(fatal) <= 1
    assert (opened.pdf is None) == bool(fatal)
    assert opened.ok == (opened.pdf is not None)
    assert opened.fatal == (fatal[0] if fatal else None)


# --------------------------------------------------------------------------- the corpus


def test_every_bad_file_has_an_expectation(bad_dir: Path) -> None:
    assert sorted(p.name for p in bad_dir.iterdir()) == sorted(BAD)
    assert set(PASSWORDS) <= set(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_gets_its_specific_code(bad_dir: Path, name: str) -> None:
    expect = BAD[name]
    path = bad_dir / name
    with open_pdf(path) as opened:  # no exception may escape, whatever the file
        _assert_consistent(opened)
        assert _codes(opened) == [c.value for c in expect.codes]
        assert opened.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        messages = [p.message for p in opened.problems]
        if expect.text is not None:
            assert opened.pdf is not None and opened.pages >= 1
            found = text_layer_problems(_text_infos(opened))
            assert [p.code for p in found] == [c.value for c in expect.text]
            messages += [p.message for p in found]
        else:
            assert opened.pdf is None
    text = " ".join(messages)
    for word in expect.words:
        assert word in text, f"{word!r} not in {text!r}"
    assert opened.pdf is None  # closed on exit


SCANS = ["neighborhood-scanned-p1-4.pdf", "camelot__image-scanned-no-text-layer.pdf"]


@pytest.mark.parametrize("name", SCANS)
def test_scans_say_needs_ocr_page_by_page(bad_dir: Path, name: str) -> None:
    with open_pdf(bad_dir / name) as opened:
        infos = _text_infos(opened)
    assert infos and all(i.needs_ocr and i.chars == 0 and i.has_images for i in infos)


def test_blank_page_is_blank_not_a_scan(bad_dir: Path) -> None:
    with open_pdf(bad_dir / "empty.pdf") as opened:
        (info,) = _text_infos(opened)
    assert info.blank and not info.needs_ocr


def test_garbage_heading_font_is_measured(bad_dir: Path) -> None:
    with open_pdf(bad_dir / "camelot-tabula__argentina_diputados_voting_record.pdf") as opened:
        (info,) = _text_infos(opened)
    assert info.chars > 2000
    assert info.worst_font == "Edwardian-Script-ITC"
    assert info.worst_font_share > 0.7  # "Honorable Cámara ..." comes out as "[ÉÇÉÜtuÄx VöÅtÜt ..."
    assert 0 < info.garbled_share < GARBLED_PAGE_SHARE  # the table itself reads fine


def test_upside_down_page_box_is_repaired(bad_dir: Path) -> None:
    with open_pdf(bad_dir / "pdfplumber__malformed-from-issue-932.pdf") as opened:
        assert opened.pdf is not None
        page = opened.pdf.pages[0]
        assert opened.problems[0].page == 1
        assert page.extract_text() == "2021 3 31"
        assert all(c["top"] >= 0 and c["bottom"] <= page.height for c in page.chars)


@pytest.mark.parametrize("name", sorted(PASSWORDS))
def test_right_password_opens(bad_dir: Path, name: str) -> None:
    with open_pdf(bad_dir / name, password=PASSWORDS[name]) as opened:
        _assert_consistent(opened)
        assert opened.problems == []
        assert opened.pdf is not None
        assert len(opened.pdf.pages[0].chars) > 0


@pytest.mark.parametrize("name", sorted(PASSWORDS))
def test_wrong_password_is_reported_as_such(bad_dir: Path, name: str) -> None:
    with open_pdf(bad_dir / name, password="not-the-password") as opened:
        assert _codes(opened) == [E.WRONG_PASSWORD.value]
        assert "password" in opened.problems[0].message
        assert opened.pdf is None


# --------------------------------------------------------------------------- files made here


def _reportlab_pdf(pages: int = 3) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for n in range(1, pages + 1):
        for line in range(40):
            pdf.drawString(72, 760 - 16 * line, f"Page {n}, line {line}: citizen security cooperation.")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
BROKEN_FONT = b"<< /Type /Font /Subtype /Type0 /BaseFont /Broken /Encoding /Identity-H >>"
"""A composite font without its /DescendantFonts: pdfminer raises KeyError on any page using it."""


def _text(words: str) -> bytes:
    return f"BT /F1 12 Tf 20 100 Td ({words}) Tj ET".encode()


def _hand_built_pdf(*pages: tuple[bytes, bytes], flate: bool = False) -> bytes:
    """A minimal PDF, one (font, content stream) pair per page, so a test can break exactly one
    thing; with ``flate`` the streams are taken as already-compressed data."""
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
    ]
    for i, (font, data) in enumerate(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %s >> >> >>" % (4 + 2 * i, font)
        )
        filters = b" /Filter /FlateDecode" if flate else b""
        objects.append(b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), filters, data))
    return _assemble(objects)


def _assemble(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _write(tmp_path: Path, data: bytes, name: str = "doc.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_zero_bytes(tmp_path: Path) -> None:
    opened = open_pdf(_write(tmp_path, b""))
    assert _codes(opened) == [E.EMPTY_FILE.value]
    assert "empty" in opened.problems[0].message
    assert opened.sha256 == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize(
    ("head", "guess"),
    [
        (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>", "HTML page"),
        (b"\n\n  <html>\n<body>Access denied</body></html>", "HTML page"),
        (b"Meeting notes, not a PDF at all.\nSecond line.\n", "plain text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image"),
        (b"PK\x03\x04" + bytes(64), "ZIP archive"),
        (b"\n \n\t", "blank space"),
    ],
)
def test_not_a_pdf_says_what_it_is(tmp_path: Path, head: bytes, guess: str) -> None:
    opened = open_pdf(_write(tmp_path, head))
    assert _codes(opened) == [E.NOT_PDF.value]
    assert guess in opened.problems[0].message


def test_reportlab_pdf_cut_in_half_is_truncated(tmp_path: Path) -> None:
    data = _reportlab_pdf()
    with open_pdf(_write(tmp_path, data, "whole.pdf")) as whole:
        assert whole.problems == [] and whole.pages == 3
    opened = open_pdf(_write(tmp_path, data[: len(data) // 2]))
    assert _codes(opened) == [E.TRUNCATED.value]
    assert "truncated" in opened.problems[0].message
    assert f"{len(data) // 2:,} bytes" in opened.problems[0].message
    assert opened.pdf is None


def test_missing_eof_marker_but_readable_is_a_warning(tmp_path: Path) -> None:
    data = _reportlab_pdf()
    cut = data[: data.rindex(b"%%EOF")]
    with open_pdf(_write(tmp_path, cut)) as opened:
        assert _codes(opened) == [E.REPAIRED.value]
        assert "end-of-file" in opened.problems[0].message
        assert opened.pages == 3


def test_junk_before_header_still_opens(tmp_path: Path) -> None:
    with open_pdf(_write(tmp_path, b"HTTP/1.1 200 OK\r\n\r\n" + _reportlab_pdf())) as opened:
        assert opened.pdf is not None and opened.pages == 3
        assert "junk" in opened.problems[0].message
        assert all(not is_fatal(p.code) for p in opened.problems)


def test_broken_xref_is_rebuilt_with_a_warning(tmp_path: Path) -> None:
    data = _reportlab_pdf()
    at = data.rindex(b"startxref") + len(b"startxref\n")
    broken = data[:at] + b"9" + data[at + 1 :]  # point the xref offset at the wrong place
    with open_pdf(_write(tmp_path, broken)) as opened:
        assert _codes(opened) == [E.REPAIRED.value]
        assert "cross-reference" in opened.problems[0].message
        assert opened.pdf is not None and "Page 2" in opened.pdf.pages[1].extract_text()


def test_corrupted_stream_on_a_later_page_is_reported_once_at_opening(tmp_path: Path) -> None:
    page_two = zlib.compress(_text("Page two"))
    damaged = page_two[:-1] + bytes([page_two[-1] ^ 0xFF])  # checksum wrong, data intact
    data = _hand_built_pdf((HELVETICA, zlib.compress(_text("Page one"))), (HELVETICA, damaged), flate=True)
    with open_pdf(_write(tmp_path, data)) as opened:
        (warning,) = opened.problems  # the content check decodes every page's streams
        assert warning.code == E.REPAIRED.value and "corrupted" in warning.message
        assert opened.pdf is not None
        assert opened.pdf.pages[1].extract_text() == "Page two"  # pdfminer recovers the text ...
        assert opened.drain_recoveries() == []  # ... and its own warning is not a second one
        assert opened.problems == [warning]


def test_a_page_pdfium_reads_is_not_parsed_by_pdfminer_at_opening(tmp_path: Path) -> None:
    data = _hand_built_pdf((HELVETICA, _text("Page one")), (HELVETICA, _text("Page two")))
    with open_pdf(_write(tmp_path, data)) as opened:
        assert opened.problems == [] and opened.pdf is not None
        assert not hasattr(opened.pdf.pages[0], "_objects")  # pdfplumber caches its parse there


def test_no_pages(tmp_path: Path) -> None:
    data = _assemble([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    opened = open_pdf(_write(tmp_path, data))
    assert _codes(opened) == [E.NO_PAGES.value]
    assert opened.pdf is None


def test_only_page_unreadable_is_malformed(tmp_path: Path) -> None:
    opened = open_pdf(_write(tmp_path, _hand_built_pdf((BROKEN_FONT, _text("Hi")))))
    assert _codes(opened) == [E.MALFORMED.value]
    assert "DescendantFonts" in opened.problems[0].message
    assert opened.pdf is None


def test_unreadable_first_page_of_several_is_a_page_warning(tmp_path: Path) -> None:
    data = _hand_built_pdf((BROKEN_FONT, _text("One")), (HELVETICA, _text("Two")))
    with open_pdf(_write(tmp_path, data)) as opened:
        assert _codes(opened) == [E.PAGE_UNREADABLE.value]
        assert opened.problems[0].page == 1 and "page 1" in opened.problems[0].message
        assert opened.pdf is not None and opened.pdf.pages[1].extract_text() == "Two"


def test_unsupported_encryption(bad_dir: Path, tmp_path: Path) -> None:
    data = (bad_dir / "pdfplumber__password-example__pw-test.pdf").read_bytes()
    data = data.replace(b"/Filter /Standard", b"/Filter /PubSecXY", 1)  # same length: xref stays valid
    opened = open_pdf(_write(tmp_path, data), password="test")
    assert _codes(opened) == [E.ENCRYPTION_UNSUPPORTED.value]
    assert "decrypt" in opened.problems[0].message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = open_pdf(tmp_path / "nope.pdf")
    assert _codes(missing) == [E.NOT_FOUND.value] and "nope.pdf" in missing.problems[0].message
    folder = open_pdf(tmp_path)
    assert _codes(folder) == [E.NOT_FOUND.value] and "directory" in folder.problems[0].message


def test_nothing_escapes_even_for_nonsense_arguments() -> None:
    opened = open_pdf(12345)  # type: ignore[arg-type]
    assert _codes(opened) == [E.INTERNAL.value]
    assert "TypeError" in opened.problems[0].message


def test_closing_releases_file_and_log_handler(tmp_path: Path) -> None:
    logger = logging.getLogger("pdfminer")
    before = list(logger.handlers)
    good = _write(tmp_path, _reportlab_pdf(1), "good.pdf")
    bad = _write(tmp_path, _reportlab_pdf(1)[:500], "bad.pdf")
    opened = open_pdf(good)
    assert len(logger.handlers) == len(before) + 1
    stream = opened._stream
    with opened:
        pass
    assert opened.pdf is None and stream is not None and stream.closed
    opened.close()  # twice is fine
    assert not open_pdf(bad).ok
    assert logger.handlers == before
    forgotten = open_pdf(good)
    stream = forgotten._stream
    del forgotten  # never closed: garbage collection must still release everything
    gc.collect()
    assert stream is not None and stream.closed
    assert logger.handlers == before


def test_a_non_pdf_is_never_quoted(tmp_path: Path) -> None:
    opened = open_pdf(_write(tmp_path, b"root:x:0:0:root:/root:/bin/bash\nsecret:$6$hash\n"))
    assert _codes(opened) == [E.NOT_PDF.value]
    assert "root:x" not in opened.problems[0].message and "secret" not in opened.problems[0].message


def test_zeroed_content_is_named_page_by_page_and_fails_when_it_is_all_there_is(tmp_path: Path) -> None:
    good = zlib.compress(_text("Page one"))
    zeroed = bytes(len(good))
    with open_pdf(
        _write(tmp_path, _hand_built_pdf((HELVETICA, good), (HELVETICA, zeroed), flate=True))
    ) as half:
        assert _codes(half) == [E.PAGES_DAMAGED.value]
        assert half.problems[0].message.endswith(": 2")
    everything = _hand_built_pdf((HELVETICA, zeroed), (HELVETICA, zeroed), flate=True)
    with open_pdf(_write(tmp_path, everything, "all.pdf")) as gone:  # never "success" with no text
        assert _codes(gone) == [E.CONTENT_DAMAGED.value] and gone.pdf is None


def test_a_flate_bomb_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    bomb = zlib.compress(b"BT /F1 12 Tf 20 100 Td (x) Tj ET" + b" " * (3 << 20), 9)
    opening.configure(LimitSettings(max_stream_mb=1))
    try:
        with open_pdf(_write(tmp_path, _hand_built_pdf((HELVETICA, bomb), flate=True))) as opened:
            assert _codes(opened) == [E.CONTENT_LIMIT.value] and "max_stream_mb" in opened.problems[0].message
    finally:
        opening.configure(LimitSettings())


def test_pdfium_decides_when_pdfminer_cannot_open_the_file(tmp_path: Path) -> None:
    data = _reportlab_pdf(3)
    cut = data[: data.rindex(b"xref")]  # cut before the xref: pdfminer finds no /Root, PDFium reads it
    path = _write(tmp_path, cut)
    with open_pdf(path) as opened:
        assert opened.pdf is not None and opened.pages == 3
        assert any("PDFium" in p.message for p in opened.problems)
    document = read_pdf(path)
    assert document.status == Status.PARTIAL and "Page 3, line 39" in document.text


def test_pdfminer_is_stopped_when_it_takes_too_long(tmp_path: Path) -> None:
    path = _write(tmp_path, _reportlab_pdf(1))
    slow = mock.patch.object(opening, "_normalise_page_boxes", side_effect=lambda pages: time.sleep(5))
    opening.configure(LimitSettings(open_seconds=0.5))
    try:
        started = time.monotonic()
        with slow, open_pdf(path) as opened:  # PDFium reads it: the file still opens
            assert opened.pdf is not None and any("PDFium" in p.message for p in opened.problems)
        assert time.monotonic() - started < 3
    finally:
        opening.configure(LimitSettings())
