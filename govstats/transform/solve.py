"""The search over readings: which splits of a section's runs satisfy the identities of codebook/identities.csv.

Section 三: identity 1 per row (:func:`~govstats.transform.digits.sum_readings`), identities 2-3 per column by
dynamic programming over the rows (:func:`solve_requests`); section 四: identity 4 per proceeding
(:func:`solve_review`). Declared narrative totals and identity 5 only narrow what the identities allow. When no
reading satisfies every equation, :mod:`govstats.transform.subset` finds those satisfying a maximum consistent
subset. The search is exact: it never picks a reading the arithmetic does not force.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from .. import codebook
from ..codebook import CARRY_ACROSS_YEARS, REVIEW_SUM, ROW_SUM
from ..codebook.identities import equations
from ..codebook.prose import prose_figures
from .digits import _pieces_text, _sum_readings, grouped_readings, split_value_sets

# Names recorded in Cell.identities besides the identities of codebook/identities.csv.
SINGLE_SPLIT = "single_split"  # the digits admit one split only: no identity was needed
NARRATIVE_TOTAL = "narrative_total"  # a figure stated in the prose (declared by the caller)

UNIQUE, AMBIGUOUS_READINGS, UNRECOVERABLE = "unique", "ambiguous", "unrecoverable"

# The prose figures the solver lets narrow a reading (their cells are in codebook/prose_figures.csv): totals that
# reports state plainly. Other restatements are only compared, afterwards, by validate.prose.
PINNING_REQUEST_FIGURES = ("requests_received", "requests_answered")
PINNING_REVIEW_FIGURES = (
    "reconsideration_cases",
    "reconsideration_corrected",
    "litigation_cases",
    "litigation_corrected",
)


# ---------------------------------------------------------------------------------------------------------------
# The solution
# ---------------------------------------------------------------------------------------------------------------

Key = tuple[str, str]


@dataclass
class Solution:
    """Every reading of a section's runs that satisfies the constraints: per cell, the values over all readings."""

    readings: int
    values: dict[Key, frozenset] = field(default_factory=dict)
    identities: dict[Key, tuple[str, ...]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)  # declared constraints that no reading satisfies
    empty_rows: list[str] = field(default_factory=list)  # rows whose run has no reading on its own
    # A degraded solution (no reading satisfies every identity) holds the readings breaking the fewest equations;
    # broken_sets lists, per such reading class, the (identity, row or column) equations it breaks.
    degraded: bool = False
    broken_sets: list[tuple[tuple[str, str], ...]] = field(default_factory=list)
    complete: bool = True  # every optimal broken set was searched
    considered: dict[str, int] = field(default_factory=dict)  # readings of each row's run the search weighed

    @property
    def status(self) -> str:
        if self.readings == 0:
            return UNRECOVERABLE
        return UNIQUE if self.readings == 1 else AMBIGUOUS_READINGS

    def value(self, row: str, column: str) -> int | float | None:
        """The cell's value when every reading agrees on it, else None."""
        found = self.values.get((row, column), frozenset())
        return next(iter(found)) if len(found) == 1 else None

    def candidates(self, row: str, column: str) -> tuple:
        return tuple(sorted(self.values.get((row, column), ())))


def _values_of(rows: Mapping[str, Sequence[tuple]], columns: Sequence[str]) -> dict[Key, frozenset]:
    values = {}
    for row, readings in rows.items():
        keys = _keys(row, tuple(columns))
        if len(readings) == 1:  # most rows: one value per cell
            values.update(zip(keys, _singletons(readings[0]), strict=True))
            continue
        by_column = zip(*readings, strict=True) if readings else ((),) * len(columns)  # the readings, transposed
        values.update(zip(keys, map(frozenset, by_column), strict=True))
    return values


# The same rows, columns and readings ("0000000" read as seven zeros) recur in every report: their cell keys and
# one-value sets are made once (bounded; frozensets are shared safely).
@lru_cache(maxsize=1024)
def _keys(row: str, columns: tuple[str, ...]) -> tuple[Key, ...]:
    return tuple((row, column) for column in columns)


@lru_cache(maxsize=4096)
def _singletons(reading: tuple) -> tuple[frozenset, ...]:
    return tuple(frozenset((value,)) for value in reading)


# A stage of the attribution: the identities it uses and how to solve with them alone, giving cell -> values for
# (at least) the cells of the rows asked for.
Stage = tuple[tuple[str, ...], Callable[[set[str]], Mapping[Key, frozenset]]]


def _attribute(final: Mapping[Key, frozenset], stages: Sequence[Stage]) -> dict[Key, tuple[str, ...]]:
    """For each cell fixed in ``final``, the identities of the first stage that fixed it (the last stage gives
    ``final`` itself).

    A stage is solved only while some fixed cell is left that no earlier stage fixed, and only for those cells'
    rows: most cells are fixed by their run alone or by its own sum, and the solves with fewer identities then
    need not run at all.
    """
    pending = [key for key, values in final.items() if len(values) == 1]
    named: dict[Key, tuple[str, ...]] = {}
    solved = 0
    for names, solve in stages:
        if not pending:
            break
        found = solve({row for row, _ in pending})
        solved += 1
        named.update((key, names) for key in pending if len(found.get(key, ())) == 1)
        pending = [key for key in pending if key not in named]
    if solved == 1:  # all named at once: already in the cells' order
        return named
    return {key: named[key] for key in final if key in named}


# ---------------------------------------------------------------------------------------------------------------
# Section 三: identities 1-3 together
# ---------------------------------------------------------------------------------------------------------------

Constraint = tuple[str, dict[str, int]]  # (identity name, row -> coefficient); sum of coef * cell = 0 per column


def request_form(rows: Sequence[str]) -> tuple[str, bool]:
    """(format, one_row_other) of a section 三 given its rows: the one-row （六） has the row ``other``."""
    return (codebook.FORMAT_2019, True) if "other" in rows else (codebook.FORMAT_2021, False)


def request_constraints(rows: Sequence[str]) -> list[Constraint]:
    """The column identities of section 三 (2 and 3 in identities.csv) as row -> coefficient, the same per column."""
    return list(_form_constraints(*request_form(rows)))


@cache
def _form_constraints(form: str, one_row_other: bool) -> tuple[Constraint, ...]:
    # Asked for by every stage of every report's search: read from the codebook once per form (never changed).
    first = codebook.applicants()[0]
    found: dict[str, dict[str, int]] = {}
    for equation in equations("requests", form, one_row_other=one_row_other):
        if equation.identity != ROW_SUM and equation.where.endswith(f".{first}"):
            found[equation.identity] = {row: c for (row, _), c in equation.coefficients().items()}
    return tuple(found.items())


def _active(
    constraints: Sequence[Constraint],
    readings: Mapping,
    fixed: Mapping[Key, int],
    columns: Sequence[str],
    dropped: frozenset = frozenset(),
) -> list[tuple[dict[str, int], int, int]]:
    """(coefficients, column index, constant) of each constraint column whose every cell is a run or known.

    A column with a cell neither printed as a run nor read is dropped: nothing can be said about it; so is an
    equation in ``dropped`` ((identity, column) pairs a degraded search gives up).
    """
    active = []
    for name, coefficients in constraints:
        printed = {r: c for r, c in coefficients.items() if r not in readings}  # rows whose cells were read
        runs = {r: c for r, c in coefficients.items() if r in readings}  # the same for every column (never changed)
        for index, column in enumerate(columns):
            if (name, column) in dropped:
                continue
            if all((row, column) in fixed for row in printed):
                constant = sum(c * (fixed[(r, column)] or 0) for r, c in printed.items())
                active.append((runs, index, constant))
    return active


def _column_solve(
    readings: Mapping[str, Sequence[tuple]],
    constraints: Sequence[Constraint],
    fixed: Mapping[Key, int],
    columns,
    dropped: frozenset = frozenset(),
) -> tuple[int, dict[str, list[tuple]]]:
    """Count the joint readings and keep, per row, the readings used by at least one.

    Dynamic programming over the rows: the state is the vector of partial sums of the active constraint columns;
    states from which zero is out of reach (by the remaining rows' bounds) are dropped, and a backward pass keeps
    only the states and readings that complete. A row with one reading (most rows: "0000000") has no choice to
    make: its contribution joins the constants instead of a layer, which leaves the joint readings as they were.
    """
    active = _active(constraints, readings, fixed, columns, dropped)
    in_equations = {row for coefficients, _, _ in active for row in coefficients}
    involved = [row for row in readings if row in in_equations]
    involved.sort(key=lambda row: len(readings[row]))
    free = [row for row in readings if row not in in_equations]
    single = {row: readings[row][0] for row in involved if len(readings[row]) == 1}
    varying = [row for row in involved if row not in single]
    deltas = [[_delta(active, row, r) for r in readings[row]] for row in varying]
    lows, highs = _suffix_bounds(deltas, len(active))
    layers = _forward(deltas, _constants(active, single), lows, highs)
    count, kept = _backward(layers, deltas)
    for row in free:
        count *= len(readings[row])
    if not count:
        return 0, {row: [] for row in readings}
    used = dict(zip(varying, kept, strict=True))
    chosen = {row: [readings[row][i] for i in sorted(used[row])] for row in varying}
    chosen = {row: chosen[row] if row in chosen else list(readings[row]) for row in involved}  # in the rows' order
    chosen.update({row: list(readings[row]) for row in free})
    return count, chosen


def _constants(active: Sequence[tuple[dict[str, int], int, int]], single: Mapping[str, tuple]) -> tuple[int, ...]:
    """Each active column's constant with the rows of a single reading added in."""
    return tuple(
        k + sum(c * (single[r][i] or 0) for r, c in coefficients.items() if r in single)
        for coefficients, i, k in active
    )


def _delta(active: Sequence[tuple[dict[str, int], int, int]], row: str, reading: tuple) -> tuple[int, ...]:
    """What one reading of a row adds to each active constraint column (a blank counts as nothing)."""
    return tuple(c.get(row, 0) * (reading[i] or 0) for c, i, _ in active)


def _suffix_bounds(deltas: list[list[tuple]], width: int) -> tuple[list[tuple], list[tuple]]:
    """Smallest and largest contribution the rows from position n on can still add, per constraint column."""
    lows, highs = [(0,) * width], [(0,) * width]
    for options in reversed(deltas):
        by_column = list(zip(*options, strict=True)) if options else [(0,)] * width
        low, high = tuple(map(min, by_column)), tuple(map(max, by_column))
        lows.insert(0, tuple(a + b for a, b in zip(low, lows[0], strict=True)))
        highs.insert(0, tuple(a + b for a, b in zip(high, highs[0], strict=True)))
    return lows, highs


def _forward(deltas, constants: tuple, lows, highs) -> list[dict[tuple, int]]:
    layers = [{constants: 1}]
    for position, options in enumerate(deltas):
        low, high = lows[position + 1], highs[position + 1]
        following: dict[tuple, int] = {}
        for state, count in layers[-1].items():
            for delta in options:
                new = tuple(s + d for s, d in zip(state, delta, strict=True))
                if all(n + lo <= 0 <= n + hi for n, lo, hi in zip(new, low, high, strict=True)):
                    following[new] = following.get(new, 0) + count
        layers.append(following)
    return layers


def _backward(layers: list[dict[tuple, int]], deltas) -> tuple[int, list[set[int]]]:
    goal = tuple(0 for _ in next(iter(layers[0])))
    count = layers[-1].get(goal, 0)
    good = {goal} if count else set()
    kept: list[set[int]] = [set() for _ in deltas]
    for position in range(len(deltas) - 1, -1, -1):
        previous = set()
        for state in layers[position]:
            for index, delta in enumerate(deltas[position]):
                if tuple(s + d for s, d in zip(state, delta, strict=True)) in good:
                    previous.add(state)
                    kept[position].add(index)
        good = previous
    return count, kept


def _row_readings(runs: Mapping[str, Sequence[str]], columns: Sequence[str], known: Mapping[Key, int]):
    """Per row, the splits satisfying identity 1 and agreeing with the cells already read."""
    readings = {}
    read_rows = {row for row, _ in known}  # garbled rows seldom have a cell read directly: nothing to compare
    for row, run in runs.items():
        text = _pieces_text(run)  # once: its digits are looked at twice
        fits = _sum_readings(text, len(columns)) if _has_digit(text) else [(None,) * len(columns)]
        if row not in read_rows:
            readings[row] = list(fits)
            continue
        readings[row] = [r for r in fits if all(known.get((row, c), v) == v for c, v in zip(columns, r, strict=True))]
    return readings


def _has_digit(text: str) -> bool:
    """A row printed as its label alone (（六）2. and 3. with no number) has no digits: its cells are blank — the
    layout says nothing was printed there — and count as nothing in the sums."""
    return any(map(str.isdigit, text))


def _pins(narrative_totals: Mapping | None, previous_carried_forward: Mapping | None) -> dict[Key, tuple[int, str]]:
    """Declared extra constraints on single cells of section 三: (row, column) -> (value, name)."""
    pins: dict[Key, tuple[int, str]] = {}
    for key, value in (narrative_totals or {}).items():
        if isinstance(key, tuple):
            cell = key
        elif key in PINNING_REQUEST_FIGURES:
            cell = prose_figures()[key].table_cells()[0]
        else:
            cell = None
        if cell is not None and value is not None:
            pins[cell] = (value, NARRATIVE_TOTAL)
    for column, value in (previous_carried_forward or {}).items():
        if value is not None:
            pins[("carried_over", column)] = (value, CARRY_ACROSS_YEARS)
    return pins


def solve_requests(
    runs: Mapping[str, Sequence[str]],
    rows: Sequence[str],
    columns: int | Sequence[str] = 7,
    known: Mapping[Key, int] | None = None,
    *,
    narrative_totals: Mapping | None = None,
    previous_carried_forward: Mapping[str, int] | None = None,
) -> Solution:
    """Every reading of section 三's runs that satisfies identities 1-3 together (and the cells already read).

    ``runs``: row -> its printed pieces; ``rows``: the table's rows in printed order (21 dispositions or the
    19-row form with one ``other`` row); ``known``: cells read directly. ``narrative_totals`` (e.g.
    ``{"requests_received": 34290}``) and ``previous_carried_forward`` (identity 5) only narrow the readings of the
    identities: if no reading fits them, the conflict is recorded and the identities' answer stands.
    """
    names = codebook.applicants() if isinstance(columns, int) else tuple(columns)
    known = dict(known or {})
    runs = {row: run for row, run in runs.items() if row in rows}
    readings = _row_readings(runs, names, known)
    solution = _solve_stages(readings, rows, names, known, runs)
    solution.empty_rows = [row for row, found in readings.items() if not found]
    pins = _pins(narrative_totals, previous_carried_forward)
    if pins and solution.readings > 0:
        _apply_pins(solution, readings, rows, names, known, pins)
    return solution


def _by_split(runs: Mapping[str, Sequence[str]], names: Sequence[str]) -> dict[Key, frozenset]:
    """Per cell, the values it takes over every split of its row's run: the cells the digits alone fix."""
    found: dict[Key, frozenset] = {}
    for row, run in runs.items():
        found.update(zip(_keys(row, tuple(names)), split_value_sets(_pieces_text(run), len(names)), strict=True))
    return found


def _solve_stages(readings, rows, names, known, runs) -> Solution:
    """Solve with every identity, and with fewer, to name for each cell the identities that fixed it."""
    constraints = request_constraints(rows)
    count, chosen = _column_solve(readings, constraints, known, names)
    values = _values_of(chosen, names)
    if not count:
        return Solution(count, values, {})

    def with_one(single: Constraint, rows: set[str]) -> dict[Key, frozenset]:
        kept = _column_solve(readings, [single], known, names)[1]
        return _values_of({row: kept[row] for row in rows}, names)

    stages: list[Stage] = [
        ((SINGLE_SPLIT,), lambda rows: _by_split({row: runs[row] for row in rows}, names)),
        ((ROW_SUM,), lambda rows: _values_of({row: readings[row] for row in rows}, names)),
    ]
    stages += [((ROW_SUM, single[0]), lambda rows, single=single: with_one(single, rows)) for single in constraints]
    stages.append(((ROW_SUM, *(name for name, _ in constraints)), lambda rows: values))
    return Solution(count, values, _attribute(values, stages))


def _apply_pins(solution: Solution, readings, rows, names, known, pins) -> None:
    """Narrow the solution by declared narrative totals and identity 5; a pin that no reading meets is a conflict."""
    pinned_known = {**known, **{key: value for key, (value, _) in pins.items()}}
    pinned = {
        row: [r for r in found if all(pinned_known.get((row, c), v) == v for c, v in zip(names, r, strict=True))]
        for row, found in readings.items()
    }
    count, chosen = _column_solve(pinned, request_constraints(rows), pinned_known, names)
    used = tuple(dict.fromkeys(name for _, name in pins.values()))
    if count == 0:
        solution.conflicts.extend(f"{r}.{c} = {v} ({name}) fits no reading" for (r, c), (v, name) in pins.items())
        return
    values = _values_of(chosen, names)
    for key, found in values.items():
        if len(found) == 1 and len(solution.values.get(key, ())) > 1:
            solution.identities[key] = (ROW_SUM, *(name for name, _ in request_constraints(rows)), *used)
    solution.readings, solution.values = count, values


# ---------------------------------------------------------------------------------------------------------------
# Section 四: identity 4 per proceeding
# ---------------------------------------------------------------------------------------------------------------


def solve_review(
    runs: Sequence[str],
    known: Mapping[Key, int] | None = None,
    *,
    narrative_totals: Mapping[str, int] | None = None,
) -> Solution:
    """Every reading of section 四's fifteen numbers in which each proceeding's outcomes sum to its total.

    ``narrative_totals`` (``reconsideration_cases``, ``litigation_corrected``, ...) narrow the readings when
    declared; a figure no reading meets is recorded as a conflict.
    """
    proceedings, outcomes = codebook.proceedings(), codebook.outcomes()
    keys = [(p, o) for p in proceedings for o in outcomes]
    known = dict(known or {})
    text = _pieces_text(runs)
    readings = [
        r
        for r in grouped_readings(text, len(proceedings), len(outcomes))
        if all(known.get(k, v) == v for k, v in zip(keys, r, strict=True))
    ]
    values = _flat_values(readings, keys)
    stages: list[Stage] = [
        ((SINGLE_SPLIT,), lambda _: dict(zip(keys, split_value_sets(text, len(keys)), strict=True))),
        ((REVIEW_SUM,), lambda _: values),
    ]
    solution = Solution(len(readings), values, _attribute(values, stages) if readings else {})
    tests = _review_tests(narrative_totals)
    narrowed = [r for r in readings if all(test(dict(zip(keys, r, strict=True))) for _, test in tests)]
    if tests and readings and not narrowed:
        solution.conflicts.extend(f"{name} fits no reading" for name, _ in tests)
    elif tests and readings:
        values = _flat_values(narrowed, keys)
        for key, found in values.items():
            if len(found) == 1 and len(solution.values[key]) > 1:
                solution.identities[key] = (REVIEW_SUM, NARRATIVE_TOTAL)
        solution.readings, solution.values = len(narrowed), values
    return solution


def _flat_values(readings: Sequence[tuple], keys: Sequence[Key]) -> dict[Key, frozenset]:
    by_key = zip(*readings, strict=True) if readings else ((),) * len(keys)  # the readings, transposed
    return {key: frozenset(found) for key, found in zip(keys, by_key, strict=True)}


def _review_tests(narrative_totals: Mapping[str, int] | None) -> list[tuple[str, Callable[[dict], bool]]]:
    tests = []
    for name, value in (narrative_totals or {}).items():
        cells = prose_figures()[name].table_cells() if name in PINNING_REVIEW_FIGURES else None
        if cells is not None and value is not None:
            tests.append((f"{name} = {value}", lambda r, cells=cells, value=value: sum(r[c] for c in cells) == value))
    return tests
