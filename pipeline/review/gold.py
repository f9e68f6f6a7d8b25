"""Reviewed records as gold for ``csminer train --from-reviews``.

A document counts once every one of its records has a decision (a document half reviewed would
teach that its unreviewed records are not interventions). Its gold is its records in the
RECORDS.md shape, less those rejected or merged away; a document whose records were all rejected
is a near-miss, coded as having none. Each reviewed document is a document of its own in
leave-one-document-out, like any gold PDF. A document the other gold files already code is left
to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..inventory import Inventory
from ..records.model import CORE_FIELDS


@dataclass
class ReviewedGold:
    records: list[dict[str, Any]] = field(default_factory=list)
    pdfs: list[Path] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """doc -> why it is not gold (partly reviewed, coded elsewhere, file missing)."""


def _coded(gold_files: list[Path]) -> set[str]:
    docs: set[str] = set()
    for path in gold_files:
        if path.is_file():
            with path.open(encoding="utf-8") as handle:
                docs.update(str(json.loads(line).get("doc")) for line in handle if line.strip())
    return docs


def _given(inputs: list[Path]) -> set[Path]:
    found: set[Path] = set()
    for path in inputs:
        if path.is_dir():
            found.update(p.resolve() for p in path.rglob("*") if p.suffix.lower() == ".pdf")
        elif path.exists():
            found.add(path.resolve())
    return found


def reviewed_gold(db: Path, gold_files: list[Path] = (), inputs: list[Path] = ()) -> ReviewedGold:  # type: ignore[assignment]
    out = ReviewedGold()
    coded, given = _coded(list(gold_files)), _given(list(inputs))
    with Inventory(db) as inventory:
        states = {r[0]: r[1] for r in inventory.conn.execute("SELECT record_id, status FROM review_state")}
        docs = sorted(
            {
                r[0]
                for r in inventory.conn.execute("SELECT doc FROM review_state WHERE status != 'unreviewed'")
            }
        )
        for doc in docs:
            document = inventory.document(doc)
            records = inventory.records(doc)
            open_ = [r["id"] for r in records if states.get(r["id"], "unreviewed") == "unreviewed"]
            if document is None:
                out.skipped[doc] = "not in the inventory any more"
            elif open_:
                out.skipped[doc] = f"partly reviewed ({len(open_)} of {len(records)} records undecided)"
            elif doc in coded:
                out.skipped[doc] = "already coded by a gold file given"
            elif not Path(document["path"]).is_file():
                out.skipped[doc] = f"its PDF is not at {document['path']}"
            else:
                out.documents.append(doc)
                pdf = Path(document["path"])
                if pdf.resolve() not in given:
                    out.pdfs.append(pdf)
                out.records.extend(
                    {k: r.get(k) for k in CORE_FIELDS}
                    for r in records
                    if states.get(r["id"]) not in ("rejected", "merged")
                )
    return out


def write_review_gold(
    db: Path, out: Path, gold_files: list[Path], inputs: list[Path]
) -> tuple[Path, list[Path], ReviewedGold]:
    """Write the reviewed gold beside the inventory (a gold file like any other, so the model
    card names it and hashes it); returns it, the PDFs to read and what was found."""
    gold = reviewed_gold(db, gold_files, inputs)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in gold.records)
    out.write_text(text, encoding="utf-8")
    return out, gold.pdfs, gold
