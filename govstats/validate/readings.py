"""Reconciling a PDF's readings: the fast reading stands unless it is in doubt; then the identities choose.

The pipeline reads a PDF with the fast reader (pypdfium2, :mod:`govstats.extract.pdf_text`) and analyses it. The
reading is *in doubt* when, analysed, an identity (勾稽关系) fails or cannot be evaluated (a blank or missing cell),
a table cell is unread (unreadable, ambiguous, recovered from the identities or filled from the prose), or a prose
figure disagrees with the tables. Then — and
always with ``cross_check="always"`` — the ruled tables are read again by pdfplumber and by camelot, each
independently, and compared with the fast reading cell by cell. Where they disagree on a value, each candidate is
put into the table, the whole document is parsed again by the real parser and the reading under which more
identities hold wins (the fast reading when none decides). camelot's text shifted down a row (fonts with zero
ascent/descent) is detected against the fast reading and not trusted. If pdfplumber's whole reading does better
than the reconciled fast one (more identities hold, fewer cells unread: a table the fast reader missed), it is
used instead.

What was compared and chosen is recorded as check rows (``pdf_readers_agree``, ``pdf_camelot_row_shift``), and
every line names the reader that gave it (``Line.reader``: ``pdfium``, or ``pdfium; column 4: pdfplumber`` where a
cell was taken from another reader).

The mode is ``auto`` (the default), ``always`` or ``never``: a setting of the build and of ``govstats parse``
(``--cross-check``; :class:`govstats.dataset.limits.Limits`, which every worker receives with its files).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..errors import GovstatsError, UsageError
from ..extract.pdf import CROSS_READER, FAST_READER, read_camelot_tables, read_reading
from ..extract.pdf_layout import Grid, PdfReading, cell_text, is_value_cell, number, squash
from ..model import AMBIGUOUS, NARRATIVE, RECOVERED, UNREADABLE, CheckResult, Report, SourceText
from ..transform.parse import parse_source
from .checks import report_checks
from .prose import narrative_checks

CROSS_CHECK_MODES = ("auto", "always", "never")
READERS_AGREE = "pdf_readers_agree"  # two readers read a table's cells alike (or which reading won where not)
CAMELOT_ROW_SHIFT = "pdf_camelot_row_shift"  # camelot put a table's text one row too low
CAMELOT = "camelot"
_DIGITS_WRAPPED = re.compile(r"(?<=\d)\s*\n\s*(?=\d)")


def check_mode(mode: str) -> str:
    """``mode`` when it is a cross-check mode (auto, always, never); else a UsageError naming the choices."""
    if mode not in CROSS_CHECK_MODES:
        raise UsageError(f"cross-check mode {mode!r}: expected one of {', '.join(CROSS_CHECK_MODES)}")
    return mode


def doubts(report: Report) -> list[str]:
    """Why an analysed reading is in doubt: failed identities, unread cells, prose that disagrees (empty: none)."""
    found = []
    identities = report_checks(report)
    failed = [c.where for c in identities if c.passed is False]
    if failed:
        found.append(f"identities fail ({', '.join(failed)})")
    open_ = [c.where for c in identities if c.passed is None]  # a blank or missing cell the fast reader may have lost
    if open_:
        found.append(f"identities not evaluable ({', '.join(open_)})")
    unread = [
        f"{section}.{row}.{column}"
        for section, row, column, cell in report.cells()
        if cell.status in (UNREADABLE, AMBIGUOUS) or cell.method in (RECOVERED, NARRATIVE)
    ]
    if unread:
        found.append(f"{len(unread)} cells not read from the tables")
    prose = [c.check for c in narrative_checks(report) if c.passed is False]
    if prose:
        found.append(f"{len(prose)} prose figures disagree with the tables")
    return found


def cross_checked(
    path: str,
    data: bytes,
    source: SourceText,
    report: Report | None,
    mode: str = "auto",
    *,
    camelot_engine: str | None = None,
) -> SourceText | None:
    """The PDF's reconciled reading when it is to be cross-checked; None when the fast reading ``source`` stands.

    ``report`` is ``source`` analysed, None when it did not parse: then the tables are read again only if the fast
    reader found any (a document without ruled tables reads no better with pdfplumber).
    """
    if check_mode(mode) == "never":
        return None
    if mode == "always":
        reasons = ["always cross-checked"]
    elif report is None:
        reasons = ["it does not parse"] if any(", table " in line.where for line in source.lines) else []
    else:
        reasons = doubts(report)
    if not reasons:
        return None
    return reconcile(read_reading(path, data, FAST_READER), data, "; ".join(reasons), camelot_engine)


def read_pdf_checked(path: str, data: bytes, mode: str = "auto") -> SourceText:
    """Read a PDF as the pipeline does: the fast reading, cross-checked where it is in doubt (or as ``mode`` says)."""
    from ..transform.narrative import extract_narrative

    source = read_reading(path, data, FAST_READER).source()
    try:
        report = parse_source(source)
        report.narrative = extract_narrative(source)
    except GovstatsError:
        report = None
    return cross_checked(path, data, source, report, mode) or source


# --- reconciliation ----------------------------------------------------------------------------------------------


def reconcile(fast: PdfReading, data: bytes, reason: str, camelot_engine: str | None = None) -> SourceText:
    """Compare the fast reading's tables with pdfplumber's and camelot's and settle every disputed value."""
    second = read_reading(fast.path, data, CROSS_READER)
    camelot = read_camelot_tables(data, fast, camelot_engine)
    records: list[CheckResult] = []
    disputes: dict[tuple[int, int, int], dict[str, str]] = {}
    for index, grid in enumerate(fast.grids):
        records += _compare_plumber(fast.path, grid, index, second.grids, disputes)
        records += _compare_camelot(fast.path, grid, index, camelot, disputes)
    for key, offered in sorted(disputes.items()):
        records += _settle(fast, key, offered)
    if records:
        records[0] = _with_reason(records[0], reason)
    source = fast.source(records)
    whole = second.source(records)
    mine, theirs = _score(source), _score(whole)
    if theirs > mine:
        detail = (
            f"pdfplumber's whole reading used: {theirs[0]} identities hold and {-theirs[1]} cells are unread with "
            f"it, {mine[0]} and {-mine[1]} with pdfium's reconciled reading"
        )
        whole.checks.append(CheckResult(fast.path, READERS_AGREE, "document", None, None, False, detail))
        return whole
    return source


def _with_reason(record: CheckResult, reason: str) -> CheckResult:
    return replace(record, detail=f"{record.detail} (cross-checked: {reason})")


def _compare_plumber(path: str, grid: Grid, index: int, others: list[Grid], disputes: dict) -> list[CheckResult]:
    match = _best_overlap(grid, [(g.page, g.top, g.bottom, g) for g in others])
    if match is None:
        return [_record(path, grid, None, None, f"{CROSS_READER} found no table here: not compared")]
    if [len(row) for row in match.rows] != [len(row) for row in grid.rows]:
        shape = f"{len(grid.rows)}x{grid.width} vs {len(match.rows)}x{match.width}"
        return [_record(path, grid, None, None, f"table shapes differ ({shape}): not compared with {CROSS_READER}")]
    return _compare(path, grid, index, match.rows, CROSS_READER, disputes, shifted=0)


def _compare_camelot(path: str, grid: Grid, index: int, tables: list, disputes: dict) -> list[CheckResult]:
    match = _best_overlap(grid, [(t.page, t.top, t.bottom, t) for t in tables])
    if match is None:
        return [_record(path, grid, None, None, f"{CAMELOT} found no table here: not compared")]
    cells = match.cells
    if len(cells) != len(grid.rows) or any(len(row) != len(grid.rows[0]) for row in cells):
        shape = f"{len(grid.rows)}x{grid.width} vs {len(cells)}x{len(cells[0]) if cells else 0}"
        return [_record(path, grid, None, None, f"table shapes differ ({shape}): not compared with {CAMELOT}")]
    shifted = _row_shift(grid, cells)
    results = []
    if shifted:
        detail = f"camelot put {shifted} pieces of text one row below where pdfium's character boxes are: not trusted"
        results.append(_record(path, grid, None, False, detail, check=CAMELOT_ROW_SHIFT))
    texts = [[_camelot_text(cell) for cell in row] for row in cells]
    return results + _compare(path, grid, index, texts, CAMELOT, disputes, shifted)


def _best_overlap(grid: Grid, candidates: list[tuple]) -> object | None:
    """The candidate table on the grid's page that overlaps it most (over half its height), if any."""
    best, overlap = None, 0.0
    for page, top, bottom, candidate in candidates:
        shared = min(bottom, grid.bottom) - max(top, grid.top) if page == grid.page else 0.0
        if shared > overlap:
            best, overlap = candidate, shared
    return best if best is not None and overlap > 0.5 * (grid.bottom - grid.top) else None


def _compare(
    path: str, grid: Grid, index: int, other: list[list[str]], reader: str, disputes: dict, shifted: int
) -> list[CheckResult]:
    """Cell by cell: the agreement summary, and each disputed value (one of the two reads a value) to settle."""
    agree, disputed, results = 0, 0, []
    for r, row in enumerate(grid.rows):
        for c, mine in enumerate(row):
            theirs = other[r][c]
            if squash(mine) == squash(theirs):
                agree += 1
                continue
            if not (is_value_cell(mine) or is_value_cell(theirs)):
                continue
            disputed += 1
            if shifted:
                detail = f"{FAST_READER} {mine!r} kept over {reader} {theirs!r}: {reader}'s table is shifted down a row"
                results.append(_record(path, grid, (r, c), False, detail, kept=mine, rejected=theirs))
            else:
                disputes.setdefault((index, r, c), {})[reader] = theirs
    summary = f"{agree} cells read alike by {FAST_READER} and {reader}"
    return [_record(path, grid, None, not shifted and disputed == 0, summary), *results]


def _camelot_text(text: str) -> str:
    """camelot's cell on one line; two numbers on two lines stay apart (``"1 4"``), so they are never one value."""
    return cell_text(_DIGITS_WRAPPED.sub(" ", text))


def _row_shift(grid: Grid, other: list[list[str]]) -> int:
    """How many pieces of camelot's text sit one row below the row the fast reader's character boxes put them in.

    Only cells the two readers dispute are looked at; two or more pieces found one row too low make a systematic
    shift (zero font ascent/descent: camelot then files each line of text under the row below its own).
    """
    down = 0
    for r in range(1, len(grid.rows)):
        for c, cell in enumerate(other[r]):
            if squash(cell) == squash(grid.rows[r][c]):
                continue
            for piece in filter(None, (squash(p) for p in cell.split("\n"))):
                if not _contains(grid.rows[r][c], piece) and _contains(grid.rows[r - 1][c], piece):
                    down += 1
    return down if down >= 2 else 0


def _contains(cell: str, piece: str) -> bool:
    cell = squash(cell)
    return piece == cell if is_value_cell(piece) else len(piece) >= 2 and piece in cell


def _settle(fast: PdfReading, key: tuple[int, int, int], offered: dict[str, str]) -> list[CheckResult]:
    """Choose among the readings of one cell: the one under which the parsed document satisfies most identities.

    The fast reading's value, or its blank (a cell it left unread, or one printed empty), is one candidate; every
    single value another reader offers is another. Ties keep the fast reading.
    """
    index, r, c = key
    grid = fast.grids[index]
    mine = grid.rows[r][c]
    if mine and not is_value_cell(mine):  # a label or two values run together: never replaced by a number
        return [
            _record(fast.path, grid, (r, c), False, _kept(mine, reader, theirs, "one reading is not a single value"))
            for reader, theirs in offered.items()
        ]
    options = {mine: FAST_READER}
    for reader, theirs in offered.items():
        if is_value_cell(theirs):
            options.setdefault(theirs, reader)
    held = {}
    for text in options:
        grid.rows[r][c] = text
        held[text] = _identities_held(fast.source())
    best = max(options, key=lambda text: held[text])  # ties: the first, the fast reading
    grid.rows[r][c] = best
    if best != mine:
        grid.replaced[(r, c)] = options[best]
    results = []
    for reader, theirs in offered.items():
        if not is_value_cell(theirs):
            detail = _kept(mine, reader, theirs, "one reading is not a single value")
            results.append(_record(fast.path, grid, (r, c), False, detail, kept=best, rejected=theirs))
        elif theirs == best != mine:
            why = f"{held[best]} identities hold with it, {held[mine]} without"
            detail = f"{reader} {theirs!r} replaces {FAST_READER} {mine!r}: {why}"
            results.append(_record(fast.path, grid, (r, c), False, detail, kept=theirs, rejected=mine))
        else:
            why = f"{held[best]} identities hold with it, {held[theirs]} without" if held[best] > held[theirs] else ""
            detail = _kept(best, reader, theirs, why or "no identity decides", winner=options[best])
            results.append(_record(fast.path, grid, (r, c), False, detail, kept=best, rejected=theirs))
    return results


def _kept(kept: str, reader: str, theirs: str, why: str, winner: str = FAST_READER) -> str:
    return f"{winner} {kept!r} kept over {reader} {theirs!r}: {why}"


def _identities_held(source: SourceText) -> int:
    """How many of identities 1-4 hold when the real parser reads ``source``."""
    try:
        report = parse_source(source)
    except GovstatsError:
        return -1
    return sum(1 for result in report_checks(report) if result.passed)


def _score(source: SourceText) -> tuple[int, int]:
    """(identities that hold, minus the cells left unread): higher is better."""
    try:
        report = parse_source(source)
    except GovstatsError:
        return (-1, 0)
    unread = sum(1 for *_, cell in report.cells() if cell.status in (UNREADABLE, AMBIGUOUS))
    return sum(1 for result in report_checks(report) if result.passed), -unread


def _record(
    path: str,
    grid: Grid,
    cell: tuple[int, int] | None,
    passed: bool | None,
    detail: str,
    *,
    kept: str = "",
    rejected: str = "",
    check: str = READERS_AGREE,
) -> CheckResult:
    """One reader check: ``expected`` is the number kept for the cell, ``found`` the one set aside."""
    where = grid.where(*cell) if cell is not None else f"page {grid.page}, table {grid.index}"
    return CheckResult(path, check, where, number(kept), number(rejected), passed, detail)
