"""Identity checks: they pass on the clean seeds and catch every single changed number."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from conftest import CLEAN_SEEDS, seed_path

from govstats.extract import read_source
from govstats.model import Cell, CheckResult, NarrativeFigure, Report
from govstats.transform.parse import parse_source
from govstats.validate.checks import CorpusSummary, corpus_checks, report_checks
from govstats.validate.prose import narrative_corpus_checks


def parsed(seed: str) -> Report:
    return parse_source(read_source(seed_path(seed)))


def changed(report: Report, section: str, row: str, column: str, delta: int) -> Report:
    mutant = copy.deepcopy(report)
    cell = getattr(mutant, section)[row][column]
    getattr(mutant, section)[row][column] = dataclasses.replace(cell, value=cell.value + delta)
    return mutant


@pytest.mark.parametrize("seed", CLEAN_SEEDS)
@pytest.mark.parametrize("delta", [1, -1, 10])
def test_checks_catch_every_single_changed_number(seed, delta):
    report = parsed(seed)
    assert all(c.passed for c in report_checks(report))
    cells = [
        (section, row, column)
        for section, row, column, cell in report.cells()
        if section in ("requests", "review_litigation") and cell.is_number
    ]
    assert len(cells) == 25 * 7 + 15
    uncaught = [where for where in cells if all(c.passed for c in report_checks(changed(report, *where, delta=delta)))]
    assert uncaught == []


def test_a_broken_identity_is_recorded_and_the_printed_total_is_kept():
    report = changed(parsed("000_26d4c64f71069daa"), "requests", "granted", "natural_person", 1)
    failed = [c for c in report_checks(report) if c.passed is False]
    assert CheckResult(report.report_id, "row_sum", "requests.granted", 259, 258, False) in failed
    assert report.requests["granted"]["total"].value == 258, "a printed total is never overwritten"


def test_a_missing_cell_makes_its_checks_not_evaluable_not_failed():
    report = parsed("003_e72d2a415b3bfbdb")
    report.requests["granted"]["natural_person"] = Cell(None, "blank")
    row_sum = next(c for c in report_checks(report) if c.where == "requests.granted")
    assert row_sum.passed is None
    assert "granted.natural_person" in row_sum.detail


def test_shanghai_carried_forward_2023_equals_carried_over_2024_when_both_are_known():
    later = parsed("002_279364b37d11c44d")
    earlier = copy.deepcopy(later)
    earlier.year = 2023
    earlier.report_id = "earlier"
    earlier.requests["carried_forward"] = copy.deepcopy(later.requests["carried_over"])
    results = corpus_checks([earlier, later])
    assert len(results) == 7 and all(r.passed for r in results)
    earlier.requests["carried_forward"]["total"] = Cell(2096)
    assert [r.where.split(": ")[1] for r in corpus_checks([earlier, later]) if r.passed is False] == ["requests.total"]


def test_both_cross_year_checks_compare_the_first_report_of_an_agency_and_year_never_a_second_copy():
    def summary(report_id, year, forward, received, growth=None):
        cells = {"requests.carried_forward.total": forward, "requests.new_requests.total": received}
        prose = {"requests_growth_pct": NarrativeFigure("requests_growth_pct", growth, "%", "", "", "10%")}
        return CorpusSummary(report_id, "甲局", year, cells, prose if growth is not None else {})

    reports = [
        summary("a2023.txt", 2023, 5, 100),
        summary("b2023.txt", 2023, 9, 50),
        summary("c2024.txt", 2024, 0, 110, 10),
    ]
    carried = corpus_checks(reports)
    [growth] = narrative_corpus_checks(reports)
    assert carried and all("a2023.txt" in check.detail and "b2023.txt" not in check.detail for check in carried)
    assert growth.expected == 10 and growth.passed  # (110 - 100) / 100 from a2023.txt, not (110 - 50) / 50
