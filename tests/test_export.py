"""`govstats export`: Stata with variable and value labels from the schema and codebook, R-friendly Parquet and
CSV with the same types, Excel-friendly CSV with a BOM — each read back."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govstats import cli, codebook
from govstats.dataset import schema
from govstats.dataset.export import export, readr_types
from tests.test_datapackage import built, data  # noqa: F401 (module fixtures: one build for both files)


@pytest.fixture(scope="module")
def stata(built, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("stata")
    export(built, out, "stata")
    return out


def _labels(path):
    with pd.io.stata.StataReader(path) as reader:
        return reader.variable_labels(), reader.value_labels()


def test_the_stata_file_has_the_schemas_descriptions_as_variable_labels(stata):
    variables, _ = _labels(stata / "requests.dta")
    assert variables["raw"] == schema.field("requests", "raw").description[:80]
    assert variables["value"] == schema.field("requests", "value").description[:80]


def test_the_stata_value_labels_are_the_codebook_labels(stata, data):  # noqa: F811
    frame = pd.read_stata(stata / "requests.dta")
    expected = data.requests["row"].map(lambda code: codebook.label("request_row", code, "en"))
    assert frame["row"].astype(str).tolist() == expected.tolist()
    assert frame["status"].astype(str).tolist() == data.requests["status"].tolist()
    _, values = _labels(stata / "requests.dta")
    assert codebook.label("request_row", "unavailable_not_held", "en") in values["row"].values()
    assert set(values["status"].values()) == {
        status for status in schema.vocabulary(schema.field("requests", "status"))
    }


def test_the_stata_file_keeps_numbers_blanks_and_printed_text(stata, data):  # noqa: F811
    frame = pd.read_stata(stata / "requests.dta", convert_categoricals=False)
    assert frame["value"].fillna(-1).tolist() == data.requests["value"].astype(float).fillna(-1).tolist()
    assert frame["raw"].tolist() == data.requests["raw"].fillna("").tolist()
    assert (frame["note"] == "").sum() == data.requests["note"].isna().sum()  # empty text columns export


def test_the_wide_table_in_stata_keeps_each_full_column_name_as_its_label(stata, data):  # noqa: F811
    variables, _ = _labels(stata / "report_cells.dta")
    assert list(variables.values()) == list(data.report_cells.columns)
    frame = pd.read_stata(stata / "report_cells.dta", convert_categoricals=False)
    column = list(data.report_cells.columns).index("requests__granted__total")
    read_back = frame.iloc[:, column].astype(float)
    wanted = data.report_cells["requests__granted__total"].astype(float)
    assert read_back.fillna(-1).tolist() == wanted.fillna(-1).tolist()  # missing is missing in both


def test_chinese_value_labels_on_request(built, tmp_path):  # noqa: F811
    export(built, tmp_path, "stata", tables=["requests"], language="zh")
    frame = pd.read_stata(tmp_path / "requests.dta")
    assert "本机关不掌握相关政府信息" in set(frame["row"].astype(str))


def test_the_r_parquet_has_factors_in_codebook_order_and_the_same_values(built, data, tmp_path):  # noqa: F811
    export(built, tmp_path, "r")
    table = pq.read_table(tmp_path / "requests.parquet")
    assert str(table.schema.field("row").type).startswith("dictionary")
    frame = table.to_pandas()
    assert list(frame["applicant"].cat.categories) == list(codebook.applicants())
    assert table.schema.field("candidates").type.value_type == pa.string()  # "blank" is a candidate too
    lists = {"candidates", "identities"}
    for name in lists:  # a list field is the "|"-joined text as a list; an empty one, an empty list
        assert ["|".join(map(str, items)) for items in frame[name]] == data.requests[name].fillna("").tolist()
    for name in set(data.requests.columns) - lists:  # an empty code (the balance rows' group) is NA in a factor
        assert _plain(frame[name]) == _plain(data.requests[name]), name
    back = pd.read_csv(
        tmp_path / "requests.csv", dtype=schema.dtypes("requests"), keep_default_na=False, na_values=[""]
    )
    assert {c: str(t) for c, t in back.dtypes.items()} == schema.dtypes("requests")
    script = (tmp_path / "read_govstats.R").read_text(encoding="utf-8")
    assert f'read_csv("requests.csv", col_types = "{readr_types("requests")}"' in script


def _plain(column: pd.Series) -> list:
    values = column.astype(object).where(column.notna(), None).tolist()
    return [None if value == "" else value for value in values]


def test_readr_types_follow_the_schema():
    assert readr_types("requests")[schema.columns("requests").index("raw")] == "c"
    assert readr_types("requests")[schema.columns("requests").index("value")] == "i"
    assert readr_types("checks")[schema.columns("checks").index("passed")] == "l"


def test_the_excel_csv_has_a_bom_and_reads_back_equal(built, data, tmp_path):  # noqa: F811
    assert cli.main(["export", "--format", "excel", "--data", str(built), "--out", str(tmp_path)]) == 0
    raw = (tmp_path / "requests.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    back = pd.read_csv(
        tmp_path / "requests.csv",
        encoding="utf-8-sig",
        dtype=schema.dtypes("requests"),
        keep_default_na=False,
        na_values=[""],
    )
    assert back["agency"].tolist() == data.requests["agency"].tolist()
    assert back["value"].tolist() == data.requests["value"].tolist()


def test_an_unknown_table_is_a_clear_error(built, tmp_path, capsys):  # noqa: F811
    assert cli.main(["export", "--format", "stata", "--data", str(built), "--out", str(tmp_path), "--table", "x"]) == 2
    assert "no table x" in capsys.readouterr().err
