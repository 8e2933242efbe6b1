"""Printed values: what counts as a value in a table's text (a number with its note, "/", "-"), and the cell it is.

The parser decides where a row's values stand; this module decides what each printed value is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..model import DASH, SLASH, UNREADABLE, VALUE, Cell, Token
from ..textnorm import NOTE_MARK_CLASS

# Footnote marks (①, ²): a note on the number they follow, never a digit of it (textnorm keeps them as printed).
_MARKS = NOTE_MARK_CLASS
# Signs a printed number may carry: ASCII hyphen-minus, U+2212 minus, full-width minus, and the word 减 (decrease)
# that format 2019's 本年增/减 column prints instead of a minus. "88-720" is 88 then -720; "16减12" is 16 then -12.
SIGNS = "-−－减"
# The dashes a cell prints for "not applicable" (one or two of them).
DASHES = "-—－–"
_DASHES = frozenset(DASHES)

# A value as printed: a number with an optional note in brackets, "/" or "-". Brackets without a number before
# them are label text; a number followed by 、 or . and a character is an ordinal (1.属于…), not data.
VALUE_TOKEN = re.compile(
    r"(?P<paren>[(（][^()（）]*[)）])"
    r"|(?P<ordinal>(?<![\d.])\d{1,2}[.、](?=[^\d\s.]))"
    r"|(?P<number>(?:[" + SIGNS + r"](?=\d))?(?<![\d.])\d+(?:\.\d+)?)(?P<mark>[" + _MARKS + r"]*)"
    r"|(?P<slash>(?<!\S)[/／](?!\S))"
    r"|(?P<dash>(?<!\S)[" + DASHES + r"]{1,2}(?!\S))"
)
_ORDINAL_ONLY = re.compile(r"[(（][一二三四五六七八九十]+[)）]")
# A year (2025年) is prose, never a table cell: the cells of the form are bare counts. Where a table's last row runs
# into the next sentence without a break (结转下年度继续办理20000022025年，我局…), the row ends where the year begins.
_YEAR = re.compile(r"(?:19|20)\d{2}\s*年")


@dataclass(frozen=True)
class Located(Token):
    """A token with its [start, end) offsets in the text it was read from."""

    start: int = 0
    end: int = 0


def read_tokens(text: str, start: int, end: int, where: Callable[[int], str]) -> list[Token]:
    """The values printed in ``text[start:end]``, each with its location (``where(offset)``) and note."""
    end = _prose_start(text, start, end)
    found: list[Located] = []
    for match in VALUE_TOKEN.finditer(text, start, end):
        kind = "number" if match.lastgroup == "mark" else match.lastgroup
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
        begin = match.start()
        text_of, mark = match.group("number", "mark") if kind == "number" else (match.group(), None)
        found.append(Located(text_of, where(begin), mark or None, begin, match.end()))
    return found


def cell_of(token: Token) -> Cell:
    """The cell a printed value is: a number (its note kept), "/" or "-"."""
    text = token.text
    if text in ("/", "／"):
        return Cell(None, SLASH, text, token.location)
    if set(text) <= _DASHES:
        return Cell(None, DASH, text, token.location)
    signed = text[0] in SIGNS
    number = text[1:] if signed else text
    value = float(number) if "." in number else int(number)
    if signed:
        value = -value  # printed with a sign: kept signed, never stored as positive
    return Cell(value, VALUE, text + (f"（{token.note}）" if token.note else ""), token.location, note=token.note)


# A count in section 三/四 past this is no count a report holds (and no Int64 column could take a 20-digit one).
MAX_COUNT = 10**12
NOT_A_COUNT = "printed number is not a count (decimal or too large): kept as printed"


def as_count(cell: Cell) -> Cell:
    """A cell of a count table (三, 四): a decimal or an over-large number is kept as printed, not as a value.

    Its status becomes ``unreadable`` with the printed text in ``raw``, so the tables never receive it and the
    check ``count_as_printed`` flags it; a negative count stays as printed (signed) and is flagged the same way.
    """
    value = cell.value
    if cell.status != VALUE or value is None:
        return cell
    if isinstance(value, float) or abs(value) >= MAX_COUNT:
        return Cell(None, UNREADABLE, cell.raw or str(value), cell.location, cell.method, cell.note)
    return cell


def is_printed_non_count(cell: Cell) -> bool:
    """An unreadable count cell whose raw text is one number (a decimal, an over-large or signed one)."""
    return cell.status == UNREADABLE and bool(re.fullmatch(r"[-−－]?\d+(?:\.\d+)?", cell.raw.split("（")[0].strip()))


def _prose_start(text: str, start: int, end: int) -> int:
    """Where the values of ``text[start:end]`` give way to prose: at the first year outside brackets, else ``end``."""
    for match in _YEAR.finditer(text, start, end):
        before = text[start : match.start()]
        if before.count("(") + before.count("（") <= before.count(")") + before.count("）"):
            return match.start()
    return end
