"""Training on several gold documents, measured on documents the models never saw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.pdfs import make_pdf

runner = CliRunner()

REPORTS: dict[str, list[str]] = {
    "honduras": [
        "Youth violence in Central America has grown in the last decade.",
        "The World Bank financed a $20 million program in Honduras in 2012 to prevent youth violence.",
        "Homicide rates remain among the highest in the world.",
        "USAID funded community policing in San Pedro Sula from 2010 to 2014 with $8 million.",
    ],
    "guatemala": [
        "Crime in Guatemala is a concern of many observers.",
        "Spain provided $5 million to train the police of Guatemala in 2009.",
        "Critics argue that the police remain weak.",
        "The European Union funded a justice reform program in Guatemala with $12 million in 2011.",
    ],
    "trade": [
        "The United States and Argentina agreed on a framework for trade and investment.",
        "Tariffs on beef and steel will fall over five years.",
        "Both sides will open markets for agricultural goods.",
    ],
}
GOLD: dict[str, list[tuple[str, list[str], list[str], str]]] = {
    "honduras": [
        ("World Bank", ["Honduras"], [], "soft"),
        ("United States", ["Honduras"], [], "soft"),
    ],
    "guatemala": [("Spain", ["Guatemala"], [], "soft"), ("European Union", ["Guatemala"], [], "soft")],
}


def _gold_record(doc: str, n: int, evidence: str, funder: str, recipients: list[str]) -> dict:
    return {
        "id": f"{doc}-{n:04d}", "doc": doc, "name": None, "evidence": [evidence], "pages": [],
        "funders": [funder], "implementers": [], "recipients": recipients, "amounts": [],
        "years": {"start": None, "end": None, "mentioned": []}, "hard_soft": "soft", "scope": "local",
        "modality": "bilateral", "themes": [],
    }  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Three small reports (one a near-miss with no gold record), a second rendering of one of
    them, and their gold split over two files."""
    folder = tmp_path_factory.mktemp("gold-corpus")
    pdfs = folder / "pdf"
    pdfs.mkdir()
    for doc, sentences in REPORTS.items():
        make_pdf(pdfs / f"{doc}.pdf", sentences)
    make_pdf(pdfs / "honduras-copy.pdf", REPORTS["honduras"])  # another rendering of one report
    first, second = folder / "first.jsonl", folder / "second.jsonl"
    stated = {"honduras": [1, 3], "guatemala": [1, 3]}
    lines = {
        "first": [
            _gold_record(doc, k + 1, REPORTS[src][i], GOLD[src][k][0], GOLD[src][k][1])
            for doc, src in (("honduras", "honduras"), ("honduras-copy", "honduras"))
            for k, i in enumerate(stated[src])
        ],
        "second": [
            _gold_record("guatemala", k + 1, REPORTS["guatemala"][i], *GOLD["guatemala"][k][:2])
            for k, i in enumerate(stated["guatemala"])
        ],
    }  # fmt: skip
    first.write_text("".join(json.dumps(r) + "\n" for r in lines["first"]), encoding="utf-8")
    second.write_text("".join(json.dumps(r) + "\n" for r in lines["second"]), encoding="utf-8")
    return pdfs, first, second


@pytest.fixture(scope="module")
def trained(corpus: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    pdfs, first, second = corpus
    models = tmp_path_factory.mktemp("models")
    # the form scripts use: several gold files after one --gold
    result = runner.invoke(
        app, ["train", "--gold", str(first), str(second), str(pdfs), "--models", str(models), "--no-ner"]
    )
    assert result.exit_code == 0, result.output
    return models, result.output


def test_every_pdf_is_a_gold_document_and_renderings_are_one_report(trained: tuple[Path, str]) -> None:
    models, output = trained
    card = json.loads((models / "card.json").read_text())
    data = card["training_data"]
    assert data["gold"] == ["first.jsonl", "second.jsonl"]
    assert sorted(data["documents"]) == ["guatemala", "honduras", "honduras-copy", "trade"]
    assert sorted(map(sorted, data["reports"].values())) == [
        ["guatemala"], ["honduras", "honduras-copy"], ["trade"]
    ]
    assert "trade: no gold record, taken as coded with none" in output


def test_the_card_and_the_output_give_held_out_figures_per_document(trained: tuple[Path, str]) -> None:
    models, output = trained
    held = json.loads((models / "card.json").read_text())["held_out"]
    lodo = held["leave_one_document_out"]
    assert set(lodo["documents"]) == {"guatemala", "honduras", "honduras-copy", "trade"}
    assert lodo["documents"]["honduras"]["gold"] == 2 and lodo["documents"]["trade"]["gold"] == 0
    assert lodo["micro"]["gold"] == 6
    assert lodo["micro"]["predicted"] == sum(row["predicted"] for row in lodo["documents"].values())
    # how far the figures could move: reports drawn again, the two renderings of one as one
    assert lodo["interval"]["reports"] == 3
    low, high = lodo["intervals"]["detect_f1"]
    assert low <= lodo["micro"]["detect_f1"] <= high
    assert "95% intervals of the micro figures, 2000 draws of the 3 reports" in output
    # one transfer figure per gold file held out: trained on the other file, scored on this one
    assert set(held["transfer"]) == {"second.jsonl → first.jsonl", "first.jsonl → second.jsonl"}
    assert "micro (all documents)" in output and "transfer first.jsonl → second.jsonl" in output


def test_evaluate_says_when_the_gold_trained_the_models(
    corpus: tuple[Path, Path, Path], trained: tuple[Path, str], tmp_path: Path
) -> None:
    pdfs, first, second = corpus
    models, _ = trained
    out = tmp_path / "out"
    mined = runner.invoke(
        app, ["run", str(pdfs), "--out", str(out), "--db", str(out / "i.sqlite"), "--models", str(models)]
    )
    assert mined.exit_code == 0, mined.output
    scored = runner.invoke(
        app,
        ["evaluate", "--gold", str(first), str(second), "--pred", str(out / "records.jsonl"),
         "--models", str(models), "--all-docs"],
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    assert "in-sample" in scored.output and "guatemala" in scored.output
    assert "per document:" in scored.output and "\nhonduras-copy " in scored.output


def test_ablation_switches_each_rule_off(corpus: tuple[Path, Path, Path]) -> None:
    from pipeline.records.rules import RULES

    pdfs, first, second = corpus
    arguments = ["evaluate", "--ablate", "--gold", str(first), str(second), str(pdfs), "--no-ner"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in RULES:
        assert any(line.startswith(name + " ") for line in lines), name
