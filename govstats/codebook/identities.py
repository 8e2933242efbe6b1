"""The identities (勾稽关系) of SPEC.md as data: ``identities.csv`` says which cells sum to which, per report form.

Checks (validate.checks) and recovery (transform.solve) both read their equations from here, so an identity is
written once. An equation is ``sum(left) == sum(right)`` over (row, column) cells of one section. In the file, a
term ``{row}`` / ``{column}`` / ``{proceeding}`` is expanded over the rows, applicant columns or proceedings of
the form; ``@dispositions`` stands for every disposition row of the form (format 2019 and the one-row
（六）其他处理 aware), ``@applicant_parts`` for the applicant columns but the total, ``@outcome_parts`` for the
review outcomes but the total.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from . import FORMAT_2021, applicants, disposition_rows, outcomes, proceedings, request_rows

Key = tuple[str, str]


@dataclass(frozen=True)
class Identity:
    """One row of identities.csv: an identity and the template of its equations."""

    number: int
    name: str
    section: str
    over: str
    where: str
    left: str
    right: str
    description: str


@dataclass(frozen=True)
class Equation:
    """One equation of a report form: ``sum(left) == sum(right)``, named by its identity and its place."""

    identity: str
    number: int
    section: str
    where: str
    left: tuple[Key, ...]
    right: tuple[Key, ...]

    @property
    def cells(self) -> tuple[Key, ...]:
        return self.left + self.right

    def coefficients(self) -> dict[Key, int]:
        """Cell -> +1 (left) or -1 (right): the equation as ``sum(coefficient * cell) == 0``."""
        found: dict[Key, int] = {}
        for key in self.left:
            found[key] = found.get(key, 0) + 1
        for key in self.right:
            found[key] = found.get(key, 0) - 1
        return found


@cache
def identities() -> dict[str, Identity]:
    """Every identity, by name, in file order (identity 1 first)."""
    text = resources.files(__package__).joinpath("identities.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {row["name"]: Identity(**{**row, "number": int(row["number"])}) for row in rows}


def _groups(format_version: str, one_row_other: bool | None) -> dict[str, tuple[str, ...]]:
    return {
        "@dispositions": tuple(e.code for e in disposition_rows(format_version, one_row_other=one_row_other)),
        "@applicant_parts": applicants()[:-1],
        "@outcome_parts": outcomes()[:-1],
    }


def _terms(expression: str, bound: dict[str, str], groups: dict[str, tuple[str, ...]]) -> tuple[Key, ...]:
    cells: list[Key] = []
    for term in filter(None, expression.split("+")):
        row, column = term.format(**bound).split(".")
        rows = groups.get(row, (row,))
        columns = groups.get(column, (column,))
        cells += [(r, c) for r in rows for c in columns]
    return tuple(cells)


@cache
def equations(
    section: str, format_version: str | None = None, *, one_row_other: bool | None = None, within_report: bool = True
) -> tuple[Equation, ...]:
    """The equations of a section for a report of that form, identity by identity, in printed order.

    ``within_report`` leaves out identity 5, which relates two reports (see :func:`carry_equations`).
    """
    form = format_version or FORMAT_2021
    groups = _groups(form, one_row_other)
    over = {
        "row": [("row", e.code) for e in request_rows(form, one_row_other=one_row_other)],
        "column": [("column", c) for c in applicants()],
        "proceeding": [("proceeding", p) for p in proceedings()],
    }
    found = []
    for identity in identities().values():
        if identity.section != section or (within_report and identity.name == carry_name()):
            continue
        for name, value in over[identity.over]:
            bound = {name: value}
            found.append(
                Equation(
                    identity.name,
                    identity.number,
                    identity.section,
                    identity.where.format(**bound),
                    _terms(identity.left, bound, groups),
                    _terms(identity.right, bound, groups),
                )
            )
    return tuple(found)


def carry_name() -> str:
    """The identity that relates two years of one agency (number 5)."""
    return next(i.name for i in identities().values() if i.number == 5)


def carry_equations() -> tuple[Equation, ...]:
    """Identity 5, one equation per column: ``left`` is the earlier year's cell, ``right`` the later year's."""
    return tuple(e for e in equations("requests", within_report=False) if e.identity == carry_name())
