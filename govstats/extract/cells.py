"""Text of table cells and paragraphs, shared by the HTML and DOCX readers (and any reader of tables).

A table row becomes one line whose cells are joined by a tab, so a cell's own text must never carry a tab or a
line break. Line breaks inside a cell (``<br>``, several ``<p>``, Word's wrapped source lines) are joined without
inserting spaces inside Chinese labels: ``三、本年`` + ``度办理结果`` is ``三、本年度办理结果``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..model import Line

# Characters that are whitespace on the page but not to str.split(): zero-width space, BOM, word joiner.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACE = re.compile(r"\s+")


def _wide(char: str) -> bool:
    """CJK characters and full-width punctuation: no space is written between them and their neighbours."""
    return not char.isascii()


def _collapse(match: re.Match, text: str) -> str:
    """A whitespace run: dropped where it is a line break next to a CJK character, else one space."""
    run = match.group(0)
    before = text[match.start() - 1] if match.start() > 0 else ""
    after = text[match.end()] if match.end() < len(text) else ""
    if not before or not after:
        return ""
    if ("\n" in run or "\r" in run) and (_wide(before) or _wide(after)):
        return ""
    return " "


def clean(text: str) -> str:
    """One piece of text on one line: invisible characters removed, whitespace collapsed, ends stripped.

    ``&nbsp;`` and the ideographic space are whitespace; a cell holding only them is blank.
    """
    if text.isdigit():  # most table cells: a bare count holds nothing to clean
        return text
    text = _INVISIBLE.sub("", text).strip()  # a run at either end is dropped
    if "\n" in text or "\r" in text:  # a wrapped line: the run around the break is judged by its neighbours
        text = _SPACE.sub(lambda m: _collapse(m, text), text)
    # Every other run is one space: str.split's whitespace is the same as the pattern's \s (str.isspace).
    return " ".join(text.split())


def join_pieces(pieces: Iterable[str]) -> str:
    """Join the lines of one cell or paragraph: nothing between CJK text, a space between Latin words or digits.

    Two digit runs keep a space between them, so no number is made up by gluing two lines together.
    """
    joined = ""
    for piece in pieces:
        if piece.isspace():  # a blank line (often the source's indentation between tags): nothing to clean
            continue
        piece = clean(piece)
        if not piece:
            continue
        if joined and not (_wide(joined[-1]) or _wide(piece[0])):
            joined += " "
        joined += piece
    return joined


def row_line(fields: list[str], where: str) -> Line:
    """A table row as one line: its cells' texts joined by a tab (a blank cell stays an empty field)."""
    return Line("\t".join(fields), where)


def is_blank_row(fields: list[str]) -> bool:
    return not any(fields)
