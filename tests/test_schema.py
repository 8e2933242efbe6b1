"""The dataset's tables follow the one schema (govstats/dataset/schema.csv): fields, order, dtypes, keys."""

from __future__ import annotations

import pytest

from govstats.dataset import schema
from govstats.dataset.pipeline import process_file
from tests.conftest import RAW


@pytest.fixture(scope="module")
def per_file_tables() -> dict:
    tables: dict = {}
    for name in ("000_26d4c64f71069daa.txt", "001_96c48407162921ce.txt", "002_279364b37d11c44d.txt"):
        for table, frame in process_file(RAW / name, name).tables.items():
            tables.setdefault(table, []).append(frame)
    return tables


def test_every_table_a_file_gives_has_the_schema_fields_in_order_and_dtype(per_file_tables):
    for table, frames in per_file_tables.items():
        for frame in frames:
            assert list(frame.columns) == schema.columns(table), table
            assert {c: str(t) for c, t in frame.dtypes.items()} == schema.dtypes(table), table


def test_the_primary_keys_identify_every_row(per_file_tables):
    for table, frames in per_file_tables.items():
        key = schema.primary_key(table)
        for frame in frames:
            if key:
                assert not frame.duplicated(key).any(), table


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
