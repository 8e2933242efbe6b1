"""Memory of the derived-table phase alone, batch by batch, on a folder that `govstats build` wrote.

``python benchmarks/derived_memory.py OUT`` copies the folder's five source tables to a scratch folder,
runs :func:`govstats.dataset.datapackage.write_derived` on the copy (the build's own call, in the system pool) and
prints, every few batches, the process's resident memory (now and peak, from /proc) beside what is really live:
Python's allocations (tracemalloc) and Arrow's (the system pool's bytes allocated). Where resident memory grows
while the live figures stay flat, the growth is the allocator's, not data the code keeps (benchmarks/results.md).
One folder per run, so that each starts from a fresh interpreter. Linux only (/proc/self/status).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import tracemalloc
from pathlib import Path

import pyarrow as pa

from govstats.dataset import datapackage, memory

SOURCES = tuple(datapackage.DERIVED_FROM)


def resident_mb() -> tuple[int, int]:
    """The process's resident memory now and its peak (VmRSS, VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[name].split()[0]) // 1024 for name in ("VmRSS", "VmHWM"))


def measure(built: Path, every: int) -> list[str]:
    scratch = Path(tempfile.mkdtemp(prefix="derived-memory-"))
    try:
        for name in SOURCES:
            shutil.copy(built / f"{name}.parquet", scratch)
        Path("/proc/self/clear_refs").write_text("5")  # the peak from here on
        lines = [
            f"{built}: start, resident {resident_mb()[0]} MB",
            "| batch | resident MB | peak MB | Python live MB | Arrow live MB |",
            "|---:|---:|---:|---:|---:|",
        ]
        # The build's own batches, wrapped to sample between them (after one batch is written, before the next is
        # read): what is live there is what the phase keeps; a copy of write_derived's loop here would drift from it.
        batches = datapackage._derived_batches

        def traced(out_dir: Path):
            for number, derived in enumerate(batches(out_dir), 1):
                yield derived
                if (number - 1) % every == 0:
                    now, peak = resident_mb()
                    live = tracemalloc.get_traced_memory()[0] // 2**20
                    arrow = pa.system_memory_pool().bytes_allocated() // 2**20
                    lines.append(f"| {number} | {now} | {peak} | {live} | {arrow} |")

        datapackage._derived_batches = traced
        tracemalloc.start(1)
        try:
            memory.fixed_heap_thresholds()  # as the build does
            with memory.system_pool():
                datapackage.write_derived(scratch)
        finally:
            tracemalloc.stop()
            datapackage._derived_batches = batches
        now, peak = resident_mb()
        return lines + [f"end: resident {now} MB, peak {peak} MB", ""]
    finally:
        shutil.rmtree(scratch)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("built", type=Path, help="a folder written by govstats build")
    parser.add_argument("--every", type=int, default=5, help="print every N-th batch")
    args = parser.parse_args(argv)
    print("\n".join(measure(args.built, args.every)))


if __name__ == "__main__":
    main()
