"""Identity checks (勾稽关系) of SPEC.md. Each check is one row; a printed number is never changed.

Identities 1-4 hold within a report, identity 5 across two years of one agency. A check whose inputs are not
all numbers is recorded with ``passed = None`` (not evaluable) and says which cells were missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .. import codebook
from ..codebook.identities import carry_equations, equations
from ..model import CheckResult, NarrativeFigure, Report
from ..transform.values import is_printed_non_count


def _sum(values: Iterable[float | None]) -> float | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def _numbers(report: Report, section: str) -> dict[tuple[str, str], float | None]:
    """Every cell of a section as (row, column) → its number (None when it is not one): looked up once per cell,
    not once per equation it stands in."""
    return {
        (row, column): cell.value if cell.is_number else None
        for row, columns in getattr(report, section).items()
        for column, cell in columns.items()
    }


def _result(report: Report, check: str, where: str, parts, whole, numbers: dict) -> CheckResult:
    """Compare the sum of ``parts`` with the printed ``whole`` (both lists of (row, column))."""
    expected = _sum(numbers.get(cell) for cell in parts)
    found = _sum(numbers.get(cell) for cell in whole)
    if expected is None or found is None:
        missing = [f"{row}.{column}" for row, column in [*parts, *whole] if numbers.get((row, column)) is None]
        return CheckResult(
            report.report_id, check, where, expected, found, None, "not evaluable: " + ", ".join(missing)
        )
    return CheckResult(report.report_id, check, where, expected, found, abs(expected - found) < 1e-9)


def _equation_checks(report: Report, section: str) -> list[CheckResult]:
    """One check row per equation of the section (codebook/identities.csv), for this report's form."""
    form = report.format_version or codebook.FORMAT_2021
    numbers = _numbers(report, section)
    return [
        _result(report, e.identity, e.where, list(e.left), list(e.right), numbers)
        for e in equations(section, form, one_row_other=report.one_row_other)
    ]


def request_checks(report: Report) -> list[CheckResult]:
    """Identities 1-3 on section 三."""
    return _equation_checks(report, "requests") if report.requests else []


def review_checks(report: Report) -> list[CheckResult]:
    """Identity 4 on section 四: upheld + corrected + other + pending = total, per proceeding."""
    return _equation_checks(report, "review_litigation") if report.review_litigation else []


COUNT_AS_PRINTED = "count_as_printed"


def _from_a_run(report: Report, section: str, row: str) -> bool:
    """The row was read from a fused digit run (its unreadable cells keep the run, not one printed number)."""
    return (section, row) in report.unread_rows or (section, "all") in report.unread_rows


def count_checks(report: Report) -> list[CheckResult]:
    """Counts of 三/四 printed as no count can be: negative (kept signed), decimal or too large (kept as raw)."""
    results = []
    for section in ("requests", "review_litigation"):
        for row, cells in getattr(report, section).items():
            for column, cell in cells.items():
                if cell.is_number and cell.value < 0:
                    detail = f"a negative count, kept as printed: {cell.raw}"
                    where = f"{section}.{row}.{column}"
                    results.append(
                        CheckResult(report.report_id, COUNT_AS_PRINTED, where, None, cell.value, False, detail)
                    )
                elif is_printed_non_count(cell) and not _from_a_run(report, section, row):
                    detail = f"not a count (decimal or too large), kept as printed: {cell.raw}"
                    where = f"{section}.{row}.{column}"
                    results.append(CheckResult(report.report_id, COUNT_AS_PRINTED, where, None, None, False, detail))
    return results


def report_checks(report: Report) -> list[CheckResult]:
    """Identities 1-4 of one report, and counts printed as no count can be."""
    return request_checks(report) + review_checks(report) + count_checks(report)


# The prose figures that corpus-wide checks compare across years.
_CORPUS_NARRATIVE = ("requests_received", "requests_growth_pct")


@dataclass(frozen=True)
class CorpusSummary:
    """What the corpus-wide checks need of a report, small enough to keep for every file of a large build.

    It answers ``value()`` and carries ``narrative`` like a Report, so checks written for reports take it too.
    """

    report_id: str
    agency: str | None
    year: int | None
    cells: dict[str, float | None]
    narrative: dict

    def value(self, section: str, row: str, column: str):
        return self.cells.get(f"{section}.{row}.{column}")

    def record(self) -> list:
        """As JSON data (the cache and the build's ledger store it so): head, cells, prose figures."""
        narrative = {key: dict(figure.__dict__) for key, figure in self.narrative.items()}
        return [{"report_id": self.report_id, "agency": self.agency, "year": self.year}, self.cells, narrative]

    @classmethod
    def from_record(cls, record) -> CorpusSummary:
        head, cells, narrative = record
        figures = {key: NarrativeFigure(**figure) for key, figure in narrative.items()}
        return cls(head["report_id"], head["agency"], head["year"], cells, figures)


def corpus_summary(report: Report) -> CorpusSummary:
    wanted = [("carried_forward", c) for c in codebook.applicants()]
    wanted += [("carried_over", c) for c in codebook.applicants()] + [("new_requests", "total")]
    cells = {f"requests.{row}.{column}": report.value("requests", row, column) for row, column in wanted}
    narrative = {key: figure for key, figure in report.narrative.items() if key in _CORPUS_NARRATIVE}
    return CorpusSummary(report.report_id, report.agency, report.year, cells, narrative)


def by_agency_year(reports: Iterable[Report | CorpusSummary]) -> dict[tuple[str, int], Report | CorpusSummary]:
    """The report each cross-year check compares for an agency and year: the first given (in report-id order, the
    build's); a later one of the same agency and year (a second copy) is compared by no check."""
    found: dict[tuple[str, int], Report | CorpusSummary] = {}
    for report in reports:
        if report.agency and report.year:
            found.setdefault((report.agency, report.year), report)
    return found


def corpus_checks(reports: Iterable[Report | CorpusSummary]) -> list[CheckResult]:
    """Identity 5: carried_forward of year t equals carried_over of year t+1, for each agency."""
    by_agency = by_agency_year(reports)
    results = []
    for (agency, year), earlier in sorted(by_agency.items()):
        later = by_agency.get((agency, year + 1))
        if later is None:
            continue
        for equation in carry_equations():
            (earlier_cell,), (later_cell,) = equation.left, equation.right
            forward = earlier.value("requests", *earlier_cell)
            over = later.value("requests", *later_cell)
            where = f"{agency} {year}->{year + 1}: {equation.where}"
            passed = None if forward is None or over is None else forward == over
            detail = f"carried_forward in {earlier.report_id} vs carried_over in {later.report_id}"
            if passed is None:
                detail = "not evaluable: " + detail
            results.append(CheckResult(later.report_id, equation.identity, where, forward, over, passed, detail))
    return results
