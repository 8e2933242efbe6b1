"""HTML reader: report pages as published by government sites, Word's "save as web page" and download sites.

Prose blocks (``<p>``, ``<div>``, headings, list items) become one line each; every row of a data table becomes one
line whose cells are joined by a tab. A cell is written once, in the row where it starts: a cell spanning rows or
columns is not repeated (a number must never be counted twice), so rows under a rowspan label are shorter, and
data rows whose colspans do not line up with the header row need no repair here. Page chrome (menus,
breadcrumbs, footers) is read as ordinary text; the parser looks for the report inside it.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import lxml.html
from lxml import etree

from ..errors import NotAReport, UndecodableBytes
from ..model import Line, SourceText
from .cells import clean, is_blank_row, join_pieces, row_line
from .text import decode

# Elements whose boundaries end a line of prose (and a piece of a cell's text).
# fmt: off
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
# Elements with no readable text.
_SKIP = frozenset({
    "script", "style", "noscript", "head", "template", "select", "option", "textarea", "iframe", "object", "svg",
    "button",
})
# fmt: on
_BREAK = "\x00"  # a <br> or block boundary while collecting text

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# Pages declaring GB2312 often hold GBK characters; GB18030 decodes both.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz-gb-2312", "x-gbk", "cp936", "euc-cn"}


def decode_html(data: bytes, path: str = "<bytes>") -> tuple[str, str]:
    """Decode an HTML page: a BOM decides, then the ``<meta>`` charset, then UTF-8, then GB18030.

    A page that declares a GB charset but is valid UTF-8 with non-ASCII text is read as UTF-8: sites copy
    templates with stale declarations, and GBK text of any length is practically never valid UTF-8.
    """
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode(data, path)
    declared = _declared_charset(data)
    if declared is not None:
        if declared in _GB_FAMILY and _is_utf8_text(data):
            return data.decode("utf-8"), "utf-8"
        encoding = "gb18030" if declared in _GB_FAMILY else declared
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            pass  # a wrong or unknown declaration: fall back to sniffing
    try:
        return decode(data, path)
    except UndecodableBytes:
        raise UndecodableBytes(
            path, "HTML page that is not UTF-8 or GB18030/GBK and declares no usable charset"
        ) from None


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    name = match.group(1).decode("ascii", "replace").lower()
    try:
        return codecs.lookup(name).name if name not in _GB_FAMILY else name
    except LookupError:
        return None


def _is_utf8_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


def parse_html(text: str) -> etree._Element:
    """The document tree of a decoded page (lxml's forgiving HTML parser, comments dropped)."""
    text = _XML_DECLARATION.sub("", text, count=1)
    # Encode ourselves and say so: a <meta charset> inside the page must not re-decode the text.
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)


def read_html(path: str | Path, data: bytes) -> SourceText:
    """Read an HTML page into prose lines and tab-separated table rows, in document order."""
    text, encoding = decode_html(data, str(path))
    try:
        tree = parse_html(text)
    except etree.ParserError as error:  # markup with no document in it (a bare tag, control characters)
        raise NotAReport(str(path), f"HTML without a document: {error}") from None
    walker = _Walker()
    walker.walk(tree)
    walker.flush()
    return SourceText(path=str(path), flavor="html", lines=walker.lines, encoding=encoding)


class _Walker:
    """Walks the tree in document order, collecting prose into lines and emitting data tables row by row."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.buffer: list[str] = []
        self.paragraphs = 0
        self.tables = 0

    def walk(self, element: etree._Element) -> None:
        tag = _tag(element)
        if tag in _SKIP or tag is None or _hidden(element):
            return
        if tag == "table" and _is_data_table(element):
            self.flush()
            self.table(element)
            return
        if tag == "br":
            self.buffer.append(_BREAK)
            return
        if tag == "sup":
            self.buffer.append(footnote_mark(element))
            return
        block = tag in _BLOCKS
        if block:
            self.flush()
        self.buffer.append(element.text or "")
        for child in element:
            self.walk(child)
            self.buffer.append(child.tail or "")
        if block:
            self.flush()

    def flush(self) -> None:
        """End the current block: each <br>-separated piece with text becomes a line."""
        for piece in "".join(self.buffer).split(_BREAK):
            piece = clean(piece)
            if piece:
                self.paragraphs += 1
                self.lines.append(Line(piece, f"paragraph {self.paragraphs}"))
        self.buffer = []

    def table(self, table: etree._Element) -> None:
        self.tables += 1
        for caption in table.xpath("./caption"):
            self.buffer.append(_BREAK.join(_pieces(caption)))
            self.flush()
        for number, fields in enumerate(grid_rows(table), start=1):
            if not is_blank_row(fields):
                self.lines.append(row_line(fields, f"table {self.tables}, row {number}"))


def _tag(element: etree._Element) -> str | None:
    """Lower-case tag name; None for comments and processing instructions. Word's ``<o:p>`` keeps its prefix."""
    return element.tag.lower() if isinstance(element.tag, str) else None


def _is_data_table(table: etree._Element) -> bool:
    """A table holding no other table. Layout tables (a page's frame around the report) are walked as blocks."""
    return not table.xpath(".//table")


def table_rows(table: etree._Element) -> list[etree._Element]:
    """The rows of one table in order, not those of tables nested in it; hidden rows are not printed."""
    return [row for row in table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr") if not _hidden(row)]


def _span(cell: etree._Element, name: str) -> int:
    try:
        return max(1, min(int((cell.get(name) or "1").strip()), 1000))
    except ValueError:
        return 1


def grid_rows(table: etree._Element) -> list[list[str]]:
    """Each row's cell texts laid on the table's grid: where a cell from a row above spans into this row, an empty
    field stands in its place, so the cells after it keep their column (a value is still written only once).

    A cell spanning several columns stays one field: numbers are never copied, and a label spanning the label
    columns must not look like blank values.
    """
    pending: dict[int, int] = {}  # grid column -> rows still covered by a rowspan from above
    widths: dict[int, int] = {}  # grid column -> columns that spanning cell covers
    out = []
    for row in table_rows(table):
        fields: list[str] = []
        column = 0
        cells = iter(row_cells(row))
        cell = next(cells, None)
        while cell is not None or any(c >= column for c in pending):
            if pending.get(column):
                fields.append("")
                pending[column] -= 1
                column += widths[column]
                continue
            if cell is None:
                column += 1
                continue
            fields.append(cell_text(cell))
            colspan, rowspan = _span(cell, "colspan"), _span(cell, "rowspan")
            if rowspan > 1:
                pending[column], widths[column] = rowspan - 1, colspan
            column += colspan
            cell = next(cells, None)
        pending = {c: n for c, n in pending.items() if n > 0}
        out.append(fields)
    return out


def row_cells(row: etree._Element) -> list[etree._Element]:
    return [cell for cell in row.xpath("./td | ./th") if not _hidden(cell)]


def cell_text(cell: etree._Element) -> str:
    """A cell's text on one line: its paragraphs and <br> lines joined, ``&nbsp;`` padding removed."""
    return join_pieces(_pieces(cell))


def _pieces(element: etree._Element) -> list[str]:
    """The text of an element split at its line breaks and block boundaries (hidden elements skipped)."""
    out: list[str] = []
    _collect(element, out)
    return "".join(out).split(_BREAK)


def _collect(element: etree._Element, out: list[str]) -> None:
    tag = _tag(element)
    if tag is None or tag in _SKIP or _hidden(element):
        return
    if tag == "br":
        out.append(_BREAK)
        return
    if tag == "sup":
        out.append(footnote_mark(element))
        return
    block = tag in _BLOCKS
    if block:
        out.append(_BREAK)
    out.append(element.text or "")
    for child in element:
        _collect(child, out)
        out.append(child.tail or "")
    if block:
        out.append(_BREAK)


def footnote_mark(sup: etree._Element) -> str:
    """A superscript (a footnote mark: 17<sup>1</sup>) as a bracketed note, so its digits never join a number."""
    mark = clean("".join(sup.itertext()))
    return f"（注{mark}）" if mark else ""


def _hidden(element: etree._Element) -> bool:
    """Not displayed: ``display:none``, ``visibility:hidden`` or the ``hidden`` attribute."""
    if element.get("hidden") is not None:
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style
