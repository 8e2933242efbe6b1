"""Report metadata from its title and text: agency, level, scope, region, parent, year."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..textnorm import normalize_line

_TITLE = re.compile(
    r"(?P<before>[^\s:：]*?)\s*(?P<year>(?:19|20)\d{2})\s*年度?\s*(?P<after>\S*?)\s*政府信息公开工作年度报告"
)
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")  # 直辖市: their districts name themselves without the city
# The province-level divisions (省级行政区), by their full names: a report's region is the first one it names.
PROVINCES = [
    "北京市",
    "天津市",
    "上海市",
    "重庆市",
    "河北省",
    "山西省",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "海南省",
    "四川省",
    "贵州省",
    "云南省",
    "陕西省",
    "甘肃省",
    "青海省",
    "台湾省",
    "内蒙古自治区",
    "广西壮族自治区",
    "西藏自治区",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "香港特别行政区",
    "澳门特别行政区",
]
_PROVINCE = re.compile("|".join(PROVINCES))
# Suffixes of a department (局/委/办/中心 …) as opposed to a government.
_DEPARTMENT = re.compile(r"(局|委员会|委|办公室|办|中心|厅|署|所|院|处|站|队|馆|会)$")
_GOVERNMENT_SUFFIX = re.compile(r"(人民政府办公室|人民政府办公厅|人民政府|政府)$")
_AGENCY_LINE = re.compile(r"[\u4e00-\u9fff（）()]{2,40}")
_PARENT = re.compile(r"^(.*?(?:省|自治区|市|区|县|旗|镇|乡|街道))(?=[^省市区县旗镇乡]+$)")


@dataclass(frozen=True)
class Metadata:
    title: str | None = None
    agency: str | None = None
    level: str | None = None
    scope: str | None = None
    region: str | None = None
    parent: str | None = None
    year: int | None = None


def find_title(lines: list[str]) -> tuple[str | None, re.Match | None, str | None]:
    """The first line that reads like '<agency> <year> 年政府信息公开工作年度报告', and the line before it.

    PDF title pages often print the agency on a line of its own above '<year> 年…年度报告'.
    """
    previous = None
    for line in lines:
        text = normalize_line(line).strip()
        match = _TITLE.search(text)
        if match:
            return match.group(0), match, previous
        if text:
            previous = text
    return None, None, None


def level_of(agency: str) -> str:
    """Administrative level from the agency's name (SPEC.md: national, province, …, department, other)."""
    name = _GOVERNMENT_SUFFIX.sub("", agency)
    if name.startswith("国务院") or name.startswith("国家"):
        return "department" if _DEPARTMENT.search(name) and name != "国务院" else "national"
    if re.search(r"管委会|管理委员会|(实验|试验|开发|示范|保税|合作)区", name):
        return "other"  # special zones and their committees sit outside the ordinary hierarchy
    if _DEPARTMENT.search(name):
        return "department"
    if name in PROVINCES:
        return "province"
    if re.search(r"(乡|镇|街道)$", name):
        return "town"
    if re.search(r"(区|县|旗)$", name):
        return "district"
    if name.endswith("市"):
        # A 市 inside a province-level name is a county-level city when a prefecture precedes it.
        return "district" if re.search(r"(省|自治区).+市.+市$", name) else "prefecture_city"
    return "other"


def extract_metadata(lines: list[str], text: str) -> Metadata:
    """Agency, year and the rest from the title line, completed from the body text."""
    title, match, previous = find_title(lines[:60])
    if match is None:
        return Metadata()
    year = int(match.group("year"))
    agency = (match.group("before") or match.group("after") or "").strip()
    if not agency and previous and _AGENCY_LINE.fullmatch(previous):
        agency, title = previous, f"{previous}{title}"
    agency = re.sub(r"^(标题|题目)[:：]?", "", agency)
    regions = _PROVINCE.findall(normalize_line(text[:20000]))
    region = next((r for r in regions if agency.startswith(r)), regions[0] if regions else None)
    # A district of a municipality names itself without the city (金山区): the full name is 上海市金山区.
    in_municipality = region in _MUNICIPALITIES and re.search(r"(区|县)", agency or "")
    if in_municipality and not agency.startswith(region):
        agency = region + agency
    level = level_of(agency) if agency else None
    scope = {"department": "single_agency", "other": None, None: None}.get(level, "aggregate")
    parent = None
    if level == "department":
        found = _PARENT.match(_GOVERNMENT_SUFFIX.sub("", agency))
        parent = found.group(1) if found else None
    if level == "province":
        region = agency
    return Metadata(title, agency or None, level, scope, region, parent, year)
