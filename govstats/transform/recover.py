"""Recovery of garbled table rows: the readings the identities allow, written into a parsed report.

The parser leaves the rows it could not read cell by cell in ``Report.unread_rows``. This module takes their runs
(from the text when a whole section reads as one run per row: :mod:`govstats.transform.digits`), asks
:mod:`govstats.transform.solve` for the readings that satisfy the identities (or, when none does, a maximum
consistent subset of them: :mod:`govstats.transform.subset`), and writes the cells: one value over all readings →
``recovered``, naming the identities that fixed it; several → ``ambiguous`` with candidates; an identity the source
breaks → a failed check naming the row or column most likely misprinted. A cell read directly is never changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache, lru_cache

from .. import codebook
from ..codebook.prose import prose_figures
from ..model import AMBIGUOUS, BLANK, MISSING, RECOVERED, TABLE, UNREADABLE, VALUE, Cell, CheckResult, Report, Token
from .digits import (  # noqa: F401  (re-exported: the recovery's public names)
    data_runs,
    grouped_readings,
    normalise_labels,
    normalise_run,
    review_tokens_from_text,
    section_text,
    split_candidates,
    splits,
    sum_readings,
    tokens_from_garbled_section,
)
from .misprints import broken_checks
from .solve import (  # noqa: F401
    AMBIGUOUS_READINGS,
    NARRATIVE_TOTAL,
    SINGLE_SPLIT,
    UNIQUE,
    UNRECOVERABLE,
    Solution,
    request_constraints,
    solve_requests,
    solve_review,
)
from .subset import degraded_requests, degraded_review
from .values import NOT_A_COUNT, as_count

# The identity a section-二 cell is recovered by when a prose figure restating it settles its run.
PROSE = "narrative"

# Proactive measures that are amounts and may print a decimal point.
DECIMAL_MEASURES = frozenset({"amount_10k_yuan", "amount"})

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
        (value,) = values
        status = BLANK if value is None else VALUE  # a blank read from a short row: missing, never 0
        cells[column] = Cell(value, status, raw, location, RECOVERED, identities=tuple(identities))
        return True
    candidates = tuple(BLANK if v is None else v for v in sorted(values, key=lambda v: (v is not None, v or 0)))
    cells[column] = Cell(None, AMBIGUOUS, raw, location, candidates=candidates)
    return False


def _check(report: Report, check: str, where: str, solution: Solution, passed: bool | None, detail: str):
    return CheckResult(report.report_id, check, where, None, float(solution.readings), passed, detail)


def _summary(report: Report, check: str, where: str, solution: Solution, recovered: int, ambiguous: int, what: str):
    """One check row per section: how many readings the identities allow and what was written."""
    if solution.degraded and solution.readings:
        detail = (
            f"no reading satisfies {what}; {solution.readings} reading(s) break the fewest equations "
            f"({len(solution.broken_sets[0])}): {recovered} cells recovered, {ambiguous} ambiguous"
        )
        return [_check(report, check, where, solution, False, detail)]
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
    if found is None:
        return parsed
    writable = {row: _writable_row(report.requests.get(row, {})) for row in found}
    if not _agrees_with_read_rows(report, found, writable):
        return parsed
    return {
        row: [Token(t.text, parsed[row][0].location if parsed.get(row) else location) for t in tokens]
        for row, tokens in found.items()
        if writable[row]
    }


def _agrees_with_read_rows(report: Report, found: Mapping[str, list[Token]], writable: Mapping[str, bool]) -> bool:
    """The text's runs line up with the rows: every row read directly shows the same digits in its run."""
    for row, tokens in found.items():
        cells = report.requests.get(row, {})
        if cells and not writable[row]:
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
    exact = solution
    if solution.status == UNRECOVERABLE:  # the source breaks an identity: a maximum consistent subset instead
        solution = degraded_requests(runs, rows, columns, known)
    recovered = ambiguous = 0
    for row, ts in tokens.items():
        cells = report.requests.setdefault(row, {})
        raw, location = _raw(ts), _location(ts)
        report.unread_rows[("requests", row)] = ts
        report.recovery_notes[("requests", row)] = _row_note(ts, exact, solution, row, len(columns), raw)
        for column in columns:
            values = solution.values.get((row, column))
            if values is None:
                if cells.get(column) is None or cells[column].status == MISSING:
                    cells[column] = Cell(None, UNREADABLE, raw, location)
                continue
            wrote = _write(cells, column, values, solution.identities.get((row, column), ()), raw, location)
            recovered += wrote
            ambiguous += cells[column].status == AMBIGUOUS
    checks = _summary(report, "recovery_requests", "requests", solution, recovered, ambiguous, "identities 1-3")
    return checks + broken_checks(report, "recovery_requests", "requests", solution, columns)


def _row_note(
    tokens: Sequence[Token], exact: Solution, solution: Solution, row: str, parts: int = 0, raw: str | None = None
) -> str:
    """What the search weighed for one row (``parts`` cells; row "all" is section 四), for ``govstats parse
    --explain``; ``raw``: its tokens as printed, where the caller has them."""
    run = _raw(tokens) if raw is None else raw
    if not solution.degraded:
        weighed = _row_sum_note(tuple(t.text for t in tokens), parts) if row != "all" else ""
        what = "identities 1-3 together leave" if row != "all" else "identity 4 leaves"
        return f"run {run!r}: {weighed}{what} {exact.readings} joint reading(s)"
    weighed = solution.considered.get(row)
    if weighed is None:
        return f"run {run!r}: no reading of its digits fits the row; left unreadable"
    sets = "; ".join(", ".join(f"{i}@{w}" for i, w in broken) or "none" for broken in solution.broken_sets)
    return (
        f"run {run!r}: no reading satisfies every identity; {weighed} reading(s) of this run weighed, "
        f"{solution.readings} joint reading(s) break the fewest equations (broken: {sets})"
    )


# The same runs ("0000000") recur in every report: what their row sum alone allows is told once per run (bounded).
@lru_cache(maxsize=2048)
def _row_sum_note(pieces: tuple[str, ...], parts: int) -> str:
    """The splits of a run that satisfy its row sum, as the row's note shows them."""
    alone = sum_readings(list(pieces), parts)
    shown = "; ".join(",".join(map(str, r)) for r in alone[:4]) + (" …" if len(alone) > 4 else "")
    return f"{len(alone)} split(s) satisfy its row sum ({shown}); "


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
    runs = [t.text for t in tokens]
    solution = solve_review(runs, known, narrative_totals=narrative_totals)
    if solution.status == UNRECOVERABLE:
        solution = degraded_review(runs, known, narrative_totals=narrative_totals)
    report.unread_rows[("review_litigation", "all")] = tokens
    raw = _raw(tokens)
    report.recovery_notes[("review_litigation", "all")] = _row_note(tokens, solution, solution, "all", raw=raw)
    recovered = ambiguous = 0
    if solution.status != UNRECOVERABLE:
        for (proceeding, outcome), values in solution.values.items():
            cells = report.review_litigation.setdefault(proceeding, {})
            ids = solution.identities.get((proceeding, outcome), ())
            recovered += _write(cells, outcome, values, ids, raw, location)
            ambiguous += cells[outcome].status == AMBIGUOUS
    checks = _summary(report, "recovery_review", "review_litigation", solution, recovered, ambiguous, "identity 4")
    return checks + broken_checks(report, "recovery_review", "review_litigation", solution, codebook.proceedings())


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


def _recover_proactive(report: Report, narrative_totals: Mapping | None = None) -> list[CheckResult]:
    items = {e.code: e for e in codebook.proactive_items(report.format_version or codebook.FORMAT_2021)}
    results = []
    for (section, item), tokens in report.unread_rows.items():
        if section != "proactive" or item not in items:
            continue
        results += _recover_item(report, items[item], tokens, _stated(item, narrative_totals))
    return results


def _stated(item: str, narrative_totals: Mapping | None) -> dict[str, tuple[str, int]]:
    """Measure -> (prose figure, value) for the prose figures that restate one cell of this section-二 item."""
    stated = {}
    for key, (cell_item, measure) in _proactive_figures():
        value = (narrative_totals or {}).get(key)
        if value is not None and cell_item == item:
            stated[measure] = (key, value)
    return stated


@cache
def _proactive_figures() -> tuple[tuple[str, tuple[str, str]], ...]:
    """(key, its one cell) of each prose figure restating a single section-二 cell, in the codebook's order: the
    same for every item of every report, so read once."""
    found = []
    for key, figure in prose_figures().items():
        cells = figure.table_cells() if figure.section == "proactive" else ()
        if len(cells) == 1:
            found.append((key, cells[0]))
    return tuple(found)


def _recover_item(
    report: Report, entry: codebook.Entry, tokens: Sequence[Token], stated: Mapping[str, tuple[str, int]]
) -> list[CheckResult]:
    """Section 二 has no identity: a fused cell is exact when a single split exists, or when the prose restating
    a cell (制发 … 件, 现行有效 … 件) leaves one; a prose figure no split agrees with is a failed check."""
    measures = entry.measures
    flags = [m in DECIMAL_MEASURES for m in measures]
    candidates = split_candidates([t.text for t in tokens], len(measures), decimals=flags)
    cells = report.proactive.setdefault(entry.code, {})
    where = f"proactive.{entry.code}"
    by_split = {m: frozenset(s[i] for s in candidates) for i, m in enumerate(measures)}
    agreeing = [s for s in candidates if all(s[measures.index(m)] == v for m, (_, v) in stated.items())]
    conflict = bool(stated) and bool(candidates) and not agreeing
    chosen = agreeing if stated and agreeing else candidates
    solution = Solution(len(chosen), {(entry.code, m): frozenset(s[i] for s in chosen) for i, m in enumerate(measures)})
    if not candidates:
        detail = "no split of the printed run into the item's measures: left unreadable"
        return [_check(report, "recovery_proactive", where, solution, False, detail)]
    notes = _note_cell(tokens, chosen)
    recovered = 0
    location = tokens[0].location if tokens else ""
    raw = _raw(tokens)
    used = tuple(key for _, (key, _) in stated.items())
    for index, measure in enumerate(measures):
        values = solution.values[(entry.code, measure)]
        decided = (SINGLE_SPLIT,) if len(by_split[measure]) == 1 else (PROSE, *used)
        recovered += _write(cells, measure, values, decided, raw, location)
        if index in notes and cells[measure].status in (VALUE, AMBIGUOUS) and cells[measure].method != TABLE:
            cells[measure] = replace(cells[measure], note=notes[index])
    stated_text = ", ".join(f"{key} = {value}" for key, value in stated.values())
    report.recovery_notes[("proactive", entry.code)] = (
        f"run {raw!r}: {len(candidates)} split(s) into {', '.join(measures)} ({_shown(candidates)})"
        + (f"; prose states {stated_text}: {len(agreeing)} agree" if stated else "; no identity applies")
        + (f" ({_shown(agreeing)})" if stated and agreeing else "")
    )
    detail = f"{len(chosen)} split(s), {'prose ' + stated_text if stated and agreeing else 'no identity applies'}"
    results = [
        _check(
            report,
            "recovery_proactive",
            where,
            solution,
            True if len(chosen) == 1 else None,
            f"{detail}: {recovered} of {len(measures)} cells exact",
        )
    ]
    if conflict:
        detail = f"the prose ({stated_text}) agrees with no split of the printed run {raw!r}"
        results.append(_check(report, "recovery_proactive", where, solution, False, detail))
    return results


def _shown(readings: Sequence[tuple], at_most: int = 8) -> str:
    """The splits weighed, as the explanation prints them ("2,0,23; 20,2,3")."""
    shown = "; ".join(",".join("blank" if v is None else _printed(v) for v in r) for r in readings[:at_most])
    return shown + (" …" if len(readings) > at_most else "")


def _counts_as_printed(report: Report) -> None:
    """Decimals and over-large numbers read into 三/四 are kept as printed (unreadable, raw), never as counts."""
    for table in (report.requests, report.review_litigation):
        for row, cells in table.items():
            for column, cell in cells.items():
                if cell.status != VALUE:  # as_count keeps it as it is (most cells of a garbled table)
                    continue
                kept = as_count(cell)
                if kept is not cell:
                    cells[column] = kept
                    report.problems.append(f"{row}.{column}: {NOT_A_COUNT}: {kept.raw}")


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
    _counts_as_printed(report)
    results = _recover_proactive(report, narrative_totals)
    results += _recover_requests(report, narrative_totals, _previous_carried_forward(previous_year))
    results += _recover_review(report, narrative_totals)
    return results


def _location(tokens: Sequence[Token]) -> str:
    return tokens[0].location if tokens else ""
