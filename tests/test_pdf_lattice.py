"""The fast reader's geometry (govstats.extract.pdf_lattice) against the plain rules it implements.

The lattice groups a page's characters on whole numpy columns and finds cells on a grid of crossings; the
references here apply the same rules one character, one crossing at a time, the way the reader first did. Random
characters (ties in position included, which the sorts must keep in text order) and random rulings (jittered,
broken, partial lines: merged cells) must come out the same.
"""

from __future__ import annotations

from collections import defaultdict
from math import inf

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from govstats.extract import pdf_lattice
from govstats.extract.pdf_lattice import CROSS, X_GAP, Y_GAP

# --- characters → lines ------------------------------------------------------------------------------------------


def reference_lines(chars: list) -> list[tuple[float, str]]:
    """Lines by baseline (sorted stably, a new line past Y_GAP), words by the gaps, one character at a time."""
    lines: list[list] = []
    last = -inf
    for char in sorted(chars, key=lambda char: char[5]):
        if char[5] > last + Y_GAP:
            lines.append([char])
        else:
            lines[-1].append(char)
        last = char[5]
    found = []
    for line in lines:
        line.sort(key=lambda char: char[0])
        words, word, before = [], [line[0][4]], line[0]
        for char in line[1:]:
            latin = char[6] == 1 and _latin(before[4]) and _latin(char[4])
            if char[6] == 2 or char[0] < before[0] or char[0] > before[2] + X_GAP or latin:
                words.append("".join(word))
                word = []
            word.append(char[4])
            before = char
        words.append("".join(word))
        found.append((min(char[1] for char in line), " ".join(words)))
    return found


def _latin(text: str) -> bool:
    return text.isascii() and text.isalnum()


@st.composite
def characters(draw) -> list:
    xs = draw(st.lists(st.sampled_from([0.0, 5.0, 10.0, 12.5, 20.0, 30.0]), min_size=1, max_size=20))
    chars = []
    for x0 in xs:
        x0 += draw(st.sampled_from([0.0, 0.0, 0.25, 1e-9]))  # often the same x as another character
        baseline = draw(st.sampled_from([10.0, 10.0, 12.0, 13.5, 14.0, 30.0])) + draw(st.sampled_from([0.0, 1e-7, 2.0]))
        width = draw(st.sampled_from([0.0, 1.0, 2.5, 5.0, 10.0]))
        text = draw(st.sampled_from(list("ab1件年二3x")))
        chars.append((x0, baseline - 10, x0 + width, baseline, text, baseline, draw(st.sampled_from([0, 0, 1, 2]))))
    return chars


@given(characters())
def test_text_lines_follow_the_rules_one_character_at_a_time(chars):
    assert pdf_lattice.text_lines(chars) == reference_lines(chars)


@given(characters(), st.data())
def test_cell_texts_are_each_cells_lines(chars, data):
    count = data.draw(st.integers(1, 4))
    group = [data.draw(st.integers(0, count - 1)) for _ in chars]
    found = pdf_lattice.lines(pdf_lattice.Chars.of(chars), np.array(group))
    for cell, text in enumerate(pdf_lattice.cell_texts(found, count)):
        mine = [char for char, where in zip(chars, group, strict=True) if where == cell]
        assert text == "\n".join(line for _, line in reference_lines(mine))


# --- ruling lines → cells → tables ---------------------------------------------------------------------------------


def reference_tables(horizontal: list, vertical: list) -> list[list[tuple]]:
    """Crossings as the sets of lines through them; a cell where four crossings are joined by shared lines."""
    horizontal, vertical = pdf_lattice.ruling_lines(horizontal, vertical)
    crossings: dict[tuple, tuple[set, set]] = {}
    for v, (x, top, bottom) in enumerate(vertical):
        for h, (y, x0, x1) in enumerate(horizontal):
            if top <= y + CROSS and bottom >= y - CROSS and x0 - CROSS <= x <= x1 + CROSS:
                lines = crossings.setdefault((x, y), (set(), set()))
                lines[0].add(v)
                lines[1].add(h)

    def down(x, y0, y1):
        return bool(crossings[(x, y0)][0] & crossings[(x, y1)][0])

    def across(y, x0, x1):
        return bool(crossings[(x0, y)][1] & crossings[(x1, y)][1])

    by_x, by_y = defaultdict(list), defaultdict(list)
    for x, y in sorted(crossings):
        by_x[x].append(y)
        by_y[y].append(x)
    cells = []
    for x, y in sorted(crossings):
        rights = [r for r in by_y[y] if r > x and across(y, x, r)]
        below = [b for b in by_x[x] if b > y and down(x, y, b)]
        cell = next(
            ((x, y, r, b) for b in below for r in rights if (r, b) in crossings and down(r, y, b) and across(b, x, r)),
            None,
        )
        if cell is not None:
            cells.append(cell)
    table_of = list(range(len(cells)))  # connected by shared corners: merge labels until none changes
    corners = defaultdict(list)
    for index, (x0, top, x1, bottom) in enumerate(cells):
        for corner in ((x0, top), (x0, bottom), (x1, top), (x1, bottom)):
            corners[corner].append(index)
    changed = True
    while changed:
        changed = False
        for members in corners.values():
            low = min(table_of[member] for member in members)
            for member in members:
                if table_of[member] != low:
                    table_of[member], changed = low, True
    groups = defaultdict(list)
    for index, cell in enumerate(cells):
        groups[table_of[index]].append(cell)
    tables = sorted(groups.values(), key=lambda table: min((cell[1], cell[0]) for cell in table))
    return [table for table in tables if len(table) > 1]


@st.composite
def rulings(draw) -> tuple[list, list]:
    xs = sorted(draw(st.sets(st.integers(0, 60), min_size=2, max_size=8)))
    ys = sorted(draw(st.sets(st.integers(0, 60), min_size=2, max_size=10)))
    jitter = st.sampled_from([0.0, 0.0, 0.0, 0.5, -1.5, 2.9, 3.0, -3.1])
    horizontal, vertical = [], []
    for lines, positions, across in ((horizontal, ys, xs), (vertical, xs, ys)):
        for position in positions:
            start, end = sorted(draw(st.lists(st.integers(0, len(across) - 1), min_size=2, max_size=2)))
            if draw(st.booleans()):
                start, end = 0, len(across) - 1  # most lines run the whole table
            for piece in range(start, end):
                if draw(st.integers(0, 9)) == 0:
                    continue  # a missing piece of rule: a merged cell
                a, b = 10 * across[piece] + draw(jitter), 10 * across[piece + 1] + draw(jitter)
                lines.append((10 * position + draw(jitter), min(a, b), max(a, b)))
    return horizontal, vertical


@given(rulings())
def test_tables_are_the_cells_crossings_and_shared_lines_make(segments):
    horizontal, vertical = segments
    assert pdf_lattice.find_tables(horizontal, vertical) == reference_tables(horizontal, vertical)


@given(rulings())
def test_a_table_knows_each_cells_slot_and_which_cell_holds_a_point(segments):
    for table in pdf_lattice.read_tables(*segments):
        slots = [[None] * table.width for _ in range(table.height)]
        for cell, row, column in zip(table.cells, table.row, table.column, strict=True):
            slots[row][column] = cell
        assert slots == pdf_lattice.table_rows(table.cells)
        edges = list(zip(*table.cells, strict=True))
        assert table.box == (min(edges[0]), min(edges[1]), max(edges[2]), max(edges[3]))
        xs = sorted({x for cell in table.cells for x in (cell[0], cell[2])})
        ys = sorted({y for cell in table.cells for y in (cell[1], cell[3])})
        points = [(x + dx, y + dy) for x in xs for y in ys for dx in (-0.5, 0.0, 0.5) for dy in (-0.5, 0.0, 0.5)]
        found = pdf_lattice.CellIndex(table.cells).find(*map(np.array, zip(*points, strict=True)))
        for (x, y), cell in zip(points, found.tolist(), strict=True):
            holding = [n for n, (x0, top, x1, bottom) in enumerate(table.cells) if x0 <= x < x1 and top <= y < bottom]
            assert cell == max(holding, default=-1)  # a cell's box holds its left and top edges; a later cell wins
