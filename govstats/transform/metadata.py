"""Report metadata from its title and text: agency, level, scope, region, parent, year."""

from __future__ import annotations

import re

from .. import codebook
from ..model import Metadata
from ..textnorm import normalize_line
from .units import government_chain, level_from_chain, region_from_chain

_TITLE = re.compile(
    r"(?P<before>[^\s:：]*?)\s*(?:关于(?:报送|印发|公布|发布)?)?\s*(?P<year>(?:19|20)\d{2})\s*年度?\s*(?P<after>\S*?)"
    r"\s*政府信息公开(?:工作)?(?:年度)?报告"
)
# The reporting period as the body states it: 本报告中所列数据的统计期限为2021年1月1日至2021年12月31日.
_PERIOD = re.compile(r"统计(?:期限|时限|期间)[^。]{0,12}?(?P<year>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")  # 直辖市: their districts name themselves without the city
# The province-level divisions (省级行政区), from the gazetteer: a report's region is the first one it names.
PROVINCES = [region.name for region in codebook.regions() if region.is_province]
_PROVINCE = re.compile("|".join(PROVINCES))
# Suffixes of a department (局/委/办/中心 …) as opposed to a government.
_DEPARTMENT = re.compile(r"(局|委员会|委|办公室|办|中心|厅|署|所|院|处|站|队|馆|会)$")
_GOVERNMENT_SUFFIX = re.compile(r"(人民政府办公室|人民政府办公厅|人民政府|政府)$")
_AGENCY_LINE = re.compile(r"[\u4e00-\u9fff（）()]{2,40}")
_PARENT = re.compile(r"^(.*?(?:省|自治区|市|区|县|旗|镇|乡|街道))(?=[^省市区县旗镇乡]+$)")


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
    return _level_and_parent(agency)[0]


def _level_and_parent(agency: str) -> tuple[str, str | None]:
    """Level and parent government: from the chain of divisions the name begins with, else from its suffix."""
    name = _GOVERNMENT_SUFFIX.sub("", re.sub(r"[（(][^（）()]*[）)]$", "", agency))
    chain = government_chain(name)
    if chain.units and not name.startswith(("国务院", "国家")):
        found = level_from_chain(chain)
        if found is not None:
            return found
    level = _level_by_suffix(name)
    parent = None
    if level == "department":
        match = _PARENT.match(name)
        parent = match.group(1) if match else None
    return level, parent


def _level_by_suffix(name: str) -> str:
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
        # The title only in the page's head (<title>, <meta name="ArticleTitle">, which the HTML reader puts after
        # the body) or further down a page of chrome.
        title, match, previous = find_title(lines)
    period = _PERIOD.search(normalize_line(text))
    if match is None:
        return Metadata(year=int(period.group("year")) if period else None)
    year = int(match.group("year"))
    agency = (match.group("before") or match.group("after") or "").strip()
    if not agency and previous and _AGENCY_LINE.fullmatch(previous):
        agency, title = previous, f"{previous}{title}"
    agency = re.sub(r"^(标题|题目)[:：]?", "", agency)
    regions = _PROVINCE.findall(normalize_line(text[:20000]))
    region = region_from_chain(government_chain(agency)) or next(
        (r for r in regions if agency.startswith(r)), regions[0] if regions else None
    )
    # A district of a municipality names itself without the city (金山区): the full name is 上海市金山区.
    in_municipality = region in _MUNICIPALITIES and re.search(r"(区|县)", agency or "")
    if in_municipality and not agency.startswith(region):
        agency = region + agency
    level, parent = _level_and_parent(agency) if agency else (None, None)
    scope = {"department": "single_agency", "other": None, None: None}.get(level, "aggregate")
    if level == "province":
        region = agency
    return Metadata(
        title=title, agency=agency or None, level=level, scope=scope, region=region, parent=parent, year=year
    )
