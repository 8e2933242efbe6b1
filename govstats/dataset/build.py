"""``govstats build``: parse every document under ``data/raw/`` and write the tidy dataset to ``data/processed/``.

Scale: files are parsed in worker processes (``jobs``) or on a Dask cluster, through a content-hash cache, and
their rows are streamed to per-table spool files on disk and their log entries and corpus summaries to a ledger
(``ledger``, SQLite), so memory grows little with the corpus. The final tables are written from the spool.

Safety: the new dataset is written into a private folder beside ``out_dir`` and swapped in at the end, under a
lock, keeping whatever in ``out_dir`` govstats did not write (``outdir``); an interrupted or failed build leaves the
previous dataset as it was. ``data/raw/`` is only ever read, and every entry under it is accounted for in the log
(``survey``). Outputs are deterministic (same inputs → byte-identical files, whatever ``jobs``, scheduler or cache).

Layout: ``<table>.csv`` is one file; ``<table>.parquet`` is one file whose rows are ordered by year (the year of
the report they come from, then report_id) with row groups that never span two years, or, with
``layout="year"``, a folder of Hive partitions, one file per year (``<table>.parquet/year=2023/part-0.parquet``,
``year=__HIVE_DEFAULT_PARTITION__/`` for documents without a year), the year kept in the folder name and not in
the files, so that ``pd.read_parquet`` and DuckDB (``hive_partitioning``) read it back as the ``year`` column.
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..codebook import codebook_frame
from ..errors import UsageError
from ..transform.detect import WORK_PLAN
from ..validate.checks import corpus_checks
from ..validate.prose import narrative_corpus_checks
from . import memory, outdir, schema, tidy
from .datapackage import PARTITION_COLUMN, partition_folder, write_package
from .ledger import Ledger
from .limits import DEFAULT_LIMITS, Limits
from .names import report_id as printable_id
from .parallel import LogEntry, Outcome, run_files, skip_line
from .schema import Columns
from .survey import Survey, survey

TABLES = ("reports", "requests", "review_litigation", "proactive", "checks")
LOG_NAME = "build_log.txt"
LAYOUTS = ("file", "year")
SPOOL_ROWS = 100_000  # rows held in memory before they are spooled to disk
BATCH_ROWS = 2_000  # rows of one table and year gathered as plain columns before they are typed as one Arrow table
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
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why) of what under raw is not read


def discover(raw_dir: Path) -> list[Path]:
    """Every document under the raw folder, in report_id order (see :func:`~govstats.dataset.survey.survey`)."""
    found = survey(Path(raw_dir))
    documentation = found.documentation
    return [Path(raw_dir) / relative for relative in found.documents if printable_id(relative) not in documentation]


# The checks that compare documents with each other (across years of one agency: the build runs each on one
# agency's summaries at a time).
CORPUS_CHECKS = (corpus_checks, narrative_corpus_checks)


def _year_order(year: int | None) -> tuple[bool, int]:
    return (year is None, year or 0)


# --- streaming: rows go to spool parts on disk, per table and year ------------------------------------------------


class Spool:
    """Each table's rows as numbered Parquet parts per year, in arrival (report_id) order.

    Files' rows arrive as plain columns; those of one table and year are typed as one Arrow table per
    ``BATCH_ROWS`` (one conversion per column for a batch of files, not per file), held until ``flush_rows``."""

    def __init__(self, folder: Path, flush_rows: int | None = None) -> None:
        self.folder = folder
        self.flush_rows = flush_rows or SPOOL_ROWS
        self.pending: dict[tuple[str, int | None], list[Columns]] = defaultdict(list)
        self.pending_rows: dict[tuple[str, int | None], int] = defaultdict(int)
        self.buffers: dict[tuple[str, int | None], list[pa.Table]] = defaultdict(list)
        self.buffered = 0
        self.parts: dict[str, dict[int | None, list[Path]]] = defaultdict(lambda: defaultdict(list))
        self.schemas: dict[str, pa.Schema] = {}
        self.count = 0

    def add(self, name: str, year: int | None, data: Columns) -> None:
        if name not in self.schemas:  # a table is written with its columns even when no file gives it a row
            self.schemas[name] = schema.arrow_schema(name)
        rows = schema.rows(data)
        if rows == 0:
            return
        key = (name, year)
        self.pending[key].append(data)
        self.pending_rows[key] += rows
        if self.pending_rows[key] >= BATCH_ROWS:
            self._type(key)
        self.buffered += rows
        if self.buffered >= self.flush_rows:
            self.flush()

    def _type(self, key: tuple[str, int | None]) -> None:
        name = key[0]
        self.buffers[key].append(schema.arrow(name, schema.concat_columns(name, self.pending.pop(key))))
        del self.pending_rows[key]

    def flush(self) -> None:
        for key in list(self.pending):
            self._type(key)
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


def _without_partition_column(schema: pa.Schema) -> pa.Schema:
    """The schema of a partition's files: the partition column lives in the folder name only (a reader that also
    found it in the files, or in their pandas metadata, would see it twice and fail)."""
    if PARTITION_COLUMN not in schema.names:
        return schema
    in_files = schema.remove(schema.get_field_index(PARTITION_COLUMN))
    metadata = dict(schema.metadata or {})
    if b"pandas" in metadata:
        pandas_metadata = json.loads(metadata[b"pandas"])
        pandas_metadata["columns"] = [c for c in pandas_metadata["columns"] if c["name"] != PARTITION_COLUMN]
        metadata[b"pandas"] = json.dumps(pandas_metadata).encode()
    return in_files.with_metadata(metadata)


def _write_parquet(spool: Spool, name: str, schema: pa.Schema, staging: Path, layout: str) -> None:
    if layout == "file":
        with pq.ParquetWriter(staging / f"{name}.parquet", schema) as writer:
            for _, parts in spool.years(name):  # row groups are cut per year: never two years in one
                for group in _row_groups(parts, schema):
                    writer.write_table(group, row_group_size=ROW_GROUP_ROWS)
        return
    folder = staging / f"{name}.parquet"
    folder.mkdir()
    in_files = _without_partition_column(schema)
    years = list(spool.years(name)) or [(None, [])]  # an empty table is still one readable (empty) file
    for year, parts in years:
        partition = folder / partition_folder(year)
        partition.mkdir()
        with pq.ParquetWriter(partition / "part-0.parquet", in_files) as writer:
            for group in _row_groups(parts, schema):
                writer.write_table(group.select(in_files.names), row_group_size=ROW_GROUP_ROWS)
            if not parts:
                writer.write_table(in_files.empty_table())


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
        memory.release_freed()  # each table's buffers, before the next one's
    return names


# --- the build log ------------------------------------------------------------------------------------------------


def write_log(
    path: Path, entries: Iterable[LogEntry], skipped: list[tuple[str, str]], totals: tuple[int, int, int]
) -> None:
    """One line per file under raw, in name order: read (OK), failed (ERROR, why) or not read (SKIP, why).
    ``entries`` come in report-id order; the skipped names are merged in."""
    documents = 0

    def read() -> Iterator[tuple[str, str]]:
        nonlocal documents
        for entry in entries:
            documents += 1
            yield entry.report_id, entry.line()

    skips = [(name, skip_line(name, why)) for name, why in sorted(skipped)]
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for _, line in heapq.merge(read(), skips):
            handle.write(line + "\n")
        also = f", {len(skipped)} skipped" if skipped else ""
        handle.write(
            f"TOTAL {documents} documents{also}; checks {totals[0]} passed, {totals[1]} failed, "
            f"{totals[2]} not evaluable\n"
        )


# --- the build ----------------------------------------------------------------------------------------------------


def _check_folders(raw_dir: Path, out_dir: Path, cache_dir: Path | None) -> None:
    if not raw_dir.is_dir():
        missing = not raw_dir.exists()
        raise UsageError(f"{raw_dir}: raw data folder not found" if missing else f"{raw_dir}: not a folder")
    if not os.access(raw_dir, os.R_OK | os.X_OK):
        raise UsageError(f"{raw_dir}: the raw data folder cannot be read")
    raw, out = raw_dir.resolve(), out_dir.resolve()
    if out == raw or raw in out.parents or out in raw.parents:
        raise UsageError(f"{out_dir}: the output folder must not contain or be inside the raw folder {raw_dir}")
    if cache_dir is not None:
        cache = cache_dir.resolve()
        if cache in (out, raw) or out in cache.parents or raw in cache.parents:
            raise UsageError(f"{cache_dir}: the cache must be outside the output and raw folders")
        if cache.exists() and not cache.is_dir():
            raise UsageError(f"{cache_dir}: the cache is a file, not a folder")


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


def _gives_a_document(outcome: Outcome) -> bool:
    """An annual report, or a work plan with tasks (a README that describes a work plan mentions its title)."""
    if outcome.result.kind == "annual_report":
        return True
    tasks = outcome.tables.get("work_plan_tasks")
    return outcome.result.kind == WORK_PLAN and tasks is not None and schema.rows(tasks) > 0


def _stream(outcomes: Iterable[Outcome], spool: Spool, ledger: Ledger, bar, found: Survey) -> _Tally:
    """Spool each file's rows (made ready by the worker) as they come; put its log entry and corpus summary in the
    ledger. The corpus's README that gives no document is not one: it is skipped as documentation."""
    tally = _Tally()
    for outcome in outcomes:
        result = outcome.result
        if result.report_id in found.documentation and not _gives_a_document(outcome):
            found.skipped.append((result.report_id, "documentation"))
            bar.update()
            continue
        for name, table in outcome.tables.items():
            spool.add(name, outcome.year, table)
        ledger.record(outcome.log, result.summary)
        tally.documents += 1
        tally.reports += result.error is None
        tally.cached += outcome.cached
        if result.error:
            tally.errors.append(result.error)
        files, seconds = tally.by_format.get(_format_of(result.report_id), (0, 0.0))
        tally.by_format[_format_of(result.report_id)] = (files + 1, seconds + outcome.cpu_seconds)
        bar.update()
    return tally


def _spool_corpus_checks(spool: Spool, ledger: Ledger) -> None:
    """The corpus checks, agency by agency, into the ledger's counts and the checks table (in report-id order)."""
    for check in CORPUS_CHECKS:
        ledger.run_corpus_checks(check)
    for year, checks in ledger.corpus_checks():
        spool.add("checks", year, tidy.checks_columns(checks))


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
    limits: Limits = DEFAULT_LIMITS,
) -> BuildSummary:
    """Parse every document of ``raw_dir`` and write the dataset to ``out_dir`` (replacing it only when complete).

    ``jobs`` worker processes (or Dask workers of a local cluster); ``cache_dir`` keeps each file's result by
    content hash; ``scheduler="dask"`` runs on the cluster at ``dask_address`` (a local one when None);
    ``layout`` is ``"file"`` (one Parquet file per table) or ``"year"`` (a folder per table, a file per year);
    ``limits`` bound each file's size and parse time. Bad arguments raise :class:`~govstats.errors.UsageError`.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    cache_dir = Path(cache_dir) if cache_dir else None
    if layout not in LAYOUTS:
        raise UsageError(f"unknown layout {layout!r}: choose one of {', '.join(LAYOUTS)}")
    out_dir = outdir.output_folder(out_dir)
    _check_folders(raw_dir, out_dir, cache_dir)
    with outdir.exclusive(out_dir):
        outdir.recover(out_dir)
        work = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f"{outdir.work_prefix(out_dir)}{os.getpid()}-"))
        try:
            memory.fixed_heap_thresholds()
            with memory.system_pool():
                summary = _build_into(raw_dir, work, jobs, cache_dir, scheduler, dask_address, layout, progress, limits)
            staging = work / "out"
            outdir.write_manifest(staging)
            outdir.check_ownership(out_dir, set(os.listdir(staging)))
            outdir.carry_foreign(out_dir, staging)
            outdir.publish(staging, out_dir, work)
        finally:
            if work.exists() and not (work / "previous").exists():
                shutil.rmtree(work, ignore_errors=True)
    summary.out_dir = out_dir
    return summary


def _build_into(raw_dir, work, jobs, cache_dir, scheduler, dask_address, layout, progress, limits) -> BuildSummary:
    staging, spool_dir = work / "out", work / "spool"
    staging.mkdir()
    spool_dir.mkdir()
    spool = Spool(spool_dir)
    for name in TABLES:  # the core tables are written even when no file gives them a row
        spool.add(name, None, {})
    found = survey(raw_dir)
    tasks = ((str(raw_dir / relative), relative) for relative in found.documents)  # made as they run
    ledger = Ledger(work / "ledger.sqlite")
    try:
        with _progress(len(found.documents), progress) as bar:
            outcomes = run_files(tasks, jobs, cache_dir, scheduler, dask_address, limits=limits)
            tally = _stream(outcomes, spool, ledger, bar, found)
        _spool_corpus_checks(spool, ledger)
        write_spooled(spool, staging, layout)
        shutil.rmtree(spool_dir)
        codebook = codebook_frame()
        codebook.to_csv(staging / "codebook.csv", index=False, lineterminator="\n")
        totals = ledger.totals()
        write_log(staging / LOG_NAME, ledger.entries(), found.skipped, totals)
    finally:
        ledger.close()
    write_package(staging)  # report_cells, rates, datapackage.json, duckdb.sql from the tables just written
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
        skipped=found.skipped,
    )
