"""Bad input never escapes: every mangled file gives a report (with its failed checks) or a clear error naming it.

Hypothesis mangles the seeds the ways files are mangled in the wild: truncation, flipped bytes, shuffled and
duplicated lines, the wrong encoding, random bytes, random text made of report vocabulary, and huge or empty files.
File names are drawn as arbitrary bytes too (GBK from a Windows zip, control characters, newlines): each must give
a printable, lossless report id and rows that Arrow can store. Inputs are kept small (the shortest seed, windows of
the others) so that over 10,000 cases run in CI in about a minute. "A clear error" is a GovstatsError's message
(``<file>: <reason>``), never ``internal error``: that is an exception escaping the parser, which process_file only
contains so one bad file cannot cost a build.

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (the default: every count below, derandomized so CI is repeatable),
``dev`` (a tenth of the cases, for a quick run), ``deep`` (ten times as many, random, for a night).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
from conftest import HYPOTHESIS_PROFILE as PROFILE
from conftest import HYPOTHESIS_PROFILES as PROFILES
from conftest import RAW
from hypothesis import given, settings
from hypothesis import strategies as st

from govstats import codebook
from govstats.dataset import schema
from govstats.dataset.build import build
from govstats.dataset.names import name_bytes, report_id
from govstats.dataset.parallel import log_entry, prepare
from govstats.dataset.pipeline import Processed, process_file

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = {path.name: path.read_bytes() for path in sorted(RAW.glob("0*.txt"))}
SHORT = SEEDS["003_e72d2a415b3bfbdb.txt"]  # the shortest whole report (3 KB of text)
SCRATCH = Path(tempfile.mkdtemp(prefix="govstats-robustness-"))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)


def fast(examples: int) -> settings:
    """``examples`` cases under the ci profile, scaled under the others."""
    return settings(max_examples=max(1, int(examples * PROFILES.get(PROFILE, 1.0))))


def run(data: bytes, name: str = "case.txt") -> Processed:
    path = SCRATCH / name
    path.write_bytes(data)
    return process_file(path, name)


def assert_clean(result: Processed, name: str = "case.txt", storable: bool = False) -> None:
    """A report or work plan with its rows, or one error that names the file and says what is wrong with it (and,
    if ``storable``, rows that Arrow can store and one log line: what a build makes of it)."""
    if storable and result.error is None:  # the rows as a build stores them, and the log line
        outcome = prepare(result, 0.0, cached=False)
        assert "\n" not in outcome.log.line() and schema.rows(outcome.tables["reports"]) == 1
        for name, data in outcome.tables.items():
            assert schema.arrow(name, data).num_rows == schema.rows(data)
    elif storable:  # an error row holds the id and the error text: both must be storable (no lone surrogates)
        assert pa.array([result.report_id, result.error], pa.string()).null_count == 0
        assert "\n" not in log_entry(result).line()
    if result.error is None:
        assert result.kind in ("annual_report", "work_plan")
        assert "reports" in result.tables and schema.rows(result.tables["reports"]) == 1
        assert all(isinstance(values, list) for data in result.tables.values() for values in data.values())
        assert all(check.passed in (True, False, None) for check in result.checks)
        return
    assert result.kind == "error" and result.report is None
    assert result.error.startswith(f"{name}: "), result.error
    assert "internal error" not in result.error, result.error
    assert len(result.error) > len(name) + 4


def window(seed: bytes, start: int, size: int) -> bytes:
    text = seed.decode("utf-8")
    start = start % max(1, len(text))
    return text[start : start + size].encode("utf-8")


seeds = st.sampled_from(sorted(SEEDS.values()))


@fast(300)
@given(seed=seeds, cut=st.floats(0, 1))
def test_truncated_files(seed, cut):
    assert_clean(run(seed[: int(len(seed) * cut)]))


@fast(1200)
@given(start=st.integers(0, 10_000), flips=st.lists(st.tuples(st.integers(0, 1199), st.integers(1, 255)), max_size=6))
def test_flipped_bytes(start, flips):
    data = bytearray(window(SHORT, start, 1200) if start % 8 else SHORT)  # whole reports are slower
    for position, mask in flips:
        if data:
            data[position % len(data)] ^= mask
    assert_clean(run(bytes(data)))


@fast(1500)
@given(data=st.data())
def test_shuffled_and_duplicated_lines(data):
    lines = SHORT.split(b"\n")
    chosen = data.draw(st.lists(st.integers(0, len(lines) - 1), max_size=len(lines) + 10), label="line order")
    assert_clean(run(b"\n".join(lines[i] for i in chosen)))


ENCODINGS = ["utf-16-le", "utf-16-be", "utf-16", "utf-32", "gb18030", "gbk", "big5", "shift_jis", "euc-kr", "cp1252"]


@fast(1000)
@given(seed=seeds, start=st.integers(0, 10_000), size=st.integers(0, 1500), encoding=st.sampled_from(ENCODINGS))
def test_wrong_and_unusual_encodings(seed, start, size, encoding):
    text = window(seed, start, size).decode("utf-8")
    assert_clean(run(text.encode(encoding, errors="replace")))


@fast(3500)
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".txt", ".html", ".docx", ".pdf", ".doc", ""]))
def test_random_bytes_under_every_suffix(data, suffix):
    assert_clean(run(data, f"case{suffix}"), f"case{suffix}")


def _vocabulary() -> list[str]:
    """Words of real reports: section headings, every label of the codebook, numbers, notes, separators."""
    words = ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"]
    words += ["一、总体情况", "五、存在的主要问题及改进情况", "2023年", "上海市金山区", "政府信息公开工作年度报告"]
    frame = codebook.codebook_frame()
    words += [str(label) for label in frame["label_zh"].dropna()]
    words += [f"{row.ordinal}{row.label_zh}" for row in frame.itertuples() if isinstance(row.ordinal, str)]
    return words + ["0", "1", "17", "1994", "2095", "/", "-", "（其中修订15件）", "总计", "\t", "  ", "占4.70%"]


VOCABULARY = _vocabulary()
lines_of_words = st.lists(st.lists(st.sampled_from(VOCABULARY), max_size=8).map("\t".join), max_size=20)


@fast(1500)
@given(lines=lines_of_words)
def test_random_reports_made_of_report_vocabulary(lines):
    assert_clean(run("\n".join(lines).encode("utf-8")))


@fast(150)
@given(
    name=st.sampled_from(sorted(p.name for p in FIXTURES.glob("*") if p.suffix in (".html", ".docx"))),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), max_size=3),
)
def test_html_and_docx_truncated_or_flipped(name, cut, flips):
    data = bytearray((FIXTURES / name).read_bytes())
    data = data[: max(1, int(len(data) * cut))] if cut < 0.5 else data
    for where, mask in flips:
        data[min(len(data) - 1, int(len(data) * where))] ^= mask
    target = f"case{Path(name).suffix}"
    assert_clean(run(bytes(data), target), target)


# A file name: any bytes but "/" and NUL (the two a POSIX name cannot hold), not "." or "..".
name_bytes_strategy = (
    st.one_of(
        st.binary(min_size=1, max_size=40),
        st.text(min_size=1, max_size=20).map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.text(alphabet="金山区年度报告政府信息公开", min_size=1, max_size=12).map(lambda t: t.encode("gbk")),
    )
    .map(lambda raw: raw.replace(b"/", b"_").replace(b"\0", b"_"))
    .filter(lambda raw: raw not in (b".", b".."))
)


@fast(1000)
@given(raw_name=name_bytes_strategy, start=st.integers(0, 10_000))
def test_file_names_of_any_bytes_give_lossless_printable_ids_and_storable_rows(raw_name, start):
    path = os.path.join(os.fsencode(SCRATCH), raw_name)
    with open(path, "wb") as handle:
        handle.write(window(SHORT, start, 200) if start % 50 else SHORT)  # a whole report now and then: the rows
    try:
        result = process_file(os.fsdecode(path), os.fsdecode(raw_name))
    finally:
        os.remove(path)
    escaped = report_id(raw_name)
    assert result.report_id == escaped and name_bytes(escaped) == raw_name
    assert escaped.encode("utf-8") and not any(ch in escaped for ch in "\n\r\t\x00\x1b\x7f\x85\u2028")
    assert_clean(result, escaped, storable=True)


@fast(15)
@given(names=st.lists(name_bytes_strategy, min_size=1, max_size=4, unique_by=lambda raw: raw.lower()))
def test_a_build_over_files_of_any_names_accounts_for_each_on_one_log_line(names):
    raw = Path(tempfile.mkdtemp(dir=SCRATCH))
    out = Path(tempfile.mkdtemp(dir=SCRATCH)) / "out"
    for number, raw_name in enumerate(names):
        with open(os.path.join(os.fsencode(raw), raw_name), "wb") as handle:
            handle.write(SHORT if number % 2 == 0 else b"")
    summary = build(raw, out)
    log = (out / "build_log.txt").read_text(encoding="utf-8").splitlines()
    read = [
        name
        for name in names
        if not name.startswith(b".") and name.split(b".")[0].upper() not in (b"README", b"MANIFEST")
    ]
    assert summary.documents == len(read)
    assert len(log) == len(names) + 1, log
    assert set(pd.read_parquet(out / "reports.parquet")["report_id"]) == {report_id(name) for name in read}
    shutil.rmtree(raw)
    shutil.rmtree(out.parent)


def test_huge_empty_and_degenerate_files_each_give_a_report_or_a_clear_error(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    cases = {
        "empty.txt": b"",
        "blank.txt": b" \n\t\r\n" * 1000,
        "nul.txt": b"\0" * 10_000,
        "huge_line.txt": b"1" * 1_000_000,
        "huge_report.txt": SHORT * 60,  # a report pasted 60 times: 470 KB
        "huge_random.html": bytes(range(256)) * 4000,
        "bom_only.txt": b"\xef\xbb\xbf",
        "utf16_bom_odd.txt": b"\xff\xfe" + SHORT[:101],
        "truncated.pdf": (FIXTURES / "000.pdf").read_bytes()[:5000],
        "not_a_zip.docx": SHORT,
    }
    for name, data in cases.items():
        (raw / name).write_bytes(data)
        assert_clean(process_file(raw / name, name), name)
    summary = build(raw, tmp_path / "out")  # and nothing escapes the build either
    assert summary.documents == len(cases)
    reports = pd.read_parquet(tmp_path / "out" / "reports.parquet")
    assert sorted(reports["report_id"]) == sorted(cases)
    errors = reports.set_index("report_id")["error"].dropna()
    assert all(error.startswith(f"{name}: ") for name, error in errors.items())
