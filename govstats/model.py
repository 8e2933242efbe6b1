"""The objects a parsed document is made of: cells with their provenance, and the report that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """What was printed in a cell."""

    VALUE = "value"  # a number
    BLANK = "blank"  # an empty cell: missing, never zero
    SLASH = "slash"  # printed "/"
    DASH = "dash"  # printed "-" (or "—")
    MISSING = "missing"  # the row or table is not in the document (e.g. truncated)
    UNREADABLE = "unreadable"  # text is there but could not be read into this cell; the printed run is kept
    AMBIGUOUS = "ambiguous"  # several readings fit; candidates are listed, none is chosen


class Method(StrEnum):
    """How a value was obtained, from the most direct to the least (the order analyses use to mark values)."""

    TABLE = "table"  # read from the table as printed
    RECOVERED = "recovered"  # fixed from a garbled run by the identities named with it
    NARRATIVE = "narrative"  # a figure printed in the prose
    PROXY = "proxy"  # an upper bound from another cell, only when asked for


# The members by their short names, as the modules use them.
VALUE, BLANK, SLASH, DASH, MISSING, UNREADABLE, AMBIGUOUS = Status
TABLE, RECOVERED, NARRATIVE, PROXY = Method


@dataclass(frozen=True)
class Line:
    """One line of a document's text, with where it stands in the source file."""

    text: str
    where: str  # "line 12", "page 3, table 1, row 5", ...
    reader: str = ""  # PDF lines: the reader that gave the line (pdfium, pdfplumber; a cell taken from another)


@dataclass
class SourceText:
    """A document as text lines: what every reader (text, HTML, DOCX, PDF) hands to the parser."""

    path: str
    flavor: str  # text, html, docx, pdf
    lines: list[Line]
    encoding: str = "utf-8"
    pages: int | None = None
    # What the reader itself checked, as checks.CheckResult records: e.g. where two PDF table readers disagree on a
    # cell and which reading the identities chose. Empty for readers with a single reading.
    checks: list = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class Cell:
    """One value as printed, with its provenance. A printed number is never changed."""

    value: float | int | None
    status: Status = VALUE
    raw: str = ""
    location: str = ""
    method: Method = TABLE
    note: str | None = None
    candidates: tuple = ()  # for AMBIGUOUS cells: every value that fits
    identities: tuple[str, ...] = ()  # for RECOVERED cells: the identities that fixed the value

    @property
    def is_number(self) -> bool:
        return self.status == VALUE and self.value is not None


@dataclass(frozen=True)
class NarrativeFigure:
    """A figure printed in the prose, with the sentence it came from."""

    key: str
    value: float | int | None
    unit: str
    sentence: str
    location: str
    raw: str = ""


@dataclass(frozen=True)
class Token:
    """A run of characters read as data (a number, a digit run, "/", "-"), with its place in the source."""

    text: str
    location: str
    note: str | None = None


@dataclass(kw_only=True)
class Metadata:
    """What a document says of itself: its title, the agency reporting (and its level, scope, region and parent
    government) and the year reported on. Every field may be unknown (None)."""

    title: str | None = None
    agency: str | None = None
    level: str | None = None
    scope: str | None = None
    region: str | None = None
    parent: str | None = None
    year: int | None = None


@dataclass(kw_only=True)
class Report(Metadata):
    """One annual report: metadata, the three tables as cells, prose figures and what went wrong reading it.

    ``report_id`` is the document's name: its path relative to the raw folder (the file it was read from).
    """

    report_id: str
    flavor: str = "text"
    document: str = "annual_report"
    format_version: str | None = None
    one_row_other: bool | None = None  # （六）其他处理 printed as one row; None: not read (the form's own layout)
    proactive: dict[str, dict[str, Cell]] = field(default_factory=dict)
    requests: dict[str, dict[str, Cell]] = field(default_factory=dict)
    review_litigation: dict[str, dict[str, Cell]] = field(default_factory=dict)
    narrative: dict[str, NarrativeFigure] = field(default_factory=dict)
    # Tokens of rows that could not be read cell by cell (e.g. digits run together), keyed by
    # (section, row): the input of the recovery step.
    unread_rows: dict[tuple[str, str], list[Token]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    text: str = ""
    # What the recovery weighed for each unread row, keyed like unread_rows: `govstats parse --explain` shows it.
    recovery_notes: dict[tuple[str, str], str] = field(default_factory=dict)

    def cells(self):
        """Every table cell as (section, row, column, cell)."""
        for section in ("proactive", "requests", "review_litigation"):
            for row, columns in getattr(self, section).items():
                for column, cell in columns.items():
                    yield section, row, column, cell

    def value(self, section: str, row: str, column: str):
        """The number in a cell, or None when it is not a number."""
        cell = getattr(self, section).get(row, {}).get(column)
        return cell.value if cell is not None and cell.is_number else None


@dataclass(frozen=True)
class CheckResult:
    """One check: what should hold (expected), what the report prints (found), and whether they agree."""

    report_id: str
    check: str
    where: str
    expected: float | None
    found: float | None
    passed: bool | None
    detail: str = ""


# ---------------------------------------------------------------------------------- work plans (政务公开工作要点)


@dataclass(frozen=True)
class TaskUnit:
    """One responsible unit (责任单位) of a task, as printed with wraps joined, and the lines it stands on."""

    name: str
    location: str


@dataclass
class Task:
    """One row of the task table. ``location`` spans the row; each field has its own location as well.

    ``name_inherited`` is true when the row's 任务名称 cell was blank (merged) and the name continues the one
    above; ``name_location`` then points at the lines where that name is printed.
    """

    number: int
    section: str | None
    name: str | None
    content: str
    units: list[TaskUnit]
    deadline: str | None
    deadline_kind: str | None
    deadline_month: int | None
    location: str
    number_location: str = ""
    section_location: str = ""
    name_location: str = ""
    content_location: str = ""
    deadline_location: str = ""
    name_inherited: bool = False

    @property
    def unit_names(self) -> list[str]:
        """The responsible units' names, in printed order."""
        return [unit.name for unit in self.units]


@dataclass(frozen=True)
class BodyPoint:
    """A numbered point (``12.``) of the plan's body, with its chapter and sub-heading."""

    number: int
    section: str | None
    heading: str | None
    location: str


@dataclass(frozen=True)
class PlanSection:
    """A chapter of the plan (``一、…``) as printed in the task table, and the tasks under it."""

    title: str
    first_task: int | None
    last_task: int | None
    location: str


@dataclass(kw_only=True)
class WorkPlan(Metadata):
    """A 政务公开工作要点: metadata, the task table, the body's points, checks and reading problems.

    ``metadata_location`` gives the line of every metadata value (agency, doc_number, issued, title).
    ``report_id`` is the document's name, as for a :class:`Report`.
    """

    report_id: str
    flavor: str = "text"
    document: str = "work_plan"
    doc_number: str | None = None
    issued: str | None = None  # ISO date, e.g. "2024-04-10"
    metadata_location: dict[str, str] = field(default_factory=dict)
    sections: list[PlanSection] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    body_points: list[BodyPoint] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def task(self, number: int) -> Task:
        """The task with this number (KeyError when the table has none)."""
        for task in self.tasks:
            if task.number == number:
                return task
        raise KeyError(number)
