"""Saving and loading the records stage's models: one ``.npz`` file plus a model card.

The model file is NumPy's ``.npz`` (a zip of ``.npy`` arrays), read with ``allow_pickle=False``:
the learned arrays are stored as arrays, and everything else — which estimators, their
hyper-parameters, vocabularies and small learned values — as one JSON document (the ``tree``
member). Loading rebuilds exactly the estimator types csminer vouches for (:data:`TRUSTED_TYPES`,
named one by one); a file naming any other type is refused before anything is built, so no model
file can run code while it loads. Reading it needs neither pickle nor skops: it takes
milliseconds, where skops took seconds (it imports every scikit-learn estimator to list the
types it trusts, then audits thousands of small objects one by one). A run builds each type
that needs scikit-learn (its estimators, and csminer's built on them) as its twin in
:mod:`.predict`, which predicts the same without importing scikit-learn; the tests that compare
the twins with scikit-learn, or save loaded models again, build scikit-learn's own.

The card says what the models were trained on (file and sha256), with which features, how well
they did under cross-validation, and with which library versions; loading models made under
other versions says so instead of failing later in odd ways. Models saved by an older csminer in
the skops format are converted once with ``python -m pipeline.records.store FOLDER``.
"""

from __future__ import annotations

import importlib
import io
import json
import platform
import sys
import warnings
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .predict import TWINS

if TYPE_CHECKING:  # the models' classes are imported on loading
    from .build import RecordModels

LIBRARIES = ("scikit-learn", "numpy", "scipy", "spacy")
MODEL_FILE = "records.npz"
SKOPS_FILE = "records.skops"
"""The file older csminers wrote (skops): converted with :func:`convert_skops`, never loaded by a run."""
TREE = "tree"
"""The ``.npz`` member holding the JSON document (UTF-8 bytes as a ``uint8`` array)."""
TRUSTED_TYPES = frozenset(
    {
        "pipeline.records.cues.AxisClassifier",
        "pipeline.records.cues.CueThemes",
        "pipeline.records.cues.ProviderModality",
        "pipeline.records.models.Blend",
        "pipeline.records.models.BoostedTrees",
        "pipeline.records.models.FeaturesOf",
        "pipeline.records.models.ShapeBackoff",
        "pipeline.records.models.TextOf",
        "sklearn.calibration.CalibratedClassifierCV",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.feature_extraction._dict_vectorizer.DictVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.pipeline.FeatureUnion",
        "sklearn.pipeline.Pipeline",
    }
)
"""The estimator types csminer's models hold, and nothing else: a file naming another type is
refused. A model that needs another type fails when it is saved, so the list is grown on purpose."""
TRUSTED_SCALARS = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                             "uint64", "float16", "float32", "float64"})  # fmt: skip
"""NumPy scalar types a model may hold as values (``np.int64`` vocabulary indices) or as a
parameter (``dtype=np.float64``)."""
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
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline

    from .models import Blend, ShapeBackoff

    if isinstance(model, Pipeline):
        for _, step in model.steps:
            _slim(step)
    elif isinstance(model, FeatureUnion):
        for _, part in model.transformer_list:
            _slim(part)
    elif isinstance(model, ShapeBackoff):
        _slim(model.estimator_)
    elif isinstance(model, Blend):
        for part in model.estimators_:
            _slim(part)
    elif isinstance(model, TfidfVectorizer) and hasattr(model, "stop_words_"):
        model.stop_words_ = None


# --- the file format -----------------------------------------------------------------------------
# JSON nodes: null, booleans, numbers, strings and lists stand for themselves; objects with one
# "$" key stand for what JSON lacks: {"$tuple": [...]}, {"$dict": {...}} (string keys; with
# "$values": a NumPy scalar type shared by every value, as in TF-IDF vocabularies),
# {"$items": [[key, value], ...]} (other keys), {"$scalar": [type, value]}, {"$type": type},
# {"$array": member}, {"$object": type, "state": {...}, "id": n} and {"$ref": n} (an object
# met before: shared estimators stay shared).


class _Writer:
    """Turns the models into the JSON tree and the arrays it names."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.array_names: dict[int, str] = {}
        self.object_ids: dict[int, int] = {}
        self.keep: list[Any] = []  # what an id() was taken of stays alive until the end
        self.unlisted: set[str] = set()

    def node(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if type(value) is int or type(value) is float:  # not their NumPy subclasses (np.float64)
            return value
        if isinstance(value, list):
            return [self.node(v) for v in value]
        if type(value) is tuple:
            return {"$tuple": [self.node(v) for v in value]}
        if type(value) is dict:
            return self._dict(value)
        if type(value) is np.ndarray:
            return {"$array": self._array(value)}
        if isinstance(value, np.generic) and type(value).__name__ in TRUSTED_SCALARS:
            return {"$scalar": [type(value).__name__, value.item()]}
        if isinstance(value, type) and value.__module__ == "numpy" and value.__name__ in TRUSTED_SCALARS:
            return {"$type": value.__name__}
        name = f"{type(value).__module__}.{type(value).__qualname__}"
        if name not in TRUSTED_TYPES:
            self.unlisted.add(name)
            return None
        if id(value) in self.object_ids:
            return {"$ref": self.object_ids[id(value)]}
        self.object_ids[id(value)] = len(self.object_ids)
        self.keep.append(value)
        state = value.__getstate__() or {}  # None: an object with no attributes
        return {"$object": name, "id": self.object_ids[id(value)], "state": self._dict(state)}

    def _dict(self, value: dict[Any, Any]) -> dict[str, Any]:
        if all(type(k) is str for k in value):
            kinds = {type(v) for v in value.values()}
            scalar = kinds.pop() if len(kinds) == 1 else None
            if scalar is not None and issubclass(scalar, np.number) and scalar.__name__ in TRUSTED_SCALARS:
                # a vocabulary: thousands of np.int64 values, stored as plain numbers in one go
                return {"$dict": {k: v.item() for k, v in value.items()}, "$values": scalar.__name__}
            return {"$dict": {k: self.node(v) for k, v in value.items()}}
        return {"$items": [[self.node(k), self.node(v)] for k, v in value.items()]}

    def _array(self, array: np.ndarray) -> str:
        if array.dtype.hasobject:
            self.unlisted.add(f"numpy.ndarray of {array.dtype}")
            return ""
        if id(array) not in self.array_names:
            self.array_names[id(array)] = f"a{len(self.arrays)}"
            self.arrays[self.array_names[id(array)]] = array
            self.keep.append(array)
        return self.array_names[id(array)]


def _write_model_file(payload: dict[str, Any], path: Path) -> None:
    """Write ``payload`` as a model file, or raise :class:`ModelError` (nothing written) when it
    holds a type csminer would refuse on loading: say so now, to whoever added the type."""
    writer = _Writer()
    tree = writer.node(payload)
    if writer.unlisted:
        raise ModelError(
            f"the models hold types not in store.TRUSTED_TYPES: {', '.join(sorted(writer.unlisted))}"
        )
    text = json.dumps(tree, ensure_ascii=False, allow_nan=True, separators=(",", ":"))
    members = {TREE: np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **writer.arrays}
    buffer = io.BytesIO()  # written whole, then moved into place: a reader never sees half a file
    np.savez_compressed(buffer, allow_pickle=False, **members)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(buffer.getvalue())
    partial.replace(path)


class _Reader:
    """Rebuilds the models from the JSON tree, after checking every type it names."""

    def __init__(self, arrays: Any, sklearn: bool) -> None:
        self.arrays = arrays
        self.sklearn = sklearn
        self.objects: dict[int, Any] = {}
        self.classes: dict[str, type] = {}

    def audit(self, tree: Any) -> list[str]:
        """The types ``tree`` names that csminer does not trust (nothing is built or imported)."""
        refused: set[str] = set()
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                if "$object" in node and not _listed(node["$object"], TRUSTED_TYPES):
                    refused.add(str(node["$object"])[:200])
                scalar = node.get("$scalar")
                kinds = {  # the NumPy scalar type each of these nodes names
                    "$type": node.get("$type"),
                    "$values": node.get("$values"),
                    "$scalar": scalar[0] if isinstance(scalar, list) and scalar else scalar,
                }
                for key, kind in kinds.items():
                    if key in node and not _listed(kind, TRUSTED_SCALARS):
                        refused.add(f"numpy.{str(kind)[:200]}")
                stack.extend(node.values())
        return sorted(refused)

    def build(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.build(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "$tuple" in node:
            return tuple(self.build(v) for v in node["$tuple"])
        if "$dict" in node:
            if "$values" in node:
                scalar = getattr(np, node["$values"])
                return {k: scalar(v) for k, v in node["$dict"].items()}
            return {k: self.build(v) for k, v in node["$dict"].items()}
        if "$items" in node:
            return {self.build(k): self.build(v) for k, v in node["$items"]}
        if "$array" in node:
            return self.arrays[node["$array"]]
        if "$scalar" in node:
            kind, value = node["$scalar"]
            return getattr(np, kind)(value)
        if "$type" in node:
            return getattr(np, node["$type"])
        if "$ref" in node:
            return self.objects[node["$ref"]]
        if "$object" in node:
            cls = self._class(node["$object"])
            instance = cls.__new__(cls)
            self.objects[node["id"]] = instance  # before its state: a reference back finds it
            state = self.build(node["state"])
            if hasattr(instance, "__setstate__"):  # scikit-learn's estimators check their version
                instance.__setstate__(state)
            else:
                instance.__dict__.update(state)
            return instance
        raise ValueError(f"unknown node {sorted(node)[:3]}")

    def _class(self, name: str) -> type:
        if name not in TRUSTED_TYPES:  # audited before: kept as a second guard
            raise ValueError(f"untrusted type {name}")
        if name not in self.classes:
            if not self.sklearn and name in TWINS:
                self.classes[name] = TWINS[name]
            else:
                module, _, attr = name.rpartition(".")
                self.classes[name] = getattr(importlib.import_module(module), attr)
        return self.classes[name]


def _listed(name: Any, allowed: frozenset[str]) -> bool:
    """Whether ``name`` (anything a JSON file may hold) is one of the ``allowed`` names."""
    return isinstance(name, str) and name in allowed


def _read_model_file(path: Path, sklearn: bool = False) -> dict[str, Any]:
    """The payload of a model file, with the twins of :mod:`.predict` or (``sklearn``)
    scikit-learn's estimators; :class:`ModelError` for anything but a model file csminer wrote
    from the types it trusts."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            tree = json.loads(arrays[TREE].tobytes().decode("utf-8"))
            reader = _Reader({name: arrays[name] for name in arrays.files if name != TREE}, sklearn)
    except (OSError, ValueError, KeyError, RecursionError, zipfile.BadZipFile, EOFError) as exc:
        # not a zip, an object array (it would need pickle), no tree: not a csminer model file
        raise ModelError(f"{path} is not a csminer model file: {type(exc).__name__}: {exc}") from exc
    refused = reader.audit(tree)
    if refused:
        raise ModelError(
            f"{path} holds types csminer does not trust, so it was not loaded: {', '.join(refused)}"
            " (a model file from elsewhere, or tampered with; retrain with `csminer train`)"
        )
    try:
        payload = reader.build(tree)
    except Exception as exc:  # a file from another library version, or damaged, can fail anywhere
        raise ModelError(f"{path} could not be loaded: {type(exc).__name__}: {exc}") from exc
    if not isinstance(payload, dict):
        raise ModelError(f"{path} is not a csminer model file: it holds no models")
    return payload


# --- saving and loading --------------------------------------------------------------------------


def payload_of(models: RecordModels) -> dict[str, Any]:
    """What a model file holds: the fitted models, their version and training facts, the format."""
    return {
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


def save_models(models: RecordModels, folder: Path, card: dict[str, Any]) -> Path:
    """Write ``records.npz`` and ``card.json`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    fitted = (models.detector, models.roles, models.roles_unparsed, models.linker, *models.fields.values())
    for model in fitted:
        _slim(model)
    _write_model_file(payload_of(models), folder / MODEL_FILE)
    (folder / SKOPS_FILE).unlink(missing_ok=True)  # older models, in the old format: not these
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


def load_models(folder: Path, sklearn: bool = False) -> LoadedModels:
    """Load the models, building only :data:`TRUSTED_TYPES`: as the twins of :mod:`.predict`,
    which predict without importing scikit-learn, or with ``sklearn=True`` as scikit-learn's
    estimators (to compare the twins with, or to save the models again).

    Loaded once per process and file version: the run checks the models before mining and its
    stages use the same ones."""
    path = folder / MODEL_FILE
    if not path.exists():
        if (folder / SKOPS_FILE).exists():
            raise ModelError(
                f"{folder / SKOPS_FILE} holds models in the skops format of an older csminer: convert them"
                f" once with `python -m pipeline.records.store {folder}`, or retrain with `csminer train`"
            )
        raise ModelError(f"no trained models at {path}; run `csminer train` first")
    stat = path.stat()
    return _load_file(path.resolve(), stat.st_mtime_ns, stat.st_size, sklearn)


@lru_cache(maxsize=4)
def _load_file(path: Path, mtime_ns: int, size: int, sklearn: bool) -> LoadedModels:
    """The models in ``path`` as of its modification time and size (the cache key)."""
    from .build import RecordModels

    folder = path.parent
    payload = _read_model_file(path, sklearn)
    saved = payload.get("format", 1)
    if saved != MODEL_FORMAT:
        raise ModelError(
            f"{path} holds models in format {saved}, this csminer reads format {MODEL_FORMAT}: "
            "run `csminer train` to retrain them"
        )
    missing = [key for key in ("detector", "roles", "fields", "themes", "version") if key not in payload]
    if missing:
        raise ModelError(f"{path} is not a csminer model file: it has no {', '.join(missing)}")
    card_path = folder / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    installed = library_versions()  # once: each version is read from the package's metadata
    warnings = [
        f"models were trained with {name} {trained}, this environment has {now}"
        for name, trained in (card.get("libraries") or {}).items()
        if (now := installed.get(name)) and now != trained
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


# --- models of an older csminer -------------------------------------------------------------------

SKOPS_TRUSTED = frozenset(
    {
        "pipeline.records.cues.AxisClassifier",
        "pipeline.records.cues.CueThemes",
        "pipeline.records.models.FeaturesOf",
        "pipeline.records.models.ShapeBackoff",
        "pipeline.records.models.TextOf",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    }
)
"""What the skops files of older csminers held beyond skops' own trusted defaults."""


def read_skops(path: Path) -> dict[str, Any]:
    """The payload of a skops model file, trusting what csminer's skops files held and nothing
    else (skops audits the file before it builds anything)."""
    import skops.io as sio

    untrusted = sorted(set(sio.get_untrusted_types(file=path)) - SKOPS_TRUSTED)
    if untrusted:
        raise ModelError(
            f"{path} holds types csminer does not trust, so it was not loaded: {', '.join(untrusted)}"
        )
    return sio.load(path, trusted=sorted(SKOPS_TRUSTED))


def convert_skops(folder: Path) -> Path:
    """Write ``records.npz`` from the ``records.skops`` in ``folder``, the same models unchanged
    (no retraining); the card is kept and the skops file left for the caller to remove."""
    payload = read_skops(folder / SKOPS_FILE)
    _write_model_file(payload, folder / MODEL_FILE)
    return folder / MODEL_FILE


if __name__ == "__main__":  # python -m pipeline.records.store FOLDER: convert models saved with skops
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the card says which library versions made the models
        for argument in sys.argv[1:] or ["models/records"]:
            print(f"wrote {convert_skops(Path(argument))}")
