"""The fast PDF reader: pypdfium2's text layer, tables rebuilt from character boxes and the page's ruling lines.

pdfium (through pypdfium2) gives each character's box and each drawn path's segments; :mod:`.pdf_lattice` turns
the straight horizontal and vertical segments into ruling lines, the ruling lines into cells and tables, and the
characters into cell texts and text lines. About twenty times faster than pdfminer's layout analysis (what
pdfplumber builds on), it reads the same cells: the tests hold it cell-exact on every PDF fixture and the real
report without any cross-check.

pdfium is not thread-safe: read PDFs in processes, not threads (the build does).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..model import Line
from . import pdf_lattice as lattice
from .pdf_layout import Grid, Page, PdfReading, cell_text, is_footer, line_text

READER = "pdfium"
_SKIP, _SPACE = 0, 1
# pdfium's generated line ends, soft-hyphen markers and NULs are skipped; spaces only separate words
_SPECIAL = dict.fromkeys("\n\r\x02\ufffe\x00", _SKIP) | dict.fromkeys(" \t\xa0\u3000", _SPACE)
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _unchecked(function, restype, *argtypes):
    """The same pdfium function taking and returning plain addresses: no pointer objects made per call (the
    page's objects are walked one by one, thousands of them, for the few that are ruling lines)."""
    address = ctypes.cast(function, ctypes.c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_ADDRESS = ctypes.c_void_p
_PAGE_OBJECT = _unchecked(pdfium_c.FPDFPage_GetObject, _ADDRESS, _ADDRESS, ctypes.c_int)
_FORM_OBJECT = _unchecked(pdfium_c.FPDFFormObj_GetObject, _ADDRESS, _ADDRESS, ctypes.c_ulong)
_LOOSE_BOX = _unchecked(pdfium_c.FPDFText_GetLooseCharBox, ctypes.c_int, _ADDRESS, ctypes.c_int, _ADDRESS)
_KIND = _unchecked(pdfium_c.FPDFPageObj_GetType, ctypes.c_int, _ADDRESS)
_OBJECT = pdfium_c.FPDF_PAGEOBJECT
_AXIS = 0.5  # a segment whose ends differ by less than this across its direction is horizontal (or vertical)


@dataclass
class _Geometry:
    chars: list[lattice.Char]
    horizontal: list[tuple[float, float, float]]
    vertical: list[tuple[float, float, float]]
    height: float


def read_pdfium(path: str, data: bytes) -> PdfReading:
    """Read every page of a PDF; pdfium's errors (not a PDF, a password) propagate to the caller to be named."""
    document = pdfium.PdfDocument(data)
    try:
        pages, heights, characters = [], {}, 0
        for index in range(len(document)):
            page = document[index]
            try:
                geometry = _geometry(page)
            finally:
                page.close()
            characters += len(geometry.chars)
            pages.append(_layout(index + 1, geometry))
            heights[index + 1] = geometry.height
    finally:
        document.close()
    return PdfReading(path, READER, pages, heights, characters)


# --- pdfium: characters and ruling lines -------------------------------------------------------------------------


def _geometry(page: pdfium.PdfPage) -> _Geometry:
    left, bottom, right, top = page.get_bbox()
    textpage = page.get_textpage()
    try:
        chars = _chars(textpage, top)
    finally:
        textpage.close()
    horizontal: list[tuple[float, float, float]] = []
    vertical: list[tuple[float, float, float]] = []
    page_address = ctypes.cast(page.raw, _ADDRESS).value
    count = pdfium_c.FPDFPage_CountObjects(page.raw)
    _objects(page_address, count, _PAGE_OBJECT, _IDENTITY, top, (horizontal, vertical))
    return _Geometry(chars, horizontal, vertical, top - bottom)


def _chars(textpage: pdfium.PdfTextPage, top: float) -> list[lattice.Char]:
    """Every printed character: its box (the font's full glyph box, as pdfminer measures it), top-down, the
    bottom of that box (where the characters of one printed line stand, whatever their font's ascent), and the
    space that came before it in the text stream (0 none, 1 put in by pdfium for a gap, 2 printed)."""
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    text = textpage.get_text_range() if count > 0 else ""
    if len(text) != count:  # the text view leaves out or adds characters (or pairs UTF-16 halves): go one by one
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, index)) for index in range(count))
    box = pdfium_c.FS_RECTF()
    box_address, textpage_address = ctypes.addressof(box), ctypes.cast(raw, _ADDRESS).value
    generated = pdfium_c.FPDFText_IsGenerated
    special = _SPECIAL.get
    chars = []
    append = chars.append
    spaced = 0
    for index, char in enumerate(text):
        kind = special(char)
        if kind is not None:
            if kind == _SPACE:
                spaced = max(spaced, 1 if generated(raw, index) else 2)
            continue
        if _LOOSE_BOX(textpage_address, index, box_address):
            low = top - box.bottom
            append((box.left, top - box.top, box.right, low, char, low, spaced))
            spaced = 0
    return chars


def _objects(parent: int, count: int, object_of, matrix: tuple, top: float, segments: tuple[list, list]) -> None:
    """The straight horizontal and vertical segments that painted paths draw, inside forms too, top-down."""
    path, form = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    for index in range(count):
        address = object_of(parent, index)
        kind = _KIND(address)
        if kind != path and kind != form:
            continue
        obj = ctypes.cast(address, _OBJECT)
        inner = _compose(matrix, _matrix_of(obj))
        if kind == form:
            _objects(address, pdfium_c.FPDFFormObj_CountObjects(obj), _FORM_OBJECT, inner, top, segments)
        elif _painted(obj):
            _path(obj, inner, top, *segments)


def _path(obj, matrix: tuple, top: float, horizontal: list, vertical: list) -> None:
    x, y = ctypes.c_float(), ctypes.c_float()
    start = previous = None
    for index in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, index)
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        point = _apply(matrix, x.value, y.value, top)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = previous = point
            continue
        if kind == pdfium_c.FPDF_SEGMENT_LINETO and previous is not None:
            _edge(previous, point, horizontal, vertical)
        previous = point
        if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
            _edge(point, start, horizontal, vertical)
            previous = start


def _painted(obj) -> bool:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke):
        return True
    return bool(fill.value or stroke.value)


def _edge(a: tuple[float, float], b: tuple[float, float], horizontal: list, vertical: list) -> None:
    if abs(a[1] - b[1]) < _AXIS and abs(a[0] - b[0]) >= 1:
        horizontal.append(((a[1] + b[1]) / 2, min(a[0], b[0]), max(a[0], b[0])))
    elif abs(a[0] - b[0]) < _AXIS and abs(a[1] - b[1]) >= 1:
        vertical.append(((a[0] + b[0]) / 2, min(a[1], b[1]), max(a[1], b[1])))


def _matrix_of(obj) -> tuple:
    matrix = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
        return _IDENTITY
    return (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)


def _compose(outer: tuple, inner: tuple) -> tuple:
    """The matrix of ``inner`` then ``outer`` (PDF row-vector convention: p' = p · inner · outer)."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _apply(matrix: tuple, x: float, y: float, top: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, top - (b * x + d * y + f)


# --- one page: tables, then the text around them -----------------------------------------------------------------


def _layout(number: int, geometry: _Geometry) -> Page:
    tables = [cells for cells in lattice.find_tables(geometry.horizontal, geometry.vertical) if _width(cells) >= 2]
    boxes = [lattice.bbox(cells) for cells in tables]
    indexes = [lattice.CellIndex(cells) for cells in tables]
    in_cells: list[list[list[lattice.Char]]] = [[[] for _ in cells] for cells in tables]
    prose = [] if boxes else geometry.chars
    for char in geometry.chars if boxes else ():
        x, y = (char[0] + char[2]) / 2, (char[1] + char[3]) / 2
        for table, (x0, t0, x1, t1) in enumerate(boxes):
            if x0 <= x <= x1 and t0 <= y <= t1:
                cell = indexes[table].find(x, y)
                if cell is not None:
                    in_cells[table][cell].append(char)
                break
        else:
            prose.append(char)
    items: list[tuple[float, str, object]] = []
    for line_number, (top, text) in enumerate(lattice.text_lines(prose), start=1):
        text = line_text(text)
        if text and not is_footer(text, top, geometry.height):
            items.append((top, "line", Line(text, f"page {number}, line {line_number}", READER)))
    for index, cells in enumerate(tables):
        grid = _grid(number, index + 1, cells, in_cells[index], boxes[index])
        items.append((grid.top, "table", grid))
    items.sort(key=lambda item: item[0])
    return Page(number, items)


def _width(cells: list[lattice.Box]) -> int:
    return max((len(row) for row in lattice.table_rows(cells)), default=0)


def _grid(page: int, index: int, cells: list[lattice.Box], chars: list[list[lattice.Char]], box) -> Grid:
    text_of = {cell: cell_text(lattice.cell_text(found)) for cell, found in zip(cells, chars, strict=True)}
    rows = lattice.table_rows(cells)
    texts = [[text_of[cell] if cell is not None else "" for cell in row] for row in rows]
    grid = Grid(page, index, box[1], box[3], texts, box)
    grid.bottom_cells = _bottom_cells(cells, rows, box[3])
    return grid


def _bottom_cells(cells: list[lattice.Box], rows: list[list[lattice.Box | None]], bottom: float) -> dict[int, int]:
    """For each column, the row where the cell covering the table's last row starts (if it starts in that column)."""
    columns = sorted({cell[0] for cell in cells})
    tops = [min(cell[1] for cell in row if cell is not None) for row in rows]
    found = {}
    for cell in cells:
        if abs(cell[3] - bottom) <= 1 and cell[1] in tops:
            found[columns.index(cell[0])] = tops.index(cell[1])
    return found
