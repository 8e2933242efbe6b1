"""Shapes researchers ask for, derived from the long tables: the wide ``report_cells`` table and the ``rates`` table.

``report_cells`` has one row per annual report and, per cell of sections 二-四, a value column and a companion
``__status`` column (``requests__granted__total`` and ``requests__granted__total__status``): the value is filled
only when the status is ``value``, so a blank, "/" or "-" cell stays distinguishable; both are empty where the
report has no such cell (a cell of the other national form). The columns come from the schema and the codebook,
the same for every corpus.

``rates`` has one row per annual report and rate of ``govstats/codebook/rates.csv`` (its primary basis, read by
``govstats.codebook.rates``): numerator and denominator are sums of cells named by selectors
(``requests:group=withheld;applicant=total``), complete or empty (a blank cell is missing, never 0), with the
Wilson 95% interval and the weakest method among the inputs as ``source``; where the table's cells are incomplete,
the rate's prose fallbacks (``narrative:key=...``) are used if every figure needed is printed.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from ..codebook import rates as rate_codebook
from ..codebook.rates import RateDefinition, Selector
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


def _checked(selector: Selector) -> Selector:
    """The selector, once every field it names is a column of its table (a misspelt field is an error here, not an
    empty rate)."""
    for field in selector.fields():
        schema.field(selector.table, field)
    return selector


@cache
def rate_definitions() -> tuple[RateDefinition, ...]:
    """The primary definition of every rate of ``govstats/codebook/rates.csv``, in file order, selectors checked
    against the schema."""
    for definition in rate_codebook.definitions():
        sides = (definition.numerator, definition.denominator)
        for selector in (*sides, definition.fallback_numerator, definition.fallback_denominator):
            if selector is not None:
                _checked(selector)
    return rate_codebook.primaries()


def _cell_names(selector: Selector, cells: pd.DataFrame) -> pd.Series:
    """``requests row=granted applicant=total`` for each cell: what a rate's detail names."""
    names = pd.Series(f"{selector.table}", index=cells.index, dtype="object")
    for field in (name for name in schema.primary_key(selector.table) if name != "report_id"):
        names = names + f" {field}=" + cells[field].astype(str)
    return names


def _sums(selector: Selector, tables: dict[str, pd.DataFrame], ids: pd.Index) -> pd.DataFrame:
    """Per report: the sum of the selected cells (empty unless all are numbers), the rank of the weakest method
    among them (SOURCES) and, where the sum is empty, why (the first cell that is not a number, or no cell)."""
    cells = selector.cells(tables[selector.table])
    cells = cells[cells["report_id"].isin(ids)]
    method = cells["method"] if "method" in cells else pd.Series("table", index=cells.index)
    rank = method.map({source: i for i, source in enumerate(SOURCES)}).fillna(0).astype(float)
    grouped = cells.assign(rank=rank).groupby("report_id", sort=True)
    complete = grouped["value"].count() == grouped.size()
    out = pd.DataFrame(
        {"total": grouped["value"].sum(min_count=1).where(complete).astype("Float64"), "rank": grouped["rank"].max()}
    ).reindex(ids)
    not_numbers = cells[cells["value"].isna()]
    status = not_numbers["status"].astype(str) if "status" in not_numbers else "empty"
    named = (_cell_names(selector, not_numbers) + " is " + status).groupby(not_numbers["report_id"]).first()
    absent = pd.Series(f"no cell {selector}", index=ids.difference(complete.index), dtype="object")
    out["problem"] = pd.concat([named, absent]).reindex(ids)
    return out


def wilson_interval(successes, trials, z: float = WILSON_Z):
    """The Wilson score interval of a proportion (trials > 0, 0 <= successes <= trials); numbers or arrays."""
    share = np.asarray(successes, float) / np.asarray(trials, float)
    trials = np.asarray(trials, float)
    scale = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / scale
    half = z * np.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / scale
    return np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)


def _join(first: pd.Series, second: pd.Series) -> pd.Series:
    both = first.notna() & second.notna()
    return first.where(~both, first + "; " + second).fillna(second)


def _as_counts(totals: pd.Series) -> pd.Series:
    """Sums as integer counts; a non-integral figure is not a count (empty)."""
    integral = totals.notna() & (totals == totals.round())
    return totals.where(integral).round().astype("Int64")


def _rate_frame(definition: RateDefinition, tables: dict[str, pd.DataFrame], ids: pd.Index) -> pd.DataFrame:
    numerator = _sums(definition.numerator, tables, ids)
    denominator = _sums(definition.denominator, tables, ids)
    problem = _join(numerator["problem"], denominator["problem"])
    total_k, total_n = numerator["total"], denominator["total"]
    rank = np.fmax(numerator["rank"], denominator["rank"])
    if definition.has_fallback:
        # Where the table's cells are incomplete, the prose figures restating them are used, both sides at once and
        # only where every figure needed is printed (an empty fallback keeps that side: withdrawals are prose anyway).
        fallbacks = (definition.fallback_numerator, definition.fallback_denominator)
        sides = (numerator, denominator)
        prose = [
            side if selector is None else _sums(selector, tables, ids)
            for selector, side in zip(fallbacks, sides, strict=True)
        ]
        use = problem.notna() & prose[0]["problem"].isna() & prose[1]["problem"].isna()
        total_k, total_n = total_k.where(~use, prose[0]["total"]), total_n.where(~use, prose[1]["total"])
        rank = rank.where(~use, np.fmax(prose[0]["rank"], prose[1]["rank"]))
        problem = problem.where(~use, problem + ": the prose figures are used")
    k, n = _as_counts(total_k), _as_counts(total_n)
    defined = (k.notna() & n.notna() & (n > 0)).to_numpy(bool)
    value = pd.array([pd.NA] * len(ids), dtype="Float64")
    value[defined] = k[defined].to_numpy(float) / n[defined].to_numpy(float)
    bounded = defined & (k <= n).fillna(False).to_numpy(bool)
    low, high = (pd.array([pd.NA] * len(ids), dtype="Float64") for _ in range(2))
    low[bounded], high[bounded] = wilson_interval(k[bounded].to_numpy(float), n[bounded].to_numpy(float))
    detail = problem.copy()
    detail[(k.notna() & (n == 0)).fillna(False).to_numpy(bool)] = "the denominator is 0"
    detail[defined & ~bounded] = "the numerator exceeds the denominator: no interval"
    return pd.DataFrame(
        {
            "report_id": ids,
            "rate": definition.rate,
            "numerator": k.to_numpy(),
            "denominator": n.to_numpy(),
            "value": value,
            "ci_low": low,
            "ci_high": high,
            "interval": np.where(bounded, INTERVAL, None),
            "source": rank.map(lambda i: None if pd.isna(i) else SOURCES[int(i)]).to_numpy(),
            "detail": detail.to_numpy(),
        }
    )


def rates(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every rate of rates.csv for every annual report (see the module docstring), reports in report_id order and
    rates in the file's order."""
    reports = annual_reports(tables["reports"]).set_index("report_id")
    ids = reports.index
    frames = [_rate_frame(definition, tables, ids).assign(order=i) for i, definition in enumerate(rate_definitions())]
    if not frames or not len(ids):
        return schema.empty("rates")
    combined = pd.concat(frames, ignore_index=True).sort_values(["report_id", "order"], kind="stable")
    combined = combined.join(reports[REPORT_FIELDS], on="report_id")
    return schema.frame("rates", {name: combined[name].tolist() for name in schema.columns("rates")})


def derived_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables derived from the long ones, by name (written beside them by the build)."""
    return {"report_cells": report_cells(tables), "rates": rates(tables)}
