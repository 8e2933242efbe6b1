"""Recovery of garbled rows (issue 4): the exact solver, the extraction of runs, and writing into a report."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from govstats import codebook
from govstats.codebook import DISPOSITION_SUM, REVIEW_SUM, ROW_SUM
from govstats.model import AMBIGUOUS, RECOVERED, TABLE, UNREADABLE, VALUE, Cell, Report, Token
from govstats.transform import recover

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXPECTED = SHARED / "expected"
REAL = SHARED / "real"
SEED_004 = ROOT / "data" / "raw" / "004_f83caf973bd6f809.txt"

needs_expected = pytest.mark.skipif(not EXPECTED.exists(), reason="../shared/expected/ (hand-read values) is absent")
needs_real = pytest.mark.skipif(not REAL.exists(), reason="../shared/real/ (real reports) is absent")

ROWS_2021 = [e.code for e in codebook.request_rows(codebook.FORMAT_2021)]
ROWS_2019 = [e.code for e in codebook.request_rows(codebook.FORMAT_2019)]
APPLICANTS = codebook.applicants()
REVIEW_KEYS = [(p, o) for p in codebook.proceedings() for o in codebook.outcomes()]

# Seed 004, section 三, copied by hand from the text. Where the text reads `…40000000402.其他法律行92010012政法规…`
# the trailing 2 is the ordinal of the next label and is left out here; OCR letters are kept as printed.
RUNS_004 = {
    "new_requests": "32419165111295812234290",
    "carried_over": "208214404322235",
    "granted": "959245333242410099",
    "partially_granted": "396390031439",
    "withheld_state_secret": "400000040",  # 4000000040|2.其他法律行…
    "withheld_prohibited_by_law": "92010012",  # inside the label: 其他法律行92010012政法规禁止公开
    "withheld_security_stability": "545000059",  # 5450000594.保护…
    "withheld_third_party_rights": "20270000209",  # 202700002095.属于三类…
    "withheld_internal_affairs": "17840010183",  # 属于三类内部事务信17840010183息
    "withheld_process_info": "18270000189",  # 182700001897.属于行政执法案卷
    "withheld_enforcement_file": "911000193",  # 9110001938.属于行政查询事项
    "withheld_administrative_query": "800220116830",
    "unavailable_not_held": "108495343292811425",  # 本机关不掌握相108495343292811425关政府信息
    "unavailable_needs_creation": "241499O21932546",  # 241499O219325463.补正后…
    "unavailable_unclear_after_correction": "35214O1O4371",
    "not_processed_petition_complaint": "1873OOO1191",  # 信访举报投诉类1873OOO1191申请
    "not_processed_duplicate": "506280000534",  # 5062800005343.要求提供…
    "not_processed_publication": "3000003",  # 30000034.无正当理由…
    "not_processed_excessive": "880000088",  # 8800000885.要求行政机关…
    "not_processed_confirm_existing": "6000006",  # 确认或6000006重新出具已获取信息
    "other_no_correction": "IOll310051020",
    "other_unpaid_fee": "615000021",  # 6150000213.其55414702414416072他
    "other_other": "55414702414416072",
    "total_processed": "3250717069336111434430",
    "carried_forward": "199489200102095",
}
REVIEW_004 = "71720201203432946714010425677220240857"


def expected(name: str) -> dict:
    return json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))


def request_table(data: dict) -> dict[tuple[str, str], int]:
    return {(row, column): value for row, cells in data["requests"].items() for column, value in cells.items()}


# --- normalisation and splitting -----------------------------------------------------------------------------


def test_normalise_run_reads_ocr_letters_only_inside_digit_runs():
    assert recover.normalise_run("IOll310051020") == "1011310051020"
    assert recover.normalise_run("35214O1O4371") == "352140104371"
    assert recover.normalise_run("1873OOO1191申请") == "18730001191申请"
    # No digit in the run: nothing proves these letters are digits.
    assert recover.normalise_run("ESG Ilo 信息") == "ESG Ilo 信息"


def test_splits_refuse_leading_zeros_and_respect_spaces():
    assert recover.splits("105", 2) == [(10, 5)]  # 1|05 has a leading zero
    assert recover.splits("000", 3) == [(0, 0, 0)]
    # The space is a compulsory cut: "000023" is 0,0,0,0,23 or 0,0,0,0,2,3, never fused with "230".
    assert sorted(recover.splits("230 000023", 7)) == [
        (2, 30, 0, 0, 0, 0, 23),
        (23, 0, 0, 0, 0, 0, 23),
        (230, 0, 0, 0, 0, 2, 3),
    ]
    assert recover.sum_readings("230 000023", 7) == [(23, 0, 0, 0, 0, 0, 23)]
    assert recover.splits(["12", "3"], 2) == [(12, 3)]
    assert recover.splits("123", 4) == []


def test_splits_allow_decimals_only_where_asked():
    assert recover.splits("18651.06", 1) == []
    assert recover.splits("18651.06", 1, decimals=True) == [(18651.06,)]
    assert (1, 8651.06) in recover.splits("18651.06", 2, decimals=[False, True])
    assert all(isinstance(first, int) for first, _ in recover.splits("18651.06", 2, decimals=[False, True]))


digit_runs = st.text(alphabet="0001234567899 ", min_size=1, max_size=13).map(lambda s: " ".join(s.split()))


@settings(max_examples=400, deadline=None)
@given(run=digit_runs, parts=st.integers(1, 7))
def test_sum_readings_equal_brute_force(run, parts):
    """The pruned search finds exactly the splits whose last number is the sum of the others."""
    brute = sorted(s for s in recover.splits(run, parts) if sum(s[:-1]) == s[-1])
    assert sorted(recover.sum_readings(run, parts)) == brute


@settings(max_examples=200, deadline=None)
@given(run=digit_runs, size=st.integers(2, 3))
def test_grouped_readings_equal_brute_force(run, size):
    def fits(s):
        return all(sum(s[g : g + size - 1]) == s[g + size - 1] for g in range(0, 2 * size, size))

    assert sorted(recover.grouped_readings(run, 2, size)) == sorted(s for s in recover.splits(run, 2 * size) if fits(s))


# --- extraction from garbled text -----------------------------------------------------------------------------


def test_data_runs_drop_stuck_ordinals():
    text = "7.属于行政执法案卷9110001938.属于行政查询事项800220116830(四)"
    assert [run for run, _ in recover.data_runs(text)] == ["911000193", "800220116830"]


def test_garbled_section_of_seed_004_gives_the_hand_extracted_runs():
    text = SEED_004.read_text(encoding="utf-8")
    bounds = recover.section_text(text, "requests", ("review_litigation", "problems"))
    found = recover.tokens_from_garbled_section(text[bounds[0] : bounds[1]], ROWS_2021)
    assert found is not None
    assert {row: [t.text for t in tokens] for row, tokens in found.items()} == {
        row: [recover.normalise_run(run)] for row, run in RUNS_004.items()
    }


def test_garbled_section_with_a_missing_run_is_refused():
    assert recover.tokens_from_garbled_section("一、本年新收1000001二、上年结转", ROWS_2021) is None


# --- the solver on seed 004 -----------------------------------------------------------------------------------


@needs_expected
def test_seed_004_section_3_has_one_reading_equal_to_the_expected_table():
    solution = recover.solve_requests({row: [run] for row, run in RUNS_004.items()}, ROWS_2021)
    assert solution.status == recover.UNIQUE
    table = request_table(expected("004_f83caf973bd6f809"))
    assert {key: solution.value(*key) for key in table} == table


def test_seed_004_section_3_is_solved_well_under_a_second():
    runs = {row: [run] for row, run in RUNS_004.items()}
    start = time.perf_counter()
    recover.solve_requests(runs, ROWS_2021)
    assert time.perf_counter() - start < 0.5


def test_seed_004_identities_are_named():
    solution = recover.solve_requests({row: [run] for row, run in RUNS_004.items()}, ROWS_2021)
    # 32419165111295812234290 has one split satisfying its row sum: identity 1 alone fixes it.
    assert solution.identities[("new_requests", "natural_person")] == (ROW_SUM,)
    # 959245333242410099 has four row-sum readings; the disposition sums pick one.
    assert solution.identities[("granted", "commercial_enterprise")] == (ROW_SUM, DISPOSITION_SUM)
    assert solution.identities[("not_processed_publication", "total")] == (recover.SINGLE_SPLIT,)


def test_seed_004_section_4_has_no_reading():
    solution = recover.solve_review([REVIEW_004])
    assert solution.status == recover.UNRECOVERABLE
    assert solution.readings == 0


def test_one_wrong_digit_makes_the_section_unrecoverable():
    runs = {row: [run] for row, run in RUNS_004.items()}
    runs["granted"] = ["959245333242410098"]  # the row sum now fails for every split
    solution = recover.solve_requests(runs, ROWS_2021)
    assert solution.status == recover.UNRECOVERABLE
    assert solution.empty_rows == ["granted"]


# --- ambiguity, known cells and declared constraints ----------------------------------------------------------


def test_a_row_alone_is_ambiguous_and_lists_every_candidate():
    solution = recover.solve_requests({"granted": ["959245333242410099"]}, ROWS_2021)
    assert solution.readings == 4
    assert solution.value("granted", "natural_person") == 9592  # every reading agrees
    assert solution.candidates("granted", "commercial_enterprise") == (45, 453)
    assert solution.value("granted", "commercial_enterprise") is None


def test_known_cells_constrain_the_reading():
    solution = recover.solve_requests(
        {"granted": ["959245333242410099"]}, ROWS_2021, known={("granted", "legal_service_org"): 24}
    )
    assert solution.readings == 1
    assert solution.value("granted", "commercial_enterprise") == 453


def test_narrative_totals_narrow_and_conflicts_are_recorded():
    runs = {"granted": ["959245333242410099"]}
    narrowed = recover.solve_requests(runs, ROWS_2021, narrative_totals={("granted", "other_org"): 24})
    assert narrowed.readings == 1
    assert recover.NARRATIVE_TOTAL in narrowed.identities[("granted", "commercial_enterprise")]
    conflicting = recover.solve_requests(runs, ROWS_2021, narrative_totals={("granted", "other_org"): 7})
    assert conflicting.readings == 4 and conflicting.conflicts


def test_previous_year_carried_forward_pins_carried_over():
    runs = {"carried_over": ["959245333242410099"]}
    solution = recover.solve_requests(runs, ROWS_2021, previous_carried_forward={"commercial_enterprise": 453})
    assert solution.readings == 1
    assert codebook.CARRY_ACROSS_YEARS in solution.identities[("carried_over", "legal_service_org")]


def test_review_narrative_totals_narrow():
    run = "1001213021021400202"
    solution = recover.solve_review([run])
    assert solution.readings == 3 and solution.candidates("reconsideration", "total") == (2, 13)
    narrowed = recover.solve_review([run], narrative_totals={"reconsideration_cases": 2})
    assert narrowed.readings == 1
    assert [narrowed.value(*key) for key in REVIEW_KEYS] == [1, 0, 0, 1, 2, 1, 3, 0, 210, 214, 0, 0, 2, 0, 2]
    assert narrowed.identities[("litigation_direct", "other")] == (REVIEW_SUM, recover.NARRATIVE_TOTAL)
    assert narrowed.identities[("litigation_after_reconsideration", "total")] == (REVIEW_SUM,)
    conflicting = recover.solve_review([run], narrative_totals={"reconsideration_cases": 99})
    assert conflicting.readings == 3 and conflicting.conflicts


# --- writing into a report ------------------------------------------------------------------------------------


@needs_expected
def test_recover_report_never_changes_cells_read_directly():
    table = request_table(expected("004_f83caf973bd6f809"))
    report = Report(report_id="x.txt", format_version=codebook.FORMAT_2021)
    garbled = {"granted", "partially_granted", "other_other"}
    for row in ROWS_2021:
        if row in garbled:
            report.requests[row] = {c: Cell(None, UNREADABLE, RUNS_004[row], "line 9") for c in APPLICANTS}
            report.unread_rows[("requests", row)] = [Token(RUNS_004[row], "line 9")]
        else:
            report.requests[row] = {c: Cell(table[(row, c)], VALUE, str(table[(row, c)]), "line 9") for c in APPLICANTS}
    before = {row: dict(cells) for row, cells in report.requests.items() if row not in garbled}
    results = recover.recover_report(report)
    assert all(report.requests[row][c] is cell for row, cells in before.items() for c, cell in cells.items())
    for row in garbled:
        for column in APPLICANTS:
            cell = report.requests[row][column]
            assert (cell.status, cell.method, cell.value) == (VALUE, RECOVERED, table[(row, column)])
            assert cell.raw == RUNS_004[row] and cell.location == "line 9"
    assert report.requests["granted"]["commercial_enterprise"].identities == (ROW_SUM, DISPOSITION_SUM)
    assert [(r.check, r.passed) for r in results] == [("recovery_requests", True)]


def test_recover_report_marks_ambiguous_cells_with_candidates():
    report = Report(report_id="x.txt", format_version=codebook.FORMAT_2021)
    report.requests["granted"] = {c: Cell(None, UNREADABLE, "959245333242410099") for c in APPLICANTS}
    report.unread_rows[("requests", "granted")] = [Token("959245333242410099", "line 3")]
    results = recover.recover_report(report)
    cell = report.requests["granted"]["commercial_enterprise"]
    assert (cell.status, cell.value, cell.candidates) == (AMBIGUOUS, None, (45, 453))
    assert report.requests["granted"]["natural_person"].value == 9592
    assert results[0].passed is None and results[0].found == 4


def test_recover_report_leaves_an_unrecoverable_review_unreadable():
    report = Report(report_id="x.txt", format_version=codebook.FORMAT_2021)
    flat = [f"{p}.{o}" for p, o in REVIEW_KEYS]
    for key in flat:
        proceeding, outcome = key.split(".")
        report.review_litigation.setdefault(proceeding, {})[outcome] = Cell(None, UNREADABLE, REVIEW_004, "line 1")
    report.unread_rows[("review_litigation", "all")] = [Token(REVIEW_004, "line 1")]
    results = recover.recover_report(report)
    assert [(r.check, r.passed) for r in results] == [("recovery_review", False)]
    assert all(c.status == UNREADABLE and c.raw == REVIEW_004 for _, _, _, c in report.cells())
    assert report.unread_rows[("review_litigation", "all")][0].text == REVIEW_004


# --- the real garbled copies, end to end ------------------------------------------------------------------------


def parsed(path: Path) -> Report:
    from govstats.extract import read_source
    from govstats.transform.parse import parse_source

    return parse_source(read_source(path))


def assert_table_equal(report: Report, data: dict, section: str) -> None:
    for row, cells in data[section].items():
        for column, value in cells.items():
            cell = getattr(report, section)[row][column]
            assert (cell.status, cell.value) == (VALUE, value), f"{section}.{row}.{column}: {cell}"
            assert cell.method in (RECOVERED, TABLE)


def assert_proactive_exact_or_ambiguous(report: Report, data: dict) -> None:
    checked = 0
    for item, measures in data["proactive"].items():
        for measure, value in measures.items():
            if measure == "notes" or value is None:
                continue  # null: no one could read it from this copy
            cell = report.proactive[item][measure]
            assert (cell.status == VALUE and cell.value == value) or (
                cell.status == AMBIGUOUS and value in cell.candidates
            ), f"proactive.{item}.{measure}: {cell}"
            checked += 1
    assert checked


@needs_expected
def test_seed_004_end_to_end():
    report = parsed(SEED_004)
    results = recover.recover_report(report)
    data = expected("004_f83caf973bd6f809")
    assert_table_equal(report, data, "requests")
    assert all(c.method == RECOVERED for cells in report.requests.values() for c in cells.values())
    assert_proactive_exact_or_ambiguous(report, data)
    assert all(cell.status == UNREADABLE for cells in report.review_litigation.values() for cell in cells.values())
    by_check = {r.check: r for r in results if r.check != "recovery_proactive"}
    assert by_check["recovery_requests"].passed is True and by_check["recovery_review"].passed is False


@needs_real
@needs_expected
@pytest.mark.parametrize("name", ["pingtan_zone_2019", "pingtan_zone_2024"])
def test_pingtan_end_to_end(name):
    report = parsed(REAL / f"{name}.txt")
    recover.recover_report(report)
    data = expected(name)
    assert_table_equal(report, data, "requests")
    assert_table_equal(report, data, "review_litigation")
    assert_proactive_exact_or_ambiguous(report, data)


@needs_real
@needs_expected
@pytest.mark.parametrize("name", ["pingtan_zone_2019", "pingtan_zone_2024"])
def test_pingtan_solver_on_runs_extracted_from_the_text(name):
    """The solver alone, on the runs this module extracts, independent of the parser's reading of the rows."""
    text = (REAL / f"{name}.txt").read_text(encoding="utf-8")
    data = expected(name)
    rows = ROWS_2019 if data["format_version"] == codebook.FORMAT_2019 else ROWS_2021
    bounds = recover.section_text(text, "requests", ("review_litigation", "problems"))
    tokens = recover.tokens_from_garbled_section(text[bounds[0] : bounds[1]], rows)
    solution = recover.solve_requests({row: [t.text for t in ts] for row, ts in tokens.items()}, rows)
    assert solution.status == recover.UNIQUE
    assert {key: solution.value(*key) for key in request_table(data)} == request_table(data)
    bounds = recover.section_text(text, "review_litigation", ("problems", "other_matters"))
    review = recover.solve_review([t.text for t in recover.review_tokens_from_text(text[bounds[0] : bounds[1]])])
    truth = {(p, o): v for p, cells in data["review_litigation"].items() for o, v in cells.items()}
    assert review.status == recover.UNIQUE and {k: review.value(*k) for k in truth} == truth


# --- property: garbled clean tables come back, or an honest ambiguity -------------------------------------------


def _satisfies_identities(table: dict[tuple[str, str], int], rows: list[str]) -> bool:
    dispositions = [r for r in rows if codebook.row_group(r)]
    rows_ok = all(sum(table[(r, c)] for c in APPLICANTS[:-1]) == table[(r, "total")] for r in rows)
    balance = all(
        table[("new_requests", c)] + table[("carried_over", c)]
        == table[("total_processed", c)] + table[("carried_forward", c)]
        for c in APPLICANTS
    )
    sums = all(sum(table[(r, c)] for r in dispositions) == table[("total_processed", c)] for c in APPLICANTS)
    return rows_ok and balance and sums


def _clean_tables() -> list[tuple[str, list[str], dict]]:
    if not EXPECTED.exists():
        return []
    tables = []
    for path in sorted(EXPECTED.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not data.get("requests"):
            continue
        rows = ROWS_2019 if "other" in data["requests"] else ROWS_2021
        table = request_table(data)
        if _satisfies_identities(table, rows):
            tables.append((path.stem, rows, table))
    return tables


CLEAN = _clean_tables()
OCR_LETTERS = {"0": "Oo", "1": "Il"}


@st.composite
def garbled_row(draw, values: list[int]) -> str:
    """The row's numbers run together; some real separators kept as spaces; some 0/1 printed as OCR letters."""
    printed = ""
    for index, value in enumerate(values):
        if index:
            printed += " " if draw(st.integers(0, 5)) == 0 else ""
        printed += str(value)
    letters = []
    for char in printed:
        swap = char in OCR_LETTERS and draw(st.integers(0, 4)) == 0
        letters.append(draw(st.sampled_from(OCR_LETTERS[char])) if swap else char)
    text = "".join(letters)
    # A run made only of letters is not provably digits; keep at least one real digit, as in the copies.
    return text if any(ch.isdigit() for ch in text) else printed


def assert_honest(solution: recover.Solution, truth: dict, keys) -> None:
    event(solution.status)
    assert solution.readings >= 1, "the original reading satisfies every identity, so it must be found"
    for key in keys:
        values = solution.values[key]
        assert truth[key] in values, f"{key}: {truth[key]} not among {sorted(values)}"
        if len(values) == 1:
            assert next(iter(values)) == truth[key]


@pytest.mark.skipif(not CLEAN, reason="no clean expected tables in ../shared/expected/")
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_garbled_tables_recover_the_original_or_an_honest_ambiguity(data):
    name, rows, table = data.draw(st.sampled_from(CLEAN), label="table")
    garbled = data.draw(st.sets(st.sampled_from(rows), min_size=1), label="garbled rows")
    runs = {
        row: [data.draw(garbled_row([table[(row, c)] for c in APPLICANTS]), label=row)]
        for row in rows
        if row in garbled
    }
    known = {key: value for key, value in table.items() if key[0] not in garbled}
    solution = recover.solve_requests(runs, rows, known=known)
    assert_honest(solution, table, [(row, c) for row in garbled for c in APPLICANTS])


def _clean_reviews() -> list[dict]:
    if not EXPECTED.exists():
        return []
    reviews = []
    for path in sorted(EXPECTED.glob("*.json")):
        review = json.loads(path.read_text(encoding="utf-8")).get("review_litigation")
        if review:
            reviews.append({(p, o): v for p, cells in review.items() for o, v in cells.items()})
    return reviews


REVIEWS = _clean_reviews()


@pytest.mark.skipif(not REVIEWS, reason="no review tables in ../shared/expected/")
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_garbled_review_rows_recover_the_original_or_an_honest_ambiguity(data):
    truth = data.draw(st.sampled_from(REVIEWS), label="table")
    run = data.draw(garbled_row([truth[key] for key in REVIEW_KEYS]), label="run")
    assert_honest(recover.solve_review([run]), truth, REVIEW_KEYS)


small_counts = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 999), st.integers(1000, 40000))


@st.composite
def consistent_tables(draw) -> dict[tuple[str, str], int]:
    """A section 三 that satisfies identities 1-3 by construction."""
    dispositions = [r for r in ROWS_2021 if codebook.row_group(r)]
    table = {}
    for row in dispositions:
        values = [draw(st.one_of(st.just(0), small_counts)) for _ in APPLICANTS[:-1]]
        table.update({(row, c): v for c, v in zip(APPLICANTS, [*values, sum(values)], strict=True)})
    over = [draw(st.integers(0, 30)) for _ in APPLICANTS[:-1]]
    forward = [draw(st.integers(0, 30)) for _ in APPLICANTS[:-1]]
    for column, before, after in zip(APPLICANTS[:-1], over, forward, strict=True):
        processed = sum(table[(r, column)] for r in dispositions)
        table[("total_processed", column)] = processed
        table[("carried_over", column)] = before
        table[("carried_forward", column)] = after
        table[("new_requests", column)] = processed + after - before
    for row in ("total_processed", "carried_over", "carried_forward", "new_requests"):
        table[(row, "total")] = sum(table[(row, c)] for c in APPLICANTS[:-1])
    return table


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=consistent_tables(), data=st.data())
def test_synthetic_tables_recover_the_original_or_an_honest_ambiguity(table, data):
    assume(all(value >= 0 for value in table.values()))  # else more was carried over than processed
    runs = {row: [data.draw(garbled_row([table[(row, c)] for c in APPLICANTS]), label=row)] for row in ROWS_2021}
    solution = recover.solve_requests(runs, ROWS_2021)
    assert_honest(solution, table, list(table))


# --- issue 13: prose settles section 二, and every decision is explained -------------------------------------


def test_prose_figures_settle_a_fused_section_2_run_and_a_conflict_is_a_failed_check():
    report = Report(report_id="x.txt", format_version=codebook.FORMAT_2021)
    report.unread_rows[("proactive", "normative_documents")] = [Token("8855698", "line 3")]
    stated = {"normative_documents_issued": 88, "normative_documents_in_force": 698}
    results = recover.recover_report(report, narrative_totals=stated)
    cells = report.proactive["normative_documents"]
    assert [(c.value, c.method) for c in cells.values()] == [(88, RECOVERED), (55, RECOVERED), (698, RECOVERED)]
    assert all("narrative" in c.identities for c in cells.values())
    assert results[0].passed is True

    report = Report(report_id="x.txt", format_version=codebook.FORMAT_2021)
    report.unread_rows[("proactive", "normative_documents")] = [Token("8855698", "line 3")]
    results = recover.recover_report(report, narrative_totals={"normative_documents_issued": 7})
    assert any(r.passed is False and "agrees with no split" in r.detail for r in results)
    assert all(c.status == AMBIGUOUS for c in report.proactive["normative_documents"].values())


def _proactive_run(item: str, run: str, stated: dict, form: str = codebook.FORMAT_2019):
    """A report whose section-二 row ``item`` printed ``run`` fused, recovered with the prose figures ``stated``."""
    report = Report(report_id="x.txt", format_version=form)
    report.unread_rows[("proactive", item)] = [Token(run, "line 10")]
    results = recover.recover_report(report, narrative_totals=stated)
    return report, results


def test_a_prose_count_of_penalty_decisions_settles_the_decisions_cell_and_only_that_cell():
    # 行政处罚11910305 (上一年项目数量, 本年增/减, 处理决定数量) and "作出行政处罚决定305起".
    report, results = _proactive_run("penalties", "11910305", {"penalties_decisions": 305})
    cells = report.proactive["penalties"]
    assert (cells["decisions"].value, cells["decisions"].method) == (305, RECOVERED)
    assert "narrative" in cells["decisions"].identities
    # 1|1910, 11|910, 119|10, 1191|0 all end in 305: the prose says nothing of the other two cells.
    assert cells["items_previous_year"].status == AMBIGUOUS and cells["items_previous_year"].candidates == (
        1,
        11,
        119,
        1191,
    )
    assert cells["items_change"].status == AMBIGUOUS and set(cells["items_change"].candidates) == {0, 10, 910, 1910}
    assert not any(r.passed is False for r in results)


def test_a_prose_procurement_amount_settles_both_cells_of_the_procurement_row():
    # 政府集中采购215419886元 and "今年共发布采购信息21条共5419886元": the amount is the run's tail, the count its head.
    report, results = _proactive_run("procurement", "215419886", {"procurement_amount": 5419886})
    cells = report.proactive["procurement"]
    assert [(c.value, c.method) for c in cells.values()] == [(21, RECOVERED), (5419886, RECOVERED)]
    assert results[0].passed is True
    report, _ = _proactive_run("procurement", "1973601627.4", {"procurement_amount": 3601627.4})
    assert [c.value for c in report.proactive["procurement"].values()] == [197, 3601627.4]


def test_two_prose_figures_no_split_satisfies_together_leave_the_row_ambiguous_with_a_failed_check():
    # 行政规范性文件34089 and "本年度制发规范性文件34件，现行有效件数424件": 34 fits (34,0,89), but no split has 424.
    stated = {"normative_documents_issued": 34, "normative_documents_in_force": 424}
    report, results = _proactive_run("normative_documents", "34089", stated, codebook.FORMAT_2021)
    assert all(c.status == AMBIGUOUS for c in report.proactive["normative_documents"].values())
    assert any(r.passed is False and "agrees with no split" in r.detail for r in results)


def test_the_explanation_of_a_section_2_row_lists_the_splits_weighed_and_those_the_prose_leaves():
    report, _ = _proactive_run("penalties", "11910305", {"penalties_decisions": 305})
    note = report.recovery_notes[("proactive", "penalties")]
    assert "12 split(s)" in note and "1,1,910305" in note
    assert "4 agree (1,1910,305; 11,910,305; 119,10,305; 1191,0,305)" in note


def test_explain_shows_run_readings_and_deciding_identities(capsys):
    from govstats.cli import main

    assert main(["parse", str(SEED_004), "--explain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    granted = next(line for line in lines if line.startswith("requests.granted.natural_person "))
    assert "= 9592" in granted and "959245333242410099" in granted and "identities 1-3" in granted
    assert any(line.startswith("proactive.regulations.issued ambiguous, candidates [1, 18]") for line in lines)


# The fast paths of the digit readers (issue 17) must read exactly as the general code does.
_RUNS = st.text(alphabet="0123456789 ", min_size=1, max_size=16).map(lambda t: " ".join(t.split())).filter(bool)


@given(_RUNS, st.integers(min_value=0, max_value=16))
def test_a_plain_digit_piece_is_cut_as_the_general_reader_cuts_it(text, position):
    from govstats.transform.digits import _cuts_at, _plain_numbers

    assume(position < len(text) and text[position] != " ")
    assert _plain_numbers(text, position) == _cuts_at(text, position, False)
    assert _plain_numbers(text, position) == _cuts_at(text, position, True)


@given(st.text(alphabet="0123456789 .-", min_size=1, max_size=14), st.integers(min_value=1, max_value=8))
def test_a_run_never_has_more_splits_than_its_bound(run, parts):
    from govstats.transform.digits import _all_splits, _pieces_text, _split_bound

    text = _pieces_text(run)
    assume(text)
    assert len(_all_splits(text, parts, (True,) * parts)) <= _split_bound(text, parts)
    assert len(_all_splits(text, parts, (False,) * parts)) <= _split_bound(text, parts)


def test_headings_from_a_later_start_are_those_of_the_whole_text_from_there():
    from govstats.textnorm import compact
    from govstats.transform import detect

    text = compact(SEED_004.read_text(encoding="utf-8"))
    whole = detect._align_headings(text, 0)
    for start in sorted({0, *(m.begin for m in whole), *(m.begin + 1 for m in whole)}):
        assert detect._align_headings(text, start) == tuple(m for m in whole if m.begin >= start)
    assert detect._aligned_headings(text, 0) == whole  # the whole text's, kept: later starts are filtered from it
    assert all(detect._aligned_headings(text, m.begin + 1) == detect._align_headings(text, m.begin + 1) for m in whole)
