"""The error catalogue: one code and one message template per thing that can go wrong.

Codes are stable (scripts match on them); messages say what happened to *this* document and
what the user can do. ``E`` codes fail a document, ``W2xx`` codes make it partial; ``W3xx``
codes say what the models lost or do not know (no parser, another language, no security
content) and leave the reading status as it is.
"""

from __future__ import annotations

from enum import StrEnum

from .document import Problem


class ErrorCode(StrEnum):
    NOT_FOUND = "E100"
    EMPTY_FILE = "E101"
    NOT_PDF = "E102"
    ENCRYPTED = "E103"
    WRONG_PASSWORD = "E104"
    TRUNCATED = "E105"
    MALFORMED = "E106"
    NO_PAGES = "E107"
    NEEDS_OCR = "E108"
    ENCRYPTION_UNSUPPORTED = "E109"
    TIME_LIMIT = "E110"
    MEMORY_LIMIT = "E111"
    CONTENT_LIMIT = "E112"
    PERMISSION_DENIED = "E113"
    NOT_REGULAR_FILE = "E114"
    SYMLINK_OUTSIDE = "E115"
    CONTENT_DAMAGED = "E116"
    WORKER_DIED = "E117"
    OUTPUT_UNWRITABLE = "E120"
    NOT_AN_INVENTORY = "E121"
    INTERRUPTED = "E122"
    NO_WORKERS = "E123"
    IMAGE_TOO_LARGE = "E124"
    INTERNAL = "E199"
    PAGE_UNREADABLE = "W201"
    PAGES_WITHOUT_TEXT = "W202"
    GARBLED_TEXT = "W203"
    REPAIRED = "W204"
    NOTE_UNRESOLVED = "W205"
    GARBLED_FONT = "W206"
    PAGES_DAMAGED = "W207"
    IMAGE_SCALED = "W208"
    OCR_UNAVAILABLE = "W209"
    OCR_LOW_CONFIDENCE = "W210"
    NER_UNAVAILABLE = "W301"
    PARSER_UNAVAILABLE = "W302"
    OTHER_LANGUAGE = "W303"
    NO_SECURITY_CONTENT = "W304"


MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.NOT_FOUND: "file not found: {path}",
    ErrorCode.EMPTY_FILE: "the file is empty (0 bytes)",
    ErrorCode.NOT_PDF: "not a PDF: the file starts with {head!r} ({guess})",
    ErrorCode.ENCRYPTED: "the PDF is encrypted; open it with --password",
    ErrorCode.WRONG_PASSWORD: "the PDF is encrypted and the password given does not open it",
    ErrorCode.TRUNCATED: "the PDF is truncated (no end-of-file marker; {detail})",
    ErrorCode.MALFORMED: "the PDF is malformed and could not be read: {detail}",
    ErrorCode.NO_PAGES: "the PDF has no pages",
    ErrorCode.NEEDS_OCR: "no text layer on any of its {pages} page(s): it needs OCR",
    ErrorCode.ENCRYPTION_UNSUPPORTED: (
        "the PDF is encrypted with a scheme this reader cannot open ({detail}); "
        "decrypt it first (e.g. qpdf --decrypt) and retry"
    ),
    ErrorCode.TIME_LIMIT: (
        "stopped after {seconds:.0f} s: over its time budget of {budget:.0f} s "
        "({pages} page(s) × limits.seconds_per_page, at most limits.max_document_seconds)"
    ),
    ErrorCode.MEMORY_LIMIT: (
        "stopped: its worker used {used:,} MB, over the memory budget of {budget:,} MB "
        "(limits.worker_memory_mb)"
    ),
    ErrorCode.CONTENT_LIMIT: (
        "page {page}: a content stream decompresses to more than {limit:,} MB "
        "(limits.max_stream_mb); the document was not parsed"
    ),
    ErrorCode.PERMISSION_DENIED: "permission denied: {path} cannot be read ({detail})",
    ErrorCode.NOT_REGULAR_FILE: "not a regular file ({kind}): {path}; it was not opened",
    ErrorCode.SYMLINK_OUTSIDE: (
        "{path} is a symbolic link to {target}, outside the input folders: not followed "
        "(give --follow-symlinks to read it)"
    ),
    ErrorCode.CONTENT_DAMAGED: (
        "the content of every one of its {pages} page(s) is damaged ({detail}): no text can be read"
    ),
    ErrorCode.WORKER_DIED: "the worker reading it died ({detail}); the next run retries it",
    ErrorCode.OUTPUT_UNWRITABLE: "cannot write {path}: {detail}",
    ErrorCode.NOT_AN_INVENTORY: "{path} is not a csminer inventory: {detail}",
    ErrorCode.INTERRUPTED: "interrupted: finished documents are in the inventory; run again to complete",
    ErrorCode.NO_WORKERS: (
        "the Dask scheduler {address} has had no live worker for {seconds:.0f} s "
        "(limits.dask_no_worker_seconds): start workers and run again"
    ),
    ErrorCode.IMAGE_TOO_LARGE: "page {page} is {width:g} × {height:g} pt: {detail}",
    ErrorCode.INTERNAL: "internal error while reading: {detail}",
    ErrorCode.PAGE_UNREADABLE: (
        "page {page} could not be read ({detail}); the other pages were: a copy of the PDF saved "
        "again by a viewer, or repaired with qpdf, may read whole"
    ),
    ErrorCode.PAGES_WITHOUT_TEXT: (
        "{count} page(s) have no text layer and were not read: {pages}; run with --ocr auto "
        "(Tesseract installed) to read them from the image"
    ),
    ErrorCode.GARBLED_TEXT: (
        "page {page}: its text extracts as unreadable glyphs ({share:.0%} not letters); run with "
        "--ocr always to read it from the image instead"
    ),
    ErrorCode.REPAIRED: "the PDF's structure is damaged; its text was recovered: {detail}",
    ErrorCode.GARBLED_FONT: (
        "page {page}: text in font {font} extracts as unreadable glyphs "
        "({share:.0%} of its {chars} characters); that text cannot be trusted"
    ),
    ErrorCode.NOTE_UNRESOLVED: (
        "{count} note marker(s) in the text match no note that was read, the first on page "
        "{first_page}: see what the reader found there with `csminer debug-page <pdf> --page "
        "{first_page}`; if the notes are on the page, their layout was missed (report it with the PDF)"
    ),
    ErrorCode.PAGES_DAMAGED: "{count} page(s) have damaged content and no text was read from them: {pages}",
    ErrorCode.IMAGE_SCALED: (
        "page {page} is {width:g} × {height:g} pt: drawn at {resolution:.3g} pixels per inch "
        "to stay within {pixels:,} pixels"
    ),
    ErrorCode.OCR_UNAVAILABLE: (
        "{count} page(s) have no usable text layer ({pages}) and OCR is not installed (no "
        "`tesseract` program on PATH), so they were not read: {hint}"
    ),
    ErrorCode.OCR_LOW_CONFIDENCE: (
        "{count} page(s) read by OCR with low confidence ({pages}; mean {confidence:.0f}%): expect "
        "misread words there; a cleaner scan, at 300 dpi or more, reads better"
    ),
    ErrorCode.NER_UNAVAILABLE: "no pretrained NER model installed: actors outside the registry are not found",
    ErrorCode.PARSER_UNAVAILABLE: "no pretrained parser installed: actor roles are read from the words"
    " around each mention, not from the sentence's grammar",
    ErrorCode.OTHER_LANGUAGE: (
        "the report is written in {language} ({iso}; {share:.0%} of its words are its common words), "
        "and the records models know English reports only: expect missed and wrong records, and "
        "review them, or add gold records in {language} and retrain"
    ),
    ErrorCode.NO_SECURITY_CONTENT: (
        "only {about} of its {sentences} sentences use any of the codebook's security words: the "
        "report is likely not about security cooperation, and any record from it is likely no "
        "intervention; it was mined without NER (only the registry's actors were looked for)"
    ),
}


def problem(code: ErrorCode, page: int | None = None, **fields: object) -> Problem:
    """Build a :class:`Problem` from the catalogue, filling its message template."""
    return Problem(code=code.value, message=MESSAGES[code].format(page=page, **fields), page=page)


def is_fatal(code: str) -> bool:
    return code.startswith("E")
