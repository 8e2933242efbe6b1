"""Recovery over real reports: unreadable and ambiguous cells, sections lost, and time per report.

    PYTHONPATH=. python benchmarks/recovery.py [FOLDER ...]

Default folders: ../shared/corpus/pingtan, data/raw, ../shared/real. Prints one summary; with ``--files`` also one
line per report. Timing covers recovery alone (parse and prose are done first, outside the clock).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from govstats.errors import GovstatsError
from govstats.extract import read_source
from govstats.model import AMBIGUOUS, UNREADABLE
from govstats.transform.detect import WORK_PLAN
from govstats.transform.narrative import extract_narrative, narrative_totals
from govstats.transform.parse import Document, parse_document
from govstats.transform.recover import recover_report

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT.parent / "shared" / "corpus" / "pingtan", ROOT / "data" / "raw", ROOT.parent / "shared" / "real"]
SUFFIXES = {".txt", ".html", ".htm", ".docx", ".pdf"}


def files(folders):
    for folder in folders:
        yield from sorted(p for p in Path(folder).iterdir() if p.suffix in SUFFIXES and p.name != "README.md")


def measure(path: Path) -> dict | None:
    try:
        source = read_source(path)
        document = Document(source)
        if document.kind == WORK_PLAN:
            return None
        report = parse_document(document)
    except GovstatsError:
        return None
    report.narrative = extract_narrative(source)
    totals = narrative_totals(report.narrative)
    start = time.perf_counter()
    recover_report(report, narrative_totals=totals)
    seconds = time.perf_counter() - start
    tables = {"requests": report.requests, "review_litigation": report.review_litigation}
    cells = {name: [c for row in t.values() for c in row.values()] for name, t in tables.items()}
    lost = [name for name, found in cells.items() if found and all(c.status == UNREADABLE for c in found)]
    proactive = [c for row in report.proactive.values() for c in row.values()]
    return {
        "file": path.name,
        "seconds": seconds,
        "cells_34": sum(len(found) for found in cells.values()),
        "unreadable_34": sum(c.status == UNREADABLE for found in cells.values() for c in found),
        "ambiguous_34": sum(c.status == AMBIGUOUS for found in cells.values() for c in found),
        "lost": lost,
        "cells_2": len(proactive),
        "ambiguous_2": sum(c.status == AMBIGUOUS for c in proactive),
        "unreadable_2": sum(c.status == UNREADABLE for c in proactive),
    }


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("folders", nargs="*", type=Path, default=DEFAULT)
    arguments.add_argument("--files", action="store_true", help="one line per report")
    args = arguments.parse_args()
    rows = [r for r in (measure(p) for p in files(f for f in args.folders if f.exists())) if r]
    if args.files:
        for r in rows:
            print(
                f"{r['file']}: {r['seconds'] * 1000:.1f} ms, 三/四 unreadable {r['unreadable_34']}/{r['cells_34']}, "
                f"ambiguous {r['ambiguous_34']}, 二 ambiguous {r['ambiguous_2']}/{r['cells_2']}, lost {r['lost']}"
            )
    times = [r["seconds"] for r in rows]
    cells = sum(r["cells_34"] for r in rows)
    unreadable = sum(r["unreadable_34"] for r in rows)
    print(f"reports: {len(rows)}")
    print(
        f"三/四 cells: {cells}, unreadable {unreadable} ({100 * unreadable / max(cells, 1):.2f}%), "
        f"ambiguous {sum(r['ambiguous_34'] for r in rows)}"
    )
    print(
        f"sections lost (every cell unreadable): {sum(len(r['lost']) for r in rows)} "
        f"in {sum(bool(r['lost']) for r in rows)} reports"
    )
    print(
        f"二 cells: {sum(r['cells_2'] for r in rows)}, ambiguous {sum(r['ambiguous_2'] for r in rows)}, "
        f"unreadable {sum(r['unreadable_2'] for r in rows)}"
    )
    print(f"recovery time per report: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
