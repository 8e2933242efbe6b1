"""Shapes researchers ask for, derived from the long tables: the wide ``report_cells`` table and the ``rates`` table.

``report_cells`` has one row per annual report and, per cell of sections 二-四, a value column and a companion
``__status`` column (``requests__granted__total`` and ``requests__granted__total__status``): the value is filled
only when the status is ``value``, so a blank, "/" or "-" cell stays distinguishable; both are empty where the
report has no such cell (a cell of the other national form). The columns come from the schema and the codebook,
the same for every corpus.

``rates`` has one row per annual report and rate of ``govstats/codebook/rates.csv``: numerator and denominator are
sums of cells named by selectors (``requests:group=withheld;applicant=total``), complete or empty (a blank cell is
missing, never 0), with the Wilson 95% interval and the weakest method among the inputs as ``source``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from . import schema

ANNUAL_REPORT = "annual_report"
REPORT_FIELDS = ["year", "agency", "level", "region"]
# The wide table's prefix for each long table, and the two code fields that name a cell.
CELL_TABLES = {
    "requests": ("requests", "row", "applicant"),
    "review_litigation": ("review", "proceeding", "outcome"),
    "proactive": ("proactive", "item", "measure"),
}
STATUS_SUFFIX = "__status"
# Provenance from strongest to weakest: a rate is as weak as the weakest value it is built from.
SOURCES = ("table", "recovered", "narrative", "proxy")
WILSON_Z = 1.959963984540054  # the standard normal quantile of 97.5%
INTERVAL = "wilson_95"


def annual_reports(reports: pd.DataFrame) -> pd.DataFrame:
    """The parsed annual reports (work plans and unreadable files have no cells), in report_id order."""
    keep = reports["document"].eq(ANNUAL_REPORT).fillna(False) & reports["status"].ne("error").fillna(True)
    return reports[keep].sort_values("report_id", kind="stable").reset_index(drop=True)


# --- the wide table -----------------------------------------------------------------------------------------------


def _cell_columns(frame: pd.DataFrame, table: str) -> pd.Series:
    prefix, first, second = CELL_TABLES[table]
    return prefix + "__" + frame[first].astype(str) + "__" + frame[second].astype(str)


def report_cells(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per annual report, one value and one status column per cell code (see the module docstring)."""
    reports = annual_reports(tables["reports"])
    ids = pd.Index(reports["report_id"], name="report_id")
    wide = {name: reports[name].to_numpy() for name in ["report_id", *REPORT_FIELDS, "format_version"]}
    known = set(schema.columns("report_cells"))
    for table in CELL_TABLES:
        long = tables[table]
        long = long[long["report_id"].isin(ids)]
        names = _cell_columns(long, table)
        unknown = sorted(set(names) - known)
        if unknown:  # a code the codebook does not know: never drop a cell silently
            raise ValueError(f"{table}: cells without a report_cells column: {', '.join(unknown[:5])}")
        keyed = pd.DataFrame({"report_id": long["report_id"], "cell": names})
        for suffix, column in (("", "value"), (STATUS_SUFFIX, "status")):
            pivot = keyed.assign(v=long[column].to_numpy()).pivot(index="report_id", columns="cell", values="v")
            pivot = pivot.reindex(ids)
            for cell in pivot.columns:
                wide[f"{cell}{suffix}"] = pivot[cell].to_numpy()
    columns = schema.columns("report_cells")
    empty = [pd.NA] * len(ids)
    return schema.frame("report_cells", {name: wide.get(name, empty) for name in columns})


# --- rates --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selector:
    """Cells of one long table: ``table:field=a|b;field=c`` (every condition holds; ``|`` separates codes)."""

    table: str
    conditions: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def parse(cls, text: str) -> Selector:
        table, _, rest = text.partition(":")
        conditions = []
        for condition in rest.split(";"):
            field, _, codes = condition.partition("=")
            schema.field(table, field)  # a misspelt field is an error here, not an empty rate
            conditions.append((field, tuple(codes.split("|"))))
        return cls(table, tuple(conditions))

    def cells(self, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        frame = tables[self.table]
        keep = pd.Series(True, index=frame.index)
        for field, codes in self.conditions:
            keep &= frame[field].isin(codes)
        return frame[keep]


@dataclass(frozen=True)
class RateDefinition:
    rate: str
    label_zh: str
    label_en: str
    numerator: Selector
    denominator: Selector
    fallback: tuple[Selector, Selector] | None  # used for both where either primary input is incomplete
    definition: str


@cache
def rate_definitions() -> tuple[RateDefinition, ...]:
    """The rates of ``govstats/codebook/rates.csv``, in file order."""
    text = resources.files("govstats.codebook").joinpath("rates.csv").read_text(encoding="utf-8")
    definitions = []
    for row in csv.DictReader(text.splitlines()):
        fallback = None
        if row["fallback_numerator"]:
            fallback = (Selector.parse(row["fallback_numerator"]), Selector.parse(row["fallback_denominator"]))
        definitions.append(
            RateDefinition(
                row["rate"],
                row["label_zh"],
                row["label_en"],
                Selector.parse(row["numerator"]),
                Selector.parse(row["denominator"]),
                fallback,
                row["definition"],
            )
        )
    return tuple(definitions)


def _cell_name(selector: Selector, row: pd.Series) -> str:
    key = [name for name in schema.primary_key(selector.table) if name != "report_id"]
    return f"{selector.table} " + " ".join(f"{name}={row[name]}" for name in key)


def _sums(selector: Selector, tables: dict[str, pd.DataFrame], ids: pd.Index) -> pd.DataFrame:
    """Per report: the sum of the selected cells (empty unless all are numbers), the weakest method and why empty."""
    cells = selector.cells(tables)
    cells = cells[cells["report_id"].isin(ids)]
    method = cells["method"] if "method" in cells else pd.Series("table", index=cells.index)
    rank = method.map({source: i for i, source in enumerate(SOURCES)}).fillna(0)
    grouped = cells.assign(rank=rank).groupby("report_id", sort=True)
    complete = grouped["value"].count() == grouped.size()
    out = pd.DataFrame(
        {
            "total": grouped["value"].sum(min_count=1).where(complete),
            "source": grouped["rank"].max().map(lambda i: SOURCES[int(i)]),
        }
    ).reindex(ids)
    problems = {report_id: f"no cell {selector_text(selector)}" for report_id in ids.difference(complete.index)}
    for _, row in cells[cells["value"].isna()].iterrows():
        status = row.get("status", "empty")
        problems.setdefault(row["report_id"], f"{_cell_name(selector, row)} is {status}")
    out["problem"] = pd.Series(problems, dtype="object").reindex(ids)
    return out


def selector_text(selector: Selector) -> str:
    conditions = ";".join(f"{field}={'|'.join(codes)}" for field, codes in selector.conditions)
    return f"{selector.table}:{conditions}"


def wilson_interval(successes: int, trials: int, z: float = WILSON_Z) -> tuple[float, float]:
    """The Wilson score interval of a proportion (trials > 0, 0 <= successes <= trials)."""
    share = successes / trials
    scale = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / scale
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / scale
    return max(0.0, centre - half), min(1.0, centre + half)


def _as_count(value) -> int | None:
    """A count as an integer; a non-integral figure is not a count (None)."""
    if value is None or pd.isna(value) or float(value) != int(value):
        return None
    return int(value)


def _rate_row(definition: RateDefinition, numerator, denominator, source: str, problems: list[str]) -> dict:
    k, n = _as_count(numerator), _as_count(denominator)
    row = {"rate": definition.rate, "numerator": k, "denominator": n, "value": None, "ci_low": None}
    row |= {"ci_high": None, "interval": None, "source": source, "detail": "; ".join(problems) or None}
    if k is None or n is None:
        return row
    if n == 0:
        row["detail"] = "the denominator is 0"
        return row
    row["value"] = k / n
    if k <= n:
        row["ci_low"], row["ci_high"] = wilson_interval(k, n)
        row["interval"] = INTERVAL
    else:
        row["detail"] = "the numerator exceeds the denominator: no interval"
    return row


def rates(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every rate of rates.csv for every annual report (see the module docstring)."""
    reports = annual_reports(tables["reports"]).set_index("report_id")
    ids = reports.index
    records = {report_id: [] for report_id in ids}
    for definition in rate_definitions():
        numerator = _sums(definition.numerator, tables, ids)
        denominator = _sums(definition.denominator, tables, ids)
        fallback = None
        if definition.fallback:
            fallback = tuple(_sums(selector, tables, ids) for selector in definition.fallback)
        for report_id in ids:
            parts = [numerator.loc[report_id], denominator.loc[report_id]]
            problems = [p for p in (parts[0]["problem"], parts[1]["problem"]) if isinstance(p, str)]
            if problems and fallback is not None:
                prose = [fallback[0].loc[report_id], fallback[1].loc[report_id]]
                if all(pd.isna(p["problem"]) for p in prose):  # both prose figures are printed
                    problems = [f"{'; '.join(problems)}: the prose figures are used"]
                    parts = prose
            weakest = max((p["source"] for p in parts if isinstance(p["source"], str)), key=SOURCES.index, default=None)
            row = _rate_row(definition, parts[0]["total"], parts[1]["total"], weakest, problems)
            records[report_id].append({"report_id": report_id, **reports.loc[report_id, REPORT_FIELDS], **row})
    return schema.records_frame("rates", [row for report_id in ids for row in records[report_id]])


def derived_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables derived from the long ones, by name (written beside them by the build)."""
    return {"report_cells": report_cells(tables), "rates": rates(tables)}
