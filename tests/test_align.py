"""Structure recognition by alignment to the form (issue 12): headings and row labels found despite one deviation."""

from __future__ import annotations

from conftest import RAW

from govstats import codebook
from govstats.extract.text import read_text
from govstats.model import UNREADABLE, VALUE, Line, SourceText
from govstats.textnorm import compact
from govstats.transform.align import align_rows
from govstats.transform.detect import SECTION_HEADINGS, find_heading
from govstats.transform.parse import parse_source

JINSHAN = RAW / "000_26d4c64f71069daa.txt"
BAOSHAN = RAW / "003_e72d2a415b3bfbdb.txt"


def edited(path, old: str, new: str) -> SourceText:
    source = read_text(path)
    lines = [Line(line.text.replace(old, new), line.where) for line in source.lines]
    assert lines != source.lines, f"{old!r} is not in {path.name}"
    return SourceText(source.path, source.flavor, lines)


def requests(report) -> dict:
    return {(row, column): (c.status, c.value) for row, cs in report.requests.items() for column, c in cs.items()}


def test_a_heading_with_an_extra_character_is_still_section_four():
    text = compact("三、收到和处理政府信息公开申请情况……四、政府信息公开行政法复议、行政诉讼情况 行政复议")
    match = find_heading(text, "review_litigation")
    assert match is not None and match.method == "aligned" and 0.9 < match.confidence < 1
    assert text[match.start() :].startswith("四.政府信息公开行政法复议")


def test_a_seven_part_report_numbers_its_tables_four_and_five():
    text = compact(
        "三、主动公开政府信息情况 … 四、收到和处理政府信息公开申请情况 … 五、政府信息公开行政复议、行政诉讼情况 …"
    )
    assert text[SECTION_HEADINGS["requests"].search(text).start() :].startswith("四.收到和处理")
    assert text[SECTION_HEADINGS["review_litigation"].search(text).start() :].startswith("五.政府信息公开")


def test_section_four_is_found_by_its_table_when_its_heading_is_lost():
    text = compact(
        "（七）总计 3 0 0 0 0 0 3 四、结转下年度继续办理 0 0 0 0 0 0 0 "
        "行政复议 行政诉讼 结果维持 结果纠正 其他结果 尚未审结 总计"
    )
    match = find_heading(text, "review_litigation")
    assert match is not None and match.method == "content" and text[match.start() :].startswith("结果维持")


def test_the_preamble_listing_section_names_without_ordinals_is_no_heading():
    text = compact("报告全文由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况等部分组成。")
    assert find_heading(text, "requests") is None


def test_a_label_with_characters_missing_keeps_its_own_numbers():
    """2.其他法律行政止公开 (法规禁 missing): its row is found, and neither it nor its neighbour is lost."""
    clean = parse_source(read_text(JINSHAN))
    deviated = parse_source(edited(JINSHAN, "其他法律行政法规禁止公开", "其他法律行政止公开"))
    assert requests(deviated) == requests(clean)
    cell = deviated.requests["withheld_prohibited_by_law"]["natural_person"]
    assert "label aligned" in cell.location and "其他法律行政止公开" in cell.location


def test_an_exact_label_keeps_its_location_unchanged():
    report = parse_source(read_text(JINSHAN))
    assert all("aligned" not in c.location for cs in report.requests.values() for c in cs.values())


def test_a_weak_label_match_leaves_its_cells_to_the_identities():
    text = compact(
        "(一)予以公开 5 0 0 0 0 0 5 (二)部分公开 0 0 0 0 0 0 0 (三)不予公开 "
        "1.属于X家Y密 1 0 0 0 0 0 1 2.其他法律行政法规禁止公开 0 0 0 0 0 0 0"
    )
    rows = codebook.request_rows()
    found = align_rows(text, rows, 0, len(text))
    assert found["withheld_prohibited_by_law"].exact
    weak = found.get("withheld_state_secret")
    assert weak is None or weak.confidence < 0.85


def test_rows_of_a_weak_match_are_unreadable_not_guessed():
    deviated = parse_source(edited(JINSHAN, "1.属于国家秘密", "1.属于X家Y密"))
    cells = deviated.requests["withheld_state_secret"].values()
    assert all(c.status == UNREADABLE for c in cells) or all(
        c.status == VALUE and "aligned" in c.location for c in cells
    )


def test_sections_printed_out_of_order_are_read():
    source = read_text(BAOSHAN)
    texts = [line.text for line in source.lines]
    three = next(i for i, t in enumerate(texts) if "收到和处理政府信息公开申请" in t)
    four = next(i for i, t in enumerate(texts) if "行政复议" in t and i > three)
    five = next(i for i, t in enumerate(texts) if "存在的主要问题" in t and i > four)
    lines = source.lines[:three] + source.lines[four:five] + source.lines[three:four] + source.lines[five:]
    clean = parse_source(source)
    swapped = parse_source(SourceText(source.path, source.flavor, lines))
    assert requests(swapped) == requests(clean)
    assert swapped.review_litigation == clean.review_litigation


def test_a_file_holding_two_reports_says_so():
    first, second = read_text(BAOSHAN), read_text(JINSHAN)
    report = parse_source(SourceText("two.txt", "text", first.lines + second.lines))
    assert report.agency == "上海市宝山区行政服务中心"
    assert requests(report) == requests(parse_source(first))
    assert any(p.startswith("second report in the file") for p in report.problems)
