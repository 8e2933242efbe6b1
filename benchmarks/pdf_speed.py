"""Seconds per PDF page: the whole govstats PDF path against pdfplumber's bare ``extract_text``, in one run.

For every PDF (the real 淮安市 2024 report when ../shared/real is there, and the rendered fixtures) it times, on
the same bytes and best of ``--repeat`` runs:

- ``pdfplumber``: open the PDF and ``page.extract_text()`` for every page (the yardstick);
- ``govstats``: ``read_pdf(cross_check=False)`` and ``parse_source`` (read and parse);
- ``+camelot vector`` / ``+camelot combined``: the same with camelot's cross-check, camelot finding ruling lines in
  the PDF's drawing (``vector``, the default) or also on a rendered image (``combined``).

camelot's import (once per process) is timed apart. Run: ``python benchmarks/pdf_speed.py [--repeat 3] [PDF...]``.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pdfplumber

from govstats.extract.pdf import read_pdf
from govstats.transform.parse import parse_source

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [
    ROOT.parent / "shared" / "real" / "huaian_city_2024.pdf",
    *sorted((ROOT / "tests" / "fixtures").glob("*.pdf")),
]
TARGET = 1.5  # govstats may take at most 1.5 x pdfplumber's bare text time


def bare_text(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()


def govstats_path(data: bytes, cross_check: bool = False, engine: str = "vector") -> None:
    parse_source(read_pdf("bench.pdf", data, cross_check=cross_check, camelot_engine=engine))


def best(function: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def page_count(data: bytes) -> int:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = [path for path in (args.pdfs or DEFAULT) if path.exists()]
    start = time.perf_counter()
    import camelot  # noqa: F401 - timed: a one-off cost of cross-checking

    print(f"camelot import: {time.perf_counter() - start:.2f} s once per process (not in the figures below)\n")
    runs = {
        "pdfplumber": lambda data: bare_text(data),
        "govstats": lambda data: govstats_path(data),
        "+camelot vector": lambda data: govstats_path(data, True, "vector"),
        "+camelot combined": lambda data: govstats_path(data, True, "combined"),
    }
    header = f"{'file':<28}{'pages':>6}" + "".join(f"{name:>19}" for name in runs)
    print("seconds per page\n" + header)
    totals = dict.fromkeys(runs, 0.0)
    pages = 0
    for path in files:
        data = path.read_bytes()
        n = page_count(data)
        pages += n
        row = f"{path.name:<28}{n:>6}"
        for name, run in runs.items():
            seconds = best(lambda run=run, data=data: run(data), args.repeat)
            totals[name] += seconds
            row += f"{seconds / n:>19.4f}"
        print(row)
    print(f"{'all':<28}{pages:>6}" + "".join(f"{totals[name] / pages:>19.4f}" for name in runs))
    report(totals)


def report(totals: dict[str, float]) -> None:
    bare = totals["pdfplumber"]
    ratio = totals["govstats"] / bare
    print(
        f"\ngovstats / pdfplumber text: {ratio:.2f} x (target <= {TARGET} x): {'met' if ratio <= TARGET else 'MISSED'}"
    )
    for name in ("+camelot vector", "+camelot combined"):
        cost = totals[name] - totals["govstats"]
        print(f"{name}: {totals[name] / bare:.2f} x pdfplumber; the cross-check adds {cost / bare:.2f} x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
