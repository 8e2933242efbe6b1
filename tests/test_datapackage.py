"""The built dataset as researchers receive it: a valid Frictionless data package generated from the one schema,
CSVs every reader types right, the wide and rates tables equal to what the long tables imply, every table by name."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import frictionless
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

import govstats
from govstats.dataset import datapackage, schema, shapes
from govstats.dataset.build import build
from tests.conftest import RAW, ROOT

JINSHAN_2023, SHANGHAI_2024, SHANGHAI_2023 = (
    "000_26d4c64f71069daa.txt",
    "002_279364b37d11c44d.txt",
    "004_f83caf973bd6f809.txt",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dataset") / "processed"
    build(RAW, out)
    return out


@pytest.fixture(scope="module")
def data(built):
    return govstats.load_dataset(built)


def _rate(data, report_id: str, rate: str) -> pd.Series:
    rates = data.rates
    return rates[(rates["report_id"] == report_id) & (rates["rate"] == rate)].iloc[0]


def test_the_data_package_validates_with_frictionless(built):
    report = frictionless.validate(built / "datapackage.json")
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])[:10]


def test_the_package_describes_every_table_from_the_schema(built):
    package = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    resources = {resource["name"]: resource for resource in package["resources"]}
    assert list(resources) == list(schema.table_names())
    for table, resource in resources.items():
        assert [f["name"] for f in resource["schema"]["fields"]] == schema.columns(table)
        types = [f["type"] + (f"<{f['itemType']}>" if "itemType" in f else "") for f in resource["schema"]["fields"]]
        assert types == [f.type for f in schema.fields(table)]
        assert resource["schema"]["missingValues"] == [""]
    requests = resources["requests"]["schema"]
    assert requests["primaryKey"] == ["report_id", "row", "applicant"]
    assert requests["foreignKeys"] == [
        {"fields": ["report_id"], "reference": {"resource": "reports", "fields": ["report_id"]}}
    ]
    candidates = next(f for f in requests["fields"] if f["name"] == "candidates")
    assert (candidates["type"], candidates["delimiter"], candidates["itemType"]) == ("list", "|", "string")
    status = next(f for f in requests["fields"] if f["name"] == "status")
    assert {"slash", "dash", "blank"} <= set(status["constraints"]["enum"])  # "/" and "-" are values, not missing
    assert next(f for f in requests["fields"] if f["name"] == "value")["unit"] == "requests"


def test_a_status_outside_the_vocabulary_and_a_dangling_report_id_fail_validation(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    requests = (copy / "requests.csv").read_text(encoding="utf-8").splitlines()
    requests[1] = requests[1].replace(",value,", ",zero,", 1)
    (copy / "requests.csv").write_text("\n".join(requests) + "\n", encoding="utf-8")
    proactive = (copy / "proactive.csv").read_text(encoding="utf-8").splitlines()
    plain = next(i for i, line in enumerate(proactive[1:], 1) if line.endswith(",,"))
    proactive[plain] += "1|x"  # a cell without identities or candidates: a candidate that is not a number
    (copy / "proactive.csv").write_text("\n".join(proactive) + "\n", encoding="utf-8")
    narrative = (copy / "narrative.csv").read_text(encoding="utf-8").splitlines()
    narrative[1] = "no_such_report.txt" + narrative[1][narrative[1].index(",") :]
    (copy / "narrative.csv").write_text("\n".join(narrative) + "\n", encoding="utf-8")
    report = frictionless.validate(copy / "datapackage.json")
    errors = {(task.name, error.type) for task in report.tasks for error in task.errors}
    assert ("requests", "constraint-error") in errors
    assert ("narrative", "foreign-key") in errors
    assert ("proactive", "type-error") in errors


def test_duckdb_reads_the_printed_run_as_text_with_the_packages_types(built):
    connection = duckdb.connect()
    sql = (built / "duckdb.sql").read_text(encoding="utf-8").replace("read_csv('", f"read_csv('{built}/")
    connection.execute(sql)
    raw_type = connection.sql(
        "select data_type from information_schema.columns where table_name = 'requests' and column_name = 'raw'"
    ).fetchall()[0][0]
    assert raw_type == "VARCHAR"
    runs = connection.sql(
        f"select distinct raw from requests where report_id = '{SHANGHAI_2023}' and length(raw) > 20"
    ).fetchall()
    assert ("32419165111295812234290",) in runs
    columns = datapackage.duckdb_columns("requests")
    typed = duckdb.sql(f"select raw from read_csv('{built / 'requests.csv'}', columns = {columns})")
    assert typed.types == ["VARCHAR"]


def test_the_long_tables_carry_the_reports_year_agency_level_and_region(data):
    reports = data.reports.set_index("report_id")
    for table in ("requests", "review_litigation", "proactive", "narrative"):
        frame = data[table]
        joined = reports.loc[frame["report_id"], ["year", "agency", "level", "region"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(frame[["year", "agency", "level", "region"]], joined, check_dtype=False)


def test_the_wide_table_holds_every_long_cell_value_and_status(data):
    wide = data.report_cells.set_index("report_id")
    assert list(wide.index) == sorted(data.reports.query("document == 'annual_report'")["report_id"])
    filled = 0
    for table, (prefix, first, second) in shapes.CELL_TABLES.items():
        for cell in data[table].itertuples(index=False):
            column = f"{prefix}__{getattr(cell, first)}__{getattr(cell, second)}"
            value = wide.at[cell.report_id, column]
            assert (pd.isna(value) and pd.isna(cell.value)) or value == cell.value, column
            assert wide.at[cell.report_id, column + "__status"] == cell.status, column
            filled += 1
    statuses = wide[[c for c in wide.columns if c.endswith("__status")]]
    assert int(statuses.notna().sum().sum()) == filled  # no wide cell that the long tables do not hold


def test_jinshan_2023_unavailable_share_is_28_52_percent_in_the_rates_table(data):
    row = _rate(data, JINSHAN_2023, "unavailable_share")
    assert (row["numerator"], row["denominator"], row["source"]) == (156, 547, "table")
    assert round(row["value"] * 100, 2) == 28.52


def test_shanghai_2024_withdrawal_rate_is_a_prose_figure_of_15_50_percent(data):
    row = _rate(data, SHANGHAI_2024, "withdrawal_rate")
    assert (row["numerator"], row["source"]) == (6428, "narrative")
    assert round(row["value"] * 100, 2) == 15.50


def test_shanghai_2023_reconsideration_correction_comes_from_the_prose_where_section_four_is_unrecoverable(data):
    row = _rate(data, SHANGHAI_2023, "reconsideration_correction_rate")
    assert (row["numerator"], row["denominator"], row["source"]) == (77, 1202, "narrative")


def test_every_share_equals_the_sum_of_its_long_cells_over_total_processed(data):
    requests = data.requests[data.requests["applicant"] == "total"]
    groups = {"withheld_share": ["withheld"], "unavailable_share": ["unavailable"], "other_share": ["other"]}
    for report_id, cells in requests.groupby("report_id"):
        processed = cells.loc[cells["row"] == "total_processed", "value"].iloc[0]
        if pd.isna(processed):
            continue  # the rate is empty and says why (tested below)
        for rate, codes in groups.items():
            row = _rate(data, report_id, rate)
            parts = cells.loc[cells["group"].isin(codes), "value"]
            if parts.isna().any():
                assert pd.isna(row["numerator"]), "a part that is not a number leaves the rate empty"
                continue
            assert row["numerator"] == parts.sum()
            assert row["denominator"] == processed


def test_the_interval_is_the_wilson_interval(data):
    for row in data.rates.dropna(subset=["ci_low"]).itertuples():
        low, high = proportion_confint(row.numerator, row.denominator, alpha=0.05, method="wilson")
        assert row.ci_low == pytest.approx(low, abs=1e-12) and row.ci_high == pytest.approx(high, abs=1e-12)
        assert row.interval == "wilson_95"


def test_a_rate_with_a_cell_that_is_not_a_number_is_empty_and_says_which():
    reports = schema.records_frame(
        "reports",
        [
            dict.fromkeys(schema.columns("reports"))
            | {"report_id": "r", "document": "annual_report", "status": "parsed", "year": 2023}
        ],
    )
    base = {"report_id": "r", "applicant": "total", "method": "table", "year": 2023}
    records = [
        base | {"row": "total_processed", "group": "", "value": 10, "status": "value"},
        base | {"row": "withheld_state_secret", "group": "withheld", "value": 1, "status": "value"},
        base | {"row": "withheld_process_info", "group": "withheld", "value": None, "status": "slash"},
    ]
    requests = schema.records_frame("requests", [dict.fromkeys(schema.columns("requests")) | r for r in records])
    tables = {"reports": reports, "requests": requests} | {
        name: schema.empty(name) for name in ("review_litigation", "proactive", "narrative")
    }
    rates = shapes.rates(tables).set_index("rate")
    assert pd.isna(rates.at["withheld_share", "numerator"]) and pd.isna(rates.at["withheld_share", "value"])
    assert rates.at["withheld_share", "detail"] == "requests row=withheld_process_info applicant=total is slash"


def test_load_dataset_returns_every_table_by_name_narrative_included(data, built):
    assert set(schema.table_names()) <= set(data.names())
    assert data.narrative is data["narrative"] and len(data.narrative)
    assert data.extra["narrative"] is data.narrative  # the earlier access still works
    assert list(data.requests.columns) == schema.columns("requests")
    assert {c: str(t) for c, t in data.requests.dtypes.items()} == schema.dtypes("requests")


def test_a_year_layout_reads_back_as_the_same_tables(built, data, tmp_path):
    out = tmp_path / "by_year"
    build(RAW, out, layout="year")
    by_year = govstats.load_dataset(out)
    for table in ("requests", "reports", "rates", "report_cells"):
        left = data[table].sort_values(schema.primary_key(table)).reset_index(drop=True)
        right = by_year[table].sort_values(schema.primary_key(table)).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right)
    plain = pd.read_parquet(out / "requests.parquet")  # every report of data/raw is dated: no null partition
    assert plain["year"].astype("Int64").tolist() == pd.read_parquet(built / "requests.parquet")["year"].tolist()


def test_a_hive_partition_folder_gives_its_year_back(tmp_path):
    folder = tmp_path / "requests.parquet"
    for name, year in (("year=2023", 2023), ("year=__HIVE_DEFAULT_PARTITION__", None)):
        (folder / name).mkdir(parents=True)
        pd.DataFrame({"report_id": [f"r{year}"]}).to_parquet(folder / name / "part-0.parquet")
    years = datapackage.read_table(folder)["year"].astype("Int64")
    assert years.iloc[0] == 2023 and pd.isna(years.iloc[1])


def test_the_readme_field_table_is_the_schemas_markdown():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- schema:start -->\n(.*?)<!-- schema:end -->", readme, re.S)
    assert found, "README.md has no <!-- schema:start --> … <!-- schema:end --> block"
    assert found.group(1).strip() == schema.markdown().strip()


def test_the_dataset_rates_are_the_rates_the_notebooks_compute(data):
    """One definition (codebook/rates.csv) read by one reader: the dataset and metrics.report_rates agree."""
    from govstats.analysis import metrics

    computed = metrics.report_rates(data.requests, data.review_litigation, data.narrative)
    joined = data.rates.merge(computed, on=["report_id", "rate"], suffixes=("", "_notebooks"), validate="1:1")
    assert len(joined) == len(data.rates) == len(computed[computed["report_id"].isin(data.rates["report_id"])])
    for column in ("numerator", "denominator", "value", "source"):
        left, right = joined[column], joined[f"{column}_notebooks"]
        same = (left == right).fillna(False) | (left.isna() & right.isna())
        assert same.all(), joined.loc[~same, ["report_id", "rate", column, f"{column}_notebooks"]]


def test_a_selector_naming_no_column_of_its_table_is_an_error():
    from govstats.codebook.rates import Selector

    with pytest.raises(KeyError):
        shapes._checked(Selector.parse("requests:grup=withheld;applicant=total"))


def test_an_unreadable_requests_total_leaves_the_withdrawal_rate_to_the_prose_in_both_readers():
    from govstats.analysis import metrics

    reports = schema.records_frame(
        "reports",
        [
            dict.fromkeys(schema.columns("reports"))
            | {"report_id": "r", "document": "annual_report", "status": "parsed", "year": 2023}
        ],
    )
    cell = {"report_id": "r", "applicant": "total", "row": "total_processed", "group": "", "value": None}
    requests = schema.records_frame(
        "requests", [dict.fromkeys(schema.columns("requests")) | cell | {"method": "table", "status": "slash"}]
    )
    figures = [
        {"report_id": "r", "key": "withdrawn", "value": 2},
        {"report_id": "r", "key": "requests_answered", "value": 40},
    ]
    narrative = schema.records_frame(
        "narrative", [dict.fromkeys(schema.columns("narrative")) | f | {"method": "narrative"} for f in figures]
    )
    tables = {"reports": reports, "requests": requests, "narrative": narrative} | {
        name: schema.empty(name) for name in ("review_litigation", "proactive")
    }
    dataset = shapes.rates(tables).set_index("rate").loc["withdrawal_rate"]
    notebooks = metrics.rate_row(metrics.report_rates(requests, None, narrative), "r", "withdrawal_rate")
    for row in (dataset, notebooks):
        assert (row["numerator"], row["denominator"], row["value"], row["source"]) == (2, 40, 0.05, "narrative")
    assert dataset["detail"].endswith("the prose figures are used")


def test_the_derived_memory_benchmark_measures_a_copy_and_leaves_the_build_as_it_was(built, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import derived_memory

    before = (built / "report_cells.parquet").read_bytes()
    lines = derived_memory.measure(built, every=1)
    first_batch = lines[3].split("|")
    assert first_batch[1].strip() == "1" and all(cell.strip().isdigit() for cell in first_batch[2:6])
    assert lines[-2].startswith("end: resident ")
    assert datapackage._derived_batches.__module__ == datapackage.__name__  # the build's own function is back
    assert (built / "report_cells.parquet").read_bytes() == before
