"""The 任务分解表 (task table) of a 政务公开工作要点 (work plan), read into tasks that keep their provenance.

A work plan is not an annual report but the plan an annual report is judged against. Its body lists numbered
points (``1.`` … ``N.``) under chapter headings (``一、`` … ``五、``) and sub-headings (``（一）``); its appendix,
the 任务分解表, repeats every point as a table row: 序号, 任务名称, 任务内容, 责任单位, 时间节点.

In the text layer of such a table each row starts with its number, and its cells follow in column order, wrapped
over lines (and pages) one cell fragment per line; the last line of one cell may share a line with the first of
the next, separated by a space. A row is read from both ends:

- 任务名称 is a merged cell: it is printed in the first row of its group (and again after a page break) and
  blank in the rows below, which continue the name above. Its lines are the short lines right after the number
  that carry no sentence punctuation (the name column is narrow).
- 时间节点 is the last cell: one of the forms of ``DEADLINE_KINDS``, matched at the end of the row even when
  wrapped (``按市级部`` / ``署``).
- 任务内容 ends with its sentence's final punctuation (。); what lies between it and the deadline is 责任单位.
- 责任单位 is a list separated by 、. A line break is not a separator: the cell wraps mid-word (``区行`` /
  ``政服务中心``). A break with no 、 is read as a wrap unless both sides are units seen whole elsewhere in the
  document (then the 、 was lost), and every unit is checked against ``UNIT_SUFFIXES``.

Page numbers (``- 15 -``) and repeated header rows are not content. The body's points are read too, and
:func:`work_plan_checks` compares them with the table's tasks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ..model import BodyPoint, Line, PlanSection, SourceText, Task, TaskUnit, WorkPlan
from ..textnorm import PAGE_FOOTER

# Deadline kinds (时间节点), each with the printed form it normalises.
WHOLE_YEAR = "whole_year"  # 全年
BY_END_OF_MONTH = "by_end_of_month"  # N月底前, with deadline_month = N
AS_CITY_DIRECTS = "as_city_directs"  # 按市级部署
DEADLINE_KINDS = {"全年": WHOLE_YEAR, "N月底前": BY_END_OF_MONTH, "按市级部署": AS_CITY_DIRECTS}

# How names of responsible units end: organs (委, 局, 办, 中心 ...), places (镇, 街道, 区 ...) and collective
# words (各部门, 各相关单位, 街镇). A name that ends otherwise is likely a fragment of a wrapped name.
UNIT_SUFFIXES = (
    "委员会",
    "委",
    "局",
    "办公室",
    "办",
    "中心",
    "政府",
    "街道",
    "街镇",
    "镇",
    "乡",
    "区",
    "部门",
    "单位",
    "院",
    "所",
    "队",
    "站",
    "会",
)

_CHAPTER_NUMERALS = "一二三四五六七八九十"
_SECTION = re.compile(rf"^[{_CHAPTER_NUMERALS}]+、\S")
_SUBHEADING = re.compile(rf"^（[{_CHAPTER_NUMERALS}]+）\s*(?P<name>.+)$")
_BODY_POINT = re.compile(r"^(?P<number>\d{1,3})\s*[.．](?!\d)")
_ROW_START = re.compile(r"^(?P<number>\d{1,3})(?:\s+(?P<rest>.*))?$")
_TABLE_END = re.compile(r"^(?:抄送|抄报|.*印发$)")
_DEADLINE = r"全\s*年|(?P<month>\d{1,2})\s*月\s*底\s*前|按\s*市\s*级\s*部\s*署"
_DEADLINE_AT_END = re.compile(rf"(?:^|(?<=\s))(?P<deadline>{_DEADLINE})\s*$")
_DEADLINE_ONLY = re.compile(rf"^(?:{_DEADLINE})$")
# The last cell of a row, when it is of no known form: one run without separators or punctuation.
_OTHER_DEADLINE_AT_END = re.compile(r"(?:^|(?<=\s))(?P<deadline>[^\s、，,。；;：:]+)\s*$")
_SENTENCE_END = re.compile(r"[。；;！？]")
_NAME_PUNCTUATION = re.compile(r"[，。；：、,;:\s]")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]+[〔［\[【(（]\s*\d{4}\s*[〕］\]】)）]\s*\d+\s*号")
_DATE = re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日$")
_PLAN_TITLE = re.compile(r"^\d{4}\s*年.*工作要点$")
_QUOTED_TITLE = re.compile(r"《(?P<title>[^《》]*工作要点)》")
_REGION = re.compile(r"^(?P<region>.+?(?:自治区|省|市))")
_AGENCY_SUFFIXES = ("办公室", "政府", "委员会", "局", "办", "中心")
# Column headers of a task table; a header line names at least the task and the responsible unit.
_HEADER_WORDS = ("任务", "责任单位")
_TIME_HEADERS = ("时间节点", "完成时限", "完成时间", "时限")
# Labels that only an annual report prints (its request table); a plan may name the report, never these.
_REPORT_MARKERS = ("本年新收", "收到和处理政府信息公开申请", "上年结转")
# The 任务名称 column is narrow: longer lines belong to the content column.
_NAME_LINE_MAX_CHARS = 16


# --------------------------------------------------------------------------------------------------- detection


def squeeze_spaces(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _has_table_header(text: str) -> bool:
    return any(_is_header(line) for line in text.splitlines())


def _is_header(line: str) -> bool:
    line = squeeze_spaces(line)
    return all(word in line for word in _HEADER_WORDS) and any(word in line for word in _TIME_HEADERS)


def is_work_plan(text: str) -> bool:
    """Whether a document is a work plan: it names a 工作要点 and carries a 任务分解表 (or its column headers).

    An annual report is never a work plan, although reports mention the year's 工作要点: a text that prints
    the labels of a report's request table is rejected.
    """
    compact = squeeze_spaces(text)
    if "工作要点" not in compact or any(marker in compact for marker in _REPORT_MARKERS):
        return False
    return "任务分解表" in compact or _has_table_header(text)


# ------------------------------------------------------------------------------------------------- provenance


def _span(wheres: Sequence[str]) -> str:
    """One location for a value printed over several lines: ``lines 527-529`` (or ``first to last``)."""
    unique = list(dict.fromkeys(w for w in wheres if w))
    if len(unique) <= 1:
        return unique[0] if unique else ""
    first, last = unique[0], unique[-1]
    if first.startswith("line ") and last.startswith("line "):
        return f"lines {first.removeprefix('line ')}-{last.removeprefix('line ')}"
    return f"{first} to {last}"


@dataclass(frozen=True)
class _Stream:
    """A row's text as one string (lines joined by newlines) with the source line of every character."""

    chars: str
    wheres: tuple[str, ...]

    @classmethod
    def of(cls, lines: Sequence[Line]) -> _Stream:
        chars, wheres = [], []
        for line in lines:
            chars.append(line.text + "\n")
            wheres.extend([line.where] * (len(line.text) + 1))
        return cls("".join(chars), tuple(wheres))

    def cut(self, start: int, end: int | None = None) -> _Stream:
        return _Stream(self.chars[start:end], self.wheres[start:end])

    @property
    def text(self) -> str:
        """The cell text as printed: wrapped lines joined without a break, outer spaces dropped."""
        return self.chars.replace("\n", "").strip()

    @property
    def location(self) -> str:
        return _span([w for ch, w in zip(self.chars, self.wheres, strict=True) if not ch.isspace()])

    def lines(self) -> list[Line]:
        """The stream back as lines (only those with text), each with its source line."""
        result, start = [], 0
        for end, ch in enumerate(self.chars):
            if ch == "\n":
                if self.chars[start:end].strip():
                    result.append(Line(self.chars[start:end], self.wheres[start]))
                start = end + 1
        if self.chars[start:].strip():
            result.append(Line(self.chars[start:], self.wheres[start]))
        return result


# ------------------------------------------------------------------------------------------------- the table


@dataclass
class _Row:
    """A table row between its number and the next row's number, before units are resolved."""

    number: int
    number_where: str
    section: str | None
    section_where: str
    lines: list[Line] = field(default_factory=list)


def _table_start(lines: Sequence[Line]) -> int | None:
    return next((i for i, line in enumerate(lines) if _is_header(line.text)), None)


def _content_lines(lines: Sequence[Line]) -> list[Line]:
    """Stripped, non-empty lines without page numbers, repeated headers, or what follows the table."""
    result = []
    for line in lines:
        text = line.text.strip()
        if _TABLE_END.match(text):
            break
        if text and not PAGE_FOOTER.match(text) and not _is_header(text):
            result.append(Line(text, line.where))
    return result


def _split_rows(lines: Sequence[Line]) -> tuple[list[_Row], list[PlanSection]]:
    """Cut the table into rows. A row starts with the next number in sequence; a number out of sequence at the
    start of a line (``30 日内报送…``) is content that wrapped."""
    rows: list[_Row] = []
    sections: list[tuple[str, str]] = []
    for line in _content_lines(lines):
        start = _ROW_START.match(line.text)
        if start and int(start["number"]) == (rows[-1].number + 1 if rows else 1):
            section, where = sections[-1] if sections else (None, "")
            rows.append(_Row(int(start["number"]), line.where, section, where))
            if start["rest"]:
                rows[-1].lines.append(Line(start["rest"].strip(), line.where))
        elif _SECTION.match(line.text):
            sections.append((line.text, line.where))
        elif rows:
            rows[-1].lines.append(line)
    return rows, _plan_sections(sections, rows)


def _plan_sections(sections: Sequence[tuple[str, str]], rows: Sequence[_Row]) -> list[PlanSection]:
    result = []
    for title, where in sections:
        numbers = [row.number for row in rows if row.section == title and row.section_where == where]
        result.append(PlanSection(title, min(numbers, default=None), max(numbers, default=None), where))
    return result


def _is_name_line(text: str) -> bool:
    return len(text) <= _NAME_LINE_MAX_CHARS and not _NAME_PUNCTUATION.search(text) and not _DEADLINE_ONLY.match(text)


class _Cells(NamedTuple):
    """A row's cells before units are resolved: name lines, content, units and deadline (with its lines)."""

    name_lines: list[Line]
    content: _Stream
    units: _Stream
    deadline: _Stream
    deadline_text: str | None


def _cells(row: _Row) -> _Cells:
    """Split a row from both ends: name lines first, the deadline last, content and units in between."""
    count = 0
    while count < len(row.lines) and _is_name_line(row.lines[count].text):
        count += 1
    rest = _Stream.of(row.lines[count:])
    deadline = _DEADLINE_AT_END.search(rest.chars) or _other_deadline(rest)
    cut = deadline.start("deadline") if deadline else len(rest.chars)
    before = rest.cut(0, cut)
    units_start = _units_start(before)
    printed = deadline["deadline"].replace("\n", "") if deadline else None
    return _Cells(row.lines[:count], before.cut(0, units_start), before.cut(units_start), rest.cut(cut), printed)


def _other_deadline(stream: _Stream) -> re.Match | None:
    """A last cell of no known form is still the deadline as printed, unless it reads as a unit name (then the
    deadline cell is blank)."""
    match = _OTHER_DEADLINE_AT_END.search(stream.chars)
    if match and match.start() > 0 and not _has_unit_suffix(match["deadline"]):
        return match
    return None


def _units_start(stream: _Stream) -> int:
    """Where the 责任单位 cell begins: after the content's last sentence punctuation, else at the trailing lines
    that read as unit lists (names and 、 only)."""
    ends = list(_SENTENCE_END.finditer(stream.chars))
    if ends:
        return ends[-1].end()
    start = len(stream.chars)
    for match in reversed(list(re.finditer(r"[^\s]+", stream.chars))):
        if not re.fullmatch(r"[\u4e00-\u9fff（）()、]+", match.group()):
            break
        start = match.start()
    return start


# ---------------------------------------------------------------------------------------------- unit names


@dataclass(frozen=True)
class _Token:
    """A piece of a units cell between separators; ``soft`` when only a line break or space precedes it."""

    text: str
    where: str
    soft: bool


def _unit_tokens(lines: Sequence[Line]) -> list[_Token]:
    tokens: list[_Token] = []
    hard = True  # the cell's start counts as a separator
    for line in lines:
        for chunk in line.text.split():
            for index, part in enumerate(chunk.split("、")):
                hard = hard or index > 0
                if part:
                    tokens.append(_Token(part, line.where, soft=not hard))
                    hard = False
    return tokens


def _has_unit_suffix(name: str) -> bool:
    return name.endswith(UNIT_SUFFIXES)


def _whole_units(tokens_per_row: Iterable[Sequence[_Token]]) -> set[str]:
    """Names printed whole somewhere: on one line, between separators (or cell edges), with a unit suffix."""
    whole = set()
    for tokens in tokens_per_row:
        for index, token in enumerate(tokens):
            closed = index + 1 == len(tokens) or not tokens[index + 1].soft
            if not token.soft and closed and _has_unit_suffix(token.text):
                whole.add(token.text)
    return whole


def _join_units(tokens: Sequence[_Token], whole: set[str]) -> list[TaskUnit]:
    """Join the pieces a wrap cut apart. A break without 、 is a wrap, unless both sides are whole units."""
    names: list[list[str]] = []
    wheres: list[list[str]] = []
    for token in tokens:
        current = "".join(names[-1]) if names else ""
        if token.soft and names and not (current in whole and token.text in whole):
            names[-1].append(token.text)
            wheres[-1].append(token.where)
        else:
            names.append([token.text])
            wheres.append([token.where])
    return [TaskUnit("".join(n), _span(w)) for n, w in zip(names, wheres, strict=True)]


# ------------------------------------------------------------------------------------------------ deadlines


def normalise_deadline(printed: str | None) -> tuple[str | None, int | None]:
    """The kind of a printed 时间节点 and its month: ``全年`` -> (whole_year, None), ``11 月底前`` ->
    (by_end_of_month, 11), ``按市级部署`` -> (as_city_directs, None); anything else -> (None, None)."""
    text = squeeze_spaces(printed or "")
    if text == "全年":
        return WHOLE_YEAR, None
    month = re.fullmatch(r"(\d{1,2})月底前", text)
    if month and 1 <= int(month[1]) <= 12:
        return BY_END_OF_MONTH, int(month[1])
    if text == "按市级部署":
        return AS_CITY_DIRECTS, None
    return None, None


# --------------------------------------------------------------------------------------------------- reading


def _name(name_lines: Sequence[Line], previous: Task | None) -> tuple[str | None, str, bool]:
    """The task name, where it is printed, and whether it is inherited from the merged cell above."""
    if name_lines:
        return "".join(line.text for line in name_lines), _span([line.where for line in name_lines]), False
    if previous is not None:
        return previous.name, previous.name_location, True
    return None, "", False


def _build_task(row: _Row, cells: _Cells, units: list[TaskUnit], previous: Task | None) -> Task:
    kind, month = normalise_deadline(cells.deadline_text)
    name, name_where, inherited = _name(cells.name_lines, previous)
    row_wheres = [row.number_where, *(line.where for line in row.lines)]
    return Task(
        number=row.number,
        section=row.section,
        name=name,
        content=cells.content.text,
        units=units,
        deadline=cells.deadline_text,
        deadline_kind=kind,
        deadline_month=month,
        location=_span(row_wheres),
        number_location=row.number_where,
        section_location=row.section_where,
        name_location=name_where,
        content_location=cells.content.location,
        deadline_location=cells.deadline.location,
        name_inherited=inherited,
    )


def _read_tasks(rows: Sequence[_Row]) -> tuple[list[Task], list[str]]:
    """Two passes: first every row's cells (to learn which unit names are printed whole), then the tasks."""
    cells = [_cells(row) for row in rows]
    tokens = [_unit_tokens(c.units.lines()) for c in cells]
    whole = _whole_units(tokens)
    tasks: list[Task] = []
    problems: list[str] = []
    for row, row_cells, row_tokens in zip(rows, cells, tokens, strict=True):
        units = _join_units(row_tokens, whole)
        tasks.append(_build_task(row, row_cells, units, tasks[-1] if tasks else None))
        problems.extend(_task_problems(tasks[-1], whole))
    return tasks, problems


def _task_problems(task: Task, whole: set[str]) -> list[str]:
    problems = []
    if task.deadline is None:
        problems.append(f"task {task.number} ({task.location}): no 时间节点 at the end of the row")
    elif task.deadline_kind is None:
        problems.append(
            f"task {task.number} ({task.deadline_location}): 时间节点 '{task.deadline}' is of no known form"
        )
    if not task.content:
        problems.append(f"task {task.number} ({task.location}): no 任务内容")
    if not task.units:
        problems.append(f"task {task.number} ({task.location}): no 责任单位")
    for unit in task.units:
        if unit.name not in whole and not _has_unit_suffix(unit.name):
            problems.append(f"task {task.number} ({unit.location}): 责任单位 '{unit.name}' is not a known unit name")
    return problems


def _read_body(lines: Sequence[Line]) -> list[BodyPoint]:
    """The numbered points of the plan's body, each with the chapter and sub-heading it stands under."""
    points: list[BodyPoint] = []
    section = heading = None
    for line in lines:
        text = line.text.strip()
        if _SECTION.match(text):
            section, heading = text, None
        elif sub := _SUBHEADING.match(text):
            heading = sub["name"].strip()
        elif point := _BODY_POINT.match(text):
            points.append(BodyPoint(int(point["number"]), section, heading, line.where))
    return points


def _first(lines: Sequence[Line], pattern: re.Pattern) -> tuple[re.Match, Line] | None:
    for line in lines:
        match = pattern.search(line.text.strip())
        if match:
            return match, line
    return None


def _read_metadata(plan: WorkPlan, lines: Sequence[Line]) -> None:
    """Title, year, document number, issuing agency, region and issue date, from the lines before the table."""
    stripped = [Line(line.text.strip(), line.where) for line in lines if line.text.strip()]
    if found := _first(stripped, _PLAN_TITLE):
        plan.title, plan.metadata_location["title"] = found[0].group(), found[1].where
    elif found := _first(stripped, _QUOTED_TITLE):
        plan.title, plan.metadata_location["title"] = found[0]["title"], found[1].where
    if plan.title and (year := re.match(r"\s*(\d{4})\s*年", plan.title)):
        plan.year = int(year[1])
    if found := _first(stripped, _DOC_NUMBER):
        plan.doc_number, plan.metadata_location["doc_number"] = found[0].group(), found[1].where
        _read_agency(plan, stripped, stripped.index(found[1]))
    if found := _first(stripped, _DATE):
        date = found[0]
        plan.issued = f"{int(date['y']):04d}-{int(date['m']):02d}-{int(date['d']):02d}"
        plan.metadata_location["issued"] = found[1].where
        if plan.year is None:
            plan.year = int(date["y"])


def _read_agency(plan: WorkPlan, lines: Sequence[Line], doc_number_index: int) -> None:
    """The issuing agency is printed as the letterhead, the line just above the document number."""
    if doc_number_index == 0:
        return
    letterhead = lines[doc_number_index - 1]
    if letterhead.text.endswith(_AGENCY_SUFFIXES):
        plan.agency, plan.metadata_location["agency"] = letterhead.text, letterhead.where
        region = _REGION.match(letterhead.text)
        plan.region = region["region"] if region else None


def read_work_plan(source: SourceText) -> WorkPlan:
    """Read a work plan: its metadata, the body's numbered points and the task table (checked by validate.workplan).

    Reading problems (a row without a deadline of a known form, a unit name that is no known unit) are listed
    in ``problems``; nothing is guessed silently.
    """
    plan = WorkPlan(report_id=source.path, flavor=source.flavor)
    start = _table_start(source.lines)
    body = source.lines if start is None else source.lines[:start]
    _read_metadata(plan, body)
    plan.body_points = _read_body(body)
    if start is None:
        plan.problems.append("no 任务分解表 header (序号, 任务名称, 任务内容, 责任单位, 时间节点) found")
    else:
        rows, plan.sections = _split_rows(source.lines[start + 1 :])
        plan.tasks, plan.problems = _read_tasks(rows)
    return plan
