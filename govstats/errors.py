"""Errors for input that cannot be read. Each names the file and says what is wrong with it."""

from __future__ import annotations


class GovstatsError(Exception):
    """A document could not be read; the message names the file and the reason."""

    reason = "unreadable"

    def __init__(self, path: str, detail: str):
        self.path = str(path)
        self.detail = detail
        super().__init__(f"{self.path}: {self.reason}: {detail}")


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


class TruncatedTable(GovstatsError):
    reason = "truncated table"
