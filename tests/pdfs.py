"""Small real PDFs for the inventory and batch tests, written with reportlab."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

ROOT = Path(__file__).resolve().parents[1]
REPORT_2COL = ROOT / "corpus" / "neighborhood-2col.pdf"
MODELS = ROOT / "models" / "records"

TEXTS: dict[str, list[str]] = {
    "honduras": [
        "Youth violence in Central America.",
        "The World Bank financed a $20 million program in Honduras in 2012 to prevent youth violence"
        " in schools.",
    ],
    "salvador": [
        "The World Bank financed a $15 million program in El Salvador in 2010 to prevent crime and"
        " violence in schools.",
        "USAID funded community policing in Guatemala from 2008 to 2011 with $8 million.",
    ],
    "review": [
        "A later review of the region.",
        "The World Bank financed a $20.05 million program in Honduras in 2012 to prevent youth"
        " violence in schools.",
    ],
}


def make_pdf(path: Path, sentences: list[str]) -> Path:
    """A one-page PDF with one paragraph per sentence."""
    styles = getSampleStyleSheet()
    SimpleDocTemplate(str(path), pagesize=letter).build([Paragraph(s, styles["BodyText"]) for s in sentences])
    return path


def make_corpus(folder: Path, names: list[str] | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [make_pdf(folder / f"{name}.pdf", TEXTS[name]) for name in names or list(TEXTS)]
