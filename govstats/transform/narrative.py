"""Figures printed in a report's prose (their checks against the tables are validate.prose).

Some figures are printed only in the prose (withdrawals, processing fees, and review/litigation counts where the
table of section 四 is unrecoverable); others restate table figures (requests received and answered, each
disposition group with its share). Each is kept with the sentence it came from and the line it stands on.

A figure that is not printed is missing, never 0; an explicit statement of none (未收取信息公开处理费,
未出现被纠错的情况) is a printed 0. A printed figure is never changed: a disagreement with the table is a failed
check row, not a correction.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

from ..codebook.prose import withdrawal_cell
from ..model import NARRATIVE, PROXY, VALUE, Cell, NarrativeFigure, Report, SourceText
from ..textnorm import PAGE_FOOTER, replace_chars

PERCENTAGE = "percentage."
DISPOSITION = "disposition."
# Disposition groups as the prose names them (one name for 予以公开及部分公开); the table rows of each are in
# codebook/prose_figures.csv (disposition.<share>).
SHARE_GROUPS = ("disclosed", "withheld", "unavailable", "not_processed", "other")

# Keys of the `narrative` object of ../shared/expected/*.json, in its order.
JSON_KEYS = (
    "requests_received",
    "requests_growth_pct",
    "requests_answered",
    "withdrawn",
    "processing_fee_yuan",
    "reconsideration_cases",
    "reconsideration_corrected",
    "litigation_cases",
    "litigation_corrected",
    "corrected_cases",
)
# Further restatements, in the order of the frame.
EXTRA_KEYS = (
    "requests_handled",
    "carried_over",
    "carried_forward",
    *(DISPOSITION + group for group in SHARE_GROUPS),
    *(f"reconsideration_{o}" for o in ("upheld", "other", "pending")),
    *(f"litigation_{o}" for o in ("upheld", "other", "pending")),
)
KEY_ORDER = (*JSON_KEYS, *EXTRA_KEYS, *(f"{PERCENTAGE}{group}_share" for group in SHARE_GROUPS))

# ---------------------------------------------------------------------------------------------------------------
# The prose as one searchable string

# Full-width forms are mapped one character to one, so offsets in the normalised text are offsets in the original.
FULLWIDTH_TO_ASCII = dict(zip("０１２３４５６７８９％（），；：！？", "0123456789%(),;:!?", strict=True))
_HEADING = re.compile(r"[(（][一二三四五六七八九十]{1,3}[)）]|(?<![\d.])[一二三四五六七八九十]{1,3}、")
_SENTENCE_END = re.compile(r"[。;!?]")
# A heading on a line of its own ends there, though it has no full stop.
_HEADING_LINE = re.compile(rf"^\s*(?:{_HEADING.pattern})[^。；;，,]{{0,30}}$")


@dataclass(frozen=True)
class _Prose:
    """A document's lines joined into one string (wrapped lines rejoined), with a map back to the lines."""

    original: str
    text: str  # normalised: ASCII digits and punctuation
    starts: tuple[int, ...]  # offset of each kept line in `text`
    wheres: tuple[str, ...]
    headings: tuple[int, ...] = ()  # end offsets of heading lines such as "（二）依申请公开方面"

    def where(self, offset: int) -> str:
        return self.wheres[bisect.bisect_right(self.starts, offset) - 1]

    def sentences(self) -> Iterator[tuple[int, int]]:
        """(start, end) of each sentence: ended by 。；！？, or cut before a heading such as （二） or 三、."""
        cuts = {0, len(self.text)}
        cuts.update(m.end() for m in _SENTENCE_END.finditer(self.text))
        cuts.update(m.start() for m in _HEADING.finditer(self.text))
        cuts.update(self.headings)
        ordered = sorted(cuts)
        for start, end in zip(ordered, ordered[1:], strict=False):
            if self.text[start:end].strip():
                yield start, end


def _prose(source: SourceText) -> _Prose:
    pieces: list[str] = []
    starts: list[int] = []
    wheres: list[str] = []
    headings: list[int] = []
    length = 0
    for line in source.lines:
        text = line.text.strip()
        if not text or PAGE_FOOTER.match(text):
            continue
        # Lines are rejoined without a space (Chinese wraps anywhere, even inside 答复), except between two digits,
        # which would otherwise run two numbers together.
        if pieces and pieces[-1][-1:].isdigit() and text[:1].isdigit():
            text = " " + text
        starts.append(length)
        wheres.append(line.where)
        pieces.append(text)
        length += len(text)
        if _HEADING_LINE.match(text):
            headings.append(length)
    original = "".join(pieces)
    return _Prose(original, replace_chars(original, FULLWIDTH_TO_ASCII), tuple(starts), tuple(wheres), tuple(headings))


# ---------------------------------------------------------------------------------------------------------------
# Rules: one regex each, the number in group `n` (a statement of none has no group `n` and reads as 0)

_N = r"(?P<n>\d{1,3}(?:,\d{3})+(?![\d])|\d+)"
_DEC = r"(?P<n>\d+(?:\.\d+)?)"
_UNIT = r"\s*[件个]"
_STOP = r"[^,;。]"  # any character inside one clause
_NONE = r"(?:没有|未发生|未出现|未有|未曾|不存在|无)"


@dataclass(frozen=True)
class _Rule:
    key: str
    unit: str
    pattern: re.Pattern


def _rule(key: str, unit: str, pattern: str) -> _Rule:
    return _Rule(key, unit, re.compile(pattern))


_PROACTIVE_NOUNS = {"regulations": "规章", "normative_documents": "(?:行政)?规范性文件"}
_PROACTIVE_VERBS = {
    "issued": "制发|制定|出台|印发",
    "repealed": "废止|废除",
    # "平台纳入管理的有效行政规范性文件共2764件": documents in force, with or without 现行.
    "in_force": "(?:现行)?有效",
}
# Section 二's decisions (处理决定数量) as the prose states them: "作出行政处罚决定305起". The verb is required, so a
# count of published information items (行政处罚类信息103条) is never read as a count of decisions.
_DECISION_NOUNS = {"licensing": "行政许可", "penalties": "行政处罚", "enforcement": "行政强制"}
_DECISIONS = r"(?:作出|做出)(?:了)?(?:{noun})(?:处理)?决定(?:书)?\s*(?:共计?)?\s*{n}\s*[件起个宗份]"
# 政府集中采购's total amount as the prose states it ("发布采购信息21条共5419886元", "197批次涉及金额3601627.4元"):
# an amount in yuan in a clause about procurement; 万元 is another unit than the table's and is not read.
_PROCUREMENT_AMOUNT = rf"采购{_STOP}{{0,20}}?(?:共计?|合计|总计|金额|总额)(?:为|约)?\s*(?P<n>\d+(?:\.\d+)?)\s*元"
_FEE = r"(?:(?:信息(?:公开)?(?:信息)?)?处理费|(?:信息公开|依申请公开)(?:的)?收费)"
_RULES = (
    _rule(
        "requests_received",
        "requests",
        rf"(?:收到|受理|新收|接收|接到)(?:各类|了)?(?:政府)?信息公开申请(?:件)?\s*(?:共计?|总计|合计)?\s*{_N}{_UNIT}",
    ),
    _rule("requests_handled", "requests", rf"办理(?:政府)?信息公开申请\s*(?:共计?)?\s*{_N}{_UNIT}"),
    _rule("requests_answered", "requests", rf"(?:答复|办结)(?:政府)?(?:信息公开)?申请\s*(?:共计?)?\s*{_N}{_UNIT}"),
    # "受理…申请 550 件，答复 547 件": the answered count follows the received one in the same clause chain.
    _rule(
        "requests_answered",
        "requests",
        rf"信息公开申请\s*\d+{_UNIT}\s*,\s*(?:受理|已|共|均已)?(?:答复|办结)(?:了)?\s*{_N}{_UNIT}",
    ),
    _rule(
        "requests_growth_pct",
        "percent",
        rf"申请(?:数量|量|件数|总量)?{_STOP}{{0,3}}?(?:较|比|同比)[^,;。\d]{{0,3}}?(?:\d{{4}}年|上年|去年|上一年)?"
        rf"(?:度)?(?:同期)?(?P<dir>上升|增长|增加|提高|下降|减少|降低)(?:了)?\s*{_DEC}\s*%",
    ),
    _rule(
        "carried_over",
        "requests",
        rf"上(?:一)?年(?:度)?(?:结转|转结)(?:的|来的)?(?:政府)?(?:信息公开)?(?:申请)?\s*{_N}{_UNIT}",
    ),
    _rule(
        "carried_forward",
        "requests",
        rf"{_N}{_UNIT}(?:申请)?\s*(?:结转|顺延|转入|转)(?:至|到|入)?下(?:一)?年(?:度)?",
    ),
    _rule(
        "carried_forward",
        "requests",
        rf"结转(?:至|到)?下(?:一)?年(?:度)?(?:继续办理)?(?:的)?(?:申请)?\s*{_N}{_UNIT}",
    ),
    _rule(
        "withdrawn", "requests", rf"(?:申请人主动|申请人|主动)(?:撤销|撤回)(?:了)?(?:其?申请)?\s*(?:共)?\s*{_N}{_UNIT}"
    ),
    _rule("withdrawn", "requests", rf"撤回(?:了)?申请\s*{_N}{_UNIT}"),
    _rule("withdrawn", "requests", rf"{_N}{_UNIT}(?:申请)?(?:为|系|属)?(?:申请人)?主动(?:撤销|撤回)"),
    _rule("processing_fee_yuan", "yuan", rf"{_FEE}{_STOP}{{0,12}}?{_DEC}\s*(?P<u>万元|元)"),
    # A fee stated as none: the negation stands right before the fee ("未收取信息公开处理费", "未发生政府信息公开收费"),
    # so "无正当理由逾期未按收费通知…" is not one.
    _rule("processing_fee_yuan", "yuan", rf"(?:{_NONE}|未|不)(?:发生|出现|收取|征收|产生)?(?:任何)?(?:政府)?{_FEE}"),
    # "没有…行政复议" is none, but "未发生行政复议被纠错" speaks of corrections, not of cases.
    _rule("reconsideration_cases", "cases", rf"{_NONE}[^,;。纠]{{0,20}}?复议(?!\s*\d)(?![^,;。]*纠)"),
    _rule("litigation_cases", "cases", rf"{_NONE}[^,;。纠]{{0,20}}?诉讼(?!\s*\d)(?![^,;。]*纠)"),
    _rule("corrected_cases", "cases", rf"(?:{_NONE}|零){_STOP}{{0,6}}?(?:被)?纠错"),
    _rule("corrected_cases", "cases", rf"(?:被)?纠错(?:案件)?\s*{_N}{_UNIT}"),
    # Section 二 restated in prose ("本年度制发规范性文件34件", "现行有效行政规范性文件共253件"): the document kind
    # is named right after the verb, or earlier in the clause chain ("制发规范性文件88件，废止5件，现行有效698件",
    # "制发规范性文件34件，现行有效件数424件").
    *(
        _rule(f"{item}_{measure}", "documents", pattern)
        for item, noun in _PROACTIVE_NOUNS.items()
        for measure, verb in _PROACTIVE_VERBS.items()
        for pattern in (
            rf"(?:{verb})(?:了|的)?(?:{noun})\s*(?:共计?)?\s*{_N}{_UNIT}",
            rf"(?:{noun})\s*\d+{_UNIT}[^。;]{{0,30}}?,\s*(?:{verb})(?:了|的)?(?:件数|数量)?\s*(?:共计?)?\s*"
            rf"{_N}{_UNIT}",
        )
    ),
    *(
        _rule(f"{item}_decisions", "decisions", _DECISIONS.format(noun=noun, n=_N))
        for item, noun in _DECISION_NOUNS.items()
    ),
    _rule("procurement_amount", "amount", _PROCUREMENT_AMOUNT),
)

# The count of a proceeding opens a clause in which its outcomes may follow ("复议351件，其中结果维持72件，…").
_PROCEEDINGS = {
    "reconsideration": (re.compile(rf"复议(?:案件)?\s*(?:共计?)?\s*{_N}\s*[件起个]"), "诉讼"),
    "litigation": (re.compile(rf"(?<!复议后)(?<!直接)诉讼(?:案件)?\s*(?:共计?)?\s*{_N}\s*[件起个]"), "复议"),
}
_OUTCOMES = {
    "corrected": re.compile(rf"(?:结果)?(?:被)?(?:纠正|纠错)\s*{_N}\s*[件起个]"),
    "upheld": re.compile(rf"(?:结果)?维持\s*{_N}\s*[件起个]"),
    "other": re.compile(rf"其他结果\s*{_N}\s*[件起个]"),
    "pending": re.compile(rf"尚未审结\s*{_N}\s*[件起个]"),
}

_SHARE_LABELS = {
    "disclosed": r"(?:予以)?公开(?:及|和|、|与)部分公开",
    "withheld": r"不予公开",
    "unavailable": r"无法提供",
    "not_processed": r"不予处理",
    "other": r"其他处理",
}
_SHARE_COUNTS = {group: re.compile(rf"{label}\s*(?:共)?\s*{_N}{_UNIT}") for group, label in _SHARE_LABELS.items()}
# After a group's count: an optional note in brackets, then its share ("，占 50.09%", "(占3.5%)", "，3.47%").
_SHARE_TAIL = re.compile(
    r"\s*(?:\((?!\s*占)[^)]*\))?\s*[,、]?\s*\(?\s*(?:占(?:比)?[^,;。\d%()]{0,8}?)?\s*(?P<p>\d+(?:\.\d+)?)\s*%"
)


# ---------------------------------------------------------------------------------------------------------------
# Extraction


def _number(text: str) -> float | int:
    number = float(text.replace(",", ""))
    return int(number) if number.is_integer() and "." not in text else number


def _figure(prose: _Prose, key: str, unit: str, match: re.Match, sentence: tuple[int, int], group: str = "n"):
    """A NarrativeFigure from a match; a match without a number is a statement of none (0)."""
    has_number = group in match.re.groupindex and match.group(group) is not None
    offset = match.start(group) if has_number else match.start()
    # A share's raw is the printed percentage alone ("4.70%"): its decimals give the precision to check at.
    raw = prose.original[match.start(group) if group == "p" else match.start() : match.end()]
    value: float | int = 0
    if has_number:
        value = _number(match.group(group))
        if "u" in match.re.groupindex and match.group("u") == "万元":
            value = _number(str(Decimal(match.group(group)) * 10000))  # exact: 1.2万元 is 12000 yuan
        if "dir" in match.re.groupindex and match.group("dir") in ("下降", "减少", "降低"):
            value = -value
    text = prose.original[sentence[0] : sentence[1]].strip()
    return NarrativeFigure(key, value, unit, text, prose.where(offset), raw)


def _sentence_figures(prose: _Prose, span: tuple[int, int]) -> Iterator[NarrativeFigure]:
    """Every figure of one sentence, in the order the rules are listed (the caller keeps the first per key)."""
    sentence = prose.text[span[0] : span[1]]
    rules, proceedings, shares = _runnable(frozenset([piece for piece in _pieces() if piece in sentence]))
    for rule in rules:
        for match in rule.pattern.finditer(prose.text, *span):
            yield _figure(prose, rule.key, rule.unit, match, span)
    yield from _proceeding_figures(prose, span, proceedings)
    yield from _share_figures(prose, span, shares)


# A rule is run on a sentence only if the sentence holds every piece of text each of its matches holds (most rules
# fail that in most sentences): a rule is never skipped where it could match, and far fewer regexes run.


@lru_cache(maxsize=4096)  # sentences hold few distinct sets of pieces: each is worked out once
def _runnable(present: frozenset[str]) -> tuple[tuple[_Rule, ...], tuple[str, ...], tuple[str, ...]]:
    """The rules, proceedings and share groups that can match in a sentence holding exactly these pieces."""
    return (
        tuple(rule for rule in _RULES if _required(rule.pattern) <= present),
        tuple(name for name, (pattern, _) in _PROCEEDINGS.items() if _required(pattern) <= present),
        tuple(group for group, pattern in _SHARE_COUNTS.items() if _required(pattern) <= present),
    )


@cache
def _pieces() -> tuple[str, ...]:
    """Every piece of text some rule requires, looked up once per sentence."""
    patterns = [rule.pattern for rule in _RULES] + [p for p, _ in _PROCEEDINGS.values()] + [*_SHARE_COUNTS.values()]
    return tuple(dict.fromkeys(piece for pattern in patterns for piece in _required(pattern)))


@cache
def _required(pattern: re.Pattern) -> frozenset[str]:
    """The literal runs every match of ``pattern`` contains: its literals outside alternatives, optional parts and
    lookarounds (a run is cut wherever anything else stands, so each is a substring of every match)."""
    if pattern.flags & re.IGNORECASE:
        return frozenset()
    try:
        parsed = re._parser.parse(pattern.pattern, pattern.flags)  # the stdlib's own parse of the pattern
    except Exception:  # noqa: BLE001 - a Python whose parser differs: no piece is known, every rule runs
        return frozenset()
    return frozenset(piece for piece in _literal_runs(parsed) if piece)


def _literal_runs(items) -> list[str]:
    runs = [""]
    for op, argument in items:
        if op is re._constants.LITERAL:
            runs[-1] += chr(argument)
            continue
        runs.append("")
        if op is re._constants.SUBPATTERN and not argument[1] & re.IGNORECASE:
            runs += _literal_runs(argument[-1])
        elif op is re._constants.BRANCH:  # the characters every alternative requires (处理费|收费: 费)
            required = [set("".join(_literal_runs(branch))) for branch in argument[1]]
            runs += sorted(set.intersection(*required)) if required else []
        elif op in (re._constants.MAX_REPEAT, re._constants.MIN_REPEAT) and argument[0] >= 1:
            runs += _literal_runs(argument[2])
        runs.append("")
    return runs


def _proceeding_figures(prose: _Prose, span: tuple[int, int], names: tuple[str, ...]) -> Iterator[NarrativeFigure]:
    text = prose.text
    for name in names:
        pattern, other_name = _PROCEEDINGS[name]
        for match in pattern.finditer(text, *span):
            yield _figure(prose, f"{name}_cases", "cases", match, span)
            # The clause of this proceeding ends where the other proceeding is named, or with the sentence.
            stop = text.find(other_name, match.end(), span[1])
            clause_end = stop if stop != -1 else span[1]
            for outcome, outcome_pattern in _OUTCOMES.items():
                found = outcome_pattern.search(text, match.end(), clause_end)
                if found:
                    yield _figure(prose, f"{name}_{outcome}", "cases", found, span)


def _share_figures(prose: _Prose, span: tuple[int, int], groups: tuple[str, ...]) -> Iterator[NarrativeFigure]:
    for group in groups:
        for match in _SHARE_COUNTS[group].finditer(prose.text, *span):
            yield _figure(prose, DISPOSITION + group, "requests", match, span)
            tail = _SHARE_TAIL.match(prose.text, match.end(), span[1])
            if tail:
                yield _figure(prose, f"{PERCENTAGE}{group}_share", "percent", tail, span, group="p")


def extract_narrative(source: SourceText) -> dict[str, NarrativeFigure]:
    """The prose figures of a document, keyed as in ../shared/expected/*.json; the first statement of each wins."""
    prose = _prose(source)
    figures: dict[str, NarrativeFigure] = {}
    for span in prose.sentences():
        for figure in _sentence_figures(prose, span):
            figures.setdefault(figure.key, figure)
    return {key: figures[key] for key in ordered_keys(figures)}


def ordered_keys(keys: Iterable[str]) -> list[str]:
    rank = {key: i for i, key in enumerate(KEY_ORDER)}
    return sorted(keys, key=lambda key: (rank.get(key, len(rank)), key))


def figures_of(report: Report) -> dict[str, NarrativeFigure]:
    """The report's prose figures, as the pipeline stored them (``report.narrative = extract_narrative(source)``).

    They are not re-read from ``report.text``: that text is the parser's prepared copy, and its line numbers are
    not the source's, so a figure read from it would name the wrong location.
    """
    return report.narrative


def narrative_totals(figures: dict[str, NarrativeFigure]) -> dict[str, float | int]:
    """Prose figures by key, as ``recover.recover_report(narrative_totals=...)`` takes them (it picks its keys)."""
    return {key: figure.value for key, figure in figures.items() if figure.value is not None}


# ---------------------------------------------------------------------------------------------------------------
# Figures for analysis


@dataclass(frozen=True)
class Withdrawals:
    """Withdrawn requests: the prose figure (method ``narrative``), or on request the 3.其他 proxy (``proxy``)."""

    value: float | int | None
    method: str | None  # narrative, proxy, or None when neither is available
    sentence: str = ""
    location: str = ""


def withdrawals(report: Report, *, proxy: bool = False) -> Withdrawals:
    """Withdrawals of a report; the proxy (every request of 3.其他, an upper bound) only when asked for."""
    figure = figures_of(report).get("withdrawn")
    if figure is not None:
        return Withdrawals(figure.value, NARRATIVE, figure.sentence, figure.location)
    if proxy:
        row, column = withdrawal_cell(report.format_version, one_row_other=report.one_row_other)
        value = report.value("requests", row, column)
        if value is not None:
            return Withdrawals(value, PROXY, "", f"requests.{row}.{column}")
    return Withdrawals(None, None)


def narrative_review_cells(report: Report) -> dict[str, dict[str, Cell]]:
    """Review and litigation figures stated in prose, as cells marked ``narrative``.

    Prose gives litigation as one figure, not split into 未经复议直接起诉 / 复议后起诉, so it is returned under the
    pseudo-proceeding ``litigation`` rather than being assigned to either.
    """
    figures = figures_of(report)
    cells: dict[str, dict[str, Cell]] = {}
    for proceeding in ("reconsideration", "litigation"):
        for outcome in ("upheld", "corrected", "other", "pending", "total"):
            figure = figures.get(f"{proceeding}_{'cases' if outcome == 'total' else outcome}")
            if figure is not None:
                cell = Cell(figure.value, VALUE, figure.sentence, figure.location, NARRATIVE, note=figure.raw)
                cells.setdefault(proceeding, {})[outcome] = cell
    return cells
