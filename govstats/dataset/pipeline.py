"""The per-file pipeline: read → detect → parse → recover → narrative → check.

``process_file`` is a pure function of one file's bytes and name, so the build can run it in a loop, in worker
processes or on a Dask cluster and get the same result.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import DamagedFile, EncryptedFile, GovstatsError, UnknownFormat, encrypted_pdf, stable_text
from ..extract import read_source
from ..extract.docx import check_package_size
from ..extract.text import simplified, simplified_line
from ..model import MISSING, UNREADABLE, CheckResult, Report, SourceText
from ..transform.detect import WORK_PLAN
from ..transform.narrative import extract_narrative, narrative_review_cells, narrative_totals
from ..transform.parse import Document, parse_document
from ..transform.recover import recover_report
from ..transform.workplan import WorkPlan, read_work_plan
from ..validate.checks import CorpusSummary, corpus_summary, report_checks
from ..validate.prose import narrative_checks
from ..validate.readings import cross_checked
from ..validate.workplan import work_plan_checks
from . import tidy
from .limits import DEFAULT_LIMITS, Limits, read_bounded, time_limit
from .names import escape_controls, report_id
from .schema import Columns


@dataclass
class Processed:
    """What one file gave: a report with its checks, or a clear error naming the file."""

    report_id: str
    sha256: str
    kind: str  # annual_report, work_plan, error
    report: Report | None = None
    checks: list[CheckResult] = field(default_factory=list)
    error: str | None = None
    # This file's rows of the dataset's tables, as plain columns (typed once per batch of files by the build).
    tables: dict[str, Columns] = field(default_factory=dict)
    summary: CorpusSummary | None = None  # what the corpus-wide checks need

    def lean(self) -> Processed:
        """The same result without the parsed report: what a build keeps while it streams a large corpus."""
        return replace(self, report=None)


TRADITIONAL = "Traditional Chinese, read in Simplified characters (OpenCC t2s)"


def read_named(path: Path, name: str, data: bytes) -> SourceText:
    """Read a file and name it by ``name`` (its path relative to the corpus), so outputs carry no machine paths.

    A report written in Traditional characters (a Hong Kong or Taiwan copy, Big5) is read in Simplified ones:
    labels then match the codebook; digits and marks are never changed (see :func:`~govstats.extract.text.simplified`).
    """
    source = read_source(Path(name), data)
    source.path = name
    if simplified(source.text) is not None:
        source.lines = [replace(line, text=simplified_line(line.text)) for line in source.lines]
        source.encoding = f"{source.encoding}; {TRADITIONAL}"
    return source


def analyse(document: Document) -> tuple[Report, list[CheckResult]]:
    """Parse an annual report's text, read its prose figures, and check the identities and the prose."""
    source = document.source
    report = parse_document(document)
    report.narrative = extract_narrative(source)
    recovery = recover_report(report, narrative_totals=narrative_totals(report.narrative))
    fill_from_prose(report)
    # Reader checks first: a PDF's two table readers record where they disagreed and which reading won.
    return report, source.checks + report_checks(report) + recovery + narrative_checks(report)


def fill_from_prose(report: Report) -> None:
    """Where section 四 could not be read, the prose's figures stand in, marked ``narrative``.

    Only cells of the table's own proceedings are filled; prose litigation figures (not split into direct and
    after-review suits) stay in the narrative table.
    """
    for proceeding, outcomes in narrative_review_cells(report).items():
        table = report.review_litigation.get(proceeding, {})
        for outcome, cell in outcomes.items():
            if outcome in table and table[outcome].status in (UNREADABLE, MISSING):
                table[outcome] = cell


def analyse_pdf(name: str, data: bytes, document: Document, cross_check: str = "auto") -> tuple[Report, list]:
    """A PDF's fast reading analysed; read again and reconciled by the identities where it is in doubt
    (:mod:`govstats.validate.readings`; ``cross_check``: auto, always or never)."""
    try:
        report, checks = analyse(document)
    except GovstatsError:
        report, checks = None, []
    reconciled = cross_checked(name, data, document.source, report, cross_check)
    if reconciled is not None:
        return analyse(Document(reconciled))
    return analyse(document) if report is None else (report, checks)


def process_file(path: str | Path, name: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Processed:
    """Run the whole pipeline on one file. Never raises: whatever goes wrong is the file's error, naming it.

    ``name`` is the file's path relative to the corpus as the OS gives it (any bytes); the report id is its
    printable, lossless form (:func:`~govstats.dataset.names.report_id`). ``limits`` bound the file's size and time
    and say when a PDF's fast reading is read again by the ruled-table readers (``cross_check``).
    """
    path = Path(path)
    name = report_id(path.name if name is None else name)
    data = b""
    try:
        data = read_bounded(path, name, limits)
    except GovstatsError as error:
        return _failed(name, "", str(error))
    except OSError as error:
        return _failed(name, "", f"{name}: cannot be opened: {error.strerror or type(error).__name__}")
    except Exception as error:  # noqa: BLE001 - nothing may escape: one bad file must not cost the batch
        return _failed(name, "", _internal(name, error))
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        with time_limit(name, limits.timeout_seconds):
            return _process(path, name, data, sha256, limits)
    except GovstatsError as error:
        return _failed(name, sha256, str(error))
    except RecursionError:
        return _failed(name, sha256, f"{name}: too deeply nested to read")
    except MemoryError:
        return _failed(name, sha256, f"{name}: too large to read in memory")
    except Exception as error:  # noqa: BLE001 - a bug must not cost the rest of the batch; reported with the name
        if encrypted_pdf(data, error, reader_failed=False):  # a password error that escaped the reader
            return _failed(name, sha256, str(_encrypted(name)))
        return _failed(name, sha256, _internal(name, error))


def _failed(name: str, sha256: str, text: str) -> Processed:
    """The error row: a text that is the same on every run (no addresses) and on one storable line."""
    return Processed(name, sha256, "error", error=escape_controls(stable_text(text)))


def _internal(name: str, error: BaseException) -> str:
    return f"{name}: internal error: {type(error).__name__}: {error}"


def _encrypted(name: str) -> EncryptedFile:
    return EncryptedFile(name, "the PDF is password-protected; save a copy without a password to read it")


def _process(path: Path, name: str, data: bytes, sha256: str, limits: Limits) -> Processed:
    """Everything that can fail on a file's content, the per-file tables included (they are the file's too)."""
    check_package_size(name, data, limits.max_bytes)
    try:
        source = read_named(path, name, data)
    except (UnknownFormat, DamagedFile) as error:
        if encrypted_pdf(data, error):  # the PDF reader's own message ("not a readable PDF ()") says less
            raise _encrypted(name) from None
        raise
    document = Document(source)
    if document.kind == WORK_PLAN:
        plan = read_work_plan(source)
        plan.checks = work_plan_checks(plan)
        return work_plan_result(plan, sha256)
    pdf = source.flavor == "pdf"
    report, checks = analyse_pdf(name, data, document, limits.cross_check) if pdf else analyse(document)
    if TRADITIONAL in source.encoding:
        report.problems.append(f"encoding: {source.encoding}")
    tables = tables_of(report, sha256)
    return Processed(name, sha256, "annual_report", report, checks, tables=tables, summary=corpus_summary(report))


def tables_of(report: Report, sha256: str) -> dict[str, Columns]:
    """One report's rows of the dataset's tables (checks are added by the build with the corpus checks)."""
    return {
        "reports": tidy.reports_columns([tidy.report_record(report, sha256)]),
        "requests": tidy.requests_columns([report]),
        "review_litigation": tidy.review_columns([report]),
        "proactive": tidy.proactive_columns([report]),
        "narrative": tidy.narrative_columns([report]),
    }


def work_plan_result(plan: WorkPlan, sha256: str) -> Processed:
    """A work plan (政务公开工作要点) goes to its own tables, not the report tables."""
    tables = {
        "reports": tidy.reports_columns([tidy.work_plan_record(plan, sha256)]),
        "work_plan_tasks": tidy.tasks_columns([plan]),
        "work_plan_task_units": tidy.task_units_columns([plan]),
    }
    return Processed(plan.report_id, sha256, WORK_PLAN, None, plan.checks, tables=tables)
