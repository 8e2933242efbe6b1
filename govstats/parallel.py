"""Run ``process_file`` over many files: in this process, in worker processes, or on a Dask cluster.

Every scheduler runs the same worker function on chunks of files and yields the results in input order, with a
bounded number of chunks in flight: the build consumes results as they come and memory does not grow with the
corpus. Input order is what makes a parallel build byte-identical to a serial one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .cache import Cache, file_key
from .pipeline import Processed, process_file

SCHEDULERS = ("processes", "dask")


@dataclass
class Outcome:
    """One file's result, with how it was obtained (for progress and the benchmark, never for the dataset)."""

    result: Processed
    cpu_seconds: float
    cached: bool


Task = tuple[str, str]  # (path, name)


def run_one(path: str, name: str, cache: Cache | None) -> Outcome:
    """``process_file`` through the cache: a hit costs one read and one hash."""
    start = time.process_time()
    key = None
    if cache is not None:
        try:
            key = file_key(Path(path).read_bytes(), name)
        except OSError:
            key = None  # process_file reports the unreadable file by name
        hit = cache.get(key) if key else None
        if hit is not None:
            return Outcome(hit, time.process_time() - start, True)
    result = process_file(path, name).lean()
    if cache is not None and key and result.sha256:
        with contextlib.suppress(OSError):  # a full or read-only cache costs speed, never the build
            cache.put(key, result)
    return Outcome(result, time.process_time() - start, False)


def run_chunk(tasks: list[Task], cache_dir: str | None) -> list[Outcome]:
    cache = Cache(cache_dir) if cache_dir else None
    return [run_one(path, name, cache) for path, name in tasks]


def chunked(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for task in tasks:
        chunk.append(task)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ordered(submit: Callable[[list[Task]], Future], chunks: Iterator[list[Task]], window: int) -> Iterator[Outcome]:
    """Submit chunks ahead, at most ``window`` in flight, and yield their outcomes in submission order."""
    pending: deque[Future] = deque()
    for chunk in chunks:
        pending.append(submit(chunk))
        if len(pending) >= window:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


def _with_processes(chunks: Iterator[list[Task]], cache_dir: str | None, jobs: int) -> Iterator[Outcome]:
    # spawn: workers start clean (no inherited tracers, threads or locks) on every platform
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        executor: Executor = pool
        yield from _ordered(lambda chunk: executor.submit(run_chunk, chunk, cache_dir), chunks, 4 * jobs)


def _with_dask(chunks: Iterator[list[Task]], cache_dir: str | None, jobs: int, address: str | None):
    from distributed import Client, LocalCluster

    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(address or cluster)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        submit = lambda chunk: client.submit(run_chunk, chunk, cache_dir, pure=False)  # noqa: E731
        yield from _ordered(submit, chunks, 4 * workers)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_files(
    tasks: Iterable[Task],
    jobs: int = 1,
    cache_dir: str | Path | None = None,
    scheduler: str = "processes",
    dask_address: str | None = None,
    chunk_size: int = 8,
) -> Iterator[Outcome]:
    """The outcome of every (path, name), in input order. ``jobs=1`` without Dask runs in this process."""
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}: choose one of {', '.join(SCHEDULERS)}")
    cache = str(cache_dir) if cache_dir else None
    chunks = chunked(tasks, chunk_size)
    if scheduler == "dask":
        return _with_dask(chunks, cache, max(1, jobs), dask_address)
    if jobs <= 1:
        return (outcome for chunk in chunks for outcome in run_chunk(chunk, cache))
    return _with_processes(chunks, cache, jobs)
