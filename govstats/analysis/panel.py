"""The panel: the same units reporting year after year, their trends and their differences.

A report is a census of the year's requests, not a sample, so a single report's rate needs no test. Across
units and years it does: units differ far more than binomial noise allows, and the requests of one unit are not
independent draws (the same serial requesters return). So trends are fitted as a binomial GLM whose standard
errors are clustered by unit — GEE with an independence working correlation — and, beside it, as a
quasi-binomial GLM (scale from Pearson's chi-square). Effects are odds ratios with 95% intervals; many
comparisons get Holm's correction. Units come from the corpus manifest (``MANIFEST.tsv``: English names,
levels) when there is one, else from the reports table.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from . import metrics

MANIFEST_NAME = "MANIFEST.tsv"
UNIT_COLUMNS = ["report_id", "unit", "unit_en", "level", "year"]


def read_manifests(raw: str | Path | None) -> pd.DataFrame:
    """Every ``MANIFEST.tsv`` under the raw folder: report_id (path relative to it), unit_zh, unit_en, level."""
    columns = ["report_id", "unit_zh", "unit_en", "level"]
    root = Path(raw) if raw is not None else None
    if root is None or not root.is_dir():
        return pd.DataFrame(columns=columns)
    frames = []
    for path in sorted(root.rglob(MANIFEST_NAME)):
        manifest = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        if not {"file", "unit_zh", "unit_en"} <= set(manifest.columns):
            continue
        folder = path.parent.relative_to(root).as_posix()
        prefix = "" if folder == "." else f"{folder}/"
        manifest = manifest.assign(report_id=prefix + manifest["file"], level=manifest.get("level", ""))
        frames.append(manifest[columns])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def unit_table(reports: pd.DataFrame, manifest: pd.DataFrame) -> pd.DataFrame:
    """One row per report: its unit (the manifest's name where listed, else the agency as read), the unit's
    English name (the manifest's, else the Chinese name), level and year."""
    meta = reports[["report_id", "agency", "level", "year"]].merge(manifest, on="report_id", how="left")
    listed = meta["unit_zh"].fillna("").ne("")
    unit = meta["unit_zh"].where(listed, meta["agency"]).fillna(meta["report_id"])
    unit_en = meta["unit_en"].where(meta["unit_en"].fillna("").ne(""), unit)
    level = meta["level_y"].where(meta["level_y"].fillna("").ne(""), meta["level_x"])
    return pd.DataFrame(
        {"report_id": meta["report_id"], "unit": unit, "unit_en": unit_en, "level": level, "year": meta["year"]}
    )


def panel_units(units: pd.DataFrame, report_ids: Sequence[str], min_years: int = 3) -> pd.DataFrame:
    """The reports of units that report in at least ``min_years`` distinct years, among ``report_ids``."""
    chosen = units[units["report_id"].isin(report_ids)]
    years = chosen.groupby("unit")["year"].transform("nunique")
    return chosen[years >= min_years].reset_index(drop=True)


@dataclass
class TrendFit:
    """Odds ratios of a rate per year (and level) over a panel, or the reason the model was not fitted."""

    rate: str
    fitted: bool
    reason: str
    n_reports: int
    n_units: int
    n_cases: int
    estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()


def _panel_frame(rates: pd.DataFrame, panel: pd.DataFrame, rate: str, applicant: str) -> pd.DataFrame:
    chosen = rates[(rates["rate"] == rate) & (rates["applicant"] == applicant)]
    data = chosen.merge(panel[["report_id", "unit", "level", "year"]], on="report_id")
    return data[data["numerator"].notna() & data["denominator"].gt(0).fillna(False)].reset_index(drop=True)


def _design(data: pd.DataFrame) -> pd.DataFrame:
    exog = pd.DataFrame({"const": 1.0, "year": data["year"].astype(float) - float(data["year"].min())})
    if data["level"].nunique() > 1:
        exog = exog.join(pd.get_dummies(data["level"].astype(str), prefix="level", drop_first=True, dtype=float))
    return exog


def trend_model(
    rates: pd.DataFrame,
    panel: pd.DataFrame,
    rate: str,
    *,
    applicant: str = "total",
    min_reports: int = 10,
    min_units: int = 4,
) -> TrendFit:
    """A rate's change per year over the panel (reports of ``panel_units``): odds ratio per year, 95% CI.

    Two fits of the same logit model: standard errors clustered by unit (GEE, independence working
    correlation) and quasi-binomial (Pearson scale). Too few reports or units, or no variation, gives
    ``fitted=False`` with the reason, never a number.
    """
    import statsmodels.api as sm  # here, not at import: a notebook that fits no model starts faster

    data = _panel_frame(rates, panel, rate, applicant)
    n, units, cases = len(data), data["unit"].nunique(), int(data["denominator"].sum()) if len(data) else 0
    fit = TrendFit(rate, False, "", n, units, cases)
    successes = data["numerator"].to_numpy(float)
    failures = data["denominator"].to_numpy(float) - successes
    if n < min_reports or units < min_units:
        fit.reason = (
            f"{n} reports of {units} units have this rate; at least {min_reports} reports of {min_units} units needed"
        )
    elif data["year"].nunique() < 2:
        fit.reason = "the reports with this rate cover a single year"
    elif successes.sum() == 0 or failures.sum() == 0:
        fit.reason = f"every one of the {cases} cases falls on the same side (the rate is 0% or 100% throughout)"
    if fit.reason:
        return fit
    exog, endog = _design(data), np.column_stack([successes, failures])
    groups = pd.factorize(data["unit"])[0]
    rows = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = sm.GLM(endog, exog, family=sm.families.Binomial())
            fits = {
                "GEE, clustered by unit": model.fit(cov_type="cluster", cov_kwds={"groups": groups}),
                "quasi-binomial": model.fit(scale="X2"),
            }
        except (np.linalg.LinAlgError, ValueError) as error:
            fit.reason = f"the model cannot be fitted ({error})"
            return fit
    for method, result in fits.items():
        low, high = np.asarray(result.conf_int()).T
        for i, term in enumerate(exog.columns):
            if term != "const":
                rows.append(
                    {
                        "rate": rate,
                        "term": term,
                        "method": method,
                        "odds_ratio": float(np.exp(result.params.iloc[i])),
                        "ci_low": float(np.exp(low[i])),
                        "ci_high": float(np.exp(high[i])),
                        "p_value": float(np.asarray(result.pvalues)[i]),
                    }
                )
    fit.fitted, fit.reason, fit.estimates = True, "fitted", pd.DataFrame(rows)
    sources = data["source"].value_counts()
    fit.notes = (
        "values " + ", ".join(f"{source} {count}" for source, count in sources.items()),
        *sorted({str(w.message).split("\n")[0] for w in caught}),
    )
    return fit


def adjust(p_values: Sequence[float], method: str = "holm") -> np.ndarray:
    """p-values adjusted for multiple comparisons (Holm's step-down by default); empty in, empty out."""
    values = np.asarray(p_values, dtype=float)
    return multipletests(values, method=method)[1] if len(values) else values


def trend_table(fits: Sequence[TrendFit]) -> pd.DataFrame:
    """The fitted year terms of several rates in one table, with Holm-adjusted p-values across the rates."""
    frames = [f.estimates for f in fits if f.fitted]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["rate", "term", "method"])
    table["p_holm"] = np.nan
    for _method, part in table.groupby("method"):
        table.loc[part.index, "p_holm"] = adjust(part["p_value"])
    return table


def unit_differences(rates: pd.DataFrame, panel: pd.DataFrame, rate: str, alpha: float = 0.05) -> pd.DataFrame:
    """Each unit (pooled over its years) against the rest of the panel: difference, odds ratio, Holm p."""
    data = _panel_frame(rates, panel, rate, "total")
    sums = data.groupby("unit")[["numerator", "denominator"]].sum()
    total = sums.sum()
    rows = []
    for unit, row in sums.iterrows():
        rest = total - row
        if row["denominator"] == 0 or rest["denominator"] == 0:
            continue
        counts = (row["numerator"], row["denominator"], rest["numerator"], rest["denominator"])
        c = metrics.compare_counts(*counts, rate=rate, labels=(str(unit), "rest"), alpha=alpha)
        rows.append(
            {"unit": unit, "count": c.count_a, "nobs": c.nobs_a, "value": c.value_a, "rest": c.value_b}
            | {"difference": c.difference, "ci_low": c.ci_low, "ci_high": c.ci_high}
            | {"odds_ratio": c.odds_ratio, "or_low": c.or_low, "or_high": c.or_high, "p_value": c.p_value}
        )
    table = pd.DataFrame(rows, columns=["unit", "count", "nobs", "value", "rest", "difference", "ci_low", "ci_high"])
    if rows:
        table = pd.DataFrame(rows)
        table["p_holm"] = adjust(table["p_value"])
    return table.reset_index(drop=True)


def yearly_rates(rates: pd.DataFrame, panel: pd.DataFrame, rate: str) -> pd.DataFrame:
    """The panel's rate pooled by year (Wilson interval), with the reports and cases behind each year."""
    data = _panel_frame(rates, panel, rate, "total")
    if data.empty:
        return pd.DataFrame(columns=["year", "rate", "numerator", "denominator", "reports", "value"])
    return metrics.pooled_rates(data, by=["year"]).sort_values("year").reset_index(drop=True)
