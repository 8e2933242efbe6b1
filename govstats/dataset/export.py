"""``govstats export``: the built dataset in the formats researchers open it with, labelled from the schema and the
codebook.

- ``stata``: one ``<table>.dta`` (format 118, Unicode) per table. Variable labels are the schema's descriptions;
  coded fields (rows, applicants, proceedings, outcomes, items, measures, status, method) are labelled numeric
  variables whose value labels are the codebook's labels (``--language en|zh``). Text is ``""`` where blank (Stata
  has no missing string). Stata names are at most 32 characters, so the wide ``report_cells`` table names its
  cell columns ``c001``, ``c002``, … and keeps each full name as the variable label.
- ``r``: one ``<table>.parquet`` per table whose coded fields are dictionary columns (R factors, levels in codebook
  order, via ``arrow::read_parquet``), the CSVs, and ``read_govstats.R`` which reads the CSVs with readr and the
  schema's column types.
- ``excel``: one ``<table>.csv`` per table in UTF-8 with a byte-order mark and CRLF line ends, which Excel opens
  with the Chinese text intact.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import schema
from .load import load_dataset

FORMATS = ("stata", "r", "excel")
STATA_NAME_LENGTH = 32
STATA_LABEL_LENGTH = 80
STATA_STR_BYTES = 2045  # longer text is stored as strL
R_TYPES = {"string": "c", "integer": "i", "number": "d", "boolean": "l"}


def _tables(data, tables: list[str] | None) -> dict[str, pd.DataFrame]:
    names = tables or [name for name in schema.table_names() if name in data]
    missing = [name for name in names if name not in data]
    if missing:
        raise KeyError(f"no table {', '.join(missing)} in the dataset (tables: {', '.join(data.names())})")
    return {name: data[name] for name in names}


def coded(table: str, frame: pd.DataFrame, language: str = "en") -> dict[str, pd.Categorical]:
    """The coded fields of a table as categoricals of their codes, categories in codebook order (a code met in
    the data but not in the vocabulary is kept as a further category, never dropped)."""
    out = {}
    for field in schema.fields(table):
        if field.name not in frame or not field.codes or table == "codebook":
            continue
        codes = list(schema.vocabulary(field, language))
        values = frame[field.name].astype("string").replace("", pd.NA)
        codes += sorted(set(values.dropna()) - set(codes))
        out[field.name] = pd.Categorical(values, categories=codes)
    return out


# --- Stata --------------------------------------------------------------------------------------------------------


def stata_frame(table: str, frame: pd.DataFrame, language: str = "en") -> tuple[pd.DataFrame, dict[str, str], dict]:
    """The frame as Stata stores it, its variable labels, and its value labels ({variable: {number: label}})."""
    names = {name: name for name in frame.columns}
    if any(len(name) > STATA_NAME_LENGTH for name in frame.columns):
        names = {name: f"c{number:03d}" for number, name in enumerate(frame.columns, 1)}
    out: dict[str, object] = {}
    labels, value_labels = {}, {}
    categoricals = coded(table, frame, language)
    for name in frame.columns:
        target = names[name]
        described = schema.field(table, name).description if name in schema.columns(table) else name
        labels[target] = (name if target != name else described)[:STATA_LABEL_LENGTH]
        if name in categoricals:
            vocabulary = schema.vocabulary(schema.field(table, name), language)
            categories = categoricals[name].categories
            out[target] = (
                pd.Series(categoricals[name].codes, index=frame.index).astype("float64").replace(-1.0, float("nan"))
            )
            value_labels[target] = {float(i): vocabulary.get(code, code) for i, code in enumerate(categories)}
        elif frame[name].dtype == "boolean":
            out[target] = frame[name].astype("Float64").astype("float64")
            value_labels[target] = {0.0: "false", 1.0: "true"}
        elif pd.api.types.is_numeric_dtype(frame[name]):
            out[target] = frame[name].astype("Float64").astype("float64")
        else:
            out[target] = frame[name].astype("string").fillna("").astype(object)
    return pd.DataFrame(out, index=frame.index), labels, value_labels


def _longest(texts: pd.Series) -> int:
    return max((len(text.encode("utf-8")) for text in texts), default=0)


def write_stata(table: str, frame: pd.DataFrame, path: Path, language: str = "en") -> None:
    out, labels, value_labels = stata_frame(table, frame, language)
    long_text = [name for name in out.columns if out[name].dtype == object and _longest(out[name]) > STATA_STR_BYTES]
    out.to_stata(
        path,
        write_index=False,
        version=118,
        variable_labels=labels,
        value_labels=value_labels,
        convert_strl=long_text,
        data_label=f"govstats {table}"[:STATA_LABEL_LENGTH],
    )


# --- R ------------------------------------------------------------------------------------------------------------


ARROW_ITEMS = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string()}


def _as_list(texts: pd.Series, item_type: str) -> pa.Array:
    """A "|"-joined list field as an Arrow list (an empty field is an empty list: nothing is listed)."""
    convert = {"integer": int, "number": float, "string": str}[item_type]
    items = [[convert(item) for item in text.split(schema.LIST_DELIMITER)] if text else [] for text in texts.fillna("")]
    return pa.array(items, pa.list_(ARROW_ITEMS[item_type]))


def r_table(table: str, frame: pd.DataFrame) -> pa.Table:
    """Arrow table with coded fields as dictionaries (factors in R), list fields as lists (R list columns), the
    rest in the schema's types."""
    categoricals = coded(table, frame)
    columns = {name: categoricals.get(name, frame[name]) for name in frame.columns}
    arrow = pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False)
    for field in schema.fields(table) if table in schema.table_names() else ():
        if field.item_type and field.name in frame:
            index = arrow.schema.get_field_index(field.name)
            arrow = arrow.set_column(index, field.name, _as_list(frame[field.name], field.item_type))
    return arrow.replace_schema_metadata(None)  # pandas' metadata would name the lists' old text dtype


def readr_types(table: str) -> str:
    """readr's compact column types of a table (``c`` text, ``i`` integer, ``d`` number, ``l`` logical)."""
    return "".join(R_TYPES[field.storage_type] for field in schema.fields(table))


def r_script(tables: list[str]) -> str:
    lines = [
        "# Reads the govstats CSVs with the schema's column types (text stays text; blank is NA).",
        "# Run from this folder: source('read_govstats.R'); govstats$requests",
        "library(readr)",
        "govstats <- list()",
    ]
    for table in tables:
        lines.append(
            f'govstats${table} <- read_csv("{table}.csv", col_types = "{readr_types(table)}", na = "", '
            "locale = locale(encoding = 'UTF-8'))"
        )
    return "\n".join(lines) + "\n"


# --- the command --------------------------------------------------------------------------------------------------


def export(
    data_dir: str | Path,
    out_dir: str | Path,
    format: str,
    *,
    tables: list[str] | None = None,
    language: str = "en",
) -> list[Path]:
    """Write the dataset of ``data_dir`` in ``format`` into ``out_dir``; returns the files written."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}")
    data = load_dataset(data_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table, frame in _tables(data, tables).items():
        if format == "stata":
            written.append(out_dir / f"{table}.dta")
            write_stata(table, frame, written[-1], language)
        elif format == "r":
            written.append(out_dir / f"{table}.parquet")
            pq.write_table(r_table(table, frame), written[-1])
            written.append(out_dir / f"{table}.csv")
            frame.to_csv(written[-1], index=False, lineterminator="\n")
        else:
            written.append(out_dir / f"{table}.csv")
            frame.to_csv(written[-1], index=False, encoding="utf-8-sig", lineterminator="\r\n")
    if format == "r":
        written.append(out_dir / "read_govstats.R")
        written[-1].write_text(r_script(list(_tables(data, tables))), encoding="utf-8")
    return written
