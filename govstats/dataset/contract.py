"""The JSON contract of ``govstats parse --json``: one document in the shape of ``shared/expected/*.json``.

A cell is an object ``{"value", "status", "method", "raw", "location", …}``; with ``values=True`` a cell that holds
a number is printed as the bare number (exactly the expected files' shape) and any other cell as its object.
"""

from __future__ import annotations

import dataclasses

from ..model import AMBIGUOUS, RECOVERED, Cell, CheckResult, NarrativeFigure, Report
from ..transform.narrative import EXTRA_KEYS, JSON_KEYS, PERCENTAGE, ordered_keys
from ..validate.prose import NARRATIVE_PERCENTAGE, narrative_checks


def cell_json(cell: Cell, values: bool = False):
    if values and cell.is_number:
        return cell.value
    out = {
        "value": cell.value,
        "status": cell.status,
        "method": cell.method,
        "raw": cell.raw,
        "location": cell.location,
    }
    if cell.note:
        out["note"] = cell.note
    if cell.candidates:
        out["candidates"] = list(cell.candidates)
    if cell.identities:
        out["identities"] = list(cell.identities)
    return out


def _table_json(table: dict[str, dict[str, Cell]], values: bool) -> dict:
    out = {}
    for row, columns in table.items():
        out[row] = {column: cell_json(cell, values) for column, cell in columns.items()}
        notes = {column: cell.note for column, cell in columns.items() if cell.note}
        if notes:
            out[row]["notes"] = notes
    return out


def report_json(
    report: Report, checks: list[CheckResult], narrative: dict | None = None, *, values: bool = False
) -> dict:
    """A report as the JSON contract: metadata, proactive, requests, review_litigation, narrative, checks."""
    out = {
        "document": report.document,
        "agency": report.agency,
        "level": report.level,
        "scope": report.scope,
        "region": report.region,
        "year": report.year,
        "format_version": report.format_version,
    }
    if report.parent:
        out["parent"] = report.parent
    out |= {
        "proactive": _table_json(report.proactive, values),
        "requests": _table_json(report.requests, values),
        "review_litigation": _table_json(report.review_litigation, values),
        "narrative": narrative or {},
        "checks": checks_json(checks),
        "problems": report.problems,
        "source": report.report_id,
    }
    return out


def checks_json(checks: list[CheckResult]) -> list[dict]:
    """Checks as JSON objects, without the report id (the document they sit in says it)."""
    return [{k: v for k, v in vars(check).items() if k != "report_id"} for check in checks]


def _plain(value: float | int | None) -> float | int | None:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def percentage_inconsistencies(report: Report) -> dict[str, dict[str, float]]:
    """Printed shares that disagree with the table: {share: {printed, from_table}}."""
    return {
        check.where.removeprefix(f"narrative.{PERCENTAGE}"): {"printed": check.found, "from_table": check.expected}
        for check in narrative_checks(report)
        if check.check == NARRATIVE_PERCENTAGE and check.passed is False
    }


def narrative_json(
    figures: dict[str, NarrativeFigure], report: Report | None = None, *, extra: bool = False
) -> dict[str, object]:
    """The `narrative` object of ../shared/expected/*.json; `percentages_inconsistent_with_table` needs the report.

    With ``extra``, the further restatements (carried over/forward, disposition counts, outcomes) follow.
    """
    keys = [*JSON_KEYS, *(EXTRA_KEYS if extra else ())]
    out: dict[str, object] = {key: _plain(figures[key].value) for key in keys if key in figures}
    shares = {
        key.removeprefix(PERCENTAGE): figures[key].value for key in ordered_keys(figures) if key.startswith(PERCENTAGE)
    }
    if shares:
        out["percentages_printed"] = shares
        if report is not None:
            checked = dataclasses.replace(report, narrative=figures)
            out["percentages_inconsistent_with_table"] = percentage_inconsistencies(checked)
    return out


def explain_json(report: Report) -> list[dict]:
    """What the recovery decided, cell by cell: for each recovered or ambiguous cell, the printed run, what the
    search weighed for its row (the readings considered) and the identities that decided (``govstats parse
    --explain``)."""
    out = []
    for section, row, column, cell in report.cells():
        if cell.method != RECOVERED and cell.status != AMBIGUOUS:
            continue
        note = report.recovery_notes.get((section, row)) or report.recovery_notes.get((section, "all"), "")
        entry = {"cell": f"{section}.{row}.{column}", "status": cell.status, "printed": cell.raw, "weighed": note}
        if cell.status == AMBIGUOUS:
            entry["candidates"] = list(cell.candidates)
        else:
            entry["value"] = cell.value
            entry["decided_by"] = list(cell.identities)
        out.append(entry)
    return out


def explain_text(report: Report) -> str:
    """:func:`explain_json` as lines a person reads."""
    lines = []
    for entry in explain_json(report):
        if "candidates" in entry:
            outcome = f"ambiguous, candidates {entry['candidates']}"
        else:
            outcome = f"= {entry['value']} ({entry['status']}), decided by {', '.join(entry['decided_by']) or '-'}"
        lines.append(f"{entry['cell']} {outcome}; printed {entry['printed']!r}; {entry['weighed']}")
    return "\n".join(lines) if lines else "nothing was recovered: every cell was read as printed"
