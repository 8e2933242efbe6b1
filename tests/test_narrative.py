"""Prose figures (SPEC.md "Narrative figures researchers need", "Rates", identity 6) and their checks."""

from __future__ import annotations

import re

import pytest
from conftest import CLEAN_SEEDS, GARBLED_SEED, REAL, WORK_PLAN_SEED, expected, needs_expected, needs_real, seed_path

from govstats.dataset.contract import narrative_json
from govstats.dataset.tidy import narrative_frame
from govstats.extract.text import read_text
from govstats.model import NARRATIVE, PROXY, Cell, Line, Report, SourceText
from govstats.transform import narrative
from govstats.transform.narrative import extract_narrative, narrative_review_cells, narrative_totals, withdrawals
from govstats.transform.parse import parse_source
from govstats.transform.recover import recover_report
from govstats.validate.prose import (
    NARRATIVE_BOUND,
    NARRATIVE_GROWTH,
    NARRATIVE_PERCENTAGE,
    NARRATIVE_VS_TABLE,
    narrative_checks,
    narrative_corpus_checks,
    rounded_share,
)

REPORT_SEEDS = (*CLEAN_SEEDS, GARBLED_SEED)
JINSHAN_2023, SHANGHAI_2024, BAOSHAN_CENTRE_2023 = CLEAN_SEEDS
SHANGHAI_2023 = GARBLED_SEED


def figures(seed: str):
    return extract_narrative(read_text(seed_path(seed)))


def prose(*lines: str) -> dict:
    """Figures of a small document whose lines are given."""
    return extract_narrative(SourceText("t.txt", "text", [Line(t, f"line {i}") for i, t in enumerate(lines, 1)]))


def values(found: dict) -> dict:
    return {key: figure.value for key, figure in found.items()}


def table_report(seed: str, **changes) -> Report:
    """A Report holding the oracle's table values for a seed (what the parser gives once it reads them)."""
    oracle = expected(seed)

    def cells(section: dict | None) -> dict:
        return {
            row: {column: Cell(value) for column, value in columns.items() if isinstance(value, int | float)}
            for row, columns in (section or {}).items()
        }

    report = Report(
        report_id=seed,
        agency=oracle.get("agency"),
        year=oracle.get("year"),
        format_version=oracle.get("format_version"),
        requests=cells(oracle.get("requests")),
        review_litigation=cells(oracle.get("review_litigation")),
    )
    report.narrative = figures(seed) if seed in REPORT_SEEDS else {}
    for key, value in changes.items():
        setattr(report, key, value)
    return report


def set_cell(report: Report, section: str, row: str, column: str, value) -> None:
    getattr(report, section).setdefault(row, {})[column] = Cell(value)


# --- Extraction: every figure of the oracle, with its value --------------------------------------------------------


@needs_expected
@pytest.mark.parametrize("seed", REPORT_SEEDS)
def test_every_expected_narrative_figure_is_extracted_with_that_value(seed):
    oracle = {k: v for k, v in expected(seed)["narrative"].items() if k != "percentages_inconsistent_with_table"}
    found = narrative_json(figures(seed))
    assert {key: found.get(key) for key in oracle} == oracle


@needs_expected
@pytest.mark.parametrize("seed", [JINSHAN_2023, SHANGHAI_2024, SHANGHAI_2023])
def test_narrative_json_with_its_report_is_the_expected_narrative_object(seed):
    report = table_report(seed)
    assert narrative_json(report.narrative, report) == expected(seed)["narrative"]


@pytest.mark.parametrize("seed", REPORT_SEEDS)
def test_each_printed_number_stands_on_the_line_its_figure_names_inside_its_sentence(seed):
    lines = {line.where: line.text.replace(" ", "") for line in read_text(seed_path(seed)).lines}
    for key, figure in figures(seed).items():
        assert figure.raw.replace(" ", "") in figure.sentence.replace(" ", ""), key
        if any(ch.isdigit() for ch in figure.raw):  # a statement of none (未收取…) prints no digit
            assert f"{figure.value:g}" in lines[figure.location], (key, figure.location)


def test_jinshan_2023_figures_keep_the_sentence_and_line_they_came_from():
    withdrawn = figures(JINSHAN_2023)["withdrawn"]
    assert (withdrawn.value, withdrawn.location) == (84, "line 54")
    assert "申请人主动撤销 84 件" in withdrawn.sentence and withdrawn.sentence.endswith("占 17.18%。")


def test_shanghai_2023_prose_is_read_from_the_one_line_copy_and_not_from_its_table_digit_runs():
    found = figures(SHANGHAI_2023)
    assert {f.location for f in found.values()} == {"line 45"}
    # The table prints 32419165111295812234290 after 申请数量; the prose prints 收到…申请34290件.
    assert found["requests_received"].raw == "收到政府信息公开申请34290件"


def test_shanghai_2024_fee_comes_from_its_own_sentence_not_the_heading_above():
    fee = figures(SHANGHAI_2024)["processing_fee_yuan"]
    assert (fee.value, fee.unit, fee.location) == (11240, "yuan", "line 474")
    assert fee.sentence == "2024年，全市共收取政府信息公开处理费11240元。"


@pytest.mark.parametrize(
    ("seed", "statement"),
    [(JINSHAN_2023, "未收取信息公开处理费"), (BAOSHAN_CENTRE_2023, "未发生政府信息公开收费")],
)
def test_a_statement_that_no_fee_was_charged_is_a_printed_zero(seed, statement):
    fee = figures(seed)["processing_fee_yuan"]
    assert fee.value == 0 and statement in fee.sentence


def test_jinshan_no_correction_statement_is_a_printed_zero_for_corrected_cases():
    corrected = figures(JINSHAN_2023)["corrected_cases"]
    assert corrected.value == 0 and "未出现被纠错的情况" in corrected.sentence


def test_baoshan_centre_states_no_reconsideration_and_no_correction_as_printed_zeros():
    found = figures(BAOSHAN_CENTRE_2023)
    assert values(found)["reconsideration_cases"] == 0 and values(found)["corrected_cases"] == 0
    assert "litigation_cases" not in found  # litigation is not mentioned: missing, not zero


def test_a_figure_that_is_not_printed_is_missing_not_zero():
    assert "withdrawn" not in figures(BAOSHAN_CENTRE_2023)
    assert "requests_growth_pct" not in figures(JINSHAN_2023)
    assert "carried_over" not in figures(SHANGHAI_2023)  # 答复…(含上年度转结) prints no number


def test_a_share_of_withdrawals_is_not_read_as_a_count_of_withdrawals():
    assert "withdrawn" not in prose("申请人主动撤销占全年办理件数 15%以上。")


def test_a_work_plan_prints_no_report_figures():
    assert figures(WORK_PLAN_SEED) == {}


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("其他处理30件（其中申请人主动撤回 12 个），占10%。", "withdrawn", 12),
        ("申请人撤回申请7件。", "withdrawn", 7),
        ("撤回申请 9 件。", "withdrawn", 9),
        ("共收到政府信息公开申请1,234件。", "requests_received", 1234),
        ("全年收取信息公开处理费1.2万元。", "processing_fee_yuan", 12000),
        ("本年度无信息公开处理费收费情况。", "processing_fee_yuan", 0),
        ("申请量同比下降12.5%。", "requests_growth_pct", -12.5),
        ("不予公开 19 件，3.47%；", "percentage.withheld_share", 3.47),
        ("因属于国家秘密等不予公开19件（占3.47%）。", "percentage.withheld_share", 3.47),
        ("本年度未发生行政复议和行政诉讼。", "litigation_cases", 0),
        # Section 二 restated in prose (issue 13).
        ("立案查处各类违法行为并作出行政处罚决定305起，全部予以公开。", "penalties_decisions", 305),
        ("全年作出行政许可决定1,234件。", "licensing_decisions", 1234),
        ("今年共发布采购信息21条共5419886元。", "procurement_amount", 5419886),
        ("全年共发布采购信息197批次涉及金额3601627.4元。", "procurement_amount", 3601627.4),
        ("截至2023年底,平台纳入管理的有效行政规范性文件共2764件。", "normative_documents_in_force", 2764),
        ("本年度制发规范性文件34件，现行有效件数424件。", "normative_documents_in_force", 424),
    ],
)
def test_wording_variants_are_read(text, key, value):
    assert values(prose(text)).get(key) == value


@pytest.mark.parametrize(
    "text",
    [
        "其中行政许可类信息37条，行政处罚类信息103条。",  # published information items, not decisions
        "严格落实行政许可、行政处罚决定作出之日起7个工作日内公示。",  # a deadline, not a count
        "其中政策、规范性文件类信息12条。",  # items published, not documents issued or in force
        "政府集中采购项目的目录、标准及实施情况9条。",  # no amount
        "全年政府采购预算共5.4万元。",  # 万元 is not the table's unit: not read
    ],
)
def test_counts_of_published_items_and_other_units_are_not_section_2_restatements(text):
    found = values(prose(text))
    assert not {key for key in found if key.endswith(("_decisions", "_issued", "_in_force", "procurement_amount"))}


def test_a_fee_in_ten_thousand_yuan_is_converted_and_its_printed_form_kept():
    fee = prose("全年收取信息公开处理费1.2万元。")["processing_fee_yuan"]
    assert (fee.value, fee.unit) == (12000, "yuan") and fee.raw.endswith("1.2万元")


def test_lines_wrapped_inside_words_and_numbers_are_rejoined():
    found = prose(
        "全市共受理政府信息公开申请 3119 件，答", "复 3050 件，政府信息公开行政复议 351", "件，其中结果纠正 64 件。"
    )
    wanted = {"requests_received": 3119, "requests_answered": 3050, "reconsideration_cases": 351}
    assert values(found).items() >= wanted.items()
    assert found["reconsideration_corrected"].value == 64 and found["reconsideration_corrected"].location == "line 3"


@pytest.mark.parametrize(
    "text",
    ["申请人无正当理由逾期未按收费通知缴纳信息处理费的，不再处理。", "严格落实《政府信息公开信息处理费管理办法》。"],
)
def test_a_rule_about_fees_is_not_a_statement_of_the_fee_charged(text):
    assert "processing_fee_yuan" not in prose(text)


def test_no_correction_in_reconsideration_says_nothing_about_the_number_of_reconsiderations():
    found = values(prose("全年未发生行政复议被纠错的情况。"))
    assert found == {"corrected_cases": 0}


def test_a_fee_regulation_or_an_unpaid_fee_row_is_not_a_fee_statement():
    assert "processing_fee_yuan" not in prose(
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 0 0"
    )


@needs_real
def test_pingtan_2024_states_no_fee_and_prints_requests_handled():
    found = values(extract_narrative(read_text(REAL / "pingtan_zone_2024.txt")))
    printed = expected("pingtan_zone_2024")["narrative_as_printed"]
    assert printed["信息处理费"] == "无收取" and found["processing_fee_yuan"] == 0
    assert found["requests_handled"] == printed["办理政府信息公开申请"]


@needs_real
def test_pingtan_2019_prints_no_request_fee_or_withdrawal_figure():
    found = extract_narrative(read_text(REAL / "pingtan_zone_2019.txt"))
    assert not {"requests_received", "processing_fee_yuan", "withdrawn"} & set(found)


HUAIAN_KEYS = {
    "受理政府信息公开申请": "requests_received",
    "答复": "requests_answered",
    "含上年度结转申请": "carried_over",
    "顺延到下年度答复": "carried_forward",
    "行政复议": "reconsideration_cases",
    "复议结果维持": "reconsideration_upheld",
    "复议结果纠正": "reconsideration_corrected",
    "复议其他结果": "reconsideration_other",
    "复议尚未审结": "reconsideration_pending",
    "行政诉讼": "litigation_cases",
    "诉讼结果维持": "litigation_upheld",
    "诉讼结果纠正": "litigation_corrected",
    "诉讼其他结果": "litigation_other",
    "诉讼尚未审结": "litigation_pending",
    "信息处理费(元)": "processing_fee_yuan",
}


@needs_real
def test_huaian_2024_pdf_prose_gives_every_request_review_and_fee_figure_it_prints():
    pdfplumber = pytest.importorskip("pdfplumber")
    lines = []
    with pdfplumber.open(REAL / "huaian_city_2024.pdf") as pdf:
        for number, page in enumerate(pdf.pages, 1):
            text = page.extract_text() or ""
            lines += [Line(t, f"page {number}, line {i}") for i, t in enumerate(text.split("\n"), 1)]
    found = values(extract_narrative(SourceText("huaian_city_2024.pdf", "pdf", lines)))
    printed = expected("huaian_city_2024")["narrative_as_printed"]
    assert {key: found.get(key) for key in HUAIAN_KEYS.values()} == {v: printed[k] for k, v in HUAIAN_KEYS.items()}


# --- Checks between prose and tables (identity 6) ------------------------------------------------------------------


@needs_expected
def test_shanghai_2023_withheld_share_printed_4_70_is_flagged_against_4_69():
    [check] = [c for c in narrative_checks(table_report(SHANGHAI_2023)) if c.where.endswith("withheld_share")]
    assert (check.check, check.expected, check.found, check.passed) == (NARRATIVE_PERCENTAGE, 4.69, 4.7, False)
    assert "1615/34430" in check.detail and "4.70%" in check.detail and "占4.70%" in check.detail


@needs_expected
@pytest.mark.parametrize("seed", [JINSHAN_2023, SHANGHAI_2024, SHANGHAI_2023])
def test_every_other_printed_percentage_of_the_seeds_is_consistent_with_the_table(seed):
    checks = [c for c in narrative_checks(table_report(seed)) if c.check == NARRATIVE_PERCENTAGE]
    assert len(checks) == 5
    failed = [c.where for c in checks if c.passed is not True]
    assert failed == (["narrative.percentage.withheld_share"] if seed == SHANGHAI_2023 else [])


@needs_expected
@pytest.mark.parametrize("seed", REPORT_SEEDS)
def test_every_prose_count_of_the_seeds_agrees_with_the_table_it_restates(seed):
    checks = [c for c in narrative_checks(table_report(seed)) if c.check in (NARRATIVE_VS_TABLE, NARRATIVE_BOUND)]
    assert checks and [c.where for c in checks if c.passed is False] == []


@needs_expected
def test_shanghai_2023_review_figures_are_not_evaluable_without_the_unrecoverable_table():
    report = table_report(SHANGHAI_2023)
    assert report.review_litigation == {}
    review = [c for c in narrative_checks(report) if "review_litigation" in c.where]
    assert len(review) == 4 and all(c.passed is None and "not evaluable" in c.detail for c in review)


@needs_expected
def test_a_prose_count_that_differs_from_the_table_fails_and_quotes_its_sentence():
    report = table_report(SHANGHAI_2024)
    set_cell(report, "requests", "total_processed", "total", 41481)
    [check] = [c for c in narrative_checks(report) if c.where.startswith("narrative.requests_answered")]
    assert (check.expected, check.found, check.passed) == (41481, 41480, False)
    assert "答复政府信息公开申请41480件" in check.detail and "line 16" in check.detail


@needs_expected
def test_litigation_in_prose_is_checked_against_direct_plus_after_review_totals():
    report = table_report(SHANGHAI_2024)
    [check] = [c for c in narrative_checks(report) if c.where.startswith("narrative.litigation_cases")]
    direct = report.value("review_litigation", "litigation_direct", "total")
    after = report.value("review_litigation", "litigation_after_reconsideration", "total")
    assert check.expected == direct + after == 1082 and check.passed is True


@needs_expected
def test_withdrawals_above_the_other_row_they_belong_to_fail_the_bound():
    report = table_report(JINSHAN_2023)
    set_cell(report, "requests", "other_other", "total", 83)
    [check] = [c for c in narrative_checks(report) if c.check == NARRATIVE_BOUND]
    assert (check.where, check.expected, check.found, check.passed) == (
        "narrative.withdrawn <= requests.other_other.total",
        83,
        84,
        False,
    )


def test_withdrawals_of_a_one_row_other_report_are_bounded_by_other_total():
    report = Report(report_id="r", format_version="2019", narrative=prose("其他处理5件（其中申请人主动撤回3件）。"))
    set_cell(report, "requests", "other", "total", 5)
    [check] = [c for c in narrative_checks(report) if c.check == NARRATIVE_BOUND]
    assert check.where.endswith("requests.other.total") and check.passed is True


@needs_expected
def test_a_table_cell_recovered_with_the_help_of_a_prose_figure_is_not_evidence_for_it():
    report = table_report(SHANGHAI_2024)
    cell = Cell(41480, method="recovered", identities=("row_sum", "narrative_total"))
    report.requests["total_processed"]["total"] = cell
    [check] = [c for c in narrative_checks(report) if c.where.startswith("narrative.requests_answered")]
    assert check.passed is None and "recovered using this prose figure" in check.detail


def test_a_section_2_cell_recovered_from_a_prose_figure_is_not_evidence_for_that_figure():
    report = Report(report_id="x.txt", format_version="2021")
    report.narrative = prose("本年度制发行政规范性文件62件。")
    report.proactive["normative_documents"] = {"issued": Cell(62, method="recovered", identities=("narrative",))}
    [check] = narrative_checks(report)
    assert check.passed is None and "recovered using this prose figure" in check.detail


def test_a_percentage_is_recomputed_to_the_precision_it_is_printed_at():
    assert rounded_share(1615, 34430, 2) == 4.69
    assert rounded_share(12567, 41480, 1) == 30.3
    assert rounded_share(1, 8, 1) == 12.5 and rounded_share(1, 16, 1) == 6.3  # half up, as printed reports round


@needs_expected
def test_shanghai_2024_growth_of_23_03_percent_agrees_with_2023_and_2024_requests_received():
    [check] = narrative_corpus_checks([table_report(SHANGHAI_2023), table_report(SHANGHAI_2024)])
    assert (check.check, check.expected, check.found, check.passed) == (NARRATIVE_GROWTH, 23.03, 23.03, True)


@needs_expected
def test_growth_is_not_checked_without_the_previous_year():
    assert narrative_corpus_checks([table_report(SHANGHAI_2024)]) == []


# --- Withdrawals for analysis, review figures from prose -----------------------------------------------------------


@needs_expected
def test_withdrawals_are_the_prose_figure_even_when_the_proxy_is_allowed():
    found = withdrawals(table_report(SHANGHAI_2024), proxy=True)
    assert (found.value, found.method) == (6428, NARRATIVE) and "主动撤销6428件" in found.sentence


@needs_expected
def test_without_a_prose_figure_withdrawals_are_missing_unless_the_proxy_is_asked_for():
    report = table_report(BAOSHAN_CENTRE_2023)
    assert withdrawals(report).value is None and withdrawals(report).method is None
    proxy = withdrawals(report, proxy=True)
    other_other = report.value("requests", "other_other", "total")
    assert (proxy.value, proxy.method, proxy.location) == (other_other, PROXY, "requests.other_other.total")


@needs_expected
def test_shanghai_2023_review_and_litigation_come_from_prose_marked_narrative():
    cells = narrative_review_cells(table_report(SHANGHAI_2023))
    assert {p: {o: c.value for o, c in outcomes.items()} for p, outcomes in cells.items()} == {
        "reconsideration": {"corrected": 77, "total": 1202},
        "litigation": {"corrected": 32, "total": 927},
    }
    total = cells["reconsideration"]["total"]
    assert total.method == NARRATIVE and total.location == "line 45" and "行政复议1202件" in total.raw


# --- The tidy narrative table and the JSON object ------------------------------------------------------------------


@needs_expected
def test_narrative_frame_has_one_row_per_figure_with_flattened_percentages_in_a_deterministic_order():
    reports = [table_report(seed) for seed in REPORT_SEEDS]
    frame = narrative_frame(reports)
    assert list(frame.columns) == [
        *["report_id", "year", "agency", "level", "region"],
        *["key", "value", "unit", "sentence", "location", "method"],
    ]
    assert str(frame["value"].dtype) == "Float64" and set(frame["method"]) == {"narrative"}
    assert len(frame) == sum(len(r.narrative) for r in reports)
    row = frame[(frame.report_id == SHANGHAI_2023) & (frame.key == "percentage.withheld_share")].iloc[0]
    assert (row.value, row.unit, row.location) == (4.7, "percent", "line 45")
    assert narrative_frame(reversed(reports)).equals(frame)


def test_narrative_json_without_percentages_has_no_percentage_objects():
    found = narrative_json(figures(BAOSHAN_CENTRE_2023))
    assert "percentages_printed" not in found and "percentages_inconsistent_with_table" not in found


# --- End to end: the parser's report ---------------------------------------------------------------------------------


@needs_expected
@pytest.mark.parametrize("seed", [JINSHAN_2023, SHANGHAI_2024])
def test_parsed_clean_seeds_have_every_printed_percentage_consistent(seed):
    source = read_text(seed_path(seed))
    report = parse_source(source)
    report.narrative = report.narrative or extract_narrative(source)
    checks = [c for c in narrative_checks(report) if c.check == NARRATIVE_PERCENTAGE]
    assert len(checks) == 5 and all(c.passed is True for c in checks)


@needs_expected
def test_parsed_and_recovered_shanghai_2023_flags_only_its_printed_4_70_against_4_69():
    source = read_text(seed_path(SHANGHAI_2023))
    report = parse_source(source)
    report.narrative = extract_narrative(source)
    recover_report(report, narrative_totals=narrative_totals(report.narrative))
    checks = [c for c in narrative_checks(report) if c.check == NARRATIVE_PERCENTAGE]
    assert len(checks) == 5
    assert {c.where: (c.expected, c.found) for c in checks if c.passed is not True} == {
        "narrative.percentage.withheld_share": (4.69, 4.7)
    }


@needs_expected
def test_parsed_shanghai_2023_review_figures_come_from_prose_as_its_table_is_unrecoverable():
    source = read_text(seed_path(SHANGHAI_2023))
    report = parse_source(source)
    report.narrative = extract_narrative(source)
    recover_report(report, narrative_totals=narrative_totals(report.narrative))
    assert report.value("review_litigation", "reconsideration", "total") is None
    cells = narrative_review_cells(report)
    assert (cells["reconsideration"]["total"].value, cells["litigation"]["corrected"].value) == (1202, 32)
    assert {cell.method for outcomes in cells.values() for cell in outcomes.values()} == {NARRATIVE}


def test_a_rule_needs_the_characters_every_alternative_of_an_alternation_holds():
    # 处理费 | 收费: no common run, but every match holds 费, so a sentence without 费 never runs the rule.
    assert narrative._required(re.compile(r"(?:信息处理费|依申请公开收费)\d+元")) == frozenset({"费", "元"})


@pytest.mark.parametrize("seed", [*CLEAN_SEEDS, GARBLED_SEED])
def test_every_piece_a_rule_needs_is_in_every_match_of_it(seed):
    # The soundness of skipping rules: a skipped rule could not have matched.
    text = read_text(seed_path(seed)).text
    patterns = [rule.pattern for rule in narrative._RULES] + [p for p, _ in narrative._PROCEEDINGS.values()]
    matched = 0
    for pattern in patterns + list(narrative._SHARE_COUNTS.values()):
        for match in pattern.finditer(text.translate(str.maketrans(narrative.FULLWIDTH_TO_ASCII))):
            assert all(piece in match.group(0) for piece in narrative._required(pattern)), pattern.pattern
            matched += 1
    assert matched >= 5  # each seed states several figures in prose
