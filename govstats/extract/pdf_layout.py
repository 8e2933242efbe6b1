"""What a PDF reader hands on: pages of text lines and ruled tables (grids), and how they become lines.

Every PDF reader of :mod:`govstats.extract` (pypdfium2's fast path, pdfplumber) returns a :class:`PdfReading`:
per page, its items in reading order, each a text line or a :class:`Grid` (one ruled table, cells as printed). A
reading becomes the parser's :class:`~govstats.model.SourceText` through :meth:`PdfReading.source`, which joins
tables continued over a page break (repeated header rows dropped, a group label cut in two rejoined) on a copy, so
the reading itself stays as the reader saw it and can be compared with another reader's.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from ..model import Line, SourceText
from ..textnorm import PAGE_FOOTER

_VALUE = re.compile(r"^(?:-?\d[\d,]*(?:\.\d+)?(?:[（(].*[)）])?|/|-|—|－)$")
_NUMBER = re.compile(r"^-?\d[\d,]*(?:\.\d+)?")
_ORDINAL = re.compile(r"^(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|\d+[.、．]|第)")
_PAGE_OF = re.compile(r"^\d+\s*/\s*\d+$")  # "3 / 6": a PDF viewer's footer, not a line of the report
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_WRAP = re.compile(r"\s*\n\s*")


@dataclass
class Grid:
    """One ruled table of one page as a reader reads it, with what is needed to join it across pages."""

    page: int
    index: int
    top: float
    bottom: float
    rows: list[list[str]]
    bbox: tuple[float, float, float, float]
    # column -> row of the (possibly merged) cell that covers the table's last row, where that cell starts in
    # the column: a group label cut by a page break continues there.
    bottom_cells: dict[int, int] = field(default_factory=dict)
    dropped: set[int] = field(default_factory=set)  # repeated header rows not to emit
    # (row, column) -> the reader that gave a cell, where it is not the reading's own (set by reconciliation)
    replaced: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    def where(self, row: int, column: int | None = None) -> str:
        text = f"page {self.page}, table {self.index}, row {row + 1}"
        return text if column is None else f"{text}, column {column + 1}"


@dataclass
class Page:
    """A page's content in reading order: (top, kind, payload) with kind "line" (a Line) or "table" (a Grid)."""

    number: int
    items: list[tuple[float, str, object]]


@dataclass
class PdfReading:
    """One reader's reading of a whole PDF."""

    path: str
    reader: str  # pdfium, pdfplumber
    pages: list[Page]
    heights: dict[int, float]  # page number -> height (points), to place another reader's tables on the page
    characters: int = 0  # printed characters on all pages (not spaces): none means a scan

    @property
    def grids(self) -> list[Grid]:
        return [payload for page in self.pages for _, kind, payload in page.items if kind == "table"]

    def source(self, checks: list | None = None) -> SourceText:
        """The reading as the parser's lines (continued tables joined on a copy); ``checks`` as the reader's."""
        pages = [Page(page.number, [_copied(item) for item in page.items]) for page in self.pages]
        join_continued_tables(pages)
        lines = emit_lines(pages, self.reader)
        return SourceText(self.path, "pdf", lines, pages=len(pages), checks=list(checks or []))


def _copied(item: tuple[float, str, object]) -> tuple[float, str, object]:
    """A page item that joining tables may change (a grid's rows and dropped rows) copied; lines are immutable."""
    top, kind, payload = item
    if kind != "table":
        return item
    grid = copy.copy(payload)
    grid.rows = [list(row) for row in payload.rows]
    grid.dropped = set(payload.dropped)
    return top, kind, grid


# --- text of a line or a cell -----------------------------------------------------------------------------------


def line_text(text: str) -> str:
    return _one_space(text).strip()


def cell_text(text: str | None) -> str:
    """A cell's text on one line: wrapped lines are rejoined without a break (CJK wraps mid-word)."""
    if not text:
        return ""
    if "\n" in text:  # most cells hold one line: no need to look for a break
        text = _WRAP.sub("", text)
    return _one_space(text).strip()


def _one_space(text: str) -> str:
    """Every run of spaces (tabs, ideographic and no-break spaces too) as one space."""
    if "  " in text or "\t" in text or "\u3000" in text or "\xa0" in text:
        return _SPACES.sub(" ", text)
    return text  # spaces stand alone already (a text reader's lines mostly): no need for the pattern


def is_footer(text: str, top: float, height: float) -> bool:
    """Page numbers (``- 4 -``, ``第 4 页``, ``3 / 6``); a bare number only in the bottom margin."""
    if PAGE_FOOTER.match(text) or _PAGE_OF.match(text):
        return True
    return text.isdigit() and top > height * 0.9


def is_value_cell(text: str) -> bool:
    """One value as printed: a number (with its note), "/" or "-". "1 4" is two values, not one."""
    return bool(_VALUE.match(text.strip()))


def number(text: str | None) -> float | None:
    """The number a value cell prints (its note dropped); None for "/", "-", blanks and labels."""
    if not is_value_cell(text or ""):
        return None
    match = _NUMBER.match(text.strip())
    return float(match.group().replace(",", "")) if match else None


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- tables continued on the next page ---------------------------------------------------------------------------


def join_continued_tables(pages: list[Page]) -> None:
    """A table cut by a page break: drop its repeated header rows and rejoin a group label cut in two.

    A page that ends with a table followed by a page that starts with one is taken as one table continued. The
    parts may differ in width (merged label columns hide inner rules on one page): labels are rejoined only when
    the columns line up.
    """
    origin, carried = None, None  # the table's first part, and the part carried onto the page before
    for before, after in zip(pages, pages[1:], strict=False):
        last, first = _last_table(before), _first_table(after)
        if last is None or first is None:
            origin, carried = None, None
            continue
        origin = origin if last is carried else last
        _drop_repeated_header(origin, first)
        if last.width == first.width:
            rejoin_labels(last, first)
        carried = first


def _last_table(page: Page) -> Grid | None:
    return page.items[-1][2] if page.items and page.items[-1][1] == "table" else None


def _first_table(page: Page) -> Grid | None:
    return page.items[0][2] if page.items and page.items[0][1] == "table" else None


def _drop_repeated_header(origin: Grid, grid: Grid) -> None:
    header = []
    for row in origin.rows:
        if any(number(cell) is not None for cell in row):
            break
        header.append(_squeeze(row))
    for index, row in enumerate(grid.rows):
        if not header or _squeeze(row) not in header:
            break
        grid.dropped.add(index)


def rejoin_labels(before: Grid, after: Grid) -> None:
    """``（四）无`` at the foot of one page and ``法提供`` at the head of the next are one label.

    So are ``2.没有现成信息需要另行制`` and ``作`` when a row itself breaks over the page (LibreOffice does that).
    The fragment has no ordinal of its own, and either a row label stands right of it (it is a group label) or
    nothing does (the rest of a broken row): a row's own label, next to its values, is never glued to the row above.
    """
    first = next((n for n in range(len(after.rows)) if n not in after.dropped), None)
    if first is None:
        return
    row = after.rows[first]
    for column, text in enumerate(row):
        start = before.bottom_cells.get(column)
        if start is None or not text or is_value_cell(text) or _ORDINAL.match(text):
            continue
        right = [cell for cell in row[column + 1 :] if cell]
        group_label = any(not is_value_cell(cell) for cell in right)
        if (group_label or not right) and before.rows[start][column]:
            before.rows[start][column] += text
            after.rows[first][column] = ""


def _squeeze(row: list[str]) -> tuple[str, ...]:
    return tuple(re.sub(r"\s+", "", cell) for cell in row if cell)


# --- output -----------------------------------------------------------------------------------------------------


def emit_lines(pages: list[Page], reader: str) -> list[Line]:
    """One line per text line, one per table row (cells joined by a tab); each names the reader that gave it."""
    lines = []
    for page in pages:
        for _, kind, payload in page.items:
            if kind == "line":
                lines.append(payload)
                continue
            for index, row in enumerate(payload.rows):
                if index not in payload.dropped and any(row):
                    lines.append(Line("\t".join(row), payload.where(index), _row_reader(payload, index, reader)))
    return lines


def _row_reader(grid: Grid, row: int, reader: str) -> str:
    """``pdfium``, or ``pdfium; column 4: camelot`` where reconciliation took a cell from another reader."""
    if not grid.replaced:
        return reader
    others = [f"column {c + 1}: {name}" for (r, c), name in sorted(grid.replaced.items()) if r == row]
    return "; ".join([reader, *others])
