"""The panel studies and the report-reliability study, on small frames whose answers are known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats.analysis import metrics, panel, reliability
from govstats.analysis.results import project_root, rebuild_command, resolve

ROOT = Path(__file__).resolve().parents[1]


def _panel(trend: float, units: int = 12, years: range = range(2019, 2026), seed: int = 3) -> pd.DataFrame:
    """Rates of ``units`` units over ``years``, log-odds rising by ``trend`` a year, units differing at random."""
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(units):
        level = rng.normal(0, 0.5)
        for year in years:
            n = int(rng.integers(40, 200))
            p = 1 / (1 + np.exp(-(-1 + level + trend * (year - years[0]))))
            rows.append({"report_id": f"u{unit}_{year}", "unit": f"unit {unit}", "year": year, "level": "town"})
            rows[-1] |= {"rate": "unavailable_share", "applicant": "total", "numerator": rng.binomial(n, p)}
            rows[-1] |= {"denominator": n, "source": "table"}
    return pd.DataFrame(rows)


def test_the_trend_model_recovers_the_yearly_odds_ratio_with_intervals_clustered_by_unit() -> None:
    data = _panel(trend=0.3)
    rates = metrics.with_intervals(data[["report_id", "applicant", "rate", "numerator", "denominator", "source"]])
    fit = panel.trend_model(rates, data[["report_id", "unit", "level", "year"]], "unavailable_share")
    assert fit.fitted and fit.n_units == 12
    gee = fit.estimates.set_index(["term", "method"]).loc[("year", "GEE, clustered by unit")]
    assert gee["ci_low"] < np.exp(0.3) < gee["ci_high"] and gee["ci_low"] > 1


def test_the_trend_model_says_why_it_is_not_fitted_on_too_few_reports() -> None:
    data = _panel(trend=0.3, units=2, years=range(2019, 2021))
    rates = metrics.with_intervals(data[["report_id", "applicant", "rate", "numerator", "denominator", "source"]])
    fit = panel.trend_model(rates, data, "unavailable_share")
    assert not fit.fitted and "at least 10 reports" in fit.reason


def test_holm_adjusts_upwards_and_keeps_the_order() -> None:
    adjusted = panel.adjust([0.01, 0.04, 0.03])
    assert list(adjusted) == pytest.approx([0.03, 0.06, 0.06])
    assert len(panel.adjust([])) == 0


def test_units_take_their_english_names_and_levels_from_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "pingtan").mkdir()
    manifest = "file\tunit_zh\tunit_en\tlevel\nx_2019.txt\t平潭综合实验区财政金融局\tFinance Bureau\tdepartment\n"
    (tmp_path / "pingtan" / "MANIFEST.tsv").write_text(manifest, encoding="utf-8")
    reports = pd.DataFrame(
        {"report_id": ["pingtan/x_2019.txt", "y.txt"], "agency": ["关于", "上海市"], "level": ["other", "province"]}
    ).assign(year=2019)
    units = panel.unit_table(reports, panel.read_manifests(tmp_path)).set_index("report_id")
    assert units.loc["pingtan/x_2019.txt", ["unit", "unit_en", "level"]].tolist() == [
        "平潭综合实验区财政金融局",
        "Finance Bureau",
        "department",
    ]
    assert units.loc["y.txt", ["unit", "unit_en", "level"]].tolist() == ["上海市", "上海市", "province"]


def test_reliability_counts_failed_identities_prose_and_form_and_leaves_the_unevaluable_out() -> None:
    reports = pd.DataFrame(
        {"report_id": ["a", "b", "c"], "format_version": ["2021", "2019", "2021"], "year": [2023, 2022, 2023]}
    )
    checks = pd.DataFrame(
        {
            "report_id": ["a", "a", "b", "c"],
            "check": ["row_sum", "narrative_percentage", "row_sum", "row_sum"],
            "where": ["requests.granted", "narrative.x", "requests.granted", "requests.granted"],
            "passed": pd.array([False, True, True, None], dtype="boolean"),
            "detail": ["1 + 2 ≠ 4", "", "", ""],
        }
    )
    requests = pd.DataFrame({"report_id": ["a"], "row": ["granted"], "status": ["value"]})
    table = reliability.report_reliability(reports, checks, requests, requests).set_index("report_id")
    assert table["breaks_identities"].tolist() == [True, False, pd.NA]
    assert table.loc["a", "breaks_identities_example"].startswith("row_sum at requests.granted")
    assert table["departs_from_form"].tolist() == [False, True, False]  # b: the 2019 form for 2022
    shares = reliability.reliability_shares(table.reset_index(), pd.DataFrame({"report_id": ["a", "b", "c"]}))
    breaks = shares.set_index("rate").loc["breaks_identities"]
    assert (breaks["numerator"], breaks["denominator"]) == (1, 2)


def test_paths_resolve_from_the_repository_root_also_from_notebooks() -> None:
    assert project_root(ROOT / "notebooks") == ROOT
    assert resolve("reports", project_root(ROOT / "notebooks")) == ROOT / "reports"


def test_the_rebuild_command_names_the_notebook_parameters_and_output() -> None:
    command = rebuild_command("02_not_held.ipynb", {"language": "en", "years": [2023], "output": "X"}, "X")
    assert command == "govstats notebooks run 02_not_held -p language=en -p 'years=[2023]' --out X"
