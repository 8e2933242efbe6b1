"""Digit runs: where a garbled table's numbers are and every way to cut a run into cells.

Garbled copies print a row's numbers run together (``32419165111295812234290``), with OCR letters for digits and
the next row's ordinal stuck to the run. This module extracts clean runs from such text and lists the splits of a
run: all of them (:func:`splits`), those whose last number is the sum of the others (:func:`sum_readings`,
identities 1 and 4), and groups of such (:func:`grouped_readings`, section 四). It knows nothing of reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from itertools import takewhile
from math import comb

from ..model import Token
from ..textnorm import NOTE_MARK_CLASS, Compact
from .detect import SECTION_HEADINGS
from .values import SIGNS

# ---------------------------------------------------------------------------------------------------------------
# Normalisation and extraction
# ---------------------------------------------------------------------------------------------------------------

_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
_OCR_LETTERS = "OoIl"
# A run of digits and look-alike letters, possibly in space-separated pieces (a table row's cells).
_OCR_RUN = re.compile(r"[0-9OoIl]+(?:[ \t]+[0-9OoIl]+)*")
# OCR'd label characters seen in garbled copies; labels only, never digits.
_LABEL_FIXES = {"申清人": "申请人", "中请": "申请", "彳壬务": "任务"}
# A run of digits (pieces apart by white space); a sign right before a digit belongs to the run, so "35-15" and
# "-4" keep their sign instead of being read as positive.
_DATA_RUN = re.compile(
    r"(?<![\w])[-−－]?\d+(?:(?:[ \t\r\n\u3000]*[-−－]|[ \t\r\n\u3000]+)\d+)*"
    r"|\d+(?:(?:[ \t\r\n\u3000]*[-−－]|[ \t\r\n\u3000]+)\d+)*"
)
_ORDINAL_AFTER = re.compile(r"[.、．](?=[^\d\s.])")


# A footnote mark (①, ²) ends the number it follows: in a run it is a compulsory cut, never a digit.
_NOTE_MARK = re.compile(f"[{NOTE_MARK_CLASS}]")  # each mark is a cut (a space), as the reader of a run sees it


def normalise_run(text: str) -> str:
    """O/o→0 and I/l→1, but only inside runs that also hold a real digit (the context proves a digit is meant).

    A letter alone between spaces counts when its neighbours in the run are digits (``2082 I44 O 4``).
    """

    def fix(match: re.Match) -> str:
        run = match.group(0)
        return run.translate(_OCR_DIGITS) if any(ch.isdigit() for ch in run) else run

    if not any(letter in text for letter in _OCR_LETTERS):  # most texts: nothing to read as a digit
        return text
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
    text = _NOTE_MARK.sub(" ", normalise_run(text))
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
    flat = Compact.of(text)  # the parser's, and the same for sections 三 and 四
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


# A top-level heading (五、, 六、 …): section 四's body holds none, so the first one ends its table even where the
# next section's title is not one the detector knows (五、信息处理费收取情况).
_TOP_HEADING = re.compile(r"(?<![一二三四五六七八九十])[一二三四五六七八九十]{1,2}、")


def review_tokens_from_text(text: str, location: str = "") -> list[Token]:
    """The digit runs of a garbled section 四 body: its fifteen numbers, whitespace kept as separators."""
    heading = _TOP_HEADING.search(text)
    if heading is not None:
        text = text[: heading.start()]
    runs = data_runs(text)
    # A number followed by a unit or a date word (2022年, 3件) belongs to a sentence around the table, not to it.
    return [Token(run, location) for run, start in runs if not _PROSE_UNIT.match(text, _end_of(text, run, start))]


_PROSE_UNIT = re.compile(r"\s*[年月日号件个起%]")


def _end_of(text: str, run: str, start: int) -> int:
    """Offset just after ``run`` found at ``start`` in the OCR-normalised text (same length as the original)."""
    return start + len(run)


# ---------------------------------------------------------------------------------------------------------------
# Splitting runs
# ---------------------------------------------------------------------------------------------------------------


def _pieces_text(run: str | Sequence[str]) -> str:
    """A run (or its printed pieces) as one string whose single spaces are compulsory cuts."""
    if isinstance(run, str):
        return _piece_text(run)
    return " ".join(text for text in map(_piece_text, run) if text)


# The same few runs ("0000000") are cut again by every step of the recovery and in every report: each printed
# piece is normalised once (bounded, so memory stays flat).
@lru_cache(maxsize=4096)
def _piece_text(piece: str) -> str:
    return " ".join(_NOTE_MARK.sub(" ", normalise_run(piece)).split())


def _number(text: str, decimal: bool) -> int | float | None:
    """The value of a printed number, or None when it is not one (leading zero, stray point)."""
    if text and text[0] in SIGNS:  # a printed sign: the number is negative ("88-720" is 88 and -720); "-0" is no number
        value = _number(text[1:], decimal)
        return None if not value else -value
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
    flags = (decimals,) * parts if isinstance(decimals, bool) else tuple(decimals)
    if not text:
        return []
    few = _split_bound(text, parts) <= MAX_CACHED_SPLITS
    return list(_few_splits(text, parts, flags) if few else _all_splits(text, parts, flags))


# Runs with at most this many splits keep them for the next rows and files (most rows are "0000000": one split);
# a long run's splits are listed afresh, so the cache stays small.
MAX_CACHED_SPLITS = 64


def _split_bound(text: str, parts: int) -> int:
    """At most how many splits a run has: the cuts inside its pieces (a space is a cut already) chosen freely."""
    pieces = text.count(" ") + 1
    inside = len(text) - (pieces - 1) - pieces  # the places between two characters of one piece
    return comb(inside, parts - pieces) if parts >= pieces else 0


def _all_splits(text: str, parts: int, flags: tuple[bool, ...]) -> tuple[tuple, ...]:
    @cache
    def cut(pos: int, part: int) -> tuple[tuple, ...]:
        if part == parts:
            return ((),) if pos == len(text) else ()
        found = []
        for following, value in _plain_numbers(text, pos) or _cuts_at(text, pos, flags[part]):
            found.extend((value, *rest) for rest in cut(following, part + 1))
        return tuple(found)

    return cut(0, 0)


_few_splits = lru_cache(maxsize=512)(_all_splits)


def _cuts_at(text: str, pos: int, decimal: bool) -> list[tuple[int, int | float]]:
    """(next position, value) of every number of a split starting at ``pos`` (a point may follow no number)."""
    found = []
    for end in range(pos + 1, len(text) + 1):
        if text[end - 1] == " ":
            break
        value = _number(text[pos:end], decimal)
        if value is None or (end < len(text) and text[end] == "."):
            continue
        found.append((end + 1 if end < len(text) and text[end] == " " else end, value))
    return found


def split_candidates(run: str | Sequence[str], parts: int, *, decimals: bool | Sequence[bool] = False) -> list[tuple]:
    """The candidate splits of a run that no identity constrains (section 二): the cell is exact only if one fits."""
    return splits(run, parts, decimals=decimals)


def _split_values(text: str, parts: int) -> list[set]:
    """Per part, the values it takes over all integer splits, found from the reachable cut positions.

    Cheaper than listing the splits: used to tell which cells the digits alone fix.
    """
    n = len(text)
    numbers = [_numbers_from(text, start) for start in range(n + 1)]  # each position is reached by many parts
    forward = [{0}]
    for _part in range(parts):
        forward.append({e for s in forward[-1] for e, _ in numbers[s]})
    backward = [set() for _ in range(parts + 1)]
    backward[parts] = {n} & forward[parts]
    values: list[set] = [set() for _ in range(parts)]
    for part in range(parts - 1, -1, -1):
        for start in forward[part]:
            for end, value in numbers[start]:
                if end in backward[part + 1]:
                    backward[part].add(start)
                    values[part].add(value)
    return values


@lru_cache(maxsize=2048)
def split_value_sets(text: str, parts: int) -> tuple[frozenset, ...]:
    """:func:`_split_values` as frozensets, computed once per run (the same runs recur in every report)."""
    return tuple(map(frozenset, _split_values(text, parts)))


def _plain_numbers(text: str, start: int) -> list[tuple[int, int]] | None:
    """(next position, value) of every number starting at ``start`` when the piece from there to the next cut is
    plain digits (most pieces): every prefix, or "0" alone; None for any other piece (signs, points, letters)."""
    stop = text.find(" ", start)
    stop = len(text) if stop < 0 else stop
    piece = text[start:stop]
    if not (piece.isascii() and piece.isdigit()):
        return None
    ends = range(start + 1, start + 2) if piece[0] == "0" else range(start + 1, stop + 1)
    return [(end + 1 if end < len(text) and text[end] == " " else end, int(text[start:end])) for end in ends]


def _numbers_from(text: str, start: int) -> list[tuple[int, int]]:
    """(next position, value) of every integer that can start at ``start``."""
    plain = _plain_numbers(text, start)
    if plain is not None:
        return plain
    found = []
    for end in range(start + 1, len(text) + 1):
        if text[end - 1] == " ":
            break
        value = _number(text[start:end], False)
        if value is None:
            if end == start + 1 and text[start] in SIGNS:
                continue
            break
        found.append((end + 1 if end < len(text) and text[end] == " " else end, value))
    return found


def sum_readings(run: str | Sequence[str], parts: int) -> list[tuple[int, ...]]:
    """Splits of a run into ``parts`` integers whose last is the sum of the others (identity 1 or 4).

    The last number (the total) is chosen first; casting out nines rejects most choices at once (a number is
    congruent to its digit sum modulo 9, however the digits are cut), and the rest is :func:`_parts_summing_to`.
    """
    return list(_sum_readings(_pieces_text(run), parts))


# A run's readings are asked for again (the row's note, the degraded search, section 四's groups): each is computed
# once per run and kept for the next rows and files (bounded, so memory stays flat).
@lru_cache(maxsize=2048)
def _sum_readings(text: str, parts: int) -> tuple[tuple[int, ...], ...]:
    if not text.replace(" ", "").isdigit():
        return ()  # counts are whole numbers: a run with a point or a stray letter has no such reading
    readings = []
    for start in range(len(text)):
        total = _number(text[start:], False)
        if total is None or " " in text[start:]:
            continue
        prefix_end = start - 1 if start and text[start - 1] == " " else start
        if sum(int(ch) for ch in text[:prefix_end] if ch != " ") % 9 != total % 9:
            continue
        readings.extend((*rest, total) for rest in _parts_summing_to(text[:prefix_end], parts - 1, total))
    return tuple(readings)


def _parts_summing_to(text: str, count: int, total: int) -> list[tuple[int, ...]]:
    """Every cut of ``text`` into ``count`` integers that sum to ``total``.

    No part can exceed the total, which bounds each part's width; the exact smallest and largest sums reachable
    from each position prune every branch that cannot land on the total.
    """
    end = len(text)

    @cache
    def options(pos: int) -> tuple[tuple[int, int], ...]:
        plain = _plain_numbers(text, pos)
        if plain is not None:  # values grow with their prefix: those up to the total
            return tuple(takewhile(lambda option: option[1] <= total, plain))
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
    if not text:
        return []
    few = _split_bound(text, groups * size) <= MAX_CACHED_SPLITS  # each reading is a split of the whole run
    return list(_few_grouped(text, groups, size) if few else _all_grouped(text, groups, size))


def _all_grouped(text: str, groups: int, size: int) -> tuple[tuple[int, ...], ...]:
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

    return from_position(0, groups)


_few_grouped = lru_cache(maxsize=512)(_all_grouped)
