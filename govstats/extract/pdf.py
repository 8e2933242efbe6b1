"""PDF reader: ruled tables become tab-separated rows, everything else the page's text lines.

The default reader is the fast path of :mod:`.pdf_text` (pypdfium2: character boxes and ruling lines); pdfplumber
(:mod:`.pdf_tables`) is a second, independent reading, and camelot reads the ruled tables a third time. The readers
only read: choosing among their readings by the identities (勾稽关系) is a stage of the pipeline above the parser,
:mod:`govstats.validate.readings`, which records what it compared and chose in ``SourceText.checks`` and which
reader gave each line in ``Line.reader``.

A PDF without ruled tables is read from its text layer alone, one line per printed line (``"page N, line M"``);
a PDF without any text layer (a scan) raises :class:`~govstats.errors.NoTextLayer`; a file that is not a readable
PDF raises :class:`~govstats.errors.UnknownFormat` (see :func:`unreadable`, the one place these errors are worded).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import GovstatsError, NoTextLayer, UnknownFormat
from ..model import SourceText
from .pdf_layout import PdfReading

FAST_READER = "pdfium"
CROSS_READER = "pdfplumber"
READERS = (FAST_READER, CROSS_READER)


def read_pdf(path: str | Path, data: bytes, *, reader: str = FAST_READER) -> SourceText:
    """Read a PDF into lines with one reader: one per text line, one per table row (cells joined by a tab)."""
    return read_reading(path, data, reader).source()


def read_reading(path: str | Path, data: bytes, reader: str = FAST_READER) -> PdfReading:
    """One reader's reading of a PDF (pages of lines and grids), before continued tables are joined."""
    if reader not in READERS:
        raise ValueError(f"unknown PDF reader {reader!r} (expected one of {', '.join(READERS)})")
    try:
        if reader == FAST_READER:
            from .pdf_text import read_pdfium

            reading = read_pdfium(str(path), data)
        else:
            from .pdf_tables import read_pdfplumber

            reading = read_pdfplumber(str(path), data)
    except Exception as error:
        mapped = unreadable(path, error, reader)
        if mapped is None:
            raise
        raise mapped from None
    if reading.characters == 0:
        pages = len(reading.pages)
        raise NoTextLayer(str(path), f"none of its {pages} pages has text (a scan?): it needs OCR first")
    return reading


def read_camelot_tables(data: bytes, reading: PdfReading, engine: str | None = None) -> list:
    """camelot's lattice reading of the pages where ``reading`` found tables (:class:`.pdf_tables.CamelotTable`)."""
    from .pdf_tables import CAMELOT_ENGINE, read_camelot

    pages = sorted({grid.page for grid in reading.grids})
    return read_camelot(data, pages, reading.heights, engine or CAMELOT_ENGINE) if pages else []


def unreadable(path: str | Path, error: Exception, reader: str = FAST_READER) -> GovstatsError | None:
    """The error to report for a PDF a reader could not open, or None when ``error`` is a bug, not the file's fault.

    The one place where the PDF libraries' errors are mapped to govstats' (pdfium's ``PdfiumError``: a broken file,
    a password; pdfminer's syntax errors). None of the libraries is imported here unless it already is.
    """
    library_errors: list[type] = []
    if "pypdfium2" in sys.modules:
        library_errors.append(sys.modules["pypdfium2"].PdfiumError)
    if "pdfplumber" in sys.modules:
        from pdfminer.pdfparser import PDFSyntaxError
        from pdfplumber.utils.exceptions import PdfminerException

        library_errors += [PdfminerException, PDFSyntaxError]
    if isinstance(error, tuple(library_errors)):
        return UnknownFormat(str(path), f"not a readable PDF ({error})")
    if isinstance(error, (ValueError, TypeError, KeyError)) and reader == CROSS_READER:
        return UnknownFormat(str(path), f"not a readable PDF ({error})")  # pdfminer's way to fail on broken trees
    return None
