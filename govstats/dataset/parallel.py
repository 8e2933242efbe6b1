"""Run ``process_file`` over many files: in this process, in worker processes, or on a Dask cluster.

Every scheduler runs the same worker function on chunks of files and yields the results in input order, with a
bounded number of chunks in flight: the build consumes results as they come and memory does not grow with the
corpus. Input order is what makes a parallel build byte-identical to a serial one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import TooSlow, UsageError
from ..model import CheckResult
from . import tidy
from .cache import Cache, file_key
from .limits import DEFAULT_LIMITS, Limits
from .names import escape_controls, legible, report_id
from .pipeline import Processed, process_file
from .schema import Columns

SCHEDULERS = ("processes", "dask")


# --- what a worker sends back: a file's rows as plain columns, ready to spool -------------------------------------


def result_tables(result: Processed) -> dict[str, Columns]:
    """A file's rows of each table (an error is one ``reports`` row saying what went wrong)."""
    if result.error is not None:
        return {"reports": _error_columns(result)}
    return result.tables


def _error_columns(result: Processed) -> Columns:
    return tidy.reports_columns([tidy.error_record(result.report_id, result.sha256, result.kind, result.error)])


def _first(data: Columns, column: str):
    """The first row's value of a column, as the frame printed it (a blank is <NA>)."""
    values = data.get(column)
    if not values:
        return None
    return pd.NA if values[0] is None else values[0]


def result_year(result: Processed) -> int | None:
    """The year a file's rows are partitioned under: its report's year, if it has one."""
    reports = result_tables(result).get("reports")
    year = None if reports is None else _first(reports, "year")
    return None if year is None or pd.isna(year) else int(year)


def count_slot(check: CheckResult) -> int:
    """Where a log entry counts a check: 0 passed, 1 failed, 2 not evaluable."""
    return 0 if check.passed is True else 1 if check.passed is False else 2


@dataclass
class LogEntry:
    """What the log says of one document; check counts are completed by the corpus checks at the end."""

    report_id: str
    error: str | None
    head: str = ""
    problems: int = 0
    counts: list[int] = field(default_factory=lambda: [0, 0, 0])  # passed, failed, not evaluable
    unread: list[str] = field(default_factory=list)  # rows of 三/四 with unreadable or ambiguous cells, and why

    def add(self, checks: Iterable[CheckResult]) -> None:
        for check in checks:
            self.counts[count_slot(check)] += 1

    def line(self) -> str:
        """One line, whatever the name or the error holds (control characters are escaped)."""
        if self.error:
            return escape_controls(f"ERROR {self.error}{_legible(self.report_id)}")
        passed, failed, unknown = self.counts
        head = escape_controls(
            f"OK    {self.report_id}: {self.head}; checks {passed} passed, {failed} failed, "
            f"{unknown} not evaluable; {self.problems} problems{_legible(self.report_id)}"
        )
        return "\n".join([head, *(escape_controls(f"      {row}") for row in self.unread)])


def _legible(name: str) -> str:
    readable = legible(name)
    return f" [name as GB18030: {readable}]" if readable else ""


def skip_line(name: str, why: str) -> str:
    return escape_controls(f"SKIP  {name}: {why}{_legible(name)}")


def log_entry(result: Processed) -> LogEntry:
    if result.error:
        return LogEntry(result.report_id, result.error)
    reports = result.tables["reports"]
    document, agency, year, version, problems = (
        _first(reports, column) for column in ("document", "agency", "year", "format_version", "problems")
    )
    head = f"{document} {agency} {year} (format {version})"
    entry = LogEntry(
        result.report_id, None, head, problems.count("\n") + 1 if isinstance(problems, str) and problems else 0
    )
    entry.add(result.checks)
    entry.unread = _unread_rows(result.tables, problems if isinstance(problems, str) else "")
    return entry


_NOT_READ = ("unreadable", "ambiguous")
_KEYS = {"requests": "row", "review_litigation": "proceeding"}


def _unread_rows(tables: dict[str, Columns], problems: str) -> list[str]:
    """Each row of sections 三 and 四 whose cells are not all read, with how many and the problems that say why."""
    lines = []
    for table, key in _KEYS.items():
        data = tables.get(table)
        if data is None:
            continue
        statuses = data["status"]
        if not any(status in _NOT_READ for status in statuses):
            continue
        keys = data[key]
        bad: dict[str, dict[str, int]] = {}
        for row, status in zip(keys, statuses, strict=True):
            if status in _NOT_READ:
                bad.setdefault(row, {}).setdefault(status, 0)
                bad[row][status] += 1
        for row, counts in bad.items():
            why = [line for line in problems.split("\n") if line.startswith((f"{table}.{row}", f"{table}:", row))]
            cells = ", ".join(f"{n} {status}" for status, n in counts.items())
            lines.append(f"{table}.{row}: {cells}" + (f" — {'; '.join(why)}" if why else ""))
    return lines


@dataclass
class Outcome:
    """One file, ready for the coordinator to spool: its rows per table (checks included) as plain columns, the
    year they are filed under, its log entry, and its result without the rows (the corpus summary, the error)."""

    result: Processed
    tables: dict[str, Columns]
    year: int | None
    log: LogEntry
    cpu_seconds: float  # how long it took (for the benchmark, never for the dataset)
    cached: bool


Task = tuple[str, str]  # (path, name)


def prepare(result: Processed, start: float, cached: bool) -> Outcome:
    """The coordinator's share of the work that is per file, done here where it runs in parallel (the spool types
    the columns of a whole batch of files at once)."""
    tables = dict(result_tables(result))
    tables["checks"] = tidy.checks_columns(result.checks)
    bare = dataclasses.replace(result, tables={}, checks=[])
    return Outcome(bare, tables, result_year(result), log_entry(result), time.process_time() - start, cached)


def run_one(path: str, name: str, cache: Cache | None, limits: Limits = DEFAULT_LIMITS) -> Outcome:
    """``process_file`` through the cache: a hit costs one read, one hash and re-running the identity checks."""
    start = time.process_time()
    key = hit = None
    if cache is not None:
        try:
            size = os.stat(path).st_size
            key = file_key(Path(path).read_bytes(), report_id(name), limits) if size <= limits.max_bytes else None
        except OSError:
            key = None  # process_file reports the unreadable file by name
        hit = cache.get(key) if key else None
    result = hit or process_file(path, name, limits).lean()
    if cache is not None and key and hit is None and result.sha256 and not _timed_out(result):
        with contextlib.suppress(OSError, TypeError, ValueError):  # a full or read-only cache costs speed only
            cache.put(key, result)
    return prepare(result, start, hit is not None)


def _timed_out(result: Processed) -> bool:
    """A parse stopped by the time limit says nothing about the file's content: it is not cached."""
    return result.error is not None and f": {TooSlow.reason}: " in result.error


def run_chunk(tasks: list[Task], cache_dir: str | None, limits: Limits = DEFAULT_LIMITS) -> list[Outcome]:
    cache = Cache(cache_dir) if cache_dir else None
    return [run_one(path, name, cache, limits) for path, name in tasks]


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


def _with_processes(chunks: Iterator[list[Task]], cache_dir: str | None, jobs: int, limits: Limits):
    # spawn: workers start clean (no inherited tracers, threads or locks) on every platform
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        executor: Executor = pool
        yield from _ordered(lambda chunk: executor.submit(run_chunk, chunk, cache_dir, limits), chunks, 4 * jobs)


def _with_dask(chunks: Iterator[list[Task]], cache_dir: str | None, jobs: int, address: str | None, limits: Limits):
    from distributed import Client, LocalCluster

    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(address or cluster)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        submit = lambda chunk: client.submit(run_chunk, chunk, cache_dir, limits, pure=False)  # noqa: E731
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
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Outcome]:
    """The outcome of every (path, name), in input order. ``jobs=1`` without Dask runs in this process."""
    if scheduler not in SCHEDULERS:
        raise UsageError(f"unknown scheduler {scheduler!r}: choose one of {', '.join(SCHEDULERS)}")
    cache = str(cache_dir) if cache_dir else None
    chunks = chunked(tasks, chunk_size)
    if scheduler == "dask":
        return _with_dask(chunks, cache, max(1, jobs), dask_address, limits)
    if jobs <= 1:
        return (outcome for chunk in chunks for outcome in run_chunk(chunk, cache, limits))
    return _with_processes(chunks, cache, jobs, limits)
