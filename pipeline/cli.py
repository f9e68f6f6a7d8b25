"""The ``csminer`` command line: it composes stages and holds no logic of its own."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from .config import Config
from .document import Document, Problem, Status
from .errors import ErrorCode, problem
from .reading import opening
from .reading.debug import render_page
from .reading.opening import shown_path
from .reading.reader import read_pdf

if TYPE_CHECKING:
    from .batch import Found

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Mine citizen-security interventions from PDFs."
)

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
    from .reading.debug import RenderError

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
    Path, typer.Option("--models", help="Folder of trained models (records.skops, card.json).")
]


DEFAULT_DB = Path("outputs") / "inventory.sqlite"
DbOption = Annotated[Path, typer.Option("--db", help="The inventory (SQLite).")]


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="PDF files or folders of PDFs.")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for records.jsonl/.csv/.parquet and documents.jsonl.")
    ],
    db: DbOption = DEFAULT_DB,
    models: ModelsOption = DEFAULT_MODELS,
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
    found = _found_or_exit(inputs)
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


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl, csv or parquet.")] = "jsonl",
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write the inventory's records (RECORDS.md shape) with their intervention and sources."""
    from .inventory import InventoryError, export_inventory

    if fmt not in ("jsonl", "csv", "parquet"):
        raise typer.BadParameter("expected jsonl, csv or parquet", param_hint="--format")
    _inventory_or_exit(db)
    if out.is_dir():
        _fail(problem(ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(out), detail="it is a directory"))
    try:
        count = export_inventory(db, out, fmt)
    except InventoryError as exc:
        _fail(problem(ErrorCode.NOT_AN_INVENTORY, path=shown_path(db), detail=exc))
    except OSError as exc:
        _fail(problem(ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(out), detail=exc.strerror or exc))
    typer.echo(f"{count} records written to {shown_path(out)}")


@app.command()
def status(db: DbOption = DEFAULT_DB) -> None:
    """List the inventory's documents with their status, records and errors."""
    from rich.console import Console

    from .batch import status_table
    from .inventory import Inventory, InventoryError

    _inventory_or_exit(db)
    try:
        with Inventory(db) as inventory:
            Console(file=sys.stdout, width=160).print(status_table(inventory))
    except InventoryError as exc:
        _fail(problem(ErrorCode.NOT_AN_INVENTORY, path=shown_path(db), detail=exc))


@app.command()
def train(
    gold: Annotated[Path, typer.Option("--gold", help="Gold records (JSON Lines, RECORDS.md shape).")],
    inputs: Annotated[
        list[Path], typer.Argument(help="The PDFs the gold records come from (files or folders).")
    ],
    models: ModelsOption = DEFAULT_MODELS,
    actors: Annotated[Path | None, typer.Option("--actors", help="Alias table for comparing names.")] = None,
    ner: Annotated[
        bool, typer.Option(help="Use the pretrained pipeline (NER and parser) while training.")
    ] = True,
) -> None:
    """Train detection, roles and kinds from gold records; report section-fold cross-validation."""
    import hashlib

    from . import __version__, source_digest
    from .evaluate import load_aliases, load_jsonl
    from .nlp.actors import ActorMatcher, ActorRegistry
    from .nlp.sentences import sentence_splitter
    from .nlp.syntax import GrammarReader
    from .records.store import save_models
    from .records.train import prepare
    from .records.train import train as train_models

    records = load_jsonl(gold)
    docs = {r.get("doc") for r in records}
    paths = [p for p in pdf_paths(inputs) if p.stem in docs]
    if not paths:
        typer.echo(f"none of the PDFs given is a document of {gold}", err=True)
        raise typer.Exit(2)
    matcher = ActorMatcher(ActorRegistry.load(), use_ner=ner)
    splitter = sentence_splitter()
    datas = []
    for path in paths:
        document = read_pdf(path)
        if document.status == Status.FAILURE:
            typer.echo(_summary(document), err=True)
            continue
        datas.append(prepare(document, matcher, splitter))
    aliases = load_aliases(actors or _registry_aliases())
    digest = hashlib.sha256(gold.read_bytes()).hexdigest()
    grammar = GrammarReader(enabled=ner)
    fitted, figures = train_models(
        datas, records, aliases, version=f"{__version__}+{digest[:8]}.{source_digest()[:8]}", grammar=grammar
    )
    card = {
        "training_data": {
            "gold": gold.name,
            "sha256": digest,
            "records": len(records),
            "documents": [d.document.doc for d in datas],
            "pipeline_source_sha256": source_digest(),
        },
        "features": {
            "detector": "TF-IDF word 1-2 grams + mention features"
            " (actor types, amounts, years, cue words, program names)",
            "roles": "words around each actor mention + actor type, position, preceding preposition"
            " + its grammar (dependency label, governing preposition and verb) from the parser",
            "hard_soft, scope": "codebook axis cues (themes grouped by RECORDS.md), no class prior",
            "modality": "actor types and Latin American / other countries in the evidence",
            "themes": "codebook cue words, kept where they held up on the training records",
        },
        "cross_validation": {"folds": "the report's top-level sections", **figures},
        "ner": matcher.ner_available,
        "parser": grammar.available,
        "training_counts": fitted.meta,
    }
    save_models(fitted, models, card)
    keys = [
        "detect_f1",
        "hard_soft_acc",
        "scope_acc",
        "modality_acc",
        "funders_f1",
        "amounts_f1",
        "years_start_acc",
    ]
    typer.echo("cross-validated (section folds): " + " ".join(f"{k}={figures.get(k)}" for k in keys))
    typer.echo(f"models written to {models}/")


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Option("--gold", help="Gold records (JSON Lines).")],
    pred: Annotated[Path, typer.Option("--pred", help="Predicted records (records.jsonl).")],
    actors: Annotated[
        Path | None, typer.Option("--actors", help="Alias table (canonical,type,aliases).")
    ] = None,
    all_docs: Annotated[bool, typer.Option("--all-docs", help="Score documents without gold too.")] = False,
    details: Annotated[
        bool, typer.Option("--details/--no-details", help="List missed and spurious records.")
    ] = True,
) -> None:
    """Score records against gold: the scorer's figures, confusion tables, missed and spurious records."""
    from .evaluate import evaluate as score
    from .evaluate import load_aliases, load_jsonl, report

    ev = score(load_jsonl(gold), load_jsonl(pred), load_aliases(actors or _registry_aliases()), all_docs)
    typer.echo(report(ev, details=details))


def _registry_aliases() -> Path:
    return Path(__file__).resolve().parent / "nlp" / "data" / "actors.csv"


def main() -> None:
    app()


if __name__ == "__main__":
    main()
