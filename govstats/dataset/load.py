"""A built dataset, read back: every table of ``data/processed/`` as a dataframe, by name."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import schema
from .datapackage import conform, read_table, read_tables


class Dataset:
    """The tables of ``data/processed/`` by name: ``data.requests``, ``data["narrative"]``, ``data.tables``.

    Every table is in its schema's column order and nullable dtypes, whatever the Parquet layout it was read from.
    """

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"no table {name!r} in this dataset (tables: {', '.join(tables)})")

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.tables]

    def names(self) -> list[str]:
        return list(self.tables)

    @property
    def extra(self) -> dict[str, pd.DataFrame]:
        """The tables beyond the first five (narrative, work plans, …), as earlier versions kept them."""
        core = ("reports", "requests", "review_litigation", "proactive", "checks", "codebook")
        return {name: frame for name, frame in self.tables.items() if name not in core}


def load_dataset(directory: str | Path = "data/processed") -> Dataset:
    """Load a built dataset: every table of the schema that is there, plus any other Parquet table, and the
    codebook."""
    directory = Path(directory)
    if not (directory / "reports.parquet").exists():
        raise FileNotFoundError(f"{directory}: no dataset here; run `govstats build` first")
    tables: dict[str, pd.DataFrame] = {}
    known = set(schema.table_names())
    for path in sorted(directory.glob("*.parquet"), key=lambda p: _order(p.stem)):
        name = path.stem
        tables[name] = read_tables(directory, {name: None})[name] if name in known else read_table(path)
    codebook = pd.read_csv(directory / "codebook.csv", dtype="string", keep_default_na=False)
    tables["codebook"] = conform("codebook", codebook)
    return Dataset(tables)


def _order(name: str) -> tuple[int, str]:
    names = schema.table_names()
    return (names.index(name) if name in names else len(names), name)
