"""How reliable are the reports themselves? Read from the build's ``checks`` table and the tidy cells.

Three ways a report can fail its reader, each counted per report and shared out by unit, level and year:

- it **breaks its own identities** (勾稽关系: rows, columns, dispositions, section 四, carry-over across years)
  in numbers that were read as printed (``breaks_identities``); separately, a garbled copy whose printed runs
  have **no reading consistent with the identities** (``no_consistent_reading``): the report, or the copy of it,
  cannot be right as it stands;
- it **contradicts its own prose** (a count or percentage of the text against its table: ``contradicts_prose``);
- it **departs from the national form** (``departs_from_form``): the 2019 form used for a year of the 2021 form,
  （六）其他处理 printed as one row in the 2021 form, or a row or table of the form absent.

A report none of whose checks of a kind could be evaluated is *not evaluable* for that kind (``<NA>``), never
counted as reliable.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .. import codebook
from . import metrics

# The identity checks of SPEC.md (names as the checks table carries them).
IDENTITY_CHECKS = (
    codebook.ROW_SUM,
    codebook.COLUMN_BALANCE,
    codebook.DISPOSITION_SUM,
    codebook.REVIEW_SUM,
    codebook.CARRY_ACROSS_YEARS,
)
RECOVERY_PREFIX = "recovery_"  # recovery_requests, recovery_review, recovery_proactive
PROSE_PREFIX = "narrative_"  # narrative_vs_table, narrative_percentage, narrative_bound, narrative_growth
# The 2021 form (国办公开办函〔2021〕30号) replaced the 2019 form from the reports of 2021 on (SPEC.md: format
# 2019 is that of the 2019 and 2020 reports).
FORM_2021_FIRST_YEAR = 2021
KINDS = ("breaks_identities", "no_consistent_reading", "contradicts_prose", "departs_from_form")
KIND_TEXT = {
    "breaks_identities": "break their own identities",
    "no_consistent_reading": "have no reading consistent with the identities",
    "contradicts_prose": "contradict their own prose",
    "departs_from_form": "depart from the national form",
}


def _outcome(checks: pd.DataFrame, chosen: pd.Series, ids: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Per report: True if a chosen check failed, False if some passed and none failed, <NA> if none evaluable;
    and the first failure's description (an example)."""
    part = checks[chosen & checks["passed"].notna()]
    failed = part[part["passed"].eq(False)]
    outcome = pd.Series(pd.NA, index=ids, dtype="boolean")
    outcome[outcome.index.isin(part["report_id"])] = False
    outcome[outcome.index.isin(failed["report_id"])] = True
    first = failed.groupby("report_id").first()
    detail = first["check"] + " at " + first["where"].astype(str) + ": " + first["detail"].fillna("").astype(str)
    return outcome, detail.reindex(ids)


def _form_departures(reports: pd.DataFrame, requests: pd.DataFrame, cells: pd.DataFrame) -> pd.Series:
    """Per report: how it departs from the national form, in words ('' if it does not)."""
    ids = pd.Index(reports["report_id"], name="report_id")
    meta = reports.set_index("report_id")
    reasons = pd.Series("", index=ids)
    outdated = meta["format_version"].eq(codebook.FORMAT_2019) & meta["year"].ge(FORM_2021_FIRST_YEAR)
    reasons[outdated.fillna(False).to_numpy()] += "the 2019 form for a report of the 2021 form's years; "
    one_row = requests[(requests["row"] == "other")]["report_id"].unique()
    modern = meta["format_version"].eq(codebook.FORMAT_2021).fillna(False)
    reasons[ids.isin(one_row) & modern.to_numpy()] += "（六）其他处理 printed as one row in the 2021 form; "
    missing = cells[cells["status"] == "missing"].groupby("report_id").size().reindex(ids)
    has_missing = missing.notna().to_numpy()
    reasons[has_missing] += missing[has_missing].astype(int).astype(str) + " cells of the form absent; "
    return reasons.str.rstrip("; ")


def report_reliability(
    reports: pd.DataFrame, checks: pd.DataFrame, requests: pd.DataFrame, cells: pd.DataFrame
) -> pd.DataFrame:
    """One row per annual report: each kind of unreliability (boolean, <NA> if not evaluable) and an example."""
    ids = pd.Index(reports["report_id"], name="report_id")
    check = checks["check"].astype(str)
    kinds = {
        "breaks_identities": check.isin(IDENTITY_CHECKS),
        "no_consistent_reading": check.str.startswith(RECOVERY_PREFIX),
        "contradicts_prose": check.str.startswith(PROSE_PREFIX),
    }
    table = pd.DataFrame(index=ids)
    for kind, chosen in kinds.items():
        table[kind], table[f"{kind}_example"] = _outcome(checks, chosen, ids)
    form = _form_departures(reports, requests, cells)
    table["departs_from_form"] = form.ne("").astype("boolean")
    table["departs_from_form_example"] = form.where(form.ne(""))
    return table.reset_index()


def reliability_shares(table: pd.DataFrame, units: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Share of reports of each kind (of those where it could be evaluated), Wilson 95% CI, by unit/level/year."""
    data = table.merge(units, on="report_id", how="left")
    keys = list(by) or None
    rows = []
    for kind in KINDS:
        evaluable = data[data[kind].notna()]
        groups = evaluable.groupby(keys, dropna=False) if keys else [((), evaluable)]
        for key, part in groups:
            key = key if isinstance(key, tuple) else (key,)
            rows.append(
                dict(zip(by, key, strict=True))
                | {"report_id": "|".join(part["report_id"]), "rate": kind, "applicant": "total"}
                | {"numerator": int(part[kind].sum()), "denominator": len(part), "source": "table"}
            )
    columns = [*by, "report_id", "rate", "applicant", "numerator", "denominator", "source"]
    frame = pd.DataFrame(rows, columns=columns)
    return metrics.with_intervals(frame).drop(columns=["report_id", "applicant", "source"])
