"""The build's ledger: each document's log entry and corpus summary, kept on disk while the build runs.

The corpus checks compare reports across years, so they run after the last file; the log is written in
report-id order at the end. Holding every log entry and corpus summary in memory until then made a build's
memory grow with its corpus (about 4.7 KB per report: 470 MB at 100,000 reports). The ledger keeps them in a
SQLite file in the build's private work folder instead (the standard library's ``sqlite3``; rows of plain values
and JSON text, never pickle), runs the corpus checks one agency at a time (both compare only reports of the same
agency) and gives the log back in order. (Peak memory still grows about 3 KB per report after this: see
benchmarks/results.md.)
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..model import CheckResult
from ..validate.checks import CorpusSummary
from .parallel import LogEntry, count_slot

_TABLES = """
CREATE TABLE entries (
    report_id TEXT PRIMARY KEY, error TEXT, head TEXT NOT NULL, problems INTEGER NOT NULL,
    passed INTEGER NOT NULL, failed INTEGER NOT NULL, not_evaluable INTEGER NOT NULL, unread TEXT NOT NULL
);
CREATE TABLE summaries (arrival INTEGER PRIMARY KEY, agency TEXT NOT NULL, year INTEGER NOT NULL, summary TEXT);
CREATE TABLE corpus_checks (arrival INTEGER PRIMARY KEY, report_id TEXT NOT NULL, year INTEGER, result TEXT);
"""

# The entries' count columns, in the order of LogEntry.counts (``count_slot`` says which one counts a check).
_COUNT_COLUMNS = ("passed", "failed", "not_evaluable")

CorpusCheck = Callable[[Iterable[CorpusSummary]], list[CheckResult]]


def _summaries(rows: Iterable[tuple[str, str]], years: dict[str, int]) -> Iterator[CorpusSummary]:
    """The summaries of (agency, summary JSON) rows, noting each report's year in ``years`` as it passes."""
    for _, text in rows:
        summary = CorpusSummary.from_record(json.loads(text))
        years[summary.report_id] = summary.year
        yield summary


class Ledger:
    """Log entries and corpus summaries of a build, in a SQLite file that the build deletes with its work folder."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        # A scratch file: nothing to recover after a crash (the build starts again), so no journal and no fsync.
        self.db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _TABLES)

    def close(self) -> None:
        self.db.close()

    def record(self, entry: LogEntry, summary: CorpusSummary | None) -> None:
        """A document's log entry, and its corpus summary if the corpus checks can use it (agency and year)."""
        unread = json.dumps(entry.unread, ensure_ascii=False)
        row = (entry.report_id, entry.error, entry.head, entry.problems, *entry.counts, unread)
        self.db.execute("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        if summary is not None and summary.agency and summary.year:
            text = json.dumps(summary.record(), ensure_ascii=False)
            self.db.execute("INSERT INTO summaries VALUES (NULL, ?, ?, ?)", (summary.agency, summary.year, text))

    def run_corpus_checks(self, check: CorpusCheck) -> int:
        """Run ``check`` on each agency's summaries (in year, then arrival, order), add its results to the log
        entries' counts and keep them for :meth:`corpus_checks`; returns how many there were.

        The summaries reach the check one at a time, as it takes them: a check keeps what it compares (one report
        per agency and year), so an agency of many reports (or a corpus whose agency names were all read alike)
        does not have to fit in memory at once."""
        rows = self.db.execute("SELECT agency, summary FROM summaries ORDER BY agency, year, arrival")
        found = 0
        for _, group in itertools.groupby(rows, key=lambda row: row[0]):
            years: dict[str, int] = {}
            results = check(_summaries(group, years))
            self._store(results, years)
            found += len(results)
        return found

    def _store(self, results: list[CheckResult], years: dict[str, int]) -> None:
        for result in results:
            text = json.dumps(dict(result.__dict__), ensure_ascii=False)
            row = (result.report_id, years.get(result.report_id), text)
            self.db.execute("INSERT INTO corpus_checks VALUES (NULL, ?, ?, ?)", row)
            count = _COUNT_COLUMNS[count_slot(result)]
            self.db.execute(f"UPDATE entries SET {count} = {count} + 1 WHERE report_id = ?", (result.report_id,))

    def corpus_checks(self) -> Iterator[tuple[int | None, list[CheckResult]]]:
        """Each report's year and corpus check results, in report-id order (its own in the order they were found)."""
        rows = self.db.execute("SELECT report_id, year, result FROM corpus_checks ORDER BY report_id, arrival")
        for (_, year), group in itertools.groupby(rows, key=lambda row: row[:2]):
            yield year, [CheckResult(**json.loads(text)) for *_, text in group]

    def entries(self) -> Iterator[LogEntry]:
        """Every log entry, in report-id order (SQLite's binary order of UTF-8 is Python's order of the ids)."""
        for report_id, error, head, problems, *counts, unread in self.db.execute(
            "SELECT * FROM entries ORDER BY report_id"
        ):
            yield LogEntry(report_id, error, head, problems, counts, json.loads(unread))

    def totals(self) -> tuple[int, int, int]:
        """Checks passed, failed and not evaluable over all documents."""
        row = self.db.execute("SELECT sum(passed), sum(failed), sum(not_evaluable) FROM entries").fetchone()
        return tuple(value or 0 for value in row)
