"""The codebook holds every code of SPEC.md, with labels in both languages, in one place."""

from __future__ import annotations

from govstats import codebook

SPEC_ROWS_2021 = [
    "new_requests",
    "carried_over",
    "granted",
    "partially_granted",
    "withheld_state_secret",
    "withheld_prohibited_by_law",
    "withheld_security_stability",
    "withheld_third_party_rights",
    "withheld_internal_affairs",
    "withheld_process_info",
    "withheld_enforcement_file",
    "withheld_administrative_query",
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear_after_correction",
    "not_processed_petition_complaint",
    "not_processed_duplicate",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirm_existing",
    "other_no_correction",
    "other_unpaid_fee",
    "other_other",
    "total_processed",
    "carried_forward",
]


def test_section_three_rows_are_in_printed_order_with_21_dispositions():
    assert [e.code for e in codebook.request_rows("2021")] == SPEC_ROWS_2021
    assert len(codebook.disposition_rows("2021")) == 21


def test_format_2019_prints_other_dispositions_as_one_row():
    rows = [e.code for e in codebook.request_rows("2019")]
    assert "other" in rows and "other_other" not in rows
    assert len(codebook.disposition_rows("2019")) == 19


def test_groups_of_spec():
    groups = {e.code: e.group for e in codebook.request_rows("2021")}
    assert sum(g == "withheld" for g in groups.values()) == 8
    assert sum(g == "unavailable" for g in groups.values()) == 3
    assert sum(g == "not_processed" for g in groups.values()) == 5
    assert sum(g == "other" for g in groups.values()) == 3


def test_columns_proceedings_and_outcomes():
    assert codebook.applicants() == (
        "natural_person",
        "commercial_enterprise",
        "research_institution",
        "social_welfare_org",
        "legal_service_org",
        "other_org",
        "total",
    )
    assert codebook.proceedings() == ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
    assert codebook.outcomes() == ("upheld", "corrected", "other", "pending", "total")


def test_proactive_items_and_measures_of_both_formats():
    items_2021 = {e.code: e.measures for e in codebook.proactive_items("2021")}
    assert items_2021["regulations"] == ("issued", "repealed", "in_force")
    assert items_2021["fees"] == ("amount_10k_yuan",)
    items_2019 = {e.code: e.measures for e in codebook.proactive_items("2019")}
    assert items_2019["procurement"] == ("projects", "amount")
    assert items_2019["other_external_services"] == ("items_previous_year", "items_change", "decisions")


def test_every_code_has_both_labels_and_a_definition():
    for entry in codebook.entries():
        assert entry.label_zh and entry.label_en and entry.definition, entry.code
    assert codebook.label("request_row", "unavailable_not_held") == "本机关不掌握相关政府信息"
    assert codebook.label("request_row", "unavailable_not_held", "en") == "Cannot provide: not held"
    assert codebook.label("proactive_measure", "decisions", format_version="2019") == "处理决定数量"


def test_codebook_exports_as_a_table():
    frame = codebook.codebook_frame()
    assert len(frame) == len(codebook.entries())
    assert frame.loc[frame.code == "normative_documents", "variants"].iloc[0] == "规范性文件"


def test_withdrawals_sit_in_3_other_in_format_2021_and_in_the_one_row_other_in_format_2019():
    from govstats.codebook.prose import withdrawal_cell

    assert withdrawal_cell(codebook.FORMAT_2021) == ("other_other", "total")
    assert withdrawal_cell(codebook.FORMAT_2019) == ("other", "total")
    assert withdrawal_cell(codebook.FORMAT_2021, one_row_other=True) == ("other", "total")


def test_prose_share_of_disclosed_is_granted_plus_partially_granted_over_total_processed():
    from govstats.codebook.prose import prose_figures

    share = prose_figures()["percentage.disclosed_share"]
    assert share.table_cells() == (("granted", "total"), ("partially_granted", "total"))
    assert share.denominator() == (("total_processed", "total"),)


def test_every_prose_figure_names_cells_of_the_codebook():
    from govstats.codebook.prose import prose_figures

    rows = {e.code for e in codebook.request_rows()} | {e.code for e in codebook.request_rows(codebook.FORMAT_2019)}
    columns = set(codebook.applicants())
    for figure in prose_figures().values():
        for fmt in (codebook.FORMAT_2021, codebook.FORMAT_2019):
            cells = figure.table_cells(fmt)
            assert cells, figure.key
            if figure.section == "requests":
                assert all(row in rows and column in columns for row, column in cells), figure.key
            elif figure.section == "proactive":  # section 二 restated in prose (issue 13), in either form
                measures = {
                    (e.code, m)
                    for form in (codebook.FORMAT_2021, codebook.FORMAT_2019)
                    for e in codebook.proactive_items(form)
                    for m in e.measures
                }
                assert all(cell in measures for cell in cells), figure.key
            else:
                assert all(p in codebook.proceedings() and o in codebook.outcomes() for p, o in cells), figure.key
