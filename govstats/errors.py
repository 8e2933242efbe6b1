"""Errors for input that cannot be read. Each names the file and says what is wrong with it."""

from __future__ import annotations

import re


class GovstatsError(Exception):
    """A document could not be read; the message names the file and the reason."""

    reason = "unreadable"

    def __init__(self, path: str, detail: str):
        self.path = str(path)
        self.detail = detail
        super().__init__(f"{self.path}: {self.reason}: {detail}")


class UsageError(ValueError):
    """A command's arguments cannot be used (a missing folder, an output inside the input, …): one line to say so."""


class EmptyFile(GovstatsError):
    reason = "empty file"


class UndecodableBytes(GovstatsError):
    reason = "undecodable bytes"


class UnknownFormat(GovstatsError):
    reason = "unknown format"


class NoTextLayer(GovstatsError):
    reason = "no text layer"


class NotAReport(GovstatsError):
    reason = "not a report"


class DamagedFile(UnknownFormat):
    """A file of a known format whose bytes are cut or changed (a truncated DOCX): still not a format we can read."""

    reason = "damaged file"


class EncryptedFile(GovstatsError):
    reason = "encrypted"


class TooLarge(GovstatsError):
    reason = "too large"


class TooSlow(GovstatsError):
    reason = "too slow"


# An object's repr with its memory address (``<_io.BytesIO object at 0x7f…>``) differs between runs.
_ADDRESS = re.compile(r"<([^<>]*?) at 0x[0-9a-fA-F]+>")
_HEX_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{8,}\b")


def stable_text(text: str) -> str:
    """An error text without memory addresses, so two runs over the same input give the same bytes."""
    return _HEX_ADDRESS.sub("0x…", _ADDRESS.sub(r"<\1>", text))


_PASSWORD_ERRORS = ("PDFPasswordIncorrect", "PDFEncryptionError", "FileNotDecryptedError")


def encrypted_pdf(data: bytes, error: BaseException, *, reader_failed: bool = True) -> bool:
    """Whether a PDF could not be read because it is encrypted: the error (or one it was raised from) is a password
    error, or — when ``reader_failed``, i.e. the PDF reader itself gave up — the file declares an ``/Encrypt``
    dictionary. Reader-independent: pdfplumber/pdfminer, pypdf and pdfium all come down to one of these."""
    if not data.lstrip().startswith(b"%PDF"):
        return False
    chain: BaseException | None = error
    while chain is not None:
        text = f"{type(chain).__name__} {chain}".lower()
        if type(chain).__name__ in _PASSWORD_ERRORS or "password" in text or "encrypt" in text:
            return True
        chain = chain.__cause__ or chain.__context__
    return reader_failed and b"/Encrypt" in data
