"""The Python API: ``read_report(path)`` for one document, ``load_dataset(dir)`` for a built corpus."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .dataset import tidy
from .dataset.load import Dataset, load_dataset
from .dataset.pipeline import process_file
from .errors import GovstatsError
from .model import CheckResult, Report

__all__ = ["Dataset", "ReportTables", "load_dataset", "read_report"]


@dataclass
class ReportTables:
    """One report's tidy dataframes, and the parsed report behind them."""

    report: Report
    requests: pd.DataFrame
    review_litigation: pd.DataFrame
    proactive: pd.DataFrame
    checks: pd.DataFrame
    check_results: list[CheckResult]


def read_report(path: str | Path) -> ReportTables:
    """Parse one document (text, HTML, DOCX or PDF) into tidy dataframes; raises a GovstatsError for bad input."""
    path = Path(path)
    result = process_file(path, path.name)
    if result.report is None:
        raise GovstatsError(str(path), result.error or "unreadable")
    reports = [result.report]
    return ReportTables(
        report=result.report,
        requests=tidy.requests_frame(reports),
        review_litigation=tidy.review_frame(reports),
        proactive=tidy.proactive_frame(reports),
        checks=tidy.checks_frame(result.checks),
        check_results=result.checks,
    )
