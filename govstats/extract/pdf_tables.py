"""The independent readers of ruled tables: pdfplumber (a whole reading) and camelot (its tables' cells).

They are slower than the fast path (:mod:`.pdf_text`) and are the cross-check: the reconciliation stage
(:mod:`govstats.validate.readings`) reads a PDF with them when the fast reading breaks an identity, leaves cells
unread or disagrees with the prose, or always when asked to. Neither judges anything: they return what they read.

pdfplumber assigns a table's characters to cells by their centres (robust to odd font metrics). camelot's lattice
parser finds the same ruled tables again, independently; it is known to shift text down one row in PDFs whose
fonts declare zero ascent/descent (LibreOffice with Noto Serif CJK), which reconciliation detects.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO

from ..model import Line
from .pdf_layout import Grid, Page, PdfReading, cell_text, is_footer, line_text

READER = "pdfplumber"

# camelot's line-detection engine: "vector" reads the ruling lines drawn in the PDF (no rendering, ~10x faster);
# "combined" also renders each page (pdfium) and detects lines with OpenCV. benchmarks/run.py times both.
CAMELOT_ENGINE = "vector"


@dataclass
class CamelotTable:
    """One table as camelot read it: where it stands (pdfplumber's top-down coordinates) and its raw cells."""

    page: int
    top: float
    bottom: float
    cells: list[list[str]]  # as camelot wrote them: a wrapped cell keeps its line breaks


def read_pdfplumber(path: str, data: bytes) -> PdfReading:
    """Read every page with pdfplumber; its errors (pdfminer's) propagate to the caller to be named."""
    import pdfplumber  # imported here: only the cross-check needs it

    with pdfplumber.open(BytesIO(data)) as pdf:
        pages = [_read_page(page) for page in pdf.pages]
        heights = {page.page_number: float(page.height) for page in pdf.pages}
        characters = sum(1 for page in pdf.pages for char in page.chars if not char["text"].isspace())
    return PdfReading(path, READER, pages, heights, characters)


def _read_page(page) -> Page:
    tables = [t for t in page.find_tables() if _width(t) >= 2]  # one-column "tables" are framed prose
    grids = [_grid(page.page_number, number, table) for number, table in enumerate(tables, start=1)]
    boxes = [grid.bbox for grid in grids]
    # The text outside the tables, as page.extract_text() lays it out, with each line's position.
    prose = page.filter(lambda obj: obj.get("object_type") != "char" or not _inside(obj, boxes)) if boxes else page
    items: list[tuple[float, str, object]] = []
    for number, line in enumerate(prose.extract_text_lines(return_chars=False), start=1):
        text = line_text(line["text"])
        if text and not is_footer(text, line["top"], float(page.height)):
            items.append((line["top"], "line", Line(text, f"page {page.page_number}, line {number}", READER)))
    items.extend((grid.top, "table", grid) for grid in grids)
    items.sort(key=lambda item: item[0])
    return Page(page.page_number, items)


def _width(table) -> int:
    return max((len(row.cells) for row in table.rows), default=0)


def _inside(obj: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _grid(page_number: int, index: int, table) -> Grid:
    rows = [[cell_text(cell) for cell in row] for row in table.extract()]
    x0, top, x1, bottom = table.bbox
    grid = Grid(page_number, index, top, bottom, rows, (x0, top, x1, bottom))
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


def read_camelot(data: bytes, pages: list[int], heights: dict[int, float], engine: str = CAMELOT_ENGINE) -> list:
    """camelot's lattice tables on the given pages, placed in top-down coordinates by the pages' heights."""
    import camelot  # imported here: it is slow to import and only needed for the cross-check

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # camelot warns for every page without a table
        tables = camelot.read_pdf(
            data, pages=",".join(map(str, pages)), flavor="lattice", engine=engine, suppress_stdout=True
        )
    found = []
    for table in tables:
        page = int(table.page)
        _, y1, _, y2 = table._bbox  # PDF coordinates, origin bottom left
        raw = [[str(cell) for cell in row] for row in table.df.values.tolist()]
        found.append(CamelotTable(page, heights[page] - y2, heights[page] - y1, raw))
    return found
