"""The inventory at scale: 100,000 records over 5,000 documents.

A synthetic inventory is generated with the overlaps real reports have: program names that many
reports cite (a few very often: the most cited in about one report in ten; most rarely; a third
of records unnamed), programs named several ways (an acronym, its spelled-out form with the
acronym, a spelling without accents, an acronym a sentence defines), funders and recipients
drawn unevenly from a registry-sized list, amounts that recur (a program's appropriations quoted
by the reports citing it, as printed or rounded within the linking tolerance), overlapping
years, and reports that repeat another report's sentences (renderings and quotations). It is
written straight through the inventory's own record writer in one transaction and linked once.

Then, each the median of ``--repeat`` runs with the load beside it:
- one new report (20 records naming programs, funders, amounts and sentences the inventory holds)
  stored with its cross-report linking, as ``csminer run`` stores each document (aim: 1 s);
- ``csminer export`` of everything as JSON Lines (aim: 10 s) and ``csminer status`` (aim: 1 s),
  each a whole process, with its peak memory;
- SQLite's query plan of the linking step's queries.

    .venv/bin/python benchmarks/bench_scale.py [--documents 5000] [--records 20] [--keep inv.sqlite]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from measure import Figure, MiB, TimedOut, csminer, load, timed_command

from pipeline import inventory as inv
from pipeline.inventory import Inventory

FUNDERS = [
    "United States", "European Union", "Canada", "Spain", "Germany", "United Kingdom", "Japan",
    "Inter-American Development Bank", "World Bank", "UNODC", "UNDP", "OAS", "CICAD", "USAID",
    "Brazil", "Colombia", "Mexico", "Chile", "Netherlands", "Sweden", "Norway", "Italy", "France",
    "Switzerland", "Australia", "Republic of Korea", "CAF", "SICA", "INL", "UNICEF",
]  # fmt: skip
RECIPIENTS = [
    "Colombia", "Mexico", "Guatemala", "Honduras", "El Salvador", "Nicaragua", "Costa Rica",
    "Panama", "Brazil", "Peru", "Ecuador", "Bolivia", "Venezuela", "Paraguay", "Uruguay",
    "Argentina", "Chile", "Dominican Republic", "Haiti", "Jamaica", "Trinidad and Tobago",
    "Central America", "Caribbean", "Latin America", "Andean Region", "Belize", "Guyana",
]  # fmt: skip
HEADS = ["Initiative", "Plan", "Program", "Fund", "Strategy", "Project", "Partnership", "Facility"]
TOPICS = [
    "Citizen Security", "Police Reform", "Justice", "Border Security", "Violence Prevention",
    "Drug Control", "Prison Management", "Community Policing", "Anti-Money Laundering",
    "Youth at Risk", "Rule of Law", "Organized Crime", "Firearms Control", "Cybercrime",
]  # fmt: skip
THEMES = ["policing", "justice", "prevention", "drugs", "borders", "prisons", "corruption"]
PROGRAMS = 20000


NAME_SKEW = 0.6
"""How unevenly reports cite programs (Zipf exponent over :data:`PROGRAMS` names): the most
cited is named by about 500 records, one report in ten, and most by one or two."""

_CUMULATIVE: dict[tuple[int, float], list[float]] = {}


def zipf(rng: random.Random, items: list[Any], s: float = 1.1) -> Any:
    """An item drawn unevenly: the first ones much more often (as a few funders and programs are)."""
    key = (id(items), s)
    if key not in _CUMULATIVE:
        total, cumulative = 0.0, []
        for n in range(len(items)):
            total += 1 / (n + 1) ** s
            cumulative.append(total)
        _CUMULATIVE[key] = cumulative
    return rng.choices(items, cum_weights=_CUMULATIVE[key])[0]


class Generator:
    def __init__(self, seed: int = 20, distinct: bool = False) -> None:
        self.rng = random.Random(seed)
        self.distinct = distinct
        """Records state only their program's figures, so two amounts match only when they are one
        appropriation; otherwise records also state figures of their own, which coincide within
        the linking tolerance as often as real figures do."""
        rng = self.rng
        self.names = [
            f"{rng.choice(TOPICS)} {rng.choice(HEADS)} {rng.choice(RECIPIENTS)} {n}" for n in range(PROGRAMS)
        ]
        self.names[:5] = ["Plan Colombia", "Mérida Initiative", "CARSI", "Plan Frontera Sur", "CBSI"]
        self.renderings = {  # how reports name one program
            "Mérida Initiative": ["Mérida Initiative", "Merida Initiative", "the Mérida Initiative"],
            "CARSI": ["CARSI", "Central America Regional Security Initiative (CARSI)"],
            "CBSI": ["CBSI", "Caribbean Basin Security Initiative (CBSI)"],
        }
        self.spelled = {
            "CARSI": "the Central America Regional Security Initiative (CARSI)",
            "CBSI": "the Caribbean Basin Security Initiative (CBSI)",
        }
        self.figures = {  # a program's own figures (its appropriations), quoted by reports citing it
            name: [round(rng.lognormvariate(16, 2), -3) for _ in range(rng.randint(1, 3))]
            for name in self.names
        }
        self.sentences: list[str] = []
        self.documents: list[list[dict[str, Any]]] = []

    def record(self, doc: str, n: int, quoted: dict[str, Any] | None = None) -> dict[str, Any]:
        rng = self.rng
        if quoted is not None:  # a report repeating another's sentences about the same thing
            record = json.loads(json.dumps(quoted))
            record.update(id=f"{doc}-{n + 1:04d}", doc=doc)
            return record
        named = rng.random() < 0.65
        name = zipf(rng, self.names, NAME_SKEW) if named else None
        start = rng.randint(1995, 2024)
        amounts = []
        # figures of the program named (or, for an unnamed record, of one it does not name), as
        # printed or rounded within the linking tolerance; else figures of its own
        program = name or (zipf(rng, self.names, NAME_SKEW) if rng.random() < 0.1 else None)
        for _ in range(rng.choice([0, 0, 1, 1, 1, 2])):
            if program and rng.random() < 0.7:
                value = rng.choice(self.figures[program]) * rng.choice([1, 1, 1, 1.002, 0.998])
            elif self.distinct:  # only a program's figures recur: no figure of its own
                continue
            else:
                value = round(rng.lognormvariate(14, 2.5), -2)
            currency = rng.choice(["USD"] * 8 + ["EUR", "CAD"])
            amounts.append({"value": value, "currency": currency, "text": "x"})
        funders = sorted({zipf(rng, FUNDERS) for _ in range(rng.choice([1, 1, 2]))})
        recipients = sorted({zipf(rng, RECIPIENTS) for _ in range(rng.choice([0, 1, 1, 2]))})
        cited = name or "a program on " + rng.choice(TOPICS).lower()
        if name in self.spelled and rng.random() < 0.3:  # the sentence defines the acronym
            cited = self.spelled[name]
        if name in self.renderings:
            name = rng.choice(self.renderings[name])
        text = (
            f"{'; '.join(funders)} supported {cited} in"
            f" {', '.join(recipients) or 'the region'} from {start} ({doc}, paragraph {n})."
        )
        pages = [rng.randint(1, 60)]
        return {
            "id": f"{doc}-{n + 1:04d}",
            "doc": doc,
            "name": name,
            "funders": funders,
            "implementers": [zipf(rng, FUNDERS)] if rng.random() < 0.4 else [],
            "recipients": recipients,
            "amounts": amounts,
            "years": {"start": start, "end": start + rng.randint(0, 6), "mentioned": [start]},
            "hard_soft": rng.choice(["hard", "soft", "mixed"]),
            "scope": rng.choice(["transnational", "local", "mixed"]),
            "modality": rng.choice(["bilateral", "multilateral", "regional"]),
            "themes": sorted(rng.sample(THEMES, 2)),
            "evidence": [text],
            "pages": pages,
            "spans": [
                {
                    "text": text,
                    "start": n * 400,
                    "end": n * 400 + len(text),
                    "pages": pages,
                    "boxes": [[pages[0], [72.0, 100.0 + n, 540.0, 130.0 + n]]],
                    "source": "body",
                    "joined_by": "start",
                }
            ],
            "confidence": {"detect": 0.9, "funders": 0.8, "recipients": 0.7, "amounts": 0.9, "years": 0.8},
            "pipeline_version": "0.1.0",
            "model_version": "synthetic",
        }

    def document(self, doc: str, count: int) -> list[dict[str, Any]]:
        """One report's records; one report in twenty repeats most of an earlier one."""
        quoted = self.rng.choice(self.documents) if self.documents and self.rng.random() < 0.05 else None
        records = []
        for n in range(count):
            source = quoted[n] if quoted and n < len(quoted) and self.rng.random() < 0.8 else None
            records.append(self.record(doc, n, source))
        self.documents.append(records)
        return records


def summary(doc: str, pages: int = 40) -> dict[str, Any]:
    return {
        "doc": doc,
        "path": f"/reports/{doc}.pdf",
        "sha256": f"{hash(doc) & (2**64 - 1):016x}",
        "status": "success",
        "pages": pages,
        "errors": [],
        "pipeline_version": "0.1.0",
        "model_version": "synthetic",
    }


def build(path: Path, documents: int, per_document: int, generator: Generator) -> float:
    """The synthetic inventory, written in one transaction and linked once; seconds taken."""
    start = time.perf_counter()
    with Inventory(path) as inventory:
        conn = inventory.conn
        with inventory.transaction():
            for d in range(documents):
                doc = f"r{d:05d}"
                s = summary(doc)
                conn.execute(
                    "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc, s["path"], s["sha256"], f"Report {d}", 40, "success", "[]", "0.1.0", "synthetic",
                     "2026-01-01T00:00:00+00:00", json.dumps(s)),
                )  # fmt: skip
                for seq, record in enumerate(generator.document(doc, per_document)):
                    inventory._insert_record(conn, seq, record, s["sha256"])
            relink_all(inventory)
    return time.perf_counter() - start


def relink_all(inventory: Inventory) -> None:
    """Every intervention rebuilt from all records (what storing one document did before the
    inventory kept link keys)."""
    if hasattr(inv, "relink"):
        inv.relink(inventory.conn)
    else:  # an inventory module that rebuilds on every store
        inventory._link(inventory.conn)


def add_one(path: Path, generator: Generator, n: int, per_document: int) -> tuple[float, int]:
    """Seconds to store one new report with its linking, and the records it was linked to."""
    doc = f"new{n:02d}"
    records = generator.document(doc, per_document)
    with Inventory(path) as inventory:
        start = time.perf_counter()
        inventory.store(summary(doc), records)
        seconds = time.perf_counter() - start
        linked = inventory.conn.execute(
            "SELECT COUNT(*) FROM record_sources WHERE intervention_id IN"
            " (SELECT intervention_id FROM record_sources WHERE record_id LIKE ?) AND doc != ?",
            (f"{doc}-%", doc),
        ).fetchone()[0]
    return seconds, linked


LIGHT = getattr(inv, "LIGHT_COLUMNS", "id")
PLANNED = [
    ("the document's old interventions", "SELECT DISTINCT intervention_id FROM record_sources WHERE doc = ?"),
    ("their members", "SELECT record_id FROM record_sources WHERE intervention_id IN (?, ?)"),
    ("records by id (light columns)", f"SELECT {LIGHT} FROM records WHERE id IN (?, ?)"),
    ("their link keys", "SELECT record_id, key FROM link_keys WHERE record_id IN (?, ?)"),
    ("the records holding a key", "SELECT record_id FROM link_keys WHERE key = ?"),
    ("a document's records (passages)", "SELECT data FROM records WHERE doc = ? ORDER BY seq"),
    (
        "interventions of the reached records",
        "SELECT intervention_id FROM record_sources WHERE record_id IN (?)",
    ),
    ("dropping an intervention's facts", "DELETE FROM intervention_facts WHERE intervention_id IN (?, ?)"),
    ("dropping its sources", "DELETE FROM record_sources WHERE intervention_id IN (?, ?)"),
]


def query_plans(path: Path) -> None:
    conn = sqlite3.connect(path)
    print("query plan of the linking step (EXPLAIN QUERY PLAN):")
    for what, sql in PLANNED:
        try:
            plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}", ["x"] * sql.count("?")).fetchall()
        except sqlite3.OperationalError as exc:  # an inventory without link keys
            print(f"  {what}: {exc}")
            continue
        print(f"  {what}: " + "; ".join(row[-1] for row in plan))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--records", type=int, default=20, help="records per document")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the synthetic inventory at this path")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds an export or status may take")
    parser.add_argument(
        "--only-program-figures",
        action="store_true",
        help="amounts recur only as a program's figures (no chance coincidences within 0.5%%)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "inventory.sqlite"
        generator = Generator(distinct=args.only_program_figures)
        seconds = build(path, args.documents, args.records, generator)
        me = psutil.Process()
        size = path.stat().st_size / MiB
        with Inventory(path) as inventory:
            counts = {
                t: inventory.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("documents", "records", "interventions")
            }
            multi = inventory.conn.execute(
                "SELECT COUNT(*) FROM interventions WHERE documents > 1"
            ).fetchone()[0]
            largest = inventory.conn.execute("SELECT MAX(records) FROM interventions").fetchone()[0]
        print(
            f"synthetic inventory: {counts['documents']} documents, {counts['records']} records,"
            f" {counts['interventions']} interventions ({multi} with several reports, the largest"
            f" of {largest} records);"
            f" {size:.0f} MiB on disk; built and linked in {seconds:.1f} s (load {load():.1f})"
        )
        with Inventory(path) as inventory:
            start = time.perf_counter()
            with inventory.transaction():
                relink_all(inventory)
            print(f"every intervention rebuilt from all records: {time.perf_counter() - start:.1f} s")
        added, linked = Figure(), []
        for n in range(args.repeat):
            seconds, count = add_one(path, generator, n, args.records)
            added.add(seconds)
            linked.append(count)
        print(
            f"one new report ({args.records} records) stored with cross-report linking: {added.show()};"
            f" linked to {linked} records of other reports;"
            f" RSS of this process {me.memory_info().rss / MiB:.0f} MiB"
        )
        with Inventory(path) as inventory:  # an exported record lists a source per document
            sql = "SELECT SUM(records * documents) FROM interventions"
            entries = inventory.conn.execute(sql).fetchone()[0]
            largest = inventory.conn.execute(
                "SELECT records, documents, name FROM interventions ORDER BY records DESC, id LIMIT 1"
            ).fetchone()
        print(
            f"largest intervention: {largest[0]} records of {largest[1]} reports ({largest[2]});"
            f" source entries an export writes (records times documents, summed): {entries:,}"
        )
        export, export_mem, status, status_mem = Figure(), Figure(), Figure(), Figure()
        for n in range(args.repeat):
            try:
                timed = timed_command(
                    csminer("export", "--db", path, "--format", "jsonl", "--out", work / f"all{n}.jsonl"),
                    limit=args.limit,
                )
                export.add(timed.seconds)
                export_mem.add(timed.peak_rss / MiB)
            except TimedOut as exc:
                print(f"csminer export --format jsonl: {exc} (load {load():.1f})")
                break
        for _ in range(args.repeat):
            timed = timed_command(csminer("status", "--db", path), limit=args.limit)
            status.add(timed.seconds)
            status_mem.add(timed.peak_rss / MiB)
        if export.values:
            print(f"csminer export --format jsonl (everything): {export.show()}")
            print(f"  peak RSS {export_mem.show('MiB', 0)}")
        print(f"csminer status: {status.show()}; peak RSS {status_mem.show('MiB', 0)}")
        query_plans(path)
        if args.keep:
            shutil.copy(path, args.keep)


if __name__ == "__main__":
    main()
