"""The dataset's tables follow the one schema (govstats/dataset/schema.csv): fields, order, dtypes, keys."""

from __future__ import annotations

import pandas as pd
import pytest

from govstats.dataset import schema
from govstats.dataset.pipeline import process_file
from tests.conftest import RAW


@pytest.fixture(scope="module")
def per_file_tables() -> dict:
    tables: dict = {}
    for name in ("000_26d4c64f71069daa.txt", "001_96c48407162921ce.txt", "002_279364b37d11c44d.txt"):
        for table, data in process_file(RAW / name, name).tables.items():
            tables.setdefault(table, []).append(data)
    return tables


def test_every_table_a_file_gives_has_the_schema_fields_in_order(per_file_tables):
    for table, parts in per_file_tables.items():
        for data in parts:
            assert list(data) == schema.columns(table), table


def test_a_batch_of_files_typed_at_once_has_the_schema_dtypes_and_the_rows_the_per_file_frames_had(per_file_tables):
    for table, parts in per_file_tables.items():
        batch = schema.arrow(table, schema.concat_columns(table, parts))
        assert (
            batch.schema == schema.arrow_schema(table) and batch.schema.metadata == schema.arrow_schema(table).metadata
        )
        frame = batch.to_pandas()
        assert {c: str(t) for c, t in frame.dtypes.items()} == schema.dtypes(table), table
        per_file = pd.concat([schema.frame(table, data) for data in parts], ignore_index=True)
        pd.testing.assert_frame_equal(frame, per_file)


def test_a_value_arrow_does_not_take_as_it_is_is_typed_as_pandas_types_it():
    record = dict.fromkeys(schema.columns("requests")) | {"raw": 12, "value": 3.0}
    typed = schema.arrow("requests", schema.record_columns("requests", [record])).to_pandas()
    pd.testing.assert_frame_equal(typed, schema.records_frame("requests", [record]))
    assert typed["raw"][0] == "12" and typed["value"][0] == 3


def test_the_primary_keys_identify_every_row(per_file_tables):
    for table, parts in per_file_tables.items():
        key = schema.primary_key(table)
        for data in parts:
            if key:
                assert not schema.frame(table, data).duplicated(key).any(), table


def test_an_empty_table_has_the_same_fields_and_dtypes():
    for table in schema.table_names():
        frame = schema.empty(table)
        assert frame.empty
        assert {c: str(t) for c, t in frame.dtypes.items()} == schema.dtypes(table)


def test_a_blank_cell_is_missing_not_zero_in_every_typed_column():
    frame = schema.records_frame("requests", [dict.fromkeys(schema.columns("requests"))])
    assert frame.isna().all(axis=None)


def test_an_unknown_table_is_a_clear_error():
    with pytest.raises(KeyError, match="no table 'request' in the dataset schema"):
        schema.columns("request")
