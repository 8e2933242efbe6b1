"""What a printed value is (issue 13): signs kept, footnote marks as notes, decimals and huge counts flagged."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from govstats import codebook, textnorm
from govstats.dataset import schema
from govstats.dataset.pipeline import process_file
from govstats.model import BLANK, DASH, RECOVERED, UNREADABLE, VALUE, Cell, Report, Token
from govstats.textnorm import NOTE_MARK_CLASS, NOTE_MARKS, normalize_line, replace_chars
from govstats.transform import recover
from govstats.transform.subset import degraded_requests
from govstats.transform.values import cell_of, read_tokens

APPLICANTS = codebook.applicants()
ROWS = [e.code for e in codebook.request_rows(codebook.FORMAT_2021)]


def tokens(text: str):
    return read_tokens(text, 0, len(text), lambda offset: f"char {offset}")


def test_normalize_line_keeps_footnote_marks_and_superscripts_apart_from_digits():
    assert normalize_line("43164①") == "43164①"
    assert normalize_line("18364²") == "18364²"
    assert normalize_line("１２３（注）\u3000") == "123(注) "  # full-width digits and brackets still fold


def test_normalize_line_is_nfkc_for_every_character_alone_and_after_a_full_width_letter():
    # The fast path replaces full-width forms first and runs NFKC only where something is left: it must give what
    # NFKC gives, for every code point, and where a combining mark follows a replaced form (Ａ + ́ → Á).
    for point in range(0x110000):
        if 0xD800 <= point < 0xE000 or chr(point) in NOTE_MARKS:
            continue
        char = chr(point)
        for text in (char, f"Ａ{char}", f"{char}，１"):
            assert normalize_line(text) == unicodedata.normalize("NFKC", text), hex(point)


def test_the_note_mark_character_class_is_exactly_the_note_marks():
    marks = re.compile(f"[{NOTE_MARK_CLASS}]")
    assert {chr(p) for p in range(0x110000) if not 0xD800 <= p < 0xE000 and marks.fullmatch(chr(p))} == NOTE_MARKS


def test_replace_chars_is_translate_for_single_characters():
    mapping = {"（": "(", "）": ")", "，": ","}
    text = "不予公开（其中：国家秘密），共3件"
    assert replace_chars(text, mapping) == text.translate(str.maketrans(mapping))


def test_a_footnote_mark_is_the_note_of_the_number_it_follows():
    (cell,) = [cell_of(t) for t in tokens("43164①")]
    assert (cell.value, cell.note) == (43164, "①")


def test_every_minus_sign_is_kept():
    values = [cell_of(t).value for t in tokens("88-720 −4 －15 35")]
    assert values == [88, -720, -4, -15, 35]
    assert cell_of(tokens("-")[0]).status == DASH  # a dash alone is "-", not a number


def test_a_decrease_printed_as_the_word_jian_is_a_negative_change_kept_as_printed():
    # Format 2019's 本年增/减: "行政事业性收费16减12" is 16 items last year and a change of -12, never +12.
    text = "行政事业性收费16减12第二十条"
    cells = [cell_of(t) for t in read_tokens(text, 0, len(text), lambda offset: "line 10")]
    assert [(c.value, c.raw) for c in cells] == [(16, "16"), (-12, "减12")]
    assert recover.splits("16减12", 2) == [(16, -12)]


def test_signed_runs_split_into_signed_numbers():
    assert recover.splits("35-15", 2) == [(35, -15)]
    assert recover.splits(["1", "-10"], 3) == [(1, -1, 0)]


def test_a_row_unique_on_its_own_is_recovered_though_the_section_breaks_its_arithmetic():
    """（一）予以公开6000017 can only be 6,0,0,0,0,1,7 whatever the other rows do."""
    runs = {row: "0000000" for row in ROWS}
    runs |= {"new_requests": "6000017", "total_processed": "6000017", "granted": "6000017"}
    runs["unavailable_not_held"] = "1000001"  # dispositions now sum to 8 against a printed 总计 of 7
    solution = degraded_requests(runs, ROWS, APPLICANTS, {})
    assert solution.values[("granted", "natural_person")] == {6}
    assert solution.values[("granted", "total")] == {7}
    assert solution.broken_sets  # the broken identities are named


def _garbled_report(runs: dict[str, str]) -> Report:
    report = Report(report_id="x.txt", format_version=codebook.FORMAT_2021)
    for row in ROWS:
        report.unread_rows[("requests", row)] = [Token(runs.get(row, "0000000"), "line 1")]
        report.requests[row] = {}
    return report


def test_a_source_error_is_a_failed_check_naming_row_and_column():
    runs = {"new_requests": "8000008", "total_processed": "8000008", "granted": "8000008"}
    runs["partially_granted"] = "1000000"  # 1,0,0,0,0,0,0: its total column says 0 where the row sums to 1
    report = _garbled_report(runs)
    results = recover.recover_report(report)
    failed = [r for r in results if r.passed is False and r.where != "requests"]
    assert failed and all("partially_granted" in r.detail for r in failed)
    assert report.requests["granted"]["natural_person"] == Cell(
        8, VALUE, "8000008", "line 1", RECOVERED, identities=("single_split",)
    )


def test_six_zeros_for_seven_cells_are_ambiguous_between_blank_and_zero_never_a_silent_zero():
    runs = {"new_requests": "1000001", "total_processed": "1000001", "granted": "1000001"}
    runs["other_other"] = "000000"  # a row printed with one cell empty (&nbsp;)
    report = _garbled_report(runs)
    recover.recover_report(report)
    cells = report.requests["other_other"]
    # Blank counts as nothing, so every place is possible: ambiguous with blank among the candidates, never 0.
    assert all(c.status == "ambiguous" and BLANK in c.candidates and 0 in c.candidates for c in cells.values())


def _report_file(tmp_path: Path, cell: str) -> Path:
    """A small clean report whose 三 has one cell printed as ``cell``."""
    lines = ["2023年政府信息公开工作年度报告", "一、总体情况", "二、主动公开政府信息情况"]
    lines.append("三、收到和处理政府信息公开申请情况")
    labels = [e.label_zh for e in codebook.request_rows(codebook.FORMAT_2021)]
    for index, label in enumerate(labels):
        values = ["0"] * 7
        if index == 2:
            values[0] = cell
        lines.append(label + " " + " ".join(values))
    lines += ["四、政府信息公开行政复议、行政诉讼情况", " ".join(["0"] * 15), "五、存在的主要问题及改进情况"]
    path = tmp_path / "report.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_decimal_a_twenty_digit_number_and_a_negative_in_section_3_are_flagged_never_a_crash(tmp_path):
    for printed, status in (("3.5", UNREADABLE), ("12345678901234567890", UNREADABLE), ("-4", VALUE)):
        result = process_file(_report_file(tmp_path, printed))
        assert result.error is None, result.error
        cell = result.report.requests["granted"]["natural_person"]
        assert cell.status == status and cell.raw.startswith(printed)
        flagged = [c for c in result.checks if c.check == "count_as_printed" and c.passed is False]
        assert [c.where for c in flagged] == ["requests.granted.natural_person"]
        assert schema.rows(result.tables["requests"]) > 0  # the rest of the report is built


def test_a_year_that_follows_a_row_without_a_break_is_prose_not_a_cell():
    text = "结转下年度继续办理20000022025年，我局共收到申请21件。"
    tokens = read_tokens(text, len("结转下年度继续办理"), len(text), lambda offset: "line 1")
    assert [t.text for t in tokens] == ["2000002"]


def test_a_year_inside_a_cells_note_is_kept_in_the_note():
    text = "17（其中2023年修订15件） 3 20"
    tokens = read_tokens(text, 0, len(text), lambda offset: "line 1")
    assert [t.text for t in tokens] == ["17", "3", "20"]
    assert tokens[0].note == "其中2023年修订15件"


# What report lines print that normalisation or the compact form treats apart: full-width forms, spaces of every
# width, quotes and 、, note marks, combining marks, line breaks, CJK, a character above the BMP, a lone surrogate.
_CHARACTERS = "a1 ２Ａ\u3000\u00a0\u200b\ufeff\t\n、，“”「」\"'²①ⅫﬁE\u0301办结\U0001f600\ud800"
_TRICKY = st.text(st.sampled_from(_CHARACTERS))


@given(st.lists(_TRICKY, max_size=6))
@example(["E\u0301", "²"])  # a line composed by NFKC beside a line whose note mark is kept apart character by character
def test_lines_normalised_together_are_each_line_normalised_alone(lines):
    assert textnorm.normalize_lines(lines) == [normalize_line(line) for line in lines]


@given(_TRICKY)
def test_the_compact_form_keeps_every_character_but_the_dropped_ones_and_maps_each_back(text):
    found = textnorm.Compact.of(text)
    kept = [offset for offset, character in enumerate(text) if character not in textnorm._DROP]
    assert found.offsets == kept and len(found.text) == len(kept)
