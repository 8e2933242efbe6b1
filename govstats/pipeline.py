"""The per-file pipeline: read → detect → parse → recover → narrative → check.

``process_file`` is a pure function of one file's bytes and name, so the build can run it in a loop, in worker
processes or on a Dask cluster and get the same result.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import tidy
from .checks import CarrySummary, CheckResult, carry_summary, report_checks
from .errors import GovstatsError
from .model import Report, SourceText
from .parse import parse_source
from .readers import read_source


@dataclass
class Processed:
    """What one file gave: a report with its checks, or a clear error naming the file."""

    report_id: str
    sha256: str
    kind: str  # annual_report, work_plan, error
    report: Report | None = None
    checks: list[CheckResult] = field(default_factory=list)
    error: str | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # this file's rows of the dataset's tables
    carry: CarrySummary | None = None  # what the corpus-wide identity 5 needs

    def lean(self) -> Processed:
        """The same result without the parsed report: what a build keeps while it streams a large corpus."""
        return Processed(self.report_id, self.sha256, self.kind, None, self.checks, self.error, self.tables, self.carry)


def read_named(path: Path, name: str, data: bytes) -> SourceText:
    """Read a file and name it by ``name`` (its path relative to the corpus), so outputs carry no machine paths."""
    source = read_source(Path(name), data)
    source.path = name
    return source


def analyse(source: SourceText) -> tuple[Report, list[CheckResult]]:
    """Parse an annual report's text and check its identities."""
    report = parse_source(source)
    return report, report_checks(report)


def process_file(path: str | Path, name: str | None = None) -> Processed:
    """Run the whole pipeline on one file. Never raises for bad input: the error is returned, naming the file."""
    path = Path(path)
    name = name or path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        return Processed(name, "", "error", error=f"{name}: cannot be opened: {error.strerror}")
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        source = read_named(path, name, data)
        report, checks = analyse(source)
    except GovstatsError as error:
        return Processed(name, sha256, "error", error=str(error))
    except Exception as error:  # a bug must not cost the rest of the batch; it is reported with the file's name
        return Processed(name, sha256, "error", error=f"{name}: internal error: {type(error).__name__}: {error}")
    return Processed(
        name, sha256, "annual_report", report, checks, tables=tables_of(report, sha256), carry=carry_summary(report)
    )


def tables_of(report: Report, sha256: str) -> dict[str, pd.DataFrame]:
    """One report's rows of the dataset's tables (checks are added by the build with the corpus checks)."""
    return {
        "reports": tidy.reports_frame([tidy.report_record(report, sha256)]),
        "requests": tidy.requests_frame([report]),
        "review_litigation": tidy.review_frame([report]),
        "proactive": tidy.proactive_frame([report]),
    }
