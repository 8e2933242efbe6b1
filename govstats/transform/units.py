"""The government an agency's name begins with, read as a chain of administrative units.

``上海市宝山区行政服务中心`` is 上海市 → 宝山区 → (a department: 行政服务中心);
``平潭综合实验区君山片区管理局`` is the zone 平潭综合实验区 → the sub-zone 君山片区 (a town-level unit) → its 管理局.
Units are the divisions of the gazetteer (``codebook/regions.csv``, the official division codes), special zones
(…实验区, …开发区, …新区) and town-level units (…镇, …乡, …街道, …片区), which the gazetteer does not list. From
the chain follow the level (SPEC.md's codes), the parent government of a department or town, and the province.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .. import codebook

_ZONE = re.compile(r"[^省市区县镇乡]{1,10}?(?:综合实验区|实验区|试验区|开发区|高新区|新区|示范区|保税区|合作区)")
_TOWN = re.compile(r"[^省市区县镇乡]{1,8}?(?:街道|片区|镇|乡)")
# What a unit's own government is called after its name: the unit itself, not a department of it.
_GOVERNMENT = re.compile(r"(?:人民政府|政府|管委会|管理委员会|管理局|办事处)")
_DEPARTMENT = re.compile(r"(局|委员会|委|办公室|办|中心|厅|署|所|院|处|站|队|馆|会)$")

_PREFECTURE_TYPES = {"地级市", "地区", "自治州", "盟"}
_COUNTY_TYPES = {"市辖区", "县", "县级市", "自治县", "旗", "自治旗", "林区", "特区"}
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗", "地区")


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str  # a gazetteer type (省, 地级市, 县, …), or zone, town
    province: str | None  # None where the gazetteer does not decide


@dataclass(frozen=True)
class Chain:
    units: tuple[Unit, ...]
    rest: str  # what follows the units: a department's own name, a government word, or nothing

    @property
    def government(self) -> str:
        return "".join(unit.name for unit in self.units)


@cache
def _divisions() -> dict[str, tuple[str, set[str]]]:
    """Division name → (type, provinces): a name several provinces use (宝山区) has several."""
    found: dict[str, tuple[str, set[str]]] = {}
    for region in codebook.regions():
        kind, provinces = found.get(region.name, (region.type, set()))
        found[region.name] = (kind, provinces | {region.province})
    return found


@cache
def _short_names() -> dict[str, set[str]]:
    """Division names without their type suffix (平潭 of 平潭县) → provinces, for zones named after a county."""
    found: dict[str, set[str]] = {}
    for region in codebook.regions():
        name = region.name
        for suffix in (*_SUFFIXES, "省", "市", "区", "县", "旗", "盟"):
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                found.setdefault(name[: -len(suffix)], set()).add(region.province)
                break
    return found


def _division_at(name: str, position: int) -> Unit | None:
    divisions = _divisions()
    for length in range(min(12, len(name) - position), 1, -1):
        candidate = name[position : position + length]
        if candidate in divisions:
            kind, provinces = divisions[candidate]
            return Unit(candidate, kind, next(iter(provinces)) if len(provinces) == 1 else None)
    return None


def _named_unit(name: str, position: int, pattern: re.Pattern, kind: str) -> Unit | None:
    match = pattern.match(name, position)
    if match is None:
        return None
    text = match.group(0)
    short = _short_names()
    provinces = next((short[text[:n]] for n in range(min(6, len(text)), 1, -1) if text[:n] in short), set())
    return Unit(text, kind, next(iter(provinces)) if len(provinces) == 1 else None)


def government_chain(name: str) -> Chain:
    """The units an agency's name begins with, and the rest of the name."""
    units: list[Unit] = []
    position = 0
    while position < len(name):
        unit = _division_at(name, position) or _named_unit(name, position, _ZONE, "zone")
        if unit is None and units:
            # A town-level unit only as the agency itself (…镇, …片区管理局): inside a department's name 乡 or 镇
            # is a word (住房和城乡建设局), not a unit.
            town = _named_unit(name, position, _TOWN, "town")
            rest = name[position + len(town.name) :] if town else None
            unit = town if town is not None and (not rest or _GOVERNMENT.fullmatch(rest)) else None
        if unit is None:
            break
        units.append(unit)
        position += len(unit.name)
    return Chain(tuple(units), name[position:])


def _unit_level(unit: Unit) -> str:
    if unit.kind in ("省", "自治区", "直辖市", "特别行政区"):
        return "province"
    if unit.kind in _PREFECTURE_TYPES:
        return "prefecture_city"
    if unit.kind in _COUNTY_TYPES:
        return "district"
    return {"zone": "other", "town": "town"}.get(unit.kind, "other")


def level_from_chain(chain: Chain) -> tuple[str, str | None] | None:
    """(level, parent) of the agency a chain names, or None when the chain does not decide."""
    if not chain.units:
        return None
    last = chain.units[-1]
    above = "".join(unit.name for unit in chain.units[:-1]) or None
    if not chain.rest or _GOVERNMENT.fullmatch(chain.rest):
        # The unit's own government (上海市金山区, 平潭综合实验区管委会, 君山片区管理局).
        return _unit_level(last), above if last.kind == "town" else None
    if _DEPARTMENT.search(chain.rest):
        return "department", chain.government
    return None


def region_from_chain(chain: Chain) -> str | None:
    """The province of the first unit the gazetteer places in one province only."""
    return next((unit.province for unit in chain.units if unit.province), None)
