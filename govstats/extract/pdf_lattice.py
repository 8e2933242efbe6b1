"""Tables and text lines rebuilt from positions: ruling lines make the cells, character boxes fill them.

The geometry of the fast PDF reader (:mod:`govstats.extract.pdf_text`), independent of the library that supplies
the characters and the ruling lines. Coordinates are points from the page's top left (``top`` grows downwards).

- A character is ``(x0, top, x1, bottom, text, baseline, spaced)``: ``spaced`` is 2 when a printed space stands
  before it, 1 when the text layer put one in for a gap, else 0; spaces are not characters, they separate words.
  A gap wider than X_GAP separates words too. A space the text layer put in for a narrower gap separates only
  Latin letters and digits: CJK text set justified has such gaps between every character, and two digit runs
  must never be glued into one number.
- Ruling lines are horizontal ``(y, x0, x1)`` and vertical ``(x, top, bottom)`` segments. Segments within
  ``SNAP`` points of one line are snapped onto it and joined where they meet; a cell is the smallest rectangle
  whose four corners are crossings joined by ruling lines; a table is the cells that share corners.
- A character belongs to the cell that holds its centre; a cell's text, and a line of text outside the tables, is
  its characters grouped into lines by their tops and into words by the gaps between them.

The tolerances are the ones pdfplumber uses (3 points), so both readers cut the same tables into the same cells
and their readings can be compared cell by cell.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from itertools import groupby
from math import inf
from operator import itemgetter

Char = tuple[float, float, float, float, str, float, int]
Box = tuple[float, float, float, float]  # x0, top, x1, bottom

SNAP = 3.0  # ruling lines this close are one line
JOIN = 3.0  # collinear segments this close are one segment
CROSS = 3.0  # a vertical and a horizontal line this close cross
MIN_LENGTH = 3.0  # shorter segments are not ruling lines (dots, ticks)
X_GAP = 3.0  # a wider gap between two characters starts a new word
Y_GAP = 3.0  # tops further apart start a new line


# --- ruling lines → cells → tables -------------------------------------------------------------------------------


def _snap(segments: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Segments whose positions chain within SNAP points move to their mean position."""
    segments = sorted(segments)
    snapped, group = [], []
    for segment in segments:
        if group and segment[0] > group[-1][0] + SNAP:
            snapped += _to_mean(group)
            group = []
        group.append(segment)
    return snapped + _to_mean(group)


def _to_mean(group: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    if not group:
        return []
    mean = sum(segment[0] for segment in group) / len(group)
    return [(mean, start, end) for _, start, end in group]


def _join(segments: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Collinear segments that overlap or nearly touch become one; short ones are dropped."""
    joined: list[tuple[float, float, float]] = []
    for position, group in groupby(sorted(segments), key=lambda segment: segment[0]):
        current = None
        for _, start, end in group:
            if current is not None and start <= current[2] + JOIN:
                current = (position, current[1], max(current[2], end))
                continue
            if current is not None:
                joined.append(current)
            current = (position, start, end)
        joined.append(current)
    return [segment for segment in joined if segment[2] - segment[1] >= MIN_LENGTH]


def ruling_lines(horizontal: list, vertical: list) -> tuple[list, list]:
    return _join(_snap(horizontal)), _join(_snap(vertical))


def find_tables(horizontal: list, vertical: list) -> list[list[Box]]:
    """The page's ruled tables, top to bottom, each as its cells (a table has at least two cells)."""
    horizontal, vertical = ruling_lines(horizontal, vertical)
    crossings: dict[tuple[float, float], tuple[set[int], set[int]]] = {}
    for v, (x, top, bottom) in enumerate(vertical):
        for h, (y, x0, x1) in enumerate(horizontal):
            if top <= y + CROSS and bottom >= y - CROSS and x0 - CROSS <= x <= x1 + CROSS:
                found = crossings.setdefault((x, y), (set(), set()))
                found[0].add(v)
                found[1].add(h)
    cells = _cells(crossings)
    return _tables(cells)


def _cells(crossings: dict[tuple[float, float], tuple[set[int], set[int]]]) -> list[Box]:
    """For each crossing, the smallest rectangle it opens (down and right) whose sides are all ruled."""
    by_x: dict[float, list[float]] = defaultdict(list)
    by_y: dict[float, list[float]] = defaultdict(list)
    for x, y in sorted(crossings):
        by_x[x].append(y)
        by_y[y].append(x)

    def down(x: float, y0: float, y1: float) -> bool:
        return bool(crossings[(x, y0)][0] & crossings[(x, y1)][0])

    def across(y: float, x0: float, x1: float) -> bool:
        return bool(crossings[(x0, y)][1] & crossings[(x1, y)][1])

    cells = []
    for x, y in sorted(crossings):
        column, row = by_x[x], by_y[y]
        right = [r for r in row[bisect_right(row, x) :] if across(y, x, r)]
        cell = next(
            (
                (x, y, r, b)
                for b in column[bisect_right(column, y) :]
                if down(x, y, b)
                for r in right
                if (r, b) in crossings and down(r, y, b) and across(b, x, r)
            ),
            None,
        )
        if cell is not None:
            cells.append(cell)
    return cells


def _tables(cells: list[Box]) -> list[list[Box]]:
    """Cells that share a corner are one table (connected groups), ordered by their top-left cell."""
    parent = list(range(len(cells)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[float, float], int] = {}
    for index, (x0, top, x1, bottom) in enumerate(cells):
        for corner in ((x0, top), (x0, bottom), (x1, top), (x1, bottom)):
            if corner in owner:
                parent[root(index)] = root(owner[corner])
            else:
                owner[corner] = index
    groups: dict[int, list[Box]] = defaultdict(list)
    for index, cell in enumerate(cells):
        groups[root(index)].append(cell)
    tables = sorted(groups.values(), key=lambda table: min((cell[1], cell[0]) for cell in table))
    return [table for table in tables if len(table) > 1]


def table_rows(cells: list[Box]) -> list[list[Box | None]]:
    """Rows of cells by their tops; each row has a slot per column start, None where a merged cell covers it."""
    columns = sorted({cell[0] for cell in cells})
    rows = []
    for _, row_cells in groupby(sorted(cells, key=lambda cell: (cell[1], cell[0])), key=lambda cell: cell[1]):
        starts = {cell[0]: cell for cell in row_cells}
        rows.append([starts.get(x) for x in columns])
    return rows


def bbox(cells: list[Box]) -> Box:
    return (
        min(cell[0] for cell in cells),
        min(cell[1] for cell in cells),
        max(cell[2] for cell in cells),
        max(cell[3] for cell in cells),
    )


# --- characters → cells ------------------------------------------------------------------------------------------


class CellIndex:
    """Which cell of a table holds a point: the cells' edges cut the table into a grid looked up by bisection."""

    def __init__(self, cells: list[Box]) -> None:
        self.xs = sorted({c[0] for c in cells} | {c[2] for c in cells})
        self.ys = sorted({c[1] for c in cells} | {c[3] for c in cells})
        self.owner: dict[tuple[int, int], int] = {}
        for index, (x0, top, x1, bottom) in enumerate(cells):
            for i in range(self.xs.index(x0), self.xs.index(x1)):
                for j in range(self.ys.index(top), self.ys.index(bottom)):
                    self.owner[(i, j)] = index

    def find(self, x: float, y: float) -> int | None:
        i, j = bisect_right(self.xs, x) - 1, bisect_right(self.ys, y) - 1
        if i < 0 or j < 0 or i >= len(self.xs) - 1 or j >= len(self.ys) - 1:
            return None
        return self.owner.get((i, j))


def centre(char: Char) -> tuple[float, float]:
    return (char[0] + char[2]) / 2, (char[1] + char[3]) / 2


# --- characters → words → lines ----------------------------------------------------------------------------------


def _by_top(items: list, key) -> list[list]:
    """Items grouped into lines: sorted by ``key``, a new line where it is more than Y_GAP past the last item's."""
    lines: list[list] = []
    last = -inf
    for item in sorted(items, key=key):
        value = key(item)
        if value > last + Y_GAP:
            lines.append([item])
        else:
            lines[-1].append(item)
        last = value
    return lines


def _line_words(line: list[Char]) -> list[str]:
    """One line's words: its characters left to right, split at spaces and at wide gaps.

    A new word starts where a printed space stands before a character (spaced 2), where the gap to the character
    before is wider than X_GAP (or the character starts left of the one before), and where pdfium put a space in
    for a narrower gap between two Latin letters or digits (spaced 1).
    """
    line.sort(key=_X0)
    words, word = [], [line[0][4]]
    before = line[0]
    for char in line[1:]:
        x0, spaced = char[0], char[6]
        if (
            spaced == 2
            or x0 < before[0]
            or x0 > before[2] + X_GAP
            or (spaced == 1 and _latin(before[4]) and _latin(char[4]))
        ):
            words.append("".join(word))
            word = []
        word.append(char[4])
        before = char
    words.append("".join(word))
    return words


_X0 = itemgetter(0)
_BASELINE = itemgetter(5)
_TOP = itemgetter(1)


def _latin(text: str) -> bool:
    return text.isascii() and text.isalnum()


def text_lines(chars: list[Char]) -> list[tuple[float, str]]:
    """The text as lines, top to bottom: (top of the line's highest glyph box, its words joined by one space).

    A line is the characters on one baseline (within Y_GAP): a Latin run in a CJK line shares the baseline though
    its font's glyph boxes stand higher or lower.
    """
    return [(min(map(_TOP, line)), " ".join(_line_words(line))) for line in _by_top(chars, _BASELINE)]


def cell_text(chars: list[Char]) -> str:
    """A cell's characters as text, its printed lines separated by a line break."""
    if not chars:
        return ""
    return "\n".join(" ".join(_line_words(line)) for line in _by_top(chars, _BASELINE))
