"""Every rate on every basis side by side, and ``docs/rates.md``, from the one definition (``codebook/rates.csv``).

The definitions live once, in ``govstats/codebook/rates.csv``, read by :mod:`govstats.codebook.rates`: one row
per rate and *basis* (denominator), its cells named by selectors. The primary basis (``all``: all requests
answered, or all cases of the year) is what :func:`metrics.report_rates` and the dataset's ``rates`` table
compute; the alternatives (``concluded``: cases minus those pending; ``merits``: requests or cases decided on the
merits) are computed side by side by :func:`alternative_rates`. ``docs/rates.md`` is rendered from the same file
(:func:`rates_markdown`), so code and documentation cannot drift apart.
"""

from __future__ import annotations

import pandas as pd

from ..codebook.rates import RateDefinition, definitions, label, primaries, primary, rate_names

__all__ = [
    "BASES",
    "RateDefinition",
    "alternative_rates",
    "definitions",
    "label",
    "primaries",
    "primary",
    "rate_names",
    "rates_markdown",
]

BASES = {
    "all": "all requests answered / all cases",
    "concluded": "concluded cases (pending excluded)",
    "merits": "decided on the merits",
}


def _sum_cells(cells: pd.DataFrame, ids: pd.Index) -> pd.Series:
    """Per report: the sum of the chosen cells; missing unless every one of them is a number."""
    complete = cells.groupby("report_id")["value"].agg(lambda v: v.sum() if v.notna().all() else pd.NA)
    return complete.reindex(ids)


def _alternative_denominator(definition: RateDefinition, tables: dict[str, pd.DataFrame | None], ids: pd.Index):
    """The denominator of a non-primary basis: the sum of its selector's cells (missing where there are none)."""
    frame = tables.get(definition.denominator.table)
    if frame is None or not len(frame):
        return pd.Series(pd.NA, index=ids)
    return _sum_cells(definition.denominator.cells(frame), ids)


def alternative_rates(
    requests: pd.DataFrame, review_litigation: pd.DataFrame | None, rates: pd.DataFrame
) -> pd.DataFrame:
    """Every rate on every basis of ``rates.csv`` side by side: report_id, rate, basis, numerator, denominator.

    The numerator is the primary rate's (from ``rates``, so prose-sourced values stay as they are); each
    alternative basis sums the cells its denominator selector names. A basis whose cells are not all numbers is
    missing, and so is one whose primary rate came from its prose fallback (the prose gives only totals).
    """
    from .metrics import with_intervals

    ids = pd.Index(sorted(rates["report_id"].unique()), name="report_id")
    tables = {"requests": requests, "review_litigation": review_litigation}
    frames = []
    for definition in definitions():
        base = rates[(rates["rate"] == definition.rate) & (rates["applicant"] == "total")].set_index("report_id")
        base = base.reindex(ids)
        if definition.primary:
            denominator = base["denominator"]
        else:
            denominator = _alternative_denominator(definition, tables, ids)
            if primary(definition.rate).has_fallback:
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
        "this file in step with the data); `govstats.codebook.rates` reads the file for every consumer.",
        "`govstats.analysis.metrics.report_rates` and the dataset's `rates` table (`govstats.dataset.shapes`)",
        "compute the primary basis; `govstats.analysis.rates.alternative_rates` computes every basis side by side.",
        "Each rate is kept as numerator and denominator, so it can be pooled and compared; a blank cell is",
        "missing, never zero.",
        "",
        "Bases: " + "; ".join(f"`{code}` = {text}" for code, text in BASES.items()) + ".",
        "",
        "A selector names the cells summed: `requests:group=withheld;applicant=total` is every cell of `requests`",
        "whose `group` is `withheld` and whose `applicant` is `total` (`|` separates alternative codes). A prose",
        "fallback (`narrative:key=…`, a figure of `codebook/prose_figures.csv`) restates a side where the table's",
        "cells are not all numbers.",
        "",
        "| rate | name (zh / en) | basis | numerator | denominator | note |",
        "|---|---|---|---|---|---|",
    ]
    for d in definitions():
        name = f"{d.label_zh} / {d.label_en}" if d.primary else ""
        basis = f"**{d.basis}** (primary)" if d.primary else d.basis
        numerator = f"{d.numerator_en}: `{d.numerator}`"
        denominator = f"{d.denominator_en}: `{d.denominator}`"
        if d.fallback_numerator is not None:
            numerator += f"; from the prose: `{d.fallback_numerator}`"
        if d.fallback_denominator is not None:
            denominator += f"; from the prose: `{d.fallback_denominator}`"
        cells = [f"`{d.rate}`", name, basis, numerator, denominator, d.note]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += ["", "Definitions:", ""]
    lines += [f"- `{d.rate}`: {d.definition}" for d in primaries() if d.definition]
    lines += [
        "",
        '"Cannot provide" (无法提供, `unavailable_share`) is the broad share: all three rows of （四）. "Not held"',
        "(本机关不掌握相关政府信息, `unavailable_not_held_share`) is the strict share: its first row only.",
        "",
    ]
    return "\n".join(lines)
