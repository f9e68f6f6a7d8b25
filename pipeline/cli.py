"""The ``csminer`` command line: it composes stages and holds no logic of its own."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from .config import Config
from .document import Document, Status
from .reading.debug import render_page
from .reading.reader import read_pdf

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
    paths: list[Path] = []
    for item in inputs:
        if item.is_dir():
            paths.extend(sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf"))
        else:
            paths.append(item)
    return paths


def _config(assignments: list[str] | None) -> Config:
    try:
        return Config().override(*(assignments or []))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--set") from exc


def _summary(document: Document) -> str:
    head = f"{document.path}: {document.status.value}, {document.pages} page(s)"
    if document.status != Status.FAILURE:
        head += (
            f", {len(document.blocks)} blocks, {len(document.footnotes)} notes, {len(document.tables)} tables"
        )
    lines = [head]
    lines.extend(f"  {e.code} {e.message}" for e in document.errors)
    return "\n".join(lines)


@app.command()
def parse(
    inputs: Annotated[list[Path], typer.Argument(help="PDF files or folders of PDFs.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the document model as JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write one DOC.json per document here.")] = None,
    fragments: Annotated[bool, typer.Option(help="Include per-line fragments in the JSON.")] = False,
    password: PasswordOption = None,
    settings: SetOption = None,
) -> None:
    """Read PDFs into the document model: blocks in reading order, notes, tables, furniture."""
    config = _config(settings)
    paths = pdf_paths(inputs)
    if not paths:
        typer.echo("no PDF found in the inputs", err=True)
        raise typer.Exit(2)
    failures = 0
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        document = read_pdf(path, config.reading, password=password)
        failures += document.status == Status.FAILURE
        if out is not None:
            (out / f"{document.doc}.json").write_text(
                json.dumps(document.to_dict(fragments=fragments), ensure_ascii=False, indent=1),
                encoding="utf-8",
            )
        if as_json:
            sys.stdout.write(json.dumps(document.to_dict(fragments=fragments), ensure_ascii=False) + "\n")
        else:
            typer.echo(_summary(document), err=as_json)
    if failures == len(paths):
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
    config = _config(settings)
    document = read_pdf(pdf, config.reading, password=password)
    if document.status == Status.FAILURE:
        typer.echo(_summary(document), err=True)
        raise typer.Exit(1)
    if not 1 <= page <= document.pages:
        typer.echo(f"{pdf}: page {page} is out of range 1-{document.pages}", err=True)
        raise typer.Exit(2)
    render_page(pdf, document, page, output, resolution=resolution, password=password)
    typer.echo(f"wrote {output}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
