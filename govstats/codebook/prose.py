"""Which table cells a prose figure speaks of, read from ``prose_figures.csv`` (one place for the mapping).

A figure ``restates`` the sum of its cells, is a ``share`` (percent) of them in its ``of`` cell, or is ``part_of``
the first of its alternative cells that the report's form has (withdrawals: 3.其他, or the one-row （六）其他处理).
A term ``@group.column`` stands for every section-三 row of that disposition group.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from . import FORMAT_2021, request_rows

RESTATES, SHARE, PART_OF = "restates", "share", "part_of"
Cells = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ProseFigure:
    """One row of prose_figures.csv."""

    key: str
    relation: str
    section: str
    cells: str
    of: str
    label_en: str

    def table_cells(self, format_version: str | None = None, *, one_row_other: bool | None = None) -> Cells:
        """The cells this figure speaks of, for a report of that form."""
        rows = request_rows(format_version or FORMAT_2021, one_row_other=one_row_other)
        return _resolve(self.cells, rows) if self.relation != PART_OF else _first_present(self.cells, rows)

    def denominator(self, format_version: str | None = None, *, one_row_other: bool | None = None) -> Cells:
        """For a ``share``: the cells of its denominator."""
        return _resolve(self.of, request_rows(format_version or FORMAT_2021, one_row_other=one_row_other))


def _cell(term: str) -> tuple[str, str]:
    row, column = term.split(".")
    return row, column


def _resolve(expression: str, rows) -> Cells:
    cells: list[tuple[str, str]] = []
    for term in filter(None, expression.split("+")):
        if term.startswith("@"):
            group, column = _cell(term[1:])
            cells += [(entry.code, column) for entry in rows if entry.group == group]
        else:
            cells.append(_cell(term))
    return tuple(cells)


def _first_present(alternatives: str, rows) -> Cells:
    codes = {entry.code for entry in rows}
    for term in alternatives.split("|"):
        if _cell(term)[0] in codes:
            return (_cell(term),)
    return ()


@cache
def prose_figures() -> dict[str, ProseFigure]:
    """Every prose figure that refers to table cells, by key, in file order."""
    text = resources.files(__package__).joinpath("prose_figures.csv").read_text(encoding="utf-8")
    return {row["key"]: ProseFigure(**row) for row in csv.DictReader(text.splitlines())}


def withdrawal_cell(format_version: str | None = None, *, one_row_other: bool | None = None) -> tuple[str, str]:
    """The table cell that holds withdrawals (and is their proxy): 3.其他, or the one-row （六） of format 2019."""
    return prose_figures()["withdrawn"].table_cells(format_version, one_row_other=one_row_other)[0]
