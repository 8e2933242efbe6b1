"""The build's memory: Arrow allocations from the C library's allocator, and the C heap's free pages given back.

A large build writes its tables, then its derived tables, a batch at a time; every batch frees what it used. Peak
memory stays flat only if that memory goes back to the system rather than lying in an allocator's caches:
pyarrow's default pool (mimalloc here) keeps freed memory for reuse, glibc's heap does not shrink by itself, and
glibc serves ever larger blocks from that heap unless its thresholds are fixed.

Arrow's C++ code also allocates outside pyarrow's default pool: the Parquet readers' and writers' buffers come from
the allocator Arrow chose when it loaded, which only the environment variable ``ARROW_DEFAULT_MEMORY_POOL`` sets.
Importing govstats sets it to ``system`` when pyarrow is not loaded yet (:func:`prefer_system_allocator`).
This module loads no pyarrow itself until a function needs it, so that the package can call it first.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def prefer_system_allocator() -> None:
    """Have Arrow allocate from the C library, if pyarrow is not loaded yet and the user has not chosen.

    Arrow reads ``ARROW_DEFAULT_MEMORY_POOL`` once, when it loads; with its default (mimalloc) the buffers of every
    Parquet file read and written went to mimalloc's reserve, which kept what they freed: in the derived tables of a
    build of 100,000 reports that reserve held 138 MB against 43 MB at 10,000, and the phase's peak rose from 341 to
    460 MB. With the system allocator, the same phase on the 10,000-report dataset peaked at 195 MB instead of
    271 MB (benchmarks/results.md, eighth round). A user's own setting is kept, and nothing changes once pyarrow is
    loaded (the memory section of the README says how to get the same from a notebook).
    """
    if "pyarrow" not in sys.modules:
        os.environ.setdefault(ARROW_POOL_VARIABLE, "system")


def arrow_allocator() -> str:
    """The allocator Arrow's own C++ code uses: ``system``, ``mimalloc`` or ``jemalloc`` (pyarrow's default pool,
    which is Arrow's own unless someone replaced it: ask outside :func:`system_pool`)."""
    import pyarrow as pa

    return pa.default_memory_pool().backend_name


def _glibc(name: str):
    """A function of glibc's allocator, or None where there is none (macOS and musl lack it, Windows has no libc)."""
    try:
        return getattr(ctypes.CDLL(None), name, None)
    except (OSError, TypeError):
        return None


_TRIM = _glibc("malloc_trim")
_MALLOPT = _glibc("mallopt")
# mallopt's parameters (malloc.h), and glibc's default for both thresholds.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
DEFAULT_THRESHOLD = 128 * 1024


@contextmanager
def system_pool() -> Iterator[None]:
    """Arrow allocations from the system allocator while the block runs; the caller's pool is restored after.

    With pyarrow's default pool the derived tables of 12,000 reports peaked at 404 MB, with the system pool at
    259 MB (benchmarks/results.md)."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def release_freed() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``; nothing where there is none).

    Without it, what each table written left free stayed with the process: at 40,000 reports the build held 317 MB
    before its derived tables, 247 MB with it."""
    if _TRIM is not None:
        _TRIM(0)


def fixed_heap_thresholds() -> None:
    """Keep glibc's mmap and trim thresholds at their defaults (128 KiB) for the rest of the process.

    By default glibc raises its mmap threshold to the size of each large block freed (up to 32 MiB): after the first
    batches, every batch's column buffers come from the heap instead of mappings of their own, the heap fragments
    under them and resident memory grows with the corpus. With the thresholds fixed, a large block is unmapped when
    it is freed. Measured on the build (one process, half text and half HTML): 362 → 333 MB at 10,000 reports and
    474 → 462 MB at 100,000 (benchmarks/results.md, seventh round). A setting of the process: glibc can report no
    value to restore.
    """
    if _MALLOPT is not None:
        _MALLOPT(M_MMAP_THRESHOLD, DEFAULT_THRESHOLD)  # setting it also stops glibc from raising either threshold
        _MALLOPT(M_TRIM_THRESHOLD, DEFAULT_THRESHOLD)
