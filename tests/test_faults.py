"""Fault injection: govstats run as an adversary would run it. One test per way a batch was once lost, a user's file
deleted, code run from the cache, or a reason misstated (issue 14). Each failed on the code before the fix."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from conftest import RAW, ROOT

from govstats.cli import main
from govstats.dataset import cache as cache_module
from govstats.dataset import pipeline, survey
from govstats.dataset.build import build
from govstats.dataset.limits import Limits
from govstats.dataset.names import name_bytes, report_id
from govstats.dataset.outdir import MANIFEST
from govstats.dataset.pipeline import process_file
from govstats.errors import UsageError

JINSHAN = "000_26d4c64f71069daa.txt"
BAOSHAN = "003_e72d2a415b3bfbdb.txt"
FIXTURES = ROOT / "tests" / "fixtures"
ROW = "\t\t2.其他法律行政法规禁止公开\t0\t0\t0\t0\t0\t0\t0"


@pytest.fixture(autouse=True)
def private_cache_key(tmp_path, monkeypatch):
    monkeypatch.setenv(cache_module.KEY_ENVIRONMENT, str(tmp_path / "cache.key"))


def raw_with(tmp_path, files: dict[str | bytes, bytes], seeds: tuple[str, ...] = (BAOSHAN,)) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for seed in seeds:
        shutil.copy(RAW / seed, raw / seed)
    for name, data in files.items():
        path = os.path.join(os.fsencode(raw), name if isinstance(name, bytes) else name.encode())
        with open(path, "wb") as handle:
            handle.write(data)
    return raw


def log_of(out: Path) -> list[str]:
    return (out / "build_log.txt").read_text(encoding="utf-8").splitlines()


def reports_of(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "reports.parquet").set_index("report_id")


def baoshan_with(cell: str) -> bytes:
    text = (RAW / BAOSHAN).read_text(encoding="utf-8")
    assert ROW in text
    return text.replace(ROW, ROW.replace("\t0\t0\t0\t0\t0\t0\t0", f"\t{cell}\t0\t0\t0\t0\t0\t0", 1)).encode()


# --- crashes that aborted the whole build ---------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["0.5", "12345678901234567890"])
def test_a_decimal_or_20_digit_number_in_section_three_costs_only_its_file(tmp_path, cell):
    raw = raw_with(tmp_path, {"odd.txt": baoshan_with(cell)})
    summary = build(raw, tmp_path / "out")
    assert summary.documents == 2 and BAOSHAN in set(reports_of(tmp_path / "out").index)
    odd = reports_of(tmp_path / "out").loc["odd.txt"]
    if odd.status == "error":  # until such cells are flagged values, the file is one error row naming it
        assert odd.error.startswith("odd.txt: ")
    else:
        requests = pd.read_parquet(tmp_path / "out" / "requests.parquet")
        cell_row = requests[(requests.report_id == "odd.txt") & (requests.row == "withheld_prohibited_by_law")]
        assert cell in set(cell_row["raw"]), "the printed text is kept"


def test_a_failure_while_building_the_per_file_tables_is_that_files_error_row(tmp_path, monkeypatch):
    def broken(report, sha256):
        raise TypeError("cannot safely cast non-equivalent float64 to int64")

    monkeypatch.setattr(pipeline, "tables_of", broken)
    result = process_file(RAW / BAOSHAN, BAOSHAN)
    assert result.kind == "error" and result.error.startswith(f"{BAOSHAN}: internal error: TypeError")


def test_file_names_that_are_not_utf8_are_stored_losslessly_and_readably(tmp_path):
    gbk = "金山区2023年报告.txt".encode("gbk")
    raw = raw_with(tmp_path, {gbk: (RAW / JINSHAN).read_bytes()})
    summary = build(raw, tmp_path / "out")
    assert summary.errors == []
    escaped = report_id(gbk)
    assert escaped.startswith("\\xbd\\xf0") and name_bytes(escaped) == gbk
    assert reports_of(tmp_path / "out").loc[escaped, "agency"] == "上海市金山区"
    (line,) = [line for line in log_of(tmp_path / "out") if line.startswith(f"OK    {escaped}: ")]
    assert line.endswith("[name as GB18030: 金山区2023年报告.txt]")
    assert main(["parse", os.fsdecode(os.path.join(os.fsencode(raw), gbk)), "--json"]) == 0


CONCURRENT = """
import sys
from govstats.dataset.build import build
build(sys.argv[1], sys.argv[2], cache_dir=None)
"""


def test_two_builds_started_together_into_a_new_out_do_not_collide(tmp_path):
    raw = raw_with(tmp_path, {}, seeds=(JINSHAN, BAOSHAN))
    out = tmp_path / "new" / "processed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT, str(raw), str(out)], env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    errors = [child.communicate(timeout=300)[1].decode() for child in children]
    assert [child.returncode for child in children] == [0, 0], errors
    assert len(reports_of(out)) == 2
    assert sorted(p.name for p in out.parent.iterdir() if ".build-" in p.name) == []


# --- data loss --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_link", [False, True])
def test_out_that_is_a_file_or_a_symlink_to_one_is_refused_and_left_alone(tmp_path, as_link, capsys):
    raw = raw_with(tmp_path, {})
    target = tmp_path / "thesis.docx"
    target.write_bytes(b"two years of work")
    out = target
    if as_link:
        out = tmp_path / "processed"
        out.symlink_to(target)
    with pytest.raises(UsageError, match="is a file, not a folder"):
        build(raw, out)
    assert main(["build", "--raw", str(raw), "--out", str(out), "-q"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert target.read_bytes() == b"two years of work" and (not as_link or out.is_symlink())


def test_a_users_csv_in_out_survives_rebuilds(tmp_path):
    raw = raw_with(tmp_path, {})
    out = tmp_path / "out"
    build(raw, out)
    (out / "my_analysis.csv").write_text("agency,rate\nJinshan,0.28\n", encoding="utf-8")
    (out / "figures").mkdir()
    (out / "figures" / "plot.parquet").write_bytes(b"mine")
    build(raw, out)
    build(raw, out, layout="year")
    assert (out / "my_analysis.csv").read_text(encoding="utf-8") == "agency,rate\nJinshan,0.28\n"
    assert (out / "figures" / "plot.parquet").read_bytes() == b"mine"
    assert "my_analysis.csv" not in json.loads((out / MANIFEST).read_text(encoding="utf-8"))["entries"]


def test_a_folder_govstats_did_not_write_is_never_overwritten(tmp_path):
    raw = raw_with(tmp_path, {})
    out = tmp_path / "project"
    out.mkdir()
    (out / "reports.csv").write_text("my own reports table", encoding="utf-8")
    with pytest.raises(UsageError, match="not written by govstats"):
        build(raw, out)
    assert (out / "reports.csv").read_text(encoding="utf-8") == "my own reports table"


def test_readme_named_reports_are_parsed_and_every_skipped_file_says_why(tmp_path):
    report = (RAW / JINSHAN).read_bytes()
    files = {"README.md": b"# what this corpus is", "ReadMe_2023年报告.txt": report, ".hidden.txt": report}
    raw = raw_with(tmp_path, files)
    (raw / "sub").mkdir()
    (raw / "sub" / "README.txt").write_bytes(report)
    (raw / "MANIFEST.txt").write_bytes(report)  # named as the corpus's manifest, but it holds a report
    summary = build(raw, tmp_path / "out")
    parsed = set(reports_of(tmp_path / "out").index)
    assert {"ReadMe_2023年报告.txt", "sub/README.txt", "MANIFEST.txt", BAOSHAN} == parsed and summary.reports == 4
    log = log_of(tmp_path / "out")
    assert "SKIP  README.md: documentation" in log
    assert "SKIP  .hidden.txt: hidden file" in log
    assert log[-1].startswith("TOTAL 4 documents, 2 skipped;")


def test_an_unreadable_subfolder_is_reported_in_the_log(tmp_path, monkeypatch):
    raw = raw_with(tmp_path, {})
    (raw / "locked").mkdir()
    (raw / "locked" / "report.txt").write_bytes((RAW / JINSHAN).read_bytes())
    real_list = survey.list_folder

    def list_folder(path):  # as chmod 000 does for anyone but root
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_list(path)

    monkeypatch.setattr(survey, "list_folder", list_folder)
    build(raw, tmp_path / "out")
    assert "SKIP  locked: unreadable folder (Permission denied)" in log_of(tmp_path / "out")


def test_a_newline_in_a_file_name_stays_on_its_log_line(tmp_path):
    raw = raw_with(tmp_path, {"two\nlines\x1b[31m.txt": b""})
    build(raw, tmp_path / "out")
    log = log_of(tmp_path / "out")
    assert "ERROR two\\nlines\\x1b[31m.txt: empty file: the file has no content" in log
    assert len(log) == 3, log
    assert "two\\nlines\\x1b[31m.txt" in set(reports_of(tmp_path / "out").index)


# --- the cache --------------------------------------------------------------------------------------------------


class Planted:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


MARKER = Path("/tmp/govstats-planted-pickle-ran")


def test_a_planted_pickle_in_the_cache_runs_nothing(tmp_path):
    MARKER.unlink(missing_ok=True)
    raw = raw_with(tmp_path, {})
    cache = tmp_path / "cache"
    build(raw, tmp_path / "a", cache_dir=cache)
    (entry,) = cache.rglob("*.json")
    payload = pickle.dumps(Planted())
    entry.write_bytes(payload)
    entry.with_suffix(".pkl").write_bytes(payload)  # where entries used to be
    summary = build(raw, tmp_path / "b", cache_dir=cache)
    assert not MARKER.exists(), "the pickle ran"
    assert summary.cached == 0 and summary.errors == []
    assert oct(cache.stat().st_mode & 0o777) == "0o700"


def _tamper(entry: Path, new_value: int, sign: bool) -> None:
    """Change Jinshan's 550 new requests in a cache entry, as someone able to write the cache folder would."""
    signature, _, body = entry.read_bytes().partition(b"\n")
    document = json.loads(body)
    table = pa.ipc.open_stream(base64.b64decode(document["tables"]["requests"])).read_all().to_pandas()
    where = (table.row == "new_requests") & (table.applicant == "total")
    assert table.loc[where, "value"].tolist() == [550]
    table.loc[where, "value"] = new_value
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    document["tables"]["requests"] = base64.b64encode(sink.getvalue().to_pybytes()).decode()
    body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    if sign:  # even with the signing key, the re-run checks give it away
        signature = cache_module.Cache(entry.parent.parent)._signature(body)
    entry.write_bytes(signature + b"\n" + body)


@pytest.mark.parametrize("sign", [False, True])
def test_a_tampered_cache_entry_never_publishes_its_value(tmp_path, sign):
    raw = raw_with(tmp_path, {}, seeds=(JINSHAN,))
    cache = tmp_path / "cache"
    build(raw, tmp_path / "a", cache_dir=cache)
    (entry,) = cache.rglob("*.json")
    _tamper(entry, 5500, sign)
    summary = build(raw, tmp_path / "b", cache_dir=cache)
    assert summary.cached == 0, "the entry is rejected and the file parsed again"
    requests = pd.read_parquet(tmp_path / "b" / "requests.parquet")
    published = requests[(requests.row == "new_requests") & (requests.applicant == "total")]["value"]
    assert published.tolist() == [550]
    assert (tmp_path / "b" / "requests.parquet").read_bytes() == (tmp_path / "a" / "requests.parquet").read_bytes()


# --- determinism and resources ---------------------------------------------------------------------------------


def macro_enabled_docx() -> bytes:
    source = zipfile.ZipFile(FIXTURES / "003.docx")
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"document.macroEnabled.main+xml")
            target.writestr(item, data)
    return sink.getvalue()


def test_error_texts_hold_no_memory_address_and_rebuilds_are_byte_identical(tmp_path):
    raw = raw_with(tmp_path, {"macros.docx": macro_enabled_docx()})
    build(raw, tmp_path / "a")
    build(raw, tmp_path / "b")
    error = reports_of(tmp_path / "a").loc["macros.docx", "error"]
    assert error == "macros.docx: unknown format: a macro-enabled Word document (.docm); save it as .docx to read it"
    for name in ("reports.parquet", "reports.csv", "build_log.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_text_file_over_the_size_limit_is_an_error_row_read_no_further(tmp_path):
    raw = raw_with(tmp_path, {"huge.txt": (RAW / JINSHAN).read_bytes() * 200})  # 2.3 MB; the limit set to 1 MB
    tracemalloc.start()
    summary = build(raw, tmp_path / "out", limits=Limits(max_file_mb=1))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert summary.reports == 1
    assert (
        reports_of(tmp_path / "out")
        .loc["huge.txt", "error"]
        .startswith("huge.txt: too large: the file is 2.3 MB, over the limit of 1 MB (--max-file-mb)")
    )
    assert peak < 64 * 2**20


def test_a_200_mb_text_file_is_refused_by_the_default_limit_in_bounded_memory(tmp_path):
    path = tmp_path / "200mb.txt"
    with open(path, "wb") as handle:
        handle.truncate(200 * 2**20)  # sparse: 200 MB that take no disk
    tracemalloc.start()
    result = process_file(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.error == "200mb.txt: too large: the file is 200.0 MB, over the limit of 50 MB (--max-file-mb)"
    assert peak < 16 * 2**20


def zip_bomb(unpacked_mb: int) -> bytes:
    sink = io.BytesIO()
    fixture = zipfile.ZipFile(FIXTURES / "003.docx")
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in fixture.infolist():
            if item.filename != "word/document.xml":
                bomb.writestr(item, fixture.read(item))
        with bomb.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * 2**20
            for _ in range(unpacked_mb):
                member.write(block)
    return sink.getvalue()


def test_a_docx_zip_bomb_is_refused_from_its_directory_before_anything_is_unpacked(tmp_path):
    data = zip_bomb(300)
    assert len(data) < 2**20, "a zip of under 1 MB"
    path = tmp_path / "bomb.docx"
    path.write_bytes(data)
    tracemalloc.start()
    result = process_file(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.error.startswith(
        "bomb.docx: too large: a zip of 0.3 MB that would unpack to 301 MB (word/document.xml: 300 MB)"
    )
    assert peak < 32 * 2**20


def test_a_file_that_parses_too_long_is_stopped_and_the_batch_goes_on(tmp_path, monkeypatch):
    def endless(source):
        while True:
            pass

    raw = raw_with(tmp_path, {})
    monkeypatch.setattr(pipeline, "analyse", endless)
    result = process_file(raw / BAOSHAN, BAOSHAN, Limits(timeout_seconds=0.3))
    assert result.error == f"{BAOSHAN}: too slow: parsing took longer than the limit of 0.3 s (--file-timeout)"


def test_a_symlink_out_of_raw_is_not_followed_and_is_logged(tmp_path):
    secret = tmp_path / "elsewhere" / "private.txt"
    secret.parent.mkdir()
    secret.write_bytes((RAW / JINSHAN).read_bytes())
    raw = raw_with(tmp_path, {})
    (raw / "linked.txt").symlink_to(secret)
    (raw / "inside.txt").symlink_to(raw / BAOSHAN)
    build(raw, tmp_path / "out")
    assert "SKIP  linked.txt: symlink outside the raw folder" in log_of(tmp_path / "out")
    assert set(reports_of(tmp_path / "out").index) == {BAOSHAN, "inside.txt"}


# --- reasons that say what is wrong -------------------------------------------------------------------------------


def test_a_truncated_docx_says_it_is_truncated(tmp_path):
    data = (FIXTURES / "003.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(data[: len(data) // 2])
    assert process_file(path).error == (
        "cut.docx: damaged file: truncated Word document (its zip archive has no directory at the end)"
    )


def encrypted_pdf(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt="secret", invariant=1)
    pdf.drawString(72, 720, "2023 annual report, sections 2, 3 and 4")
    pdf.save()


def test_an_encrypted_pdf_says_it_is_password_protected(tmp_path):
    path = tmp_path / "locked.pdf"
    encrypted_pdf(path)
    assert process_file(path).error == (
        "locked.pdf: encrypted: the PDF is password-protected; save a copy without a password to read it"
    )


def test_traditional_chinese_and_big5_copies_are_read_in_simplified_characters(tmp_path):
    import opencc

    simplified = (RAW / BAOSHAN).read_text(encoding="utf-8")
    traditional = opencc.OpenCC("s2t").convert(simplified)
    assert "寶山區" in traditional
    for name, data in {"trad.txt": traditional.encode(), "big5.txt": traditional.encode("cp950", "replace")}.items():
        result = process_file(tmp_path.joinpath(name).write_bytes(data) and tmp_path / name)
        assert result.error is None, result.error
        assert result.report.agency == "上海市宝山区行政服务中心"
        assert [c.passed for c in result.checks if c.passed is False] == []
        original = process_file(RAW / BAOSHAN)
        values = lambda r: r.tables["requests"]["value"]  # noqa: E731
        assert values(result) == values(original), "every number as printed"
        assert result.report.problems[-1].endswith("Traditional Chinese, read in Simplified characters (OpenCC t2s)")


# --- arguments ----------------------------------------------------------------------------------------------------


def test_bad_paths_give_one_line_errors_and_a_nonzero_exit(tmp_path, capsys):
    raw = raw_with(tmp_path, {})
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x", encoding="utf-8")
    cases = {
        "raw data folder not found": ["--raw", str(tmp_path / "absent"), "--out", str(tmp_path / "o1")],
        "inside the raw folder": ["--raw", str(raw), "--out", str(raw / "processed")],
        "is not writable": ["--raw", str(raw), "--out", str(a_file / "out")],
        "--max-file-mb must be above 0": ["--raw", str(raw), "--out", str(tmp_path / "o2"), "--max-file-mb", "0"],
    }
    for message, arguments in cases.items():
        assert main(["build", *arguments, "-q"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("govstats: error: ") and message in err and err.count("\n") == 1, err
    assert main(["parse", str(tmp_path / "absent.txt")]) == 2
    assert "no such file" in capsys.readouterr().err
    command = [sys.executable, "-m", "govstats.cli", "build", "--raw", str(raw), "--out", "/proc/govstats/out"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode != 0 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_raw_is_never_written_and_its_hashes_are_unchanged_by_every_fault(tmp_path):
    before = {p.as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in RAW.rglob("*") if p.is_file()}
    build(RAW, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert {p.as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in RAW.rglob("*") if p.is_file()} == before
