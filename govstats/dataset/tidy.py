"""Tidy tables: one row per cell, with status and provenance, in pandas nullable dtypes (blank is <NA>, not 0).

Each table's rows are built once, as plain columns (``*_columns``: what one file's parse gives, cheap to make and
to concatenate); the ``*_frame`` functions type them as pandas frames (``schema.frame``) where pandas is the
interface, and a build types a whole batch of files' columns at once (``schema.arrow``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from functools import cache

import pandas as pd

from .. import codebook
from ..model import (
    AMBIGUOUS,
    MISSING,
    NARRATIVE,
    RECOVERED,
    TABLE,
    UNREADABLE,
    VALUE,
    Cell,
    CheckResult,
    Metadata,
    Report,
    WorkPlan,
)
from ..transform.narrative import figures_of, ordered_keys
from . import schema
from .schema import Columns

# The report's fields repeated on every row of its long tables (no join needed).
REPORT_FIELDS = ("year", "agency", "level", "region")


def _report_fields(report: Report) -> dict:
    return {name: getattr(report, name) for name in REPORT_FIELDS}


# A cell's provenance columns, and their values for one cell (one row of a long table).
PROVENANCE = ("status", "raw", "note", "source_file", "location", "method", "identities", "candidates")


def _provenance(report: Report, cell: Cell) -> tuple:
    identities = "|".join(cell.identities) if cell.identities else ""  # most cells: read, not recovered
    candidates = "|".join(map(str, cell.candidates)) if cell.candidates else ""
    return (cell.status, cell.raw, cell.note, report.report_id, cell.location, cell.method, identities, candidates)


def _cells_columns(table: str, reports: Iterable[Report], row_key: str, column_key: str, number=None) -> Columns:
    """One row per cell of a report section (the section's name is the table's): its two keys, value, provenance.
    ``number`` converts a printed number for the table's value type. Rows are made as tuples and turned into
    columns at once (a dict per cell costs several times more)."""
    names = ("report_id", *REPORT_FIELDS, row_key, column_key, "value", *PROVENANCE)
    rows = []
    for report in reports:
        head = (report.report_id, *(getattr(report, name) for name in REPORT_FIELDS))
        for row, columns in getattr(report, table).items():
            for column, cell in columns.items():
                value = (number(cell.value) if number else cell.value) if cell.is_number else None
                rows.append((*head, row, column, value, *_provenance(report, cell)))
    data = dict(zip(names, map(list, zip(*rows, strict=True)), strict=True)) if rows else {name: [] for name in names}
    if table == "requests":  # the row's disposition group, from the codebook
        data["group"] = [codebook.row_group(row) for row in data["row"]]
    return {name: data[name] for name in schema.columns(table)}


def requests_columns(reports: Iterable[Report]) -> Columns:
    return _cells_columns("requests", reports, "row", "applicant")


def review_columns(reports: Iterable[Report]) -> Columns:
    return _cells_columns("review_litigation", reports, "proceeding", "outcome")


def proactive_columns(reports: Iterable[Report]) -> Columns:
    return _cells_columns("proactive", reports, "item", "measure", number=float)


def checks_columns(results: Iterable[CheckResult]) -> Columns:
    return schema.record_columns("checks", [result.__dict__ for result in results])


def requests_frame(reports: Iterable[Report]) -> pd.DataFrame:
    return schema.frame("requests", requests_columns(reports))


def review_frame(reports: Iterable[Report]) -> pd.DataFrame:
    return schema.frame("review_litigation", review_columns(reports))


def proactive_frame(reports: Iterable[Report]) -> pd.DataFrame:
    return schema.frame("proactive", proactive_columns(reports))


def checks_frame(results: Iterable[CheckResult]) -> pd.DataFrame:
    return schema.frame("checks", checks_columns(results))


def cell_counts(report: Report) -> dict[str, int]:
    """How many cells of a report were read directly, recovered, ambiguous, unreadable or missing."""
    counts = dict.fromkeys(CELL_COUNTS, 0)
    for _, _, _, cell in report.cells():  # one pass: a report has a few hundred cells
        for name in _counted_as(cell.method, cell.status):
            counts[name] += 1
    return counts


CELL_COUNTS = (
    "cells_table",
    "cells_recovered",
    "cells_ambiguous",
    "cells_narrative",
    "cells_unreadable",
    "cells_missing",
)


@cache
def _counted_as(method: str, status: str) -> tuple[str, ...]:
    """The counts a cell of this method and status adds to (worked out once per combination: few occur)."""
    rules = {
        "cells_table": method == TABLE and status not in (UNREADABLE, MISSING, AMBIGUOUS),
        "cells_recovered": method == RECOVERED and status != AMBIGUOUS,
        "cells_ambiguous": status == AMBIGUOUS,
        "cells_narrative": method == NARRATIVE and status == VALUE,
        "cells_unreadable": status == UNREADABLE,
        "cells_missing": status == MISSING,
    }
    return tuple(name for name in CELL_COUNTS if rules[name])


def report_record(report: Report, sha256: str) -> dict:
    """The ``reports`` row of an annual report: its metadata, form, cell counts and problems."""
    return _document_row(report, sha256, format_version=report.format_version, **cell_counts(report))


def select_documents(
    documents: pd.DataFrame, document: str, years: Iterable[int] | None = None, agencies: Iterable[str] | None = None
) -> pd.DataFrame:
    """The rows of the ``reports`` table that were read as ``document`` (annual_report, work_plan), of the given
    years and agencies (all if None; agencies match exactly, as printed)."""
    keep = documents["document"].eq(document)
    if "status" in documents:
        keep &= documents["status"].fillna("parsed").ne("error")
    if years is not None:
        keep &= documents["year"].isin(list(years))
    if agencies is not None:
        keep &= documents["agency"].isin(list(agencies))
    return documents[keep.fillna(False)]


def reports_columns(records: list[dict]) -> Columns:
    return schema.record_columns("reports", records)


def _report_row(**known) -> dict:
    """A ``reports`` record with the given fields and every other field empty."""
    return dict.fromkeys(schema.columns("reports")) | known


def error_record(report_id: str, sha256: str, kind: str, error: str | None) -> dict:
    """The ``reports`` row of a file that could not be read: its name, hash and why."""
    return _report_row(
        report_id=report_id, source_file=report_id, sha256=sha256, document=kind, status="error", error=error
    )


def work_plan_record(plan: WorkPlan, sha256: str) -> dict:
    """The ``reports`` row of a work plan (its tasks go to the work-plan tables)."""
    return _document_row(plan, sha256)


def _document_row(document: Report | WorkPlan, sha256: str, **more) -> dict:
    """The ``reports`` row of a document that was read: its name, how it was read, its metadata and problems."""
    return _report_row(
        report_id=document.report_id,
        source_file=document.report_id,
        flavor=document.flavor,
        document=document.document,
        **{field.name: getattr(document, field.name) for field in fields(Metadata)},
        sha256=sha256,
        status="parsed",
        problems="\n".join(document.problems),
        **more,
    )


def narrative_frame(reports: Iterable[Report]) -> pd.DataFrame:
    return schema.frame("narrative", narrative_columns(reports))


def narrative_columns(reports: Iterable[Report]) -> Columns:
    """The tidy `narrative` table: one row per prose figure, reports in report_id order, keys in KEY_ORDER."""
    records = []
    for report in sorted(reports, key=lambda r: r.report_id):
        found = figures_of(report)
        for key in ordered_keys(found):
            figure = found[key]
            records.append(
                {
                    "report_id": report.report_id,
                    **_report_fields(report),
                    "key": key,
                    "value": figure.value,
                    "unit": figure.unit,
                    "sentence": figure.sentence,
                    "location": figure.location,
                    "method": NARRATIVE,
                }
            )
    return schema.record_columns("narrative", records)


# ------------------------------------------------------------------------------------------------ work plans


def _sorted_frame(table: str, records: list[dict]) -> pd.DataFrame:
    # A stable sort by the key's first two fields keeps the printed order of units within a task.
    frame = schema.records_frame(table, records)
    return frame.sort_values(schema.primary_key(table)[:2], kind="stable").reset_index(drop=True)


def tasks_frame(plans: Iterable[WorkPlan]) -> pd.DataFrame:
    """One row per task: report_id, task, section, name, content, deadline (as printed), deadline_kind,
    deadline_month (Int64, for by_end_of_month) and location (the row's lines); sorted by report_id, task."""
    rows = [
        {
            "report_id": plan.report_id,
            "task": task.number,
            "section": task.section,
            "name": task.name,
            "content": task.content,
            "deadline": task.deadline,
            "deadline_kind": task.deadline_kind,
            "deadline_month": task.deadline_month,
            "location": task.location,
        }
        for plan in plans
        for task in plan.tasks
    ]
    return _sorted_frame("work_plan_tasks", rows)


def task_units_frame(plans: Iterable[WorkPlan]) -> pd.DataFrame:
    """One row per task and responsible unit: report_id, task, unit, location; units in printed order."""
    rows = [
        {"report_id": plan.report_id, "task": task.number, "unit": unit.name, "location": unit.location}
        for plan in plans
        for task in plan.tasks
        for unit in task.units
    ]
    return _sorted_frame("work_plan_task_units", rows)


def tasks_columns(plans: Iterable[WorkPlan]) -> Columns:
    return _frame_columns(tasks_frame(plans))


def task_units_columns(plans: Iterable[WorkPlan]) -> Columns:
    return _frame_columns(task_units_frame(plans))


def _frame_columns(frame: pd.DataFrame) -> Columns:
    # Work plans are few: their rows are sorted as a frame (pandas' order of blanks), then given back as columns.
    return {name: frame[name].tolist() for name in frame.columns}
