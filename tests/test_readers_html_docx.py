"""The HTML and DOCX readers: merged cells, blanks, "/", notes, encodings, continued tables; and the rendered
fixtures (tests/fixtures/<seed>.html, .docx) parsed cell-exact against ../shared/expected."""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

import docx
import pytest
from conftest import ROOT, expected, needs_expected
from docx.enum.text import WD_BREAK
from hypothesis import given
from hypothesis import strategies as st

from govstats import codebook
from govstats.errors import UnknownFormat
from govstats.extract import cells, read_source, sniff
from govstats.extract.cells import clean, join_pieces
from govstats.extract.docx import read_docx
from govstats.extract.html import decode_html, read_html
from govstats.model import VALUE

sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))

FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = {"000": "000_26d4c64f71069daa", "002": "002_279364b37d11c44d", "003": "003_e72d2a415b3bfbdb"}
SEED_004 = "004_f83caf973bd6f809"


def rows(source) -> list[tuple[str, list[str]]]:
    """The table lines of a source as (where, fields)."""
    return [(line.where, line.text.split("\t")) for line in source.lines if line.where.startswith("table")]


def prose(source) -> list[str]:
    return [line.text for line in source.lines if line.where.startswith("paragraph")]


def html(body: str, head: str = "") -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


# --- cell text ----------------------------------------------------------------------------------------------------


def test_clean_drops_padding_and_joins_wrapped_chinese_without_spaces():
    assert clean("\xa0\u3000 17 \u200b") == "17"
    assert clean("本年新收政府\r\n   信息公开申请数量") == "本年新收政府信息公开申请数量"
    assert clean("结果 维持") == "结果 维持"  # a printed space is kept (one), only line breaks vanish
    assert clean("Total\n cases") == "Total cases"


def _clean_by_the_rule(text: str) -> str:
    """clean() as the rule states it: every whitespace run judged by _collapse, invisible characters dropped first."""
    text = "".join(char for char in text if char not in "\u200b\u200c\u200d\u2060\ufeff")
    return cells._SPACE.sub(lambda match: cells._collapse(match, text), text).strip()


@given(st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000\u200b\ufeff\u2060aZ19.-、中文（）éİ", max_size=30))
def test_clean_is_the_whitespace_rule_on_every_run(text):
    """The fast paths (no line break: runs collapsed by str.split) give what the rule gives run by run."""
    assert clean(text) == _clean_by_the_rule(text)


def test_join_pieces_keeps_notes_and_never_glues_two_numbers():
    assert join_pieces(["17", "（其中修订15件）"]) == "17（其中修订15件）"
    assert join_pieces(["三、本年", "度办理结", "果"]) == "三、本年度办理结果"
    assert join_pieces(["1234", "5678"]) == "1234 5678"
    assert join_pieces(["\xa0", ""]) == ""


# --- HTML ---------------------------------------------------------------------------------------------------------

MERGED = """
<table>
<tr><th colspan="2" rowspan="2">项目</th><th colspan="2">申请人</th></tr>
<tr><th>自然人</th><th>总计</th></tr>
<tr><td rowspan="2">（三）不予公开</td><td>1.属于国家秘密</td><td colspan="2">5</td></tr>
<tr><td>2.其他法律行政法规禁止公开</td><td>0</td><td>0</td></tr>
</table>"""


def test_html_merged_cells_are_written_once_and_rowspans_keep_the_grid():
    """A rowspan leaves an empty field in the rows below it (issue 12: cells after it keep their column)."""
    source = read_html("t.html", html(MERGED))
    assert rows(source) == [
        ("table 1, row 1", ["项目", "申请人"]),
        ("table 1, row 2", ["", "自然人", "总计"]),
        ("table 1, row 3", ["（三）不予公开", "1.属于国家秘密", "5"]),
        ("table 1, row 4", ["", "2.其他法律行政法规禁止公开", "0", "0"]),
    ]


def test_html_a_value_spanning_rows_leaves_a_blank_not_a_shift():
    body = (
        "<table><tr><td>1.属于国家秘密</td><td rowspan='2'>5</td><td>1</td></tr>"
        "<tr><td>2.其他法律行政法规禁止公开</td><td>2</td></tr></table>"
    )
    assert rows(read_html("t.html", html(body)))[1][1] == ["2.其他法律行政法规禁止公开", "", "2"]


def test_html_hidden_elements_and_footnote_marks():
    body = (
        "<table><tr><td>规章<sup>1</sup></td><td>17<sup>2</sup></td><td hidden>9</td>"
        "<td style='visibility: hidden'>8</td><td>0</td></tr></table>"
    )
    assert rows(read_html("t.html", html(body)))[0][1] == ["规章（注1）", "17（注2）", "0"]


def test_html_long_and_repeated_hiding_styles():
    """Styles are judged once per distinct style (cached) and long ones without the cache: both hide alike."""
    long_style = "color:red;" * 100 + "DISPLAY : NONE"
    body = "".join(f"<td style='{style}'>9</td>" for style in ["display:none", long_style] * 2)
    assert rows(read_html("t.html", html(f"<table><tr><td>规章</td>{body}<td>0</td></tr></table>")))[0][1] == [
        "规章",
        "0",
    ]


def test_html_blank_slash_dash_and_notes_are_kept_as_printed():
    body = (
        "<table><tr><td>规章</td><td>17（其中修订15件）</td><td></td><td>/</td><td>-</td><td>&nbsp;</td></tr></table>"
    )
    [(_, fields)] = rows(read_html("t.html", html(body)))
    assert fields == ["规章", "17（其中修订15件）", "", "/", "-", ""]


def test_html_word_export_cells():
    """Every cell a <td>, <p class=MsoNormal> inside, &nbsp; padding, <o:p>, wrapped source lines, <br> in labels."""
    body = (
        "<table class=MsoNormalTable><tr>"
        "<td valign=top><p class=MsoNormal><span lang=ZH-CN>三、本年<br>\r\n  度办理结果<o:p></o:p></span></p></td>"
        "<td><p class=MsoNormal><span>&nbsp;17&nbsp;</span></p><p class=MsoNormal>（其中修订15件）</p></td>"
        "<td><p class=MsoNormal><span>&nbsp;<o:p></o:p></span></p></td>"
        "<td><p class=MsoNormal>本年新收政府信息公开\r\n  申请数量</p></td>"
        "</tr></table>"
    )
    [(_, fields)] = rows(read_html("t.html", html(body)))
    assert fields == ["三、本年度办理结果", "17（其中修订15件）", "", "本年新收政府信息公开申请数量"]


def test_html_hidden_rows_and_cells_are_not_read():
    body = (
        "<table><tr><td>规章</td><td style='display:none'>9</td><td>0</td></tr>"
        "<tr style='display:none'><td>x</td></tr></table>"
    )
    assert rows(read_html("t.html", html(body))) == [("table 1, row 1", ["规章", "0"])]


def test_html_rows_whose_colspans_do_not_line_up_with_the_header():
    body = (
        "<table><tr><th colspan='3'>项目</th><th>自然人</th><th>总计</th></tr>"
        "<tr><td colspan='2'>一、本年新收政府信息公开申请数量</td><td>3</td><td>4</td></tr></table>"
    )
    assert rows(read_html("t.html", html(body)))[1][1] == ["一、本年新收政府信息公开申请数量", "3", "4"]


def test_html_prose_and_chrome_around_tables_in_document_order():
    body = (
        "<script>document.write('x')</script><style>p{}</style>"
        "<div class=nav><ul><li>首页</li><li>政务公开</li></ul></div>"
        "<table class=layout><tr><td>侧栏</td><td>"
        "<h1>某区2023年政府信息公开工作年度报告</h1><p>一、总体情况</p><div>共受理申请<b>550</b>件，<br>答复547件。</div>"
        "<table><tr><td>规章</td><td>0</td></tr></table>"
        "<span style='display: none'>浏览次数</span>"
        "</td></tr></table><div class=footer>主办单位：某区人民政府</div>"
    )
    source = read_html("t.html", html(body))
    assert [line.text for line in source.lines] == [
        "首页",
        "政务公开",
        "侧栏",
        "某区2023年政府信息公开工作年度报告",
        "一、总体情况",
        "共受理申请550件，",
        "答复547件。",
        "规章\t0",
        "主办单位：某区人民政府",
    ]
    assert rows(source) == [("table 1, row 1", ["规章", "0"])]  # the layout table is not a data table


GBK_TEXT = "<p>上海市2023年政府信息公开工作年度报告，喆</p>"  # 喆 is GBK, not GB2312


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (html(GBK_TEXT).decode().encode("gbk"), "gb18030"),  # undeclared GBK
        (html(GBK_TEXT, '<meta charset="gb2312">').decode().encode("gbk"), "gb18030"),  # GB2312 declared, GBK used
        (
            html(GBK_TEXT, '<meta http-equiv="Content-Type" content="text/html; charset=GBK">').decode().encode("gbk"),
            "gb18030",
        ),
        (html(GBK_TEXT, '<meta charset="utf-8">').decode().encode("gbk"), "gb18030"),  # a wrong declaration
        (html(GBK_TEXT, '<meta charset="gb2312">'), "utf-8"),  # a stale GB declaration on a UTF-8 page
        (b"\xef\xbb\xbf" + html(GBK_TEXT), "utf-8"),
        (b'<?xml version="1.0" encoding="gbk"?>' + html(GBK_TEXT).decode().encode("gbk"), "gb18030"),
    ],
)
def test_html_encodings(data, encoding):
    source = read_html("t.html", data)
    assert source.encoding == encoding
    assert prose(source) == ["上海市2023年政府信息公开工作年度报告，喆"]


def test_html_meta_charset_does_not_redecode_the_text():
    data = html(GBK_TEXT, '<meta charset="gb2312">').decode().encode("gb18030")
    text, _ = decode_html(data)
    assert "喆" in text


# --- DOCX ---------------------------------------------------------------------------------------------------------


def _docx(document: docx.document.Document) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _grid(document, texts: list[list[str]]):
    table = document.add_table(rows=len(texts), cols=len(texts[0]))
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    return table


def test_docx_merged_cells_are_written_once_by_their_tc():
    document = docx.Document()
    table = _grid(
        document,
        [["项目", "", "自然人", "总计"], ["（三）不予公开", "1.属于国家秘密", "5", ""], ["", "2.其他", "0", "0"]],
    )
    table.cell(0, 0).merge(table.cell(0, 1))  # gridSpan
    table.cell(1, 0).merge(table.cell(2, 0))  # vMerge
    table.cell(1, 2).merge(table.cell(1, 3))  # a value spanning two columns
    assert [fields for _, fields in rows(read_docx("t.docx", _docx(document)))] == [
        ["项目", "自然人", "总计"],
        ["（三）不予公开", "1.属于国家秘密", "5"],
        ["2.其他", "0", "0"],
    ]


def test_docx_notes_breaks_tabs_blanks_and_body_order():
    document = docx.Document()
    document.add_paragraph("某区2023年政府信息公开工作年度报告")
    table = _grid(document, [["规章", "", "", "/", "-"]])
    cell = table.cell(0, 1)
    cell.paragraphs[0].add_run("17")
    cell.add_paragraph("（其中修订15件）")
    label = table.cell(0, 0).paragraphs[0]
    label.add_run().add_break(WD_BREAK.LINE)
    label.add_run("\t类")
    document.add_paragraph("五、存在的主要问题及改进情况")
    source = read_docx("t.docx", _docx(document))
    assert [(line.where, line.text) for line in source.lines] == [
        ("paragraph 1", "某区2023年政府信息公开工作年度报告"),
        ("table 1, row 1", "规章类\t17（其中修订15件）\t\t/\t-"),
        ("paragraph 2", "五、存在的主要问题及改进情况"),
    ]


def _split_table(separator: str | None) -> bytes:
    """A table broken across a page: the second part repeats the header row."""
    document = docx.Document()
    _grid(document, [["行政复议", "总计"], ["结果维持", "1"]])
    paragraph = document.add_paragraph(separator or "")
    if separator is None:
        paragraph.add_run().add_break(WD_BREAK.PAGE)
    _grid(document, [["行政复议", "总计"], ["结果纠正", "2"]])
    return _docx(document)


def test_docx_table_continued_across_a_page():
    assert rows(read_docx("t.docx", _split_table(None))) == [
        ("table 1, row 1", ["行政复议", "总计"]),
        ("table 1, row 2", ["结果维持", "1"]),
        ("table 1, row 4", ["结果纠正", "2"]),
    ]


def test_docx_tables_separated_by_text_are_two_tables():
    assert [where for where, _ in rows(read_docx("t.docx", _split_table("（二）说明")))] == [
        "table 1, row 1",
        "table 1, row 2",
        "table 2, row 1",
        "table 2, row 2",
    ]


def test_docx_repeated_rows_with_numbers_are_data_not_headers():
    document = docx.Document()
    _grid(document, [["规章", "0"]])
    document.add_paragraph()
    _grid(document, [["规章", "0"]])
    assert len(rows(read_docx("t.docx", _docx(document)))) == 2


def test_docx_vmerge_continuation_at_the_top_of_a_continued_table_is_skipped():
    document = docx.Document()
    _grid(document, [["标题", "数"], ["组", "1"]])
    document.add_paragraph()
    table = _grid(document, [["标题", "数"], ["", "2"], ["", "3"]])
    table.cell(1, 0).merge(table.cell(2, 0))
    tc = table.rows[1].cells[0]._tc
    tc.vMerge = "continue"  # as converters write it: a merge that continues from the previous page
    assert [fields for _, fields in rows(read_docx("t.docx", _docx(document)))] == [
        ["标题", "数"],
        ["组", "1"],
        ["2"],
        ["3"],
    ]


def test_docx_reader_rejects_a_broken_package():
    with pytest.raises(UnknownFormat):
        read_docx("t.docx", b"PK\x03\x04 not really a zip")


# --- the rendered fixtures ----------------------------------------------------------------------------------------

FIXTURE_FILES = [FIXTURES / f"{seed}.{flavor}" for flavor in ("html", "docx") for seed in ("000", "002", "003", "004")]


@pytest.mark.parametrize(
    ("data", "name", "flavor"),
    [
        (b"<span>a</span><b>b</b>" * 500 + b"<p>c", "x.txt", "html"),  # many inline tags
        (b"<span>a</span> text", "x.txt", "text"),  # two inline tags decide nothing
        (b"<b>a</b>&nbsp;", "x.txt", "html"),  # with an entity
        (b"<b>a", "x.html", "html"),  # one, and the name says HTML
        (b"text <br>" + b"x" * 3000 + b"<table>", "x.txt", "html"),  # a structural tag anywhere
    ],
)
def test_html_is_sniffed_by_structure_or_enough_inline_tags(data, name, flavor):
    assert sniff(data, name) == flavor


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixtures_are_sniffed_by_content(path):
    assert sniff(path.read_bytes()) == path.suffix[1:]


def test_html_fixtures_cover_the_page_kinds():
    plain, word, chrome, misaligned = (FIXTURES / f"{s}.html" for s in ("000", "002", "003", "004"))
    assert b"charset" not in plain.read_bytes() and read_source(plain).encoding == "gb18030"
    assert b"<th" not in word.read_bytes() and b"&nbsp;" in word.read_bytes()
    assert b"charset=gb2312" in word.read_bytes()
    assert b'class="crumb"' in chrome.read_bytes() and read_source(chrome).encoding == "utf-8"
    assert misaligned.read_bytes().startswith(b"\xef\xbb\xbf")


@needs_expected
@pytest.mark.parametrize("render", ["render_html", "render_docx"])
@pytest.mark.parametrize("seed", ["000", "002", "003", "004"])
def test_fixtures_are_current_and_byte_stable(render, seed):
    """Regenerating a fixture gives the committed bytes (deterministic, and the committed file is up to date)."""
    module = __import__(render)
    suffix = ".html" if render == "render_html" else ".docx"
    assert module.render(seed) == (FIXTURES / f"{seed}{suffix}").read_bytes()


def _compare(report, oracle: dict) -> tuple[int, list[str]]:
    """Cells compared and the ones that differ (value, and note for section 二)."""
    compared, wrong = 0, []
    for section in ("proactive", "requests", "review_litigation"):
        for row, columns in (oracle.get(section) or {}).items():
            notes = columns.get("notes", {})
            for column, value in columns.items():
                if column == "notes":
                    continue
                compared += 1
                cell = getattr(report, section).get(row, {}).get(column)
                if cell is None or cell.value != value or (section == "proactive" and cell.note != notes.get(column)):
                    wrong.append(f"{section}.{row}.{column}: expected {value!r}, got {cell}")
    return compared, wrong


def _parse(path: Path):
    from govstats.transform.parse import parse_source

    return parse_source(read_source(path))


ACCEPTANCE = [(flavor, seed) for flavor in ("html", "docx") for seed in (*SEEDS, "004")]


@needs_expected
@pytest.mark.parametrize(("flavor", "seed"), ACCEPTANCE, ids=[f"{s}.{f}" for f, s in ACCEPTANCE])
def test_rendered_fixture_parses_cell_exact(flavor, seed):
    name = SEEDS.get(seed, SEED_004)
    oracle = expected(name)
    report = _parse(FIXTURES / f"{seed}.{flavor}")
    compared, wrong = _compare(report, oracle)
    width = len(codebook.applicants())
    assert compared >= 25 * width  # section 三 at least: the oracle was read
    assert wrong == []
    assert (report.agency, report.year) == (oracle["agency"], oracle["year"])


@needs_expected
@pytest.mark.parametrize("flavor", ["html", "docx"])
def test_seed_004_section_4_is_not_invented(flavor):
    """004's section 四 is unrecoverable: the fixture prints no table, and no number may come out of it."""
    assert expected(SEED_004)["review_litigation"] is None
    report = _parse(FIXTURES / f"004.{flavor}")
    assert all(cell.status != VALUE for row in report.review_litigation.values() for cell in row.values())


def test_blank_first_or_last_value_cell_stays_blank():
    """A blank 总计 (last field) or 自然人 (first field) is a BLANK cell, the rest of the row still read."""
    from govstats.transform.parse import parse_source

    source = read_source(FIXTURES / "003.html")
    lines = []
    for line in source.lines:
        if line.text.startswith("一、本年新收"):
            line = type(line)(line.text.rsplit("\t", 1)[0] + "\t", line.where)
        lines.append(line)
    source.lines = lines
    report = parse_source(source)
    assert report.requests["new_requests"]["total"].status == "blank"
    assert report.requests["new_requests"]["natural_person"].value == 2
