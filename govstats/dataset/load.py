"""A built dataset, read back: every table of ``data/processed/`` as a dataframe."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .build import TABLES


@dataclass
class Dataset:
    """The tables of ``data/processed/`` as dataframes (attribute per table) plus the codebook."""

    reports: pd.DataFrame
    requests: pd.DataFrame
    review_litigation: pd.DataFrame
    proactive: pd.DataFrame
    checks: pd.DataFrame
    codebook: pd.DataFrame
    extra: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return getattr(self, name) if name in self.__dataclass_fields__ else self.extra[name]


def load_dataset(directory: str | Path = "data/processed") -> Dataset:
    """Load a built dataset; tables added by later steps (narrative, work plans, …) are in ``extra``."""
    directory = Path(directory)
    if not (directory / "reports.parquet").exists():
        raise FileNotFoundError(f"{directory}: no dataset here; run `govstats build` first")
    core = {name: pd.read_parquet(directory / f"{name}.parquet") for name in TABLES}
    extra = {path.stem: pd.read_parquet(path) for path in sorted(directory.glob("*.parquet")) if path.stem not in core}
    codebook = pd.read_csv(directory / "codebook.csv", dtype="string", keep_default_na=False)
    return Dataset(**core, codebook=codebook, extra=extra)
