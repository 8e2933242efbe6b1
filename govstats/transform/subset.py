"""When no reading satisfies every identity: the readings that satisfy a maximum consistent subset of them.

A source that breaks its own arithmetic (dispositions summing to 26 against a printed 总计 of 20) has no reading
that satisfies every equation of codebook/identities.csv. Instead of losing the section, the search here

1. lists, per row, the readings of its run: those satisfying the row's own sum, and — as readings that break it —
   every other split (while there are few) or, for a run with fewer digits than cells, the splits with the fewest
   blank cells (a blank counts as nothing in a sum and is never 0);
2. finds the fewest equations a reading must break, by an integer program (scipy.optimize.milp): one binary per
   row reading, one per equation (1 = broken, big-M), minimising the broken ones;
3. for every set of equations broken at that minimum (each found in turn, then excluded by a cut), lists with the
   exact dynamic programme of :mod:`govstats.transform.solve` every reading that breaks exactly that set.

A cell is fixed when it takes one value over all those readings; the integer program only proposes broken sets,
the exact arithmetic decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations, product
from math import prod

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .. import codebook
from ..codebook import REVIEW_SUM, ROW_SUM
from ..codebook.identities import equations
from .digits import _number, _pieces_text, splits, sum_readings
from .solve import SINGLE_SPLIT, Solution, _column_solve, _review_tests, request_constraints

Key = tuple[str, str]
EquationId = tuple[str, str]  # (identity, row or column it is written for)

# Every split of a row is tried as a reading breaking its sum only below this many: past it the row keeps the
# readings its own sum allows (a long run misprinted in its total stays a failed check, never a guess).
MAX_SPLITS = 400
# A row whose run has no split satisfying its sum is read every way up to this many splits.
MAX_SPLITS_UNSUMMED = 1000
# Optimal broken sets looked for; past this the section is not fixed further (cells left as the search found).
MAX_BROKEN_SETS = 16


@dataclass
class RowOptions:
    """The readings of one row's run, each with whether it satisfies the row's own sum."""

    readings: list[tuple]
    sums: list[bool]
    blanks: bool = False  # the run has fewer digits than cells: readings hold blank (None) cells
    implied: bool = False  # read from the cells the other rows fix (see _implied_rows)

    def satisfying(self) -> list[tuple]:
        return [r for r, ok in zip(self.readings, self.sums, strict=True) if ok]

    def breaking(self) -> list[tuple]:
        return [r for r, ok in zip(self.readings, self.sums, strict=True) if not ok]


def _sums(reading: tuple) -> bool:
    *parts, total = (v or 0 for v in reading)
    return sum(parts) == total


def with_blanks(run: str | Sequence[str], parts: int) -> list[tuple]:
    """Readings of a run with fewer numbers than ``parts``: the fewest blank cells (None) that make a split."""
    for blanks in range(1, parts):
        found = []
        for split in splits(run, parts - blanks):
            for places in combinations(range(parts), blanks):
                values = iter(split)
                found.append(tuple(None if i in places else next(values) for i in range(parts)))
        if found:
            return found
    return []


def row_options(run: str | Sequence[str], parts: int, known: Mapping[int, int] | None = None) -> RowOptions:
    """Every reading of a row worth considering when the identities cannot all hold (see the module's text)."""
    if not any(ch.isdigit() for ch in _pieces_text(run)):  # a row printed as its label alone: blank cells
        return RowOptions([(None,) * parts], [True], blanks=True)
    satisfying = sum_readings(run, parts)
    limit = MAX_SPLITS if satisfying else MAX_SPLITS_UNSUMMED
    every = splits(run, parts) if len(satisfying) <= limit else []
    blanks = False
    if not every and not satisfying:
        every = with_blanks(run, parts)
        blanks = bool(every)
    if len(every) > limit or len(satisfying) > limit:
        # Too many readings to weigh. Keeping only those that satisfy the row's own sum would be an incomplete set,
        # in which a coincidental split (5+5414+70+1+141+441 = 6072 for 5541,470,11,4,14,41,6072) looks unique:
        # the row is left to what its column equations imply (see _implied_rows), or unreadable.
        return RowOptions([], [], False)
    readings = list(dict.fromkeys([*satisfying, *every]))
    known = known or {}
    readings = [r for r in readings if all(r[i] == v for i, v in known.items())]
    return RowOptions(readings, [_sums(r) for r in readings], blanks)


@dataclass
class Equation:
    """A linear equation over row readings: ``constant + sum(coefficient * cell)``, per column index, is zero."""

    key: EquationId
    terms: dict[str, int]  # row -> coefficient
    column: int | None  # None for a row's own sum
    constant: int = 0


@dataclass
class Subset:
    """The outcome of the degraded search: the optimal broken sets and the per-row readings at the optimum."""

    broken: int  # fewest equations broken
    broken_sets: list[tuple[EquationId, ...]] = field(default_factory=list)
    chosen: dict[str, list[tuple]] = field(default_factory=dict)  # per row, readings used at the optimum
    complete: bool = True  # every optimal broken set was found (else the search stopped at MAX_BROKEN_SETS)


def _value(reading: tuple, column: int) -> int:
    return reading[column] or 0


def _program(options: Mapping[str, RowOptions], equations: Sequence[Equation]):
    """The integer program's matrices: variables are the row readings, then one binary per equation."""
    rows = list(options)
    offsets, position = {}, 0
    for row in rows:
        offsets[row] = position
        position += len(options[row].readings)
    width = position + len(equations)
    height = len(rows) + sum(1 if equation.column is None else 2 for equation in equations)
    matrix = np.zeros((height, width))  # filled line by line, in the order the lines are described below
    lower, upper = [], []
    line = 0
    for row in rows:  # each row takes exactly one reading
        matrix[line, offsets[row] : offsets[row] + len(options[row].readings)] = 1
        lower.append(1), upper.append(1)
        line += 1
    for index, equation in enumerate(equations):
        flag = position + index
        if equation.column is None:  # a row's own sum: broken when a reading that breaks it is chosen
            (row,) = equation.terms
            sums = options[row].sums
            matrix[line, offsets[row] : offsets[row] + len(sums)] = [0 if ok else 1 for ok in sums]
            matrix[line, flag] = -1
            lower.append(-np.inf), upper.append(0)
            line += 1
            continue
        bound = abs(equation.constant) + 1
        for row, coefficient in equation.terms.items():
            values = [coefficient * _value(r, equation.column) for r in options[row].readings]
            matrix[line, offsets[row] : offsets[row] + len(values)] = values
            bound += max(abs(v) for v in values) if values else 0
        # |constant + line·x| <= bound * flag, as two rows: line·x - bound·flag <= -constant and
        # line·x + bound·flag >= -constant.
        matrix[line + 1] = matrix[line]
        matrix[line, flag], matrix[line + 1, flag] = -bound, bound
        lower += [-np.inf, -equation.constant]
        upper += [-equation.constant, np.inf]
        line += 2
    return rows, offsets, matrix, np.array(lower, dtype=float), np.array(upper, dtype=float), width


def _broken_by(choice: Mapping[str, tuple], options, equations: Sequence[Equation]) -> tuple[EquationId, ...]:
    """The equations a joint reading breaks, in exact integer arithmetic."""
    broken = []
    for equation in equations:
        if equation.column is None:
            (row,) = equation.terms
            ok = _sums(choice[row])
        else:
            total = equation.constant + sum(c * _value(choice[r], equation.column) for r, c in equation.terms.items())
            ok = total == 0
        if not ok:
            broken.append(equation.key)
    return tuple(broken)


def _picked(x: np.ndarray, offset: int, option: RowOptions) -> int:
    return int(np.argmax(x[offset : offset + len(option.readings)]))


def minimum_broken_sets(
    options: Mapping[str, RowOptions], equations: Sequence[Equation]
) -> tuple[int, list[tuple[EquationId, ...]], bool]:
    """The fewest equations any joint reading breaks, and every set of that size some reading breaks."""
    rows, offsets, matrix, lower, upper, width = _program(options, equations)
    flags = width - len(equations)
    cost = np.zeros(width)
    cost[flags:] = 1
    found: list[tuple[EquationId, ...]] = []
    best = None
    while len(found) < MAX_BROKEN_SETS:
        # One constraint block, its rows in the order they were added: the program HiGHS receives is the same as
        # from a list of blocks, without scipy converting and stacking every block again on each call.
        constraints = LinearConstraint(matrix, lower, upper)
        result = milp(cost, integrality=np.ones(width), bounds=Bounds(0, 1), constraints=constraints)
        if result.status != 0 or result.x is None:
            return (best if best is not None else -1), found, True
        choice = {row: options[row].readings[_picked(result.x, offsets[row], options[row])] for row in rows}
        broken = _broken_by(choice, options, equations)
        if best is None:
            best = len(broken)
            ceiling = np.zeros(width)
            ceiling[flags:] = 1
            matrix, lower, upper = _with_row(matrix, lower, upper, ceiling, 0, best)
        if len(broken) > best:  # the program's tolerance let a worse reading through: nothing more at the optimum
            return best, found, True
        if broken not in found:
            found.append(broken)
        cut = np.zeros(width)  # no later reading may break all of this set again
        for index, equation in enumerate(equations):
            if equation.key in broken:
                cut[flags + index] = 1
        matrix, lower, upper = _with_row(matrix, lower, upper, cut, -np.inf, max(len(broken) - 1, 0))
        if not broken:
            return 0, found, True
    return best if best is not None else -1, found, False


def _with_row(matrix: np.ndarray, lower: np.ndarray, upper: np.ndarray, line: np.ndarray, low: float, high: float):
    """The program's constraints with one more row ``low <= line·x <= high``."""
    return np.vstack([matrix, line]), np.append(lower, low), np.append(upper, high)


def row_sum_key(row: str) -> EquationId:
    return (ROW_SUM, row)


# ---------------------------------------------------------------------------------------------------------------
# Section 三 and section 四
# ---------------------------------------------------------------------------------------------------------------


def _request_equations(rows, names, options: Mapping[str, RowOptions], known) -> list[Equation]:
    """Identity 1 per row with a run, identities 2-3 per column whose every cell is a run or read directly."""
    found = [Equation(row_sum_key(row), {row: 1}, None) for row in options]
    for name, coefficients in request_constraints(rows):
        for index, column in enumerate(names):
            if all(row in options or (row, column) in known for row in coefficients):
                constant = sum(c * (known[(r, column)] or 0) for r, c in coefficients.items() if r not in options)
                terms = {r: c for r, c in coefficients.items() if r in options}
                found.append(Equation((name, column), terms, index, constant))
    return found


def degraded_requests(
    runs: Mapping[str, Sequence[str]], rows: Sequence[str], names: Sequence[str], known: Mapping[Key, int]
) -> Solution:
    """Section 三 when no reading satisfies identities 1-3 together: the readings breaking the fewest equations."""
    runs = {row: run for row, run in runs.items() if row in rows}
    options = {}
    for row, run in runs.items():
        fixed = {i: known[(row, c)] for i, c in enumerate(names) if (row, c) in known}
        found = row_options(run, len(names), fixed)
        if found.readings:
            options[row] = found
    first = _search(runs, rows, names, known, options)
    implied = _implied_rows(runs, rows, names, known, options, first) if first.readings or not options else {}
    if implied:
        options.update(implied)
        first = _search(runs, rows, names, known, options)
    return first


def _implied_rows(runs, rows, names, known, options, solution: Solution) -> dict[str, RowOptions]:
    """Readings of the rows left out for having too many splits, from the cells the other rows allow.

    A column equation whose other cells are runs or read says what the row's cell can be (one value per choice of
    the others, while there are few); the row is then read as such values with at most one cell (the misprinted
    one) anything its digits allow.
    """
    allowed = {**{k: frozenset([v]) for k, v in known.items()}, **solution.values}
    found = {}
    for row, run in runs.items():
        if row in options:
            continue
        expected = [_implied(row, column, rows, allowed) for column in names]
        if any(not values for values in expected) or prod(len(v) for v in expected) > MAX_IMPLIED_ROWS:
            continue
        readings = []
        for choice in product(*(sorted(v) for v in expected)):
            readings += _one_cell_apart(_pieces_text(run), choice)
        readings = list(dict.fromkeys(readings))
        if readings:
            found[row] = RowOptions(readings, [_sums(r) for r in readings], implied=True)
    return found


def _implied(row: str, column: str, rows, allowed: Mapping[Key, frozenset]) -> frozenset:
    """The values a column equation leaves for (row, column), given the values the other cells may take."""
    for _, coefficients in request_constraints(rows):
        others = [r for r in coefficients if r != row]
        if row not in coefficients or not all((r, column) in allowed for r in others):
            continue
        choices = [sorted(allowed[(r, column)], key=lambda v: v or 0) for r in others]
        if prod(len(c) for c in choices) > MAX_IMPLIED:
            continue
        values = set()
        for picked in product(*choices):
            total = sum(coefficients[r] * (v or 0) for r, v in zip(others, picked, strict=True))
            values.add(-total * coefficients[row])
        return frozenset(v for v in values if v >= 0)
    return frozenset()


# Choices of the other cells tried when a row's cells are implied by its column equations (per equation, and
# combinations of the implied values across the row's columns).
MAX_IMPLIED = 64
MAX_IMPLIED_ROWS = 1024


def _one_cell_apart(text: str, expected: Sequence[int | None]) -> list[tuple]:
    """Splits of ``text`` equal to ``expected`` in every cell but one (which takes any number the digits allow)."""
    if " " in text:
        return []
    printed = [str(v) for v in expected]
    found = []
    for index in range(len(expected)):
        head, tail = "".join(printed[:index]), "".join(printed[index + 1 :])
        if len(head) + len(tail) < len(text) and text.startswith(head) and text.endswith(tail):
            middle = text[len(head) : len(text) - len(tail)]
            value = _number(middle, False)
            if value is not None:
                found.append((*expected[:index], value, *expected[index + 1 :]))
    return list(dict.fromkeys(found))


def _search(runs, rows, names, known, options: Mapping[str, RowOptions]) -> Solution:
    equations = _request_equations(rows, names, options, known)
    best, broken_sets, complete = minimum_broken_sets(options, equations) if options else (-1, [], True)
    solution = Solution(
        0, degraded=True, complete=complete, considered={r: len(o.readings) for r, o in options.items()}
    )
    solution.empty_rows = [row for row in runs if row not in options]
    constraints = request_constraints(rows)
    chosen: dict[str, set] = {row: set() for row in options}
    for broken in broken_sets:
        readings = {row: (o.breaking() if row_sum_key(row) in broken else o.satisfying()) for row, o in options.items()}
        dropped = frozenset(key for key in broken if key[0] != ROW_SUM)
        count, used = _column_solve(readings, constraints, known, names, dropped)
        if count:
            solution.readings += count
            solution.broken_sets.append(broken)
            for row, found in used.items():
                chosen[row].update(found)
    if not solution.readings:
        return solution
    solution.values = {}
    for row, found in chosen.items():
        by_column = zip(*found, strict=True) if found else ((),) * len(names)  # the readings, transposed
        solution.values.update(zip([(row, column) for column in names], map(frozenset, by_column), strict=True))
    solution.identities = _deciding(solution, options, equations, names)
    return solution


def _deciding(solution: Solution, options, equations: Sequence[Equation], names) -> dict[Key, tuple[str, ...]]:
    """For each fixed cell: the run alone (single_split), or the identities held in every optimal reading of it."""
    held = [e for e in equations if all(e.key not in broken for broken in solution.broken_sets)]
    held_by_row: dict[str, list[Equation]] = {}  # in the equations' order
    for equation in held:
        for row in equation.terms:
            held_by_row.setdefault(row, []).append(equation)
    named = {}
    for (row, column), values in solution.values.items():
        if len(values) != 1:
            continue
        index = names.index(column)
        if not options[row].implied and len({r[index] for r in options[row].readings}) == 1:
            named[(row, column)] = (SINGLE_SPLIT,)
            continue
        touching = [e.key[0] for e in held_by_row.get(row, ()) if e.column in (None, index)]
        named[(row, column)] = tuple(dict.fromkeys(touching))
    return named


def degraded_review(
    runs: Sequence[str], known: Mapping[Key, int] | None = None, *, narrative_totals: Mapping | None = None
) -> Solution:
    """Section 四 when no reading has every proceeding summing: the readings with the fewest broken proceedings.

    A garbled run may also have lost digits, which no broken-sum reading restores: where the prose states review
    figures, only readings agreeing with every one are kept, and none agreeing leaves the section unreadable.

    The run is cut into one piece per proceeding; a piece is read by its sum (identity 4 holds) or, when it has few
    splits, by any split (identity 4 broken for that proceeding).
    """
    proceedings, outcomes = codebook.proceedings(), codebook.outcomes()
    keys = [(p, o) for p in proceedings for o in outcomes]
    known = dict(known or {})
    text = _pieces_text(runs)
    size = len(outcomes)
    if len(text.split()) < len(proceedings) and len(text.replace(" ", "")) != len(keys):
        # Fused into fewer pieces than proceedings, three sums cannot tell a misprint from a digit the copy lost
        # (seed 004's 38 digits): the section stays unreadable rather than guessed. One digit per cell leaves no
        # room for a lost digit: that run reads as printed, its broken sums failed checks.
        return Solution(0, degraded=True)

    @cache
    def pieces(start: int, end: int) -> tuple[tuple[tuple, ...], tuple[tuple, ...]]:
        piece = text[start:end].strip()
        if not piece or " " in text[end - 1 : end]:
            return (), ()
        holding = tuple(sum_readings(piece, size))
        others = (
            () if len(piece.replace(" ", "")) > MAX_PIECE else tuple(r for r in splits(piece, size) if not _sums(r))
        )
        return holding, others

    @cache
    def best_from(start: int, group: int) -> tuple[int, tuple]:
        """(fewest broken proceedings, the readings reaching it) from text position ``start`` on."""
        if group == len(proceedings):
            return (0, ((),)) if start >= len(text) else (len(proceedings) + 1, ())
        best, found = len(proceedings) + 1, []
        for end in range(start + size, len(text) + 1):
            if end < len(text) and text[end] != " " and text[end - 1] == " ":
                continue
            following = end + 1 if end < len(text) and text[end] == " " else end
            rest_cost, rest = best_from(following, group + 1)
            if not rest:
                continue
            for cost, readings in zip((0, 1), pieces(start, end), strict=True):
                if not readings or cost + rest_cost > best:
                    continue
                if cost + rest_cost < best:
                    best, found = cost + rest_cost, []
                for head in readings:
                    found.extend((*head, *tail) for tail in rest[: MAX_REVIEW_READINGS + 1 - len(found)])
                    if len(found) > MAX_REVIEW_READINGS:
                        break
        return best, tuple(found[: MAX_REVIEW_READINGS + 1])

    broken, readings = best_from(0, 0) if text else (len(proceedings) + 1, ())
    readings = [r for r in readings if all(known.get(k, v) == v for k, v in zip(keys, r, strict=True))]
    # Where every cell has its own digit the printed numbers stand; the prose is compared with them afterwards.
    tests = _review_tests(narrative_totals) if len(text.replace(" ", "")) != len(keys) else []
    readings = [r for r in readings if all(test(dict(zip(keys, r, strict=True))) for _, test in tests)]
    solution = Solution(len(readings), degraded=True, complete=len(readings) <= MAX_REVIEW_READINGS)
    if not readings or broken > len(proceedings):
        solution.readings = 0
        return solution
    solution.values = {key: frozenset(r[i] for r in readings) for i, key in enumerate(keys)}
    for reading in readings:
        values = dict(zip(keys, reading, strict=True))
        failing = tuple(
            (e.identity, e.where.rsplit(".", 1)[1])
            for e in equations("review_litigation")
            if sum(values[k] for k in e.left) != sum(values[k] for k in e.right)
        )
        if failing not in solution.broken_sets:
            solution.broken_sets.append(failing)
    held = {p for p in proceedings if all((REVIEW_SUM, p) not in b for b in solution.broken_sets)}
    solution.identities = {
        key: (REVIEW_SUM,) if key[0] in held else () for key, values in solution.values.items() if len(values) == 1
    }
    return solution


# A proceeding's piece is split every way (to read a broken sum) only up to this many digits; and a degraded
# section 四 lists at most this many readings (more: its cells are not fixed).
MAX_PIECE = 14
MAX_REVIEW_READINGS = 5000
