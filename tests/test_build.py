"""`govstats build`: the tidy dataset, byte-identical rebuilds, per-file errors that cost nothing else."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest
from conftest import RAW

import govstats
from govstats.dataset.build import TABLES, build
from govstats.dataset.outdir import MANIFEST


def digest(folder) -> dict[str, str]:
    # Every file below the folder (data/raw/pingtan/ is a subfolder since issue 12).
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    summary = build(RAW, out)
    return out, summary


def test_build_writes_every_table_as_parquet_and_csv_with_codebook_and_log(dataset):
    out, _ = dataset
    for name in TABLES:
        assert (out / f"{name}.parquet").exists() and (out / f"{name}.csv").exists()
    assert (out / "codebook.csv").exists() and (out / "build_log.txt").exists()


def test_rebuild_is_byte_identical(dataset, tmp_path):
    out, _ = dataset
    build(RAW, tmp_path)
    assert digest(tmp_path) == digest(out)


def test_raw_folder_is_never_written(tmp_path):
    before = digest(RAW)
    build(RAW, tmp_path)
    assert digest(RAW) == before


def test_requests_table_is_long_with_provenance_and_nullable_integers(dataset):
    out, _ = dataset
    requests = pd.read_parquet(out / "requests.parquet")
    assert list(requests.columns) == [
        "report_id",
        "year",
        "agency",
        "level",
        "region",
        "row",
        "group",
        "applicant",
        "value",
        "status",
        "raw",
        "note",
        "source_file",
        "location",
        "method",
        "identities",
        "candidates",
    ]
    assert str(requests["value"].dtype) == "Int64"
    jinshan = requests[(requests.report_id == "000_26d4c64f71069daa.txt") & (requests.row == "unavailable_not_held")]
    assert jinshan.set_index("applicant")["value"]["total"] == 133
    assert set(jinshan["group"]) == {"unavailable"}
    unread = requests[requests.status == "unreadable"]
    assert unread["value"].isna().all(), "an unreadable cell is <NA>, never 0"


def test_one_unreadable_file_is_reported_and_everything_else_is_built(tmp_path):
    raw = tmp_path / "raw"
    # The seeds only: data/raw also holds the real reports and the Pingtan corpus since issue 12.
    shutil.copytree(RAW, raw, ignore=lambda folder, names: [n for n in names if not n.startswith("0")])
    (raw / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (raw / "zero.txt").write_bytes(b"")
    summary = build(raw, tmp_path / "out")
    assert summary.reports == 5, "four annual reports and one work plan are read"
    assert any(e.startswith("broken.pdf: ") for e in summary.errors)
    assert "zero.txt: empty file: the file has no content" in summary.errors
    reports = pd.read_parquet(tmp_path / "out" / "reports.parquet")
    assert reports.set_index("report_id").loc["zero.txt", "status"] == "error"
    log = (tmp_path / "out" / "build_log.txt").read_text(encoding="utf-8")
    assert "ERROR zero.txt: empty file" in log


def test_work_plan_goes_to_its_own_tables_not_the_report_tables(dataset):
    out, _ = dataset
    reports = pd.read_parquet(out / "reports.parquet").set_index("report_id")
    assert reports.loc["001_96c48407162921ce.txt", "document"] == "work_plan"
    tasks = pd.read_parquet(out / "work_plan_tasks.parquet")
    assert len(tasks) == 75
    requests = pd.read_parquet(out / "requests.parquet")
    assert "001_96c48407162921ce.txt" not in set(requests["report_id"])


def test_load_dataset_gives_the_tables_and_the_codebook(dataset):
    out, _ = dataset
    data = govstats.load_dataset(out)
    assert set(data.reports["report_id"]) >= {"000_26d4c64f71069daa.txt", "002_279364b37d11c44d.txt"}
    assert "label_en" in data.codebook.columns
    assert data["requests"] is data.requests


def test_read_report_gives_tidy_frames():
    tables = govstats.read_report(RAW / "003_e72d2a415b3bfbdb.txt")
    assert tables.report.agency == "上海市宝山区行政服务中心"
    assert len(tables.requests) == 25 * 7 and len(tables.review_litigation) == 15
    assert tables.checks["passed"].all()


def test_reports_table_is_each_reports_quality_summary(dataset):
    out, _ = dataset
    reports = pd.read_parquet(out / "reports.parquet").set_index("report_id")
    jinshan = reports.loc["000_26d4c64f71069daa.txt"]
    assert (jinshan.cells_table, jinshan.cells_recovered, jinshan.cells_unreadable) == (25 * 7 + 15 + 10, 0, 0)
    shanghai_2023 = reports.loc["004_f83caf973bd6f809.txt"]
    # Section 三 of the garbled copy has exactly one reading; section 二's 现行有效 of 规范性文件 is settled by its
    # prose ("有效行政规范性文件共2764件").
    assert shanghai_2023.cells_recovered == 25 * 7 + 1
    assert shanghai_2023.cells_narrative == 2, "reconsideration total and corrections come from the prose"
    assert shanghai_2023.cells_unreadable == 13, "the rest of section 四 admits no reading"


def test_the_manifest_lists_exactly_what_the_build_wrote(dataset):
    out, _ = dataset
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["entries"] == sorted(p.name for p in out.iterdir() if p.name != MANIFEST)


def test_the_log_accounts_for_every_file_of_raw(dataset):
    out, summary = dataset
    log = (out / "build_log.txt").read_text(encoding="utf-8").splitlines()
    assert "SKIP  README.md: documentation" in log, "the corpus's own README is said to be skipped, and why"
    assert "SKIP  pingtan/MANIFEST.tsv: documentation" in log, "so is a subfolder's manifest"
    named = sorted(line.split(":")[0].split(maxsplit=1)[1] for line in log[:-1] if not line.startswith(" "))
    assert named == sorted(p.relative_to(RAW).as_posix() for p in RAW.rglob("*") if p.is_file())
    checks = summary.checks_passed, summary.checks_failed, summary.checks_not_evaluable
    assert log[-1] == (
        f"TOTAL {summary.documents} documents, {len(summary.skipped)} skipped; "
        "checks {} passed, {} failed, {} not evaluable".format(*checks)
    )
