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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from math import inf

import numpy as np

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
    return [table.cells for table in read_tables(horizontal, vertical)]


def read_tables(horizontal: list, vertical: list) -> list[Table]:
    """The page's ruled tables, top to bottom (:func:`find_tables`), each with its rows and columns."""
    horizontal, vertical = ruling_lines(horizontal, vertical)
    if not horizontal or not vertical:
        return []
    crossings = _Crossings(horizontal, vertical)
    xs, ys = crossings.xs.tolist(), crossings.ys.tolist()
    return [Table.of(corners, xs, ys) for corners in _tables(crossings.cells(), crossings.exists.shape)]


@dataclass
class Table:
    """One ruled table: its cells (x0, top, x1, bottom) in the order of their top-left corners (by x, then y),
    and the row (by top) and column (by left edge) where each cell starts, its slot in :func:`table_rows`."""

    cells: list[Box]
    row: list[int]
    column: list[int]
    height: int  # rows
    width: int  # columns
    box: Box

    @classmethod
    def of(cls, corners: list[list[int]], xs: list[float], ys: list[float]) -> Table:
        """The table of cells given by the grid indexes of their corners (i, j, r, b) into ``xs`` and ``ys``."""
        i, j, r, b = zip(*corners, strict=True)
        row_of = {top: n for n, top in enumerate(sorted(set(j)))}
        column_of = {left: n for n, left in enumerate(sorted(set(i)))}
        cells = [(xs[x0], ys[top], xs[x1], ys[bottom]) for x0, top, x1, bottom in corners]
        box = (xs[min(i)], ys[min(j)], xs[max(r)], ys[max(b)])  # xs and ys are sorted
        return cls(cells, [row_of[top] for top in j], [column_of[left] for left in i], len(row_of), len(column_of), box)


class _Crossings:
    """Where the ruling lines cross, on the grid of the vertical lines' xs (i) and the horizontal lines' ys (j).

    A crossing keeps how far its ruling lines reach: ``bottom``, the bottom furthest down of its vertical lines,
    and ``reach``, the right end (plus CROSS) furthest right of its horizontal ones. A crossing lower in its
    column is joined to it by a vertical line exactly when it lies within CROSS of that bottom (such a line
    crosses the lower crossing's horizontal lines too), and one further right in its row likewise: whether two
    crossings are joined is one comparison, and the crossings one is joined to are the next ones in its column
    (row) up to where its lines end.
    """

    def __init__(self, horizontal: list, vertical: list) -> None:
        y, x0, x1 = np.array(horizontal).T
        x, top, bottom = np.array(vertical).T[:, :, None]  # a row per vertical line, a column per horizontal
        meets = (top <= y + CROSS) & (bottom >= y - CROSS) & (x0 - CROSS <= x) & (x <= x1 + CROSS)
        by_x, by_y = _firsts(x[:, 0]), _firsts(y)  # the lines come sorted by position
        self.xs, self.ys = x[by_x, 0], y[by_y]

        def per_crossing(reduce, values):
            return reduce.reduceat(reduce.reduceat(values, by_x, axis=0), by_y, axis=1)

        self.exists = per_crossing(np.logical_or, meets)
        self.bottom = per_crossing(np.maximum, np.where(meets, bottom, -inf))
        self.reach = per_crossing(np.maximum, np.where(meets, x1 + CROSS, -inf))

    def cells(self) -> list[list[int]]:
        """For each crossing (by x, then y), the smallest rectangle it opens down and right whose sides are all
        ruled, if any, as the grid indexes of its corners (i, j, r, b).

        Mostly it is the rectangle up to the next crossing down and the next one right, when the crossing's lines
        reach both: that is checked for all crossings at once. Where that rectangle does not close (a merged
        cell), the crossing is searched further on its own.
        """
        i, j = np.nonzero(self.exists)  # by x, then y
        nx, ny = self.exists.shape
        below, right = _next(self.exists)[i, j], _next(self.exists.T).T[i, j]
        b, r = np.minimum(below, ny - 1), np.minimum(right, nx - 1)  # in range; used only where below, right are
        opens = (below < ny) & (right < nx) & (self.bottom[i, j] >= self.ys[b] - CROSS)
        opens &= self.xs[r] <= self.reach[i, j]
        first = opens & self._closes(i, j, r, b)
        corners = np.stack([i, j, r, b], axis=1)[first].tolist()
        merged = np.flatnonzero(opens & ~first).tolist()
        if merged:  # look further, crossing by crossing, in Python lists (numpy is slow one number at a time)
            grid = [array.tolist() for array in (self.xs, self.ys, self.exists, self.bottom, self.reach)]
            corners += [_search(*grid, int(i[index]), int(j[index])) for index in merged]
            corners = sorted(corner for corner in corners if corner is not None)  # back to the crossings' order
        return corners

    def _closes(self, i, j, r, b):
        """Whether the crossing (r, b) is there and joined to (r, j) above it and (i, b) left of it."""
        return self.exists[r, b] & (self.bottom[r, j] >= self.ys[b] - CROSS) & (self.xs[r] <= self.reach[i, b])


def _search(xs: list, ys: list, exists: list, bottom: list, reach: list, i: int, j: int) -> list[int] | None:
    """The corners (i, j, r, b) of the smallest ruled rectangle the crossing (i, j) opens, or None (the search
    of :meth:`_Crossings.cells` for every rectangle, not only the one up to the next crossings)."""
    rights = [r for r in range(i + 1, len(xs)) if exists[r][j] and xs[r] <= reach[i][j]]
    for b in range(j + 1, len(ys)):
        if not exists[i][b]:
            continue
        if bottom[i][j] < ys[b] - CROSS:
            return None  # the vertical rules through (i, j) end above b, so above every crossing further down
        for r in rights:
            if exists[r][b] and bottom[r][j] >= ys[b] - CROSS and xs[r] <= reach[i][b]:
                return [i, j, r, b]
    return None


def _firsts(sorted_values: np.ndarray) -> np.ndarray:
    """Where each distinct value of a sorted array starts (np.unique's indexes, without its overhead)."""
    new = np.empty(len(sorted_values), dtype=bool)
    new[0] = True
    new[1:] = sorted_values[1:] != sorted_values[:-1]
    return np.flatnonzero(new)


def _next(present: np.ndarray) -> np.ndarray:
    """For each place, the index of the next place along its row where ``present`` is, or the row's length."""
    n = present.shape[1]
    index = np.where(present, np.arange(n), n)
    after = np.full_like(index, n)
    after[:, :-1] = np.minimum.accumulate(index[:, :0:-1], axis=1)[:, ::-1]
    return after


def _tables(cells: list[list[int]], shape: tuple[int, int]) -> list[list[list[int]]]:
    """Cells (corners on a grid of crossings of ``shape``) that share a corner are one table (connected groups,
    by union-find with path halving), ordered by their top-left cell."""
    height = shape[1]
    parent = list(range(len(cells)))
    owner = [-1] * (shape[0] * height)  # corner -> the first cell with that corner
    for index, (x0, top, x1, bottom) in enumerate(cells):
        mine = index  # the root of this cell's group: only this loop links it
        for corner in (x0 * height + top, x0 * height + bottom, x1 * height + top, x1 * height + bottom):
            other = owner[corner]
            if other < 0:
                owner[corner] = index
                continue
            while parent[other] != other:  # its root (inline: this runs for most corners of most cells)
                parent[other] = parent[parent[other]]
                other = parent[other]
            parent[mine] = other
            mine = other
    groups: dict[int, list[list[int]]] = defaultdict(list)
    for index, cell in enumerate(cells):
        root = index
        while parent[root] != root:
            root = parent[root]
        groups[root].append(cell)
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


# --- characters → cells ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chars:
    """Characters as columns, one row per :data:`Char`: a page holds a thousand or more, and the grouping into
    cells, lines and words is done on whole columns at once (numpy), not character by character."""

    x0: np.ndarray
    top: np.ndarray
    x1: np.ndarray
    bottom: np.ndarray
    baseline: np.ndarray
    code: np.ndarray  # the character's code point (uint32)
    spaced: np.ndarray  # int8: 2 printed space before it, 1 a space the text layer put in, 0 none

    @classmethod
    def of(cls, chars: Sequence[Char]) -> Chars:
        x0, top, x1, bottom, text, baseline, spaced = zip(*chars, strict=True) if chars else [()] * 7
        floats = [np.array(column, dtype=np.float64) for column in (x0, top, x1, bottom, baseline)]
        code = np.array([ord(char) for char in text], dtype=np.uint32)
        return cls(*floats, code, np.array(spaced, dtype=np.int8))

    @property
    def count(self) -> int:
        return len(self.code)


PROSE, NOWHERE = -1, -2  # not in a table; in a table but in none of its cells (its centre on a rule)


class CellIndex:
    """Which cell of a table holds a point: the cells' edges cut the table into a grid looked up by bisection."""

    def __init__(self, cells: list[Box]) -> None:
        xs = sorted({c[0] for c in cells} | {c[2] for c in cells})
        ys = sorted({c[1] for c in cells} | {c[3] for c in cells})
        self.xs, self.ys = np.array(xs), np.array(ys)
        column, row = {x: i for i, x in enumerate(xs)}, {y: j for j, y in enumerate(ys)}
        owner = [[-1] * (len(ys) - 1) for _ in range(len(xs) - 1)]  # lists: numpy is slow a slot at a time
        for index, (x0, top, x1, bottom) in enumerate(cells):  # a later cell wins where cells overlap
            first, last = row[top], row[bottom]
            for i in range(column[x0], column[x1]):
                owner[i][first:last] = [index] * (last - first)
        self.owner = np.array(owner)

    def find(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The cell holding each point, -1 where none does."""
        i = np.searchsorted(self.xs, x, side="right") - 1
        j = np.searchsorted(self.ys, y, side="right") - 1
        inside = (i >= 0) & (j >= 0) & (i < len(self.xs) - 1) & (j < len(self.ys) - 1)
        found = np.full(len(x), -1)
        found[inside] = self.owner[i[inside], j[inside]]
        return found


def assign(chars: Chars, tables: list[Table]) -> np.ndarray:
    """For each character, the cell holding its centre, numbered through the tables in order: PROSE outside
    every table's box, NOWHERE inside one but in none of its cells. The first table whose box holds it wins."""
    group = np.full(chars.count, PROSE)
    if not tables:
        return group
    x, y = (chars.x0 + chars.x1) / 2, (chars.top + chars.bottom) / 2
    free = np.ones(chars.count, dtype=bool)
    first = 0
    for table in tables:
        x0, top, x1, bottom = table.box
        inside = free & (x0 <= x) & (x <= x1) & (top <= y) & (y <= bottom)
        free &= ~inside
        found = CellIndex(table.cells).find(x[inside], y[inside])
        group[inside] = np.where(found >= 0, first + found, NOWHERE)
        first += len(table.cells)
    return group


# --- characters → words → lines ----------------------------------------------------------------------------------

_LATIN = np.array([chr(code).isalnum() for code in range(128)])  # ASCII letters and digits


def lines(chars: Chars, group: np.ndarray) -> list[tuple[int, float, str]]:
    """Each group's characters as lines: (group, top of the line's highest glyph box, its words joined by one
    space), groups in increasing order, each group's lines top to bottom.

    A line is the characters of one group on one baseline: sorted by baseline (stably: ties keep the text's
    order), a new line starts more than Y_GAP past the character before, as a Latin run in a CJK line shares the
    baseline though its font's glyph boxes stand higher or lower. A line's characters go left to right (stably),
    and a new word starts where a printed space stands before a character (spaced 2), where the gap to the
    character before is wider than X_GAP (or the character starts left of the one before), and where pdfium put
    a space in for a narrower gap between two Latin letters or digits (spaced 1).
    """
    if not chars.count:
        return []
    order = _order(group, chars.baseline)
    baseline, within = chars.baseline[order], group[order]
    new_line = np.empty(chars.count, dtype=bool)
    new_line[0] = True
    new_line[1:] = (within[1:] != within[:-1]) | (baseline[1:] > baseline[:-1] + Y_GAP)
    order = order[_left_to_right(np.cumsum(new_line), chars.x0[order], new_line)]  # each line keeps its place
    x0, x1, spaced, code = chars.x0[order], chars.x1[order], chars.spaced[order], chars.code[order]
    latin = _LATIN[np.minimum(code, 127)]  # 127 (DEL) is no letter: it stands for every code beyond ASCII
    space = np.zeros(chars.count, dtype=bool)
    space[1:] = (
        (spaced[1:] == 2)
        | (x0[1:] < x0[:-1])
        | (x0[1:] > x1[:-1] + X_GAP)
        | ((spaced[1:] == 1) & latin[:-1] & latin[1:])
    )
    space &= ~new_line
    starts = np.flatnonzero(new_line)
    tops = np.minimum.reduceat(chars.top[order], starts)
    return list(zip(within[starts].tolist(), tops.tolist(), _runs(code, space, starts), strict=True))


def _left_to_right(line: np.ndarray, x0: np.ndarray, new_line: np.ndarray) -> np.ndarray:
    """The indexes that sort each line's characters by x0, ties kept in order. Without ties in a line any sort
    gives that order, and quicksort is the quickest: the stable sort is made only where a line has ties."""
    order = _order(line, x0, "quicksort")
    placed = x0[order]
    if ((placed[1:] == placed[:-1]) & ~new_line[1:]).any():  # new_line: lines keep their places in the order
        order = _order(line, x0, "stable")
    return order


def _order(major: np.ndarray, minor: np.ndarray, kind: str = "stable") -> np.ndarray:
    """The indexes that sort by the integers ``major``, then by ``minor`` (with ``kind``: a stable sort keeps
    ties in order, as np.lexsort does). The integers are sorted last, by a radix sort when they span less than
    2**16: lexsort's general sort of them takes most of the time of a page's grouping."""
    order = np.argsort(minor, kind=kind)
    major = major[order]
    low, high = major.min(), major.max()
    if low == high:
        return order
    if high - low < 2**16:
        major = (major - low).astype(np.uint16)
    return order[np.argsort(major, kind="stable")]


def _runs(code: np.ndarray, space: np.ndarray, starts: np.ndarray) -> list[str]:
    """The text of each run of characters (run k begins at ``starts[k]``), a space put in before each character
    ``space`` marks: one string decoded for the whole page, then cut, instead of a join per word."""
    at = np.arange(len(code)) + np.cumsum(space)  # where each character lands in the text
    spaced = np.full(int(at[-1]) + 1, ord(" "), dtype="<u4")
    spaced[at] = code
    text = spaced.tobytes().decode("utf-32-le", "surrogatepass")  # lone UTF-16 halves stay as they are
    bounds = [*at[starts].tolist(), len(text)]
    return [text[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


def text_lines(chars: Chars | Sequence[Char]) -> list[tuple[float, str]]:
    """The text as lines, top to bottom: (top of the line's highest glyph box, its words joined by one space)."""
    chars = chars if isinstance(chars, Chars) else Chars.of(chars)
    return [(top, text) for _, top, text in lines(chars, np.full(chars.count, PROSE))]


def cell_texts(lines_found: list[tuple[int, float, str]], count: int) -> list[str]:
    """Each of ``count`` cells' text from :func:`lines` (cells numbered from 0): its lines joined by line breaks."""
    texts: list[list[str]] = [[] for _ in range(count)]
    for cell, _, text in lines_found:
        if cell >= 0:
            texts[cell].append(text)
    return ["\n".join(found) for found in texts]
