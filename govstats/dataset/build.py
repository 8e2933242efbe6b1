"""``govstats build``: parse every document under ``data/raw/`` and write the tidy dataset to ``data/processed/``.

Scale: files are parsed in worker processes (``jobs``) or on a Dask cluster, through a content-hash cache, and
their rows are streamed to per-table spool files on disk, so memory stays flat however large the corpus; only the
small per-file summaries that the corpus-wide checks need are kept. The final tables are written from the spool.

Safety: the new dataset is written into a private folder beside ``out_dir`` and swapped in at the end (one atomic
exchange on Linux), so an interrupted or failed build leaves the previous dataset as it was. ``data/raw/`` is only
ever read. Outputs are deterministic (same inputs → byte-identical files, whatever ``jobs``, scheduler or cache).

Layout: ``<table>.csv`` is one file; ``<table>.parquet`` is one file whose rows are ordered by year (the year of
the report they come from, then report_id) with row groups that never span two years, or, with
``layout="year"``, a folder with one file per year (``<table>.parquet/2023/part-0.parquet``, ``unknown/`` for
documents without a year) that ``pd.read_parquet`` and DuckDB read as one table with the same columns.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..codebook import codebook_frame
from ..model import CheckResult
from ..validate.checks import corpus_checks
from ..validate.prose import narrative_corpus_checks
from . import tidy
from .parallel import LogEntry, Outcome, arrow_table, log_entry, result_tables, run_files
from .pipeline import Processed, process_file

TABLES = ("reports", "requests", "review_litigation", "proactive", "checks")
LOG_NAME = "build_log.txt"
LAYOUTS = ("file", "year")
NO_YEAR = "unknown"  # the partition of documents whose year is unknown (errors, undated files)
SPOOL_ROWS = 100_000  # rows held in memory before they are spooled to disk
ROW_GROUP_ROWS = 50_000  # rows per Parquet row group of the outputs


@dataclass
class BuildSummary:
    documents: int
    reports: int
    errors: list[str]
    checks_passed: int
    checks_failed: int
    checks_not_evaluable: int
    out_dir: Path
    cached: int = 0  # files taken from the cache
    by_format: dict[str, tuple[int, float]] = field(default_factory=dict)  # suffix → (files, CPU seconds parsing)


def discover(raw_dir: Path) -> list[Path]:
    """Every document under the raw folder, in report_id order (README files and hidden files are not documents)."""
    raw_dir = Path(raw_dir)
    found = (
        path
        for path in raw_dir.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(raw_dir).parts)
        and not path.name.upper().startswith(("README", "MANIFEST"))  # issue 12: raw-file manifests are not documents
    )
    return sorted(found, key=lambda path: path.relative_to(raw_dir).as_posix())


def process_corpus(raw_dir: Path, jobs: int = 1) -> list[Processed]:
    """Every file's result in memory (small corpora and tests; ``build`` streams instead)."""
    raw_dir = Path(raw_dir)
    paths = discover(raw_dir)
    names = [path.relative_to(raw_dir).as_posix() for path in paths]
    if jobs <= 1:
        return [process_file(path, name) for path, name in zip(paths, names, strict=True)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(process_file, paths, names, chunksize=8))


def whole_corpus_checks(summaries: list) -> list[CheckResult]:
    """The checks that compare documents with each other (across years of one agency)."""
    return corpus_checks(summaries) + narrative_corpus_checks(summaries)


def assemble(results: Iterable[Processed]) -> dict[str, pd.DataFrame]:
    """The tidy tables of a processed corpus held in memory: each file's rows, in report_id order, plus every check."""
    results = sorted(results, key=lambda r: r.report_id)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES if name != "checks"}
    for result in results:
        for name, frame in result_tables(result).items():
            parts.setdefault(name, []).append(frame)
    empty = empty_tables()
    assembled = {
        name: pd.concat(frames, ignore_index=True) if frames else empty[name] for name, frames in parts.items()
    }
    summaries = [r.summary for r in results if r.summary]
    assembled["checks"] = tidy.checks_frame([c for r in results for c in r.checks] + whole_corpus_checks(summaries))
    return assembled


def empty_tables() -> dict[str, pd.DataFrame]:
    """The core tables with no rows: their columns and types, written even when no file gave any row."""
    return {
        "reports": tidy.reports_frame([]),
        "requests": tidy.requests_frame([]),
        "review_litigation": tidy.review_frame([]),
        "proactive": tidy.proactive_frame([]),
        "checks": tidy.checks_frame([]),
    }


def _year_order(year: int | None) -> tuple[bool, int]:
    return (year is None, year or 0)


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename: readers never see half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_table(frame: pd.DataFrame, out_dir: Path, name: str) -> None:
    _atomic_write(out_dir / f"{name}.parquet", lambda p: frame.to_parquet(p, index=False))
    _atomic_write(out_dir / f"{name}.csv", lambda p: frame.to_csv(p, index=False, lineterminator="\n"))


# --- streaming: rows go to spool parts on disk, per table and year ------------------------------------------------


class Spool:
    """Each table's rows as numbered Parquet parts per year, in arrival (report_id) order."""

    def __init__(self, folder: Path, flush_rows: int | None = None) -> None:
        self.folder = folder
        self.flush_rows = flush_rows or SPOOL_ROWS
        self.buffers: dict[tuple[str, int | None], list[pa.Table]] = defaultdict(list)
        self.buffered = 0
        self.parts: dict[str, dict[int | None, list[Path]]] = defaultdict(lambda: defaultdict(list))
        self.schemas: dict[str, pa.Schema] = {}
        self.count = 0

    def add(self, name: str, year: int | None, table: pa.Table) -> None:
        if name not in self.schemas:  # the first table of a name fixes its columns, even with no rows
            self.schemas[name] = table.schema
        if table.num_rows == 0:
            return
        self.buffers[(name, year)].append(table)
        self.buffered += table.num_rows
        if self.buffered >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        for (name, year), tables in self.buffers.items():
            path = self.folder / f"{self.count:08d}.parquet"
            self.count += 1
            pq.write_table(pa.concat_tables(tables, promote_options="permissive"), path, compression="none")
            self.parts[name][year].append(path)
        self.buffers.clear()
        self.buffered = 0

    def names(self) -> list[str]:
        return sorted(set(self.schemas) | set(self.parts))

    def schema(self, name: str) -> pa.Schema:
        """One schema for all parts of a table (a column all blank in one part takes its type from the others)."""
        schemas = [self.schemas[name]] + [pq.read_schema(p) for year in self.parts[name].values() for p in year]
        unified = pa.unify_schemas(schemas, promote_options="permissive")
        return unified.with_metadata(self.schemas[name].metadata)

    def years(self, name: str) -> Iterator[tuple[int | None, list[Path]]]:
        for year in sorted(self.parts[name], key=_year_order):
            yield year, self.parts[name][year]


def _read_part(path: Path, schema: pa.Schema) -> pa.Table:
    table = pq.read_table(path)
    return table.select(schema.names).cast(schema) if table.schema != schema else table


def _row_groups(parts: list[Path], schema: pa.Schema) -> Iterator[pa.Table]:
    """The rows of ``parts`` re-cut into row groups of ROW_GROUP_ROWS: the file's bytes do not depend on how the
    rows were spooled (flush size, files per part), only on the rows themselves."""
    pending: list[pa.Table] = []
    rows = 0
    for part in parts:
        table = _read_part(part, schema)
        pending.append(table)
        rows += table.num_rows
        while rows >= ROW_GROUP_ROWS:
            combined = pa.concat_tables(pending)
            yield combined.slice(0, ROW_GROUP_ROWS).combine_chunks()
            pending, rows = [combined.slice(ROW_GROUP_ROWS)], rows - ROW_GROUP_ROWS
    if rows:
        yield pa.concat_tables(pending).combine_chunks()


def _write_parquet(spool: Spool, name: str, schema: pa.Schema, staging: Path, layout: str) -> None:
    if layout == "file":
        with pq.ParquetWriter(staging / f"{name}.parquet", schema) as writer:
            for _, parts in spool.years(name):  # row groups are cut per year: never two years in one
                for group in _row_groups(parts, schema):
                    writer.write_table(group, row_group_size=ROW_GROUP_ROWS)
        return
    folder = staging / f"{name}.parquet"
    folder.mkdir()
    years = list(spool.years(name)) or [(None, [])]  # an empty table is still one readable (empty) file
    for year, parts in years:
        partition = folder / (NO_YEAR if year is None else str(year))
        partition.mkdir()
        with pq.ParquetWriter(partition / "part-0.parquet", schema) as writer:
            for group in _row_groups(parts, schema):
                writer.write_table(group, row_group_size=ROW_GROUP_ROWS)
            if not parts:
                writer.write_table(schema.empty_table())


def _write_csv(spool: Spool, name: str, schema: pa.Schema, staging: Path) -> None:
    with open(staging / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
        parts = [part for _, year_parts in spool.years(name) for part in year_parts]
        if not parts:
            schema.empty_table().to_pandas().to_csv(handle, index=False, lineterminator="\n")
        for number, part in enumerate(parts):
            frame = _read_part(part, schema).to_pandas()
            frame.to_csv(handle, index=False, header=number == 0, lineterminator="\n")


def write_spooled(spool: Spool, staging: Path, layout: str) -> list[str]:
    """Every table of the spool as Parquet and CSV in ``staging``; returns the table names."""
    spool.flush()
    names = spool.names()
    for name in names:
        schema = spool.schema(name)
        _write_parquet(spool, name, schema, staging, layout)
        _write_csv(spool, name, schema, staging)
    return names


# --- the build log ------------------------------------------------------------------------------------------------


def build_log(results: list[Processed], checks: pd.DataFrame) -> str:
    """One line per document: what it was read as, or the error that names it; then the check totals."""
    entries = {r.report_id: log_entry(r) for r in sorted(results, key=lambda r: r.report_id)}
    for entry in entries.values():
        entry.counts = [0, 0, 0]
    for report_id, passed in zip(checks["report_id"], checks["passed"], strict=True):
        if report_id in entries:
            entries[report_id].counts[0 if passed is True else 1 if passed is False else 2] += 1
    return _log_text(list(entries.values()))


def _log_text(entries: list[LogEntry]) -> str:
    totals = [sum(e.counts[i] for e in entries) for i in range(3)]
    lines = [entry.line() for entry in entries]
    lines.append(
        f"TOTAL {len(entries)} documents; checks {totals[0]} passed, {totals[1]} failed, {totals[2]} not evaluable"
    )
    return "\n".join(lines) + "\n"


# --- publishing: build beside the output folder, then swap ------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    status = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    return status == 0


def _work_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}.build-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover(out_dir: Path) -> None:
    """Undo what a killed build left: restore a dataset caught between two renames, drop dead builds' folders."""
    for work in sorted(out_dir.parent.glob(_work_prefix(out_dir) + "*")):
        pid = work.name.removeprefix(_work_prefix(out_dir)).split("-")[0]
        if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
            continue  # another build is running
        previous = work / "previous"
        if previous.is_dir() and not out_dir.exists():
            os.rename(previous, out_dir)
        shutil.rmtree(work, ignore_errors=True)


def _carry_foreign(out_dir: Path, staging: Path, outputs: set[str]) -> None:
    """Copy what someone else keeps in the output folder (a README, notes), so the swap does not lose it."""
    if not out_dir.is_dir():
        return
    for entry in sorted(out_dir.iterdir()):
        own = entry.name in outputs or entry.suffix in (".parquet", ".csv") or entry.name == LOG_NAME
        if own or (staging / entry.name).exists():
            continue
        if entry.is_dir():
            shutil.copytree(entry, staging / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, staging / entry.name, follow_symlinks=False)


def _publish(staging: Path, out_dir: Path, work: Path) -> None:
    """Make ``staging`` the output folder; the old one ends up inside ``work``, which is then removed."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
    elif not _exchange(staging, out_dir):
        os.rename(out_dir, work / "previous")  # a crash between these two renames is undone by _recover
        os.rename(staging, out_dir)
    shutil.rmtree(work, ignore_errors=True)


# --- the build ----------------------------------------------------------------------------------------------------


def _check_folders(raw_dir: Path, out_dir: Path, cache_dir: Path | None) -> None:
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"{raw_dir}: raw data folder not found")
    raw, out = raw_dir.resolve(), out_dir.resolve()
    if out == raw or raw in out.parents or out in raw.parents:
        raise ValueError(f"{out_dir}: the output folder must not contain or be inside the raw folder {raw_dir}")
    if cache_dir is not None:
        cache = cache_dir.resolve()
        if cache in (out, raw) or out in cache.parents or raw in cache.parents:
            raise ValueError(f"{cache_dir}: the cache must be outside the output and raw folders")


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, disable=not enabled, file=sys.stderr, unit="file", desc="govstats build")


@dataclass
class _Tally:
    documents: int = 0
    reports: int = 0
    cached: int = 0
    errors: list[str] = field(default_factory=list)
    by_format: dict[str, tuple[int, float]] = field(default_factory=dict)


def _format_of(report_id: str) -> str:
    return Path(report_id).suffix.lower().lstrip(".") or "none"


def _stream(outcomes: Iterable[Outcome], spool: Spool, entries: dict[str, LogEntry], bar) -> tuple[_Tally, list]:
    """Spool each file's rows (made ready by the worker) as they come; keep its log entry and corpus summary."""
    tally, summaries = _Tally(), []
    for outcome in outcomes:
        result = outcome.result
        for name, table in outcome.tables.items():
            spool.add(name, outcome.year, table)
        entries[result.report_id] = outcome.log
        if result.summary is not None:
            summaries.append(result.summary)
        tally.documents += 1
        tally.reports += result.error is None
        tally.cached += outcome.cached
        if result.error:
            tally.errors.append(result.error)
        files, seconds = tally.by_format.get(_format_of(result.report_id), (0, 0.0))
        tally.by_format[_format_of(result.report_id)] = (files + 1, seconds + outcome.cpu_seconds)
        bar.update()
    return tally, summaries


def _spool_corpus_checks(spool: Spool, summaries: list, entries: dict[str, LogEntry]) -> list[CheckResult]:
    years = {summary.report_id: summary.year for summary in summaries}
    checks = whole_corpus_checks(summaries)
    by_report: dict[str, list[CheckResult]] = defaultdict(list)
    for check in checks:
        by_report[check.report_id].append(check)
    for report_id in sorted(by_report):
        spool.add("checks", years.get(report_id), arrow_table(tidy.checks_frame(by_report[report_id])))
        entries[report_id].add(by_report[report_id])
    return checks


def build(
    raw_dir: str | Path = "data/raw",
    out_dir: str | Path = "data/processed",
    *,
    jobs: int = 1,
    cache_dir: str | Path | None = None,
    scheduler: str = "processes",
    dask_address: str | None = None,
    layout: str = "file",
    progress: bool = False,
) -> BuildSummary:
    """Parse every document of ``raw_dir`` and write the dataset to ``out_dir`` (replacing it only when complete).

    ``jobs`` worker processes (or Dask workers of a local cluster); ``cache_dir`` keeps each file's result by
    content hash; ``scheduler="dask"`` runs on the cluster at ``dask_address`` (a local one when None);
    ``layout`` is ``"file"`` (one Parquet file per table) or ``"year"`` (a folder per table, a file per year).
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if out_dir.is_symlink():  # swap the folder it points to, not the link (which would leave the target stale)
        out_dir = out_dir.resolve()
    cache_dir = Path(cache_dir) if cache_dir else None
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: choose one of {', '.join(LAYOUTS)}")
    _check_folders(raw_dir, out_dir, cache_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _recover(out_dir)
    work = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f"{_work_prefix(out_dir)}{os.getpid()}-"))
    try:
        summary = _build_into(raw_dir, work, jobs, cache_dir, scheduler, dask_address, layout, progress)
        _carry_foreign(out_dir, work / "out", set(os.listdir(work / "out")))
        _publish(work / "out", out_dir, work)
    finally:
        if work.exists() and not (work / "previous").exists():
            shutil.rmtree(work, ignore_errors=True)
    summary.out_dir = out_dir
    return summary


def _build_into(raw_dir, work, jobs, cache_dir, scheduler, dask_address, layout, progress) -> BuildSummary:
    staging, spool_dir = work / "out", work / "spool"
    staging.mkdir()
    spool_dir.mkdir()
    spool = Spool(spool_dir)
    for name, frame in empty_tables().items():
        spool.add(name, None, arrow_table(frame))
    tasks = [(str(path), path.relative_to(raw_dir).as_posix()) for path in discover(raw_dir)]
    entries: dict[str, LogEntry] = {}
    with _progress(len(tasks), progress) as bar:
        outcomes = run_files(tasks, jobs, cache_dir, scheduler, dask_address)
        tally, summaries = _stream(outcomes, spool, entries, bar)
    _spool_corpus_checks(spool, summaries, entries)
    write_spooled(spool, staging, layout)
    shutil.rmtree(spool_dir)
    codebook = codebook_frame()
    codebook.to_csv(staging / "codebook.csv", index=False, lineterminator="\n")
    log = entries.values()
    (staging / LOG_NAME).write_text(_log_text(list(log)), encoding="utf-8")
    totals = [sum(e.counts[i] for e in log) for i in range(3)]
    return BuildSummary(
        documents=tally.documents,
        reports=tally.reports,
        errors=tally.errors,
        checks_passed=totals[0],
        checks_failed=totals[1],
        checks_not_evaluable=totals[2],
        out_dir=staging,
        cached=tally.cached,
        by_format=dict(sorted(tally.by_format.items())),
    )
