"""Row labels found by aligning a section's text to the form's ordered labels.

The codebook gives each table's row labels in printed order; a section's compact text (no white space, so a label
wrapped over lines is one string) is aligned to that sequence monotonically, in two passes:

1. **anchors**: each label printed exactly as the codebook has it (or one of its variants), searched in order,
   each from where the last one was found; a label not found does not move the search on.
2. **gaps**: a label missing from the anchors is looked for only between the anchors around it (a band, never
   the whole document), by edit distance (rapidfuzz) to the form's label, its ordinal put back where printed.
   The score is the label's similarity, raised when the order of the form vouches for the place (the only label
   missing between two anchors) and lowered when no value follows it (the shape of a table row).

A label never ends in a digit, so an aligned label is cut back to its last non-digit: the numbers after it stay the
row's own. Each match keeps its ``confidence`` (1.0 for anchors); the parser writes it into the cells' provenance
and treats a low one as unread (the identities then decide, or the cell stays flagged).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .. import codebook
from ..textnorm import compact

# Labels shorter than this are too close to each other (2.重复申请, 3.其他) for an edit-distance match to be evidence.
MIN_ALIGNED_LABEL = 5
# A gap match below this is no match; below CONFIDENT it is a match whose cells are flagged rather than read.
ACCEPT = 0.70
CONFIDENT = 0.85
_ORDER_BONUS = 0.10  # the only label missing between two anchors: the form's order says where it must be
_NO_VALUE_PENALTY = 0.10  # a row label is followed by its values (or by the next label when they are blank)
_VALUE_START = set("0123456789/-—－–")
_PROSE_AFTER = frozenset(",，。;；:：、.?？!！")


@dataclass(frozen=True)
class RowMatch:
    """A row label in compact text: [start, end) and how sure the match is."""

    start: int
    end: int
    confidence: float = 1.0
    printed: str = ""  # the label as printed, for aligned matches
    whole: bool = True  # the whole label was found (not a short variant such as 禁止公开 of a garbled label)

    @property
    def exact(self) -> bool:
        return self.confidence >= 1.0


@cache
def _forms(entry: codebook.Entry) -> list[str]:
    """Compact label forms to look for, the most specific first."""
    forms = [entry.ordinal + entry.label_zh, entry.label_zh, *entry.variants]
    return list(dict.fromkeys(compact(form) for form in forms if form))


def _with_ordinal(text: str, entry: codebook.Entry, start: int, end: int, overlap: int = 0) -> tuple[int, int]:
    """The span widened to the row's ordinal printed before it; ``overlap``: how many of the span's first
    characters may be the ordinal's last ones (an aligned window may begin at the ``.`` of ``1.``)."""
    ordinal = compact(entry.ordinal)
    for shift in range(overlap + 1):
        if ordinal and shift < len(ordinal) and text.startswith(ordinal, start + shift - len(ordinal)):
            return start + shift - len(ordinal), end
    return start, end


def _in_sentence(text: str, end: int, form: str, labels: list[str]) -> bool:
    following = text[end : end + 1]
    if following not in _PROSE_AFTER:
        return False
    return not any(form + following in label for label in labels)


def find_exact(text: str, entry: codebook.Entry, start: int, end: int) -> tuple[int, int, bool] | None:
    """Compact [start, end) of the earliest exact label form of ``entry`` in [start, end), ordinal included, and
    whether that form is the whole label (not a variant)."""
    best = None
    whole_forms = set(_forms(entry)[:2])
    labels = _forms(entry)[:2]
    for form in _forms(entry):
        position = text.find(form, start, end)
        # A label followed by prose punctuation is the name in a sentence (相关规章、规范性文件；), not a row —
        # unless the label itself goes on with that punctuation (…逾期不补正、行政机关不再处理…).
        while position >= 0 and _in_sentence(text, position + len(form), form, labels):
            position = text.find(form, position + 1, end)
        if position < 0:
            continue
        if best is None or position < best[0] or (position == best[0] and len(form) > best[1] - best[0]):
            best = (position, position + len(form), form in whole_forms)
    return None if best is None else (*_with_ordinal(text, entry, best[0], best[1]), best[2])


def _refine(text: str, label: str, around: int, start: int, end: int) -> tuple[int, int, float] | None:
    """The window near ``around`` whose edit distance to ``label`` is least: (start, end, similarity)."""
    slack = max(2, len(label) // 4)
    best = None
    for begin in range(max(start, around - slack), min(end, around + slack) + 1):
        for length in range(max(1, len(label) - slack), len(label) + slack + 1):
            stop = min(end, begin + length)
            window = text[begin:stop]
            distance = Levenshtein.distance(label, window)
            similarity = 1 - distance / len(label)
            # Among equal scores: the window a value follows (the shape of a row), that ends on a label character,
            # and starts earliest.
            followed = stop >= end or text[stop] in _VALUE_START
            key = (similarity, followed, not window[-1:].isdigit(), -begin)
            if best is None or key > best[0]:
                best = (key, begin, stop, similarity)
    if best is None:
        return None
    _, begin, stop, similarity = best
    while stop > begin and (text[stop - 1].isdigit() or text[stop - 1] in "./"):
        stop -= 1  # a label never ends in a digit: those are the row's values
    return begin, stop, similarity


def find_aligned(text: str, entry: codebook.Entry, start: int, end: int) -> RowMatch | None:
    """The best edit-distance match of ``entry``'s label in the band [start, end), or None."""
    label = compact(entry.label_zh)
    if len(label) < MIN_ALIGNED_LABEL or end - start < MIN_ALIGNED_LABEL:
        return None
    band = text[start:end]
    rough = fuzz.partial_ratio_alignment(label, band) if len(band) >= len(label) else None
    if rough is None or rough.score < ACCEPT * 100 * 0.8:
        return None
    refined = _refine(text, label, start + rough.dest_start, start, end)
    if refined is None or refined[2] < ACCEPT - _ORDER_BONUS:
        return None
    begin, stop, similarity = refined
    begin, stop = _with_ordinal(text, entry, begin, stop, overlap=2)
    return RowMatch(begin, stop, similarity, text[begin:stop])


def _followed_by_value(text: str, end: int, limit: int) -> bool:
    return end >= limit or text[end] in _VALUE_START


def align_rows(text: str, entries, start: int, end: int) -> dict[str, RowMatch]:
    """Row labels of ``entries`` (in printed order) in compact ``text[start:end]``; a label not found is left out."""
    anchors: dict[str, RowMatch] = {}
    position = start
    for entry in entries:
        span = find_exact(text, entry, position, end)
        if span is not None:
            anchors[entry.code] = RowMatch(span[0], span[1], whole=span[2])
            position = span[1]
    found = dict(anchors)
    codes = [e.code for e in entries]
    for index, entry in enumerate(entries):
        if entry.code in found:
            continue
        before = [found[c].end for c in codes[:index] if c in found]
        after = [found[c].start for c in codes[index + 1 :] if c in found]
        low, high = (max(before) if before else start), (min(after) if after else end)
        match = find_aligned(text, entry, low, high)
        if match is None:
            continue
        between_found = 0 < index < len(codes) - 1 and codes[index - 1] in found and codes[index + 1] in found
        confidence = match.confidence + (_ORDER_BONUS if between_found else 0.0)
        if not _followed_by_value(text, match.end, high):
            confidence -= _NO_VALUE_PENALTY
        confidence = min(confidence, 0.99)  # an aligned match is never as sure as an exact one
        if confidence >= ACCEPT:
            found[entry.code] = RowMatch(match.start, match.end, round(confidence, 2), match.printed)
    return found
