"""Text normalisation shared by detection, metadata and the parser.

Matching happens on a *compact* form of the text (NFKC, no white space, no quotes, 、 read as .), while numbers are
read from the original text; :class:`Compact` keeps the map between the two so a match points back to its line.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_DROP = set(" \t\r\n\f\v\u3000\u00a0\u200b\ufeff\"'“”‘’「」『』")
_READ_AS = {"、": ".", "，": ",", "﹒": "."}

# Page furniture that PDF text layers and copies leave in the text: "- 4 -", "— 12 —", "第 3 页 共 9 页", a form feed.
PAGE_FOOTER = re.compile(r"^\s*(?:[-—－–]\s*\d{1,3}\s*[-—－–]|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\f)\s*$")


def _is_note_mark(ch: str) -> bool:
    """A footnote or note mark that NFKC would turn into a digit: circled (①), superscript (²), subscript, ⑴ …"""
    if ch.isascii() or not ch.isdigit() and not ch.isnumeric():
        return False
    if "0" <= ch <= "9" or "\uff10" <= ch <= "\uff19":  # ASCII and full-width digits are digits
        return False
    folded = unicodedata.normalize("NFKC", ch)
    return folded != ch and any(c.isdigit() for c in folded)


# Marks kept apart from numbers: NFKC leaves them alone here, so "43164①" stays 43164 with its note, not 431641.
NOTE_MARKS = frozenset(ch for ch in map(chr, range(0x80, 0x2FFFF)) if _is_note_mark(ch))


def _ranges(chars: list[str]) -> str:
    """A regex character class body for sorted ``chars``, consecutive code points as ranges."""
    runs: list[list[int]] = []
    for point in map(ord, chars):
        if runs and runs[-1][1] == point - 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in runs)


# The marks as a regex character class body, code points in ranges: a class of 202 single characters (some above
# the BMP) is scanned one by one at every position it is tried.
NOTE_MARK_CLASS = _ranges(sorted(NOTE_MARKS))
# A text is first searched in C for anything that may be a mark: the marks of the BMP exactly (a bitmap class), those
# above it as one range (measured on a report: 13 µs, against 37 with every range and 225 with single characters).
_BMP_MARKS = sorted(ch for ch in NOTE_MARKS if ch <= "\uffff")
_ASTRAL_MARKS = sorted(ch for ch in NOTE_MARKS if ch > "\uffff")
_MAYBE_NOTE_MARK = re.compile(f"[{_ranges(_BMP_MARKS)}{re.escape(_ASTRAL_MARKS[0])}-{re.escape(_ASTRAL_MARKS[-1])}]")


# What NFKC makes of the full-width forms of ASCII (！ … ～), the ideographic space and the no-break space: one ASCII
# character each (their compatibility decompositions).
_WIDE = {chr(point): chr(point - 0xFEE0) for point in range(0xFF01, 0xFF5F)} | {"\u3000": " ", "\u00a0": " "}
_WIDE_CHAR = re.compile("[\uff01-\uff5e\u3000\u00a0]")


def _nfkc(text: str) -> str:
    """NFKC, several times faster on report text: the full-width forms most lines print are replaced by what NFKC
    makes of them (the same decomposition, so the same NFKC), and NFKC itself runs only on what is then still not
    normalised (a CJK line rarely is)."""
    for wide in set(_WIDE_CHAR.findall(text)):
        text = text.replace(wide, _WIDE[wide])
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def normalize_line(text: str) -> str:
    """NFKC (full-width digits and brackets to ASCII) and non-breaking spaces to spaces; nothing else changes.

    Footnote marks, circled numbers and superscripts are notes, never digits: they are kept as printed (NFKC would
    fuse ``18364²`` into 183642).
    """
    if _MAYBE_NOTE_MARK.search(text) is None or NOTE_MARKS.isdisjoint(text):
        folded = _nfkc(text)
    else:
        folded = "".join(ch if ch in NOTE_MARKS else unicodedata.normalize("NFKC", ch) for ch in text)
    return folded.replace("\u00a0", " ").replace("\u3000", " ")


def normalize_lines(lines: list[str]) -> list[str]:
    """:func:`normalize_line` of each line, in one pass over their joined text where that is the same: no line holds
    a line break or a note mark (NFKC neither makes a line break nor composes across one)."""
    joined = "\n".join(lines)
    if _MAYBE_NOTE_MARK.search(joined) is None or NOTE_MARKS.isdisjoint(joined):
        texts = normalize_line(joined).split("\n")
        if len(texts) == len(lines):
            return texts
    return [normalize_line(line) for line in lines]


# One regex substitution and a replace per character read as another: several times faster than str.translate
# with a mapping, which looks every character of a (mostly CJK) text up in a dict.
_DROPPED = re.compile("[" + re.escape("".join(sorted(_DROP))) + "]")


def _without_dropped(text: str) -> str:
    """``text`` without the dropped characters, with those read as others replaced (no normalisation)."""
    return replace_chars(_DROPPED.sub("", text), _READ_AS)


def replace_chars(text: str, mapping: dict[str, str]) -> str:
    """``str.translate`` for a few single characters, by one C ``replace`` per character present (a translate
    table is looked up for every character of a mostly-CJK text: several times slower). No replacement may be a
    character the mapping replaces too."""
    for printed, read in mapping.items():
        if printed in text:
            text = text.replace(printed, read)
    return text


def compact(text: str) -> str:
    """The form labels are compared in: NFKC, without white space or quotes, with 、 read as '.'."""
    return _without_dropped(normalize_line(text))


@dataclass
class Compact:
    """The compact form of a text with, for every compact character, its offset in the original text."""

    text: str
    offsets: list[int]

    @classmethod
    def of(cls, original: str) -> Compact:
        """The compact form of ``original``, shared: the parser's document and the recovery ask for the same text's
        (never change one in place)."""
        return _compact_of(original)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of the compact span [start, end)."""
        if start >= len(self.offsets):
            last = self.offsets[-1] + 1 if self.offsets else 0
            return last, last
        return self.offsets[start], self.offsets[end - 1] + 1 if end > start else self.offsets[start]

    def to_compact(self, original_offset: int) -> int:
        """First compact index at or after an original offset."""
        return bisect_left(self.offsets, original_offset)


# The last few texts' compact forms (bounded, so memory stays flat): a report's text is made compact by the parser
# and again looked up section by section by the recovery.
@lru_cache(maxsize=4)
def _compact_of(original: str) -> Compact:
    codes = np.frombuffer(original.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # one code point each
    kept = np.flatnonzero(_KEPT[np.minimum(codes, _BMP_LAST)])  # every character looked up at once, in C
    return Compact(_without_dropped(original), kept.tolist())


# Whether a BMP character is kept in the compact form (no dropped character lies above the BMP: those are looked up
# as its last code point, a noncharacter, which is kept).
_BMP_LAST = 0xFFFF
_KEPT = np.ones(_BMP_LAST + 1, dtype=bool)
_KEPT[[ord(ch) for ch in _DROP]] = False


class LineIndex:
    """Maps offsets of a joined text back to the lines it was made of."""

    def __init__(self, lines: list[str]):
        self.starts = []
        position = 0
        for line in lines:
            self.starts.append(position)
            position += len(line) + 1

    def line_of(self, offset: int) -> int:
        return max(0, bisect_right(self.starts, offset) - 1)
