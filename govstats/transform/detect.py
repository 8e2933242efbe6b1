"""What a document is (annual report, work plan, neither), which national format it follows, and where its sections
begin.

Section headings are found by alignment to the form (``codebook/sections.csv``), not by an exact pattern: a heading
with a character missing, added or changed, or numbered differently (a seven-part report heads its requests table
四、 and its review table 五、) is still its section. Each heading is looked for in three passes, each only where
the one before found nothing:

1. *exact*: the form's heading with its own ordinal (the patterns below, which every clean report matches);
2. *aligned*: any numbered heading (一、 … 十、, （三）, 3.) whose text is within a small edit distance of the form's
   heading or one of its variants;
3. *content*: the table header that only this section prints (the fifteen-number block under 结果维持 结果纠正 … is
   section 四 whatever its heading says).

A match is a :class:`HeadingMatch` with ``start()``/``end()`` like a regex match, and a ``confidence`` (1.0 exact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .. import codebook
from ..codebook import FORMAT_2019, FORMAT_2021
from ..textnorm import compact
from .workplan import is_work_plan

ANNUAL_REPORT = "annual_report"
WORK_PLAN = "work_plan"

# The exact pass, on compact text (、 read as '.'). The ordinal is required: the preamble of many reports lists the
# section names without it.
_EXACT = {
    "overview": re.compile(r"一\.总体情况"),
    "proactive": re.compile(r"二\.主动公开政府信息(?:的)?情况"),
    "requests": re.compile(r"三\.收到和处理政府信息公开申请(?:的)?情况"),
    "review_litigation": re.compile(r"四\.[^。.]{0,20}?行政复议[^。]{0,20}?行政诉讼(?:的)?情况"),
    "problems": re.compile(r"五\.[^。.]{0,12}?存在的主要问题"),
    "other_matters": re.compile(r"六\.其他需要报告的事项"),
}
# Where a heading of the aligned pass may start: a section numeral as printed (三、 三. （三） 3.), not inside a
# longer Chinese numeral (四、结转下年度… is a row, but its text is far from every heading).
_NUMERAL = "[一二三四五六七八九十]{1,2}"
# An Arabic numeral (4、) may follow the previous row's digits directly in compact text (…000184.政府…): one digit.
_NUMBERED = re.compile(rf"(?<![一二三四五六七八九十])(?:{_NUMERAL}\.|\({_NUMERAL}\)|\d\.)")
# Edits allowed between a printed heading and the form's: about one in six characters, at least one.
_EDITS_PER_CHAR = 1 / 6

ALIGNED_CONFIDENCE_FLOOR = 0.75


@dataclass(frozen=True)
class HeadingMatch:
    """Where a section heading stands in compact text, and how sure the match is."""

    section: str
    begin: int
    finish: int
    confidence: float
    method: str  # exact, aligned, content

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish


class HeadingPattern:
    """The heading of one section, searched like a compiled regex: ``search(compact_text, pos)``."""

    def __init__(self, section: str):
        self.section = section

    def search(self, text: str, pos: int = 0) -> HeadingMatch | None:
        return find_heading(text, self.section, pos)

    def finditer(self, text: str, pos: int = 0):
        """Every heading of the section from ``pos`` on (a file holding two reports has two)."""
        while (match := find_heading(text, self.section, pos)) is not None:
            yield match
            pos = match.end()


SECTION_HEADINGS = {section.code: HeadingPattern(section.code) for section in codebook.sections()}


@lru_cache(maxsize=1)
def _format_markers() -> dict[str, tuple[str, ...]]:
    """The column headers of section 二 that only one format prints (codebook measures and items), per format.

    The form is told by its own table, never by the notice a report cites: reports in the 2021 form often cite
    国办公开办函〔2019〕60号, the notice on annual reports.
    """
    labels: dict[str, set[str]] = {FORMAT_2019: set(), FORMAT_2021: set()}
    for entry in codebook.entries():
        if entry.table in ("proactive_measure", "proactive_item") and entry.format in labels:
            labels[entry.format] |= {compact(form) for form in (entry.label_zh, *entry.variants)}
    first, second = labels

    def own(fmt: str, other: str) -> tuple[str, ...]:  # not inside the other form's headers (处理决定数量)
        return tuple(sorted(m for m in labels[fmt] if not any(m in o for o in labels[other])))

    return {first: own(first, second), second: own(second, first)}


@lru_cache(maxsize=64)
def _forms(section: str) -> tuple[str, ...]:
    entry = next(s for s in codebook.sections() if s.code == section)
    return tuple(dict.fromkeys(compact(form) for form in (entry.heading_zh, *entry.variants)))


@lru_cache(maxsize=64)
def _content_markers(section: str) -> tuple[str, ...]:
    entry = next(s for s in codebook.sections() if s.code == section)
    return tuple(compact(marker) for marker in entry.content)


def _allowed(form: str) -> int:
    return max(1, int(len(form) * _EDITS_PER_CHAR))


def _near(text: str, begins: list[int], form: str) -> np.ndarray:
    """For each begin, whether ``form`` may align there: a window within ``allowed`` edits is a prefix of the
    longest window, at most 2 * allowed shorter, so the longest is then within 3 * allowed. All begins are
    compared in one call (rapidfuzz's cdist, in C): most numerals are ruled out without a Python loop."""
    allowed = _allowed(form)
    longest = [text[begin : begin + len(form) + allowed] for begin in begins]
    distances = process.cdist([form], longest, scorer=Levenshtein.distance, score_cutoff=3 * allowed)[0]
    return distances <= 3 * allowed


def _aligned_at(text: str, begin: int, forms: list[str]) -> tuple[int, float] | None:
    """End and confidence of the best prefix alignment of a heading form at ``begin`` (None when too far)."""
    best = None
    for form in forms:
        allowed = _allowed(form)
        for length in range(max(1, len(form) - allowed), len(form) + allowed + 1):
            window = text[begin : begin + length]
            distance = Levenshtein.distance(form, window, score_cutoff=allowed)
            if distance > allowed or not window or window[-1] != form[-1] and distance == allowed:
                continue
            confidence = 1 - distance / len(form)
            if best is None or confidence > best[1]:
                best = (begin + length, confidence)
    return best


@lru_cache(maxsize=16)
def _aligned_headings(text: str, start: int) -> tuple[HeadingMatch, ...]:
    """Every numbered heading of the text from ``start`` on that aligns to a section of the form, in printed order
    (the numerals are those of the whole text: where the search starts does not change how they are cut).

    Each numeral is aligned on its own, so where the whole text's headings are known (the parser looked for a
    section from the start), those from ``start`` on are taken from them instead of aligned again.
    """
    whole = _whole_text_headings.get(text)
    if whole is not None:
        return tuple(match for match in whole if match.begin >= start)
    found = _align_headings(text, start)
    if start == 0:
        if len(_whole_text_headings) >= _WHOLE_TEXTS_KEPT:
            del _whole_text_headings[next(iter(_whole_text_headings))]  # the oldest: memory stays flat
        _whole_text_headings[text] = found
    return found


# The aligned headings of the last few texts searched from their start (bounded like the cache above).
_whole_text_headings: dict[str, tuple[HeadingMatch, ...]] = {}
_WHOLE_TEXTS_KEPT = 16


def _numerals(text: str, start: int) -> list[re.Match]:
    """The numerals from ``start`` on, as the whole text cuts them."""
    return [numeral for numeral in _NUMBERED.finditer(text) if numeral.start() >= start]


def _may_align(text: str, section: str, start: int) -> bool:
    """Whether a numeral from ``start`` on is near a form of ``section``: the aligned pass's first test. Where none
    is, aligning every numeral to every section cannot give this one, and is skipped (the search for a second
    report after a file's first mostly finds none)."""
    if text in _whole_text_headings:  # aligned already: taking its headings costs less than the test
        return True
    begins = [numeral.end() for numeral in _numerals(text, start)]
    return bool(begins) and any(_near(text, begins, form).any() for form in _forms(section))


def _align_headings(text: str, start: int) -> tuple[HeadingMatch, ...]:
    numerals = _numerals(text, start)
    if not numerals:
        return ()
    begins = [numeral.end() for numeral in numerals]
    sections = [(section.code, _forms(section.code)) for section in codebook.sections()]
    near = {form: _near(text, begins, form) for _, forms in sections for form in forms}
    found = []
    for index in np.flatnonzero(np.any(np.stack(list(near.values())), axis=0)).tolist():
        numeral, best = numerals[index], None
        for code, forms in sections:
            aligned = _aligned_at(text, numeral.end(), [form for form in forms if near[form][index]])
            if aligned and (best is None or aligned[1] > best.confidence):
                best = HeadingMatch(code, numeral.start(), aligned[0], aligned[1], "aligned")
        if best is not None and best.confidence >= ALIGNED_CONFIDENCE_FLOOR:
            found.append(best)
    return tuple(found)


def find_heading(text: str, section: str, pos: int = 0) -> HeadingMatch | None:
    """The first heading of ``section`` in compact ``text`` from ``pos``: exact, else aligned, else by content."""
    exact = _EXACT[section].search(text, pos)
    if exact is not None:
        return HeadingMatch(section, exact.start(), exact.end(), 1.0, "exact")
    if _may_align(text, section, pos):
        aligned = next((m for m in _aligned_headings(text, pos) if m.section == section), None)
        if aligned is not None:
            return aligned
    for marker in _content_markers(section):
        at = text.find(marker, pos)
        if at >= 0:
            return HeadingMatch(section, at, at, 0.9, "content")
    return None


def headings_found(compact_text: str) -> list[str]:
    return [name for name, pattern in SECTION_HEADINGS.items() if pattern.search(compact_text)]


def document_type(text: str, flat: str | None = None) -> str | None:
    """``annual_report``, ``work_plan`` or None (neither); ``flat``: the text's compact form, where the caller has it.

    A report is recognised by its table sections, not its title: work plans mention 年度报告 too.
    """
    flat = compact(text) if flat is None else flat
    tables = {"proactive", "requests", "review_litigation"} & set(headings_found(flat))
    if len(tables) >= 2:
        return ANNUAL_REPORT
    if is_work_plan(text):
        return WORK_PLAN
    return None


def format_version(text: str, flat: str | None = None) -> str:
    """``2019`` for reports in the 国办公开办函〔2019〕60号 form, else ``2021``: the form whose own section-二
    headers the text prints more of (a tie, or none, is the current form). ``flat`` as for :func:`document_type`."""
    flat = compact(text) if flat is None else flat
    found = {fmt: sum(marker in flat for marker in markers) for fmt, markers in _format_markers().items()}
    return FORMAT_2019 if found[FORMAT_2019] > found[FORMAT_2021] else FORMAT_2021
