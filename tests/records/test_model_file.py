"""The model file (``records.npz``): the same predictions as the models it was made from, and
nothing in a file from elsewhere is built, imported or run."""

from __future__ import annotations

import json
import warnings
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.records.store import (
    MODEL_FILE,
    SKOPS_FILE,
    TREE,
    ModelError,
    convert_skops,
    load_models,
    payload_of,
    read_skops,
    save_models,
)

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models" / "records"
SEED = ROOT / "corpus" / "neighborhood-2col.pdf"


def _real_examples(tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each model's inputs from pages 10-12 of the seed, where its programs are: sentences,
    actor mentions (parsed when the parser is installed, and unparsed), sentence pairs, records."""
    import pypdfium2 as pdfium

    from pipeline.config import Config
    from pipeline.nlp.actors import ActorMatcher, ActorRegistry
    from pipeline.nlp.syntax import GrammarReader
    from pipeline.reading.reader import read_pdf
    from pipeline.records.examples import (
        detection_examples,
        link_example,
        record_example,
        role_examples,
        without_grammar,
    )
    from pipeline.records.inputs import document_inputs

    excerpt = pdfium.PdfDocument.new()
    excerpt.import_pages(pdfium.PdfDocument(SEED), [9, 10, 11])
    excerpt.save(tmp_path / "excerpt.pdf")
    document = read_pdf(tmp_path / "excerpt.pdf", Config().reading)
    items = document_inputs(document, ActorMatcher(ActorRegistry.load(), use_ner=False)).items
    GrammarReader().annotate(items)
    roles = [example for item in items for _, example in role_examples(item)]
    records = [record_example(items[n : n + 4], None, None) for n in range(0, len(items), 4)]
    return {
        "detector": detection_examples(items),
        "roles": roles,
        "roles_unparsed": [without_grammar(e) for e in roles],
        "linker": [link_example(a, b) for a, b in pairwise(items)],
        "records": records,
    }


def _predictions(payload: dict[str, Any], examples: dict[str, list[dict[str, Any]]]) -> dict[str, bytes]:
    """Every model's ``predict_proba`` (and the themes chosen) on the examples, as raw bytes."""
    from pipeline.records.cues import with_theme_axes
    from pipeline.records.examples import with_provider_kind

    out = {
        name: np.asarray(payload[name].predict_proba(examples[name])).tobytes()
        for name in ("detector", "roles", "roles_unparsed", "linker")
    }
    records = [dict(e, features=dict(e["features"])) for e in examples["records"]]
    themes = payload["themes"].predict(records)
    out["themes"] = json.dumps(themes).encode()
    with_theme_axes(records, themes)
    for example in records:
        with_provider_kind(example, ["United States"])
    for name, model in payload["fields"].items():
        out[name] = np.asarray(model.predict_proba(records)).tobytes()
    return out


def test_saved_models_load_as_they_were(tmp_path: Path) -> None:
    examples = _real_examples(tmp_path)
    assert all(len(examples[k]) > 5 for k in ("detector", "roles", "linker", "records"))
    loaded = load_models(MODELS).models
    save_models(loaded, tmp_path / "again", {"libraries": {}})
    again = load_models(tmp_path / "again").models
    assert _predictions(vars(again), examples) == _predictions(vars(loaded), examples)
    assert again.version == loaded.version and again.meta == loaded.meta
    roles = again.roles.steps[0][1].transformer_list[0][1].steps[1][1]
    assert roles.vocabulary_ == loaded.roles.steps[0][1].transformer_list[0][1].steps[1][1].vocabulary_
    assert {type(v) for v in roles.vocabulary_.values()} == {np.int64}  # TF-IDF vocabularies
    assert not (tmp_path / "again" / SKOPS_FILE).exists()


def test_a_skops_file_of_an_older_csminer_converts_to_the_same_predictions(tmp_path: Path) -> None:
    import skops.io as sio

    examples = _real_examples(tmp_path)
    loaded = load_models(MODELS).models
    # the detector of older csminers: the words' model alone, in the types their files held
    old = payload_of(loaded) | {"detector": loaded.detector.estimator_.estimators_[0]}
    (tmp_path / "old").mkdir()
    sio.dump(old, tmp_path / "old" / SKOPS_FILE)
    (tmp_path / "old" / "card.json").write_text("{}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _predictions(read_skops(tmp_path / "old" / SKOPS_FILE), examples)
    assert convert_skops(tmp_path / "old") == tmp_path / "old" / MODEL_FILE
    (tmp_path / "old" / SKOPS_FILE).unlink()
    assert _predictions(vars(load_models(tmp_path / "old").models), examples) == expected


def _with_tree(source: Path, target: Path, change: Any) -> None:
    """A copy of the model file in ``source`` whose JSON tree ``change`` edits."""
    target.mkdir()
    with np.load(source / MODEL_FILE, allow_pickle=False) as arrays:
        members = {name: arrays[name] for name in arrays.files}
    tree = json.loads(members[TREE].tobytes())
    change(tree)
    members[TREE] = np.frombuffer(json.dumps(tree).encode(), dtype=np.uint8)
    np.savez(target / MODEL_FILE, **members)
    (target / "card.json").write_bytes((source / "card.json").read_bytes())


def test_a_file_naming_an_untrusted_type_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    code = f"open({str(marker)!r}, 'w').write('ran')"

    def add_exec(tree: dict[str, Any]) -> None:
        tree["$dict"]["meta"] = {"$object": "builtins.exec", "id": 99999, "state": {"$dict": {"x": code}}}

    _with_tree(MODELS, tmp_path / "evil", add_exec)
    with pytest.raises(ModelError, match=r"does not trust.*builtins\.exec"):
        load_models(tmp_path / "evil")
    assert not marker.exists()

    def numpy_function(tree: dict[str, Any]) -> None:  # a type node naming a callable
        tree["$dict"]["meta"] = {"$type": "load"}

    _with_tree(MODELS, tmp_path / "evil2", numpy_function)
    with pytest.raises(ModelError, match=r"does not trust.*numpy\.load"):
        load_models(tmp_path / "evil2")


def test_pickled_arrays_and_foreign_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "pickled").mkdir()
    with np.load(MODELS / MODEL_FILE, allow_pickle=False) as arrays:
        members = {name: arrays[name] for name in arrays.files}
    members["a0"] = np.array([{"not": "an array of numbers"}], dtype=object)  # needs pickle to load
    np.savez(tmp_path / "pickled" / MODEL_FILE, allow_pickle=True, **members)
    with pytest.raises(ModelError, match="not a csminer model file"):
        load_models(tmp_path / "pickled")

    (tmp_path / "text").mkdir()
    (tmp_path / "text" / MODEL_FILE).write_text("not a zip at all")
    with pytest.raises(ModelError, match="not a csminer model file"):
        load_models(tmp_path / "text")

    (tmp_path / "zip").mkdir()
    with zipfile.ZipFile(tmp_path / "zip" / MODEL_FILE, "w") as target:
        target.writestr("other.txt", "a zip, but no models")
    with pytest.raises(ModelError, match="not a csminer model file"):
        load_models(tmp_path / "zip")


def test_models_in_the_old_skops_format_say_how_to_convert_them(tmp_path: Path) -> None:
    (tmp_path / SKOPS_FILE).write_bytes(b"")
    with pytest.raises(ModelError, match=r"older csminer.*python -m pipeline\.records\.store"):
        load_models(tmp_path)
