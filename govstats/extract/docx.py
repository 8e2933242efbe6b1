"""DOCX reader: paragraphs and tables of a Word document, in body order.

Every table row becomes one line whose cells are joined by a tab. python-docx's ``row.cells`` repeats a merged cell
in every grid slot it covers; reading the row's ``<w:tc>`` elements instead gives each cell once: a horizontally
merged cell (``gridSpan``) is one element, and the continuation of a vertically merged cell (``vMerge``) is an
empty element that is skipped. So a number is written once, and a group label only on its first row.

A table broken across pages is often saved as two tables in a row, the second repeating the header rows: the
second is read as a continuation of the first (same table number, rows numbered on, repeated headers dropped).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import docx
from lxml import etree

from ..errors import DamagedFile, TooLarge, UnknownFormat
from ..model import Line, SourceText
from .cells import is_blank_row, join_pieces, row_line

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": _W, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
_BREAK = "\n"


def _q(tag: str) -> str:
    return f"{{{_W}}}{tag}"


# Text, breaks and tabs of a paragraph, in order. mc:Fallback repeats the mc:Choice content (text boxes), so it
# is left out; deleted text is w:delText and never matches.
_RUNS = etree.XPath(
    ".//w:t[not(ancestor::mc:Fallback)] | .//w:br[not(ancestor::mc:Fallback)] | .//w:cr[not(ancestor::mc:Fallback)]"
    " | .//w:tab[not(ancestor::mc:Fallback)] | .//w:noBreakHyphen[not(ancestor::mc:Fallback)]",
    namespaces=_NS,
)
_ROW_CELLS = etree.XPath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces=_NS)
_ROWS = etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr | ./w:customXml/w:tr", namespaces=_NS)
_GRID_COLUMNS = etree.XPath("count(./w:tblGrid/w:gridCol)", namespaces=_NS)
_V_MERGE = etree.XPath("string(./w:tcPr/w:vMerge/@w:val)", namespaces=_NS)
_HAS_V_MERGE = etree.XPath("boolean(./w:tcPr/w:vMerge)", namespaces=_NS)
_NUMBER = re.compile(r"^[\d.,，]+$")
MB = 1024 * 1024


# The last line of defence for callers that set no limit: python-docx reads every member it needs into memory.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
_MACRO_ENABLED = "macroEnabled"


def check_package_size(path: str | Path, data: bytes, max_unpacked_bytes: int = MAX_UNPACKED_BYTES) -> None:
    """Refuse a zip package that would unpack to more than ``max_unpacked_bytes``, from its directory alone.

    The sizes are the ones the zip declares; reading a member never gives more than its declared size (zipfile
    stops there and a member that is longer fails its CRC), so this bounds the memory any member can take.
    Bytes that are not a readable zip are left to the reader, which says what is wrong with them.
    """
    if not data.startswith(b"PK\x03\x04"):
        return
    try:
        members = zipfile.ZipFile(BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked_bytes:
        largest = max(members, key=lambda member: member.file_size)
        raise TooLarge(
            str(path),
            f"a zip of {len(data) / MB:.1f} MB that would unpack to {unpacked / MB:.0f} MB ({largest.filename}: "
            f"{largest.file_size / MB:.0f} MB), over the limit of {max_unpacked_bytes / MB:.0f} MB (a zip bomb?)",
        )


def _open_package(path: str | Path, data: bytes) -> docx.document.Document:
    try:
        zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):  # no central directory: the end is cut off
        raise DamagedFile(str(path), "truncated Word document (its zip archive has no directory at the end)") from None
    try:
        return docx.Document(BytesIO(data))
    except zipfile.BadZipFile as error:  # a member's bytes are cut or changed: its checksum or header is wrong
        raise DamagedFile(str(path), f"damaged Word document ({error})") from None
    except Exception as error:  # python-docx raises several kinds for a broken package
        if _MACRO_ENABLED in str(error):
            detail = "a macro-enabled Word document (.docm); save it as .docx to read it"
            raise UnknownFormat(str(path), detail) from None
        raise UnknownFormat(str(path), f"not a readable Word document ({type(error).__name__})") from None


def read_docx(path: str | Path, data: bytes) -> SourceText:
    """Read a DOCX file into prose lines and tab-separated table rows, in body order."""
    check_package_size(path, data)
    document = _open_package(path, data)
    return SourceText(path=str(path), flavor="docx", lines=list(_lines(document.element.body)))


def _lines(body: etree._Element) -> Iterator[Line]:
    paragraphs = 0
    tables = 0
    previous: _TableState | None = None
    for element in _body_items(body):
        if element.tag == _q("p"):
            text = paragraph_text(element)
            if text:
                paragraphs += 1
                previous = None  # text between two tables: the second starts a new table
                yield Line(text, f"paragraph {paragraphs}")
            continue
        rows = table_rows(element)
        if previous is not None and previous.continued_by(element):
            rows = previous.drop_repeated_header(rows)
        else:
            tables += 1
            previous = _TableState(tables, element, rows)
        for fields in rows:
            previous.row += 1
            if not is_blank_row(fields):
                yield row_line(fields, f"table {previous.number}, row {previous.row}")


def _body_items(parent: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables in body order, looking inside content controls and custom XML wrappers."""
    for child in parent:
        if child.tag in (_q("p"), _q("tbl")):
            yield child
        elif child.tag in (_q("sdt"), _q("customXml")):
            content = child.find(_q("sdtContent")) if child.tag == _q("sdt") else child
            if content is not None:
                yield from _body_items(content)


class _TableState:
    """The table being read, so that a table right after it can be read as its continuation."""

    def __init__(self, number: int, element: etree._Element, rows: list[list[str]]) -> None:
        self.number = number
        self.columns = _GRID_COLUMNS(element)
        self.first_rows = rows
        self.row = 0

    def continued_by(self, element: etree._Element) -> bool:
        """A table directly after this one (only empty paragraphs between) with the same grid continues it."""
        return _GRID_COLUMNS(element) == self.columns

    def drop_repeated_header(self, rows: list[list[str]]) -> list[list[str]]:
        """Leave out leading rows that repeat this table's first rows: the header printed again on the new page."""
        repeated = 0
        for mine, theirs in zip(self.first_rows, rows, strict=False):
            if mine != theirs or any(_NUMBER.match(field) for field in theirs):
                break
            repeated += 1
        self.row += repeated  # keep row numbers true to the document
        return rows[repeated:]


def table_rows(table: etree._Element) -> list[list[str]]:
    """The cells' texts of each row; a vertically merged cell's continuation is not a cell of its row."""
    rows = []
    for tr in _ROWS(table):
        rows.append([cell_text(tc) for tc in _ROW_CELLS(tr) if not _continues_merge(tc)])
    return rows


def _continues_merge(tc: etree._Element) -> bool:
    """``<w:vMerge/>`` without ``w:val="restart"`` continues the cell above."""
    return bool(_HAS_V_MERGE(tc)) and _V_MERGE(tc) != "restart"


def cell_text(tc: etree._Element) -> str:
    """A cell's paragraphs (and any table nested in it) joined on one line, notes kept."""
    pieces: list[str] = []
    for p in tc.iter(_q("p")):
        pieces.extend(_paragraph_pieces(p))
    return join_pieces(pieces)


def paragraph_text(p: etree._Element) -> str:
    """A paragraph on one line: its manual line breaks joined the way a wrapped cell is."""
    return join_pieces(_paragraph_pieces(p))


def _paragraph_pieces(p: etree._Element) -> list[str]:
    out: list[str] = []
    for node in _RUNS(p):
        tag = etree.QName(node).localname
        if tag == "t":
            out.append(node.text or "")
        elif tag in ("br", "cr"):
            out.append(_BREAK)
        elif tag == "tab":
            out.append(" ")  # a tab separates cells in our lines; inside text it is a space
        else:
            out.append("-")
    return "".join(out).split(_BREAK)
