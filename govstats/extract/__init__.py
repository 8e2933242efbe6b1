"""Readers: one per input flavor. Each turns a file into a :class:`~govstats.model.SourceText`.

The flavor is detected from the content, never from the file extension: reports are often saved under the wrong
name by crawlers and download sites.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from itertools import islice
from pathlib import Path

from ..errors import EmptyFile, UnknownFormat
from ..model import SourceText

# Markup that only HTML has, anywhere in the file: a page body saved without <html>/<body> may open its first
# <table> after 12 KB of chrome. Plain text quoting a title in angle brackets (<政府信息公开信息处理费管理办法>) has
# no tag names.
_STRUCTURE_TAG = re.compile(rb"<(?:!doctype\s+html|html|body|table|tbody|tr|td|th)\b", re.I)
_INLINE_TAG = re.compile(rb"</?(?:p|div|span|br|font|strong|b|sup|meta|a|img|h[1-6]|li|ul|o:p)\b[^>]{0,500}>", re.I)
_ENTITY = re.compile(rb"&(?:nbsp|amp|lt|gt|quot|#\d{2,6}|#x[0-9a-f]{2,5});", re.I)
_HTML_EXTENSIONS = (".htm", ".html", ".shtml", ".xhtml")


def sniff(data: bytes, name: str = "") -> str:
    """The flavor of a document from its content: pdf, docx, html or text; the extension only breaks ties.

    PDF and ZIP/OLE by their magic bytes (a PDF may have a little junk before ``%PDF-``); HTML by its markup
    anywhere in the file: a structural tag, or several inline tags, or tags with entities.
    """
    head = data[:2048].lstrip()
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(data)).namelist()
        except zipfile.BadZipFile:  # no directory (cut off): the local headers still name a Word document's parts
            return "docx" if b"word/document.xml" in data or b"[Content_Types].xml" in data[:4096] else "zip"
        return "docx" if "word/document.xml" in names else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"  # legacy .doc/.xls
    if head.lower().startswith((b"<?xml", b"<meta")):
        return "html"
    sample = data if len(data) <= 4_000_000 else data[:4_000_000]
    if b"\x00" in sample[:4096] and sample.count(b"\x00") > len(sample[:4096]) // 4:
        sample = _utf16_as_ascii(sample)
    if _STRUCTURE_TAG.search(sample):
        return "html"
    inline = _inline_tags(sample)
    if inline >= 3 or (inline and _ENTITY.search(sample)):
        return "html"
    if inline and name.lower().endswith(_HTML_EXTENSIONS):
        return "html"
    return "text"


def _inline_tags(sample: bytes, enough: int = 3) -> int:
    """The inline tags in the first 2 MB, counted up to ``enough`` (a Word page has thousands; three decide)."""
    return sum(1 for _ in islice(_INLINE_TAG.finditer(sample, 0, 2_000_000), enough))


def _utf16_as_ascii(data: bytes) -> bytes:
    """The ASCII bytes of UTF-16 text (markup is ASCII), so a UTF-16 page is sniffed like any other."""
    return data.replace(b"\x00", b"")


def read_source(path: str | Path, data: bytes | None = None) -> SourceText:
    """Read any supported document into text lines, choosing the reader by content."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    if not data.strip():
        raise EmptyFile(str(path), "the file has no content")
    flavor = sniff(data, path.name)
    if flavor == "pdf":
        from .pdf import read_pdf

        return read_pdf(path, data)
    if flavor == "docx":
        from .docx import read_docx

        return read_docx(path, data)
    if flavor == "html":
        from .html import read_html

        return read_html(path, data)
    if flavor == "text":
        from .text import read_text

        return read_text(path, data)
    raise UnknownFormat(str(path), f"{flavor} files are not supported (expected text, HTML, DOCX or PDF)")
