"""The PDF reader: ruled tables read cell-exact by pdfplumber, cross-checked by camelot; text-layer fallback; scans.

Fixtures are rendered by ``scripts/fixtures/render_pdf.py`` (reportlab: ``<seed>.pdf``, ``000_text.pdf``;
LibreOffice with Noto Serif CJK: ``<seed>_libreoffice.pdf``, which trip camelot's row shift). The real PDF of
淮安市 2024 is read in place from ``../shared/real``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from conftest import EXPECTED, RAW, REAL, expected, mismatches, needs_expected, needs_real

from govstats.dataset.contract import report_json
from govstats.errors import NoTextLayer, UnknownFormat
from govstats.extract import pdf as pdf_reader
from govstats.extract import read_source
from govstats.extract.pdf import CAMELOT_ROW_SHIFT, READERS_AGREE, read_pdf
from govstats.transform.parse import parse_source

FIXTURES = Path(__file__).parent / "fixtures"
HUAIAN = REAL / "huaian_city_2024.pdf"
SECTIONS = ("proactive", "requests", "review_litigation")
ORACLE = {path.name[:3]: path.stem for path in EXPECTED.glob("00[0-4]_*.json")}
RENDERED = ["000.pdf", "002.pdf", "003.pdf", "004.pdf", "000_text.pdf"]
LIBREOFFICE = ["000_libreoffice.pdf", "002_libreoffice.pdf", "003_libreoffice.pdf", "004_libreoffice.pdf"]


def read(path: Path, **options):
    return read_pdf(path, path.read_bytes(), **options)


@cache
def read_once(path: Path, cross_check: bool = True):
    """A fixture read once per test run (reading with camelot costs a second or two); tests only look at it."""
    return read(path, cross_check=cross_check)


def differences(source, oracle_name: str) -> dict[str, list[str]]:
    """Every cell of the oracle that the parsed PDF gets wrong, by section (sections the oracle has)."""
    document = report_json(parse_source(source), [], values=True)
    oracle = expected(oracle_name)
    return {section: mismatches(document, oracle, section) for section in SECTIONS if oracle.get(section)}


def numbers_in_cells(source) -> list[str]:
    return [cell for line in source.lines if "table" in line.where for cell in line.text.split("\t") if cell.isdigit()]


# --- cell-exact against the oracle --------------------------------------------------------------------------------


@needs_expected
@pytest.mark.parametrize("name", RENDERED + LIBREOFFICE)
def test_rendered_seed_parses_cell_exact(name):
    source = read_once(FIXTURES / name)
    found = differences(source, ORACLE[name[:3]])
    assert set(found) >= {"proactive", "requests"}
    assert found == {section: [] for section in found}


@needs_real
@needs_expected
def test_huaian_parses_cell_exact_in_sections_2_3_4():
    source = read_once(HUAIAN)
    assert differences(source, "huaian_city_2024") == {section: [] for section in SECTIONS}
    assert source.pages == 6 and source.flavor == "pdf"


@needs_real
def test_huaian_both_readers_agree_on_every_table():
    checks = read_once(HUAIAN).checks
    assert [c.where for c in checks] == [
        "page 3, table 1",
        "page 4, table 1",
        "page 4, table 2",
        "page 5, table 1",
        "page 5, table 2",
    ]
    assert all(c.check == READERS_AGREE and c.passed for c in checks)


# --- what the lines look like -------------------------------------------------------------------------------------


@needs_real
def test_huaian_rows_footers_and_a_label_cut_by_the_page_break():
    lines = read_once(HUAIAN, False).lines
    texts = [line.text for line in lines]
    assert not any(re.fullmatch(r"-\s*\d+\s*-", text) for text in texts), "page footers are dropped"
    row = next(line for line in lines if "本机关不掌握相关政府信息" in line.text)
    assert row.where == "page 4, table 2, row 16"
    assert row.text.split("\t") == [
        "",
        "（四）无法提供",
        "1.本机关不掌握相关政府信息",
        "746",
        "12",
        "0",
        "0",
        "10",
        "1",
        "769",
    ]
    assert not any("法提供" in text and "（四）" not in text for text in texts)
    assert "第二十条 第（一）项\t\t\t" in texts, "labels are kept as printed, spaces included"


@needs_real
def test_each_value_cell_is_emitted_once():
    numbers = numbers_in_cells(read_once(HUAIAN, False))
    # sections 四 (15), 三 (25 rows of 7) and 二 (9 integers; the fee 96171.6 is not one)
    assert len(numbers) == 15 + 25 * 7 + 9


def test_repeated_header_rows_are_dropped_and_the_table_continues():
    lines = read_once(FIXTURES / "002.pdf", False).lines
    headers = [line for line in lines if line.text.startswith("（本列数据的勾稽关系为")]
    assert len(headers) == 1, "the header printed again on the next page is emitted once"
    pages = {line.where.split(",")[0] for line in lines if "\t" in line.text and "申请" in line.text}
    assert len(pages) >= 2, "the fixture's section 三 runs over a page break"
    label = next(line for line in lines if "2.没有现成信息需要另行制作" in line.text)
    assert label.text.split("\t")[1] == "", "法提供 went back to （四）无 on the page before"
    assert any("（四）无法提供" in line.text for line in lines)


def test_text_layer_fallback_gives_the_printed_lines():
    source = read_once(FIXTURES / "000_text.pdf")
    seed = (RAW / "000_26d4c64f71069daa.txt").read_text(encoding="utf-8")
    printed = [re.sub(r"\s+", " ", line).strip() for line in seed.splitlines() if line.strip()]
    assert [line.text for line in source.lines] == printed
    assert source.lines[0].where == "page 1, line 1"
    assert all(re.fullmatch(r"page \d+, line \d+", line.where) for line in source.lines)
    assert source.checks == [], "no ruled table, nothing to cross-check"


# --- camelot cross-check ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LIBREOFFICE)
def test_camelot_row_shift_is_caught_and_pdfplumber_wins(name):
    source = read_once(FIXTURES / name)
    shifts = [c for c in source.checks if c.check == CAMELOT_ROW_SHIFT]
    assert shifts and all(c.passed is False for c in shifts)
    disputed = [c for c in source.checks if c.check == READERS_AGREE and c.passed is False and "row" in c.where]
    assert disputed and all("pdfplumber" in c.detail and "kept" in c.detail for c in disputed)
    assert source.lines == read_once(FIXTURES / name, False).lines, "camelot's shifted text never lands"


@needs_expected
def test_row_shifted_pdf_still_parses_cell_exact_with_cross_check():
    source = read_once(FIXTURES / "002_libreoffice.pdf")
    assert any(c.check == CAMELOT_ROW_SHIFT for c in source.checks)
    assert differences(source, ORACLE["002"]) == {section: [] for section in SECTIONS}


def test_reportlab_fixtures_need_no_arbitration():
    checks = read_once(FIXTURES / "003.pdf").checks
    assert checks and all(c.check == READERS_AGREE and c.passed for c in checks)


def _corrupt(monkeypatch, target: str, wrong: str, *, in_camelot: bool) -> None:
    """Make one reader misread the cell printed ``target`` in section 三's granted row as ``wrong``."""
    if in_camelot:
        real = pdf_reader._camelot_tables

        def misread(*args):
            found = real(*args)
            for tables in found.values():
                for _, _, raw in tables:
                    for row in raw:
                        if "（一）予以公开" in "".join(row):
                            row[row.index(target)] = wrong
            return found

        monkeypatch.setattr(pdf_reader, "_camelot_tables", misread)
        return
    real_grid = pdf_reader._grid

    def misread_grid(*args):
        grid = real_grid(*args)
        for row in grid.rows:
            if "（一）予以公开" in row:
                row[row.index(target)] = wrong
        return grid

    monkeypatch.setattr(pdf_reader, "_grid", misread_grid)


@pytest.mark.parametrize("in_camelot", [True, False], ids=["camelot misreads", "pdfplumber misreads"])
def test_the_reading_that_satisfies_the_identities_wins(monkeypatch, in_camelot):
    _corrupt(monkeypatch, "11713", "11718", in_camelot=in_camelot)
    source = read(FIXTURES / "002.pdf")
    granted = next(line for line in source.lines if "（一）予以公开" in line.text)
    assert granted.text.split("\t")[3] == "11713"
    disputes = [c for c in source.checks if c.passed is False and ", row " in c.where]
    assert len(disputes) == 1
    assert (disputes[0].expected, disputes[0].found) == (11713, 11718)
    assert "identities hold" in disputes[0].detail
    winner = "pdfplumber" if in_camelot else "camelot"
    assert disputes[0].detail.startswith(winner)


def test_without_identities_the_primary_reading_is_kept(monkeypatch):
    real = pdf_reader._camelot_tables

    def misread(*args):
        found = real(*args)
        for tables in found.values():
            for _, _, raw in tables:
                for row in raw:
                    if row and row[0] == "行政许可":
                        row[1] = "7"
        return found

    monkeypatch.setattr(pdf_reader, "_camelot_tables", misread)
    source = read(FIXTURES / "003.pdf")
    dispute = next(c for c in source.checks if c.passed is False and ", row " in c.where)
    assert "no identity decides" in dispute.detail and dispute.expected == 0 and dispute.found == 7


def test_cross_check_is_switchable():
    path = FIXTURES / "003.pdf"
    with_check, without = read_once(path), read_once(path, False)
    assert with_check.lines == without.lines
    assert with_check.checks and without.checks == []


# --- input that is not a readable PDF -----------------------------------------------------------------------------


def _scan(path: Path) -> None:
    """A one-page PDF holding only a picture of text, as a scanner writes it."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    image = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(image).rectangle((50, 50, 550, 150), outline=0, width=3)
    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    canvas.drawInlineImage(image, 50, 500, width=500, height=160)
    canvas.showPage()
    canvas.save()


def test_a_scan_raises_no_text_layer(tmp_path):
    path = tmp_path / "scan.pdf"
    _scan(path)
    with pytest.raises(NoTextLayer, match=r"scan\.pdf: no text layer: .*OCR"):
        read(path)
    with pytest.raises(NoTextLayer):
        read_source(path)  # sniffed as PDF by content, whatever the extension


def test_a_broken_pdf_is_an_unknown_format(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not a PDF body")
    with pytest.raises(UnknownFormat, match="broken.pdf"):
        read(path)


# --- the fixtures are what the script makes -----------------------------------------------------------------------


RENDER = Path(__file__).resolve().parents[1] / "scripts" / "fixtures"
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@needs_expected
@pytest.mark.skipif(not WQY.exists(), reason="fonts-wqy-microhei (the fixtures' font) is not installed")
@pytest.mark.parametrize("seed", ["000", "002", "003", "004"])
def test_reportlab_fixtures_are_current_and_byte_stable(seed, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(RENDER))
    import render_pdf

    render_pdf._font()
    render_pdf.render_ruled(seed, tmp_path / f"{seed}.pdf")
    assert (tmp_path / f"{seed}.pdf").read_bytes() == (FIXTURES / f"{seed}.pdf").read_bytes()


@needs_expected
@pytest.mark.skipif(not WQY.exists(), reason="fonts-wqy-microhei (the fixtures' font) is not installed")
def test_text_layer_fixture_is_current_and_byte_stable(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(RENDER))
    import render_pdf

    render_pdf._font()
    render_pdf.render_text_layer("000", tmp_path / "000_text.pdf")
    assert (tmp_path / "000_text.pdf").read_bytes() == (FIXTURES / "000_text.pdf").read_bytes()


def test_a_row_broken_over_a_page_is_rejoined():
    lines = read_once(FIXTURES / "000_libreoffice.pdf").lines
    row = next(line for line in lines if "2.没有现成信息需要另行制" in line.text)
    assert row.text.split("\t")[2:] == ["2.没有现成信息需要另行制作", "23", "0", "0", "0", "0", "0", "23"]
    assert not any(line.text.strip("\t") == "作" for line in lines)


def test_a_row_label_next_to_its_values_is_not_glued_to_the_row_above():
    before = pdf_reader._Grid(1, 1, 0, 10, [["", "（三）不予公开", "国家秘密", "1"]], (0, 0, 10, 10), {1: 0, 2: 0})
    after = pdf_reader._Grid(2, 1, 0, 10, [["", "", "法律法规禁止公开", "2"]], (0, 0, 10, 10))
    pdf_reader._rejoin_labels(before, after)
    assert before.rows[0][2] == "国家秘密" and after.rows[0][2] == "法律法规禁止公开"
