"""The model file (``records.npz``): the same predictions as the models it was made from, the
same from the twins a run predicts with as from scikit-learn, and nothing in a file from
elsewhere is built, imported or run."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.records.predict import TWINS
from pipeline.records.store import (
    MODEL_FILE,
    SKOPS_FILE,
    TREE,
    TRUSTED_TYPES,
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


def _excerpt(tmp_path: Path, pages: list[int]) -> Path:
    """A PDF of ``pages`` (0-based) of the seed."""
    import pypdfium2 as pdfium

    excerpt = pdfium.PdfDocument.new()
    excerpt.import_pages(pdfium.PdfDocument(SEED), pages)
    excerpt.save(tmp_path / "excerpt.pdf")
    return tmp_path / "excerpt.pdf"


def _real_examples(tmp_path: Path, reports: list[Path] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Each model's inputs from ``reports`` (pages 10-12 of the seed, where its programs are, if
    none): sentences, actor mentions (parsed when the parser is installed, and unparsed),
    sentence pairs, records."""
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

    examples: dict[str, list[dict[str, Any]]] = {}
    matcher, grammar = ActorMatcher(ActorRegistry.load(), use_ner=False), GrammarReader()
    for report in reports or [_excerpt(tmp_path, [9, 10, 11])]:
        items = document_inputs(read_pdf(report, Config().reading), matcher).items
        grammar.annotate(items)
        roles = [example for item in items for _, example in role_examples(item)]
        for name, found in {
            "detector": detection_examples(items),
            "roles": roles,
            "roles_unparsed": [without_grammar(e) for e in roles],
            "linker": [link_example(a, b) for a, b in pairwise(items)],
            "records": [record_example(items[n : n + 4], None, None) for n in range(0, len(items), 4)],
        }.items():
            examples.setdefault(name, []).extend(found)
    return examples


def _probabilities(payload: dict[str, Any], examples: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Every model's ``predict_proba`` on the examples, and the themes chosen."""
    from pipeline.records.cues import with_theme_axes
    from pipeline.records.examples import with_provider_kind

    out = {
        name: np.asarray(payload[name].predict_proba(examples[name]))
        for name in ("detector", "roles", "roles_unparsed", "linker")
    }
    records = [dict(e, features=dict(e["features"])) for e in examples["records"]]
    out["themes"] = themes = payload["themes"].predict(records)
    with_theme_axes(records, themes)
    for n, example in enumerate(records):  # every other one with no provider: the fallback decides
        with_provider_kind(example, ["United States"] if n % 2 else [])
    for name, model in payload["fields"].items():
        out[name] = np.asarray(model.predict_proba(records))
    return out


def _predictions(payload: dict[str, Any], examples: dict[str, list[dict[str, Any]]]) -> dict[str, bytes]:
    """:func:`_probabilities` as raw bytes."""
    return {
        name: json.dumps(found).encode() if name == "themes" else found.tobytes()
        for name, found in _probabilities(payload, examples).items()
    }


def test_saved_models_load_as_they_were(tmp_path: Path) -> None:
    examples = _real_examples(tmp_path)
    assert all(len(examples[k]) > 5 for k in ("detector", "roles", "linker", "records"))
    loaded = load_models(MODELS, sklearn=True).models
    save_models(loaded, tmp_path / "again", {"libraries": {}})
    again = load_models(tmp_path / "again", sklearn=True).models
    assert _predictions(vars(again), examples) == _predictions(vars(loaded), examples)
    assert again.version == loaded.version and again.meta == loaded.meta
    roles = again.roles.steps[0][1].transformer_list[0][1].steps[1][1]
    assert roles.vocabulary_ == loaded.roles.steps[0][1].transformer_list[0][1].steps[1][1].vocabulary_
    assert {type(v) for v in roles.vocabulary_.values()} == {np.int64}  # TF-IDF vocabularies
    assert not (tmp_path / "again" / SKOPS_FILE).exists()


def test_a_skops_file_of_an_older_csminer_converts_to_the_same_predictions(tmp_path: Path) -> None:
    import skops.io as sio

    examples = _real_examples(tmp_path)
    loaded = load_models(MODELS, sklearn=True).models
    # the detector of older csminers: the words' model alone, in the types their files held; their
    # modality: the model of the record's features alone
    fields = loaded.fields | {"modality": loaded.fields["modality"].fallback}
    old = payload_of(loaded) | {"detector": loaded.detector.estimator_.estimators_[0], "fields": fields}
    (tmp_path / "old").mkdir()
    sio.dump(old, tmp_path / "old" / SKOPS_FILE)
    (tmp_path / "old" / "card.json").write_text("{}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _predictions(read_skops(tmp_path / "old" / SKOPS_FILE), examples)
    assert convert_skops(tmp_path / "old") == tmp_path / "old" / MODEL_FILE
    (tmp_path / "old" / SKOPS_FILE).unlink()
    assert _predictions(vars(load_models(tmp_path / "old", sklearn=True).models), examples) == expected
    assert _predictions(vars(load_models(tmp_path / "old").models), examples) == expected  # the twins


@pytest.mark.slow
def test_a_run_predicts_what_scikit_learn_predicts(tmp_path: Path, shared_dir: Path) -> None:
    # every sentence of the shipped corpus and of the field reports
    field = shared_dir / "corpus" / "field" / "pdf"
    reports = sorted((ROOT / "corpus").glob("*.pdf")) + sorted(field.glob("*.pdf"))
    examples = _real_examples(tmp_path, reports)
    assert len(reports) >= 10 and len(examples["detector"]) > 2000 and len(examples["records"]) > 500
    twins, fitted = load_models(MODELS).models, load_models(MODELS, sklearn=True).models
    assert type(twins.detector) in TWINS.values() and type(fitted.detector) not in TWINS.values()
    predicted, expected = _probabilities(vars(twins), examples), _probabilities(vars(fitted), examples)
    assert predicted["themes"] == expected["themes"]
    for name in sorted(set(expected) - {"themes"}):
        assert predicted[name].shape == expected[name].shape, name
        assert np.abs(predicted[name] - expected[name]).max() <= 1e-12, name


def test_mining_a_report_imports_neither_training_scikit_learn_scipy_pandas_nor_spacys_cli(
    tmp_path: Path,
) -> None:
    # what `csminer run` does, in one process: check the models, mine, write the files (inference
    # never imports training: neither the fitting code nor the estimators it fits; pandas: the
    # record files are written with the csv module and pyarrow alone; spaCy's command line and
    # its libraries: a run never calls them)
    pdf, out = _excerpt(tmp_path, [9, 10]), tmp_path / "out"
    code = (
        "import sys\n"
        "from pipeline.cli import app\n"
        f"app(['run', {str(pdf)!r}, '--out', {str(out)!r}, '--db', {str(out / 'inv.sqlite')!r},"
        f" '--models', {str(MODELS)!r}, '--workers', '1'], standalone_mode=False)\n"
        "print(sorted({'pipeline.records.train', 'pipeline.records.models'} & set(sys.modules)))\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'sklearn', 'scipy', 'pandas'}))\n"
        "print(sorted({'spacy.cli', 'weasel', 'requests'} & set(sys.modules)))\n"
        "import spacy, spacy.cli\n"  # still there for whoever asks: the real one, and spacy.info
        "print(spacy.cli.__file__.endswith('__init__.py'), sorted(spacy.info())[:1])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.splitlines()[-4:] == ["[]", "[]", "[]", "True ['location']"]
    assert (out / "records.jsonl").read_text(encoding="utf-8").count("\n") > 3  # the models were asked
    assert (out / "records.csv").is_file() and (out / "records.parquet").is_file()
    # a twin for every trusted type but the codebook classifiers, which need nothing more
    codebook = {f"pipeline.records.cues.{n}" for n in ("AxisClassifier", "CueThemes", "ProviderModality")}
    assert TRUSTED_TYPES - set(TWINS) == codebook


def test_a_model_file_asking_for_what_a_twin_does_not_compute_is_refused(tmp_path: Path) -> None:
    def by_characters(tree: dict[str, Any]) -> None:  # TF-IDF over character n-grams
        nodes = [tree]
        while nodes:
            node = nodes.pop()
            if isinstance(node, dict) and str(node.get("$object")).endswith(".TfidfVectorizer"):
                node["state"]["$dict"]["analyzer"] = "char"
            nodes.extend(node.values() if isinstance(node, dict) else node if isinstance(node, list) else [])

    _with_tree(MODELS, tmp_path / "chars", by_characters)
    with pytest.raises(ModelError, match=r"TfidfVectorizer with settings a run does not compute.*char"):
        load_models(tmp_path / "chars")


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
