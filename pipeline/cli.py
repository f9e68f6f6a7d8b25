"""The ``csminer`` command line: it composes stages and holds no logic of its own."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from .config import Config
from .document import Document, Problem, Status
from .errors import ErrorCode, problem

if TYPE_CHECKING:
    from .batch import Found

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Mine citizen-security interventions from PDFs."
)

def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"csminer {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Mine citizen-security interventions from PDFs."""


SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a setting, e.g. reading.x_tolerance=2 (repeatable)."),
]
PasswordOption = Annotated[str | None, typer.Option("--password", help="Password for encrypted PDFs.")]


def pdf_paths(inputs: list[Path]) -> list[Path]:
    """Files as given, folders expanded to the PDFs below them, in a stable order."""
    from .batch import find_pdfs

    return find_pdfs(inputs).paths


def _found_or_exit(inputs: list[Path]) -> Found:
    """The PDFs to work on, folders that could not be read said; no PDF at all is a usage error
    (exit 2), not an empty success."""
    from .batch import find_pdfs

    found = find_pdfs(inputs)
    for note in found.notes:
        typer.echo(f"warning: {note}", err=True)
    if not found.paths:
        typer.echo("no PDF found in the inputs", err=True)
        raise typer.Exit(2)
    return found


def _pdfs_or_exit(inputs: list[Path]) -> list[Path]:
    """The PDFs to work on; no PDF at all is a usage error (exit 2), not an empty success."""
    return _found_or_exit(inputs).paths


def shown_path(path: str | Path) -> str:
    """A path as text that encodes (:func:`pipeline.reading.opening.shown_path`). The reading
    modules are imported by the commands that read PDFs, not by every command: importing them
    takes about a second, longer than ``status`` needs."""
    from .reading.opening import shown_path as shown

    return shown(path)


def _fail(issue: Problem, status: int = 2) -> NoReturn:
    """Say a coded error and leave with ``status``: the user gets a code and a sentence, never a traceback."""
    typer.echo(f"error: {issue.code} {issue.message}", err=True)
    raise typer.Exit(status)


def _inventory_or_exit(db: Path) -> None:
    """Exit with a coded message unless ``db`` is an existing file (status and export only read)."""
    if not db.exists():
        typer.echo(f"no inventory at {shown_path(db)}", err=True)
        raise typer.Exit(2)
    if not db.is_file():
        _fail(problem(ErrorCode.NOT_AN_INVENTORY, path=shown_path(db), detail="it is a directory"))


def _config(assignments: list[str] | None) -> Config:
    try:
        return Config().override(*(assignments or []))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--set") from exc


def _summary(document: Document) -> str:
    head = f"{shown_path(document.path)}: {document.status.value}, {document.pages} page(s)"
    if document.status != Status.FAILURE:
        head += (
            f", {len(document.blocks)} blocks, {len(document.footnotes)} notes, {len(document.tables)} tables"
        )
    lines = [head]
    lines.extend(f"  {e.code} {e.message}" for e in document.errors)
    return "\n".join(lines)


OcrOption = Annotated[
    str | None,
    typer.Option(
        "--ocr",
        help="auto (default): OCR pages with no usable text layer (Tesseract); always: every page; never.",
    ),
]


def _with_ocr(config: Config, ocr: str | None) -> Config:
    """``--ocr`` is ``reading.ocr`` (it wins over a ``--set reading.ocr=…``)."""
    if ocr is None:
        return config
    try:
        return config.override(f"reading.ocr={ocr}")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--ocr") from exc


@app.command()
def parse(
    inputs: Annotated[list[Path], typer.Argument(help="PDF files or folders of PDFs.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the document model as JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write one DOC.json per document here.")] = None,
    fragments: Annotated[bool, typer.Option(help="Include per-line fragments in the JSON.")] = False,
    password: PasswordOption = None,
    settings: SetOption = None,
    ocr: OcrOption = None,
) -> None:
    """Read PDFs into the document model: blocks in reading order, notes, tables, furniture."""
    from .batch import RunError, assign_identities, check_output, make_entries
    from .reading import opening
    from .reading.reader import read_pdf

    config = _with_ocr(_config(settings), ocr)
    opening.configure(config.limits)
    found = _found_or_exit(inputs)
    if out is not None:
        try:
            check_output(out)
        except RunError as exc:
            _fail(exc.problem)
    entries = make_entries(found.paths, found.roots)
    assign_identities(entries)  # x.pdf beside x.PDF: two files, two DOC.json
    failures = 0
    for entry in entries:
        if entry.problem is not None:
            document = Document(doc=entry.doc, path=entry.shown, errors=[entry.problem])
            document.status = Status.FAILURE
        else:
            document = read_pdf(entry.path, config.reading, password=password)
            document.doc, document.path = entry.doc, entry.shown
        if out is not None:
            target = out / f"{entry.doc}.json"
            try:
                target.write_text(
                    json.dumps(document.to_dict(fragments=fragments), ensure_ascii=False, indent=1),
                    encoding="utf-8",
                )
            except OSError as exc:  # a name too long for the file system: this document only
                issue = problem(
                    ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(target), detail=exc.strerror or exc
                )
                document.errors.append(issue)
                document.status = Status.FAILURE
        failures += document.status == Status.FAILURE
        if as_json:
            sys.stdout.write(json.dumps(document.to_dict(fragments=fragments), ensure_ascii=False) + "\n")
        else:
            typer.echo(_summary(document), err=as_json)
    if failures == len(entries):
        raise typer.Exit(1)


@app.command("debug-page")
def debug_page(
    pdf: Annotated[Path, typer.Argument(help="The PDF to look at.")],
    page: Annotated[int, typer.Option("--page", help="1-based page number.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG file to write.")] = Path("page.png"),
    resolution: Annotated[int, typer.Option(help="Pixels per inch.")] = 110,
    password: PasswordOption = None,
    settings: SetOption = None,
) -> None:
    """Draw what the parser saw on one page: blocks, notes, furniture, tables, asides."""
    from .batch import precheck
    from .reading import opening
    from .reading.debug import RenderError, render_page
    from .reading.reader import read_pdf

    config = _config(settings)
    opening.configure(config.limits)
    issue = precheck(pdf, None, True)
    if issue is not None:
        _fail(issue, 1)
    document = read_pdf(pdf, config.reading, password=password)
    if document.status == Status.FAILURE:
        typer.echo(_summary(document), err=True)
        raise typer.Exit(1)
    if not 1 <= page <= document.pages:
        typer.echo(f"{shown_path(pdf)}: page {page} is out of range 1-{document.pages}", err=True)
        raise typer.Exit(2)
    try:
        notes = render_page(pdf, document, page, output, resolution=resolution, password=password)
    except RenderError as exc:
        _fail(exc.problem, 1)
    except OSError as exc:
        _fail(problem(ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(output), detail=exc.strerror or exc))
    for note in notes:
        typer.echo(f"warning: {note.code} {note.message}", err=True)
    typer.echo(f"wrote {shown_path(output)}")


DEFAULT_MODELS = Path(__file__).resolve().parent.parent / "models" / "records"
ModelsOption = Annotated[
    Path, typer.Option("--models", help="Folder of trained models (records.npz, card.json).")
]


DEFAULT_DB = Path("outputs") / "inventory.sqlite"
DbOption = Annotated[Path, typer.Option("--db", help="The inventory (SQLite).")]
CsvSepOption = Annotated[
    str, typer.Option("--csv-sep", help="CSV cell separator: ',' (default), ';' (Excel in es/pt/fr) or tab.")
]


def _csv_sep(value: str) -> str:
    value = "\t" if value in ("tab", "\\t") else value
    if value == ",":  # the default: checking it needs no import of the writers (pyarrow)
        return value
    from .export import CSV_SEPARATORS

    if value not in CSV_SEPARATORS:
        raise typer.BadParameter("expected ',', ';' or tab", param_hint="--csv-sep")
    return value


def _existing_inputs(inputs: list[Path]) -> list[Path]:
    """The inputs that exist; a missing or mistyped one is said (E100) and left out, so it never
    enters the inventory as a document."""
    kept = []
    for item in inputs:
        if item.exists() or item.is_symlink():
            kept.append(item)
        else:
            issue = problem(ErrorCode.NOT_FOUND, path=shown_path(item))
            typer.echo(f"error: {issue.code} {issue.message}", err=True)
    if not kept:
        raise typer.Exit(2)
    return kept


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="PDF files or folders of PDFs.")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for records.jsonl/.csv/.parquet and documents.jsonl.")
    ],
    db: Annotated[
        Path | None, typer.Option("--db", help="The inventory (SQLite); default: inventory.sqlite in --out.")
    ] = None,
    models: ModelsOption = DEFAULT_MODELS,
    csv_sep: CsvSepOption = ",",
    ner: Annotated[
        bool,
        typer.Option(help="Use the pretrained pipeline (NER for unregistered actors, parser for roles)."),
    ] = True,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: all cores).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Mine documents already in the inventory.")] = False,
    follow_symlinks: Annotated[
        bool,
        typer.Option("--follow-symlinks", help="Read .pdf links that point out of the input folders."),
    ] = False,
    password: PasswordOption = None,
    settings: SetOption = None,
    ocr: OcrOption = None,
) -> None:
    """Mine intervention records from PDFs: read, find mentions, detect, assemble, classify, export."""
    from rich.console import Console

    from .batch import RunError, run_batch, summary_table
    from .inventory import InventoryError

    config = _with_ocr(_config(settings), ocr)
    csv_sep = _csv_sep(csv_sep)
    db = db if db is not None else out / "inventory.sqlite"
    found = _found_or_exit(_existing_inputs(inputs))
    paths = found.paths
    if not (models / "card.json").is_file():
        typer.echo(f"error: no trained models in {models} (run csminer train)", err=True)
        raise typer.Exit(2)

    def check_models() -> None:
        """Trust and versions of the models, checked once, before the first document is mined."""
        from .records.store import ModelError, load_models

        try:
            loaded = load_models(models)
        except ModelError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        for warning in loaded.warnings:
            typer.echo(f"warning: {warning}", err=True)

    notes_shown: set[str] = set()

    def show(outcome: Any) -> None:
        for note in outcome.summary.get("warnings", []):
            if note not in notes_shown:
                notes_shown.add(note)
                typer.echo(f"warning: {note}", err=True)

    try:
        result = run_batch(
            paths,
            out,
            db,
            models,
            config,
            use_ner=ner,
            password=password,
            workers=workers,
            scheduler=scheduler,
            force=force,
            on_outcome=show,
            before_mining=check_models,
            roots=found.roots,
            follow_symlinks=follow_symlinks,
        )
    except RunError as exc:
        _fail(exc.problem, 130 if exc.problem.code == ErrorCode.INTERRUPTED.value else 2)
    except InventoryError as exc:
        _fail(problem(ErrorCode.NOT_AN_INVENTORY, path=shown_path(db), detail=exc))
    except KeyboardInterrupt:
        _fail(problem(ErrorCode.INTERRUPTED), 130)
    except (OSError, TimeoutError) as exc:  # the Dask scheduler cannot be reached
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if csv_sep != ",":  # the run wrote the default CSV: write it again with the separator asked for
        from .export import write_csv

        write_csv(result.records, out / "records.csv", csv_sep)
    for outcome in result.outcomes:
        s = outcome.summary
        cached = " (unchanged, from the inventory)" if s.get("cached") else ""
        line = f"{s['path']}: {s['status']}, {s['pages']} page(s), {s['counts']['records']} records{cached}"
        typer.echo(line)
        for error in s["errors"]:
            typer.echo(f"  {error['code']} {error['message']}")
    Console(file=sys.stdout, width=100).print(summary_table(result))
    typer.echo(
        f"{len(result.records)} records from {len(result.outcomes)} document(s) written to {shown_path(out)}/"
    )
    if all(o.summary["status"] == "failure" for o in result.outcomes):
        raise typer.Exit(1)


EXPORT_FORMATS = ("jsonl", "csv", "parquet", "xlsx", "iati")


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl, csv, parquet, xlsx or iati.")] = "jsonl",
    db: DbOption = DEFAULT_DB,
    csv_sep: CsvSepOption = ",",
) -> None:
    """Write the inventory's records (RECORDS.md shape) with their intervention and sources; xlsx
    is a workbook with records, amounts, evidence and codebook sheets; iati is IATI 2.03 XML."""
    from .inventory import InventoryError, export_inventory

    if fmt not in EXPORT_FORMATS:
        raise typer.BadParameter(f"expected {', '.join(EXPORT_FORMATS)}", param_hint="--format")
    csv_sep = _csv_sep(csv_sep)
    _inventory_or_exit(db)
    if out.is_dir():
        _fail(problem(ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(out), detail="it is a directory"))
    try:
        count = export_inventory(db, out, fmt, csv_sep)
    except InventoryError as exc:
        _fail(problem(ErrorCode.NOT_AN_INVENTORY, path=shown_path(db), detail=exc))
    except OSError as exc:
        _fail(problem(ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(out), detail=exc.strerror or exc))
    typer.echo(f"{count} records written to {shown_path(out)}")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="The HTML page to write; figures go beside it.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Draw the inventory in figures (interventions by start year, recipient, quadrant; amounts by
    funder and quadrant; top funders and recipients; documents): an HTML page with each figure's
    query and what it counts, and each figure as PNG and SVG beside it."""
    from .inventory import Inventory, InventoryError
    from .report import write_report

    _inventory_or_exit(db)
    if out.is_dir():
        _fail(problem(ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(out), detail="it is a directory"))
    try:
        with Inventory(db):  # checks it is an inventory and brings its schema up to date
            pass
        made = write_report(db, out)
    except (InventoryError, sqlite3.DatabaseError) as exc:
        _fail(problem(ErrorCode.NOT_AN_INVENTORY, path=shown_path(db), detail=exc))
    except OSError as exc:
        _fail(problem(ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(out), detail=exc.strerror or exc))
    typer.echo(f"{len(made)} figures written to {shown_path(out)} (PNG and SVG beside it)")


STATUS_ROWS = 50
"""Up to this many documents, ``status`` lists every one; beyond, it gives a summary and lists the
documents that need attention (at most this many), and ``--all`` lists every document."""


@app.command()
def status(
    db: DbOption = DEFAULT_DB,
    every: Annotated[
        bool, typer.Option("--all", help="List every document, however large the inventory.")
    ] = False,
) -> None:
    """The inventory's documents with their status, records and errors: every document of a small
    inventory; for a large one, a summary and the documents that failed, are partial or have errors."""
    from .inventory import Inventory, InventoryError

    _inventory_or_exit(db)
    try:
        with Inventory(db) as inventory:
            rows = inventory.documents()
    except InventoryError as exc:
        _fail(problem(ErrorCode.NOT_AN_INVENTORY, path=shown_path(db), detail=exc))
    title = shown_path(db)
    if every or len(rows) <= STATUS_ROWS:
        _print_documents(title, rows)
        return
    for line in _status_summary(title, rows):
        typer.echo(line)
    attention = [r for r in rows if r["status"] != Status.SUCCESS or json.loads(r["errors"] or "[]")]
    if attention:
        _print_documents(f"documents that need attention ({len(attention)})", attention[:STATUS_ROWS])
        if len(attention) > STATUS_ROWS:
            typer.echo(f"… and {len(attention) - STATUS_ROWS} more")
    else:
        typer.echo("no document failed, is partial or has errors")
    typer.echo("every document: csminer status --all")


def _status_summary(title: str, rows: list[dict[str, Any]]) -> list[str]:
    """An inventory in a few lines: documents by status, pages, records, versions."""
    from collections import Counter

    statuses = Counter(r["status"] for r in rows)
    versions = Counter(f"{r['pipeline_version']} / {r['model_version']}" for r in rows)
    pages = sum(r["pages"] or 0 for r in rows)
    records = sum(r["records"] for r in rows)
    return [
        f"{title}: {len(rows)} documents, {pages} pages, {records} records",
        "status: " + ", ".join(f"{statuses[s]} {s}" for s in sorted(statuses)),
        "versions: " + ", ".join(f"{v} ({n})" for v, n in versions.most_common()),
        "last processed: " + max(r["processed_at"] for r in rows),
    ]


def _print_documents(title: str, rows: list[dict[str, Any]]) -> None:
    """Documents with status, pages, records and errors, as a table."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title))
    for name in ("doc", "status", "pages", "records", "errors", "versions", "processed at"):
        table.add_column(name, overflow="fold")
    for row in rows:
        errors = json.loads(row["errors"] or "[]")
        cells = (
            row["doc"],
            row["status"],
            str(row["pages"] or 0),
            str(row["records"]),
            "\n".join(f"{e['code']} {e['message']}" for e in errors),
            f"{row['pipeline_version']} / {row['model_version']}",
            row["processed_at"],
        )
        # Text, not str: stored text quotes PDFs and file names, and "[/…" is no markup here.
        table.add_row(*(Text(str(c)) for c in cells))
    Console(file=sys.stdout, width=160).print(table)


@app.command()
def remove(
    docs: Annotated[list[str], typer.Argument(help="Documents to remove (their doc, as status lists it).")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Remove documents and their records from the inventory (logged in its changes table)."""
    from .inventory import Inventory, InventoryError

    _inventory_or_exit(db)
    unknown = 0
    try:
        with Inventory(db) as inventory:
            for doc in docs:
                count = inventory.remove(doc)
                if count is None:
                    typer.echo(f"error: no document {doc!r} in {shown_path(db)}", err=True)
                    unknown += 1
                else:
                    typer.echo(f"removed {doc}: {count} records")
    except InventoryError as exc:
        _fail(problem(ErrorCode.NOT_AN_INVENTORY, path=shown_path(db), detail=exc))
    if unknown:
        raise typer.Exit(1)


GoldOption = Annotated[
    list[Path],
    typer.Option(
        "--gold",
        help="Gold records (JSON Lines, RECORDS.md shape); repeat it, or list more .jsonl files after it.",
    ),
]


def _gold_and_inputs(gold: list[Path], inputs: list[Path]) -> tuple[list[Path], list[Path]]:
    """``--gold a.jsonl b.jsonl folder/``: the shell hands ``b.jsonl`` over as an argument; every
    .jsonl argument is a gold file, the rest are PDFs or folders."""
    extra = [p for p in inputs if p.suffix.lower() == ".jsonl"]
    return [*gold, *extra], [p for p in inputs if p.suffix.lower() != ".jsonl"]


def _load_gold(files: list[Path]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Gold records of every file, and which file codes each document."""
    from .evaluate import load_jsonl

    records: list[dict[str, Any]] = []
    source_of: dict[str, str] = {}
    for path in files:
        if not path.is_file():
            typer.echo(f"error: no gold file at {path}", err=True)
            raise typer.Exit(2)
        for record in load_jsonl(path):
            records.append(record)
            source_of.setdefault(str(record.get("doc")), path.name)
    return records, source_of


def _gold_documents(
    gold_files: list[Path], inputs: list[Path], ner: bool
) -> tuple[list[Any], list[dict[str, Any]], Any]:
    """Read every PDF given and align it to the gold. A PDF no gold record names is a document
    coded as having none (a near-miss), in the gold file of the other documents of its folder."""
    from .nlp.actors import ActorMatcher, ActorRegistry
    from .nlp.sentences import sentence_splitter
    from .nlp.syntax import GrammarReader
    from .reading.reader import read_pdf
    from .records.inputs import document_inputs
    from .records.train import gold_documents

    records, source_of = _load_gold(gold_files)
    paths = _pdfs_or_exit(inputs)
    for path in paths:
        if path.stem not in source_of:
            coded = [source_of[p.stem] for p in paths if p.parent == path.parent and p.stem in source_of]
            source_of[path.stem] = coded[0] if coded else gold_files[0].name
            typer.echo(f"{path.stem}: no gold record, taken as coded with none ({source_of[path.stem]})")
    matcher = ActorMatcher(ActorRegistry.load(), use_ner=ner)
    splitter = sentence_splitter()
    inputs_of = []
    for path in paths:
        document = read_pdf(path)
        if document.status == Status.FAILURE:
            typer.echo(_summary(document), err=True)
            continue
        inputs_of.append(document_inputs(document, matcher, splitter, ner_off_topic=True))
    missing = sorted({str(r.get("doc")) for r in records} - {i.document.doc for i in inputs_of})
    if missing:
        typer.echo(f"warning: no PDF given for gold document(s): {', '.join(missing)}", err=True)
    return gold_documents(inputs_of, records, source_of), records, GrammarReader(enabled=ner)


@app.command()
def train(
    gold: GoldOption,
    inputs: Annotated[
        list[Path], typer.Argument(help="The PDFs the gold records come from (files or folders).")
    ],
    models: ModelsOption = DEFAULT_MODELS,
    actors: Annotated[Path | None, typer.Option("--actors", help="Alias table for comparing names.")] = None,
    ner: Annotated[
        bool, typer.Option(help="Use the pretrained pipeline (NER and parser) while training.")
    ] = True,
    from_reviews: Annotated[
        Path | None,
        typer.Option("--from-reviews", help="Add this inventory's fully reviewed documents to the gold."),
    ] = None,
) -> None:
    """Train detection, roles and kinds on every gold document; report leave-one-document-out
    and transfer figures."""
    import hashlib

    from . import __version__, source_digest
    from .evaluate import document_table, load_aliases
    from .records.store import save_models
    from .records.train import train as train_models

    gold_files, pdfs = _gold_and_inputs(gold, inputs)
    if from_reviews is not None:
        from .review.gold import write_review_gold

        _inventory_or_exit(from_reviews)
        reviews, review_pdfs, found = write_review_gold(
            from_reviews, from_reviews.with_suffix(".reviews.jsonl"), gold_files, pdfs
        )
        for doc, why in found.skipped.items():
            typer.echo(f"{doc}: not taken from the reviews: {why}")
        typer.echo(f"reviews: {len(found.records)} records, {len(found.documents)} document(s): {reviews}")
        gold_files, pdfs = [*gold_files, reviews], [*pdfs, *review_pdfs]
    documents, records, grammar = _gold_documents(gold_files, pdfs, ner)
    if not documents:
        typer.echo("none of the PDFs given could be read", err=True)
        raise typer.Exit(2)
    aliases = load_aliases(actors or _registry_aliases())
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in gold_files)).hexdigest()
    fitted, figures = train_models(
        documents,
        records,
        aliases,
        version=f"{__version__}+{digest[:8]}.{source_digest()[:8]}",
        grammar=grammar,
    )
    groups: dict[str, list[str]] = {}
    for d in documents:
        groups.setdefault(d.group, []).append(d.doc)
    card = {
        "training_data": {
            "gold": [p.name for p in gold_files],
            "gold_sha256": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in gold_files},
            "sha256": digest,
            "records": len(records),
            "documents": [d.doc for d in documents],
            "reports": groups,
            "pipeline_source_sha256": source_digest(),
        },
        "features": {
            "detector": "TF-IDF word 1-2 grams of the delexicalised sentence + mention features"
            " (actor types, amounts, years, cue words, program names, cooperation-statement shape)",
            "roles": "words around each actor mention + actor type, position, preceding preposition,"
            " whether it stands in a list of actors and whether the sentence names its country"
            " + its grammar (dependency label, governing preposition and verb) from the parser",
            "hard_soft, scope": "codebook axis cues (themes grouped by RECORDS.md), no class prior",
            "modality": "the registry's kind of provider (countries, regional or multilateral bodies ...),"
            " each kind's labels learned from the training records from the codebook's reading;"
            " where no provider is registered, the record's actor types and countries",
            "themes": "codebook cue words, kept where they held up on the training records",
        },
        "held_out": {
            "method": "leave one document out (renderings of one report held out together);"
            " every document scored, near-misses' records all spurious",
            **figures,
        },
        "ner": grammar.available and fitted is not None,
        "parser": grammar.available,
        "training_counts": fitted.meta,
    }
    save_models(fitted, models, card)
    lodo = figures.get("leave_one_document_out")
    if lodo:
        typer.echo("leave-one-document-out (every document scored by models that never saw it):")
        typer.echo(document_table(lodo))
    else:
        typer.echo("one report only: no held-out figures (give the gold of several reports)")
    for name, row in (figures.get("transfer") or {}).items():
        typer.echo(
            f"transfer {name}: detect_f1={row['detect_f1']} P={row['detect_precision']}"
            f" R={row['detect_recall']} hard_soft={row['hard_soft_acc']} scope={row['scope_acc']}"
        )
    typer.echo(f"models written to {models}/")


@app.command()
def evaluate(
    gold: GoldOption,
    pred: Annotated[
        Path | None, typer.Option("--pred", help="Predicted records (records.jsonl).")
    ] = None,
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="More gold files; with --ablate, the PDFs the gold records come from."),
    ] = None,
    actors: Annotated[
        Path | None, typer.Option("--actors", help="Alias table (canonical,type,aliases).")
    ] = None,
    all_docs: Annotated[bool, typer.Option("--all-docs", help="Score documents without gold too.")] = False,
    details: Annotated[
        bool, typer.Option("--details/--no-details", help="List missed and spurious records.")
    ] = True,
    models: ModelsOption = DEFAULT_MODELS,
    ablate: Annotated[
        bool,
        typer.Option(
            "--ablate",
            help="Per rule: the leave-one-document-out figures with that rule switched off, per document.",
        ),
    ] = False,
    ner: Annotated[bool, typer.Option(help="With --ablate: use the pretrained parser.")] = True,
) -> None:
    """Score records against gold: the scorer's figures, a per-document table, confusion
    tables, missed and spurious records; or (``--ablate``) measure every rule."""
    from .evaluate import document_rows, document_table, load_aliases, load_jsonl, report
    from .evaluate import evaluate as score

    gold_files, rest = _gold_and_inputs(gold, inputs or [])
    aliases = load_aliases(actors or _registry_aliases())
    if ablate:
        _ablate(gold_files, rest, aliases, ner)
        return
    if pred is None:
        raise typer.BadParameter("give the records to score", param_hint="--pred")
    golds, _ = _load_gold(gold_files)
    predicted = load_jsonl(pred)
    ev = score(golds, predicted, aliases, all_docs)
    typer.echo(report(ev, details=False).split("\n\n")[0])
    docs = {str(g.get("doc")) for g in golds}
    if all_docs:
        docs |= {str(p.get("doc")) for p in predicted if isinstance(p, dict)}
    typer.echo("\nper document:")
    typer.echo(document_table(document_rows(golds, predicted, aliases, sorted(docs))))
    warning = _in_sample_warning(gold_files, golds, predicted, models)
    if warning:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(report(ev, details=details).split("\n", 2)[2].lstrip("\n"))


def _in_sample_warning(
    gold_files: list[Path], golds: list[dict[str, Any]], predicted: list[dict[str, Any]], models: Path
) -> str | None:
    """Whether the records were made by models trained on this gold: then the figures are
    in-sample, not a result."""
    card_path = models / "card.json"
    if not card_path.is_file():
        return None
    card = json.loads(card_path.read_text(encoding="utf-8"))
    versions = {str(p.get("model_version")) for p in predicted if isinstance(p, dict)}
    if card.get("version") not in versions:
        return None
    trained = set((card.get("training_data") or {}).get("documents") or [])
    scored = sorted(trained & {str(g.get("doc")) for g in golds})
    if not scored:
        return None
    return (
        f"in-sample: the models that made these records ({card['version']}) were trained on the gold"
        f" of {', '.join(scored)}; these figures are not held-out results (see the model card's"
        " leave-one-document-out table, or `csminer train`)"
    )


STAGE_FIGURE = {"roles": "funders_f1", "fields": "recipients_f1", "names": "name_acc"}
"""The figure a rule of each stage decides (detect F1 for the others)."""
RULE_FIGURE = {
    "captions-and-tables": "amounts_f1",
    "venue-cities": "recipients_f1",
    "continents-are-settings": "recipients_f1",
}
"""Rules that decide another figure than their stage's: a table joins a record with its amounts;
a venue city or a continent beside its countries is kept out of the recipients."""


def _ablate(gold_files: list[Path], inputs: list[Path], aliases: dict[str, str], ner: bool) -> None:
    """Leave-one-document-out records built again with each rule off, scored per document."""
    from .evaluate import difference_intervals, document_table
    from .records.rules import ALL_ON, RULES
    from .records.train import held_out_records, report_of, scored, scored_tallies

    documents, records, grammar = _gold_documents(gold_files, inputs, ner)
    held = held_out_records(documents, records, aliases, "group", grammar)
    base = scored(documents, records, held.records, aliases)
    base_tallies = scored_tallies(documents, records, held.records, aliases)
    reports = report_of(documents)
    typer.echo("all rules on (leave-one-document-out):")
    typer.echo(document_table(base))
    typer.echo(
        "Each rule switched off in turn. 'better' / 'worse': documents whose figure the rule decides"
        " (detect F1; funders F1 for roles, recipients F1 for those keeping places out of them;"
        " recipients F1 for fields; names for naming; amounts F1 for tables) rises / falls"
        " without it: a rule that makes more documents worse than better earns its place. The"
        " interval is that of the micro change of that figure, the same reports drawn with and"
        " without the rule: one holding 0 is a change these reports cannot tell from chance."
    )
    figures = (
        "detect_f1",
        "detect_precision",
        "funders_f1",
        "recipients_f1",
        "modality_acc",
        "amounts_f1",
        "years_start_acc",
        "name_acc",
    )
    names = " ".join(f"{f:>9.9}" for f in figures)
    typer.echo(f"{'rule off':26} {'stage':9} {'better':>6} {'worse':>5}  {names}")
    for rule in RULES.values():
        rebuilt = held.rebuild(documents, ALL_ON.without(rule.name), grammar)
        rows = scored(documents, records, rebuilt, aliases)
        target = RULE_FIGURE.get(rule.name) or STAGE_FIGURE.get(rule.stage, "detect_f1")
        deltas = {
            doc: (row[target] or 0.0) - (base["documents"][doc][target] or 0.0)
            for doc, row in rows["documents"].items()
        }
        better = sum(d > 1e-9 for d in deltas.values())
        worse = sum(d < -1e-9 for d in deltas.values())
        micro = " ".join(f"{(rows['micro'][f] or 0.0) - (base['micro'][f] or 0.0):>+9.4f}" for f in figures)
        typer.echo(f"{rule.name:26} {rule.stage:9} {better:>6} {worse:>5}  {micro}")
        changed = ", ".join(f"{doc} {d:+.3f}" for doc, d in deltas.items() if abs(d) > 1e-9)
        if changed:
            typer.echo(f"    {target} without it: {changed}")
            span = difference_intervals(
                base_tallies, scored_tallies(documents, records, rebuilt, aliases), reports
            ).get(target)
            if span:
                typer.echo(f"    micro change, 95% interval over reports: {span[0]:+.3f} to {span[1]:+.3f}")


@app.command()
def review(
    db: DbOption = DEFAULT_DB,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow an address other than this machine's loopback.")
    ] = False,
    reviewer: Annotated[str | None, typer.Option("--reviewer", help="Default reviewer name.")] = None,
    export_jsonl: Annotated[
        Path | None, typer.Option("--export-jsonl", help="Write reviewed records as Prodigy/Argilla JSONL.")
    ] = None,
    import_jsonl: Annotated[
        Path | None, typer.Option("--import-jsonl", help="Apply reviewed records of such a file.")
    ] = None,
) -> None:
    """Review records on their PDF pages in the browser: accept, correct, reject, merge, split, add."""
    import getpass

    from .inventory import InventoryError

    _inventory_or_exit(db)
    who = reviewer or getpass.getuser()
    try:
        if export_jsonl or import_jsonl:
            from .review.interop import export_file, import_file

            if import_jsonl:
                counts = import_file(db, import_jsonl, who)
                typer.echo(f"{counts['records']} reviewed records imported ({counts['skipped']} unknown)")
            if export_jsonl:
                typer.echo(f"{export_file(db, export_jsonl)} reviewed records written to {export_jsonl}")
            return
        from .review.serve import serve

        serve(db, host, port, who, allow_remote)
    except InventoryError as exc:
        _fail(problem(ErrorCode.NOT_AN_INVENTORY, path=shown_path(db), detail=exc))


def _registry_aliases() -> Path:
    return Path(__file__).resolve().parent / "nlp" / "data" / "actors.csv"


def main() -> None:
    app()


if __name__ == "__main__":
    main()
