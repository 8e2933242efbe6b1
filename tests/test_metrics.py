"""Rates of SPEC.md reproduced from tidy frames built out of the hand-read values in shared/expected/."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from govstats import codebook
from govstats.analysis import metrics

EXPECTED = Path(__file__).resolve().parents[2] / "shared" / "expected"
pytestmark = pytest.mark.skipif(not EXPECTED.is_dir(), reason="../shared/expected (the hand-read values) is absent")
JINSHAN_2023 = "000_26d4c64f71069daa.txt"
SHANGHAI_2024 = "002_279364b37d11c44d.txt"
BAOSHAN_CENTRE_2023 = "003_e72d2a415b3bfbdb.txt"
SHANGHAI_2023 = "004_f83caf973bd6f809.txt"
REPORTS = (JINSHAN_2023, SHANGHAI_2024, BAOSHAN_CENTRE_2023, SHANGHAI_2023)


def expected_frames(report_ids: tuple[str, ...] = REPORTS) -> dict[str, pd.DataFrame]:
    """The tidy tables (reports, requests, review_litigation, narrative) of expected JSON files.

    An unrecoverable section 四 (``null`` in the JSON) becomes 15 unreadable cells, as the build records it.
    """
    reports, requests, review, narrative = [], [], [], []
    for report_id in report_ids:
        data = json.loads((EXPECTED / report_id.replace(".txt", ".json")).read_text(encoding="utf-8"))
        reports.append({"report_id": report_id, **{k: data.get(k) for k in ("document", "agency", "level")}})
        reports[-1].update({k: data.get(k) for k in ("scope", "region", "parent", "year", "format_version")})
        for row, cells in data["requests"].items():
            for applicant, value in cells.items():
                requests.append(_cell(report_id, value, row=row, group=codebook.row_group(row), applicant=applicant))
        for proceeding in codebook.proceedings():
            for outcome in codebook.outcomes():
                value = (data["review_litigation"] or {}).get(proceeding, {}).get(outcome)
                status = "value" if data["review_litigation"] else "unreadable"
                review.append(_cell(report_id, value, status=status, proceeding=proceeding, outcome=outcome))
        for key, value in data.get("narrative", {}).items():
            if isinstance(value, int | float):
                narrative.append({"report_id": report_id, "key": key, "value": value, "method": "narrative"})
    frames = {"reports": reports, "requests": requests, "review_litigation": review, "narrative": narrative}
    frames = {name: pd.DataFrame(rows) for name, rows in frames.items()}
    frames["reports"] = frames["reports"].convert_dtypes()  # string columns with <NA>, Int64 year, as built
    for name, dtype in (("requests", "Int64"), ("review_litigation", "Int64"), ("narrative", "Float64")):
        frames[name]["value"] = frames[name]["value"].astype(dtype)
    return frames


def _cell(report_id: str, value: int | None, status: str | None = None, **codes: str) -> dict:
    status = status or ("value" if value is not None else "blank")
    return {"report_id": report_id, **codes, "value": value, "status": status, "method": "table"}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return expected_frames()


@pytest.fixture(scope="module")
def rates(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return metrics.report_rates(frames["requests"], frames["review_litigation"], frames["narrative"])


def _rate(rates: pd.DataFrame, report_id: str, rate: str) -> pd.Series:
    return metrics.rate_row(rates, report_id, rate)


def test_jinshan_2023_unavailable_share_is_28_52_percent(rates: pd.DataFrame) -> None:
    row = _rate(rates, JINSHAN_2023, "unavailable_share")
    assert (row["numerator"], row["denominator"]) == (156, 547)
    assert round(row["value"] * 100, 2) == 28.52


def test_shanghai_2024_unavailable_share_is_40_37_percent(rates: pd.DataFrame) -> None:
    row = _rate(rates, SHANGHAI_2024, "unavailable_share")
    assert row["denominator"] == 41480
    assert round(row["value"] * 100, 2) == 40.37


@pytest.mark.parametrize(
    ("report_id", "percent"), [(JINSHAN_2023, 15.36), (SHANGHAI_2023, 15.48), (SHANGHAI_2024, 15.50)]
)
def test_withdrawal_rates_are_15_36_15_48_15_50_percent_from_narrative(
    rates: pd.DataFrame, report_id: str, percent: float
) -> None:
    row = _rate(rates, report_id, "withdrawal_rate")
    assert round(row["value"] * 100, 2) == percent
    assert row["source"] == "narrative"


def test_shanghai_2024_reconsideration_correction_rate_is_7_09_percent(rates: pd.DataFrame) -> None:
    row = _rate(rates, SHANGHAI_2024, "reconsideration_correction_rate")
    assert (row["numerator"], row["denominator"], row["source"]) == (123, 1736, "table")
    assert round(row["value"] * 100, 2) == 7.09


def test_shanghai_2024_litigation_correction_rate_is_1_57_percent(rates: pd.DataFrame) -> None:
    row = _rate(rates, SHANGHAI_2024, "litigation_correction_rate")
    assert (row["numerator"], row["denominator"]) == (17, 1082)
    assert round(row["value"] * 100, 2) == 1.57


def test_shanghai_2023_corrections_come_from_narrative_when_section_4_is_unreadable(rates: pd.DataFrame) -> None:
    review = _rate(rates, SHANGHAI_2023, "reconsideration_correction_rate")
    litigation = _rate(rates, SHANGHAI_2023, "litigation_correction_rate")
    assert (review["numerator"], review["denominator"], review["source"]) == (77, 1202, "narrative")
    assert (litigation["numerator"], litigation["denominator"], litigation["source"]) == (32, 927, "narrative")


def test_jinshan_2023_corrections_are_0_of_1_and_0_of_2(rates: pd.DataFrame) -> None:
    review = _rate(rates, JINSHAN_2023, "reconsideration_correction_rate")
    litigation = _rate(rates, JINSHAN_2023, "litigation_correction_rate")
    assert (review["numerator"], review["denominator"]) == (0, 1)
    assert (litigation["numerator"], litigation["denominator"]) == (0, 2)


@pytest.mark.parametrize("report_id", REPORTS)
def test_every_rate_matches_the_expected_json(rates: pd.DataFrame, report_id: str) -> None:
    expected = json.loads((EXPECTED / report_id.replace(".txt", ".json")).read_text(encoding="utf-8"))["rates"]
    for rate, value in expected.items():
        assert round(float(_rate(rates, report_id, rate)["value"]), 4) == pytest.approx(value, abs=1e-9), rate


def test_withdrawals_fall_back_on_the_prose_count_of_requests_answered(frames: dict[str, pd.DataFrame]) -> None:
    requests = frames["requests"].copy()
    unreadable = requests["report_id"] == SHANGHAI_2023
    requests.loc[unreadable, "value"] = pd.NA
    rates = metrics.report_rates(requests, frames["review_litigation"], frames["narrative"])
    row = _rate(rates, SHANGHAI_2023, "withdrawal_rate")
    assert (row["numerator"], row["denominator"], row["source"]) == (5330, 34430, "narrative")
    assert pd.isna(_rate(rates, SHANGHAI_2023, "unavailable_share")["value"])


def test_baoshan_centre_has_no_withdrawal_rate_rather_than_zero(rates: pd.DataFrame) -> None:
    row = _rate(rates, BAOSHAN_CENTRE_2023, "withdrawal_rate")
    assert pd.isna(row["numerator"]) and pd.isna(row["value"]) and pd.isna(row["ci_low"])


def test_interval_is_wilson_and_contains_the_rate(rates: pd.DataFrame) -> None:
    row = _rate(rates, JINSHAN_2023, "withdrawal_rate")
    low, high = proportion_confint(84, 547, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert row["ci_low"] < row["value"] < row["ci_high"]


def test_a_blank_disposition_cell_makes_the_share_missing_not_zero(frames: dict[str, pd.DataFrame]) -> None:
    requests = frames["requests"].copy()
    blank = (requests["row"] == "unavailable_needs_creation") & (requests["applicant"] == "total")
    requests.loc[blank, "value"] = pd.NA
    rates = metrics.report_rates(requests)
    assert pd.isna(_rate(rates, JINSHAN_2023, "unavailable_share")["value"])
    assert round(_rate(rates, JINSHAN_2023, "unavailable_not_held_share")["value"], 4) == 0.2431


def test_a_recovered_cell_marks_the_rate_recovered(frames: dict[str, pd.DataFrame]) -> None:
    requests = frames["requests"].copy()
    cell = (
        (requests["report_id"] == SHANGHAI_2023) & (requests["row"] == "granted") & (requests["applicant"] == "total")
    )
    requests.loc[cell, "method"] = "recovered"
    rates = metrics.report_rates(requests)
    assert _rate(rates, SHANGHAI_2023, "disclosed_share")["source"] == "recovered"
    assert _rate(rates, SHANGHAI_2023, "withheld_share")["source"] == "table"


def test_withdrawal_proxy_is_used_only_when_asked_and_is_labelled(frames: dict[str, pd.DataFrame]) -> None:
    without = metrics.report_rates(frames["requests"], narrative=frames["narrative"])
    proxied = metrics.report_rates(frames["requests"], narrative=frames["narrative"], withdrawal_proxy=True)
    assert pd.isna(_rate(without, BAOSHAN_CENTRE_2023, "withdrawal_rate")["value"])
    assert _rate(proxied, BAOSHAN_CENTRE_2023, "withdrawal_rate")["source"] == "proxy"
    assert _rate(proxied, SHANGHAI_2024, "withdrawal_rate")["source"] == "narrative"


def test_rates_of_one_applicant_column(frames: dict[str, pd.DataFrame]) -> None:
    rates = metrics.report_rates(frames["requests"], applicant="commercial_enterprise")
    row = _rate(rates.assign(applicant="total"), JINSHAN_2023, "disclosed_share")
    assert (row["numerator"], row["denominator"]) == (25, 63)
    assert set(rates["rate"]) == set(metrics.SHARES)


def test_pooled_rate_sums_numerators_and_denominators(rates: pd.DataFrame) -> None:
    pooled = metrics.pooled_rates(rates, [SHANGHAI_2023, SHANGHAI_2024])
    row = pooled[pooled["rate"] == "withdrawal_rate"].iloc[0]
    assert (row["numerator"], row["denominator"], row["reports"]) == (5330 + 6428, 34430 + 41480, 2)
    assert row["value"] == pytest.approx(11758 / 75910)


def test_jinshan_2023_against_rest_of_shanghai_2023_subtracts_jinshan(
    frames: dict[str, pd.DataFrame], rates: pd.DataFrame
) -> None:
    result = metrics.member_versus_rest(rates, frames["reports"], JINSHAN_2023, SHANGHAI_2023, "unavailable_share")
    shanghai = _rate(rates, SHANGHAI_2023, "unavailable_share")
    rest_count, rest_nobs = shanghai["numerator"] - 156, 34430 - 547
    assert (result.count_b, result.nobs_b) == (rest_count, rest_nobs)
    pooled = (156 + rest_count) / 34430
    z = (156 / 547 - rest_count / rest_nobs) / np.sqrt(pooled * (1 - pooled) * (1 / 547 + 1 / rest_nobs))
    assert result.z == pytest.approx(z)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert result.ci_low < result.difference < result.ci_high < 0


def test_member_versus_rest_refuses_different_years(frames: dict[str, pd.DataFrame], rates: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="same year|in its year"):
        metrics.member_versus_rest(rates, frames["reports"], JINSHAN_2023, SHANGHAI_2024, "unavailable_share")


def test_member_versus_rest_refuses_a_report_that_is_not_its_aggregate(
    frames: dict[str, pd.DataFrame], rates: pd.DataFrame
) -> None:
    with pytest.raises(ValueError, match="not an aggregate"):
        metrics.member_versus_rest(rates, frames["reports"], SHANGHAI_2023, JINSHAN_2023, "unavailable_share")


def test_nesting_finds_the_members_of_each_aggregate_in_the_same_year(frames: dict[str, pd.DataFrame]) -> None:
    pairs = set(metrics.nesting(frames["reports"]).itertuples(index=False, name=None))
    assert pairs == {(JINSHAN_2023, SHANGHAI_2023), (BAOSHAN_CENTRE_2023, SHANGHAI_2023)}


def test_disposition_mix_chi_square_of_member_against_rest(frames: dict[str, pd.DataFrame]) -> None:
    mix = metrics.disposition_mix(frames["requests"])
    assert mix.loc[JINSHAN_2023].tolist() == [258, 16, 19, 156, 4, 94]
    result = metrics.member_versus_rest_mix(mix, frames["reports"], JINSHAN_2023, SHANGHAI_2023)
    rest = (mix.loc[SHANGHAI_2023] - mix.loc[JINSHAN_2023]).astype(int).tolist()
    chi2, p_value, dof, _ = stats.chi2_contingency([[258, 16, 19, 156, 4, 94], rest])
    assert (result.chi2, result.p_value, result.dof) == (pytest.approx(chi2), pytest.approx(p_value), dof)


def test_compare_reports_of_one_agency_in_two_years(rates: pd.DataFrame) -> None:
    result = metrics.compare_reports(rates, "withdrawal_rate", SHANGHAI_2024, SHANGHAI_2023)
    assert result.difference == pytest.approx(6428 / 41480 - 5330 / 34430)
    assert result.ci_low < result.difference < result.ci_high
    assert 0 < result.p_value <= 1


def test_glm_says_honestly_the_corpus_is_too_small(frames: dict[str, pd.DataFrame], rates: pd.DataFrame) -> None:
    fit = metrics.rate_glm(rates, frames["reports"], "unavailable_share")
    assert not fit.fitted and fit.params is None
    assert "too few reports: 4" in fit.reason


def test_glm_recovers_a_year_trend_on_a_large_synthetic_corpus() -> None:
    rng = np.random.default_rng(1)
    n = 60
    reports = pd.DataFrame(
        {
            "report_id": [f"r{i}" for i in range(n)],
            "level": rng.choice(["district", "town"], n),
            "year": 2021 + np.arange(n) % 4,
        }
    )
    denominator = rng.integers(200, 2000, n)
    p = 1 / (1 + np.exp(-(-1.0 + 0.3 * (reports["year"] - 2021))))
    rates = pd.DataFrame(
        {
            "report_id": reports["report_id"],
            "applicant": "total",
            "rate": "unavailable_share",
            "numerator": rng.binomial(denominator, p),
            "denominator": denominator,
            "source": "table",
        }
    )
    fit = metrics.rate_glm(metrics.with_intervals(rates), reports, "unavailable_share")
    assert fit.fitted and fit.terms == ("level", "year")
    assert fit.params.loc["year", "estimate"] == pytest.approx(0.3, abs=0.05)
    assert fit.params.loc["year", "p_value"] < 1e-6


def test_funnel_limits_narrow_with_volume_and_contain_the_target() -> None:
    limits = metrics.funnel_limits(0.3, [10, 100, 10000], levels=[0.998])
    width = (limits["upper"] - limits["lower"]).to_numpy()
    assert (limits["lower"] <= 0.3).all() and (limits["upper"] >= 0.3).all()
    assert width[0] > width[1] > width[2]


def test_funnel_places_reports_against_the_pooled_rate(rates: pd.DataFrame) -> None:
    points, limits, target = metrics.funnel(rates, "withdrawal_rate")
    assert target == pytest.approx((84 + 5330 + 6428) / (547 + 34430 + 41480))
    assert set(points["report_id"]) == {JINSHAN_2023, SHANGHAI_2023, SHANGHAI_2024}
    assert set(points["position"]) <= {"above", "below", "within"}
    assert limits["volume"].min() <= 547 and limits["volume"].max() >= 41480


# --- The withdrawal proxy of a format-2019 report, odds ratios, Cramér's V, rates on every basis ----------------

PINGTAN = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pingtan"


@pytest.mark.skipif(not PINGTAN.is_dir(), reason="../shared/corpus/pingtan (format-2019 reports) is absent")
@pytest.mark.parametrize(
    "name", ["pingtan_management_committee_office_2019.txt", "pingtan_market_regulation_bureau_2020.txt"]
)
def test_a_format_2019_report_gets_the_same_withdrawal_proxy_from_narrative_and_metrics(name: str) -> None:
    from govstats.dataset import schema
    from govstats.dataset.pipeline import process_file
    from govstats.transform import narrative

    result = process_file(PINGTAN / name, name)
    assert result.report.format_version == codebook.FORMAT_2019
    expected = narrative.withdrawals(result.report, proxy=True)
    tables = {table: schema.frame(table, data) for table, data in result.tables.items()}  # the file's rows
    rates = metrics.report_rates(
        tables["requests"], tables["review_litigation"], tables.get("narrative"), withdrawal_proxy=True
    )
    row = metrics.rate_row(rates, name, "withdrawal_rate")
    assert expected.method == "proxy" and expected.value > 0
    assert (row["numerator"], row["source"]) == (expected.value, "proxy")


def test_the_proxy_is_the_single_other_row_of_a_one_row_report_else_3_other() -> None:
    rows = [
        ("old", "other", "other", 7),  # （六） printed as one row (format 2019)
        ("old", "total_processed", "", 50),
        ("new", "other_no_correction", "other", 1),
        ("new", "other_unpaid_fee", "other", 2),
        ("new", "other_other", "other", 3),
        ("new", "total_processed", "", 60),
    ]
    requests = pd.DataFrame(rows, columns=["report_id", "row", "group", "value"]).assign(applicant="total")
    cells = metrics.proxy_cells(requests)
    assert dict(zip(cells["report_id"], cells["row"], strict=True)) == {"new": "other_other", "old": "other"}


def test_odds_ratio_and_its_interval_bracket_the_ratio_of_the_odds() -> None:
    result = metrics.compare_counts(156, 547, 14186, 33883)
    odds = (156 / 391) / (14186 / (33883 - 14186))
    assert result.odds_ratio == pytest.approx(odds)
    assert result.or_low < odds < result.or_high


def test_cramers_v_is_zero_for_identical_mixes_and_grows_with_the_difference() -> None:
    same = metrics.mix_test(pd.Series({"a": 10, "b": 20}), pd.Series({"a": 20, "b": 40}))
    apart = metrics.mix_test(pd.Series({"a": 30, "b": 0}), pd.Series({"a": 0, "b": 30}))
    assert same.cramers_v == pytest.approx(0, abs=1e-9)
    assert apart.cramers_v > 0.9


def test_shanghai_2024_reconsideration_is_7_09_of_all_7_50_of_concluded_9_17_on_the_merits(
    frames: dict[str, pd.DataFrame], rates: pd.DataFrame
) -> None:
    from govstats.analysis import rates as definitions

    side = definitions.alternative_rates(frames["requests"], frames["review_litigation"], rates)
    chosen = side[(side["report_id"] == SHANGHAI_2024) & (side["rate"] == "reconsideration_correction_rate")]
    values = {row.basis: (row.numerator, row.denominator, round(row.value * 100, 2)) for row in chosen.itertuples()}
    assert values == {"all": (123, 1736, 7.09), "concluded": (123, 1639, 7.50), "merits": (123, 1341, 9.17)}


def test_shares_on_the_merits_leave_out_not_processed_and_other(frames: dict[str, pd.DataFrame], rates) -> None:
    from govstats.analysis import rates as definitions

    side = definitions.alternative_rates(frames["requests"], frames["review_litigation"], rates)
    row = side[
        (side["report_id"] == JINSHAN_2023) & (side["rate"] == "unavailable_share") & (side["basis"] == "merits")
    ]
    total = frames["requests"].query("report_id == @JINSHAN_2023 and applicant == 'total'")
    merits = total[total["group"].isin(["granted", "partially_granted", "withheld", "unavailable"])]["value"].sum()
    assert (row["numerator"].item(), row["denominator"].item()) == (156, merits)


def test_docs_rates_md_is_rendered_from_the_rates_data() -> None:
    from govstats.analysis import rates as definitions

    docs = Path(__file__).resolve().parents[1] / "docs" / "rates.md"
    assert docs.read_text(encoding="utf-8") == definitions.rates_markdown()


def test_cannot_provide_is_broad_and_not_held_is_strict_in_both_languages() -> None:
    from govstats.analysis import rates as definitions

    assert definitions.label("unavailable_share", "en") == "Cannot provide (broad)"
    assert definitions.label("unavailable_not_held_share", "en") == "Not held (strict)"
    assert definitions.label("unavailable_share", "zh").startswith("无法提供")
    assert definitions.label("unavailable_not_held_share", "zh").startswith("本机关不掌握")


def test_every_rate_of_the_one_rates_file_has_its_primary_basis_and_the_dataset_computes_each() -> None:
    from govstats.codebook import rates as codebook_rates
    from govstats.dataset import shapes

    assert [d.rate for d in shapes.rate_definitions()] == list(metrics.RATES) == list(codebook_rates.rate_names())
    assert set(metrics.SHARES) | set(metrics.CORRECTIONS) | {metrics.WITHDRAWAL_RATE} == set(metrics.RATES)
    bases = {(d.rate, d.basis) for d in codebook_rates.definitions()}
    assert ("reconsideration_correction_rate", "merits") in bases and ("unavailable_share", "merits") in bases


def test_a_selector_reads_back_as_written_and_a_malformed_one_is_an_error() -> None:
    from govstats.codebook.rates import Selector

    text = "review_litigation:proceeding=litigation_direct|litigation_after_reconsideration;outcome=corrected"
    selector = Selector.parse(text)
    assert str(selector) == text
    assert selector.codes("proceeding") == ("litigation_direct", "litigation_after_reconsideration")
    assert str(selector.where("outcome", "total")).endswith("outcome=total")
    for bad in ("requests", "requests:group", "requests:group=withheld|", ":group=withheld"):
        with pytest.raises(ValueError):
            Selector.parse(bad)


def test_a_share_for_one_applicant_column_counts_only_that_column() -> None:
    rows = [
        ("r", "granted", "granted", "natural", 3),
        ("r", "granted", "granted", "total", 5),
        ("r", "total_processed", "", "natural", 6),
        ("r", "total_processed", "", "total", 10),
    ]
    requests = pd.DataFrame(rows, columns=["report_id", "row", "group", "applicant", "value"]).assign(method="table")
    shares = metrics.report_rates(requests, applicant="natural")
    row = shares[shares["rate"] == "disclosed_share"].iloc[0]
    assert (row["numerator"], row["denominator"], row["applicant"]) == (3, 6, "natural")
