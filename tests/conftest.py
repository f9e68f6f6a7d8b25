"""Shared fixtures: the corpus lives in ``shared/``, a sibling of the repository folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pipeline.document import Document

SEED_2COL = Path(__file__).resolve().parents[1] / "corpus" / "neighborhood-2col.pdf"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared/`` folder next to the repository (CI clones the repo beside it)."""
    path = Path(__file__).resolve().parents[1].parent / "shared"
    if not path.is_dir():
        pytest.skip(f"shared folder not found at {path}")
    return path


@pytest.fixture(scope="session")
def seed_document() -> Document:
    """The shipped two-column seed rendering, read once per session (tests read it, never change
    it: every stage after reading makes new objects from the document)."""
    from pipeline.reading.reader import read_pdf

    return read_pdf(SEED_2COL)


@pytest.fixture(scope="session")
def seed_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``csminer run`` on the shipped two-column seed rendering plus a broken file, with the
    shipped models: mined once per session for every test that reads its outputs."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    report = Path(__file__).resolve().parents[1] / "corpus" / "neighborhood-2col.pdf"
    out = tmp_path_factory.mktemp("run")
    bad = tmp_path_factory.mktemp("bad") / "broken.pdf"
    bad.write_text("not a PDF at all", encoding="utf-8")
    args = ["run", str(report), str(bad), "--out", str(out), "--db", str(out / "inv.sqlite")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out
