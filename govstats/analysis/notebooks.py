"""What the curated notebooks share: the wording of their answers, the comparisons they make, the tables they show.

Each notebook stays a short study: it loads its corpus (:mod:`.corpus`, through :class:`.study.Study`), computes
with :mod:`.metrics` and :mod:`.panel`, draws with :mod:`.figures`, and says what it found with the helpers here.
Running the notebooks (papermill, parameters, output folders) is :mod:`.runner`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from . import metrics
from .corpus import Corpus
from .figures import STATUSES, rate_label


def percent(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value * 100:.{digits}f}%"


def describe_rate(row: pd.Series, labels: Mapping[str, str] | None = None) -> str:
    """One rate in words: "上海市 2024: 40.37% (16746 of 41480; 95% CI 39.90%–40.84%)", source named if not a table."""
    name = (labels or {}).get(row["report_id"], row["report_id"])
    if pd.notna(row["denominator"]) and row["denominator"] == 0:
        return f"{name}: no cases (denominator 0)"
    if pd.isna(row["value"]):
        return f"{name}: not computable (numerator or denominator missing)"
    source = "" if row["source"] in ("table", "recovered") else f", {row['source']}-sourced"
    interval = f"95% CI {percent(row['ci_low'])}–{percent(row['ci_high'])}"
    return f"{name}: {percent(row['value'])} ({row['numerator']} of {row['denominator']}; {interval}{source})"


def describe_comparison(
    result: metrics.Comparison, labels: Mapping[str, str] | None = None, p_adjusted: float | None = None
) -> str:
    """A two-proportion comparison in words: the difference and the odds ratio with their intervals, the
    z-test's p-value and, among several comparisons, the Holm-adjusted one."""
    labels = labels or {}

    def name(side: str) -> str:
        return side_label(side, labels)

    level = f"{1 - result.alpha:.0%}"
    return (
        f"{name(result.label_a)} {percent(result.value_a)} ({result.count_a}/{result.nobs_a}) versus "
        f"{name(result.label_b)} {percent(result.value_b)} ({result.count_b}/{result.nobs_b}): difference "
        f"{result.difference * 100:+.2f} percentage points ({level} CI {result.ci_low * 100:+.2f} to "
        f"{result.ci_high * 100:+.2f}), odds ratio {result.odds_ratio:.2f} ({level} CI {result.or_low:.2f} to "
        f"{result.or_high:.2f}), z = {result.z:.2f}, p {format_p(result.p_value)}"
        + ("" if p_adjusted is None else f", Holm-adjusted p {format_p(p_adjusted)}")
    )


def format_p(p_value: float) -> str:
    """A p-value as written after "p": "< 0.0001" or "= 0.0123"."""
    return "< 0.0001" if p_value < 1e-4 else f"= {p_value:.4f}"


def rate_table(rates: pd.DataFrame, labels: Mapping[str, str], language: str = "zh") -> pd.DataFrame:
    """Rates for display: report, rate label, counts, percent with interval, source."""
    return pd.DataFrame(
        {
            "report": rates["report_id"].map(labels),
            "rate": rates["rate"].map(lambda r: rate_label(r, language)),
            "numerator": rates["numerator"],
            "denominator": rates["denominator"],
            "percent": rates["value"].map(percent),
            "95% CI": [
                f"{percent(lo)}–{percent(hi)}" for lo, hi in zip(rates["ci_low"], rates["ci_high"], strict=True)
            ],
            "source": rates["source"],
        }
    ).reset_index(drop=True)


@dataclass
class FairComparison:
    """A member against the rest of its aggregate in one year: rate test, mix test, or why neither was made."""

    member: str
    aggregate: str
    year: int
    rate: str
    rate_test: metrics.Comparison | None = None
    mix_test: metrics.ChiSquare | None = None
    reason: str = ""

    def describe(self, labels: Mapping[str, str], mix: bool = True, p_adjusted: float | None = None) -> str:
        """The comparison in words (Markdown)."""
        member, aggregate = (labels.get(x, x) for x in (self.member, self.aggregate))
        head = f"{member} against the rest of {aggregate} ({aggregate} minus {member}), {self.year}"
        if self.rate_test is None:
            return f"{head}: not possible on this corpus ({self.reason})."
        words = describe_comparison(self.rate_test, labels, p_adjusted)
        text = f"{head}, {rate_label(self.rate, 'en').lower()}: {words}."
        if mix and self.mix_test is not None:
            m = self.mix_test
            text += (
                f" Whole disposition mix: chi-square = {m.chi2:.1f}, {m.dof} degrees of freedom, "
                f"p {format_p(m.p_value)}, Cramér's V = {m.cramers_v:.3f} (smallest expected count "
                f"{m.min_expected:.1f})."
            )
        return text


def fair_comparison(data: Corpus, rates: pd.DataFrame, member_id: str, aggregate_id: str, rate: str) -> FairComparison:
    """A member report against the rest of its aggregate report (same year): rate and disposition mix."""
    year = int(data.reports.set_index("report_id").loc[member_id, "year"])
    result = FairComparison(member_id, aggregate_id, year, rate)
    try:
        for report_id in (member_id, aggregate_id):
            if pd.isna(metrics.rate_row(rates, report_id, rate)["value"]):
                raise ValueError(f"the {rate} of {data.labels.get(report_id, report_id)} is missing")
        result.rate_test = metrics.member_versus_rest(rates, data.reports, member_id, aggregate_id, rate)
        mix = metrics.disposition_mix(data.requests)
        result.mix_test = metrics.member_versus_rest_mix(mix, data.reports, member_id, aggregate_id)
    except (ValueError, KeyError) as error:
        result.reason = str(error).strip("'")
    return result


def fair_comparisons(data: Corpus, rates: pd.DataFrame, rate: str) -> list[FairComparison]:
    """Every member/aggregate pair of the corpus (``metrics.nesting``: same year), each against the rest."""
    pairs = metrics.nesting(data.reports)
    return [fair_comparison(data, rates, m, a, rate) for m, a in zip(pairs["member"], pairs["aggregate"], strict=True)]


def describe_fair(comparisons: Sequence[FairComparison], labels: Mapping[str, str], mix: bool = True) -> str:
    """Every fair comparison in words, with Holm-adjusted p-values across those that could be made."""
    if not comparisons:
        return (
            "No member/aggregate pair in this corpus (a report of a unit whose aggregate report of the same "
            "year is also in the corpus), so no member can be compared with the rest of its aggregate."
        )
    from .panel import adjust

    made = [c for c in comparisons if c.rate_test is not None]
    adjusted = dict(zip(map(id, made), adjust([c.rate_test.p_value for c in made]), strict=True))
    lines = [c.describe(labels, mix, adjusted.get(id(c)) if len(made) > 1 else None) for c in comparisons]
    return bullet_list(lines)


def describe_changes(changes: Sequence[metrics.Comparison], labels: Mapping[str, str]) -> str:
    """Year-over-year comparisons in words, Holm-adjusted across them."""
    from .panel import adjust

    adjusted = adjust([c.p_value for c in changes]) if len(changes) > 1 else [None] * len(changes)
    return bullet_list([describe_comparison(c, labels, p) for c, p in zip(changes, adjusted, strict=True)])


def not_computable(rates: pd.DataFrame, labels: Mapping[str, str], limit: int = 8) -> str:
    """Why a rate is missing where it is: no cases at all (denominator 0), or a count not printed or unreadable."""
    zero = rates[rates["denominator"].eq(0).fillna(False)]
    unknown = rates[rates["numerator"].isna() | rates["denominator"].isna()]
    parts = []
    for frame, why in ((zero, "no cases (denominator 0)"), (unknown, "a count not printed or not readable")):
        if len(frame):
            names = [labels.get(r, r) for r in frame["report_id"]]
            shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
            parts.append(f"{len(frame)} report(s) have no value — {why}: {shown}")
    return "; ".join(parts) + "." if parts else "Every report of the selection has a value."


def defined(rates: pd.DataFrame) -> pd.DataFrame:
    """The rows of a rates frame that have a value."""
    return rates[rates["value"].notna()].reset_index(drop=True)


def mix_with_rest(data: Corpus, fairs: Sequence[FairComparison] = ()) -> pd.DataFrame:
    """Disposition counts of the reports compared fairly and the rest of their aggregates (all reports with a
    complete mix when no comparison was made), one row per label."""
    mix = metrics.disposition_mix(data.requests).dropna()
    made = [f for f in fairs if f.mix_test is not None]
    if made:
        rows = [mix.loc[[f.member, f.aggregate]] for f in made]
        rows += [f.mix_test.table.iloc[1:].astype("Int64") for f in made]
        mix = pd.concat(rows)
        mix = mix[~mix.index.duplicated()]
    return mix.rename(index=lambda side: side_label(side, data.labels)).rename_axis("report")


def side_label(side: str, labels: Mapping[str, str]) -> str:
    """Human label of a comparison side: a report_id or "aggregate − member"."""
    return " − ".join(labels.get(part, part) for part in side.split(" − "))


def describe_glm(fit: metrics.GlmFit) -> str:
    """The GLM's outcome in words: its coefficients, or honestly why it was not fitted."""
    if not fit.fitted:
        return f"Binomial GLM of {fit.rate} on level and year: not fitted, {fit.reason}."
    terms = ", ".join(
        f"{name} {row['estimate']:+.3f} (95% CI {row['ci_low']:+.3f} to {row['ci_high']:+.3f}, "
        f"p {format_p(row['p_value'])})"
        for name, row in fit.params.drop(index="const").iterrows()
    )
    return f"Binomial GLM (logit, quasi-binomial scale) of {fit.rate} over {fit.n_reports} reports: {terms}."


def year_over_year(rates: pd.DataFrame, reports: pd.DataFrame, rate: str) -> list[metrics.Comparison]:
    """Each agency's rate compared with its previous report in the corpus (later year minus earlier)."""
    data = rates[(rates["rate"] == rate) & rates["value"].notna()].merge(reports[["report_id", "agency", "year"]])
    results = []
    for _, group in data.sort_values("year").groupby("agency"):
        ids = list(group["report_id"])
        results += [
            metrics.compare_reports(rates, rate, later, earlier) for earlier, later in zip(ids, ids[1:], strict=False)
        ]
    return results


def bullet_list(lines: Sequence[str]) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else "- (none in this corpus)"


def cell_statuses(data: Corpus) -> pd.DataFrame:
    """Cells of sections 二, 三 and 四 by status (columns) per report (index)."""
    cells = pd.concat([data.proactive, data.requests, data.review_litigation])[["report_id", "status"]]
    table = cells.groupby(["report_id", "status"]).size().unstack("status", fill_value=0)
    return table[sorted(table.columns, key=lambda s: STATUSES.index(s) if s in STATUSES else len(STATUSES))]


def cell_methods(data: Corpus) -> pd.DataFrame:
    """Cells holding a number, by how it was obtained (table, recovered, narrative, proxy), per section."""
    tables = {"proactive": data.proactive, "requests": data.requests, "review_litigation": data.review_litigation}
    frames = [frame.assign(table=name) for name, frame in tables.items()]
    cells = pd.concat(frames)
    cells = cells[cells["value"].notna()]
    return cells.groupby(["table", "method"]).size().unstack("method", fill_value=0)


def provenance_counts(data: Corpus) -> dict[str, int]:
    """Totals over the corpus: numbers by method (table, recovered, narrative, proxy) and cells by status."""
    methods, statuses = cell_methods(data).sum(), cell_statuses(data).sum()
    counts = {name: int(methods.get(name, 0)) for name in ("table", "recovered", "narrative", "proxy")}
    return counts | {name: int(statuses.get(name, 0)) for name in ("ambiguous", "unreadable", "missing", "blank")}


def check_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """Identity checks by kind: passed, failed, not evaluable."""
    outcome = checks["passed"].map({True: "passed", False: "failed"}).fillna("not evaluable")
    table = checks.assign(outcome=outcome).groupby(["check", "outcome"]).size().unstack("outcome", fill_value=0)
    return table.reindex(columns=["passed", "failed", "not evaluable"], fill_value=0)


def basis_table(side: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Rates on each basis side by side (``rates.alternative_rates``): one row per report and rate, one column per
    basis, each cell "numerator/denominator = percent" (empty where that basis cannot be formed)."""
    shown = side[side["numerator"].notna() & side["denominator"].notna()]
    if shown.empty:
        return pd.DataFrame(columns=["report", "rate"])
    cells = shown.assign(
        report=shown["report_id"].map(lambda r: labels.get(r, r)),
        cell=[
            f"{n}/{d} = {percent(v)}"
            for n, d, v in zip(shown["numerator"], shown["denominator"], shown["value"], strict=True)
        ],
    )
    table = cells.pivot_table(index=["report", "rate"], columns="basis", values="cell", aggfunc="first", sort=False)
    return table.reset_index().rename_axis(columns=None)


# ---------------------------------------------------------------------------------------------------- panel


def describe_trend(fit, table: pd.DataFrame) -> str:
    """A trend model in words: odds ratio per year with its interval (clustered by unit), or why not fitted."""
    name = rate_label(fit.rate, "en")
    if not fit.fitted:
        return f"{name}: not fitted — {fit.reason}."
    rows = table[(table["rate"] == fit.rate) & (table["term"] == "year")].set_index("method")
    gee, quasi = rows.loc["GEE, clustered by unit"], rows.loc["quasi-binomial"]
    return (
        f"{name}: odds ratio per year {gee['odds_ratio']:.3f} (95% CI {gee['ci_low']:.3f}–{gee['ci_high']:.3f}, "
        f"p {format_p(gee['p_value'])}, Holm {format_p(gee['p_holm'])}); quasi-binomial {quasi['odds_ratio']:.3f} "
        f"({quasi['ci_low']:.3f}–{quasi['ci_high']:.3f}); {fit.n_reports} reports of {fit.n_units} units, "
        f"{fit.n_cases} cases; " + "; ".join(fit.notes)
    )


def fitted_curve(fit, yearly: pd.DataFrame) -> pd.DataFrame | None:
    """The fitted trend (GEE) as a rate per year, at the panel's pooled level of the first year; None if not fitted."""
    if not fit.fitted or yearly.empty:
        return None
    import numpy as np

    row = fit.estimates[(fit.estimates["term"] == "year") & fit.estimates["method"].str.startswith("GEE")].iloc[0]
    pooled = float(yearly["numerator"].sum() / yearly["denominator"].sum())
    years = yearly["year"].astype(float).to_numpy()
    centre = np.average(years, weights=yearly["denominator"].astype(float))
    logit = np.log(pooled / (1 - pooled)) if 0 < pooled < 1 else 0.0
    values = 1 / (1 + np.exp(-(logit + np.log(row["odds_ratio"]) * (years - centre))))
    return pd.DataFrame({"year": years, "value": values})


def describe_unit_differences(table: pd.DataFrame, rate: str, units: pd.DataFrame, language: str = "zh") -> str:
    """Units against the rest of the panel in words: those whose difference survives Holm's correction."""
    if table.empty:
        return f"No unit of the panel has a {rate_label(rate, 'en').lower()} to compare (too few readable reports)."
    names = dict(zip(units["unit"], units["unit_en" if language == "en" else "unit"], strict=False))
    hits = table[table["p_holm"] < 0.05]
    lines = [
        f"{names.get(r.unit, r.unit)}: {percent(r.value)} of {r.nobs} against {percent(r.rest)} in the rest, "
        f"odds ratio {r.odds_ratio:.2f} (95% CI {r.or_low:.2f}–{r.or_high:.2f}), Holm p {format_p(r.p_holm)}"
        for r in hits.itertuples()
    ]
    head = (
        f"{len(table)} units compared with the rest of the panel on {rate_label(rate, 'en').lower()}; "
        f"{len(hits)} differ after Holm's correction"
    )
    return head + (":\n\n" + bullet_list(lines) if lines else ".")


# ------------------------------------------------------------------------------------------------ reliability


def reliability_gaps(overall: pd.DataFrame) -> str:
    """What the reliability shares cannot say on this corpus."""
    from .reliability import KIND_TEXT, KINDS

    missing = [KIND_TEXT[k] for k in KINDS if k not in set(overall.loc[overall["denominator"] > 0, "rate"])]
    if not missing:
        return "Each share is of the reports where that kind of check could be evaluated."
    return (
        "Not computable on this corpus (no report where it could be evaluated): whether reports "
        + "; ".join(missing)
        + "."
    )


def reliability_examples(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Every unreliable report with its example, one row per kind: kind, report, example."""
    from .reliability import KINDS

    rows = [
        {"kind": kind, "report": labels.get(r["report_id"], r["report_id"]), "example": r[f"{kind}_example"]}
        for kind in KINDS
        for _, r in table[table[kind].eq(True).fillna(False)].iterrows()
    ]
    return pd.DataFrame(rows, columns=["kind", "report", "example"])
