"""The identities a source breaks: failed checks carrying the printed numbers and naming the likely misprint.

A degraded recovery (:mod:`govstats.transform.subset`) reads a section whose printed numbers break some equations
of codebook/identities.csv. Each broken equation becomes a failed check: ``expected`` is the sum of its left side,
``found`` that of its right side (when the readings fix them), and the detail names the row and column most likely
misprinted — the cell where a broken row sum meets a broken column equation, else the row or the column.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..codebook import FORMAT_2021, ROW_SUM
from ..codebook.identities import Equation, equations
from ..model import CheckResult, Report
from .solve import Solution


def _equation(report: Report, section: str, identity: str, place: str) -> Equation | None:
    form = report.format_version or FORMAT_2021
    where = f"{section}.{place}"
    found = equations(section, form, one_row_other=report.one_row_other)
    return next((e for e in found if e.identity == identity and e.where == where), None)


def _side(solution: Solution, cells) -> int | None:
    values = [solution.values.get(cell, frozenset()) for cell in cells]
    if any(len(v) != 1 for v in values):
        return None
    return sum(next(iter(v)) or 0 for v in values)


def likely_misprint(broken: Sequence[tuple[str, str]], columns: Sequence[str]) -> str:
    """Where a set of broken equations points: the cell where a broken row meets a broken column, or either."""
    rows = [place for identity, place in broken if identity == ROW_SUM]
    broken_columns = list(dict.fromkeys(place for identity, place in broken if identity != ROW_SUM))
    broken_columns = [c for c in broken_columns if c in columns] or broken_columns
    if len(rows) == 1 and len(broken_columns) == 1:
        return f"row {rows[0]}, column {broken_columns[0]}"
    named = [f"row {r}" for r in rows] + [f"column {c}" for c in broken_columns]
    return " or ".join(named) if named else "none"


def broken_checks(
    report: Report, check: str, section: str, solution: Solution, columns: Sequence[str]
) -> list[CheckResult]:
    """One failed check per equation the printed numbers break (every reading at the optimum breaks it)."""
    if not solution.degraded or not solution.broken_sets:
        return []
    always = [key for key in solution.broken_sets[0] if all(key in other for other in solution.broken_sets)]
    results = []
    for identity, place in always:
        equation = _equation(report, section, identity, place)
        if equation is None:
            continue
        left, right = _side(solution, equation.left), _side(solution, equation.right)
        printed = "" if left is None or right is None else f" ({left} against a printed {right})"
        detail = (
            f"the printed numbers break {identity} at {equation.where}{printed}; most likely misprinted: "
            f"{likely_misprint(solution.broken_sets[0], columns)}; the cells are kept as printed"
        )
        results.append(CheckResult(report.report_id, check, equation.where, left, right, False, detail))
    if len(solution.broken_sets) > 1:
        options = " | ".join(likely_misprint(b, columns) for b in solution.broken_sets)
        detail = f"{len(solution.broken_sets)} equally good readings break different equations: {options}"
        results.append(CheckResult(report.report_id, check, section, None, None, False, detail))
    return results
