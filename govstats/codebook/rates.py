"""What each rate is, read from ``rates.csv``: one row per rate and basis (denominator), the cells named by selectors.

A *selector* names cells of one long table: ``requests:group=withheld;applicant=total`` is every cell of
``requests`` whose ``group`` is ``withheld`` and whose ``applicant`` is ``total`` (``|`` separates alternative
codes, ``;`` joins conditions that must all hold). A rate on a basis is the sum of its numerator's cells over the
sum of its denominator's cells. The primary basis (``all``: all requests answered, all cases of the year) is the
rate of the dataset's ``rates`` table and of ``analysis.metrics.report_rates``; the alternatives (``concluded``,
``merits``) are computed side by side by ``analysis.rates.alternative_rates``.

``fallback_numerator`` / ``fallback_denominator`` name the prose figures (``narrative:key=...``) that restate a
side where the table's cells are incomplete (section 四 read only from the prose, or an unrecoverable section 三);
an empty fallback keeps that side as it is. No pandas here: a selector filters any frame that has its columns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

PRIMARY_BASIS = "all"


@dataclass(frozen=True)
class Selector:
    """Cells of one long table: ``table:field=a|b;field=c`` (every condition holds; ``|`` separates codes)."""

    table: str
    conditions: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def parse(cls, text: str) -> Selector:
        table, colon, rest = text.partition(":")
        if not colon or not table or not rest:
            raise ValueError(f"not a selector (table:field=code|code;field=code): {text!r}")
        conditions = []
        for condition in rest.split(";"):
            field, equals, codes = condition.partition("=")
            if not equals or not field or not all(codes.split("|")):
                raise ValueError(f"not a condition (field=code|code) in selector {text!r}: {condition!r}")
            conditions.append((field, tuple(codes.split("|"))))
        return cls(table, tuple(conditions))

    def __str__(self) -> str:
        conditions = ";".join(f"{field}={'|'.join(codes)}" for field, codes in self.conditions)
        return f"{self.table}:{conditions}"

    def codes(self, field: str) -> tuple[str, ...]:
        """The codes a field must take; () where the selector puts no condition on it."""
        return next((codes for name, codes in self.conditions if name == field), ())

    def fields(self) -> tuple[str, ...]:
        return tuple(field for field, _ in self.conditions)

    def where(self, field: str, *codes: str) -> Selector:
        """The same cells with ``field`` taking ``codes`` instead (e.g. another applicant column)."""
        kept = tuple(condition for condition in self.conditions if condition[0] != field)
        return replace(self, conditions=(*kept, (field, codes)))

    def mask(self, frame: Any) -> Any:
        """A boolean Series over the rows of ``frame`` (a DataFrame of ``table``) that the selector names."""
        keep = None
        for field, codes in self.conditions:
            chosen = frame[field].isin(codes)
            keep = chosen if keep is None else keep & chosen
        return keep

    def cells(self, frame: Any) -> Any:
        """The rows of ``frame`` the selector names."""
        return frame[self.mask(frame)]


@dataclass(frozen=True)
class RateDefinition:
    """One rate on one basis: the selectors of its numerator and denominator, their prose fallbacks, its words."""

    rate: str
    basis: str
    primary: bool
    numerator: Selector
    denominator: Selector
    fallback_numerator: Selector | None
    fallback_denominator: Selector | None
    label_zh: str
    label_en: str
    numerator_en: str
    denominator_en: str
    definition: str
    note: str

    @property
    def has_fallback(self) -> bool:
        return self.fallback_numerator is not None or self.fallback_denominator is not None

    @property
    def proceedings(self) -> tuple[str, ...]:
        """Section 四 rates: the proceedings counted (reconsideration, or both kinds of suit)."""
        return self.numerator.codes("proceeding")


def _optional(text: str) -> Selector | None:
    return Selector.parse(text) if text else None


@cache
def definitions() -> tuple[RateDefinition, ...]:
    """Every rate and basis of ``rates.csv``, in file order; ValueError on a malformed selector."""
    text = resources.files(__package__).joinpath("rates.csv").read_text(encoding="utf-8")
    found = tuple(
        RateDefinition(
            rate=row["rate"],
            basis=row["basis"],
            primary=row["basis"] == PRIMARY_BASIS,
            numerator=Selector.parse(row["numerator"]),
            denominator=Selector.parse(row["denominator"]),
            fallback_numerator=_optional(row["fallback_numerator"]),
            fallback_denominator=_optional(row["fallback_denominator"]),
            label_zh=row["label_zh"],
            label_en=row["label_en"],
            numerator_en=row["numerator_en"],
            denominator_en=row["denominator_en"],
            definition=row["definition"],
            note=row["note"],
        )
        for row in csv.DictReader(text.splitlines())
    )
    missing = sorted({d.rate for d in found} - {d.rate for d in found if d.primary})
    if missing:  # every rate needs its primary basis: the dataset and report_rates compute only that one
        raise ValueError(f"rates.csv: no {PRIMARY_BASIS!r} basis for {', '.join(missing)}")
    return found


def primaries() -> tuple[RateDefinition, ...]:
    """The primary definition of every rate, in file order."""
    return tuple(d for d in definitions() if d.primary)


def primary(rate: str) -> RateDefinition:
    """The primary definition of a rate; KeyError if the rate is unknown."""
    for definition in primaries():
        if definition.rate == rate:
            return definition
    raise KeyError(rate)


def rate_names() -> tuple[str, ...]:
    """Every rate, in the order of ``rates.csv``."""
    return tuple(d.rate for d in primaries())


def label(rate: str, language: str = "zh") -> str:
    """The rate's name: 无法提供占比 / "Cannot provide (broad)", 本机关不掌握占比 / "Not held (strict)"."""
    definition = primary(rate)
    return definition.label_en if language == "en" else definition.label_zh
