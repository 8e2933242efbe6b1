"""``govstats build``: parse every document under ``data/raw/`` and write the tidy dataset to ``data/processed/``.

Outputs are deterministic (same inputs → byte-identical files) and written atomically (temporary file, then
rename), so an interrupted build leaves the previous dataset readable. ``data/raw/`` is only ever read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import tidy
from .checks import corpus_checks
from .codebook import codebook_frame
from .pipeline import Processed, process_file

TABLES = ("reports", "requests", "review_litigation", "proactive", "checks")
LOG_NAME = "build_log.txt"


@dataclass
class BuildSummary:
    documents: int
    reports: int
    errors: list[str]
    checks_passed: int
    checks_failed: int
    checks_not_evaluable: int
    out_dir: Path


def discover(raw_dir: Path) -> list[Path]:
    """Every document under the raw folder, in a stable order (README files and hidden files are not documents)."""
    return sorted(
        path
        for path in raw_dir.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(raw_dir).parts)
        and not path.name.upper().startswith("README")
    )


def process_corpus(raw_dir: Path) -> list[Processed]:
    return [process_file(path, path.relative_to(raw_dir).as_posix()) for path in discover(raw_dir)]


def assemble(results: Iterable[Processed]) -> dict[str, pd.DataFrame]:
    """The tidy tables of a processed corpus: each file's rows, in report_id order, plus every check."""
    results = sorted(results, key=lambda r: r.report_id)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES if name != "checks"}
    for result in results:
        tables = result.tables if result.error is None else {"reports": _error_frame(result)}
        for name, frame in tables.items():
            parts.setdefault(name, []).append(frame)
    empty = {
        "reports": tidy.reports_frame([]),
        "requests": tidy.requests_frame([]),
        "review_litigation": tidy.review_frame([]),
        "proactive": tidy.proactive_frame([]),
    }
    assembled = {
        name: pd.concat(frames, ignore_index=True) if frames else empty[name] for name, frames in parts.items()
    }
    checks = [c for r in results for c in r.checks] + corpus_checks(r.carry for r in results if r.carry)
    assembled["checks"] = tidy.checks_frame(checks)
    return assembled


def _error_frame(result: Processed) -> pd.DataFrame:
    return tidy.reports_frame([_error_record(result)])


def _error_record(result: Processed) -> dict:
    record = dict.fromkeys(tidy.REPORT_COLUMNS)
    record |= {"report_id": result.report_id, "source_file": result.report_id, "sha256": result.sha256}
    record |= {"document": result.kind, "status": "error", "error": result.error}
    return record


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename: readers never see half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_table(frame: pd.DataFrame, out_dir: Path, name: str) -> None:
    _atomic_write(out_dir / f"{name}.parquet", lambda p: frame.to_parquet(p, index=False))
    _atomic_write(out_dir / f"{name}.csv", lambda p: frame.to_csv(p, index=False, lineterminator="\n"))


def build_log(results: list[Processed], checks: pd.DataFrame) -> str:
    """One line per document: what it was read as, or the error that names it; then the check totals."""
    lines = []
    for result in sorted(results, key=lambda r: r.report_id):
        if result.error:
            lines.append(f"ERROR {result.error}")
            continue
        report = result.tables["reports"].iloc[0]
        mine = checks[checks["report_id"] == result.report_id]["passed"]
        problems = report["problems"].count("\n") + 1 if report["problems"] else 0
        lines.append(
            f"OK    {result.report_id}: {report['document']} {report['agency']} {report['year']} "
            f"(format {report['format_version']}); checks {int(mine.eq(True).sum())} passed, "
            f"{int(mine.eq(False).sum())} failed, {int(mine.isna().sum())} not evaluable; {problems} problems"
        )
    passed = checks["passed"]
    lines.append(
        f"TOTAL {len(results)} documents; checks {int(passed.eq(True).sum())} passed, "
        f"{int(passed.eq(False).sum())} failed, {int(passed.isna().sum())} not evaluable"
    )
    return "\n".join(lines) + "\n"


def build(raw_dir: str | Path = "data/raw", out_dir: str | Path = "data/processed") -> BuildSummary:
    """Parse every document of ``raw_dir`` and write the dataset to ``out_dir``."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"{raw_dir}: raw data folder not found")
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [result.lean() for result in process_corpus(raw_dir)]
    tables = assemble(results)
    for name, frame in tables.items():
        write_table(frame, out_dir, name)
    codebook = codebook_frame()
    _atomic_write(out_dir / "codebook.csv", lambda p: codebook.to_csv(p, index=False, lineterminator="\n"))
    log = build_log(results, tables["checks"])
    _atomic_write(out_dir / LOG_NAME, lambda p: Path(p).write_text(log, encoding="utf-8"))
    passed = tables["checks"]["passed"]
    return BuildSummary(
        documents=len(results),
        reports=sum(r.error is None for r in results),
        errors=[r.error for r in results if r.error],
        checks_passed=int(passed.eq(True).sum()),
        checks_failed=int(passed.eq(False).sum()),
        checks_not_evaluable=int(passed.isna().sum()),
        out_dir=out_dir,
    )
