"""csminer: mine citizen-security interventions from report PDFs into structured records.

The import name of the ``pipeline`` package's public API, for notebooks and scripts::

    import csminer
    records = csminer.mine("corpus/")            # list[Record], models loaded once per process
    frame = csminer.records_frame(records)       # a typed pandas DataFrame
    document = csminer.read("corpus/report.pdf") # the document model

The code lives in ``pipeline``; this package only re-exports it, so ``pipeline.*`` imports
keep working and both names share one set of loaded models.
"""

from __future__ import annotations

from pipeline import __version__
from pipeline.api import load_records, mine, read, records_frame
from pipeline.document import Document
from pipeline.records.model import Record

__all__ = ["Document", "Record", "__version__", "load_records", "mine", "read", "records_frame"]
