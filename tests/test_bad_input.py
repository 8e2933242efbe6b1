"""Bad input: a clear error naming the file, or a partial result with its missing cells listed; never a crash and
never a silent zero. Encodings seen in the wild are handled."""

from __future__ import annotations

import random

import pytest
from conftest import expected, mismatches, needs_expected, seed_path

from govstats.dataset.contract import report_json
from govstats.dataset.limits import Limits
from govstats.dataset.pipeline import process_file
from govstats.errors import EmptyFile, UndecodableBytes
from govstats.extract.text import _CJK, _report_characters, _report_share, decode, simplified, simplified_line

JINSHAN = "000_26d4c64f71069daa"


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_empty_file_gives_a_clear_error_naming_it(tmp_path):
    result = process_file(write(tmp_path, "empty.txt", b""))
    assert result.report is None
    assert result.error == "empty.txt: empty file: the file has no content"


def test_random_bytes_give_a_clear_error_naming_the_file(tmp_path):
    data = random.Random(7).randbytes(5000)
    result = process_file(write(tmp_path, "noise.bin", data))
    assert result.report is None
    assert result.error.startswith("noise.bin: ")
    assert "undecodable bytes" in result.error or "not a report" in result.error


def test_undecodable_bytes_are_named_as_such():
    with pytest.raises(UndecodableBytes, match="x.txt: undecodable bytes"):
        decode(b"\x81\x30" * 10 + b"\xff\xfe\xfd\x00\x01\x02" * 100, "x.txt")
    with pytest.raises(EmptyFile):
        decode(b"  \n ", "x.txt")


@needs_expected
@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16", "utf-8-sig"])
def test_copy_of_jinshan_in_another_encoding_parses_exactly(tmp_path, encoding):
    text = seed_path(JINSHAN).read_text(encoding="utf-8")
    result = process_file(write(tmp_path, f"jinshan-{encoding}.txt", text.encode(encoding)))
    assert result.report is not None, result.error
    document = report_json(result.report, result.checks)
    oracle = expected(JINSHAN)
    for section in ("proactive", "requests", "review_litigation"):
        assert mismatches(document, oracle, section) == []


@needs_expected
def test_shanghai_2024_cut_in_the_middle_of_section_three_lists_its_missing_cells(tmp_path):
    text = seed_path("002_279364b37d11c44d").read_text(encoding="utf-8")
    cut = text[: text.index("4.无正当理由大量反复申请")]
    result = process_file(write(tmp_path, "cut.txt", cut.encode("utf-8")))
    report = result.report
    assert report is not None, result.error
    assert report.requests["not_processed_publication"]["total"].value == 1, "what was printed is read"
    missing = [row for row, cells in report.requests.items() if all(c.status == "missing" for c in cells.values())]
    assert missing == [
        "not_processed_excessive",
        "not_processed_confirm_existing",
        "other_no_correction",
        "other_unpaid_fee",
        "other_other",
        "total_processed",
        "carried_forward",
    ]
    assert all(c.value is None for row in missing for c in report.requests[row].values()), "no silent zero"
    assert any(p.startswith("truncated table: section 三") for p in report.problems)
    assert all(c.passed is not False for c in result.checks), "a missing cell is not a failed identity"
    assert any(c.passed is None for c in result.checks)


def test_blank_slash_and_dash_cells_stay_distinguishable_and_missing(tmp_path):
    text = seed_path("003_e72d2a415b3bfbdb").read_text(encoding="utf-8")
    row = "\t\t2.其他法律行政法规禁止公开\t0\t0\t0\t0\t0\t0\t0"
    assert row in text
    text = text.replace(row, "\t\t2.其他法律行政法规禁止公开\t/\t-\t\t0\t0\t0\t0")
    report = process_file(write(tmp_path, "marks.txt", text.encode("utf-8"))).report
    cells = report.requests["withheld_prohibited_by_law"]
    assert [cells[c].status for c in ("natural_person", "commercial_enterprise", "research_institution")] == [
        "slash",
        "dash",
        "blank",
    ]
    assert [cells[c].value for c in ("natural_person", "commercial_enterprise", "research_institution")] == [
        None,
        None,
        None,
    ]
    assert cells["other_org"].value == 0


def test_a_file_that_cannot_be_opened_is_reported_not_raised(tmp_path):
    result = process_file(tmp_path / "absent.txt")
    assert result.report is None and result.error.startswith("absent.txt: cannot be opened")


@needs_expected
def test_utf8_copy_cut_in_the_middle_of_a_character_gives_a_partial_report(tmp_path):
    data = seed_path("002_279364b37d11c44d").read_bytes()
    cut = data[: data.index("4.无正当理由大量反复申请".encode()) + 4]  # inside the three bytes of 无
    result = process_file(write(tmp_path, "cut-mid-character.txt", cut))
    report = result.report
    assert report is not None, result.error
    assert "encoding: utf-8 (1 undecodable bytes replaced)" in report.problems
    assert report.requests["not_processed_publication"]["total"].value == 1
    assert all(c.status == "missing" for c in report.requests["carried_forward"].values())


def _traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


@pytest.mark.parametrize(
    "text",
    ["", "abc", "政府信息公开工作年度报告", "畐跋" * 50 + "政府", "😀政😀府𠀀信" * 3, "年" * 30_000, "ａ年\ud800报告"],
)
def test_report_share_counts_the_chinese_characters_of_the_first_20000(text):
    """The share counted on UTF-16 code units is the share of the characters _CJK finds (surrogates never count)."""
    chinese = _CJK.findall(text[:20_000])
    share = sum(char in _report_characters() for char in chinese) / len(chinese) if chinese else 1.0
    assert _report_share(text) == share


def test_big5_bytes_are_decoded_as_big5_not_as_the_gb18030_nonsense_they_also_decode_to():
    traditional = _traditional(seed_path("003_e72d2a415b3bfbdb").read_text(encoding="utf-8"))
    data = traditional.encode("cp950", errors="replace")
    assert data.decode("gb18030"), "the same bytes are valid GB18030: only the characters tell them apart"
    text, encoding = decode(data, "big5.txt")
    assert encoding == "big5" and "上海市寶山區行政服務中心" in text


def test_gbk_reports_are_still_read_as_gb18030():
    for seed in ("000_26d4c64f71069daa", "001_96c48407162921ce", "004_f83caf973bd6f809"):
        text = seed_path(seed).read_text(encoding="utf-8")
        assert decode(text.encode("gbk", errors="replace"), "gbk.txt")[1] == "gb18030"


def test_traditional_text_becomes_simplified_and_digits_and_marks_never_change():
    line = "收到和處理政府資訊公開申請情況\t１７（其中修訂15件）\t/\t-\t4.70%"
    converted = simplified_line(line)
    assert converted == "收到和处理政府资讯公开申请情况\t１７（其中修订15件）\t/\t-\t4.70%"
    text = "\n".join([line] * 5)
    assert simplified(text) == "\n".join([converted] * 5)
    assert simplified(seed_path("003_e72d2a415b3bfbdb").read_text(encoding="utf-8")) is None, "Simplified stays"


def test_a_file_over_the_size_limit_is_an_error_naming_the_limit(tmp_path):
    result = process_file(write(tmp_path, "big.txt", b"x" * 300_000), limits=Limits(max_file_mb=0.25))
    assert result.error == "big.txt: too large: the file is 0.3 MB, over the limit of 0.25 MB (--max-file-mb)"
