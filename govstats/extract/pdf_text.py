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
from itertools import repeat

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..model import Line
from . import pdf_lattice as lattice
from .pdf_layout import Grid, Page, PdfReading, cell_text, is_footer, line_text

READER = "pdfium"
_PRINTED, _SKIPPED, _SPACE = 0, 1, 2
# pdfium's generated line ends, soft-hyphen markers and NULs are skipped; spaces only separate words
_KIND_OF = np.zeros(0x10000, dtype=np.int8)  # by code point
_KIND_OF[[ord(char) for char in "\n\r\x02\ufffe\x00"]] = _SKIPPED
_KIND_OF[[ord(char) for char in " \t\xa0\u3000"]] = _SPACE
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _quick(function, restype, *argtypes):
    """pdfium's ``function`` made to be called a thousand times a page.

    Its prototype keeps the GIL (PYFUNCTYPE: releasing and taking it back costs more than the call itself),
    and given no argument types it converts no argument: ctypes passes ctypes objects as they are and Python
    ints as C ints (a cdecl prototype takes more arguments than it lists). So the arguments must be handles
    (kept as the typed pointers pdfium returned), ``byref`` pointers and ints, never an address as an int,
    which would be cut to 32 bits.
    """
    return ctypes.PYFUNCTYPE(restype, *argtypes)(ctypes.cast(function, ctypes.c_void_p).value)


_OBJECT = pdfium_c.FPDF_PAGEOBJECT
_PAGE_OBJECT = _quick(pdfium_c.FPDFPage_GetObject, _OBJECT)
_KIND = _quick(pdfium_c.FPDFPageObj_GetType, ctypes.c_int)
_LOOSE_BOX = _quick(pdfium_c.FPDFText_GetLooseCharBox, ctypes.c_int)
_GENERATED = _quick(pdfium_c.FPDFText_IsGenerated, ctypes.c_int)
_FORM_OBJECT = _quick(pdfium_c.FPDFFormObj_GetObject, _OBJECT, _OBJECT, ctypes.c_ulong)  # index: unsigned long
_COUNT_FORM = _quick(pdfium_c.FPDFFormObj_CountObjects, ctypes.c_int)
_MATRIX = _quick(pdfium_c.FPDFPageObj_GetMatrix, ctypes.c_int)
_DRAW_MODE = _quick(pdfium_c.FPDFPath_GetDrawMode, ctypes.c_int)
_COUNT_SEGMENTS = _quick(pdfium_c.FPDFPath_CountSegments, ctypes.c_int)
_SEGMENT = _quick(pdfium_c.FPDFPath_GetPathSegment, pdfium_c.FPDF_PATHSEGMENT)
_POINT = _quick(pdfium_c.FPDFPathSegment_GetPoint, ctypes.c_int)
_SEGMENT_KIND = _quick(pdfium_c.FPDFPathSegment_GetType, ctypes.c_int)
_CLOSES = _quick(pdfium_c.FPDFPathSegment_GetClose, ctypes.c_int)
_INT, _FLOAT = ctypes.sizeof(ctypes.c_int), ctypes.sizeof(ctypes.c_float)
_AXIS = 0.5  # a segment whose ends differ by less than this across its direction is horizontal (or vertical)


@dataclass
class _Geometry:
    chars: lattice.Chars
    horizontal: list[tuple[float, float, float]]
    vertical: list[tuple[float, float, float]]
    height: float


def read_pdfium(path: str, data: bytes) -> PdfReading:
    """Read every page of a PDF; pdfium's errors (not a PDF, a password) propagate to the caller to be named.

    pdfium reads all the pages first, then they are laid out: loading a page pushes the layout's code and data
    (numpy's above all) out of the processor's caches, and laid out back to back the pages find them there.
    """
    document = pdfium.PdfDocument(data)
    try:
        geometries, out = [], _Out()
        for index in range(len(document)):
            page = document[index]
            try:
                geometries.append(_geometry(page, out))
            finally:
                page.close()
    finally:
        document.close()
    numbered = list(enumerate(geometries, start=1))
    pages = [_layout(number, geometry) for number, geometry in numbered]
    heights = {number: geometry.height for number, geometry in numbered}
    return PdfReading(path, READER, pages, heights, sum(geometry.chars.count for geometry in geometries))


# --- pdfium: characters and ruling lines -------------------------------------------------------------------------


def _geometry(page: pdfium.PdfPage, out: _Out) -> _Geometry:
    left, bottom, right, top = page.get_bbox()
    textpage = page.get_textpage()
    try:
        chars = _chars(textpage, top, out)
    finally:
        textpage.close()
    horizontal: list[tuple[float, float, float]] = []
    vertical: list[tuple[float, float, float]] = []
    count = pdfium_c.FPDFPage_CountObjects(page.raw)
    _objects(page.raw, count, _PAGE_OBJECT, _IDENTITY, top, out, (horizontal, vertical))
    return _Geometry(chars, horizontal, vertical, top - bottom)


def _chars(textpage: pdfium.PdfTextPage, top: float, out: _Out) -> lattice.Chars:
    """Every printed character: its box (the font's full glyph box, as pdfminer measures it), top-down, the
    bottom of that box (where the characters of one printed line stand, whatever their font's ascent), and the
    space that came before it in the text stream (0 none, 1 put in by pdfium for a gap, 2 printed)."""
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    text = textpage.get_text_range() if count > 0 else ""
    if len(text) != count:  # the text view leaves out or adds characters (or pairs UTF-16 halves): go one by one
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, index)) for index in range(count))
    code = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    kind = _KIND_OF.take(code, mode="clip")  # every code past the table's end is a printed character
    candidates = np.flatnonzero(kind == _PRINTED)
    boxes, slots = out.boxes(len(candidates))
    # one call per character, made by map (no Python loop around it), each writing its box into its own slot
    found = np.fromiter(map(_LOOSE_BOX, repeat(raw), candidates.tolist(), slots), dtype=bool)
    boxes = np.frombuffer(boxes, dtype=np.float32, count=4 * len(candidates)).reshape(-1, 4)  # left, top, right, bottom
    boxes = boxes.astype(np.float64)  # a copy: the next page's boxes go where these are
    kept = candidates
    if not found.all():  # pdfium gave no box (an index it does not know): no character
        kept, boxes = candidates[found], boxes[found]
    spaced = _spaced(np.flatnonzero(kind == _SPACE), kept, raw)
    bottom = top - boxes[:, 3]
    return lattice.Chars(boxes[:, 0], top - boxes[:, 1], boxes[:, 2], bottom, bottom, code[kept], spaced)


def _spaced(spaces: np.ndarray, kept: np.ndarray, textpage) -> np.ndarray:
    """For each kept character, the strongest of the spaces since the kept character before it: 2 when one was
    printed, 1 when pdfium put them all in (characters without a box, like line ends, are passed over)."""
    generated = np.fromiter(map(_GENERATED, repeat(textpage), spaces.tolist()), dtype=bool, count=len(spaces))
    before = np.searchsorted(kept, spaces)  # the kept character each space stands before
    spaced = np.zeros(len(kept) + 1, dtype=np.int8)  # the last slot for spaces after the last character
    spaced[before[generated]] = 1
    spaced[before[~generated]] = 2  # after the 1s: a printed space wins
    return spaced[:-1]


def _objects(parent, count: int, object_of, matrix: tuple, top: float, out: _Out, segments: tuple) -> None:
    """The straight horizontal and vertical segments that painted paths draw, inside forms too, top-down."""
    path, form = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    objects = list(map(object_of, repeat(parent), range(count)))  # map: no Python loop around the calls
    wanted = [(obj, kind) for obj, kind in zip(objects, map(_KIND, objects), strict=True) if kind in (path, form)]
    for obj, kind in wanted:
        inner = _compose(matrix, out.matrix_of(obj))
        if kind == form:
            _objects(obj, _COUNT_FORM(obj), _FORM_OBJECT, inner, top, out, segments)
        elif out.painted(obj):
            _path(obj, inner, top, out, *segments)


def _path(obj: _OBJECT, matrix: tuple, top: float, out: _Out, horizontal: list, vertical: list) -> None:
    start = previous = None
    point_of, x_at, y_at = out.floats, out.x_at, out.y_at
    point_of[0] = point_of[1] = 0.0  # where pdfium cannot tell a point, the one before stands
    for index in range(_COUNT_SEGMENTS(obj)):
        segment = _SEGMENT(obj, index)
        _POINT(segment, x_at, y_at)
        point = _apply(matrix, point_of[0], point_of[1], top)
        kind = _SEGMENT_KIND(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = previous = point
            continue
        if kind == pdfium_c.FPDF_SEGMENT_LINETO and previous is not None:
            _edge(previous, point, horizontal, vertical)
        previous = point
        if _CLOSES(segment) and start is not None:
            _edge(point, start, horizontal, vertical)
            previous = start


class _Out:
    """pdfium's out-parameters, and pointers to them, made once per document, not once per call: making the
    pointer costs a quarter of the call it is passed to, and a page asks for a thousand boxes."""

    def __init__(self) -> None:
        self.box_array, self.box_at = (pdfium_c.FS_RECTF * 0)(), []
        self.matrix = pdfium_c.FS_MATRIX()
        self.ints = (ctypes.c_int * 2)()
        self.floats = (ctypes.c_float * 2)()
        self.matrix_at = ctypes.byref(self.matrix)
        self.fill_at, self.stroke_at = ctypes.byref(self.ints), ctypes.byref(self.ints, _INT)
        self.x_at, self.y_at = ctypes.byref(self.floats), ctypes.byref(self.floats, _FLOAT)

    def boxes(self, count: int) -> tuple[ctypes.Array, list]:
        """Room for ``count`` character boxes, and a pointer to each (at least ``count`` of them)."""
        if count > len(self.box_at):
            self.box_array = (pdfium_c.FS_RECTF * count)()
            size = ctypes.sizeof(pdfium_c.FS_RECTF)
            self.box_at = list(map(ctypes.byref, repeat(self.box_array), range(0, count * size, size)))
        return self.box_array, self.box_at

    def matrix_of(self, obj: _OBJECT) -> tuple:
        if not _MATRIX(obj, self.matrix_at):
            return _IDENTITY
        m = self.matrix
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def painted(self, obj: _OBJECT) -> bool:
        """Filled or stroked (a path whose draw mode pdfium cannot tell counts as painted)."""
        self.ints[0] = self.ints[1] = 0
        if not _DRAW_MODE(obj, self.fill_at, self.stroke_at):
            return True
        return bool(self.ints[0] or self.ints[1])


def _edge(a: tuple[float, float], b: tuple[float, float], horizontal: list, vertical: list) -> None:
    if abs(a[1] - b[1]) < _AXIS and abs(a[0] - b[0]) >= 1:
        horizontal.append(((a[1] + b[1]) / 2, min(a[0], b[0]), max(a[0], b[0])))
    elif abs(a[0] - b[0]) < _AXIS and abs(a[1] - b[1]) >= 1:
        vertical.append(((a[0] + b[0]) / 2, min(a[1], b[1]), max(a[1], b[1])))


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
    # a table of one column is read as text
    tables = [table for table in lattice.read_tables(geometry.horizontal, geometry.vertical) if table.width >= 2]
    group = lattice.assign(geometry.chars, tables)
    found = lattice.lines(geometry.chars, group)  # the lines of characters on a rule (NOWHERE) are not used
    items: list[tuple[float, str, object]] = []
    prose = [(top, text) for cell, top, text in found if cell == lattice.PROSE]
    for line_number, (top, text) in enumerate(prose, start=1):
        text = line_text(text)
        if text and not is_footer(text, top, geometry.height):
            items.append((top, "line", Line(text, f"page {number}, line {line_number}", READER)))
    texts = lattice.cell_texts(found, sum(len(table.cells) for table in tables))
    first = 0
    for index, table in enumerate(tables):
        grid = _grid(number, index + 1, table, texts[first : first + len(table.cells)])
        items.append((grid.top, "table", grid))
        first += len(table.cells)
    items.sort(key=lambda item: item[0])
    return Page(number, items)


def _grid(page: int, index: int, table: lattice.Table, texts: list[str]) -> Grid:
    """The table's rows of cell texts ("" where a merged cell covers the slot), and for each column the row
    where the cell covering the table's last row starts (if it starts in that column)."""
    rows = [[""] * table.width for _ in range(table.height)]
    bottom_cells = {}
    for cell, row, column, text in zip(table.cells, table.row, table.column, texts, strict=True):
        rows[row][column] = cell_text(text)
        if abs(cell[3] - table.box[3]) <= 1:
            bottom_cells[column] = row
    grid = Grid(page, index, table.box[1], table.box[3], rows, table.box)
    grid.bottom_cells = bottom_cells
    return grid
