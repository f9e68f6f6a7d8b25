"""Strangers' folders: odd file names, same stems, links, FIFOs and unreadable files each get a
coded status, nothing is lost or overwritten, and commands fail with a code, never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.batch import Entry, assign_identities, find_pdfs, precheck
from pipeline.cli import app
from pipeline.errors import ErrorCode
from pipeline.export import read_records, write_csv
from pipeline.inventory import SCHEMA_VERSION, Inventory
from pipeline.reading.opening import open_pdf, shown_path

from .pdfs import TEXTS, make_pdf
from .test_inventory import record, summary

runner = CliRunner()


def run(inputs: list[Path], out: Path, *options: str) -> tuple[int, str]:
    db = [] if "--db" in options else ["--db", str(out / "inventory.sqlite")]
    args = ["run", *map(str, inputs), "--out", str(out), *db, "--no-ner", "--workers", "1", *options]
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def documents(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]


def test_a_name_that_is_not_utf8_is_stored_and_printed_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    odd = Path(os.fsdecode(bytes(folder) + b"/caf\xe9 report.pdf"))
    make_pdf(odd, TEXTS["honduras"])
    make_pdf(folder / "plain.pdf", TEXTS["review"])
    code, output = run([folder], tmp_path / "out")
    assert code == 0, output
    assert "caf\\xe9 report.pdf: success" in output
    docs = {d["doc"]: d for d in documents(tmp_path / "out")}
    assert set(docs) == {"caf\\xe9 report", "plain"}
    assert docs["caf\\xe9 report"]["path"].endswith("caf\\xe9 report.pdf")
    records = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").read_text().splitlines()]
    assert any(r["id"].startswith("caf\\xe9 report-") for r in records)
    assert shown_path(odd).encode("utf-8")  # lossless, printable text
    status = runner.invoke(app, ["status", "--db", str(tmp_path / "out" / "inventory.sqlite")])
    assert status.exit_code == 0 and "caf\\xe9" in status.output


def test_same_stem_in_two_folders_and_x_pdf_beside_x_PDF_lose_nothing(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder in (a, b, c):
        folder.mkdir()
    make_pdf(a / "report.pdf", TEXTS["honduras"])
    make_pdf(b / "report.pdf", TEXTS["review"])
    make_pdf(c / "x.pdf", TEXTS["honduras"])
    make_pdf(c / "x.PDF", TEXTS["review"])
    make_pdf(c / "unique.pdf", TEXTS["honduras"])
    out = tmp_path / "out"
    code, output = run([a, b, c], out)
    assert code == 0, output
    docs = [d["doc"] for d in documents(out)]
    assert len(set(docs)) == 5  # five files, five documents
    assert "unique" in docs  # a unique stem stays the identity
    assert sum(d.startswith("report-") and len(d) == len("report-") + 8 for d in docs) == 2
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    by_doc = {r["doc"] for r in records}
    assert {d for d in docs if d.startswith("report-")} <= by_doc  # both reports kept their records
    assert all(r["id"].startswith(r["doc"] + "-") for r in records)
    with Inventory(out / "inventory.sqlite") as inventory:
        assert len(inventory.documents()) == 5
    again = run([a, b, c], out)  # a second run: the same identities, nothing re-mined
    assert again[0] == 0 and again[1].count("(unchanged, from the inventory)") == 5


def test_an_identical_file_at_two_paths_is_one_document_with_both_paths(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    make_pdf(a / "report.pdf", TEXTS["honduras"])
    (b / "report.pdf").write_bytes((a / "report.pdf").read_bytes())
    out = tmp_path / "out"
    assert run([a, b], out)[0] == 0
    assert [d["doc"] for d in documents(out)] == ["report", "report"]
    with Inventory(out / "inventory.sqlite") as inventory:
        assert inventory.paths("report") == sorted([str(a / "report.pdf"), str(b / "report.pdf")])


def test_a_stem_already_in_the_inventory_is_not_overwritten_by_another_file(tmp_path: Path) -> None:
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inventory:
        inventory.store(summary("report", sha="aaaa"), [record("report-0001")])
        entries = [Entry(Path("/elsewhere/report.pdf"), "/elsewhere/report.pdf", "bbbb" * 16, "report")]
        assign_identities(entries, inventory)
        assert entries[0].doc == "report-bbbbbbbb"
        same_path = [Entry(Path("/corpus/report.pdf"), "/corpus/report.pdf", "cccc" * 16, "report")]
        assign_identities(same_path, inventory)  # the file at the known path changed: same document
        assert same_path[0].doc == "report"


def test_parse_out_neither_overwrites_nor_aborts_on_a_long_name(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_pdf(folder / "x.pdf", TEXTS["honduras"])
    make_pdf(folder / "x.PDF", TEXTS["review"])
    long_name = "l" * 251 + ".pdf"  # 255 bytes: legal, but DOC.json is not
    make_pdf(folder / long_name, TEXTS["honduras"])
    out = tmp_path / "json"
    result = runner.invoke(app, ["parse", str(folder), "--out", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("x-*.json"))) == 2
    assert f"{ErrorCode.OUTPUT_UNWRITABLE.value} cannot write" in result.output
    assert result.output.count(": success") + result.output.count(": partial") >= 2


def test_parse_out_onto_a_file_is_a_coded_error(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", TEXTS["honduras"])
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = runner.invoke(app, ["parse", str(pdf), "--out", str(target)])
    assert result.exit_code == 2 and ErrorCode.OUTPUT_UNWRITABLE.value in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", ["status", "export"])
@pytest.mark.parametrize("kind", ["not-sqlite", "directory"])
def test_status_and_export_on_what_is_no_inventory(tmp_path: Path, command: str, kind: str) -> None:
    db = tmp_path / "inv.sqlite"
    if kind == "directory":
        db.mkdir()
    else:
        db.write_bytes(b"%PDF-1.4 this is not a database" * 100)
    args = [command, "--db", str(db)] + (["--out", str(tmp_path / "e.jsonl")] if command == "export" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and ErrorCode.NOT_AN_INVENTORY.value in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_another_programs_database_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    result = runner.invoke(app, ["status", "--db", str(db)])
    assert result.exit_code == 2 and ErrorCode.NOT_AN_INVENTORY.value in result.output
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"notes"}


def test_run_on_a_db_that_is_not_sqlite_and_a_read_only_out_fail_before_mining(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", TEXTS["honduras"])
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 200)
    code, output = run([pdf], tmp_path / "out", "--db", str(bad))
    assert code == 2 and ErrorCode.NOT_AN_INVENTORY.value in output
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_text("x")
    code, output = run([pdf], not_a_folder)  # an --out that cannot be written: said at once
    assert code == 2 and ErrorCode.OUTPUT_UNWRITABLE.value in output and "a.pdf: " not in output


def test_export_out_a_directory_is_a_coded_error(tmp_path: Path) -> None:
    with Inventory(tmp_path / "inv.sqlite") as inventory:
        inventory.store(summary("a"), [record("a-0001")])
    result = runner.invoke(app, ["export", "--db", str(tmp_path / "inv.sqlite"), "--out", str(tmp_path)])
    assert result.exit_code == 2 and ErrorCode.OUTPUT_UNWRITABLE.value in result.output


def test_status_prints_stored_text_as_text(tmp_path: Path) -> None:
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inventory:
        bad = summary("a[/b]")
        bad["errors"] = [{"code": "E106", "message": "bad [/Filter /Foo] [bold]x[/]", "page": None}]
        inventory.store(bad, [])
    result = runner.invoke(app, ["status", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "[/Filter /Foo]" in result.output and "[bold]x[/]" in result.output and "a[/b]" in result.output


def test_csv_cells_that_start_a_formula_are_written_as_text(tmp_path: Path) -> None:
    rec = record("a-0001", name="=cmd|' /C calc'!A0 Plan", funders=["@SUM(1+1)", "+x", "-y", "'quoted"])
    path = write_csv([rec], tmp_path / "r.csv")
    text = path.read_text(encoding="utf-8-sig")
    assert "\"'=cmd|' /C calc'!A0 Plan\"" in text.replace("''", "'")
    assert ',"=' not in text and ',"@' not in text and ',"+' not in text
    back = read_records(path)[0]
    assert back["name"] == "=cmd|' /C calc'!A0 Plan"
    assert back["funders"] == ["@SUM(1+1)", "+x", "-y", "'quoted"]
    with Inventory(tmp_path / "inv.sqlite") as inventory:
        inventory.store(summary("a"), [rec])
    result = runner.invoke(
        app,
        ["export", "--db", str(tmp_path / "inv.sqlite"), "--format", "csv", "--out", str(tmp_path / "e.csv")],
    )
    assert result.exit_code == 0 and "\"'=cmd" in (tmp_path / "e.csv").read_text(encoding="utf-8-sig")


def test_links_out_of_the_folder_fifos_and_unreadable_folders_are_said(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    make_pdf(folder / "ok.pdf", TEXTS["honduras"])
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:secret")
    (folder / "passwd.pdf").symlink_to(secret)
    (folder / "inside.pdf").symlink_to(folder / "ok.pdf")
    os.mkfifo(folder / "pipe.pdf")
    (folder / "loop.pdf").symlink_to(folder / "loop.pdf")
    out = tmp_path / "out"
    code, output = run([folder], out)
    assert code == 0, output
    status = {Path(d["path"]).name: d for d in documents(out)}
    assert status["passwd.pdf"]["errors"][0]["code"] == ErrorCode.SYMLINK_OUTSIDE.value
    assert status["pipe.pdf"]["errors"][0]["code"] == ErrorCode.NOT_REGULAR_FILE.value
    assert status["loop.pdf"]["errors"][0]["code"] == ErrorCode.NOT_FOUND.value
    assert status["inside.pdf"]["status"] == "success"  # a link inside the folder is read
    stored = (
        sqlite3.connect(out / "inventory.sqlite").execute("SELECT errors, summary FROM documents").fetchall()
    )
    assert "root:x" not in json.dumps(stored)  # nothing of the linked file is stored
    # asked to follow links: the linked file is opened, and its bytes are still never quoted
    code, output = run([folder], tmp_path / "out2", "--follow-symlinks")
    status = {Path(d["path"]).name: d for d in documents(tmp_path / "out2")}
    assert status["passwd.pdf"]["errors"][0]["code"] == ErrorCode.NOT_PDF.value
    assert "root:x" not in (tmp_path / "out2" / "documents.jsonl").read_text()


def test_unreadable_files_and_folders_are_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    make_pdf(folder / "locked" / "hidden.pdf", TEXTS["honduras"])
    make_pdf(folder / "denied.pdf", TEXTS["honduras"])
    if os.geteuid() == 0:
        # root reads files whatever their mode: make the file system say no instead
        real_open, real_scandir = open, os.scandir

        def deny_open(file: object, *args: object, **kwargs: object) -> object:
            if str(file).endswith("denied.pdf"):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

        def deny_scandir(path: object = ".") -> object:
            if str(path).endswith("locked"):
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)  # type: ignore[arg-type]

        monkeypatch.setattr("builtins.open", deny_open)
        monkeypatch.setattr(os, "scandir", deny_scandir)
    else:
        (folder / "denied.pdf").chmod(0)
        (folder / "locked").chmod(0)
    found = find_pdfs([folder])
    assert [p.name for p in found.paths] == ["denied.pdf"]
    assert any("locked" in note and ErrorCode.PERMISSION_DENIED.value in note for note in found.notes)
    issue = precheck(folder / "denied.pdf", folder, False)
    assert issue is not None and issue.code == ErrorCode.PERMISSION_DENIED.value
    assert "permission denied" in issue.message


def test_opening_a_fifo_or_an_unreadable_file_never_blocks_or_says_internal(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.pdf")
    opened = open_pdf(tmp_path / "pipe.pdf")  # would wait forever if it were opened
    assert [p.code for p in opened.problems] == [ErrorCode.NOT_REGULAR_FILE.value]
    if os.geteuid() != 0:
        pdf = make_pdf(tmp_path / "x.pdf", TEXTS["honduras"])
        pdf.chmod(0)
        assert [p.code for p in open_pdf(pdf).problems] == [ErrorCode.PERMISSION_DENIED.value]


def test_unreadable_file_named_on_the_command_line_does_not_abort_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok = make_pdf(tmp_path / "ok.pdf", TEXTS["honduras"])
    denied = make_pdf(tmp_path / "denied.pdf", TEXTS["review"])
    import pipeline.batch as batch

    real = batch.precheck

    def deny(path: Path, root: Path | None, follow: bool) -> object:
        if path.name == "denied.pdf":
            from pipeline.reading.opening import permission_problem

            return permission_problem(path, PermissionError(13, "Permission denied"))
        return real(path, root, follow)

    monkeypatch.setattr(batch, "precheck", deny)
    code, output = run([denied, ok], tmp_path / "out")
    assert code == 0 and f"{ErrorCode.PERMISSION_DENIED.value} permission denied" in output
    assert "ok.pdf: success" in output


def test_debug_page_on_a_huge_page_is_capped_and_said(shared_dir: Path, tmp_path: Path) -> None:
    hostile = shared_dir / "corpus" / "hostile"
    for name in ("E_mediabox_1e9.pdf", "E_mediabox_14400.pdf"):
        image = tmp_path / f"{name}.png"
        result = runner.invoke(app, ["debug-page", str(hostile / name), "--page", "1", "-o", str(image)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert result.exit_code in (0, 1), result.output
        if result.exit_code == 0:
            assert image.stat().st_size < 50_000_000
            assert ErrorCode.IMAGE_SCALED.value in result.output
        else:
            assert ErrorCode.IMAGE_TOO_LARGE.value in result.output


def test_a_forced_re_mine_of_identical_records_is_unchanged(tmp_path: Path) -> None:
    with Inventory(tmp_path / "inv.sqlite") as inventory:
        rec = record("a-0001")
        data = rec.to_dict()
        data["spans"] = [{"text": "t", "pages": [1], "boxes": [(1, (1.0, 2.0, 3.0, 4.0))]}]
        inventory.store(summary("a"), [data])
        again = inventory.store(summary("a"), [data], forced=True)  # tuples in, lists stored
        assert (again.updated, again.unchanged) == (0, 1)


CREATE = """
import sys
from pipeline.inventory import Inventory
with Inventory(sys.argv[1]) as inventory:
    print(inventory.version())
"""


def test_two_processes_creating_one_inventory_do_not_collide(tmp_path: Path) -> None:
    for attempt in range(3):
        db = tmp_path / f"inv{attempt}.sqlite"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", CREATE, str(db)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        results = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), results
        assert {r[0].strip() for r in results} == {str(SCHEMA_VERSION)}  # every migration, once


def test_a_second_run_sees_what_the_first_has_claimed(tmp_path: Path) -> None:
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as first, Inventory(db) as second:
        assert first.claim("report") is None
        assert second.claim("report") == first.owner  # taken: the second run leaves it
        assert second.claimed_by_other("report")
        first.store(summary("report"), [record("report-0001")])  # storing releases the claim
        assert not second.claimed_by_other("report") and second.claim("report") is None
    with Inventory(db) as third:  # a claim whose process is gone is taken over
        third.conn.execute("UPDATE claims SET owner = 'gone', pid = 999999999")
        assert third.claim("report") is None


@pytest.mark.slow
def test_two_runs_on_one_inventory_mine_each_document_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        make_pdf(folder / f"doc{i}.pdf", TEXTS["honduras"] * (i + 1))
    db = tmp_path / "shared.sqlite"  # created by neither beforehand: both create it at once
    cmd = [sys.executable, "-c", "from pipeline.cli import main; main()", "run", str(folder), "--db", str(db)]
    procs = [
        subprocess.Popen(
            [*cmd, "--out", str(tmp_path / f"out{n}"), "--workers", "1", "--no-ner"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    assert all("Traceback" not in out + err for out, err in results)
    with sqlite3.connect(db) as conn:
        mined = conn.execute("SELECT doc, COUNT(*) FROM changes GROUP BY doc").fetchall()
        assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    assert sorted(mined) == [(f"doc{i}", 1) for i in range(4)]  # each mined by one run only
    first, second = (documents(tmp_path / f"out{n}") for n in range(2))
    assert [d["doc"] for d in first] == [d["doc"] for d in second] == [f"doc{i}" for i in range(4)]
    records = [(tmp_path / f"out{n}" / "records.jsonl").read_bytes() for n in range(2)]
    assert records[0] == records[1]  # both runs' files hold the whole corpus
