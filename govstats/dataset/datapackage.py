"""The built dataset as a Frictionless Data Package (v2): ``datapackage.json`` and the derived tables beside it.

Everything is generated from the one table schema (``schema.csv``) and the codebook: field names, types,
descriptions, units, coded fields' allowed values, primary and foreign keys. Blank is the only missing-value marker
(``""``); a printed "/" or "-" is not missing data but a status of its own (``slash``, ``dash`` in the status
columns), so the markers are kept as values there.

The build calls :func:`write_package` once, on the finished folder: it adds ``report_cells`` and ``rates``
(:mod:`.shapes`), ``datapackage.json`` and ``duckdb.sql`` (views that read every CSV with the schema's types, so a
printed run such as ``32419165111295812234290`` stays text instead of becoming a HUGEINT).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import __version__
from . import memory, schema, shapes

PACKAGE_NAME = "govstats-ogi-annual-reports"
PROFILE = "https://datapackage.org/profiles/2.0/{}.json"
MISSING_VALUES = [""]
DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
# The columns the derived tables are computed from (only these are read back: memory stays small on large corpora).
DERIVED_FROM = {
    "reports": ["report_id", "document", "status", "year", "agency", "level", "region", "format_version"],
    "requests": ["report_id", "row", "group", "applicant", "value", "status", "method"],
    "review_litigation": ["report_id", "proceeding", "outcome", "value", "status", "method"],
    "proactive": ["report_id", "item", "measure", "value", "status", "method"],
    "narrative": ["report_id", "key", "value", "method"],
}
# Reports whose derived rows are computed and written at once: the long tables are read a batch of reports at a
# time, so memory does not grow with the corpus (every derived row depends on its own report's rows only). Small
# batches keep the C heap from fragmenting under each batch's pandas temporaries: with 1,000 reports the phase's
# resident memory crept ~1 MB a batch (peak 409 MB at 40,000 reports), with 250 it stays flat (317 MB), at about
# 2 s more per 1,000 reports (benchmarks/results.md).
DERIVED_BATCH = 250
# Rows of a derived table per Parquet row group: batches are gathered into groups of this size, since the writer
# keeps every row group's metadata until it closes (report_cells has 458 columns: a group per batch made its footer
# grow with the corpus, 2.8 MB serialised at 40,000 reports).
DERIVED_GROUP_ROWS = 5_000
PARTITION_COLUMN = "year"  # ``--layout year`` partitions every table by the year of its report, Hive-style
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # Hive's folder for a null partition value (pyarrow, DuckDB, Spark read it)
DESCRIPTION = (
    "Tidy tables read from China's Open Government Information annual reports (政府信息公开工作年度报告): "
    "every cell of the three standard tables with its printed text, status (blank, / and - kept apart) and "
    "provenance; prose figures; identity checks; a wide table per report and the rates researchers compute. "
    "Each table is also written as Parquet (<table>.parquet) with the same columns."
)
LICENCE = {
    "name": "other-open",
    "title": "Figures from public government information disclosure reports, reproduced with their source; "
    "see data/raw/LICENCE.md. The govstats code is MIT-licensed.",
}


# --- reading a table back, whatever the layout ------------------------------------------------------------------


def partition_folder(year: int | None) -> str:
    """The Hive partition folder of a year: ``year=2023``, or Hive's null folder for an unknown year."""
    return f"{PARTITION_COLUMN}={HIVE_NULL if year is None else year}"


def _partition_year(folder: str) -> int | None:
    """The year a partition folder stands for: ``2023``, ``year=2023``; unknown / Hive's null folder is None."""
    value = folder.split("=", 1)[-1]
    return int(value) if value.isdigit() else None


def _parquet_files(path: Path) -> list[Path]:
    """The files of a table's Parquet: the one file, or each partition's files in folder order."""
    return [path] if path.is_file() else sorted(path.glob("*/*.parquet"))


def read_table(path: Path, columns: list[str] | None = None, restore_year: bool = True) -> pd.DataFrame:
    """A table's Parquet: one file, or a folder of year partitions (``2023/``, ``year=2023/``), read file by file;
    with ``restore_year``, the Hive partition column is restored from the folder name when the files leave it out
    (not for a table whose schema has no year: it is partitioned by its report's year but does not carry it)."""
    path = Path(path)
    if path.is_file():
        return pq.read_table(path, columns=columns).to_pandas()
    parts = []
    for part in _parquet_files(path):
        table = pq.read_table(part, partitioning=None)
        if columns is not None:
            table = table.select([name for name in columns if name in table.column_names])
        parts.append(_with_partition_year(table, part, columns) if restore_year else table)
    if not parts:
        raise FileNotFoundError(f"{path}: no Parquet files in this folder")
    return pa.concat_tables(parts, promote_options="permissive").to_pandas()


def conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table read back in its schema's column order and nullable dtypes (columns the schema does not know are
    kept at the end)."""
    known = [name for name in schema.columns(table) if name in frame]
    extra = [name for name in frame.columns if name not in known]
    typed = frame[known].astype({name: schema.field(table, name).dtype for name in known})
    return pd.concat([typed, frame[extra]], axis=1) if extra else typed


def read_tables(directory: Path, columns: dict[str, list[str] | None]) -> dict[str, pd.DataFrame]:
    """Tables of a dataset folder by name, each with the given columns (None: all)."""
    return {
        name: conform(name, read_table(directory / f"{name}.parquet", wanted, PARTITION_COLUMN in schema.columns(name)))
        for name, wanted in columns.items()
    }


def read_rows(path: Path, columns: list[str], report_ids: list[str]) -> pd.DataFrame:
    """The rows of some reports of a table's Parquet (one file, or a folder of year partitions), read batch by
    batch so that only those rows are ever held; only the row groups whose report_id range meets that of
    ``report_ids`` are read (the tables are in report order within a year: a batch of consecutive reports is a
    few row groups, not the whole table)."""
    path = Path(path)
    wanted = pa.array(report_ids, pa.string())
    bounds = (min(report_ids), max(report_ids)) if report_ids else None
    pieces = []
    for part in _parquet_files(path):
        handle = pq.ParquetFile(part)
        present = [name for name in columns if name in handle.schema_arrow.names]
        selected = pa.schema([handle.schema_arrow.field(name) for name in present])
        for batch in handle.iter_batches(columns=present, row_groups=_row_groups_between(handle, bounds)):
            rows = pa.Table.from_batches([batch], selected).filter(pc.is_in(batch["report_id"], wanted))
            pieces.append(_with_partition_year(rows, part, columns))
        pieces.append(_with_partition_year(selected.empty_table(), part, columns))  # the columns, even with no row
    return pa.concat_tables(pieces, promote_options="permissive").to_pandas()


def _with_partition_year(table: pa.Table, part: Path, columns: list[str] | None) -> pa.Table:
    """A partition file's rows with the Hive partition column restored from its folder name, when it is wanted
    and the file leaves it out (a file of the year layout)."""
    wanted = columns is None or PARTITION_COLUMN in columns
    if PARTITION_COLUMN in table.column_names or "=" not in part.parent.name or not wanted:
        return table
    year = _partition_year(part.parent.name)
    return table.append_column(PARTITION_COLUMN, pa.array([year] * table.num_rows, pa.int64()))


def _row_groups_between(handle: pq.ParquetFile, bounds: tuple[str, str] | None) -> list[int]:
    """The row groups that may hold a report_id in ``bounds`` (inclusive), by the file's own statistics; a group
    without usable statistics is always read."""
    if bounds is None:
        return []
    column = handle.schema_arrow.get_field_index("report_id")
    groups = range(handle.metadata.num_row_groups)
    return [g for g in groups if column < 0 or _may_hold(handle.metadata.row_group(g).column(column), bounds)]


def _may_hold(column: pq.ColumnChunkMetaData, bounds: tuple[str, str]) -> bool:
    statistics = column.statistics
    if statistics is None or not statistics.has_min_max:
        return True
    low, high = statistics.min, statistics.max
    if not (isinstance(low, str) and isinstance(high, str)):
        return True
    return not (high < bounds[0] or low > bounds[1])


# --- the descriptor -----------------------------------------------------------------------------------------------


def field_descriptor(field: schema.Field) -> dict:
    descriptor = {"name": field.name, "type": field.type, "description": field.description}
    if field.item_type:
        descriptor |= {"type": "list", "delimiter": schema.LIST_DELIMITER, "itemType": field.item_type}
    if field.unit:
        descriptor["unit"] = field.unit
    allowed = list(schema.vocabulary(field))
    if allowed:
        descriptor["constraints"] = {"enum": allowed}
    return descriptor


def table_schema(table: str) -> dict:
    descriptor = {
        "$schema": PROFILE.format("tableschema"),
        "fields": [field_descriptor(field) for field in schema.fields(table)],
        "missingValues": MISSING_VALUES,
    }
    if schema.primary_key(table):
        descriptor["primaryKey"] = schema.primary_key(table)
    foreign = [
        {"fields": [name], "reference": {"resource": resource, "fields": [target]}}
        for name, resource, target in schema.foreign_keys(table)
    ]
    if foreign:
        descriptor["foreignKeys"] = foreign
    return descriptor


def resource_descriptor(table: str) -> dict:
    first = schema.fields(table)[0]
    return {
        "$schema": PROFILE.format("dataresource"),
        "name": table,
        "type": "table",
        "path": f"{table}.csv",
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": f"The {table} table (key: {', '.join(schema.primary_key(table)) or 'none'}); {first.name}: "
        f"{first.description}",
        "dialect": {"$schema": PROFILE.format("tabledialect"), "header": True, "delimiter": ",", "quoteChar": '"'},
        "schema": table_schema(table),
    }


def package_descriptor(tables: list[str]) -> dict:
    """The Data Package of the given tables (a table whose foreign key points outside them drops that key)."""
    resources = []
    for table in tables:
        resource = resource_descriptor(table)
        keys = resource["schema"].get("foreignKeys", [])
        kept = [key for key in keys if key["reference"]["resource"] in tables]
        if kept:
            resource["schema"]["foreignKeys"] = kept
        else:
            resource["schema"].pop("foreignKeys", None)
        resources.append(resource)
    return {
        "$schema": PROFILE.format("datapackage"),
        "name": PACKAGE_NAME,
        "title": "Open Government Information annual reports: tidy, validated tables (govstats)",
        "description": DESCRIPTION,
        "version": __version__,
        "licenses": [LICENCE],
        "sources": [{"title": "政府信息公开工作年度报告 of the agencies listed in the reports table (source_file)"}],
        "keywords": ["open government information", "政府信息公开", "FOI", "China", "annual reports"],
        "resources": resources,
    }


def duckdb_columns(table: str) -> dict[str, str]:
    """Column name → DuckDB type, for ``read_csv(..., columns=...)``."""
    return {field.name: DUCKDB_TYPES[field.storage_type] for field in schema.fields(table)}


def duckdb_sql(tables: list[str]) -> str:
    """One view per table reading its CSV with the schema's types (run from the dataset folder)."""
    lines = ["-- Views over the CSVs with the schema's types: duckdb -init duckdb.sql (from this folder)."]
    for table in tables:
        columns = ", ".join(f"'{name}': '{kind}'" for name, kind in duckdb_columns(table).items())
        lines.append(
            f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_csv('{table}.csv', header = true, "
            f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}});"
        )
    return "\n".join(lines) + "\n"


# --- writing ------------------------------------------------------------------------------------------------------


def _derived_batches(out_dir: Path):
    """The derived tables of every batch of DERIVED_BATCH annual reports, in report_id order."""
    present = {name: wanted for name, wanted in DERIVED_FROM.items() if (out_dir / f"{name}.parquet").exists()}
    ids = _annual_report_ids(out_dir) if "reports" in present else []
    for start in range(0, max(len(ids), 1), DERIVED_BATCH):
        batch = ids[start : start + DERIVED_BATCH]
        tables = {}
        for name, wanted in present.items():  # the reports table too: only the batch's rows are ever held
            tables[name] = conform(name, read_rows(out_dir / f"{name}.parquet", wanted, batch))
        for name, wanted in DERIVED_FROM.items():
            tables.setdefault(name, schema.empty(name)[wanted])
        derived = shapes.derived_tables(tables)
        del tables
        memory.release_freed()  # the batch's rows, before the next batch is read
        yield derived


def _annual_report_ids(out_dir: Path) -> list[str]:
    """The ids of the annual reports, in report_id order (read from the three columns that tell them)."""
    keys = read_tables(out_dir, {"reports": ["report_id", "document", "status"]})["reports"]
    return shapes.annual_reports(keys)["report_id"].tolist()


def write_derived(out_dir: Path) -> None:
    """``report_cells`` and ``rates`` as Parquet and CSV (the build's CSV convention: blank is empty, ``\n``),
    computed a batch of reports at a time and written a row group of DERIVED_GROUP_ROWS rows at a time (one batch:
    the same bytes as the whole table written at once)."""
    writers: dict[str, pq.ParquetWriter] = {}
    handles = {}
    pending: dict[str, list[pa.Table]] = {}
    try:
        for derived in _derived_batches(out_dir):
            for name, frame in derived.items():
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out_dir / f"{name}.parquet", table.schema)
                    handles[name] = open(out_dir / f"{name}.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
                    frame.to_csv(handles[name], index=False, lineterminator="\n")
                else:
                    frame.to_csv(handles[name], index=False, header=False, lineterminator="\n")
                pending.setdefault(name, []).append(table)
                if sum(part.num_rows for part in pending[name]) >= DERIVED_GROUP_ROWS:
                    writers[name].write_table(pa.concat_tables(pending.pop(name)))
        for name, tables in pending.items():
            writers[name].write_table(pa.concat_tables(tables))
    finally:
        for writer in writers.values():
            writer.close()
        for handle in handles.values():
            handle.close()


def write_package(out_dir: str | Path) -> list[str]:
    """Add the derived tables, ``datapackage.json`` and ``duckdb.sql`` to a built dataset folder; returns the
    package's tables. Called by the build on its staging folder, before it is published."""
    out_dir = Path(out_dir)
    write_derived(out_dir)
    names = [name for name in schema.table_names() if (out_dir / f"{name}.csv").exists()]
    descriptor = json.dumps(package_descriptor(names), ensure_ascii=False, indent=1)
    (out_dir / "datapackage.json").write_text(descriptor + "\n", encoding="utf-8")
    (out_dir / "duckdb.sql").write_text(duckdb_sql(names), encoding="utf-8")
    return names
