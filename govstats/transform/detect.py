"""What a document is (annual report, work plan, neither) and which national format an annual report follows."""

from __future__ import annotations

import re
from functools import lru_cache

from ..codebook import FORMAT_2019, FORMAT_2021
from ..textnorm import compact
from .workplan import is_work_plan

ANNUAL_REPORT = "annual_report"
WORK_PLAN = "work_plan"

# Section headings of an annual report, on compact text (、 read as '.'). The ordinal is required: the preamble of
# many reports lists the section names without it.
SECTION_HEADINGS = {
    "overview": re.compile(r"一\.总体情况"),
    "proactive": re.compile(r"二\.主动公开政府信息(?:的)?情况"),
    "requests": re.compile(r"三\.收到和处理政府信息公开申请(?:的)?情况"),
    "review_litigation": re.compile(r"四\.[^。.]{0,20}?行政复议[^。]{0,20}?行政诉讼(?:的)?情况"),
    "problems": re.compile(r"五\.[^。.]{0,12}?存在的主要问题"),
    "other_matters": re.compile(r"六\.其他需要报告的事项"),
}

_FORMAT_2019_MARKERS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "国办公开办函〔2019〕60号")


def headings_found(compact_text: str) -> list[str]:
    return [name for name, pattern in SECTION_HEADINGS.items() if pattern.search(compact_text)]


@lru_cache(maxsize=8)  # the pipeline asks before choosing a reader and the parser asks again: decide once
def document_type(text: str) -> str | None:
    """``annual_report``, ``work_plan`` or None (neither).

    A report is recognised by its table sections, not its title: work plans mention 年度报告 too.
    """
    flat = compact(text)
    tables = {"proactive", "requests", "review_litigation"} & set(headings_found(flat))
    if len(tables) >= 2:
        return ANNUAL_REPORT
    if is_work_plan(text):
        return WORK_PLAN
    return None


def format_version(text: str) -> str:
    """``2019`` for reports in the 国办公开办函〔2019〕60号 format, else ``2021``."""
    flat = compact(text)
    return FORMAT_2019 if any(marker in flat for marker in _FORMAT_2019_MARKERS) else FORMAT_2021
