"""The package's evaluation agrees with the reference scorer, figure for figure.

The reference ``shared/eval/score.py`` runs as a subprocess (as a user would run it) on the gold
file against itself, against a deterministically perturbed copy (with ``--all-docs``, as it
holds an off-topic document) and against an empty prediction file; its two printed summary lines and its
``--json`` report must equal what :func:`pipeline.evaluate.evaluate` gives. The four runs start
together in one session fixture, since each takes seconds (the reference tokenises inside its
pair loop). A seeded fuzz over small, tie-heavy
cases then compares against the reference's ``score()`` loaded in-process.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import pipeline.evaluate as evaluate_module
from pipeline.evaluate import (
    EVIDENCE_CHARS,
    NONE_LABEL,
    SUMMARY_KEYS,
    Counts,
    Evaluation,
    Tallies,
    difference_intervals,
    document_rows,
    document_table,
    document_tallies,
    evaluate,
    intervals,
    load_aliases,
    load_jsonl,
    normalize,
    report,
    report_groups,
    same_name,
    summary_lines,
    tokens,
)

OFF_TOPIC_DOC = "annual-fisheries-report"
UNRELATED = [
    "The fishing fleet landed record catches of herring off the northern coast during the autumn season.",
    "Harbour dues were revised after the municipal council reviewed maintenance costs for the piers.",
    "Weather conditions delayed ferry crossings for most of February, according to the port authority.",
]
OTHER_LABEL = {
    "hard_soft": {"hard": "soft", "soft": "mixed", "mixed": "hard"},
    "scope": {"transnational": "local", "local": "mixed", "mixed": "transnational"},
    "modality": {
        "bilateral": "multilateral",
        "multilateral": "regional",
        "regional": "bilateral",
        "south-south": "triangular",
        "triangular": "south-south",
        "non-governmental": "private",
        "private": "non-governmental",
    },
}


def perturb(gold: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A prediction file made from the gold by fixed rules: every kind of error the scorer counts."""
    preds: list[dict[str, Any]] = []
    # An off-topic document first, so that the order of documents in the file differs from the gold's.
    for n, text in enumerate(UNRELATED):
        preds.append({**copy.deepcopy(gold[n]), "id": f"off-{n}", "doc": OFF_TOPIC_DOC, "evidence": [text]})
    for i, g in enumerate(gold):
        if i % 5 == 4:  # dropped: a missed gold record
            continue
        p = copy.deepcopy(g)
        p["id"] = f"pred-{i:04d}"
        p.pop("seed_line", None)
        if i % 7 == 0:
            p["hard_soft"] = OTHER_LABEL["hard_soft"][p["hard_soft"]]
        if i % 13 == 0:
            p["hard_soft"] = None  # the "none" column of the confusion table
        if i % 11 == 0:
            p["scope"] = OTHER_LABEL["scope"][p["scope"]]
        if i % 6 == 1:
            p["modality"] = OTHER_LABEL["modality"][p["modality"]]
        if i % 4 == 1 and p["funders"]:
            p["funders"] = p["funders"][:-1]
        if i % 9 == 2:  # aliases and case must not count as errors
            p["funders"] = ["U.S." if f == "United States" else f.upper() for f in p["funders"]]
            p["recipients"] = ["the " + r for r in p["recipients"]]
        for a in p["amounts"]:
            if i % 3 == 0:
                a["value"] = a["value"] * 1.01  # outside the 0.5 % tolerance
            elif i % 3 == 1:
                a["value"] = a["value"] * 1.002  # inside it
        if i % 8 == 3 and p["years"]["start"] is not None:
            p["years"]["start"] += 1
        if i % 5 == 1 and p["themes"]:
            p["themes"] = p["themes"][1:]
        if i % 10 == 3:
            p["themes"] = [*p["themes"], "youth"]
        if i % 4 == 2:  # shorter evidence: the first sentence's first half, sometimes too little to match
            words = str(p["evidence"][0]).split()
            p["evidence"] = [" ".join(words[: max(3, len(words) // 2)])]
        preds.append(p)
        if i % 17 == 5:  # a duplicate: ties, broken by index as in the reference
            preds.append({**copy.deepcopy(p), "id": f"dup-{i:04d}"})
        if i % 19 == 7:  # spurious in a gold document
            preds.append({**copy.deepcopy(p), "id": f"spur-{i:04d}", "evidence": [UNRELATED[i % 3]]})
    # Malformed fields: scored, not crashed on (strings for lists, a bad amount, years not a dict).
    for n, g in enumerate(gold[:6:2]):
        preds.append(
            {
                "id": f"odd-{n}",
                "doc": g["doc"],
                "evidence": g["evidence"][0],
                "funders": "United States",
                "themes": "counter-narcotics",
                "amounts": [{"value": "n/a"}, "500 million", {"value": 1e6, "currency": "usd"}],
                "years": "2008",
            }
        )
    return preds


def write_jsonl(records: list[dict[str, Any]], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def gold(shared_dir: Path) -> list[dict[str, Any]]:
    return load_jsonl(shared_dir / "gold" / "dev.jsonl")


@pytest.fixture(scope="session")
def actors(shared_dir: Path) -> Path:
    return shared_dir / "spec" / "actors.csv"


@pytest.fixture(scope="session")
def aliases(actors: Path) -> dict[str, str]:
    return load_aliases(actors)


@pytest.fixture(scope="session")
def perturbed(gold: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return perturb(gold)


@pytest.fixture(scope="session")
def reference(
    shared_dir: Path,
    actors: Path,
    gold: list[dict[str, Any]],
    perturbed: list[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[list[str], dict[str, Any]]]:
    """Run the reference scorer on every case at once; per case its last two lines and JSON report."""
    tmp = tmp_path_factory.mktemp("reference")
    gold_path = shared_dir / "gold" / "dev.jsonl"
    cases = {
        "self": (gold_path, []),
        "perturbed-all-docs": (write_jsonl(perturbed, tmp / "perturbed.jsonl"), ["--all-docs"]),
        "empty": (write_jsonl([], tmp / "empty.jsonl"), []),
    }
    running = {}
    for name, (pred_path, flags) in cases.items():
        cmd = [sys.executable, str(shared_dir / "eval" / "score.py"), str(gold_path), str(pred_path)]
        cmd += ["--actors", str(actors), "--json", str(tmp / f"{name}.json"), "--details", *flags]
        running[name] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for name, proc in running.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        lines = stdout.splitlines()
        out[name] = (lines[-2:], json.loads((tmp / f"{name}.json").read_text(encoding="utf-8")))
    return out


def predictions(
    name: str, gold: list[dict[str, Any]], perturbed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return {"self": gold, "perturbed-all-docs": perturbed, "empty": []}[name]


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """The report with pairs in a fixed order (the reference's order follows a set of doc ids)."""
    pairs = sorted(summary["pairs"], key=lambda d: (str(d["gold"]), str(d["pred"])))
    return {**summary, "pairs": pairs}


CASES = ["self", "perturbed-all-docs", "empty"]


@pytest.mark.parametrize("case", CASES)
def test_summary_lines_agree_with_reference(
    case: str,
    reference: dict[str, tuple[list[str], dict[str, Any]]],
    gold: list[dict[str, Any]],
    perturbed: list[dict[str, Any]],
    aliases: dict[str, str],
) -> None:
    ev = evaluate(gold, predictions(case, gold, perturbed), aliases, all_docs=case.endswith("all-docs"))
    lines, _ = reference[case]
    assert summary_lines(ev) == lines


@pytest.mark.parametrize("case", CASES)
def test_json_report_agrees_with_reference(
    case: str,
    reference: dict[str, tuple[list[str], dict[str, Any]]],
    gold: list[dict[str, Any]],
    perturbed: list[dict[str, Any]],
    aliases: dict[str, str],
) -> None:
    ev = evaluate(gold, predictions(case, gold, perturbed), aliases, all_docs=case.endswith("all-docs"))
    _, expected = reference[case]
    assert list(ev.summary) == list(expected)
    assert comparable(ev.summary) == comparable(expected)


def test_perturbed_case_exercises_every_figure(
    reference: dict[str, tuple[list[str], dict[str, Any]]],
    gold: list[dict[str, Any]],
    perturbed: list[dict[str, Any]],
    aliases: dict[str, str],
) -> None:
    """Guard against a perturbation so mild that agreement would prove little."""
    _, scored = reference["perturbed-all-docs"]
    for key in ("detect_precision", "detect_recall", "hard_soft_acc", "scope_acc", "modality_acc"):
        assert 0.5 < scored[key] < 1.0, key
    for key in ("funders_f1", "themes_f1", "amounts_f1", "years_start_acc"):
        assert 0.1 < scored[key] < 1.0, key
    assert scored["unmatched_pred"][: len(UNRELATED)] == [f"off-{n}" for n in range(len(UNRELATED))]
    assert any(p["pred"].startswith("dup-") for p in scored["pairs"])
    # Without --all-docs the off-topic document is not scored (that branch is also fuzzed below).
    plain = evaluate(gold, perturbed, aliases).summary
    assert plain["predicted"] == scored["predicted"] - len(UNRELATED)
    assert plain["matched"] == scored["matched"]


def test_pairs_are_deterministic(gold: list[dict[str, Any]], perturbed: list[dict[str, Any]]) -> None:
    a = evaluate(gold, perturbed, {}, all_docs=True).summary["pairs"]
    b = evaluate(gold, list(perturbed), {}, all_docs=True).summary["pairs"]
    assert a == b
    assert [d["gold"].rsplit("-", 1)[0] for d in a] == sorted(d["gold"].rsplit("-", 1)[0] for d in a)


# --- in-process fuzz against the reference's functions ---------------------------------------


def load_reference(shared_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_score", shared_dir / "eval" / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_normalisation_and_tokens_agree(shared_dir: Path, gold: list[dict[str, Any]]) -> None:
    ref = load_reference(shared_dir)
    texts = [str(e) for g in gold for e in g["evidence"]]
    texts += [
        "ﬁnancial co-\n  operation",
        "The \\$2.4 billion¹²",
        "soft\u00adhyphen",
        "Ｆｕｌｌｗｉｄｔｈ ÉTAT",
    ]
    for text in texts:
        assert normalize(text) == ref.normalize(text)
        assert tokens(text) == ref.tokens(text)


def test_fuzz_agrees_with_reference_score(shared_dir: Path) -> None:
    """Small tie-heavy cases: few words, duplicated evidence, several documents, missing labels."""
    ref = load_reference(shared_dir)
    rng = random.Random(20240611)
    words = ["police", "drug", "aid", "loan", "fund", "border", "gang", "united", "states", "mexico", "arms"]
    aliases = {"us": "united states", "usa": "united states", "united states": "united states"}

    def record(n: int, doc: str) -> dict[str, Any]:
        return {
            "id": f"{doc}-{n}",
            "doc": doc,
            "evidence": [" ".join(rng.choices(words, k=rng.randint(2, 9))) for _ in range(rng.randint(0, 3))],
            "hard_soft": rng.choice(["hard", "soft", "mixed", None]),
            "scope": rng.choice(["local", "transnational", ""]),
            "modality": rng.choice(["bilateral", "regional"]),
            "funders": rng.sample(["US", "USA", "Canada", "the United States", "Spain"], k=rng.randint(0, 3)),
            "recipients": rng.sample(["Mexico", "Peru"], k=rng.randint(0, 2)),
            "themes": rng.sample(["gangs", "youth", "arms-control"], k=rng.randint(0, 3)),
            "amounts": [
                {"value": rng.choice([1e6, 1.004e6, 2e6, 0]), "currency": rng.choice(["USD", "EUR", None])}
                for _ in range(rng.randint(0, 2))
            ],
            "years": {"start": rng.choice([None, 2008, 2009]), "end": rng.choice([None, 2010])},
        }

    for case in range(150):
        docs = ["a", "b", "c"][: rng.randint(1, 3)]
        gold = [record(n, rng.choice(docs[:2])) for n in range(rng.randint(0, 8))]
        pred = [record(n, rng.choice(docs)) for n in range(rng.randint(0, 10))]
        pred += [{**copy.deepcopy(g), "id": f"copy-{g['id']}"} for g in gold if rng.random() < 0.4]
        rng.shuffle(pred)
        for all_docs in (False, True):
            expected = ref.score(gold, pred, aliases, all_docs)
            ev = evaluate(gold, pred, aliases, all_docs)
            assert comparable(ev.summary) == comparable(expected), (case, all_docs)


# --- error analysis ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def analysed(
    gold: list[dict[str, Any]], perturbed: list[dict[str, Any]], aliases: dict[str, str]
) -> Evaluation:
    return evaluate(gold, perturbed, aliases, all_docs=True)


def test_confusion_totals_equal_labelled_pairs(analysed: Evaluation, gold: list[dict[str, Any]]) -> None:
    by_id = {g["id"]: g for g in gold}
    pairs = analysed.summary["pairs"]
    for k, table in analysed.confusion.items():
        labelled = sum(1 for p in pairs if by_id[p["gold"]].get(k))
        assert sum(n for row in table.values() for n in row.values()) == labelled
        diagonal = sum(row.get(label, 0) for label, row in table.items())
        assert round(diagonal / labelled, 4) == analysed.summary[f"{k}_acc"]
        assert all(list(row)[-1] == NONE_LABEL for row in table.values())
    assert sum(row[NONE_LABEL] for row in analysed.confusion["hard_soft"].values()) > 0


def test_names_agree_under_the_name_key_and_unnamed_with_unnamed() -> None:
    assert same_name("Joint Task Force Alpha (JTFA)", "the Joint Task Force Alpha")
    assert same_name("Mérida Initiative", "Merida Initiative")
    assert same_name(None, None) and same_name("", None)
    assert not same_name("Strategy on July", None)  # a name where the text gives none
    assert not same_name("High-Level Security Dialogue in October", "High-Level Security Dialogue")


def test_name_accuracy_counts_matched_pairs(gold: list[dict[str, Any]], aliases: dict[str, str]) -> None:
    named = [g for g in gold if g.get("name")][:4]
    renamed = [{**g, "name": f"{g['name']} in October"} for g in named[:1]] + named[1:]
    assert evaluate(named, renamed, aliases).name_acc == 0.75
    assert evaluate(named, [], aliases).name_acc is None


def test_theme_counts_add_up_to_themes_f1(analysed: Evaluation) -> None:
    total = Counts()
    for m in analysed.themes.values():
        total.tp += int(m["tp"])
        total.fp += int(m["fp"])
        total.fn += int(m["fn"])
        assert m["support"] == m["tp"] + m["fn"]
    assert round(total.f1(), 4) == analysed.summary["themes_f1"]
    assert analysed.themes["youth"]["fp"] > 0


def test_missed_and_spurious_lists(analysed: Evaluation) -> None:
    assert sorted(m["id"] for m in analysed.missed) == sorted(analysed.summary["missed_gold"])
    assert sorted(s["id"] for s in analysed.spurious) == sorted(analysed.summary["unmatched_pred"])
    assert all(len(e["evidence"]) <= EVIDENCE_CHARS and e["doc"] for e in analysed.missed + analysed.spurious)
    off = [s for s in analysed.spurious if s["doc"] == OFF_TOPIC_DOC]
    assert len(off) == len(UNRELATED) and all(s["nearest"] is None for s in off)
    assert off[0]["evidence"] == UNRELATED[0]
    # A dropped gold record usually has a near copy in the other predictions; a shortened one a near miss.
    assert any(0 < m["similarity"] < 0.6 for m in analysed.missed)
    # A dropped record whose evidence another gold record shares: its nearest prediction went there.
    assert any(m["similarity"] >= 0.6 and m["nearest_matched"] for m in analysed.missed)


def test_report_is_readable(analysed: Evaluation) -> None:
    text = report(analysed)
    lines = text.splitlines()
    assert lines[:2] == summary_lines(analysed)
    for heading in ("hard_soft: gold (rows)", "scope: gold", "modality: gold", "themes over matched pairs"):
        assert heading in text
    assert f"missed gold records ({len(analysed.missed)})" in text
    assert f"spurious predictions ({len(analysed.spurious)})" in text
    assert "missed gold records" not in report(analysed, details=False)


def test_empty_inputs_report() -> None:
    ev = evaluate([], [], {})
    assert summary_lines(ev)[1].startswith("detect_f1=0.0 ")
    assert "hard_soft_acc=n/a" in summary_lines(ev)[1]
    assert "no matched pair" in report(ev)


def test_load_jsonl_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "doc": "d"}\n\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:3: not JSON"):
        load_jsonl(path)


def test_load_aliases_without_a_table(tmp_path: Path, aliases: dict[str, str]) -> None:
    assert load_aliases(None) == {}
    assert load_aliases(tmp_path / "missing.csv") == {}
    assert aliases["us"] == aliases["united states"] == "united states"


# --- figures by report, and how far they could move -----------------------------------------------


@dataclass
class Reports:
    """The seed's two renderings and the field reports with predictions perturbed from their
    gold: several reports, as leave-one-document-out has."""

    gold: list[dict[str, Any]]
    pred: list[dict[str, Any]]
    docs: list[str]
    groups: dict[str, str]
    tallies: dict[str, Tallies]


@pytest.fixture(scope="session")
def reports(shared_dir: Path, gold: list[dict[str, Any]], aliases: dict[str, str]) -> Reports:
    every = [*gold, *load_jsonl(shared_dir / "gold" / "field.jsonl")]
    pred = perturb(every)
    docs = sorted({g["doc"] for g in every} | {OFF_TOPIC_DOC})
    tallies = document_tallies(every, pred, aliases, docs)
    return Reports(every, pred, docs, report_groups(every, docs), tallies)


def test_document_tallies_add_up_to_the_pooled_figures(reports: Reports, aliases: dict[str, str]) -> None:
    total = sum(reports.tallies.values(), Tallies())
    pooled = evaluate(reports.gold, reports.pred, aliases, all_docs=True)
    assert total == pooled.tallies
    figures = total.figures()
    for key in SUMMARY_KEYS:
        expected = pooled.summary[key]
        assert (round(figures[key], 4) if figures[key] is not None else None) == expected, key
    assert round(figures["name_acc"], 4) == pooled.name_acc


def test_report_groups_put_renderings_of_one_report_together(reports: Reports) -> None:
    groups = report_groups(reports.gold, ["a-report-without-gold"])
    assert groups["neighborhood-1col"] == groups["neighborhood-2col"] == "neighborhood-1col"
    field_docs = {g["doc"] for g in reports.gold} - {"neighborhood-1col", "neighborhood-2col"}
    assert len(field_docs) >= 5
    assert all(groups[d] == d for d in field_docs)  # each field report is its own
    assert groups["a-report-without-gold"] == "a-report-without-gold"


def test_report_groups_need_most_of_the_shorter_documents_evidence() -> None:
    said = [f"The agency funded program number {n} for the police of the region." for n in range(6)]

    def records(doc: str, picked: list[int]) -> list[dict[str, Any]]:
        return [{"id": f"{doc}-{n}", "doc": doc, "evidence": [said[n]]} for n in picked]

    gold = [
        *records("report", [0, 1, 2, 3]),
        *records("its-other-layout", [0, 1, 5]),  # two of its three sentences are the report's
        *records("quotes-it-once", [2, 4, 5]),  # one of three
    ]
    groups = report_groups(gold)
    assert groups["report"] == groups["its-other-layout"] == "its-other-layout"
    assert groups["quotes-it-once"] == "quotes-it-once"


def test_intervals_hold_the_figures_and_draw_reports_not_documents(reports: Reports) -> None:
    spans = intervals(reports.tallies, reports.groups, resamples=400)
    pooled = sum(reports.tallies.values(), Tallies()).figures()
    for key in ("detect_f1", "detect_precision", "funders_f1", "hard_soft_acc"):
        low, high = spans[key]
        assert low <= pooled[key] <= high and low < high, key
    assert spans == intervals(reports.tallies, reports.groups, resamples=400)  # seeded: the same every time
    # the two renderings are one report: drawn as one, never one without the other
    apart = {doc: doc for doc in reports.docs}
    assert intervals(reports.tallies, apart, resamples=400) != spans
    # drawn in blocks of a few rows, as a corpus of thousands of reports is: the same draws
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evaluate_module, "DRAW_CELLS", 25)
        assert intervals(reports.tallies, reports.groups, resamples=400) == spans
    # two reports say nothing about a third
    kept = ("neighborhood-1col", OFF_TOPIC_DOC)
    two = {d: t for d, t in reports.tallies.items() if reports.groups[d] in kept}
    assert intervals(two, reports.groups) == {}


def test_difference_intervals_tell_a_change_on_every_report_from_none(
    reports: Reports, aliases: dict[str, str]
) -> None:
    same = difference_intervals(reports.tallies, reports.tallies, reports.groups, resamples=300)
    assert same["detect_f1"] == [0.0, 0.0]
    # every report loses its first two records: recall falls on all of them
    dropped: dict[str, list[str]] = {}
    for p in reports.pred:
        if str(p["id"]).startswith("pred-") and len(dropped.setdefault(p["doc"], [])) < 2:
            dropped[p["doc"]].append(p["id"])
    gone = {i for ids in dropped.values() for i in ids}
    fewer = [p for p in reports.pred if p["id"] not in gone]
    worse = document_tallies(reports.gold, fewer, aliases, reports.docs)
    low, high = difference_intervals(reports.tallies, worse, reports.groups, resamples=300)["detect_recall"]
    assert low <= high < 0


def test_document_table_gives_the_intervals_under_the_table(
    reports: Reports, aliases: dict[str, str]
) -> None:
    rows = document_rows(reports.gold, reports.pred, aliases, reports.docs)
    assert rows["interval"]["reports"] == len(reports.docs) - 1  # the seed's renderings are one report
    low, high = rows["intervals"]["detect_f1"]
    assert low <= rows["micro"]["detect_f1"] <= high
    last = document_table(rows).splitlines()[-1]
    assert last.startswith("95% intervals") and f"detect F1 {low:.3f}-{high:.3f}" in last
    json.dumps(rows)  # the model card holds them
    peru = "wh-peru-partnership-2024"
    one = document_rows(gold_of(reports.gold, peru), gold_of(reports.pred, peru), aliases)
    assert "intervals" not in one and document_table(one).splitlines()[-1].startswith("micro")


def gold_of(records: list[dict[str, Any]], doc: str) -> list[dict[str, Any]]:
    return [r for r in records if r["doc"] == doc]
