"""The objects a parsed document is made of: cells with their provenance, and the report that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field

# Cell status: what was printed in the cell.
VALUE = "value"  # a number
BLANK = "blank"  # an empty cell: missing, never zero
SLASH = "slash"  # printed "/"
DASH = "dash"  # printed "-" (or "—")
MISSING = "missing"  # the row or table is not in the document (e.g. truncated)
UNREADABLE = "unreadable"  # text is there but could not be read into this cell; the printed run is kept
AMBIGUOUS = "ambiguous"  # several readings fit; candidates are listed, none is chosen

# How a value was obtained.
TABLE = "table"
RECOVERED = "recovered"
NARRATIVE = "narrative"
PROXY = "proxy"


@dataclass(frozen=True)
class Line:
    """One line of a document's text, with where it stands in the source file."""

    text: str
    where: str  # "line 12", "page 3, table 1, row 5", ...


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
    status: str = VALUE
    raw: str = ""
    location: str = ""
    method: str = TABLE
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


@dataclass
class Report:
    """One annual report: metadata, the three tables as cells, prose figures and what went wrong reading it."""

    source: str
    flavor: str = "text"
    document: str = "annual_report"
    agency: str | None = None
    level: str | None = None
    scope: str | None = None
    region: str | None = None
    parent: str | None = None
    year: int | None = None
    format_version: str | None = None
    title: str | None = None
    one_row_other: bool = False
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

    @property
    def report_id(self) -> str:
        return self.source

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
