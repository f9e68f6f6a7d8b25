"""One typed settings object for the whole pipeline, overridable from the CLI.

Each stage reads its own section; nothing reads environment variables or globals behind the
user's back. ``Config.override("reading.x_tolerance=2")`` is what ``--set`` on the CLI calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

READING_BACKENDS = ("pdfium", "pdfminer")
OCR_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class ReadingSettings:
    x_tolerance: float = 1.5
    """Gap (pt) below which two characters belong to one word; TeX PDFs have no spaces."""
    y_tolerance: float = 3.0
    line_gap_factor: float = 1.2
    """Two words on one baseline are one line segment while the gap is under this × font size."""
    furniture_margin: float = 0.1
    """Share of the page height at the top and bottom where running headers and footers live."""
    furniture_min_share: float = 0.3
    """A margin line recurring (digits ignored) on at least this share of pages is furniture."""
    min_gutter: float = 6.0
    """Narrowest vertical white channel (pt) taken as a column gutter."""
    superscript_ratio: float = 0.88
    """A word smaller than this × body size and raised above the baseline is a superscript."""
    paragraph_gap_factor: float = 0.5
    """Extra line spacing (× line height) that starts a new paragraph."""
    max_pages: int | None = None
    password: str | None = None
    backend: str = "pdfium"
    """What reads the pages' characters and strokes: "pdfium" (fast; pdfminer takes over any page
    it cannot read) or "pdfminer" (pdfplumber's own parser, several times slower)."""
    turn_sideways_pages: bool = True
    """Read a page whose text runs mostly sideways (a table set sideways in an annex) turned
    upright, as a person reads it; with False its sideways words are not read (pdfium only)."""
    ocr: str = "auto"
    """"auto": OCR the pages with no usable text layer; "always": OCR every page; "never"."""
    ocr_languages: str = "auto"
    """Tesseract languages ("spa", "eng+por"); "auto": English, Spanish and Portuguese until the
    document's language is detected, then that language."""
    ocr_dpi: int = 300
    """Resolution scanned pages are drawn at for OCR."""
    ocr_min_confidence: float = 60.0
    """OCR'd pages whose mean word confidence (0-100) is under this are reported as low quality."""
    ocr_page_seconds: float = 60.0
    """OCR of one page stops after this."""

    def __post_init__(self) -> None:
        if self.backend not in READING_BACKENDS:
            choices = ", ".join(READING_BACKENDS)
            raise ValueError(f"reading.backend must be one of {choices}, not {self.backend!r}")
        if self.ocr not in OCR_MODES:
            raise ValueError(f"reading.ocr must be one of {', '.join(OCR_MODES)}, not {self.ocr!r}")


@dataclass(frozen=True)
class LimitSettings:
    """What one document and one worker may spend; the limit that stops a document is its status."""

    seconds_per_page: float = 60.0
    """Time budget per page (the page count PDFium gives; 1 when it cannot count them)."""
    max_document_seconds: float = 3600.0
    """No document gets more than this, however many pages it claims."""
    worker_memory_mb: int = 1536
    """A worker process over this resident size is stopped and replaced; its document fails."""
    max_stream_mb: int = 256
    """A page content stream that decompresses to more than this is not parsed (a flate bomb)."""
    open_seconds: float = 30.0
    """pdfminer's parse of a file's structure stops after this (PDFium, when it reads the file,
    carries on without it)."""
    dask_no_worker_seconds: float = 120.0
    """A Dask run with no live worker for this long fails instead of waiting forever."""

    def __post_init__(self) -> None:
        for name in ("seconds_per_page", "max_document_seconds", "worker_memory_mb", "max_stream_mb"):
            if not getattr(self, name) > 0:
                raise ValueError(f"limits.{name} must be positive")

    def document_budget(self, pages: int) -> float:
        """Seconds a document of ``pages`` pages may take."""
        return min(self.max_document_seconds, self.seconds_per_page * max(1, pages))


@dataclass(frozen=True)
class RulesSettings:
    disabled: str = ""
    """Comma-separated names of the records stage's rules to switch off (see
    ``pipeline/records/rules.py``); checked against the registry when a run starts."""


@dataclass(frozen=True)
class Config:
    reading: ReadingSettings = field(default_factory=ReadingSettings)
    rules: RulesSettings = field(default_factory=RulesSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)

    def override(self, *assignments: str) -> Config:
        """Return a copy with ``section.key=value`` assignments applied (values typed by the field)."""
        config = self
        for assignment in assignments:
            key, _, raw = assignment.partition("=")
            section_name, _, name = key.strip().partition(".")
            section = getattr(config, section_name, None)
            if section is None or name not in {f.name for f in fields(section)}:
                raise ValueError(f"unknown setting {key!r}")
            current = getattr(section, name)
            declared = next(str(f.type) for f in fields(section) if f.name == name)
            value: Any = _coerce(raw.strip(), current, declared)
            config = replace(config, **{section_name: replace(section, **{name: value})})
        return config


def _coerce(raw: str, current: object, declared: str = "") -> object:
    if raw.lower() in {"none", "null"}:
        return None
    if current is None:  # an optional setting left unset: its declared type says what to make
        kinds = {part.strip() for part in declared.split("|")}
        if "int" in kinds:
            return int(raw)
        if "float" in kinds:
            return float(raw)
    if isinstance(current, bool):
        return raw.lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    return raw
