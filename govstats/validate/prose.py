"""Checks between a report's prose and its tables (SPEC.md identity 6): restated counts, printed percentages
recomputed to the printed precision, withdrawals bounded by 其他, and year-on-year growth across reports.

A printed figure is never changed: a disagreement with the table is a failed check row, not a correction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from ..codebook.prose import PART_OF, RESTATES, SHARE, ProseFigure, prose_figures, withdrawal_cell
from ..model import CheckResult, NarrativeFigure, Report
from ..textnorm import replace_chars
from ..transform.narrative import FULLWIDTH_TO_ASCII, PERCENTAGE, figures_of
from ..transform.recover import NARRATIVE_TOTAL, PROSE
from .checks import by_agency_year

NARRATIVE_VS_TABLE = "narrative_vs_table"
NARRATIVE_PERCENTAGE = "narrative_percentage"
NARRATIVE_BOUND = "narrative_bound"  # a prose figure that is part of a table figure (withdrawals ≤ 其他)
NARRATIVE_GROWTH = "narrative_growth"  # year-on-year growth of requests, against the previous year's report

# ---------------------------------------------------------------------------------------------------------------
# Checks against the tables


def _table_sum(report: Report, section: str, cells: list[tuple[str, str]]) -> tuple[float | None, list[str]]:
    """Sum of table cells, or None with the names of the cells that are not numbers."""
    values = [report.value(section, row, column) for row, column in cells]
    missing = [f"{section}.{row}.{column}" for (row, column), v in zip(cells, values, strict=True) if v is None]
    return (None if missing or not cells else sum(values)), missing


def _cells_of(report: Report, figure: ProseFigure) -> tuple[tuple[str, str], ...]:
    return figure.table_cells(report.format_version, one_row_other=report.one_row_other)


def _quote(figure: NarrativeFigure) -> str:
    return f"「{figure.sentence}」 ({figure.location})"


def _pinned_by_prose(report: Report, section: str, cells: list[tuple[str, str]]) -> list[str]:
    """Cells whose value recovery chose with the help of a prose figure (a total of 三/四, or a section-二 cell):
    comparing them with it proves nothing."""
    table = getattr(report, section)
    return [
        f"{section}.{row}.{column}"
        for row, column in cells
        if {NARRATIVE_TOTAL, PROSE} & set(getattr(table.get(row, {}).get(column), "identities", ()))
    ]


def _compare(report: Report, figure: NarrativeFigure, section: str, cells: list[tuple[str, str]]) -> CheckResult:
    table, missing = _table_sum(report, section, cells)
    where = f"narrative.{figure.key} vs " + " + ".join(f"{section}.{r}.{c}" for r, c in cells)
    if table is None or figure.value is None:
        detail = "not evaluable: " + ", ".join(missing or ["no table cells"]) + "; prose " + _quote(figure)
        return CheckResult(report.report_id, NARRATIVE_VS_TABLE, where, table, figure.value, None, detail)
    pinned = _pinned_by_prose(report, section, cells)
    if pinned:
        detail = "not evaluable: " + ", ".join(pinned) + " recovered using this prose figure; prose " + _quote(figure)
        return CheckResult(report.report_id, NARRATIVE_VS_TABLE, where, table, figure.value, None, detail)
    return CheckResult(
        report.report_id, NARRATIVE_VS_TABLE, where, table, figure.value, table == figure.value, _quote(figure)
    )


def _withdrawn_bound(report: Report, figure: NarrativeFigure) -> CheckResult:
    row, column = withdrawal_cell(report.format_version, one_row_other=report.one_row_other)
    bound = report.value("requests", row, column)
    where = f"narrative.withdrawn <= requests.{row}.{column}"
    if bound is None or figure.value is None:
        detail = f"not evaluable: requests.{row}.{column} is not a number; prose " + _quote(figure)
        return CheckResult(report.report_id, NARRATIVE_BOUND, where, bound, figure.value, None, detail)
    return CheckResult(
        report.report_id, NARRATIVE_BOUND, where, bound, figure.value, figure.value <= bound, _quote(figure)
    )


def _decimals(printed: str) -> int:
    """Decimals of the last number printed ("较2023年上升23.03%" -> 2): the precision to recompute at."""
    numbers = re.findall(r"\d+(?:\.(\d+))?", replace_chars(printed, FULLWIDTH_TO_ASCII))
    return len(numbers[-1]) if numbers else 0


def rounded_share(numerator: float, denominator: float, decimals: int) -> float:
    """100 * numerator / denominator rounded half up, as reports round (1615/34430 -> 4.69 to two decimals)."""
    exact = Decimal(str(numerator)) * 100 / Decimal(str(denominator))
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _percentage(report: Report, figure: NarrativeFigure, share_of: ProseFigure) -> CheckResult:
    share = figure.key.removeprefix(PERCENTAGE)
    numerator, missing = _table_sum(report, share_of.section, list(_cells_of(report, share_of)))
    denominator_cells = share_of.denominator(report.format_version, one_row_other=report.one_row_other)
    denominator, _ = _table_sum(report, share_of.section, list(denominator_cells))
    where = f"narrative.{figure.key}"
    if numerator is None or not denominator or figure.value is None:
        missing = missing + ([] if denominator else [f"{share_of.section}.{r}.{c}" for r, c in denominator_cells])
        detail = "not evaluable: " + ", ".join(missing) + "; prose " + _quote(figure)
        return CheckResult(report.report_id, NARRATIVE_PERCENTAGE, where, None, figure.value, None, detail)
    table = rounded_share(numerator, denominator, _decimals(figure.raw))
    detail = (
        f"{share}: table {numerator:g}/{denominator:g} = {table:g}% to the printed precision, "
        f"printed {figure.raw} in " + _quote(figure)
    )
    return CheckResult(
        report.report_id, NARRATIVE_PERCENTAGE, where, table, figure.value, abs(table - figure.value) < 1e-9, detail
    )


def narrative_checks(report: Report) -> list[CheckResult]:
    """Every prose figure against the table cells it speaks of (codebook/prose_figures.csv): restated counts
    compared, percentages recomputed to the printed precision, withdrawals bounded by the row that holds them."""
    mapping = prose_figures()
    results = []
    for key, figure in figures_of(report).items():
        known = mapping.get(key)
        if known is None:
            continue
        if known.relation == RESTATES:
            results.append(_compare(report, figure, known.section, list(_cells_of(report, known))))
        elif known.relation == PART_OF:
            results.append(_withdrawn_bound(report, figure))
        elif known.relation == SHARE:
            results.append(_percentage(report, figure, known))
    return results


def _received(report: Report) -> float | None:
    """Requests received in a year: the table's new_requests total, else the prose figure."""
    table = report.value("requests", "new_requests", "total")
    if table is not None:
        return table
    figure = figures_of(report).get("requests_received")
    return None if figure is None else figure.value


def narrative_corpus_checks(reports: Iterable[Report]) -> list[CheckResult]:
    """Printed year-on-year growth of requests against the previous year's report of the same agency."""
    by_year = by_agency_year(reports)  # the same report of an agency and year as identity 5 compares
    results = []
    for (agency, year), later in sorted(by_year.items()):
        growth = figures_of(later).get("requests_growth_pct")
        earlier = by_year.get((agency, year - 1))
        if growth is None or earlier is None:
            continue
        before, now = _received(earlier), _received(later)
        where = f"{agency} {year - 1}->{year}: narrative.requests_growth_pct"
        if not before or now is None:
            detail = "not evaluable: requests received missing; prose " + _quote(growth)
            results.append(CheckResult(later.report_id, NARRATIVE_GROWTH, where, None, growth.value, None, detail))
            continue
        table = rounded_share(now - before, before, _decimals(growth.raw))
        detail = f"({now:g} - {before:g}) / {before:g} = {table:g}%; prose " + _quote(growth)
        passed = abs(table - growth.value) < 1e-9
        results.append(CheckResult(later.report_id, NARRATIVE_GROWTH, where, table, growth.value, passed, detail))
    return results
