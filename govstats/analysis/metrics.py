"""Rates of SPEC.md with their intervals, and the comparisons researchers make between reports.

Every rate is kept as numerator and denominator, so it can be pooled over reports, compared and traced. Inputs
are the tidy tables of ``data/processed/`` (``requests``, ``review_litigation``, ``narrative``, ``reports``).
Each rate carries a ``source``: ``table`` or ``recovered`` (section 三/四 cells), ``narrative`` (a prose figure,
e.g. withdrawals, or section 四 when its table is unrecoverable) or ``proxy`` (only when asked for).

An aggregate report (上海市) contains its members (金山区): pooling or comparing the two directly counts the
member's requests twice, so a member is compared with the rest of its aggregate (``member_versus_rest``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

from ..codebook import DISPOSITION_GROUPS
from ..codebook.prose import withdrawal_cell
from ..codebook.rates import RateDefinition, Selector, primaries, primary, rate_names

WITHDRAWAL_RATE = "withdrawal_rate"
RECONSIDERATION_CORRECTION_RATE = "reconsideration_correction_rate"
LITIGATION_CORRECTION_RATE = "litigation_correction_rate"
RATES = rate_names()
# The rates of codebook/rates.csv by what their numerator counts: shares of section 三 (computable per applicant
# column), section 四 corrections (with the prose restating them where the table is incomplete).
SHARES: dict[str, RateDefinition] = {d.rate: d for d in primaries() if d.numerator.table == "requests"}
CORRECTIONS: dict[str, RateDefinition] = {d.rate: d for d in primaries() if d.numerator.table == "review_litigation"}
LITIGATION = CORRECTIONS[LITIGATION_CORRECTION_RATE].proceedings
WITHDRAWAL = primary(WITHDRAWAL_RATE)

# Provenance from strongest to weakest: a rate is as weak as the weakest value it is built from.
SOURCES = ("table", "recovered", "narrative", "proxy")

RATE_COLUMNS = ["report_id", "applicant", "rate", "numerator", "denominator", "source"]


def _weakest(methods: pd.Series) -> str:
    known = [m for m in methods.dropna() if m in SOURCES]
    return max(known, key=SOURCES.index) if known else "table"


def _sum_if_complete(values: pd.Series) -> object:
    """The sum of printed numbers; missing if any cell is not a number (a blank cell is missing, not zero)."""
    return values.sum() if len(values) and values.notna().all() else pd.NA


def _count(cells: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """Per report: the complete sum of ``cells`` and the weakest method among them."""
    grouped = cells.groupby("report_id", sort=True)
    out = pd.DataFrame({"count": grouped["value"].agg(_sum_if_complete), "source": grouped["method"].agg(_weakest)})
    return out.reindex(ids)


def _share_counts(requests: pd.DataFrame, applicant: str) -> pd.DataFrame:
    ids = pd.Index(sorted(requests["report_id"].unique()), name="report_id")
    frames = []
    for rate, definition in SHARES.items():
        # The same cells in one applicant column: the selectors name the total column.
        numerator = _count(definition.numerator.where("applicant", applicant).cells(requests), ids)
        denominator = _count(definition.denominator.where("applicant", applicant).cells(requests), ids)
        frames.append(_rate_frame(rate, numerator, denominator))
    return pd.concat(frames).assign(applicant=applicant)


def _rate_frame(rate: str, numerator: pd.DataFrame, denominator: pd.DataFrame) -> pd.DataFrame:
    source = pd.concat([numerator["source"], denominator["source"]], axis=1).apply(_weakest, axis=1)
    return pd.DataFrame(
        {
            "report_id": numerator.index,
            "rate": rate,
            "numerator": numerator["count"].to_numpy(),
            "denominator": denominator["count"].to_numpy(),
            "source": source.to_numpy(),
        }
    )


def _narrative_counts(narrative: pd.DataFrame | None, figure: Selector, ids: pd.Index) -> pd.DataFrame:
    cells = pd.DataFrame(columns=["report_id", "value", "method"])
    if narrative is not None and len(narrative):
        cells = figure.cells(narrative)[["report_id", "value"]].assign(method="narrative")
    return _count(cells, ids)


def _withdrawal_counts(
    requests: pd.DataFrame, narrative: pd.DataFrame | None, ids: pd.Index, *, proxy: bool
) -> pd.DataFrame:
    counts = _narrative_counts(narrative, WITHDRAWAL.numerator, ids)
    if proxy:
        # The row of （六） holding withdrawals and anything else: an upper bound, used only where the prose is silent.
        cells = proxy_cells(requests)
        fallback = _count(cells.assign(method="proxy"), ids)
        counts = counts.where(counts["count"].notna(), fallback)
    return counts


def proxy_cells(requests: pd.DataFrame) -> pd.DataFrame:
    """Per report, the cell that holds withdrawals (:func:`~govstats.codebook.prose.withdrawal_cell`): 3.其他, or
    the one row of （六） where the report prints it so (format 2019, or a 2021 report printing it so)."""
    others = requests[requests["group"] == "other"]
    one_row = others.groupby("report_id")["row"].transform(lambda rows: (rows == "other").any())
    cell = {flag: withdrawal_cell(one_row_other=flag) for flag in (True, False)}
    wanted = pd.Series([cell[flag] for flag in one_row], index=others.index, dtype=object)
    found = pd.Series(list(zip(others["row"], others["applicant"], strict=True)), index=others.index, dtype=object)
    return others[found == wanted].sort_values("report_id", kind="stable")


def _correction_counts(
    review: pd.DataFrame | None, narrative: pd.DataFrame | None, rate: str, ids: pd.Index
) -> tuple[pd.DataFrame, pd.DataFrame]:
    definition = CORRECTIONS[rate]
    numerator = denominator = pd.DataFrame({"count": pd.NA, "source": None}, index=ids)
    if review is not None and len(review):
        numerator = _count(definition.numerator.cells(review), ids)
        denominator = _count(definition.denominator.cells(review), ids)
    # Where section 四 is unrecoverable, the prose restates it: use both prose figures, marked narrative.
    missing = numerator["count"].isna() | denominator["count"].isna()
    prose_numerator = _narrative_counts(narrative, definition.fallback_numerator, ids)
    prose_denominator = _narrative_counts(narrative, definition.fallback_denominator, ids)
    numerator = numerator.where(~missing, prose_numerator)
    denominator = denominator.where(~missing, prose_denominator)
    return numerator, denominator


def report_rates(
    requests: pd.DataFrame,
    review_litigation: pd.DataFrame | None = None,
    narrative: pd.DataFrame | None = None,
    *,
    applicant: str = "total",
    withdrawal_proxy: bool = False,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Every rate of SPEC.md for every report: numerator, denominator, value, Wilson interval and source.

    ``applicant`` other than ``total`` gives the disposition shares of one applicant column only (withdrawals
    and section 四 are printed for all applicants together). ``withdrawal_proxy`` uses the row of （六） that holds
    withdrawals (:func:`proxy_cells`: 3.其他, or the one-row （六）) where the prose gives no withdrawal count,
    with ``source = "proxy"``.
    """
    frames = [_share_counts(requests, applicant)]
    if applicant == "total":
        ids = pd.Index(sorted(requests["report_id"].unique()), name="report_id")
        processed = _count(WITHDRAWAL.denominator.cells(requests), ids)
        # An unrecoverable section 三 leaves the prose's 答复 N 件 as the only count of requests answered.
        answered = _narrative_counts(narrative, WITHDRAWAL.fallback_denominator, ids)
        processed = processed.where(processed["count"].notna(), answered)
        withdrawn = _withdrawal_counts(requests, narrative, ids, proxy=withdrawal_proxy)
        frames.append(_rate_frame(WITHDRAWAL_RATE, withdrawn, processed))
        for rate in CORRECTIONS:
            frames.append(_rate_frame(rate, *_correction_counts(review_litigation, narrative, rate, ids)))
        frames[1:] = [frame.assign(applicant="total") for frame in frames[1:]]
    rates = pd.concat(frames, ignore_index=True)[RATE_COLUMNS]
    order = {rate: i for i, rate in enumerate(RATES)}
    rates = rates.sort_values(["report_id", "rate"], key=lambda s: s.map(order) if s.name == "rate" else s)
    return with_intervals(rates.reset_index(drop=True), alpha=alpha)


def with_intervals(rates: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Add ``value`` (numerator / denominator) and its Wilson interval; missing where the rate is undefined."""
    out = rates.copy()
    out["numerator"] = out["numerator"].astype("Int64")
    out["denominator"] = out["denominator"].astype("Int64")
    defined = (out["numerator"].notna() & out["denominator"].notna() & (out["denominator"] > 0)).to_numpy(bool)
    value, low, high = (np.full(len(out), np.nan) for _ in range(3))
    if defined.any():
        count = out.loc[defined, "numerator"].to_numpy(float)
        nobs = out.loc[defined, "denominator"].to_numpy(float)
        value[defined] = count / nobs
        low[defined], high[defined] = proportion_confint(count, nobs, alpha=alpha, method="wilson")
    for column, values in (("value", value), ("ci_low", low), ("ci_high", high)):
        out[column] = pd.array(values, dtype="Float64")
        out.loc[~defined, column] = pd.NA
    return out


def applicant_shares(requests: pd.DataFrame, row: str = "new_requests", alpha: float = 0.05) -> pd.DataFrame:
    """Each applicant column's share of a row's total (who asks), in the layout of ``report_rates``."""
    cells = requests[requests["row"] == row]
    ids = pd.Index(sorted(requests["report_id"].unique()), name="report_id")
    total = _count(cells[cells["applicant"] == "total"], ids)
    frames = [
        _rate_frame(f"{row}_share", _count(cells[cells["applicant"] == applicant], ids), total).assign(
            applicant=applicant
        )
        for applicant in cells["applicant"].unique()
        if applicant != "total"
    ]
    return with_intervals(pd.concat(frames, ignore_index=True)[RATE_COLUMNS], alpha=alpha)


def pooled_rates(
    rates: pd.DataFrame, report_ids: Sequence[str] | None = None, by: Sequence[str] = (), alpha: float = 0.05
) -> pd.DataFrame:
    """Rates pooled over reports: summed numerators over summed denominators, with a Wilson interval.

    Reports whose rate is undefined are left out (``reports`` counts those used). The caller must not pool an
    aggregate with its members: their requests would be counted twice.
    """
    chosen = rates if report_ids is None else rates[rates["report_id"].isin(report_ids)]
    usable = chosen[chosen["numerator"].notna() & chosen["denominator"].notna()]
    keys = [*by, "applicant", "rate"]
    grouped = usable.groupby(keys, sort=False)
    pooled = grouped.agg(
        numerator=("numerator", "sum"),
        denominator=("denominator", "sum"),
        reports=("report_id", "nunique"),
        source=("source", _weakest),
    )
    return with_intervals(pooled.reset_index(), alpha=alpha)


def rate_row(rates: pd.DataFrame, report_id: str, rate: str, applicant: str = "total") -> pd.Series:
    """The one row of ``rates`` for a report and rate; KeyError if absent."""
    found = rates[(rates["report_id"] == report_id) & (rates["rate"] == rate) & (rates["applicant"] == applicant)]
    if len(found) != 1:
        raise KeyError(f"{report_id}: no single {rate} for {applicant}")
    return found.iloc[0]


@dataclass(frozen=True)
class Comparison:
    """Difference of two proportions (a − b): Newcomb score interval and a two-proportion z-test."""

    rate: str
    label_a: str
    label_b: str
    count_a: int
    nobs_a: int
    count_b: int
    nobs_b: int
    value_a: float
    value_b: float
    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    alpha: float
    odds_ratio: float = float("nan")
    or_low: float = float("nan")
    or_high: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def compare_counts(
    count_a: int,
    nobs_a: int,
    count_b: int,
    nobs_b: int,
    *,
    rate: str = "",
    labels: tuple[str, str] = ("a", "b"),
    alpha: float = 0.05,
) -> Comparison:
    """Compare two proportions given as counts."""
    counts = [int(count_a), int(count_b)]
    nobs = [int(nobs_a), int(nobs_b)]
    if min(nobs) <= 0:
        raise ValueError(f"{rate}: a denominator is zero ({nobs})")
    low, high = confint_proportions_2indep(counts[0], nobs[0], counts[1], nobs[1], compare="diff", alpha=alpha)
    z, p_value = proportions_ztest(counts, nobs)
    odds, or_low, or_high = odds_ratio(counts[0], nobs[0], counts[1], nobs[1], alpha=alpha)
    return Comparison(
        rate=rate,
        label_a=labels[0],
        label_b=labels[1],
        count_a=counts[0],
        nobs_a=nobs[0],
        count_b=counts[1],
        nobs_b=nobs[1],
        value_a=counts[0] / nobs[0],
        value_b=counts[1] / nobs[1],
        difference=counts[0] / nobs[0] - counts[1] / nobs[1],
        ci_low=float(low),
        ci_high=float(high),
        z=float(z),
        p_value=float(p_value),
        alpha=alpha,
        odds_ratio=odds,
        or_low=or_low,
        or_high=or_high,
    )


def odds_ratio(count_a: int, nobs_a: int, count_b: int, nobs_b: int, alpha: float = 0.05) -> tuple[float, ...]:
    """Odds ratio (a against b) with Woolf's logit interval; 0.5 is added to every cell when one is empty."""
    cells = np.array([count_a, nobs_a - count_a, count_b, nobs_b - count_b], dtype=float)
    if (cells == 0).any():
        cells += 0.5  # Haldane-Anscombe: an empty cell would make the ratio 0 or infinite
    log_or = np.log(cells[0] * cells[3] / (cells[1] * cells[2]))
    half = stats.norm.ppf(1 - alpha / 2) * np.sqrt((1 / cells).sum())
    return float(np.exp(log_or)), float(np.exp(log_or - half)), float(np.exp(log_or + half))


def compare_reports(rates: pd.DataFrame, rate: str, a: str, b: str, alpha: float = 0.05) -> Comparison:
    """Compare one rate between two reports that share no requests (e.g. one agency in two years)."""
    row_a, row_b = rate_row(rates, a, rate), rate_row(rates, b, rate)
    counts = (row_a["numerator"], row_a["denominator"], row_b["numerator"], row_b["denominator"])
    return compare_counts(*counts, rate=rate, labels=(a, b), alpha=alpha)


def find_report(reports: pd.DataFrame, agency: str, year: int) -> str:
    """The report_id of an agency's annual report for a year; ValueError unless exactly one."""
    found = reports[(reports["agency"] == agency) & (reports["year"] == year)]
    if "document" in found:
        found = found[found["document"] == "annual_report"]
    if len(found) != 1:
        raise ValueError(f"{len(found)} annual reports of {agency} for {year} in the corpus; expected one")
    return str(found["report_id"].iloc[0])


def nesting(reports: pd.DataFrame) -> pd.DataFrame:
    """Pairs (member, aggregate) of report_ids: an aggregate report of the member's region or parent, same year."""
    aggregates = reports.loc[reports["scope"] == "aggregate", ["report_id", "agency", "year"]]
    pairs = [
        reports.loc[reports[key].notna(), ["report_id", key, "year"]].merge(
            aggregates, left_on=[key, "year"], right_on=["agency", "year"], suffixes=("", "_aggregate")
        )
        for key in ("region", "parent")
        if key in reports
    ]
    found = pd.concat(pairs) if pairs else pd.DataFrame(columns=["report_id", "report_id_aggregate"])
    found = found.rename(columns={"report_id": "member", "report_id_aggregate": "aggregate"})
    found = found[found["member"] != found["aggregate"]]
    return found[["member", "aggregate"]].drop_duplicates().reset_index(drop=True)


def check_member(reports: pd.DataFrame, member: str, aggregate: str) -> None:
    """Raise ValueError unless ``aggregate`` is an aggregate report containing ``member``, for the same year."""
    meta = reports.set_index("report_id")
    m, a = meta.loc[member], meta.loc[aggregate]
    if m["year"] != a["year"]:
        raise ValueError(f"{member} ({m['year']}) and {aggregate} ({a['year']}): a member is compared in its year")
    pairs = nesting(reports)
    if not ((pairs["member"] == member) & (pairs["aggregate"] == aggregate)).any():
        raise ValueError(f"{aggregate} ({a['agency']}) is not an aggregate containing {member} ({m['agency']})")


def member_versus_rest(
    rates: pd.DataFrame, reports: pd.DataFrame, member: str, aggregate: str, rate: str, alpha: float = 0.05
) -> Comparison:
    """Compare a member with the rest of its aggregate (aggregate minus member), in the same year.

    The aggregate's counts include the member's, so comparing the two directly would count the member twice.
    """
    check_member(reports, member, aggregate)
    m, a = rate_row(rates, member, rate), rate_row(rates, aggregate, rate)
    rest_count, rest_nobs = a["numerator"] - m["numerator"], a["denominator"] - m["denominator"]
    if rest_count < 0 or rest_nobs < rest_count:
        raise ValueError(f"{rate}: {aggregate} minus {member} gives {rest_count}/{rest_nobs}; the counts conflict")
    counts = (m["numerator"], m["denominator"], rest_count, rest_nobs)
    return compare_counts(*counts, rate=rate, labels=(member, f"{aggregate} − {member}"), alpha=alpha)


def disposition_mix(requests: pd.DataFrame, applicant: str = "total") -> pd.DataFrame:
    """Counts of each disposition group (columns, printed order) per report (index) for one applicant column."""
    cells = requests[(requests["applicant"] == applicant) & requests["group"].isin(DISPOSITION_GROUPS)]
    mix = cells.groupby(["report_id", "group"], sort=False)["value"].agg(_sum_if_complete).unstack("group")
    return mix.reindex(columns=list(DISPOSITION_GROUPS)).astype("Int64").sort_index()


@dataclass(frozen=True)
class ChiSquare:
    """Chi-square test of independence of a contingency table (rows: the two sides; columns: groups)."""

    chi2: float
    dof: int
    p_value: float
    table: pd.DataFrame
    min_expected: float
    cramers_v: float = float("nan")


def mix_test(a: pd.Series, b: pd.Series, labels: tuple[str, str] = ("a", "b")) -> ChiSquare:
    """Chi-square test that two disposition mixes (counts by group) come from the same distribution."""
    table = pd.DataFrame([a, b], index=list(labels)).astype(float)
    if table.isna().any().any():
        raise ValueError("a disposition count is missing; the mix cannot be tested")
    table = table.loc[:, table.sum() > 0]  # a group empty on both sides carries no information
    chi2, p_value, dof, expected = stats.chi2_contingency(table.to_numpy())
    # Cramér's V: the effect size of the chi-square, 0 (same mix) to 1, whatever the number of requests.
    v = float(np.sqrt(chi2 / (table.to_numpy().sum() * max(1, min(table.shape) - 1))))
    return ChiSquare(float(chi2), int(dof), float(p_value), table.astype(int), float(expected.min()), v)


def member_versus_rest_mix(mix: pd.DataFrame, reports: pd.DataFrame, member: str, aggregate: str) -> ChiSquare:
    """Chi-square test of a member's disposition mix against the rest of its aggregate, same year."""
    check_member(reports, member, aggregate)
    rest = mix.loc[aggregate] - mix.loc[member]
    if (rest < 0).any():
        raise ValueError(f"{aggregate} minus {member} has negative counts; the mixes conflict")
    return mix_test(mix.loc[member], rest, labels=(member, f"{aggregate} − {member}"))


@dataclass(frozen=True)
class GlmFit:
    """A binomial GLM of one rate on level and year, or the reason it was not fitted."""

    rate: str
    fitted: bool
    reason: str
    n_reports: int
    terms: tuple[str, ...] = ()
    params: pd.DataFrame | None = None


def rate_glm(rates: pd.DataFrame, reports: pd.DataFrame, rate: str, *, min_reports: int = 20) -> GlmFit:
    """Binomial GLM (logit) of a rate on level and year across reports, if the corpus allows it.

    Agencies differ far more than binomial noise allows, so the scale is estimated from Pearson's chi-square
    (quasi-binomial) rather than fixed at 1. Fewer than ``min_reports`` reports, or neither level nor year
    varying, gives ``fitted=False`` with the reason.
    """
    import statsmodels.api as sm  # here, not at import: a notebook that fits no model starts faster

    data = rates[(rates["rate"] == rate) & (rates["applicant"] == "total")].merge(
        reports[["report_id", "level", "year"]], on="report_id"
    )
    data = data[data["numerator"].notna() & (data["denominator"] > 0)]
    n = len(data)
    terms = tuple(t for t in ("level", "year") if data[t].nunique() > 1)
    if n < min_reports or not terms:
        varying = ", ".join(terms) or "neither level nor year varies"
        reason = f"too few reports: {n} with this rate, at least {min_reports} needed (varying: {varying})"
        return GlmFit(rate, False, reason, n, terms)
    exog = pd.DataFrame({"const": 1.0}, index=data.index)
    if "level" in terms:
        exog = exog.join(pd.get_dummies(data["level"], prefix="level", drop_first=True, dtype=float))
    if "year" in terms:
        exog["year"] = data["year"].astype(float) - data["year"].min()
    successes = data["numerator"].to_numpy(float)
    endog = np.column_stack([successes, data["denominator"].to_numpy(float) - successes])
    result = sm.GLM(endog, exog, family=sm.families.Binomial()).fit(scale="X2")
    low, high = result.conf_int().T.to_numpy()
    params = pd.DataFrame(
        {"estimate": result.params, "std_err": result.bse, "ci_low": low, "ci_high": high, "p_value": result.pvalues}
    )
    return GlmFit(rate, True, "fitted", n, terms, params)


def funnel_limits(
    target: float, volumes: Sequence[float] | np.ndarray, levels: Sequence[float] = (0.95, 0.998)
) -> pd.DataFrame:
    """Control limits of a funnel plot: the range a rate falls in by chance at each volume, given ``target``.

    Exact binomial quantiles rather than the normal approximation: small agencies handle a handful of requests.
    """
    n = np.asarray(volumes, dtype=float)
    frames = []
    for level in levels:
        tail = (1 - level) / 2
        frames.append(
            pd.DataFrame(
                {
                    "volume": n,
                    "level": level,
                    "lower": stats.binom.ppf(tail, n, target) / n,
                    "upper": stats.binom.ppf(1 - tail, n, target) / n,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def funnel(
    rates: pd.DataFrame, rate: str, levels: Sequence[float] = (0.95, 0.998), points: int = 200
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Reports of one rate against their volume, the funnel limits around the pooled rate, and that rate.

    Each report gets ``position``: above, below or within the widest limits at its own volume.
    """
    data = rates[(rates["rate"] == rate) & (rates["applicant"] == "total") & rates["value"].notna()].copy()
    if data.empty:
        raise ValueError(f"no report has a {rate}")
    target = float(data["numerator"].sum() / data["denominator"].sum())
    own = funnel_limits(target, data["denominator"].to_numpy(float), levels=[max(levels)])
    data["position"] = np.select(
        [data["value"].to_numpy(float) > own["upper"], data["value"].to_numpy(float) < own["lower"]],
        ["above", "below"],
        "within",
    )
    low, high = data["denominator"].min(), data["denominator"].max()
    grid = np.unique(np.geomspace(max(1, low / 2), high * 2, points).round())
    return data, funnel_limits(target, grid, levels), target
