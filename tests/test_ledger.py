"""The build's ledger keeps log entries and corpus summaries on disk and gives them back as the build needs them."""

from __future__ import annotations

from govstats.dataset.build import CORPUS_CHECKS
from govstats.dataset.ledger import Ledger
from govstats.dataset.parallel import LogEntry
from govstats.model import NarrativeFigure
from govstats.validate.checks import CorpusSummary


def _summary(report_id: str, agency: str | None, year: int | None, carried_forward: float, carried_over: float):
    cells = {"requests.carried_forward.total": carried_forward, "requests.carried_over.total": carried_over}
    growth = {"requests_growth_pct": NarrativeFigure("requests_growth_pct", 10.0, "%", "增长10%", "line 3")}
    return CorpusSummary(report_id, agency, year, cells, growth if year == 2024 else {})


def test_log_entries_come_back_in_report_id_order_whatever_order_they_arrived_in(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    for name in ["b/2.txt", "a/9.txt", "a/10.txt", "甲.txt"]:
        ledger.record(LogEntry(name, None, "head", 1, [1, 0, 2], ["requests.x: 1 unreadable"]), None)
    entries = list(ledger.entries())
    assert [entry.report_id for entry in entries] == sorted(["b/2.txt", "a/9.txt", "a/10.txt", "甲.txt"])
    assert entries[0] == LogEntry("a/10.txt", None, "head", 1, [1, 0, 2], ["requests.x: 1 unreadable"])
    assert ledger.totals() == (4, 0, 8)


def test_corpus_checks_run_per_agency_give_the_same_results_as_over_the_whole_corpus(tmp_path):
    summaries = [
        _summary("x2023.txt", "甲局", 2023, 5, 0),
        _summary("y2023.txt", "乙局", 2023, 7, 0),
        _summary("x2024.txt", "甲局", 2024, 0, 5),  # carried over as carried forward: passes
        _summary("y2024.txt", "乙局", 2024, 0, 6),  # 7 carried forward, 6 carried over: fails
        _summary("z.txt", None, 2024, 1, 1),  # no agency: no corpus check can use it
    ]
    ledger = Ledger(tmp_path / "ledger.sqlite")
    for summary in summaries:
        ledger.record(LogEntry(summary.report_id, None), summary)
    found = sum(ledger.run_corpus_checks(check) for check in CORPUS_CHECKS)
    by_report = {report_id: checks for report_id, checks in _stored(ledger)}
    whole = [result for check in CORPUS_CHECKS for result in check(summaries)]  # every check over all at once
    assert found == len(whole) > 0
    assert sorted(by_report) == sorted({check.report_id for check in whole})
    assert [c for r in sorted(by_report) for c in by_report[r]] == sorted(whole, key=lambda c: c.report_id)
    counts = {entry.report_id: entry.counts for entry in ledger.entries()}
    assert counts["z.txt"] == [0, 0, 0]
    assert counts["y2024.txt"][1] >= 1  # the failed carry is counted in the later report's log line


def _stored(ledger: Ledger):
    rows = ledger.db.execute("SELECT DISTINCT report_id FROM corpus_checks ORDER BY report_id").fetchall()
    return zip([row[0] for row in rows], [checks for _, checks in ledger.corpus_checks()], strict=True)


def test_an_agencys_summaries_reach_a_check_one_at_a_time_not_as_a_list(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    for year in (2022, 2023, 2024):
        summary = _summary(f"x{year}.txt", "甲局", year, 0, 0)
        ledger.record(LogEntry(summary.report_id, None), summary)
    given, seen = [], []

    def check(summaries):
        given.append(iter(summaries) is summaries)  # an iterator: held by the check only as far as it keeps them
        seen.extend(summary.report_id for summary in summaries)
        return []

    assert ledger.run_corpus_checks(check) == 0
    assert given == [True] and seen == ["x2022.txt", "x2023.txt", "x2024.txt"]  # one agency, in year order
