"""csminer: mine citizen-security interventions from report PDFs into structured records."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

__version__ = "0.1.0"


@lru_cache(maxsize=4)
def source_digest(root: Path | None = None) -> str:
    """SHA-256 of the package's code and data files (of ``root``, by default the package's
    own folder): what trained a model, beyond the version number. Models retrained after a
    code change get a new version, so a warm re-run mines again what they would now find."""
    root = root or Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".csv", ".txt"):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
