"""The dataset's tables, described once (``schema.csv``): every table's fields in order, with their types, primary
keys, units, foreign keys and descriptions. Tidy frames, empty tables, the dataset loader, the data package
(``datapackage.json``), the exports and the README's table all derive from it.

A field name with placeholders (``requests__{request_row}__{applicant}`` in the wide ``report_cells`` table) stands
for one field per code of those codebook tables, in codebook order; ``{proactive_item}__{proactive_measure}`` ranges
over each item's own measures.

Types are Frictionless field types; :data:`PANDAS_DTYPES` gives the nullable pandas dtype of each, so a blank stays
``<NA>`` (missing), never 0.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd
import pyarrow as pa

from .. import codebook
from ..model import Method, Status

# A table's rows as plain columns: every field's values in row order (what a file's parse gives; typed only when a
# batch of files is made into one Arrow table or pandas frame).
Columns = dict[str, list]

PANDAS_DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}
# A list field (``list<integer>``: the candidates of an ambiguous cell) is kept as its items joined by "|" in the
# frames and CSVs, Frictionless' list type with that delimiter; Parquet exports for R hold it as a real list.
LIST_DELIMITER = "|"
LIST_TYPE = re.compile(r"list<(\w+)>")


@dataclass(frozen=True)
class Field:
    """One column of one output table."""

    table: str
    name: str
    type: str
    key: int | None  # position in the table's primary key, or None
    description: str
    unit: str = ""
    foreign_key: str = ""  # "table.field" this field refers to, or ""
    codes: str = ""  # the vocabulary of a coded field: a codebook table, or status / method (govstats.model)

    @property
    def item_type(self) -> str | None:
        """The type of a list field's items (``integer`` for ``list<integer>``); None for other fields."""
        found = LIST_TYPE.fullmatch(self.type)
        return found.group(1) if found else None

    @property
    def storage_type(self) -> str:
        """The type of the stored column: a list field is stored as text."""
        return "string" if self.item_type else self.type

    @property
    def dtype(self) -> str:
        return PANDAS_DTYPES[self.storage_type]


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _codes(table: str) -> list[str]:
    return list(dict.fromkeys(entry.code for entry in codebook.entries() if entry.table == table))


def _bindings(names: list[str]) -> Iterator[dict[str, str]]:
    """Every combination of codes for the placeholders of a field name, in codebook order."""
    if "proactive_item" in names and "proactive_measure" in names:
        pairs = dict.fromkeys(
            (entry.code, measure)
            for entry in codebook.entries()
            if entry.table == "proactive_item"
            for measure in entry.measures
        )
        rest = [name for name in names if name not in ("proactive_item", "proactive_measure")]
        for (item, measure), values in itertools.product(pairs, itertools.product(*map(_codes, rest))):
            yield {"proactive_item": item, "proactive_measure": measure, **dict(zip(rest, values, strict=True))}
        return
    for values in itertools.product(*map(_codes, names)):
        yield dict(zip(names, values, strict=True))


def _expand(row: dict[str, str]) -> Iterator[Field]:
    key = int(row["key"]) if row["key"] else None
    names = list(dict.fromkeys(_PLACEHOLDER.findall(row["field"])))
    for binding in _bindings(names) if names else [{}]:
        yield Field(
            row["table"],
            row["field"].format(**binding),
            row["type"],
            key,
            row["description"].format(**binding),
            row["unit"],
            row["foreign_key"],
            row["codes"],
        )


@cache
def _fields() -> tuple[Field, ...]:
    text = resources.files(__package__).joinpath("schema.csv").read_text(encoding="utf-8")
    return tuple(field for row in csv.DictReader(text.splitlines()) for field in _expand(row))


@cache
def _pattern_rows() -> tuple[dict[str, str], ...]:
    text = resources.files(__package__).joinpath("schema.csv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def table_names() -> tuple[str, ...]:
    """Every output table, in the order of schema.csv."""
    return tuple(dict.fromkeys(field.table for field in _fields()))


@cache  # asked for every file's rows: the schema is read once
def fields(table: str) -> tuple[Field, ...]:
    found = tuple(field for field in _fields() if field.table == table)
    if not found:
        raise KeyError(f"no table {table!r} in the dataset schema")
    return found


def columns(table: str) -> list[str]:
    return [field.name for field in fields(table)]


def dtypes(table: str) -> dict[str, str]:
    return {field.name: field.dtype for field in fields(table)}


def field(table: str, name: str) -> Field:
    for candidate in fields(table):
        if candidate.name == name:
            return candidate
    raise KeyError(f"no field {name!r} in table {table!r} of the dataset schema")


def foreign_keys(table: str) -> list[tuple[str, str, str]]:
    """(field, referenced table, referenced field) for every field that refers to another table."""
    return [(f.name, *f.foreign_key.split(".", 1)) for f in fields(table) if f.foreign_key]


VOCABULARIES = {"status": Status, "method": Method}


def vocabulary(field: Field, language: str = "en") -> dict[str, str]:
    """The codes a coded field may hold, with their labels (codebook labels; status and method codes are their own
    labels); empty for a field that is not coded."""
    if not field.codes:
        return {}
    if field.codes in VOCABULARIES:
        return {member.value: member.value for member in VOCABULARIES[field.codes]}
    labels: dict[str, str] = {}
    for entry in codebook.entries():
        if entry.table == field.codes:
            labels.setdefault(entry.code, entry.label(language))  # a code of both forms: its first label
    return labels


def primary_key(table: str) -> list[str]:
    keyed = sorted((field.key, field.name) for field in fields(table) if field.key is not None)
    return [name for _, name in keyed]


def frame(table: str, data: Mapping[str, Sequence]) -> pd.DataFrame:
    """A table from its columns' values (every field of the schema, in its order and dtype)."""
    return pd.DataFrame({field.name: pd.array(list(data[field.name]), dtype=field.dtype) for field in fields(table)})


def records_frame(table: str, records: Sequence[Mapping]) -> pd.DataFrame:
    """A table from rows given as mappings."""
    return frame(table, record_columns(table, records))


def record_columns(table: str, records: Sequence[Mapping]) -> Columns:
    """Rows given as mappings, as the table's plain columns (every field, in schema order)."""
    return {name: [record[name] for record in records] for name in columns(table)}


def empty(table: str) -> pd.DataFrame:
    return frame(table, {name: [] for name in columns(table)})


def rows(data: Columns) -> int:
    """How many rows plain columns hold."""
    return len(next(iter(data.values()), ()))


def concat_columns(table: str, parts: Sequence[Columns]) -> Columns:
    """Several files' columns of one table as one set of columns (rows in the order of ``parts``)."""
    return {name: [value for part in parts for value in part[name]] for name in columns(table)}


@cache
def arrow_schema(table: str) -> pa.Schema:
    """The table's Arrow schema: the types and pandas metadata of its pandas frame (so a table made from plain
    columns reads back into pandas with the schema's dtypes, and writes the very bytes the frame would)."""
    return pa.Schema.from_pandas(empty(table), preserve_index=False)


def arrow(table: str, data: Columns) -> pa.Table:
    """Plain columns as one typed Arrow table, in one pass per column (a batch of files at once, not one by one).
    A value Arrow does not take as it is (what pandas would coerce) goes the pandas way, so the result is the same."""
    target = arrow_schema(table)
    try:
        arrays = [pa.array(data[f.name], type=f.type, from_pandas=True) for f in target]
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.Table.from_pandas(frame(table, data), schema=target, preserve_index=False)
    return pa.Table.from_arrays(arrays, schema=target)


def markdown() -> str:
    """The tables as a Markdown list of fields (for the README and docs); a placeholder field is one line."""
    lines = []
    for table in table_names():
        key = ", ".join(primary_key(table)) or "none"
        lines += [f"**{table}** (primary key: {key})", "", "| field | type | unit | description |", "|---|---|---|---|"]
        for row in _pattern_rows():
            if row["table"] == table:
                refers = f" → {row['foreign_key']}" if row["foreign_key"] else ""
                lines.append(f"| {row['field']}{refers} | {row['type']} | {row['unit']} | {row['description']} |")
        lines.append("")
    return "\n".join(lines)
