"""Open one PDF safely and say precisely what is wrong with bad input.

A batch reads hundreds of files that people downloaded, scanned, cut short or protected; any of
them can make pdfminer raise almost anything. :func:`open_pdf` never raises: it sniffs the bytes
first (empty? HTML? no ``%%EOF``?), opens the file inside one guarded region that also forces
pdfplumber's lazy steps (page tree, page 1), and maps every failure to one coded
:class:`~pipeline.document.Problem` from :mod:`pipeline.errors`. Damage that pdfminer silently
works around (rebuilt cross-reference table, corrupted stream, upside-down page box) becomes a
``W204`` warning, so a document is reported *partial* rather than quietly wrong.

:func:`text_layer_report` measures one page's text layer so the caller can tell a scan that
needs OCR, a blank page and a font whose text extracts as garbage apart;
:func:`text_layer_problems` turns those measures into coded problems for the whole document.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import errno
import functools
import hashlib
import itertools
import logging
import os
import re
import signal
import stat
import threading
import unicodedata
import weakref
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, BinaryIO

import pdfminer
import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect, PDFXRefFallback
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psexceptions import PSEOF, PSException
from pdfplumber.page import Page
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from ..config import LimitSettings
from ..document import Problem
from ..errors import ErrorCode, is_fatal, problem
from .content import PageContent, as_content
from .pdfium_pages import PDFIUM_LOCK

HEAD_WINDOW = 1024
"""Like Acrobat, accept junk before ``%PDF-`` as long as the header starts in the first KB."""
TAIL_WINDOW = 2048
"""``%%EOF`` must appear this close to the end; further up means the file was cut short."""

GARBLED_PAGE_SHARE = 0.3
"""A page whose text is at least this share garbage gets ``W203``."""
GARBLED_FONT_SHARE = 0.5
"""A font whose text on a page is at least this share garbage gets ``W206`` ..."""
GARBLED_FONT_MIN_CHARS = 20
"""... if it sets at least this many characters there (a logo's two odd glyphs are no signal)."""

_LIMITS = LimitSettings()
"""This process's limits: the reader hands the opener no settings, so a run sets them once per
process with :func:`configure` (a worker, the ``parse`` command) before reading."""


def configure(limits: LimitSettings) -> None:
    """Use ``limits`` for every file this process opens from now on."""
    global _LIMITS
    _LIMITS = limits


_PARSER_DIRS = tuple(str(Path(module.__file__).parent) for module in (pdfminer, pdfplumber))

# pdfminer logs (never raises) when it works around damage; these are the messages that mean
# content may be lost or misplaced, with what to tell the user.
_PARTLY_DECODED = "a compressed stream is corrupted and was only partly decoded"
_RECOVERY_MARKERS: tuple[tuple[str, str], ...] = (
    ("Data-loss while decompressing", _PARTLY_DECODED),
    ("MediaBox missing", "a page has no size (MediaBox); US Letter was assumed"),
    ("Invalid MediaBox", "a page size (MediaBox) is invalid; US Letter was assumed"),
    ("Invalid CropBox", "a page's CropBox is invalid; its MediaBox was used"),
    ("Not adding object", "some cross-reference entries are unreadable and were skipped"),
)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive, e.g. a .docx or .xlsx file"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.doc/.xls/.ppt)"),
    (b"{\\rtf", "an RTF document"),
    (b"%!PS", "a PostScript file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<script")


# --------------------------------------------------------------------------- opening


class _RecoveryLog(logging.Handler):
    """Collects pdfminer's "worked around damage" warnings for one document.

    Attached to the ``pdfminer`` logger while the document is open; only records from the thread
    that opened it count, so documents read in parallel threads do not blame each other. It sees
    nothing if someone raises the ``pdfminer`` logger's level above WARNING (silence pdfminer with
    ``propagate = False`` instead).
    """

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self._thread = threading.get_ident()
        self.details: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread:
            return
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not break reading
            return
        for marker, detail in _RECOVERY_MARKERS:
            if marker in message:
                self.add(detail)

    def add(self, detail: str) -> None:
        """Note damage once: found again by pdfminer, with or without the pages it is on, it is
        the same damage."""
        if not any(seen.startswith(detail) or detail.startswith(seen) for seen in self.details):
            self.details.append(detail)


@dataclass
class OpenedPdf:
    """An open PDF (or why there is none); use as a context manager so the file gets closed.

    ``problems`` holds at most one fatal (``E``) problem, and then ``pdf`` is None; warnings
    (``W``) mean the document opened but something was repaired or is missing.
    """

    pdf: pdfplumber.PDF | None
    problems: list[Problem]
    sha256: str
    path: Path | None = None
    pages: int = 0
    _stream: BinaryIO | None = field(default=None, repr=False)
    _log: _RecoveryLog | None = field(default=None, repr=False)
    _reported: int = field(default=0, repr=False)
    _finalizer: weakref.finalize | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # Safety net for callers that forget to close: release the file and the log handler when
        # this object is garbage-collected, instead of leaking one handler per document.
        if self.pdf is not None or self._stream is not None or self._log is not None:
            self._finalizer = weakref.finalize(self, _release, self.pdf, self._stream, self._log)

    @property
    def ok(self) -> bool:
        return self.pdf is not None

    @property
    def fatal(self) -> Problem | None:
        return next((p for p in self.problems if is_fatal(p.code)), None)

    def drain_recoveries(self) -> list[Problem]:
        """New ``W204`` warnings for damage pdfminer worked around since the last call.

        Opening parses only page 1; call this after reading the other pages so a corrupted
        stream on page 17 is reported too. The warnings are also appended to ``problems``.
        """
        if self._log is None:
            return []
        new = [problem(ErrorCode.REPAIRED, detail=d) for d in self._log.details[self._reported :]]
        self._reported = len(self._log.details)
        self.problems.extend(new)
        return new

    def close(self) -> None:
        """Close the PDF and the file; safe to call twice, never raises."""
        self.pdf = self._stream = self._log = None
        if self._finalizer is not None:
            self._finalizer()  # runs _release once; later calls do nothing

    def __enter__(self) -> OpenedPdf:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_pdf(path: str | Path, password: str | None = None) -> OpenedPdf:
    """Open ``path`` with pdfplumber; every failure comes back as a coded problem, never raised."""
    try:
        return _open(Path(path), password or None)
    except PermissionError as exc:
        return OpenedPdf(None, [permission_problem(Path(path), exc)], sha256="")
    except Exception as exc:  # last line of defence: one bad file must not stop the batch
        return OpenedPdf(None, [problem(ErrorCode.INTERNAL, detail=_describe(exc))], sha256="")


def shown_path(path: str | Path) -> str:
    """A path as text that encodes: bytes that are not UTF-8 become ``\\xNN`` (lossless, printable)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def permission_problem(path: Path, exc: OSError) -> Problem:
    return problem(ErrorCode.PERMISSION_DENIED, path=shown_path(path), detail=exc.strerror or str(exc))


def file_kind(mode: int) -> str | None:
    """What a non-regular file is (None for a regular file): opening a FIFO would wait forever."""
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def _open(path: Path, password: str | None) -> OpenedPdf:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            return OpenedPdf(None, [permission_problem(path, exc)], "", path)
        return OpenedPdf(None, [problem(ErrorCode.NOT_FOUND, path=shown_path(path))], "", path)
    kind = file_kind(mode)
    if kind == "a directory":
        return OpenedPdf(
            None, [problem(ErrorCode.NOT_FOUND, path=f"{shown_path(path)} (a directory)")], "", path
        )
    if kind is not None:
        return OpenedPdf(
            None, [problem(ErrorCode.NOT_REGULAR_FILE, kind=kind, path=shown_path(path))], "", path
        )
    sha256, size, head, tail = _fingerprint(path)

    def fail(code: ErrorCode, **fields: object) -> OpenedPdf:
        return OpenedPdf(None, [problem(code, **fields)], sha256, path)

    if size == 0:
        return fail(ErrorCode.EMPTY_FILE)
    start = head.find(b"%PDF-")
    if start < 0:
        return fail(ErrorCode.NOT_PDF, head=_snippet(head), guess=_guess_kind(head))
    has_eof = b"%%EOF" in tail
    # PDFium decides whether the file can be read at all: it reads damaged files pdfminer
    # rejects (a cut xref, a /Prev loop, odd page boxes). pdfminer still opens it for its checks
    # and as the page-by-page fallback, within a time bound: a file of zeros keeps it busy for minutes.
    pdfium_pages, pdfium_error = _pdfium_page_count(path, password)

    stream = path.open("rb")
    log = _RecoveryLog()
    logging.getLogger("pdfminer").addHandler(log)
    pdf: pdfplumber.PDF | None = None
    try:
        with _deadline(_LIMITS.open_seconds):
            pdf = pdfplumber.open(stream, password=password)
            pdf.path = path  # pdfplumber leaves it None for streams; keep it for display helpers
            pages = pdf.pages  # walks the whole page tree: broken trees fail here
            flipped = _normalise_page_boxes(pages)
        content = _check_content(pages, _LIMITS.max_stream_mb)
        if content.too_large is not None:
            _release(pdf, stream, log)
            return fail(ErrorCode.CONTENT_LIMIT, page=content.too_large, limit=_LIMITS.max_stream_mb)
        if content.damaged and len(content.damaged) == len(pages):
            _release(pdf, stream, log)
            return fail(ErrorCode.CONTENT_DAMAGED, pages=len(pages), detail=content.detail)
        # pdfminer parses page 1 only where PDFium finds no text on it: a parse error on a page
        # PDFium reads loses nothing. (Asked only now: the content checks above keep a
        # decompression bomb from PDFium too.)
        first_page_error = None
        if 1 not in content.damaged and not (pdfium_pages and _pdfium_reads_text(path, password, 0)):
            with _deadline(_LIMITS.open_seconds):
                first_page_error = _parse_first_page(pages)
    except (Exception, _Overtime) as exc:
        _release(pdf, stream, log, walk=not isinstance(exc, _Overtime))
        if pdfium_pages and not _is_password_error(exc):
            return _pdfium_only(path, sha256, pdfium_pages, exc)
        if isinstance(exc, _Overtime) and pdfium_error is not None:
            detail = f"PDFium cannot load it ({pdfium_error}) and pdfminer did not finish parsing it: {exc}"
            return fail(ErrorCode.MALFORMED, detail=detail)
        return OpenedPdf(None, [_classify(exc, password, has_eof, size)], sha256, path)

    if content.partly_decoded:  # found by the content check, whichever parser reads the page
        log.add(f"{_PARTLY_DECODED} (page(s) {page_ranges(content.partly_decoded)})")
    opened = OpenedPdf(pdf, [], sha256, path, len(pages), stream, log)
    if not pages:
        opened.close()
        if pdfium_pages:
            return _pdfium_only(path, sha256, pdfium_pages, None)
        return fail(ErrorCode.NO_PAGES)
    if first_page_error is not None and len(pages) == 1:  # nothing readable is left
        opened.close()
        return OpenedPdf(None, [_classify(first_page_error, password, has_eof, size)], sha256, path)
    if content.damaged:
        opened.problems.append(
            problem(ErrorCode.PAGES_DAMAGED, count=len(content.damaged), pages=page_ranges(content.damaged))
        )
    try:
        _add_warnings(opened, first_page_error, head[:start], has_eof, flipped)
    except Exception:
        opened.close()  # the caller's guard reports it; the file must not stay open
        raise
    return opened


class _Overtime(BaseException):
    """pdfminer took longer than ``limits.open_seconds`` over the file's structure (a
    BaseException: pdfminer's own ``except Exception`` recovery loops must not swallow it)."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`_Overtime` in this block after ``seconds`` (pdfminer is pure Python, so an
    alarm stops it between two bytecodes). Signals reach only the main thread: elsewhere (a Dask
    worker's threads) the block runs unbounded and the worker's own time budget is the bound."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _Overtime(f"pdfminer did not finish parsing the file's structure within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    # Repeat every 0.2 s after the first expiry, in case a bare ``except`` swallowed one.
    remaining, _ = signal.setitimer(signal.ITIMER_REAL, seconds, 0.2)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if remaining:  # someone else's alarm was running: give it back what is left of it
            signal.setitimer(signal.ITIMER_REAL, remaining)


def _pdfium_page_count(path: Path, password: str | None) -> tuple[int, str | None]:
    """Pages PDFium finds in the file (0 and why when it cannot load it)."""
    import pypdfium2 as pdfium

    try:
        with PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(str(path), password=password or None)
            try:
                return len(pdf), None
            finally:
                pdf.close()
    except Exception as exc:
        return 0, _describe(exc)


def _pdfium_reads_text(path: Path, password: str | None, index: int) -> bool:
    """Whether PDFium finds characters on page ``index`` (0-based)."""
    import pypdfium2 as pdfium

    try:
        with PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(str(path), password=password or None)
            try:
                page = pdf[index]
                textpage = page.get_textpage()
                found = textpage.count_chars() > 0
                textpage.close()
                page.close()
                return found
            finally:
                pdf.close()
    except Exception:
        return False


def _is_password_error(exc: BaseException) -> bool:
    return isinstance(_root_cause(exc), PDFPasswordIncorrect | PDFEncryptionError)


class _UnparsedPage:
    """A page pdfminer could not give: the reader's pdfminer fallback for it fails, and says so."""

    def __init__(self, number: int, reason: str) -> None:
        self.page_number = number
        self._reason = reason

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"pdfminer cannot parse this page: {self._reason}")

    def close(self) -> None:
        """Nothing to release."""


class _PdfiumOnly:
    """Stands for the pdfplumber document when only PDFium can read the file: as many pages
    as PDFium counts, each read by PDFium (pdfminer has none to fall back on)."""

    def __init__(self, pages: int, reason: str) -> None:
        self.pages = [_UnparsedPage(n + 1, reason) for n in range(pages)]
        self.doc = type("NoXref", (), {"xrefs": ()})()
        self.path: Path | None = None

    def close(self) -> None:
        """Nothing to release."""


def _pdfium_only(path: Path, sha256: str, pages: int, exc: BaseException | None) -> OpenedPdf:
    reason = _describe(_root_cause(exc)) if exc is not None else "pdfminer finds no pages in it"
    stand_in: Any = _PdfiumOnly(pages, reason)
    opened = OpenedPdf(stand_in, [], sha256, path, pages)
    opened.problems.append(
        problem(
            ErrorCode.REPAIRED, detail=f"pdfminer cannot open it ({reason}); PDFium reads its {pages} page(s)"
        )
    )
    return opened


@dataclass
class _ContentCheck:
    too_large: int | None = None
    """The first page whose content decompresses past the limit."""
    damaged: list[int] = field(default_factory=list)
    """Pages whose every content stream is zeroed or cannot be decoded."""
    detail: str = ""
    partly_decoded: list[int] = field(default_factory=list)
    """Pages with a compressed stream that decodes only up to a damage."""


_SIMPLE_FILTERS = {"FlateDecode", "Fl", "ASCII85Decode", "A85", "ASCIIHexDecode", "AHx"}


def _check_content(pages: Sequence[Page], limit_mb: int) -> _ContentCheck:
    """Decompress each page's content streams with a cap, before any is parsed: a flate bomb
    is refused after ``limit_mb`` MB, not after gigabytes, and a page whose streams are zeroed
    or undecodable is known to have lost its text (an empty page decodes fine)."""
    check = _ContentCheck()
    limit = limit_mb << 20
    seen: dict[int, tuple[int, str]] = {}
    for page in pages:
        try:
            contents = resolve1(page.page_obj.attrs.get("Contents"))
        except Exception:
            continue
        streams = contents if isinstance(contents, list) else [contents]
        total, verdicts = 0, []
        for item in streams:
            key = id(item)
            if key not in seen:
                try:
                    seen[key] = _decoded_size(resolve1(item), limit - total)
                except Exception:
                    seen[key] = (0, DAMAGED)
            size, state = seen[key]
            total += size
            verdicts.append(state == DAMAGED)
            if state == PARTLY and page.page_number not in check.partly_decoded:
                check.partly_decoded.append(page.page_number)
            if total > limit:
                check.too_large = page.page_number
                return check
        if verdicts and all(verdicts):
            check.damaged.append(page.page_number)
            check.detail = "content streams zeroed or not decodable"
    return check


DECODED, PARTLY, DAMAGED = "decoded", "partly decoded", "damaged"
"""What decoding made of one content stream (a zeroed stream is damaged)."""


def _decoded_size(stream: object, budget: int) -> tuple[int, str]:
    """(decoded size, state) of one content stream; stops counting past ``budget`` bytes."""
    if not isinstance(stream, PDFStream):
        return 0, DECODED
    data = stream.rawdata if stream.rawdata is not None else stream.data
    if data and not data.strip(b"\x00"):
        return len(data), DAMAGED  # zeroed
    if stream.rawdata is not None and stream.decipher:  # encrypted: what the parsers will decode
        data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
    filters = [str(getattr(f, "name", f)) for f, _ in stream.get_filters()]
    if any(f not in _SIMPLE_FILTERS for f in filters):
        return len(data or b""), DECODED  # decoded by the parsers; not measured here
    for name in filters:
        if name in ("ASCII85Decode", "A85"):
            data = base64.a85decode(data.strip().removeprefix(b"<~").removesuffix(b"~>") or b"", adobe=False)
        elif name in ("ASCIIHexDecode", "AHx"):
            data = bytes.fromhex(re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">")[0]).decode())
        else:
            return _inflated_size(data, budget)
    return len(data or b""), DECODED


def _inflated_size(data: bytes, budget: int) -> tuple[int, str]:
    inflater = zlib.decompressobj()
    size = 0
    chunk = data
    try:
        while chunk:
            out = inflater.decompress(chunk, 1 << 20)
            size += len(out)
            if size > budget:
                return size, DECODED
            chunk = inflater.unconsumed_tail
    except zlib.error:  # the parsers keep what decodes before the damage
        return size, PARTLY if _inflates_partly(data) else DAMAGED
    return size, DECODED


def _inflates_partly(data: bytes) -> bool:
    """Whether a stream that fails to inflate gives any bytes before the damage."""
    inflater = zlib.decompressobj()
    for start in range(min(len(data), 1 << 13)):  # byte by byte, as pdfminer recovers
        try:
            if inflater.decompress(data[start : start + 1], 1 << 16):
                return True
        except zlib.error:
            return False
    return False


def _add_warnings(
    opened: OpenedPdf,
    first_page_error: Exception | None,
    junk: bytes,
    has_eof: bool,
    flipped: list[tuple[int, tuple[float, ...]]],
) -> None:
    """Warnings for a document that opened: what was damaged, and what was done about it."""
    if opened.pdf is None:  # only called for documents that opened
        return
    if first_page_error is not None:
        opened.problems.append(
            problem(ErrorCode.PAGE_UNREADABLE, page=1, detail=_describe(_root_cause(first_page_error)))
        )
    if junk.strip():
        opened.problems.append(
            problem(ErrorCode.REPAIRED, detail=f"{len(junk)} byte(s) of junk precede the %PDF- header")
        )
    if not has_eof:
        opened.problems.append(
            problem(
                ErrorCode.REPAIRED,
                detail=f"no end-of-file marker (%%EOF) in the last {TAIL_WINDOW // 1024} KB, so the "
                "file may be cut short; its pages still open",
            )
        )
    if any(isinstance(xref, PDFXRefFallback) for xref in opened.pdf.doc.xrefs):
        opened.problems.append(
            problem(
                ErrorCode.REPAIRED,
                detail="the cross-reference table is broken; objects were found by scanning the file",
            )
        )
    if flipped:
        box = [round(v, 2) for v in flipped[0][1]]
        opened.problems.append(
            problem(
                ErrorCode.REPAIRED,
                page=flipped[0][0] if len(flipped) == 1 else None,
                detail=f"the page box (MediaBox) of page(s) {page_ranges(p for p, _ in flipped)} is "
                f"upside down (e.g. {box}); it was normalised so text positions fall on the page",
            )
        )
    opened.drain_recoveries()


def _fingerprint(path: Path) -> tuple[str, int, bytes, bytes]:
    """SHA-256, size, first and last bytes in one pass (the hash is needed anyway)."""
    digest = hashlib.sha256()
    size, head, tail = 0, b"", b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            if len(head) < HEAD_WINDOW:
                head += chunk[: HEAD_WINDOW - len(head)]
            tail = (tail + chunk[-TAIL_WINDOW:])[-TAIL_WINDOW:]
    return digest.hexdigest(), size, head, tail


def _normalise_page_boxes(pages: Sequence[Page]) -> list[tuple[int, tuple[float, ...]]]:
    """Put upside-down MediaBoxes right side up before any page is parsed.

    The PDF spec allows any two opposite corners, but pdfminer builds its transformation from
    the raw box, so an inverted box puts every character a page-height off the page
    (pdfplumber issue #932). Returns (page number, original box) for each page fixed.
    """
    flipped: list[tuple[int, tuple[float, ...]]] = []
    for page in pages:
        box = tuple(page.page_obj.mediabox)
        if len(box) == 4 and (box[0] > box[2] or box[1] > box[3]):
            x0, y0, x1, y1 = box
            page.page_obj.mediabox = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            flipped.append((page.page_number, box))
    return flipped


def _parse_first_page(pages: Sequence[Page]) -> Exception | None:
    """Parse page 1 now: content-stream errors are lazy and would otherwise escape later.

    The parsed objects stay cached on the page, so the reading stage does not pay twice.
    """
    if not pages:
        return None
    try:
        pages[0].objects  # noqa: B018 - the property access is the parse
    except Exception as exc:
        return exc
    return None


def _release(
    pdf: pdfplumber.PDF | None, stream: BinaryIO | None, log: _RecoveryLog | None, walk: bool = True
) -> None:
    """Free what :func:`_open` acquired, whatever state a failure left it in; ``walk=False`` when
    pdfminer ran out of time: ``close()`` walks the page tree again, at the same cost."""
    if log is not None:
        logging.getLogger("pdfminer").removeHandler(log)
    if pdf is not None and walk:
        with contextlib.suppress(Exception):  # close() walks the page tree, which may be what failed
            pdf.close()
    if stream is not None:
        stream.close()


def _root_cause(exc: BaseException) -> BaseException:
    """pdfplumber wraps pdfminer's errors during opening; look at the original."""
    if isinstance(exc, PdfminerException | MalformedPDFException) and exc.args:
        inner = exc.args[0]
        if isinstance(inner, BaseException):
            return inner
    return exc


def _raised_by_parser(exc: BaseException) -> bool:
    """True if the error came out of pdfminer/pdfplumber, i.e. they choked on this file."""
    if isinstance(exc, PSException | MalformedPDFException):
        return True
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(_PARSER_DIRS):
            return True
        tb = tb.tb_next
    return False


def _classify(exc: Exception, password: str | None, has_eof: bool, size: int) -> Problem:
    """Map an exception raised while opening to the most specific fatal problem."""
    cause = _root_cause(exc)
    if isinstance(cause, PDFPasswordIncorrect):
        return problem(ErrorCode.WRONG_PASSWORD if password else ErrorCode.ENCRYPTED)
    if isinstance(cause, PDFEncryptionError):
        return problem(ErrorCode.ENCRYPTION_UNSUPPORTED, detail=_describe(cause))
    if not _raised_by_parser(cause):
        return problem(ErrorCode.INTERNAL, detail=_describe(cause))
    if not has_eof:
        return problem(
            ErrorCode.TRUNCATED,
            detail=f"it stops after {size:,} bytes and cannot be read: {_malformed_detail(cause)}; "
            "download or copy it again",
        )
    return problem(ErrorCode.MALFORMED, detail=_malformed_detail(cause))


def _malformed_detail(exc: BaseException) -> str:
    text = str(exc)
    if "No /Root object" in text:
        return "no document catalog (/Root) was found, even by scanning the whole file"
    if isinstance(exc, PSEOF):
        return "the data ends in the middle of an object"
    return _describe(exc)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _snippet(head: bytes) -> str:
    """What a message shows of a file that is not a PDF: a known signature at most. The file may
    be anything (a link may point at a system file): its content never goes into a report."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\f")
    lowered = stripped[:64].lower()
    for magic in (*(m for m, _ in _SIGNATURES), *_HTML_MARKERS, b"<?xml"):
        if lowered.startswith(magic.lower()):
            return stripped[: len(magic)].decode("latin-1")
    return "…"


def _guess_kind(head: bytes) -> str:
    """Name what a non-PDF file most likely is, so the user knows where it went wrong."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\f")
    for magic, kind in _SIGNATURES:
        if stripped.startswith(magic):
            return kind
    lowered = stripped[:512].lower()
    if any(marker in lowered for marker in _HTML_MARKERS):
        return "an HTML page, e.g. a web page or an error page saved under a .pdf name"
    if lowered.startswith(b"<?xml"):
        return "an XML document"
    try:  # the head may end inside a multi-byte character: an incremental decoder allows that
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "unrecognised binary data"
    if not text.strip():
        return "only blank space"
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return "plain text" if printable >= 0.95 * len(text) else "unrecognised binary data"


def page_ranges(pages: Iterable[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5"."""
    runs: list[list[int]] = []
    for n in sorted(set(pages)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


# --------------------------------------------------------------------------- text layer

_CID = re.compile(r"\(cid:\d+\)")
_ORDINARY_SYMBOLS = frozenset("+<=>±×÷−~°©®§¶←→↑↓▪▫■□●○◆◇►▸✓✔")
"""Symbols (Unicode S*) that are ordinary in reports; any other symbol counts as garbage."""
_URL_CHARS = frozenset("/\\.:_@=%?&#")
_SYMBOL_FONTS = ("wingding", "webding", "dingbat", "symbol")
_END_OF_PAGE: dict[str, Any] = {"text": ""}
"""A blank after a page's last character: it ends the last word as a blank does."""
"""Fonts of pictograms (bullets, arrows): their odd code points are expected, not garbage."""


@dataclass(frozen=True)
class PageTextInfo:
    """How usable one page's text layer is (see :func:`text_layer_report`)."""

    page: int
    chars: int
    """Visible (non-blank) characters in the text layer."""
    has_images: bool
    garbled_share: float
    """Share of ``chars`` that extract as garbage (odd symbols, ``(cid:NN)``, impossible words)."""
    worst_font: str | None = None
    """The font with the largest garbage share on the page (subset prefix removed)."""
    worst_font_chars: int = 0
    worst_font_share: float = 0.0

    @property
    def needs_ocr(self) -> bool:
        """No text but a picture: almost certainly a scan."""
        return self.chars == 0 and self.has_images

    @property
    def blank(self) -> bool:
        return self.chars == 0 and not self.has_images


def text_layer_report(page: Page | PageContent) -> PageTextInfo:
    """Measure ``page``'s text layer: character count, images, and how much of it is garbage.

    Garbage is counted by word, because a font with a broken encoding still yields mostly
    letters ("Honorable" comes out as "[ÉÇÉÜtuÄx"): a word is garbage if it holds a ``(cid:NN)``
    glyph, a control or private-use character or an unusual symbol, or switches from lower to
    upper case inside while holding three capitals or more (real words rarely do; URLs, which
    do, are let through). Symbol fonts (Wingdings ...) never count as the worst font. A pdfplumber
    page is parsed if not yet parsed, so call it inside the caller's per-page guard.
    """
    page = as_content(page)
    total = garbled = 0
    fonts: list[object] = []  # the font of every visible character, counted once at the end
    garbled_fonts: list[object] = []
    # Characters make words in content-stream order (cheap; no sorting), grouped inline as this
    # runs on every character of every page. A word ends at a blank, a change of line or a
    # horizontal gap over 0.15 em: TeX PDFs have no space characters, so the gap is all that
    # separates their words. Over-printed "fake bold" (the same glyph drawn again a fraction of
    # a point to the right) stays in one word.
    glyphs: list[str] = []
    word_fonts: list[object] = []
    prev: dict[str, Any] | None = None
    for ch in [*page.chars, _END_OF_PAGE]:
        text = ch.get("text") or ""
        visible = bool(text.strip())
        if prev is not None:
            ends = not visible
            if visible:
                size = max(prev.get("size") or 0, ch.get("size") or 0, 1.0)
                x0 = ch["x0"]
                ends = (
                    abs(ch["top"] - prev["top"]) > 0.5 * size
                    or x0 - prev["x1"] > 0.15 * size
                    or x0 < prev["x0"] - 2 * size
                )
            if ends:
                total += len(glyphs)
                fonts += word_fonts
                if _word_is_garbage(glyphs):
                    garbled += len(glyphs)
                    garbled_fonts += word_fonts
                glyphs, word_fonts, prev = [], [], None
        if visible:
            glyphs.append(text)
            word_fonts.append(ch.get("fontname"))
            prev = ch
    font_total: Counter[str] = Counter()
    for font, count in Counter(fonts).items():
        font_total[_font_name(font)] += count
    font_garbled: Counter[str] = Counter()
    for font, count in Counter(garbled_fonts).items():
        font_garbled[_font_name(font)] += count
    worst_font, worst_chars, worst_share = None, 0, 0.0
    for font, count in font_total.items():
        if any(marker in font.lower() for marker in _SYMBOL_FONTS):
            continue
        share = font_garbled[font] / count
        if font_garbled[font] and (share, count) > (worst_share, worst_chars):
            worst_font, worst_chars, worst_share = font, count, share
    return PageTextInfo(
        page=page.page_number,
        chars=total,
        has_images=page.has_images,
        garbled_share=garbled / total if total else 0.0,
        worst_font=worst_font,
        worst_font_chars=worst_chars,
        worst_font_share=worst_share,
    )


def text_layer_problems(infos: Sequence[PageTextInfo]) -> list[Problem]:
    """Coded problems for a document from its pages' text-layer reports.

    No text on any page but pictures on some: ``E108`` (needs OCR). Some scanned pages: ``W202``.
    Garbage: ``W203`` for a page that is mostly garbage, else ``W206`` for one bad font.
    """
    if infos and all(info.chars == 0 for info in infos) and any(info.has_images for info in infos):
        return [problem(ErrorCode.NEEDS_OCR, pages=len(infos))]
    problems: list[Problem] = []
    scanned = [info.page for info in infos if info.needs_ocr]
    if scanned:
        problems.append(
            problem(ErrorCode.PAGES_WITHOUT_TEXT, count=len(scanned), pages=page_ranges(scanned))
        )
    for info in infos:
        if info.chars and info.garbled_share >= GARBLED_PAGE_SHARE:
            problems.append(problem(ErrorCode.GARBLED_TEXT, page=info.page, share=info.garbled_share))
        elif info.worst_font_chars >= GARBLED_FONT_MIN_CHARS and info.worst_font_share >= GARBLED_FONT_SHARE:
            problems.append(
                problem(
                    ErrorCode.GARBLED_FONT,
                    page=info.page,
                    font=info.worst_font,
                    share=info.worst_font_share,
                    chars=info.worst_font_chars,
                )
            )
    return problems


def _word_is_garbage(glyphs: list[str]) -> bool:
    text = "".join(glyphs)
    if "(cid:" in text and any(_CID.fullmatch(g) for g in glyphs):
        return True
    return _text_is_garbage(text)


@functools.lru_cache(maxsize=65536)
def _text_is_garbage(text: str) -> bool:
    """:func:`_word_is_garbage` once the glyphs are joined; a page repeats most of its words."""
    if "\ufffd" in text:
        return True
    if any(map(_char_is_garbage, text)):
        return True
    if any(c in _URL_CHARS for c in text) or sum(c.isupper() for c in text) < 3:
        return False  # URLs and file names mix case freely; so do McDougal, iPhone, PowerPoint
    return any(a.islower() and b.isupper() for a, b in itertools.pairwise(text))


@functools.cache
def _char_is_garbage(c: str) -> bool:
    category = unicodedata.category(c)
    if category[0] in "LNPZ" or category == "Cf":  # Cf: soft hyphens and joiners are harmless
        return False
    if category[0] == "C":  # control, private use, unassigned: no real text
        return True
    return category not in ("Sc", "Sk") and c not in _ORDINARY_SYMBOLS


@functools.cache
def _font_name(fontname: object) -> str:
    """Font name without the subset prefix ("XXTRVA+Edwardian-Script-ITC" -> the rest)."""
    name = str(fontname or "?")
    prefix, plus, rest = name.partition("+")
    return rest if plus and len(prefix) == 6 and prefix.isupper() else name
