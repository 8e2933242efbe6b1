"""The PDF readers and their reconciliation.

The fast reader (pypdfium2: character boxes and ruling lines) must be cell-exact on its own, with no cross-check;
pdfplumber and camelot are independent readers of the ruled tables, and the reconciliation stage
(govstats.validate.readings) lets the identities choose among their readings where they disagree.

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
from govstats.dataset.pipeline import process_file
from govstats.errors import NoTextLayer, UnknownFormat
from govstats.extract import pdf_lattice, pdf_layout, pdf_tables, pdf_text, read_source
from govstats.extract.pdf import read_pdf, read_reading
from govstats.transform.parse import parse_source
from govstats.validate.readings import CAMELOT_ROW_SHIFT, READERS_AGREE, read_pdf_checked

FIXTURES = Path(__file__).parent / "fixtures"
HUAIAN = REAL / "huaian_city_2024.pdf"
SECTIONS = ("proactive", "requests", "review_litigation")
ORACLE = {path.name[:3]: path.stem for path in EXPECTED.glob("00[0-4]_*.json")}
RENDERED = ["000.pdf", "002.pdf", "003.pdf", "004.pdf", "000_text.pdf"]
LIBREOFFICE = ["000_libreoffice.pdf", "002_libreoffice.pdf", "003_libreoffice.pdf", "004_libreoffice.pdf"]


@cache
def fast(path: Path):
    """The fast reading alone, no cross-check: what the default path reads when nothing is in doubt."""
    return read_pdf(path, path.read_bytes())


@cache
def plumber(path: Path):
    return read_pdf(path, path.read_bytes(), reader="pdfplumber")


@cache
def audited(path: Path):
    """Read with ``cross_check="always"``: pdfplumber and camelot read every table again (a second or two)."""
    return read_pdf_checked(str(path), path.read_bytes(), "always")


def differences(source, oracle_name: str) -> dict[str, list[str]]:
    """Every cell of the oracle that the parsed PDF gets wrong, by section (sections the oracle has)."""
    document = report_json(parse_source(source), [], values=True)
    oracle = expected(oracle_name)
    return {section: mismatches(document, oracle, section) for section in SECTIONS if oracle.get(section)}


def numbers_in_cells(source) -> list[str]:
    return [cell for line in source.lines if "table" in line.where for cell in line.text.split("\t") if cell.isdigit()]


def table_rows(source) -> list[tuple[str, str]]:
    return [(line.where, line.text) for line in source.lines if "table" in line.where]


# --- cell-exact on the fast path alone ----------------------------------------------------------------------------


@needs_expected
@pytest.mark.parametrize("name", RENDERED + LIBREOFFICE)
def test_rendered_seed_parses_cell_exact_on_the_fast_path_alone(name):
    source = fast(FIXTURES / name)
    found = differences(source, ORACLE[name[:3]])
    assert set(found) >= {"proactive", "requests"}
    assert found == {section: [] for section in found}
    assert source.checks == [], "no cross-check ran"


@needs_real
@needs_expected
def test_huaian_parses_cell_exact_in_sections_2_3_4_on_the_fast_path_alone():
    source = fast(HUAIAN)
    assert differences(source, "huaian_city_2024") == {section: [] for section in SECTIONS}
    assert source.pages == 6 and source.flavor == "pdf" and source.checks == []


@needs_real
def test_the_default_pipeline_reads_huaian_without_cross_checking_it():
    """Nothing in doubt (every identity holds, every cell read, the prose agrees): pdfplumber and camelot stay idle."""
    result = process_file(HUAIAN, HUAIAN.name)
    assert result.error is None
    assert not [c for c in result.checks if c.check in (READERS_AGREE, CAMELOT_ROW_SHIFT)]
    assert {line.reader for line in fast(HUAIAN).lines} == {"pdfium"}


@pytest.mark.parametrize("name", RENDERED + LIBREOFFICE + ["huaian"])
def test_the_fast_reader_cuts_the_same_table_cells_as_pdfplumber(name):
    path = HUAIAN if name == "huaian" else FIXTURES / name
    if not path.exists():
        pytest.skip("../shared/real (real reports, read in place) is absent")
    assert table_rows(fast(path)) == table_rows(plumber(path))


@needs_expected
@pytest.mark.parametrize("name", ["002.pdf", "002_libreoffice.pdf"])
def test_pdfplumber_alone_is_cell_exact_too(name):
    """The cross-check reader is a reader in its own right, not a crutch."""
    source = plumber(FIXTURES / name)
    assert differences(source, ORACLE[name[:3]]) == {section: [] for section in SECTIONS}


def test_every_line_names_its_reader():
    assert {line.reader for line in fast(FIXTURES / "003.pdf").lines} == {"pdfium"}
    assert {line.reader for line in plumber(FIXTURES / "003.pdf").lines} == {"pdfplumber"}


# --- what the lines look like -------------------------------------------------------------------------------------


@needs_real
def test_huaian_rows_footers_and_a_label_cut_by_the_page_break():
    lines = fast(HUAIAN).lines
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
def test_huaian_prose_lines_are_pdfplumbers_lines():
    """A Latin run in a CJK line ("2024 年") stays on its line though its font's glyph boxes stand higher."""
    assert [line.text for line in fast(HUAIAN).lines] == [line.text for line in plumber(HUAIAN).lines]


@needs_real
def test_each_value_cell_is_emitted_once():
    numbers = numbers_in_cells(fast(HUAIAN))
    # sections 四 (15), 三 (25 rows of 7) and 二 (9 integers; the fee 96171.6 is not one)
    assert len(numbers) == 15 + 25 * 7 + 9


def test_repeated_header_rows_are_dropped_and_the_table_continues():
    lines = fast(FIXTURES / "002.pdf").lines
    headers = [line for line in lines if line.text.startswith("（本列数据的勾稽关系为")]
    assert len(headers) == 1, "the header printed again on the next page is emitted once"
    pages = {line.where.split(",")[0] for line in lines if "\t" in line.text and "申请" in line.text}
    assert len(pages) >= 2, "the fixture's section 三 runs over a page break"
    label = next(line for line in lines if "2.没有现成信息需要另行制作" in line.text)
    assert label.text.split("\t")[1] == "", "法提供 went back to （四）无 on the page before"
    assert any("（四）无法提供" in line.text for line in lines)


def _without_spaces_between_cjk(text: str) -> str:
    return re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)


def test_text_layer_fallback_gives_the_printed_lines():
    seed = (RAW / "000_26d4c64f71069daa.txt").read_text(encoding="utf-8")
    printed = [re.sub(r"\s+", " ", line).strip() for line in seed.splitlines() if line.strip()]
    assert [line.text for line in plumber(FIXTURES / "000_text.pdf").lines] == printed
    source = fast(FIXTURES / "000_text.pdf")
    # pdfium folds a printed space narrower than 3 pt between two CJK words into a gap: the only difference.
    unspaced = [_without_spaces_between_cjk(line) for line in printed]
    assert [_without_spaces_between_cjk(line.text) for line in source.lines] == unspaced
    assert source.lines[0].where == "page 1, line 1"
    assert all(re.fullmatch(r"page \d+, line \d+", line.where) for line in source.lines)
    assert audited(FIXTURES / "000_text.pdf").checks == [], "no ruled table, nothing to cross-check"


def test_two_digit_runs_are_never_glued_into_one_number():
    """A gap pdfium filled with a space separates Latin letters and digits, even when narrower than 3 pt."""
    chars = [(0, 0, 5, 10, "1", 10, 0), (6, 0, 11, 10, "2", 10, 1), (12, 0, 22, 10, "件", 10, 1)]
    assert pdf_lattice.text_lines(chars) == [(0, "1 2件")]


# --- ruling lines to cells ----------------------------------------------------------------------------------------


def test_ruling_lines_make_cells_and_a_merged_cell_leaves_its_slot_empty():
    # A 2 x 3 grid whose left column is one merged cell over both rows.
    horizontal = [(0, 0, 300), (20, 100, 300), (40, 0, 300)]
    vertical = [(0, 0, 40), (100, 0, 40), (200, 0, 40), (300, 0, 40)]
    (table,) = pdf_lattice.find_tables(horizontal, vertical)
    rows = pdf_lattice.table_rows(table)
    assert rows == [
        [(0, 0, 100, 40), (100, 0, 200, 20), (200, 0, 300, 20)],
        [None, (100, 20, 200, 40), (200, 20, 300, 40)],
    ]


def test_segments_within_3_points_are_one_ruling_line():
    # The top rule is drawn in two pieces, 1.5 pt apart in height and 1 pt apart in length: one line.
    horizontal = [(0, 0, 150), (1.5, 151, 300), (40, 0, 300)]
    vertical = [(0, 0, 40), (150, 0, 40), (300, 0, 40)]
    (table,) = pdf_lattice.find_tables(horizontal, vertical)
    assert [(x0, x1) for x0, _, x1, _ in table] == [(0, 150), (150, 300)]


# --- reconciliation by the identities -----------------------------------------------------------------------------


@needs_real
def test_huaian_all_three_readers_agree_on_every_table():
    checks = audited(HUAIAN).checks
    tables = ["page 3, table 1", "page 4, table 1", "page 4, table 2", "page 5, table 1", "page 5, table 2"]
    assert [c.where for c in checks] == [where for where in tables for _ in ("pdfplumber", "camelot")]
    assert all(c.check == READERS_AGREE and c.passed for c in checks)
    assert "read alike by pdfium and pdfplumber" in checks[0].detail
    assert "cross-checked: always" in checks[0].detail


@pytest.mark.parametrize("name", LIBREOFFICE)
def test_camelot_row_shift_is_caught_and_the_fast_reading_wins(name):
    source = audited(FIXTURES / name)
    shifts = [c for c in source.checks if c.check == CAMELOT_ROW_SHIFT]
    assert shifts and all(c.passed is False for c in shifts)
    disputed = [c for c in source.checks if c.check == READERS_AGREE and c.passed is False and "row" in c.where]
    assert disputed and all(c.detail.startswith("pdfium") and "kept" in c.detail for c in disputed)
    assert source.lines == fast(FIXTURES / name).lines, "camelot's shifted text never lands"


@needs_expected
def test_row_shifted_pdf_still_parses_cell_exact_with_cross_check():
    source = audited(FIXTURES / "002_libreoffice.pdf")
    assert any(c.check == CAMELOT_ROW_SHIFT for c in source.checks)
    assert differences(source, ORACLE["002"]) == {section: [] for section in SECTIONS}


def test_reportlab_fixtures_need_no_arbitration():
    checks = audited(FIXTURES / "003.pdf").checks
    assert checks and all(c.check == READERS_AGREE and c.passed for c in checks)


def _misread_grid(rows: list[list[str]], target: str, wrong: str) -> None:
    for row in rows:
        if "（一）予以公开" in row:
            row[row.index(target)] = wrong


def _corrupt(monkeypatch, reader: str, target: str, wrong: str) -> None:
    """Make one reader misread the cell printed ``target`` in section 三's granted row as ``wrong``."""
    if reader == "camelot":
        real = pdf_tables.read_camelot

        def misread(*args):
            found = real(*args)
            for table in found:
                _misread_grid(table.cells, target, wrong)
            return found

        monkeypatch.setattr(pdf_tables, "read_camelot", misread)
        return
    module = pdf_text if reader == "pdfium" else pdf_tables
    real_grid = module._grid

    def misread_grid(*args):
        grid = real_grid(*args)
        _misread_grid(grid.rows, target, wrong)
        return grid

    monkeypatch.setattr(module, "_grid", misread_grid)


@pytest.mark.parametrize("reader", ["pdfium", "pdfplumber", "camelot"])
def test_the_reading_that_satisfies_the_identities_wins(monkeypatch, reader):
    path = FIXTURES / "002.pdf"
    _corrupt(monkeypatch, reader, "11713", "11718")
    source = read_pdf_checked(str(path), path.read_bytes(), "always")
    granted = next(line for line in source.lines if "（一）予以公开" in line.text)
    assert granted.text.split("\t")[3] == "11713"
    disputes = [c for c in source.checks if c.passed is False and ", row " in c.where]
    expected_disputes = 2 if reader == "pdfium" else 1  # the fast reading disputed by both others, or one by it
    assert len(disputes) == expected_disputes
    assert all("identities hold" in c.detail for c in disputes)
    assert all((c.expected, c.found) == (11713, 11718) for c in disputes)
    if reader == "pdfium":
        assert disputes[0].detail.startswith("pdfplumber '11713' replaces pdfium '11718'")
        assert granted.reader == "pdfium; column 4: pdfplumber"
    else:
        assert disputes[0].detail.startswith("pdfium '11713' kept over")
        assert granted.reader == "pdfium"


def test_a_value_the_fast_reader_left_blank_is_taken_from_the_cross_check(monkeypatch):
    path = FIXTURES / "002.pdf"
    _corrupt(monkeypatch, "pdfium", "11713", "")
    result = process_file(path, path.name)  # auto: the blank cell is recovered from the identities, so in doubt
    cell = result.report.requests["granted"]["natural_person"]
    assert (cell.value, cell.method) == (11713, "table")
    taken = [c for c in result.checks if c.detail.startswith("pdfplumber '11713' replaces pdfium ''")]
    assert len(taken) == 1 and "identities hold" in taken[0].detail


def test_auto_cross_checks_a_fast_reading_that_breaks_an_identity(monkeypatch):
    path = FIXTURES / "002.pdf"
    _corrupt(monkeypatch, "pdfium", "11713", "11718")
    result = process_file(path, path.name)  # auto, the default
    assert result.report.requests["granted"]["natural_person"].value == 11713
    summary = next(c for c in result.checks if c.check == READERS_AGREE)
    assert "cross-checked: identities fail" in summary.detail


def test_without_identities_the_fast_reading_is_kept(monkeypatch):
    real = pdf_tables.read_camelot

    def misread(*args):
        found = real(*args)
        for table in found:
            for row in table.cells:
                if row and row[0] == "行政许可":
                    row[1] = "7"
        return found

    monkeypatch.setattr(pdf_tables, "read_camelot", misread)
    path = FIXTURES / "003.pdf"
    source = read_pdf_checked(str(path), path.read_bytes(), "always")
    dispute = next(c for c in source.checks if c.passed is False and ", row " in c.where)
    assert "no identity decides" in dispute.detail and dispute.expected == 0 and dispute.found == 7


def test_cross_check_is_switchable():
    path = FIXTURES / "003.pdf"
    data = path.read_bytes()
    always, auto, never = (read_pdf_checked(str(path), data, mode) for mode in ("always", "auto", "never"))
    assert always.lines == auto.lines == never.lines
    assert always.checks and auto.checks == [] and never.checks == []


def test_the_cross_check_mode_is_checked():
    with pytest.raises(ValueError, match="sometimes"):
        read_pdf_checked(str(FIXTURES / "003.pdf"), (FIXTURES / "003.pdf").read_bytes(), "sometimes")


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


@pytest.mark.parametrize("reader", ["pdfium", "pdfplumber"])
def test_a_scan_raises_no_text_layer(tmp_path, reader):
    path = tmp_path / "scan.pdf"
    _scan(path)
    with pytest.raises(NoTextLayer, match=r"scan\.pdf: no text layer: .*OCR"):
        read_reading(path, path.read_bytes(), reader)
    with pytest.raises(NoTextLayer):
        read_source(path)  # sniffed as PDF by content, whatever the extension


@pytest.mark.parametrize("reader", ["pdfium", "pdfplumber"])
def test_a_broken_pdf_is_an_unknown_format(tmp_path, reader):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not a PDF body")
    with pytest.raises(UnknownFormat, match="broken.pdf: .*not a readable PDF"):
        read_reading(path, path.read_bytes(), reader)


def test_a_broken_pdf_is_a_clear_error_from_the_pipeline(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not a PDF body")
    result = process_file(path, path.name)
    assert result.kind == "error" and "broken.pdf" in result.error and "internal error" not in result.error


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
    lines = fast(FIXTURES / "000_libreoffice.pdf").lines
    row = next(line for line in lines if "2.没有现成信息需要另行制" in line.text)
    assert row.text.split("\t")[2:] == ["2.没有现成信息需要另行制作", "23", "0", "0", "0", "0", "0", "23"]
    assert not any(line.text.strip("\t") == "作" for line in lines)


def test_a_row_label_next_to_its_values_is_not_glued_to_the_row_above():
    before = pdf_layout.Grid(1, 1, 0, 10, [["", "（三）不予公开", "国家秘密", "1"]], (0, 0, 10, 10), {1: 0, 2: 0})
    after = pdf_layout.Grid(2, 1, 0, 10, [["", "", "法律法规禁止公开", "2"]], (0, 0, 10, 10))
    pdf_layout.rejoin_labels(before, after)
    assert before.rows[0][2] == "国家秘密" and after.rows[0][2] == "法律法规禁止公开"


# --- the switch: one setting, handed to every worker -----------------------------------------------------------


def test_the_cross_check_is_a_validated_setting_that_every_worker_receives():
    import pickle

    from govstats.dataset.limits import Limits
    from govstats.errors import UsageError

    assert Limits().cross_check == "auto"
    always = Limits(cross_check="always")
    assert pickle.loads(pickle.dumps(always)) == always  # what a process pool or a Dask worker on another host gets
    with pytest.raises(UsageError, match="sometimes"):
        Limits(cross_check="sometimes")


def test_the_cache_never_mixes_results_of_two_cross_check_modes():
    from govstats.dataset.cache import file_key
    from govstats.dataset.limits import Limits

    keys = {file_key(b"%PDF", "a.pdf", Limits(cross_check=mode)) for mode in ("auto", "always", "never")}
    assert len(keys) == 3


def test_govstats_parse_cross_check_always_audits_every_table(capsys, monkeypatch):
    import json

    from govstats.cli import main

    path = str(FIXTURES / "003.pdf")
    assert main(["parse", path, "--json", "--cross-check", "always"]) == 0
    audited_checks = [c for c in json.loads(capsys.readouterr().out)["checks"] if c["check"] == READERS_AGREE]
    assert audited_checks and all(c["passed"] for c in audited_checks)
    assert main(["parse", path, "--json"]) == 0
    assert not [c for c in json.loads(capsys.readouterr().out)["checks"] if c["check"] == READERS_AGREE]
