"""The dataset's tables, described once (``schema.csv``): every table's fields in order, with their types, primary
keys and descriptions. Tidy frames, empty tables, the dataset loader and the README's table all derive from it.

Types are Frictionless field types; :data:`PANDAS_DTYPES` gives the nullable pandas dtype of each, so a blank stays
``<NA>`` (missing), never 0.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

PANDAS_DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


@dataclass(frozen=True)
class Field:
    """One column of one output table."""

    table: str
    name: str
    type: str
    key: int | None  # position in the table's primary key, or None
    description: str

    @property
    def dtype(self) -> str:
        return PANDAS_DTYPES[self.type]


@cache
def _fields() -> tuple[Field, ...]:
    text = resources.files(__package__).joinpath("schema.csv").read_text(encoding="utf-8")
    return tuple(
        Field(row["table"], row["field"], row["type"], int(row["key"]) if row["key"] else None, row["description"])
        for row in csv.DictReader(text.splitlines())
    )


def table_names() -> tuple[str, ...]:
    """Every output table, in the order of schema.csv."""
    return tuple(dict.fromkeys(field.table for field in _fields()))


def fields(table: str) -> tuple[Field, ...]:
    found = tuple(field for field in _fields() if field.table == table)
    if not found:
        raise KeyError(f"no table {table!r} in the dataset schema")
    return found


def columns(table: str) -> list[str]:
    return [field.name for field in fields(table)]


def dtypes(table: str) -> dict[str, str]:
    return {field.name: field.dtype for field in fields(table)}


def primary_key(table: str) -> list[str]:
    keyed = sorted((field.key, field.name) for field in fields(table) if field.key is not None)
    return [name for _, name in keyed]


def frame(table: str, data: Mapping[str, Sequence]) -> pd.DataFrame:
    """A table from its columns' values (every field of the schema, in its order and dtype)."""
    return pd.DataFrame({field.name: pd.array(list(data[field.name]), dtype=field.dtype) for field in fields(table)})


def records_frame(table: str, records: Sequence[Mapping]) -> pd.DataFrame:
    """A table from rows given as mappings (built column by column: fast for the small per-file frames)."""
    return frame(table, {name: [record[name] for record in records] for name in columns(table)})


def empty(table: str) -> pd.DataFrame:
    return frame(table, {name: [] for name in columns(table)})


def markdown() -> str:
    """The tables as a Markdown list of fields (for the README and docs)."""
    lines = []
    for table in table_names():
        key = ", ".join(primary_key(table)) or "none"
        lines += [f"**{table}** (primary key: {key})", "", "| field | type | description |", "|---|---|---|"]
        lines += [f"| {f.name} | {f.type} | {f.description} |" for f in fields(table)]
        lines.append("")
    return "\n".join(lines)
