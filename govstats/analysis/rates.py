"""What each rate is: numerator, denominator and its alternative denominators, as data (``codebook/rates.csv``).

The definitions live once, in ``govstats/codebook/rates.csv``: one row per rate and *basis* (denominator). The
primary basis (``all``: all requests answered, or all cases of the year) is what :func:`metrics.report_rates`
computes; the alternatives (``concluded``: cases minus those pending; ``merits``: requests or cases decided on
the merits) are computed side by side by :func:`alternative_rates`. ``docs/rates.md`` is rendered from the same
file (:func:`rates_markdown`), so code and documentation cannot drift apart.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

BASES = {
    "all": "all requests answered / all cases",
    "concluded": "concluded cases (pending excluded)",
    "merits": "decided on the merits",
}


@dataclass(frozen=True)
class RateDefinition:
    """One rate on one basis: which cells form its numerator and its denominator."""

    rate: str
    basis: str
    primary: bool
    proceedings: tuple[str, ...]
    numerator_table: str
    numerator_column: str
    numerator_codes: tuple[str, ...]
    denominator_column: str
    denominator_codes: tuple[str, ...]
    label_zh: str
    label_en: str
    numerator_en: str
    denominator_en: str
    note: str


def _codes(text: str) -> tuple[str, ...]:
    return tuple(code for code in text.split("|") if code)


@cache
def definitions() -> tuple[RateDefinition, ...]:
    """Every rate and basis of ``rates.csv``, in file order."""
    text = resources.files("govstats.codebook").joinpath("rates.csv").read_text(encoding="utf-8")
    return tuple(
        RateDefinition(
            rate=row["rate"],
            basis=row["basis"],
            primary=row["primary"] == "yes",
            proceedings=_codes(row["proceedings"]),
            numerator_table=row["numerator_table"],
            numerator_column=row["numerator_column"],
            numerator_codes=_codes(row["numerator_codes"]),
            denominator_column=row["denominator_column"],
            denominator_codes=_codes(row["denominator_codes"]),
            label_zh=row["label_zh"],
            label_en=row["label_en"],
            numerator_en=row["numerator_en"],
            denominator_en=row["denominator_en"],
            note=row["note"],
        )
        for row in csv.DictReader(text.splitlines())
    )


def primary(rate: str) -> RateDefinition:
    """The primary definition of a rate; KeyError if the rate is unknown."""
    for definition in definitions():
        if definition.rate == rate and definition.primary:
            return definition
    raise KeyError(rate)


def rate_names() -> tuple[str, ...]:
    """Every rate, in the order of ``rates.csv``."""
    return tuple(dict.fromkeys(d.rate for d in definitions()))


def label(rate: str, language: str = "zh") -> str:
    """The rate's name: 无法提供占比 / "Cannot provide (broad)", 本机关不掌握占比 / "Not held (strict)"."""
    definition = primary(rate)
    return definition.label_en if language == "en" else definition.label_zh


def _sum_cells(cells: pd.DataFrame, column: str, codes: tuple[str, ...], ids: pd.Index) -> pd.Series:
    """Per report: the sum of the chosen cells; missing unless every one of them is a number."""
    chosen = cells[cells[column].isin(codes)]
    complete = chosen.groupby("report_id")["value"].agg(lambda v: v.sum() if v.notna().all() else pd.NA)
    return complete.reindex(ids)


def alternative_rates(
    requests: pd.DataFrame, review_litigation: pd.DataFrame | None, rates: pd.DataFrame
) -> pd.DataFrame:
    """Every rate on every basis of ``rates.csv`` side by side: report_id, rate, basis, numerator, denominator.

    The numerator is the primary rate's (from ``rates``, so prose-sourced values stay as they are); each
    alternative basis sums the cells ``rates.csv`` names. A basis whose cells are not all numbers is missing.
    """
    from .metrics import with_intervals

    ids = pd.Index(sorted(rates["report_id"].unique()), name="report_id")
    totals = requests[requests["applicant"] == "total"]
    frames = []
    for definition in definitions():
        base = rates[(rates["rate"] == definition.rate) & (rates["applicant"] == "total")].set_index("report_id")
        base = base.reindex(ids)
        if definition.primary:
            denominator = base["denominator"]
        elif definition.numerator_table == "requests":
            denominator = _sum_cells(totals, definition.denominator_column, definition.denominator_codes, ids)
        else:
            review = review_litigation if review_litigation is not None else pd.DataFrame(columns=["report_id"])
            cells = review[review["proceeding"].isin(definition.proceedings)] if len(review) else review
            denominator = _sum_cells(cells, "outcome", definition.denominator_codes, ids) if len(cells) else None
            if denominator is None:
                denominator = pd.Series(pd.NA, index=ids)
            # Section 四 read from the prose gives only totals: no alternative basis can be formed from it.
            denominator = denominator.where(base["source"].ne("narrative"), pd.NA)
        frames.append(
            pd.DataFrame(
                {
                    "report_id": ids,
                    "applicant": "total",
                    "rate": definition.rate,
                    "basis": definition.basis,
                    "numerator": base["numerator"].to_numpy(),
                    "denominator": pd.array(denominator.to_numpy(), dtype="Int64"),
                    "source": base["source"].to_numpy(),
                }
            )
        )
    return with_intervals(pd.concat(frames, ignore_index=True))


def rates_markdown() -> str:
    """docs/rates.md: every rate, its numerator and each denominator, rendered from ``rates.csv``."""
    lines = [
        "# Rates: numerators, denominators and their alternatives",
        "",
        "Generated from `govstats/codebook/rates.csv` by `govstats.analysis.rates.rates_markdown()` (a test keeps",
        "this file in step with the data). `govstats.analysis.metrics.report_rates` computes the primary basis;",
        "`govstats.analysis.rates.alternative_rates` computes every basis side by side. Each rate is kept as",
        "numerator and denominator, so it can be pooled and compared; a blank cell is missing, never zero.",
        "",
        "Bases: " + "; ".join(f"`{code}` = {text}" for code, text in BASES.items()) + ".",
        "",
        "| rate | name (zh / en) | basis | numerator | denominator | note |",
        "|---|---|---|---|---|---|",
    ]
    for d in definitions():
        name = f"{d.label_zh} / {d.label_en}" if d.primary else ""
        basis = f"**{d.basis}** (primary)" if d.primary else d.basis
        cells = [f"`{d.rate}`", name, basis, d.numerator_en, d.denominator_en, d.note]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += [
        "",
        '"Cannot provide" (无法提供, `unavailable_share`) is the broad share: all three rows of （四）. "Not held"',
        "(本机关不掌握相关政府信息, `unavailable_not_held_share`) is the strict share: its first row only.",
        "",
    ]
    return "\n".join(lines)
