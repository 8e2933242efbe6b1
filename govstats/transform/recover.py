"""Recovery of garbled table rows: digit runs cut into cells by the identities of SPEC.md, exactly.

Garbled copies print a row's numbers run together (``32419165111295812234290``), with OCR letters for digits and
the next row's ordinal stuck to the run. This module

1. extracts clean digit runs from such text (:func:`tokens_from_garbled_section`, :func:`normalise_run`);
2. enumerates the splits of each run that satisfy the identities *together* — identities 1-3 for section 三
   (:func:`solve_requests`), identity 4 for section 四 (:func:`solve_review`), none for section 二
   (:func:`split_candidates`) — plus declared narrative totals and identity 5;
3. writes the result into a parsed :class:`~govstats.model.Report` (:func:`recover_report`): one reading → the
   cells are ``recovered``, naming the identities that fixed them; several → ``ambiguous`` with candidates; none →
   the section stays ``unreadable`` with its runs kept. A cell read directly is never changed.

The solver is exact: it never picks a reading the arithmetic does not force.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from .. import codebook
from ..codebook import CARRY_ACROSS_YEARS, COLUMN_BALANCE, DISPOSITION_SUM, REVIEW_SUM, ROW_SUM
from ..codebook.prose import prose_figures
from ..model import AMBIGUOUS, MISSING, RECOVERED, TABLE, UNREADABLE, VALUE, Cell, CheckResult, Report, Token
from ..textnorm import Compact
from .detect import SECTION_HEADINGS

# Names recorded in Cell.identities besides the identities of checks.py.
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

# Proactive measures that are amounts and may print a decimal point.
DECIMAL_MEASURES = frozenset({"amount_10k_yuan", "amount"})

# ---------------------------------------------------------------------------------------------------------------
# Normalisation and extraction
# ---------------------------------------------------------------------------------------------------------------

_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
# A run of digits and look-alike letters, possibly in space-separated pieces (a table row's cells).
_OCR_RUN = re.compile(r"[0-9OoIl]+(?:[ \t]+[0-9OoIl]+)*")
# OCR'd label characters seen in garbled copies; labels only, never digits.
_LABEL_FIXES = {"申清人": "申请人", "中请": "申请", "彳壬务": "任务"}
_DATA_RUN = re.compile(r"\d+(?:[ \t\r\n\u3000]+\d+)*")
_ORDINAL_AFTER = re.compile(r"[.、．](?=[^\d\s.])")


def normalise_run(text: str) -> str:
    """O/o→0 and I/l→1, but only inside runs that also hold a real digit (the context proves a digit is meant).

    A letter alone between spaces counts when its neighbours in the run are digits (``2082 I44 O 4``).
    """

    def fix(match: re.Match) -> str:
        run = match.group(0)
        return run.translate(_OCR_DIGITS) if any(ch.isdigit() for ch in run) else run

    return _OCR_RUN.sub(fix, text)


def normalise_labels(text: str) -> str:
    """Fix OCR'd label characters (申清人→申请人, 中请→申请); digits are left alone."""
    for wrong, right in _LABEL_FIXES.items():
        text = text.replace(wrong, right)
    return text


def data_runs(text: str) -> list[tuple[str, int]]:
    """The digit runs of a garbled table text, with their offsets, OCR letters read as digits.

    A run followed by ``.`` or ``、`` and a label character ends with the next row's ordinal
    (``9110001938.属于…``): that digit is dropped; a run that was only an ordinal disappears.
    """
    text = normalise_run(text)
    runs = []
    for match in _DATA_RUN.finditer(text):
        run = match.group(0)
        if _ORDINAL_AFTER.match(text, match.end()):
            run = run[:-1].rstrip()
        if run:
            runs.append((run, match.start()))
    return runs


def section_text(text: str, name: str, following: Sequence[str]) -> tuple[int, int] | None:
    """Original [start, end) of a section's body in ``text`` (after its heading, before the next heading)."""
    flat = Compact.of(text)
    heading = SECTION_HEADINGS[name].search(flat.text)
    if heading is None:
        return None
    ends = [m.start() for m in (SECTION_HEADINGS[o].search(flat.text, heading.end()) for o in following) if m]
    start = flat.to_original(heading.end() - 1, heading.end())[1]
    end = flat.to_original(min(ends), min(ends) + 1)[0] if ends else len(text)
    return start, end


def tokens_from_garbled_section(text: str, rows: Sequence[str], location: str = "") -> dict[str, list[Token]] | None:
    """One run per row of a garbled section 三 text, in printed order, or None when the runs do not match the rows.

    ``text`` is the section's body (header and labels included). Labels carry no data digits once ordinals are
    dropped, so the k-th run is the k-th row's even where a label is cut by its run (``其他法律行92010012政法规``).
    Whitespace inside a run is kept: it separates cells (``230 000023``).
    """
    runs = data_runs(normalise_labels(text))
    if len(runs) != len(rows):
        return None
    return {row: [Token(run, location)] for row, (run, _) in zip(rows, runs, strict=True)}


def review_tokens_from_text(text: str, location: str = "") -> list[Token]:
    """The digit runs of a garbled section 四 body: its fifteen numbers, whitespace kept as separators."""
    return [Token(run, location) for run, _ in data_runs(text)]


# ---------------------------------------------------------------------------------------------------------------
# Splitting runs
# ---------------------------------------------------------------------------------------------------------------


def _pieces_text(run: str | Sequence[str]) -> str:
    """A run (or its printed pieces) as one string whose single spaces are compulsory cuts."""
    pieces = [run] if isinstance(run, str) else list(run)
    return " ".join(p for piece in pieces for p in normalise_run(piece).split())


def _number(text: str, decimal: bool) -> int | float | None:
    """The value of a printed number, or None when it is not one (leading zero, stray point)."""
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or (len(whole) > 1 and whole[0] == "0"):
        return None
    if not _:
        return int(whole)
    if not decimal or not fraction.isdigit():
        return None
    return float(text)


def splits(run: str | Sequence[str], parts: int, *, decimals: bool | Sequence[bool] = False) -> list[tuple]:
    """Every way to cut a run into ``parts`` numbers, in printed order.

    No number has a leading zero except "0" itself; whitespace (or the boundary between pieces) is a compulsory
    cut. ``decimals`` allows a decimal point, for all parts or per part.
    """
    text = _pieces_text(run)
    flags = [decimals] * parts if isinstance(decimals, bool) else list(decimals)

    @cache
    def cut(pos: int, part: int) -> tuple[tuple, ...]:
        if part == parts:
            return ((),) if pos == len(text) else ()
        found = []
        for end in range(pos + 1, len(text) + 1):
            if text[end - 1] == " ":
                break
            value = _number(text[pos:end], flags[part])
            if value is None or (end < len(text) and text[end] == "."):
                continue
            following = end + 1 if end < len(text) and text[end] == " " else end
            found.extend((value, *rest) for rest in cut(following, part + 1))
        return tuple(found)

    return list(cut(0, 0)) if text else []


def split_candidates(run: str | Sequence[str], parts: int, *, decimals: bool | Sequence[bool] = False) -> list[tuple]:
    """The candidate splits of a run that no identity constrains (section 二): the cell is exact only if one fits."""
    return splits(run, parts, decimals=decimals)


def _split_values(text: str, parts: int) -> list[set]:
    """Per part, the values it takes over all integer splits, found from the reachable cut positions.

    Cheaper than listing the splits: used to tell which cells the digits alone fix.
    """
    n = len(text)
    forward = [{0}]
    for _part in range(parts):
        forward.append({e for s in forward[-1] for e, _ in _numbers_from(text, s)})
    backward = [set() for _ in range(parts + 1)]
    backward[parts] = {n} & forward[parts]
    values: list[set] = [set() for _ in range(parts)]
    for part in range(parts - 1, -1, -1):
        for start in forward[part]:
            for end, value in _numbers_from(text, start):
                if end in backward[part + 1]:
                    backward[part].add(start)
                    values[part].add(value)
    return values


def _numbers_from(text: str, start: int) -> list[tuple[int, int]]:
    """(next position, value) of every integer that can start at ``start``."""
    found = []
    for end in range(start + 1, len(text) + 1):
        if text[end - 1] == " ":
            break
        value = _number(text[start:end], False)
        if value is None:
            break
        found.append((end + 1 if end < len(text) and text[end] == " " else end, value))
    return found


def sum_readings(run: str | Sequence[str], parts: int) -> list[tuple[int, ...]]:
    """Splits of a run into ``parts`` integers whose last is the sum of the others (identity 1 or 4).

    The last number (the total) is chosen first; casting out nines rejects most choices at once (a number is
    congruent to its digit sum modulo 9, however the digits are cut), and the rest is :func:`_parts_summing_to`.
    """
    text = _pieces_text(run)
    if not text.replace(" ", "").isdigit():
        return []  # counts are whole numbers: a run with a point or a stray letter has no such reading
    readings = []
    for start in range(len(text)):
        total = _number(text[start:], False)
        if total is None or " " in text[start:]:
            continue
        prefix_end = start - 1 if start and text[start - 1] == " " else start
        if sum(int(ch) for ch in text[:prefix_end] if ch != " ") % 9 != total % 9:
            continue
        readings.extend((*rest, total) for rest in _parts_summing_to(text[:prefix_end], parts - 1, total))
    return readings


def _parts_summing_to(text: str, count: int, total: int) -> list[tuple[int, ...]]:
    """Every cut of ``text`` into ``count`` integers that sum to ``total``.

    No part can exceed the total, which bounds each part's width; the exact smallest and largest sums reachable
    from each position prune every branch that cannot land on the total.
    """
    end = len(text)

    @cache
    def options(pos: int) -> tuple[tuple[int, int], ...]:
        found = []
        for stop in range(pos + 1, end + 1):
            if text[stop - 1] == " ":
                break
            value = _number(text[pos:stop], False)
            if value is None or value > total:
                break
            found.append((stop + 1 if stop < end and text[stop] == " " else stop, value))
        return tuple(found)

    @cache
    def reach(pos: int, left: int) -> tuple[int, int] | None:
        if left == 0:
            return (0, 0) if pos == end else None
        sums = [(v + r[0], v + r[1]) for nxt, v in options(pos) if (r := reach(nxt, left - 1))]
        return (min(lo for lo, _ in sums), max(hi for _, hi in sums)) if sums else None

    @cache
    def fill(pos: int, left: int, remaining: int) -> tuple[tuple[int, ...], ...]:
        bounds = reach(pos, left)
        if bounds is None or not bounds[0] <= remaining <= bounds[1]:
            return ()
        if left == 0:
            return ((),)
        return tuple(
            (v, *rest) for nxt, v in options(pos) if v <= remaining for rest in fill(nxt, left - 1, remaining - v)
        )

    return list(fill(0, count, total))


def grouped_readings(run: str | Sequence[str], groups: int, size: int) -> list[tuple[int, ...]]:
    """Splits into ``groups`` consecutive groups of ``size`` integers, each ending with the sum of the rest."""
    text = _pieces_text(run)

    @cache
    def from_position(pos: int, left: int) -> tuple[tuple[int, ...], ...]:
        if left == 0:
            return ((),) if pos == len(text) else ()
        found = []
        for end in range(pos + size, len(text) + 1):
            if end < len(text) and text[end - 1] == " ":
                continue
            following = end + 1 if end < len(text) and text[end] == " " else end
            tails = from_position(following, left - 1)
            if not tails:
                continue
            for head in sum_readings(text[pos:end].strip(), size):
                found.extend((*head, *tail) for tail in tails)
        return tuple(found)

    return list(from_position(0, groups)) if text else []


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
    return {
        (row, column): frozenset(reading[index] for reading in readings)
        for row, readings in rows.items()
        for index, column in enumerate(columns)
    }


def _attribute(stages: Sequence[tuple[tuple[str, ...], dict[Key, frozenset]]]) -> dict[Key, tuple[str, ...]]:
    """For each cell fixed in the last stage, the identities of the first stage that fixed it."""
    final = stages[-1][1]
    named = {}
    for key, values in final.items():
        if len(values) != 1:
            continue
        named[key] = next(names for names, found in stages if len(found.get(key, ())) == 1)
    return named


# ---------------------------------------------------------------------------------------------------------------
# Section 三: identities 1-3 together
# ---------------------------------------------------------------------------------------------------------------

Constraint = tuple[str, dict[str, int]]  # (identity name, row -> coefficient); sum of coef * cell = 0 per column


def request_constraints(rows: Sequence[str]) -> list[Constraint]:
    """Identities 2 and 3 as linear constraints over the rows of section 三."""
    dispositions = {row: 1 for row in rows if codebook.row_group(row)}
    dispositions["total_processed"] = -1
    balance = {"new_requests": 1, "carried_over": 1, "total_processed": -1, "carried_forward": -1}
    return [(COLUMN_BALANCE, balance), (DISPOSITION_SUM, dispositions)]


def _active(
    constraints: Sequence[Constraint], readings: Mapping, fixed: Mapping[Key, int], columns: Sequence[str]
) -> list[tuple[dict[str, int], int, int]]:
    """(coefficients, column index, constant) of each constraint column whose every cell is a run or known.

    A column with a cell neither printed as a run nor read is dropped: nothing can be said about it.
    """
    active = []
    for _, coefficients in constraints:
        for index, column in enumerate(columns):
            if all(row in readings or (row, column) in fixed for row in coefficients):
                constant = sum(c * fixed[(r, column)] for r, c in coefficients.items() if r not in readings)
                active.append(({r: c for r, c in coefficients.items() if r in readings}, index, constant))
    return active


def _column_solve(
    readings: Mapping[str, Sequence[tuple]], constraints: Sequence[Constraint], fixed: Mapping[Key, int], columns
) -> tuple[int, dict[str, list[tuple]]]:
    """Count the joint readings and keep, per row, the readings used by at least one.

    Dynamic programming over the rows: the state is the vector of partial sums of the active constraint columns;
    states from which zero is out of reach (by the remaining rows' bounds) are dropped, and a backward pass keeps
    only the states and readings that complete.
    """
    active = _active(constraints, readings, fixed, columns)
    involved = [row for row in readings if any(row in coefficients for coefficients, _, _ in active)]
    involved.sort(key=lambda row: len(readings[row]))
    free = [row for row in readings if row not in involved]
    deltas = [[tuple(c.get(row, 0) * r[i] for c, i, _ in active) for r in readings[row]] for row in involved]
    lows, highs = _suffix_bounds(deltas, len(active))
    layers = _forward(deltas, tuple(k for _, _, k in active), lows, highs)
    count, kept = _backward(layers, deltas)
    for row in free:
        count *= len(readings[row])
    chosen = {row: [readings[row][i] for i in sorted(kept[n])] for n, row in enumerate(involved)}
    chosen.update({row: list(readings[row]) for row in free})
    return (count, chosen) if count else (0, {row: [] for row in readings})


def _suffix_bounds(deltas: list[list[tuple]], width: int) -> tuple[list[tuple], list[tuple]]:
    """Smallest and largest contribution the rows from position n on can still add, per constraint column."""
    lows, highs = [(0,) * width], [(0,) * width]
    for options in reversed(deltas):
        low = tuple(min(d[k] for d in options) if options else 0 for k in range(width))
        high = tuple(max(d[k] for d in options) if options else 0 for k in range(width))
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
    for row, run in runs.items():
        fits = sum_readings(run, len(columns))
        readings[row] = [r for r in fits if all(known.get((row, c), v) == v for c, v in zip(columns, r, strict=True))]
    return readings


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
    alone = {row: _split_values(_pieces_text(run), len(names)) for row, run in runs.items()}
    by_split = {(row, c): frozenset(v[i]) for row, v in alone.items() for i, c in enumerate(names)}
    readings = _row_readings(runs, names, known)
    solution = _solve_stages(readings, rows, names, known, by_split)
    solution.empty_rows = [row for row, found in readings.items() if not found]
    pins = _pins(narrative_totals, previous_carried_forward)
    if pins and solution.readings > 0:
        _apply_pins(solution, readings, rows, names, known, pins)
    return solution


def _solve_stages(readings, rows, names, known, by_split) -> Solution:
    """Solve with every identity, and with fewer, to name for each cell the identities that fixed it."""
    constraints = request_constraints(rows)
    count, chosen = _column_solve(readings, constraints, known, names)
    stages = [((SINGLE_SPLIT,), by_split), ((ROW_SUM,), _values_of(readings, names))]
    for single in constraints:
        stages.append(((ROW_SUM, single[0]), _values_of(_column_solve(readings, [single], known, names)[1], names)))
    stages.append(((ROW_SUM, *(name for name, _ in constraints)), _values_of(chosen, names)))
    values = _values_of(chosen, names)
    return Solution(count, values, _attribute(stages) if count else {})


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
            solution.identities[key] = (ROW_SUM, COLUMN_BALANCE, DISPOSITION_SUM, *used)
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
    by_split = _split_values(text, len(keys))
    stages = [((SINGLE_SPLIT,), {k: frozenset(by_split[i]) for i, k in enumerate(keys)})]
    stages.append(((REVIEW_SUM,), _flat_values(readings, keys)))
    solution = Solution(len(readings), _flat_values(readings, keys), _attribute(stages) if readings else {})
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
    return {key: frozenset(r[i] for r in readings) for i, key in enumerate(keys)}


def _review_tests(narrative_totals: Mapping[str, int] | None) -> list[tuple[str, Callable[[dict], bool]]]:
    tests = []
    for name, value in (narrative_totals or {}).items():
        cells = prose_figures()[name].table_cells() if name in PINNING_REVIEW_FIGURES else None
        if cells is not None and value is not None:
            tests.append((f"{name} = {value}", lambda r, cells=cells, value=value: sum(r[c] for c in cells) == value))
    return tests


# ---------------------------------------------------------------------------------------------------------------
# Writing into a report
# ---------------------------------------------------------------------------------------------------------------

_WRITABLE = (UNREADABLE, MISSING)


def _raw(tokens: Iterable[Token]) -> str:
    return " ".join(t.text + (f"（{t.note}）" if t.note else "") for t in tokens)


def _write(cells: dict[str, Cell], column: str, values: frozenset, identities, raw: str, location: str) -> bool:
    """Write one solved cell unless it was read directly; True when a value was written."""
    old = cells.get(column)
    if old is not None and old.status not in _WRITABLE:
        return False
    if len(values) == 1:
        value = next(iter(values))
        cells[column] = Cell(value, VALUE, raw, location, RECOVERED, identities=tuple(identities))
        return True
    cells[column] = Cell(None, AMBIGUOUS, raw, location, candidates=tuple(sorted(values)))
    return False


def _check(report: Report, check: str, where: str, solution: Solution, passed: bool | None, detail: str):
    return CheckResult(report.report_id, check, where, None, float(solution.readings), passed, detail)


def _summary(report: Report, check: str, where: str, solution: Solution, recovered: int, ambiguous: int, what: str):
    """One check row per section: how many readings the identities allow and what was written."""
    if solution.status == UNRECOVERABLE:
        empty = f"; rows with no reading: {', '.join(solution.empty_rows)}" if solution.empty_rows else ""
        detail = f"no reading of the printed runs satisfies {what}: left unreadable, runs kept{empty}"
        report.problems.append(f"{where}: unrecoverable, {detail}")
        return [_check(report, check, where, solution, False, detail)]
    detail = f"{solution.readings} reading(s) satisfy {what}: {recovered} cells recovered, {ambiguous} ambiguous"
    rows = [_check(report, check, where, solution, True if solution.status == UNIQUE else None, detail)]
    rows += [_check(report, check, where, solution, False, conflict) for conflict in solution.conflicts]
    return rows


def _garbled_request_runs(report: Report, rows: Sequence[str]) -> dict[str, list[Token]]:
    """The runs of section 三, from the text when the whole section reads as one run per row, else the parser's."""
    parsed = {row: tokens for (section, row), tokens in report.unread_rows.items() if section == "requests"}
    location = next((t.location for tokens in parsed.values() for t in tokens), "")
    bounds = section_text(report.text, "requests", ("review_litigation", "problems", "other_matters"))
    found = tokens_from_garbled_section(report.text[bounds[0] : bounds[1]], rows, location) if bounds else None
    if found is None or not _agrees_with_read_rows(report, found):
        return parsed
    return {
        row: [Token(t.text, parsed[row][0].location if parsed.get(row) else location) for t in tokens]
        for row, tokens in found.items()
        if _writable_row(report.requests.get(row, {}))
    }


def _agrees_with_read_rows(report: Report, found: Mapping[str, list[Token]]) -> bool:
    """The text's runs line up with the rows: every row read directly shows the same digits in its run."""
    for row, tokens in found.items():
        cells = report.requests.get(row, {})
        if cells and not _writable_row(cells):
            printed = "".join(str(c.value) for c in cells.values() if c.is_number)
            if printed != "".join(t.text for t in tokens).replace(" ", ""):
                return False
    return True


def _writable_row(cells: Mapping[str, Cell]) -> bool:
    return not cells or all(c.status in _WRITABLE for c in cells.values())


def _recover_requests(report: Report, narrative_totals, previous_carried_forward) -> list[CheckResult]:
    if not any(section == "requests" for section, _ in report.unread_rows):
        return []
    rows = [
        e.code
        for e in codebook.request_rows(
            report.format_version or codebook.FORMAT_2021, one_row_other=report.one_row_other
        )
    ]
    columns = codebook.applicants()
    tokens = _garbled_request_runs(report, rows)
    known = {(r, c): cell.value for r, cs in report.requests.items() for c, cell in cs.items() if cell.is_number}
    runs = {row: [t.text for t in ts] for row, ts in tokens.items()}
    solution = solve_requests(
        runs, rows, columns, known, narrative_totals=narrative_totals, previous_carried_forward=previous_carried_forward
    )
    recovered = ambiguous = 0
    for row, ts in tokens.items():
        cells = report.requests.setdefault(row, {})
        report.unread_rows[("requests", row)] = ts
        for column in columns:
            key = (row, column)
            if solution.status == UNRECOVERABLE:
                if cells.get(column) is None or cells[column].status == MISSING:
                    cells[column] = Cell(None, UNREADABLE, _raw(ts), ts[0].location if ts else "")
                continue
            wrote = _write(
                cells, column, solution.values[key], solution.identities.get(key, ()), _raw(ts), ts[0].location
            )
            recovered += wrote
            ambiguous += cells[column].status == AMBIGUOUS
    return _summary(report, "recovery_requests", "requests", solution, recovered, ambiguous, "identities 1-3")


def _recover_review(report: Report, narrative_totals) -> list[CheckResult]:
    parsed = report.unread_rows.get(("review_litigation", "all"))
    if parsed is None:
        return []
    location = parsed[0].location if parsed else ""
    bounds = section_text(report.text, "review_litigation", ("problems", "other_matters"))
    tokens = review_tokens_from_text(report.text[bounds[0] : bounds[1]], location) if bounds else parsed
    known = {
        (p, o): cell.value for p, cs in report.review_litigation.items() for o, cell in cs.items() if cell.is_number
    }
    solution = solve_review([t.text for t in tokens], known, narrative_totals=narrative_totals)
    report.unread_rows[("review_litigation", "all")] = tokens
    recovered = ambiguous = 0
    if solution.status != UNRECOVERABLE:
        for (proceeding, outcome), values in solution.values.items():
            cells = report.review_litigation.setdefault(proceeding, {})
            ids = solution.identities.get((proceeding, outcome), ())
            recovered += _write(cells, outcome, values, ids, _raw(tokens), location)
            ambiguous += cells[outcome].status == AMBIGUOUS
    return _summary(report, "recovery_review", "review_litigation", solution, recovered, ambiguous, "identity 4")


def _note_cell(tokens: Sequence[Token], candidates: Sequence[tuple]) -> dict[int, str]:
    """Notes placed on a cell only when every candidate split ends that same cell where the noted token ends."""
    placed = {}
    ends, position = [], 0
    for token in tokens:
        position += len(token.text)
        ends.append(position)
    for token, end in zip(tokens, ends, strict=True):
        if not token.note:
            continue
        spots = {_cell_ending_at(split, end) for split in candidates}
        if len(spots) == 1 and None not in spots:
            placed[spots.pop()] = token.note
    return placed


def _cell_ending_at(split: tuple, end: int) -> int | None:
    position = 0
    for index, value in enumerate(split):
        position += len(_printed(value))
        if position == end:
            return index
    return None


def _printed(value: int | float) -> str:
    return str(value) if isinstance(value, int) else f"{value}"


def _recover_proactive(report: Report) -> list[CheckResult]:
    items = {e.code: e for e in codebook.proactive_items(report.format_version or codebook.FORMAT_2021)}
    results = []
    for (section, item), tokens in report.unread_rows.items():
        if section != "proactive" or item not in items:
            continue
        results.append(_recover_item(report, items[item], tokens))
    return results


def _recover_item(report: Report, entry: codebook.Entry, tokens: Sequence[Token]) -> CheckResult:
    """Section 二 has no identity: a fused cell is exact only when a single split exists."""
    measures = entry.measures
    flags = [m in DECIMAL_MEASURES for m in measures]
    candidates = split_candidates([t.text for t in tokens], len(measures), decimals=flags)
    cells = report.proactive.setdefault(entry.code, {})
    where = f"proactive.{entry.code}"
    solution = Solution(
        len(candidates), {(entry.code, m): frozenset(s[i] for s in candidates) for i, m in enumerate(measures)}
    )
    if not candidates:
        detail = "no split of the printed run into the item's measures: left unreadable"
        return _check(report, "recovery_proactive", where, solution, False, detail)
    notes = _note_cell(tokens, candidates)
    recovered = 0
    location = tokens[0].location if tokens else ""
    for index, measure in enumerate(measures):
        values = solution.values[(entry.code, measure)]
        recovered += _write(cells, measure, values, (SINGLE_SPLIT,), _raw(tokens), location)
        if index in notes and cells[measure].status in (VALUE, AMBIGUOUS) and cells[measure].method != TABLE:
            cells[measure] = replace(cells[measure], note=notes[index])
    detail = f"{len(candidates)} split(s), no identity applies: {recovered} of {len(measures)} cells exact"
    return _check(report, "recovery_proactive", where, solution, True if len(candidates) == 1 else None, detail)


def _previous_carried_forward(previous_year) -> dict[str, int] | None:
    if previous_year is None:
        return None
    if isinstance(previous_year, Report):
        row = previous_year.requests.get("carried_forward", {})
        return {c: cell.value for c, cell in row.items() if cell.is_number}
    return dict(previous_year)


def recover_report(
    report: Report, *, narrative_totals: Mapping | None = None, previous_year: Report | Mapping | None = None
) -> list[CheckResult]:
    """Solve the unread rows of a parsed report and write the cells; returns one check row per recovered section.

    ``narrative_totals``: prose figures declared as restating table cells (``requests_received``,
    ``requests_answered``, ``reconsideration_cases``, ...). ``previous_year``: the same agency's report for the
    year before (or its carried_forward row), for identity 5. Both only narrow what identities 1-4 allow.
    """
    results = _recover_proactive(report)
    results += _recover_requests(report, narrative_totals, _previous_carried_forward(previous_year))
    results += _recover_review(report, narrative_totals)
    return results
