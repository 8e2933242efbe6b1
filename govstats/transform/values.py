"""Printed values: what counts as a value in a table's text (a number with its note, "/", "-"), and the cell it is.

The parser decides where a row's values stand; this module decides what each printed value is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..model import DASH, SLASH, VALUE, Cell, Token

# A value as printed: a number with an optional note in brackets, "/" or "-". Brackets without a number before
# them are label text; a number followed by 、 or . and a character is an ordinal (1.属于…), not data.
VALUE_TOKEN = re.compile(
    r"(?P<paren>[(（][^()（）]*[)）])"
    r"|(?P<ordinal>(?<![\d.])\d{1,2}[.、](?=[^\d\s.]))"
    r"|(?P<number>(?<![\d.])\d+(?:\.\d+)?)"
    r"|(?P<slash>(?<!\S)[/／](?!\S))"
    r"|(?P<dash>(?<!\S)[-—－–]{1,2}(?!\S))"
)
_ORDINAL_ONLY = re.compile(r"[(（][一二三四五六七八九十]+[)）]")


@dataclass(frozen=True)
class Located(Token):
    """A token with its [start, end) offsets in the text it was read from."""

    start: int = 0
    end: int = 0


def read_tokens(text: str, start: int, end: int, where: Callable[[int], str]) -> list[Token]:
    """The values printed in ``text[start:end]``, each with its location (``where(offset)``) and note."""
    found: list[Located] = []
    for match in VALUE_TOKEN.finditer(text, start, end):
        kind = match.lastgroup
        if kind == "paren":
            # A bracket right after a number, on its line, is that number's note (17（其中修订15件）); a bracketed
            # numeral such as （三） opens the next label instead.
            between = text[found[-1].end : match.start()] if found else "\n"
            if (
                found[-1:]
                and found[-1].note is None
                and between.strip(" ") == ""
                and not _ORDINAL_ONLY.fullmatch(match.group(0))
            ):
                last = found[-1]
                found[-1] = Located(last.text, last.location, match.group(0)[1:-1].strip(), last.start, last.end)
            continue
        if kind == "ordinal":
            continue
        found.append(Located(match.group(0), where(match.start()), None, match.start(), match.end()))
    return found


def cell_of(token: Token) -> Cell:
    """The cell a printed value is: a number (its note kept), "/" or "-"."""
    text = token.text
    if text in ("/", "／"):
        return Cell(None, SLASH, text, token.location)
    if set(text) <= set("-—－–"):
        return Cell(None, DASH, text, token.location)
    value = float(text) if "." in text else int(text)
    return Cell(value, VALUE, text + (f"（{token.note}）" if token.note else ""), token.location, note=token.note)
