"""PDF reader: ruled tables become tab-separated rows, everything else the page's text lines.

pdfplumber reads the ruled tables (its cells are assigned by character centres, which is robust to odd font
metrics); camelot's lattice parser reads them a second time, independently, when ``cross_check`` is on. The two
readings are compared cell by cell: where they disagree, the reading that satisfies more identities (勾稽关系, see
:mod:`govstats.checks`) wins, and every disagreement is kept in ``SourceText.checks``. camelot is known to shift
text down one row in PDFs whose fonts declare zero ascent/descent (LibreOffice with Noto Serif CJK); such a table
is detected against pdfplumber's rows and camelot's reading of it is not trusted.

A PDF without ruled tables is read from its text layer alone, one line per printed line (``"page N, line M"``);
a PDF without any text layer (a scan) raises :class:`~govstats.errors.NoTextLayer`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from .. import codebook
from ..errors import NoTextLayer, UnknownFormat
from ..model import Cell, CheckResult, Line, Report, SourceText
from ..validate.checks import request_checks, review_checks

READERS_AGREE = "pdf_readers_agree"  # pdfplumber and camelot read a table's cells alike
CAMELOT_ROW_SHIFT = "pdf_camelot_row_shift"  # camelot put a table's text one row too low

# camelot's line-detection engine: "vector" reads the ruling lines drawn in the PDF (no rendering, ~10x faster);
# "combined" also renders each page (pdfium) and detects lines with OpenCV. benchmarks/pdf_speed.py times both.
CAMELOT_ENGINE = "vector"

_VALUE = re.compile(r"^(?:-?\d[\d,]*(?:\.\d+)?(?:[（(].*[)）])?|/|-|—|－)$")
_NUMBER = re.compile(r"^-?\d[\d,]*(?:\.\d+)?")
_ORDINAL = re.compile(r"^(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|\d+[.、．]|第)")
_FOOTER = re.compile(r"^(?:[-—–－]\s*\d+\s*[-—–－]|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_WRAP = re.compile(r"\s*\n\s*")

_REVIEW_WIDTH = 15  # section 四: one row of fifteen numbers
_REQUEST_WIDTH = 7  # section 三: six applicant columns and the total


@dataclass
class _Grid:
    """One ruled table of one page as pdfplumber reads it, with what is needed to join it across pages."""

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

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    def where(self, row: int, column: int | None = None) -> str:
        text = f"page {self.page}, table {self.index}, row {row + 1}"
        return text if column is None else f"{text}, column {column + 1}"


@dataclass
class _Page:
    """A page's content in reading order: (top, kind, payload) with kind "line" or "table"."""

    number: int
    items: list[tuple[float, str, object]]


def read_pdf(
    path: str | Path, data: bytes, *, cross_check: bool = True, camelot_engine: str = CAMELOT_ENGINE
) -> SourceText:
    """Read a PDF into lines: one per text line, one per table row (cells joined by a tab).

    ``cross_check`` reads the ruled tables a second time with camelot (lattice) and reconciles the two readings;
    its records are in ``SourceText.checks``.
    """
    path = Path(path)
    with _open(path, data) as pdf:
        if not any(page.chars for page in pdf.pages):
            raise NoTextLayer(str(path), f"none of its {len(pdf.pages)} pages has text (a scan?): it needs OCR first")
        pages = [_read_page(page) for page in pdf.pages]
        heights = {page.page_number: float(page.height) for page in pdf.pages}
    grids = [payload for page in pages for _, kind, payload in page.items if kind == "table"]
    checks: list[CheckResult] = []
    if cross_check and grids:
        checks = _cross_check(str(path), data, grids, heights, camelot_engine)
    _join_continued_tables(pages)
    return SourceText(path=str(path), flavor="pdf", lines=_lines(pages), pages=len(pages), checks=checks)


def _open(path: Path, data: bytes) -> pdfplumber.PDF:
    try:
        pdf = pdfplumber.open(BytesIO(data))
        pdf.pages  # noqa: B018 - the page tree is parsed here, and a broken file fails here
    except (PdfminerException, PDFSyntaxError, ValueError, TypeError, KeyError) as error:
        raise UnknownFormat(str(path), f"not a readable PDF ({error})") from None
    return pdf


# --- pdfplumber: one page --------------------------------------------------------------------------------------


def _read_page(page) -> _Page:
    tables = [t for t in page.find_tables() if _width(t) >= 2]  # one-column "tables" are framed prose
    grids = [_grid(page.page_number, number, table) for number, table in enumerate(tables, start=1)]
    boxes = [grid.bbox for grid in grids]
    # The text outside the tables, as page.extract_text() lays it out, with each line's position.
    prose = page.filter(lambda obj: obj.get("object_type") != "char" or not _inside(obj, boxes)) if boxes else page
    items: list[tuple[float, str, object]] = []
    for number, line in enumerate(prose.extract_text_lines(return_chars=False), start=1):
        text = _SPACES.sub(" ", line["text"]).strip()
        if text and not _is_footer(text, line, page):
            items.append((line["top"], "line", Line(text, f"page {page.page_number}, line {number}")))
    items.extend((grid.top, "table", grid) for grid in grids)
    items.sort(key=lambda item: item[0])
    return _Page(page.page_number, items)


def _width(table) -> int:
    return max((len(row.cells) for row in table.rows), default=0)


def _inside(obj: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _is_footer(text: str, line: dict, page) -> bool:
    """Page numbers (``- 4 -``, ``第 4 页``); a bare number only in the bottom margin."""
    if _FOOTER.match(text):
        return True
    return text.isdigit() and line["top"] > page.height * 0.9


def _cell_text(text: str | None) -> str:
    """A cell's text on one line: wrapped lines are rejoined without a break (CJK wraps mid-word)."""
    if not text:
        return ""
    return _SPACES.sub(" ", _WRAP.sub("", text)).strip()


def _grid(page_number: int, index: int, table) -> _Grid:
    rows = [[_cell_text(cell) for cell in row] for row in table.extract()]
    x0, top, x1, bottom = table.bbox
    grid = _Grid(page_number, index, top, bottom, rows, (x0, top, x1, bottom))
    grid.bottom_cells = _bottom_cells(table)
    return grid


def _bottom_cells(table) -> dict[int, int]:
    """For each column, the row where the cell covering the table's last row starts (if it starts in that column)."""
    columns = sorted({round(cell[0], 1) for cell in table.cells})
    tops = [round(row.bbox[1], 1) for row in table.rows]
    bottom = table.bbox[3]
    found = {}
    for cell in table.cells:
        if abs(cell[3] - bottom) > 1 or round(cell[1], 1) not in tops:
            continue
        column = columns.index(round(cell[0], 1))
        found[column] = tops.index(round(cell[1], 1))
    return found


# --- tables continued on the next page ---------------------------------------------------------------------------


def _join_continued_tables(pages: list[_Page]) -> None:
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
            _rejoin_labels(last, first)
        carried = first


def _last_table(page: _Page) -> _Grid | None:
    return page.items[-1][2] if page.items and page.items[-1][1] == "table" else None


def _first_table(page: _Page) -> _Grid | None:
    return page.items[0][2] if page.items and page.items[0][1] == "table" else None


def _drop_repeated_header(origin: _Grid, grid: _Grid) -> None:
    header = []
    for row in origin.rows:
        if any(_is_number(cell) for cell in row):
            break
        header.append(_squeeze(row))
    for number, row in enumerate(grid.rows):
        if not header or _squeeze(row) not in header:
            break
        grid.dropped.add(number)


def _rejoin_labels(before: _Grid, after: _Grid) -> None:
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
        if start is None or not text or _is_value_cell(text) or _ORDINAL.match(text):
            continue
        right = [cell for cell in row[column + 1 :] if cell]
        group_label = any(not _is_value_cell(cell) for cell in right)
        if (group_label or not right) and before.rows[start][column]:
            before.rows[start][column] += text
            after.rows[first][column] = ""


def _squeeze(row: list[str]) -> tuple[str, ...]:
    return tuple(re.sub(r"\s+", "", cell) for cell in row if cell)


# --- output -----------------------------------------------------------------------------------------------------


def _lines(pages: list[_Page]) -> list[Line]:
    lines = []
    for page in pages:
        for _, kind, payload in page.items:
            if kind == "line":
                lines.append(payload)
                continue
            for number, row in enumerate(payload.rows):
                if number not in payload.dropped and any(row):
                    lines.append(Line("\t".join(row), payload.where(number)))
    return lines


# --- camelot cross-check ----------------------------------------------------------------------------------------


def _cross_check(
    path: str, data: bytes, grids: list[_Grid], heights: dict[int, float], engine: str
) -> list[CheckResult]:
    """Read the same tables with camelot and reconcile the two readings cell by cell."""
    second = _camelot_tables(data, sorted({grid.page for grid in grids}), heights, engine)
    results = []
    for grid in grids:
        match = _match(grid, second.get(grid.page, []))
        if match is None:
            results.append(_record(path, grid, None, None, "camelot found no table here: not compared"))
            continue
        if len(match) != len(grid.rows) or any(len(row) != len(grid.rows[0]) for row in match):
            shape = f"{len(grid.rows)}x{grid.width} vs {len(match)}x{len(match[0]) if match else 0}"
            results.append(_record(path, grid, None, None, f"table shapes differ ({shape}): not compared"))
            continue
        results.extend(_reconcile(path, grid, match, grids))
    return results


def _camelot_tables(data: bytes, pages: list[int], heights: dict[int, float], engine: str) -> dict[int, list]:
    """camelot's tables by page: (top, bottom, cells as camelot wrote them), in pdfplumber's coordinates."""
    import camelot  # imported here: it is slow to import and only needed for the cross-check

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # camelot warns for every page without a table
        tables = camelot.read_pdf(
            data, pages=",".join(map(str, pages)), flavor="lattice", engine=engine, suppress_stdout=True
        )
    found: dict[int, list] = {}
    for table in tables:
        page = int(table.page)
        _, y1, _, y2 = table._bbox  # PDF coordinates, origin bottom left
        raw = [[str(cell) for cell in row] for row in table.df.values.tolist()]
        found.setdefault(page, []).append((heights[page] - y2, heights[page] - y1, raw))
    return found


def _match(grid: _Grid, candidates: list) -> list[list[str]] | None:
    """camelot's raw reading of the table that overlaps ``grid`` most, if any."""
    best, overlap = None, 0.0
    for top, bottom, raw in candidates:
        shared = min(bottom, grid.bottom) - max(top, grid.top)
        if shared > overlap:
            best, overlap = raw, shared
    return best if best is not None and overlap > 0.5 * (grid.bottom - grid.top) else None


def _reconcile(path: str, grid: _Grid, other: list[list[str]], grids: list[_Grid]) -> list[CheckResult]:
    shifted = _row_shift(grid, other)
    results = []
    if shifted:
        detail = f"camelot put {shifted} pieces of text one row below where pdfplumber's word boxes are: not trusted"
        results.append(_record(path, grid, None, False, detail, check=CAMELOT_ROW_SHIFT))
    agree = 0
    for r, row in enumerate(grid.rows):
        for c, mine in enumerate(row):
            theirs = _second_text(other[r][c])
            if _squash(mine) == _squash(theirs):
                agree += 1
            elif _is_value_cell(mine) or _is_value_cell(theirs):
                results.append(_settle(path, grid, (r, c), theirs, grids, shifted))
    summary = f"{agree} cells read alike by pdfplumber and camelot"
    return [_record(path, grid, None, not shifted and len(results) == 0, summary), *results]


def _second_text(text: str) -> str:
    """camelot's cell on one line; two numbers on two lines stay apart (``"1 4"``), so they are never one value."""
    return _cell_text(re.sub(r"(?<=\d)\s*\n\s*(?=\d)", " ", text))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _is_value_cell(text: str) -> bool:
    """One value as printed: a number (with its note), "/" or "-". "1 4" is two values, not one."""
    return bool(_VALUE.match(text.strip()))


def _row_shift(grid: _Grid, other: list[list[str]]) -> int:
    """How many pieces of camelot's text sit one row below the row pdfplumber's word boxes put them in.

    Only cells the two readers dispute are looked at; two or more pieces found one row too low make a systematic
    shift (zero font ascent/descent: camelot then files each line of text under the row below its own).
    """
    down = 0
    for r in range(1, len(grid.rows)):
        for c, cell in enumerate(other[r]):
            if _squash(cell) == _squash(grid.rows[r][c]):
                continue
            for piece in filter(None, (_squash(p) for p in cell.split("\n"))):
                if not _contains(grid.rows[r][c], piece) and _contains(grid.rows[r - 1][c], piece):
                    down += 1
    return down if down >= 2 else 0


def _contains(cell: str, piece: str) -> bool:
    cell = _squash(cell)
    return piece == cell if _VALUE.match(piece) else len(piece) >= 2 and piece in cell


def _settle(
    path: str, grid: _Grid, cell: tuple[int, int], theirs: str, grids: list[_Grid], shifted: int
) -> CheckResult:
    """Choose between pdfplumber's and camelot's reading of one cell; the identities decide."""
    r, c = cell
    mine = grid.rows[r][c]
    if shifted or not _is_value_cell(theirs) or not _is_value_cell(mine):
        why = "camelot's table is shifted down a row" if shifted else "one reading is not a single value"
        detail = f"pdfplumber {mine!r} kept over camelot {theirs!r}: {why}"
        return _record(path, grid, cell, False, detail, kept=mine, rejected=theirs)
    kept = _identities_passed(grids)
    grid.rows[r][c] = theirs
    offered = _identities_passed(grids)
    if offered > kept:
        detail = f"camelot {theirs!r} replaces pdfplumber {mine!r}: {offered} identities hold with it, {kept} without"
        return _record(path, grid, cell, False, detail, kept=theirs, rejected=mine)
    grid.rows[r][c] = mine
    reason = f"{kept} identities hold with it, {offered} without" if kept > offered else "no identity decides"
    detail = f"pdfplumber {mine!r} kept over camelot {theirs!r}: {reason}"
    return _record(path, grid, cell, False, detail, kept=mine, rejected=theirs)


def _record(
    path: str,
    grid: _Grid,
    cell: tuple[int, int] | None,
    passed: bool | None,
    detail: str,
    *,
    kept: str = "",
    rejected: str = "",
    check: str = READERS_AGREE,
) -> CheckResult:
    """One reader check: ``expected`` is the number kept for the cell, ``found`` the one set aside."""
    where = grid.where(*cell) if cell is not None else f"page {grid.page}, table {grid.index}"
    return CheckResult(path, check, where, _number(kept), _number(rejected), passed, detail)


# --- identities on the grids ------------------------------------------------------------------------------------


def _number(text: str | None) -> float | None:
    if not _is_value_cell(text or ""):
        return None
    match = _NUMBER.match(text.strip())
    return float(match.group().replace(",", "")) if match else None


def _is_number(text: str) -> bool:
    return _number(text) is not None


def _numeric_tail(row: list[str], width: int) -> list[str] | None:
    """The last ``width`` cells of a row when they are all values (or blank) and at least one is a number."""
    if len(row) < width:
        return None
    tail = row[-width:]
    if all(not cell or _is_value_cell(cell) for cell in tail) and any(_is_number(cell) for cell in tail):
        return tail
    return None


def _identities_passed(grids: list[_Grid]) -> int:
    """How many of identities 1-4 hold on the tables as read (section 三 by printed row order, 四 by position)."""
    requests, reviews = [], []
    for grid in grids:
        for row in grid.rows:
            review = _numeric_tail(row, _REVIEW_WIDTH)
            if review is not None and len(row) == _REVIEW_WIDTH:
                reviews.append(review)
                continue
            request = _numeric_tail(row, _REQUEST_WIDTH)
            if request is not None and any(cell and not _is_value_cell(cell) for cell in row):
                requests.append(request)
    report = Report(source="cross-check", format_version=codebook.FORMAT_2021)
    _fill_requests(report, requests)
    if reviews:
        _fill_reviews(report, reviews[0])
    results = request_checks(report) + review_checks(report)
    return sum(1 for result in results if result.passed)


def _fill_requests(report: Report, rows: list[list[str]]) -> None:
    for one_row_other in (False, True):
        codes = [e.code for e in codebook.request_rows(codebook.FORMAT_2021, one_row_other=one_row_other)]
        if len(codes) == len(rows):
            report.one_row_other = one_row_other
            columns = codebook.applicants()
            report.requests = {
                code: {col: Cell(_number(text)) for col, text in zip(columns, row, strict=True)}
                for code, row in zip(codes, rows, strict=True)
            }
            return


def _fill_reviews(report: Report, row: list[str]) -> None:
    outcomes = codebook.outcomes()
    cells = iter(row)
    report.review_litigation = {
        proceeding: {outcome: Cell(_number(next(cells))) for outcome in outcomes}
        for proceeding in codebook.proceedings()
    }
