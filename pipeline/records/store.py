"""Saving and loading the records stage's models: skops files plus a model card.

skops (not pickle) refuses to build types nobody vouched for. csminer vouches for exactly the
types its own models hold beyond skops' defaults (:data:`TRUSTED_TYPES`, named one by one): a
prefix such as ``builtins.`` would let a tampered file call ``builtins.exec`` while it loads.
The card says what the models were trained on (file and sha256), with which features, how well
they did under cross-validation, and with which library versions; loading models made under
other versions says so instead of failing later in odd ways.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn
from zipfile import ZIP_DEFLATED

import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from .build import RecordModels
from .models import ShapeBackoff

LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy", "spacy")
TRUSTED_TYPES = frozenset(
    {
        "pipeline.records.cues.AxisClassifier",
        "pipeline.records.cues.CueThemes",
        "pipeline.records.models.Blend",
        "pipeline.records.models.BoostedTrees",
        "pipeline.records.models.FeaturesOf",
        "pipeline.records.models.ShapeBackoff",
        "pipeline.records.models.TextOf",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    }
)
"""The types csminer's models hold that skops does not trust by itself, and nothing else. A
model that needs another type fails when it is saved, so the list is grown on purpose."""
MODEL_FORMAT = 6
"""Raised whenever csminer's own estimators learn new state (2: the codebook axes learn how many
cues make "mixed"; 3: roles read the parser's grammar, with a second role model for sentences
not parsed; 4: the axes learn the side of the themes the codebook leaves off them; 5: themes
learn each cue word's precision, not each theme's; 6: the detector backs off to the learned
rates of the codebook's sentence shapes): models
saved in another format cannot be used and must be retrained."""


class ModelError(RuntimeError):
    """The models on disk cannot be used (missing, untrusted content, unreadable)."""


@dataclass
class LoadedModels:
    models: RecordModels
    card: dict[str, Any]
    warnings: list[str]


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def _slim(model: Any) -> None:
    """Drop TF-IDF's ``stop_words_``: every pruned term, kept for introspection only."""
    if isinstance(model, Pipeline):
        for _, step in model.steps:
            _slim(step)
    elif isinstance(model, FeatureUnion):
        for _, part in model.transformer_list:
            _slim(part)
    elif isinstance(model, ShapeBackoff):
        _slim(model.estimator_)
    elif isinstance(model, TfidfVectorizer) and hasattr(model, "stop_words_"):
        model.stop_words_ = None


def save_models(models: RecordModels, folder: Path, card: dict[str, Any]) -> Path:
    """Write ``records.skops`` and ``card.json`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    fitted = (models.detector, models.roles, models.roles_unparsed, models.linker, *models.fields.values())
    for model in fitted:
        _slim(model)
    payload = {
        "detector": models.detector,
        "roles": models.roles,
        "roles_unparsed": models.roles_unparsed,
        "fields": models.fields,
        "themes": models.themes,
        "linker": models.linker,
        "version": models.version,
        "meta": models.meta,
        "format": MODEL_FORMAT,
    }
    path = folder / "records.skops"
    sio.dump(payload, path, compression=ZIP_DEFLATED, compresslevel=9)
    unlisted = sorted(set(sio.get_untrusted_types(file=path)) - TRUSTED_TYPES)
    if unlisted:  # the file would be refused on loading: say so now, to whoever added the type
        path.unlink()
        raise ModelError(f"the models hold types not in store.TRUSTED_TYPES: {', '.join(unlisted)}")
    full = {
        "name": "csminer records models",
        "version": models.version,
        "format": MODEL_FORMAT,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "libraries": library_versions(),
        **card,
    }
    (folder / "card.json").write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


def load_models(folder: Path) -> LoadedModels:
    """Load the models, trusting skops' defaults and :data:`TRUSTED_TYPES`, nothing else.

    Loaded once per process and file version: the run checks the models before mining and its
    stages use the same ones (loading takes seconds)."""
    path = folder / "records.skops"
    if not path.exists():
        raise ModelError(f"no trained models at {path}; run `csminer train` first")
    stat = path.stat()
    return _load_file(path.resolve(), stat.st_mtime_ns, stat.st_size)


def _refuse(path: Path, exc: Exception) -> NoReturn:
    """The reason ``path`` could not be loaded, as a :class:`ModelError`: not a skops file, types
    csminer does not trust (named), or a file another library version cannot rebuild. The types
    are read again only on this path: a good file is audited once, by the load itself."""
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as inner:  # not a zip, or a schema skops cannot read
        raise ModelError(f"{path} is not a skops model file: {type(inner).__name__}: {inner}") from exc
    refused = sorted(set(untrusted) - TRUSTED_TYPES)
    if refused:
        raise ModelError(
            f"{path} holds types csminer does not trust, so it was not loaded: {', '.join(refused)}"
            " (a model file from elsewhere, or tampered with; retrain with `csminer train`)"
        ) from exc
    # a model file from another library version can fail anywhere
    raise ModelError(f"{path} could not be loaded: {type(exc).__name__}: {exc}") from exc


@lru_cache(maxsize=2)
def _load_file(path: Path, mtime_ns: int, size: int) -> LoadedModels:
    """The models in ``path`` as of its modification time and size (the cache key)."""
    folder = path.parent
    try:  # skops audits the whole file against the trusted types before it builds anything
        payload = sio.load(path, trusted=sorted(TRUSTED_TYPES))
    except Exception as exc:
        _refuse(path, exc)
    saved = payload.get("format", 1)
    if saved != MODEL_FORMAT:
        raise ModelError(
            f"{path} holds models in format {saved}, this csminer reads format {MODEL_FORMAT}: "
            "run `csminer train` to retrain them"
        )
    card_path = folder / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    warnings = [
        f"models were trained with {name} {trained}, this environment has {now}"
        for name, trained in (card.get("libraries") or {}).items()
        if (now := library_versions().get(name)) and now != trained
    ]
    models = RecordModels(
        detector=payload["detector"],
        roles=payload["roles"],
        roles_unparsed=payload.get("roles_unparsed"),
        fields=payload["fields"],
        themes=payload["themes"],
        linker=payload.get("linker"),
        version=payload["version"],
        meta=payload.get("meta") or {},
    )
    return LoadedModels(models, card, warnings)
