"""One small inventory for the review tests, mined once per session from a one-page PDF."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.pdfs import make_pdf

SENTENCES = [
    "Security cooperation in Central America.",
    "The World Bank financed a $15 million program in El Salvador in 2010 to prevent crime and"
    " violence in schools.",
    "USAID funded community policing in Guatemala from 2008 to 2011 with $8 million.",
    # Markup in a PDF's text must reach the browser as text, never as markup.
    "The IDB lent $30 million to Honduras in 2013 for police reform <script>window.__xss = 1</script>"
    ' and training <img src="x" onerror="window.__xss = 2">.',
]

CSMINER = Path(sys.executable).with_name("csminer")


def mine(pdfs: Path, db: Path, out: Path, force: bool = False) -> None:
    args = [str(CSMINER), "run", str(pdfs), "--out", str(out), "--db", str(db), "--workers", "1", "--no-ner"]
    subprocess.run([*args, "--force"] if force else args, check=True, capture_output=True, timeout=300)


@dataclass
class Mined:
    folder: Path
    pdfs: Path
    db: Path

    def copy(self, to: Path) -> Path:
        """A private copy of the inventory (tests that decide must not see each other's)."""
        with sqlite3.connect(self.db) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target = to / "inventory.sqlite"
        shutil.copy(self.db, target)
        return target


@pytest.fixture(scope="session")
def mined(tmp_path_factory: pytest.TempPathFactory) -> Mined:
    folder = tmp_path_factory.mktemp("review")
    pdfs = folder / "pdfs"
    pdfs.mkdir()
    # Paragraph reads markup: escape it so the PDF's text holds the characters themselves.
    make_pdf(pdfs / "cooperation.pdf", [escape(s) for s in SENTENCES])
    db = folder / "inventory.sqlite"
    mine(pdfs, db, folder / "out")
    return Mined(folder, pdfs, db)
