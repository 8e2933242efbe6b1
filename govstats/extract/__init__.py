"""Readers: one per input flavor. Each turns a file into a :class:`~govstats.model.SourceText`.

The flavor is detected from the content, never from the file extension: reports are often saved under the wrong
name by crawlers and download sites.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

from ..errors import EmptyFile, UnknownFormat
from ..model import SourceText


def sniff(data: bytes) -> str:
    """The flavor of a document from its first bytes: pdf, docx, html or text."""
    head = data[:2048].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(data)).namelist()
        except zipfile.BadZipFile:  # no directory (cut off): the local headers still name a Word document's parts
            return "docx" if b"word/document.xml" in data or b"[Content_Types].xml" in data[:4096] else "zip"
        return "docx" if "word/document.xml" in names else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"  # legacy .doc/.xls
    lowered = head.lower()
    for marker in (b"<!doctype html", b"<html", b"<table", b"<body", b"<meta", b"<?xml"):
        if marker in lowered:
            return "html"
    return "text"


def read_source(path: str | Path, data: bytes | None = None) -> SourceText:
    """Read any supported document into text lines, choosing the reader by content."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    if not data.strip():
        raise EmptyFile(str(path), "the file has no content")
    flavor = sniff(data)
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
