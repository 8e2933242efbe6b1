"""The JSON contract of ``govstats parse --json``: one document in the shape of ``shared/expected/*.json``.

A cell is an object ``{"value", "status", "method", "raw", "location", …}``; with ``values=True`` a cell that holds
a number is printed as the bare number (exactly the expected files' shape) and any other cell as its object.
"""

from __future__ import annotations

from .checks import CheckResult
from .model import Cell, Report


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
        "checks": [{k: v for k, v in c.__dict__.items() if k != "report_id"} for c in checks],
        "problems": report.problems,
        "source": report.source,
    }
    return out
