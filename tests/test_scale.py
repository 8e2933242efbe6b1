"""`govstats build` at scale: parallel, cached and Dask builds give the same bytes; interrupted builds lose nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pandas as pd
import psutil
import pyarrow
import pyarrow.dataset
import pyarrow.parquet as pq
import pytest
from conftest import RAW, ROOT

import govstats
from govstats.cli import main
from govstats.dataset import build as build_module
from govstats.dataset import cache as cache_module
from govstats.dataset import datapackage, memory, outdir
from govstats.dataset.build import TABLES, build


def digest(folder) -> dict[str, str]:
    """Every file under ``folder`` (partition folders included) with the hash of its bytes."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def leftovers(out) -> list[str]:
    """Work folders of builds that should have been cleaned up."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.build-"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The seeds, one of them again in a subfolder, and a file that cannot be read."""
    raw = tmp_path_factory.mktemp("corpus") / "raw"
    # The seeds only: data/raw also holds the real reports and the Pingtan corpus since issue 12.
    shutil.copytree(RAW, raw, ignore=lambda folder, names: [n for n in names if not n.startswith("0")])
    (raw / "more").mkdir()
    shutil.copy(RAW / "003_e72d2a415b3bfbdb.txt", raw / "more" / "003_copy.txt")
    (raw / "garbage.txt").write_bytes(bytes(range(256)) * 8)
    return raw


@pytest.fixture(scope="module")
def serial(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "processed"
    summary = build(corpus, out)
    return out, summary


def test_parallel_and_cached_builds_are_byte_identical_to_the_serial_build(corpus, serial, tmp_path):
    out, summary = serial
    cache = tmp_path / "cache"
    cold = build(corpus, tmp_path / "cold", jobs=2, cache_dir=cache)
    warm = build(corpus, tmp_path / "warm", jobs=2, cache_dir=cache)
    warm_serial = build(corpus, tmp_path / "warm_serial", cache_dir=cache)
    assert (cold.cached, warm.cached, warm_serial.cached) == (0, summary.documents, summary.documents)
    expected = digest(out)
    assert {f"{name}.parquet" for name in TABLES} <= set(expected)
    for name in ("cold", "warm", "warm_serial"):
        assert digest(tmp_path / name) == expected, name


def test_spooling_in_many_small_parts_gives_the_same_bytes(corpus, serial, tmp_path, monkeypatch):
    monkeypatch.setattr(build_module, "SPOOL_ROWS", 10)  # a flush after nearly every file
    build(corpus, tmp_path / "out")
    assert digest(tmp_path / "out") == digest(serial[0])


def test_typing_files_rows_in_batches_of_any_size_gives_the_same_bytes(corpus, serial, tmp_path, monkeypatch):
    monkeypatch.setattr(build_module, "BATCH_ROWS", 1)  # every file's rows typed on their own
    build(corpus, tmp_path / "out")
    assert digest(tmp_path / "out") == digest(serial[0])


def test_the_derived_tables_computed_a_few_reports_at_a_time_hold_the_same_rows(corpus, serial, tmp_path, monkeypatch):
    monkeypatch.setattr(datapackage, "DERIVED_BATCH", 1)  # every report's wide row and rates on their own
    build(corpus, tmp_path / "out")
    for name in ("report_cells", "rates"):
        assert (tmp_path / "out" / f"{name}.csv").read_bytes() == (serial[0] / f"{name}.csv").read_bytes(), name
        expected = pd.read_parquet(serial[0] / f"{name}.parquet")
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / f"{name}.parquet"), expected)


def test_a_batch_of_reports_reads_only_the_row_groups_that_can_hold_them_and_loses_no_row(tmp_path):
    ids = [f"r{number:03d}" for number in range(40)]
    for order in (ids, ids[::2] + ids[1::2]):  # in report order (the build's), and out of it
        report_ids = [report for report in order for _ in range(3)]
        path = tmp_path / "rows.parquet"
        pq.write_table(pyarrow.table({"report_id": report_ids, "value": range(120)}), path, row_group_size=7)
        batch = ids[10:20]
        read = datapackage.read_rows(path, ["report_id", "value"], batch)
        assert read["value"].tolist() == [value for value, report in enumerate(report_ids) if report in batch]
    pq.write_table(pyarrow.table({"report_id": [report for report in ids for _ in range(3)]}), path, row_group_size=7)
    groups = datapackage._row_groups_between(pq.ParquetFile(path), (batch[0], batch[-1]))
    assert groups == [4, 5, 6, 7, 8]  # of 18: rows 30-59 (ten reports of three rows) in groups of seven rows


def test_the_build_allocates_from_the_system_pool_and_gives_the_callers_pool_back(corpus, tmp_path, monkeypatch):
    seen = []
    building = build_module._build_into

    def spy(*arguments):
        seen.append(pyarrow.default_memory_pool().backend_name)
        return building(*arguments)

    monkeypatch.setattr(build_module, "_build_into", spy)
    before = pyarrow.default_memory_pool().backend_name
    build(corpus, tmp_path / "out")
    assert seen == ["system"] and pyarrow.default_memory_pool().backend_name == before


def _arrow_allocator_in_a_fresh_interpreter(code: str, **variables: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != memory.ARROW_POOL_VARIABLE} | variables
    command = [sys.executable, "-c", code + "; print(pyarrow.default_memory_pool().backend_name)"]
    return subprocess.run(command, env=environment, capture_output=True, text=True, check=True).stdout.strip()


def test_importing_govstats_first_has_arrow_allocate_from_the_c_library():
    assert _arrow_allocator_in_a_fresh_interpreter("import govstats, pyarrow") == "system"


def test_a_users_own_arrow_allocator_is_kept():
    chosen = "jemalloc" if "jemalloc" in pyarrow.supported_memory_backends() else "mimalloc"
    kept = _arrow_allocator_in_a_fresh_interpreter("import govstats, pyarrow", ARROW_DEFAULT_MEMORY_POOL=chosen)
    assert kept == chosen


def test_govstats_changes_nothing_once_pyarrow_is_loaded():
    code = "import os, pyarrow, govstats; assert 'ARROW_DEFAULT_MEMORY_POOL' not in os.environ"
    assert _arrow_allocator_in_a_fresh_interpreter(code) == _arrow_allocator_in_a_fresh_interpreter("import pyarrow")


def test_the_build_fixes_glibcs_heap_thresholds_at_their_defaults(corpus, tmp_path, monkeypatch):
    if memory._MALLOPT is not None:  # glibc takes both settings (mallopt returns 1 on success)
        assert memory._MALLOPT(memory.M_MMAP_THRESHOLD, memory.DEFAULT_THRESHOLD) == 1
        assert memory._MALLOPT(memory.M_TRIM_THRESHOLD, memory.DEFAULT_THRESHOLD) == 1
    calls = []
    monkeypatch.setattr(memory, "_MALLOPT", lambda parameter, value: calls.append((parameter, value)))
    build(corpus, tmp_path / "out")
    assert calls == [(memory.M_MMAP_THRESHOLD, 128 * 1024), (memory.M_TRIM_THRESHOLD, 128 * 1024)]


def test_the_derived_tables_gather_batches_into_row_groups_of_a_set_size(corpus, serial, tmp_path, monkeypatch):
    monkeypatch.setattr(datapackage, "DERIVED_BATCH", 1)
    monkeypatch.setattr(datapackage, "DERIVED_GROUP_ROWS", 2)
    build(corpus, tmp_path / "out")
    reports = pq.ParquetFile(tmp_path / "out" / "report_cells.parquet").metadata
    assert [reports.row_group(g).num_rows for g in range(reports.num_row_groups)] == [2] * (reports.num_rows // 2) + (
        [1] if reports.num_rows % 2 else []
    )
    expected = pd.read_parquet(serial[0] / "report_cells.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "report_cells.parquet"), expected)


def test_rows_are_ordered_by_year_and_every_year_is_its_own_row_group(serial):
    out, _ = serial
    reports = pd.read_parquet(out / "reports.parquet")
    years = reports["year"].astype("Float64").fillna(float("inf"))
    assert years.is_monotonic_increasing
    metadata = pq.ParquetFile(out / "reports.parquet").metadata
    for group in range(metadata.num_row_groups):
        statistics = metadata.row_group(group).column(list(reports.columns).index("year")).statistics
        assert statistics.null_count == metadata.row_group(group).num_rows or statistics.min == statistics.max


def test_year_layout_is_hive_partitions_that_pandas_and_duckdb_read_as_the_same_tables(corpus, serial, tmp_path):
    out, _ = serial
    build(corpus, tmp_path / "by_year", layout="year")
    by_year = tmp_path / "by_year"
    assert (by_year / "requests.parquet" / "year=2023" / "part-0.parquet").is_file()
    unknown = by_year / "reports.parquet" / "year=__HIVE_DEFAULT_PARTITION__" / "part-0.parquet"
    assert unknown.is_file(), "the unreadable file has no year: Hive's null partition"
    assert "year" not in pq.read_schema(unknown).names, "the year is in the folder name, not in the files"
    # pyarrow cannot infer the type of a partition column with a null folder (pandas-dev/pandas#55400): say it
    hive = pyarrow.dataset.partitioning(pyarrow.schema([("year", pyarrow.int64())]), flavor="hive")
    for name in TABLES:
        whole = pd.read_parquet(out / f"{name}.parquet")
        partitioned = pd.read_parquet(by_year / f"{name}.parquet", partitioning=hive)
        assert set(partitioned.columns) == set(whole.columns) | {"year"}
        partitioned = partitioned[list(whole.columns)]
        if "year" in whole:
            partitioned = partitioned.astype({"year": whole["year"].dtype})  # int64 with nulls reads as float
        pd.testing.assert_frame_equal(partitioned, whole)
        assert (by_year / f"{name}.csv").read_bytes() == (out / f"{name}.csv").read_bytes()
    requests = pd.read_parquet(out / "requests.parquet")
    reports = pd.read_parquet(out / "reports.parquet")
    in_2023 = set(reports.loc[reports["year"] == 2023, "report_id"])
    with duckdb.connect() as connection:
        hive = f"read_parquet('{by_year}/requests.parquet/*/*.parquet', hive_partitioning = true)"
        total = connection.sql(f"select count(*) from {hive}")
        assert total.fetchall()[0][0] == len(requests)
        year = connection.sql(f"select distinct report_id from {hive} where year = 2023")
        assert {row[0] for row in year.fetchall()} == in_2023 & set(requests["report_id"])
        undated = f"read_parquet('{by_year}/reports.parquet/*/*.parquet', hive_partitioning = true)"
        nulls = connection.sql(f"select count(*) from {undated} where year is null").fetchall()[0][0]
        assert nulls == reports["year"].isna().sum() > 0


def test_dask_scheduler_gives_the_same_tables_as_the_serial_build(corpus, serial, tmp_path):
    pytest.importorskip("distributed")
    summary = build(corpus, tmp_path / "dask", jobs=2, scheduler="dask")
    assert summary.documents == serial[1].documents
    assert digest(tmp_path / "dask") == digest(serial[0])


def test_one_unreadable_file_is_reported_and_everything_else_is_built(serial):
    out, summary = serial
    assert summary.documents == 7 and summary.reports == 6
    assert len(summary.errors) == 1 and summary.errors[0].startswith("garbage.txt: ")
    reports = pd.read_parquet(out / "reports.parquet").set_index("report_id")
    assert reports.loc["garbage.txt", "status"] == "error"
    assert reports.loc["more/003_copy.txt", "agency"] == "上海市宝山区行政服务中心"
    assert "ERROR garbage.txt: " in (out / "build_log.txt").read_text(encoding="utf-8")


def test_a_failure_while_writing_leaves_the_previous_dataset_untouched(corpus, serial, tmp_path, monkeypatch):
    out = tmp_path / "processed"
    shutil.copytree(serial[0], out)
    before = digest(out)

    def broken(spool, name, schema, staging):
        (staging / f"{name}.csv").write_text("half a tab", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build_module, "_write_csv", broken)
    with pytest.raises(OSError, match="No space left"):
        build(corpus, out)
    assert digest(out) == before
    assert leftovers(out) == []
    assert len(govstats.load_dataset(out).reports) == 7


KILLED_BUILD = """
import sys, time
from pathlib import Path
from govstats.dataset import build as b
write = b._write_csv
def slow(spool, name, schema, staging):
    write(spool, name, schema, staging)
    Path(sys.argv[3]).touch()  # the first table of the new dataset is written: now kill me
    time.sleep(60)
b._write_csv = slow
b.build(sys.argv[1], sys.argv[2])
"""


def test_a_build_killed_while_writing_leaves_the_previous_dataset_readable(corpus, serial, tmp_path):
    out = tmp_path / "processed"
    shutil.copytree(serial[0], out)
    (out / "NOTES.md").write_text("kept by the user", encoding="utf-8")
    before = digest(out)
    marker = tmp_path / "writing"
    script = textwrap.dedent(KILLED_BUILD)
    child = subprocess.Popen([sys.executable, "-c", script, str(corpus), str(out), str(marker)])
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the child build never started writing"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert digest(out) == before
    assert len(govstats.load_dataset(out).requests) == len(pd.read_parquet(serial[0] / "requests.parquet"))
    assert leftovers(out), "the killed build's work folder is still there, to be cleaned by the next build"
    build(corpus, out)
    assert leftovers(out) == []
    assert digest(out) == before, "the same dataset, with the user's notes kept"


def test_a_rebuild_replaces_stale_tables_and_keeps_foreign_files(corpus, serial, tmp_path):
    out = tmp_path / "processed"
    shutil.copytree(serial[0], out)
    (out / "obsolete_table.parquet").write_bytes(b"from an older build")
    manifest = out / outdir.MANIFEST  # an older build that wrote a table this one does not
    listed = manifest.read_text(encoding="utf-8").replace(
        '"build_log.txt"', '"build_log.txt", "obsolete_table.parquet"', 1
    )
    manifest.write_text(listed, encoding="utf-8")
    (out / "README.md").write_text("notes", encoding="utf-8")
    build(corpus, out)
    assert not (out / "obsolete_table.parquet").exists()
    assert (out / "README.md").read_text(encoding="utf-8") == "notes"


def test_cache_entries_are_invalidated_by_a_code_change_and_survive_corruption(corpus, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = build(corpus, tmp_path / "a", cache_dir=cache)
    entries = sorted(cache.rglob("*.json"))
    assert first.cached == 0 and len(entries) == first.documents + len(first.skipped), (
        "and the documentation, read to see it is no report"
    )
    documents = [e for e in entries if json.loads(e.read_bytes().partition(b"\n")[2])["report_id"] != "README.md"]
    documents[0].write_bytes(b"truncated by a crash")
    second = build(corpus, tmp_path / "b", cache_dir=cache)
    assert second.cached == first.documents - 1
    assert digest(tmp_path / "b") == digest(tmp_path / "a")
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another version of the parser")
    assert build(corpus, tmp_path / "c", cache_dir=cache).cached == 0


def test_folders_that_would_overlap_are_refused(corpus, tmp_path):
    with pytest.raises(ValueError, match="raw folder"):
        build(corpus, corpus / "processed")
    with pytest.raises(ValueError, match="cache"):
        build(corpus, tmp_path / "out", cache_dir=tmp_path / "out" / ".cache")


def test_cli_build_with_jobs_cache_and_year_layout(corpus, tmp_path, capsys):
    argv = ["build", "--raw", str(corpus), "--out", str(tmp_path / "out"), "--jobs", "2", "--layout", "year", "-q"]
    assert main([*argv, "--cache", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr()
    assert "7 documents, 6 parsed, 1 not" in printed.out
    assert "error: garbage.txt: " in printed.err
    assert main([*argv, "--cache", str(tmp_path / "cache")]) == 0
    assert "(7 from the cache)" in capsys.readouterr().out
    assert (tmp_path / "out" / "reports.parquet" / "year=2024" / "part-0.parquet").is_file()


def test_without_an_atomic_exchange_a_crash_between_the_two_renames_is_undone(corpus, serial, tmp_path, monkeypatch):
    out = tmp_path / "processed"
    shutil.copytree(serial[0], out)
    before = digest(out)
    monkeypatch.setattr(outdir, "exchange", lambda first, second: False)  # a system without renameat2
    build(corpus, out)
    assert digest(out) == before and leftovers(out) == []

    def killed_between_renames(staging, out_dir, work):
        os.rename(out_dir, work / "previous")
        raise KeyboardInterrupt

    monkeypatch.setattr(outdir, "publish", killed_between_renames)
    with pytest.raises(KeyboardInterrupt):
        build(corpus, out)
    assert not out.exists() and len(leftovers(out)) == 1
    outdir.recover(out)  # what the next build does first
    assert digest(out) == before and leftovers(out) == []


def test_dask_scheduler_at_an_address_runs_on_that_cluster(corpus, serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        build(corpus, tmp_path / "dask", scheduler="dask", dask_address=cluster.scheduler_address)
        assert "run_chunk" in cluster.scheduler.task_prefixes, "the files were parsed on this cluster"
    assert digest(tmp_path / "dask") == digest(serial[0])


def test_the_memory_benchmark_counts_the_resident_memory_of_the_processes_a_build_starts(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import corpus

    me = psutil.Process()
    alone = corpus.tree_rss_mb(me)
    holder = "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); print(flush=True); input()"
    child = subprocess.Popen([sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdout.readline()  # its 200 MB are resident
        assert corpus.tree_rss_mb(me) - alone >= 190
    finally:
        child.communicate(b"\n")


def test_the_memory_benchmarks_peak_is_never_below_the_building_processs_own_max_rss(corpus, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import corpus as benchmark

    monkeypatch.setattr(benchmark, "tree_rss_mb", lambda process: 0.0)  # samples that missed every peak
    built = benchmark.build_in_child(corpus, tmp_path / "out", 1)
    assert built["documents"] > 0 and built["tree_peak_mb"] >= built["main_rss_mb"] > 0
