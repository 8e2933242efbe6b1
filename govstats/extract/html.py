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
from collections.abc import Callable
from functools import lru_cache
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
    # Encode ourselves and say so: a <meta charset> inside the page must not re-decode the text. etree's own parser,
    # not lxml.html's: that one looks up a Python element class for every element the walk touches (0.16 ms of a
    # synthetic page), and the walk uses none of HtmlElement's methods; the tree is the same.
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)


def read_html(path: str | Path, data: bytes) -> SourceText:
    """Read an HTML page into prose lines and tab-separated table rows, in document order."""
    text, encoding = decode_html(data, str(path))
    try:
        tree = parse_html(text)
    except etree.ParserError as error:  # markup with no document in it (a bare tag, control characters)
        raise NotAReport(str(path), f"HTML without a document: {error}") from None
    walker = _Walker()
    _collect(tree, walker.buffer, walker.table)
    walker.flush()
    return SourceText(path=str(path), flavor="html", lines=walker.lines, encoding=encoding)


class _Walker:
    """Collects the page's prose into lines and emits its data tables row by row, in document order."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.buffer: list[str] = []  # the prose since the last table, _BREAK where a block or <br> ends a line
        self.paragraphs = 0
        self.tables = 0

    def flush(self) -> None:
        """End the prose read so far: each piece with text between line boundaries becomes a line."""
        for piece in "".join(self.buffer).split(_BREAK):
            piece = clean(piece)
            if piece:
                self.paragraphs += 1
                self.lines.append(Line(piece, f"paragraph {self.paragraphs}"))
        self.buffer.clear()  # in place: the walk appends to this list

    def table(self, table: etree._Element) -> None:
        """A data table: the prose before it, then its captions' lines, then one line per row."""
        self.flush()
        self.tables += 1
        for caption in _children(table, "caption"):
            self.buffer.append(_BREAK.join(_pieces(caption)))
            self.flush()
        for number, fields in enumerate(grid_rows(table), start=1):
            if not is_blank_row(fields):
                self.lines.append(row_line(fields, f"table {self.tables}, row {number}"))


# What the reader does with an element, by its tag.
_IGNORED, _LINE_BREAK, _FOOTNOTE, _TABLE, _BLOCK, _INLINE = "ignored", "br", "sup", "table", "block", "inline"
_SPECIAL = {"br": _LINE_BREAK, "sup": _FOOTNOTE, "table": _TABLE}


@lru_cache(maxsize=256)
def _kind(tag: object) -> str:
    """What an element is to the reader; cached by tag (a page has a few dozen distinct tags, libxml2 cuts names at
    100 characters). Comments and processing instructions have no readable text. Tags are compared in lower case;
    Word's ``<o:p>`` keeps its prefix.
    """
    if not isinstance(tag, str):
        return _IGNORED
    tag = tag.lower()
    if tag in _SKIP:
        return _IGNORED
    return _SPECIAL.get(tag) or (_BLOCK if tag in _BLOCKS else _INLINE)


def _collect(element: etree._Element, out: list[str], table: Callable[[etree._Element], None] | None) -> None:
    """Append an element's text to ``out`` with _BREAK at its line breaks and block boundaries (hidden elements
    skipped). A data table is handed to ``table`` (the page walk); a table cell or caption holds none.
    """
    kind = _kind(element.tag)
    if kind is _IGNORED or _hidden(element):
        return
    if kind is _LINE_BREAK:
        out.append(_BREAK)
        return
    if kind is _FOOTNOTE:
        out.append(footnote_mark(element))
        return
    if kind is _TABLE and table is not None and _is_data_table(element):
        table(element)
        return
    block = kind is not _INLINE  # a layout table is read as blocks
    if block:
        out.append(_BREAK)
    if text := element.text:
        out.append(text)
    for child in element:  # one Python frame per level of the tree (libxml2 nests up to 255 levels)
        _collect(child, out, table)
        if tail := child.tail:
            out.append(tail)
    if block:
        out.append(_BREAK)


def _is_data_table(table: etree._Element) -> bool:
    """A table holding no other table. Layout tables (a page's frame around the report) are walked as blocks."""
    return next(table.iterdescendants("table"), None) is None


def _children(element: etree._Element, *tags: str) -> list[etree._Element]:
    """The child elements with one of these tags, in order (as the XPath ``./tag``, without compiling one)."""
    return [child for child in element if child.tag in tags]


_CELLS = ("td", "th")  # as the XPath ``./td | ./th``: child elements of exactly these names


def table_rows(table: etree._Element) -> list[etree._Element]:
    """The rows of one table in order, not those of tables nested in it; hidden rows are not printed."""
    rows = []
    for child in _children(table, "tr", "thead", "tbody", "tfoot"):
        rows.extend([child] if child.tag == "tr" else _children(child, "tr"))
    return [row for row in rows if not _hidden(row)]


def _span(value: str | None) -> int:
    """A colspan or rowspan as a count of columns or rows: 1 when absent or unreadable, at most 1,000."""
    if value is None:
        return 1
    try:
        return max(1, min(int(value.strip()), 1000))
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
        last = max(pending, default=-1)  # the last column covered from above (spans started in this row lie behind)
        fields: list[str] = []
        column = 0
        for cell in row_cells(row):
            if pending.get(column):
                column = _covered(column, pending, widths, fields)
            fields.append(cell_text(cell))
            colspan, rowspan = _span(cell.get("colspan")), _span(cell.get("rowspan"))
            if rowspan > 1:
                pending[column], widths[column] = rowspan - 1, colspan
            column += colspan
        while column <= last:  # past the row's last cell, spans from above that reach further right
            column = _covered(column, pending, widths, fields) if pending.get(column) else column + 1
        pending = {c: n for c, n in pending.items() if n > 0}
        out.append(fields)
    return out


def _covered(column: int, pending: dict[int, int], widths: dict[int, int], fields: list[str]) -> int:
    """The next column free of spans from above; each spanning cell passed leaves an empty field."""
    while pending.get(column):
        fields.append("")
        pending[column] -= 1
        column += widths[column]
    return column


def row_cells(row: etree._Element) -> list[etree._Element]:
    return [cell for cell in row if cell.tag in _CELLS and not _hidden(cell)]


def cell_text(cell: etree._Element) -> str:
    """A cell's text on one line: its paragraphs and <br> lines joined, ``&nbsp;`` padding removed."""
    if not len(cell):  # text only (most cells): its one piece
        return clean(cell.text or "")
    out = [cell.text or ""]  # the cell itself is a visible block (row_cells): only its boundaries are left out
    for child in cell:
        _collect(child, out, None)
        out.append(child.tail or "")
    return join_pieces("".join(out).split(_BREAK))


def _pieces(element: etree._Element) -> list[str]:
    """The text of an element split at its line breaks and block boundaries (hidden elements skipped)."""
    out: list[str] = []
    _collect(element, out, None)
    return "".join(out).split(_BREAK)


def footnote_mark(sup: etree._Element) -> str:
    """A superscript (a footnote mark: 17<sup>1</sup>) as a bracketed note, so its digits never join a number."""
    mark = clean("".join(sup.itertext()))
    return f"（注{mark}）" if mark else ""


def _hidden(element: etree._Element) -> bool:
    """Not displayed: ``display:none``, ``visibility:hidden`` or the ``hidden`` attribute."""
    if element.get("hidden") is not None:
        return True
    style = element.get("style")
    if not style:
        return False
    return _hiding(style) if len(style) <= _CACHED_STYLE else _hiding.__wrapped__(style)


_CACHED_STYLE = 500  # characters: longer styles are not kept, so the cache stays small whatever the pages hold


@lru_cache(maxsize=256)
def _hiding(style: str) -> bool:
    """Whether a style hides its element; cached, as Word gives every paragraph and span one of a few styles."""
    style = style.replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style
