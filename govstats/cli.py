"""Command line: ``govstats build``, ``govstats parse PATH --json``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .dataset.build import LAYOUTS, build
from .dataset.contract import explain_json, explain_text, narrative_json, report_json
from .dataset.parallel import SCHEDULERS
from .dataset.pipeline import process_file


def _build(args: argparse.Namespace) -> int:
    cache = None if args.no_cache else (args.cache or Path(args.out).parent / "cache")
    summary = build(
        args.raw,
        args.out,
        jobs=args.jobs if args.jobs > 0 else (os.cpu_count() or 1),
        cache_dir=cache,
        scheduler=args.scheduler,
        dask_address=args.dask_address,
        layout=args.layout,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    for error in summary.errors:
        print(f"error: {error}", file=sys.stderr)
    cached = f" ({summary.cached} from the cache)" if summary.cached else ""
    print(
        f"{summary.documents} documents{cached}, {summary.reports} parsed, {len(summary.errors)} not; "
        f"checks: {summary.checks_passed} passed, {summary.checks_failed} failed, "
        f"{summary.checks_not_evaluable} not evaluable → {summary.out_dir}"
    )
    return 0


def _records(frame) -> list[dict]:
    """Rows as JSON-ready dicts: pandas' <NA> becomes null."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def work_plan_json(result) -> dict:
    """A work plan as JSON: its metadata, tasks and task units, and its checks."""
    (plan,) = _records(result.tables["reports"])
    return {
        "document": result.kind,
        **{key: plan[key] for key in ("agency", "region", "year", "title", "source_file")},
        "tasks": _records(result.tables["work_plan_tasks"]),
        "task_units": _records(result.tables["work_plan_task_units"]),
        "checks": [{k: v for k, v in c.__dict__.items() if k != "report_id"} for c in result.checks],
    }


def _parse(args: argparse.Namespace) -> int:
    path = Path(args.path)
    result = process_file(path, path.name)
    if result.error is not None:
        print(f"error: {result.error}", file=sys.stderr)
        return 2
    if result.report is None:  # a work plan: its tasks, not a report's tables
        print(json.dumps(work_plan_json(result), ensure_ascii=False, indent=1))
        return 0
    if args.json:
        narrative = narrative_json(result.report.narrative, result.report)
        document = report_json(result.report, result.checks, narrative, values=args.values)
        if args.explain:
            document["explain"] = explain_json(result.report)
        print(json.dumps(document, ensure_ascii=False, indent=1, default=str))
    elif args.explain:
        print(explain_text(result.report))
    else:
        report = result.report
        failed = [c for c in result.checks if c.passed is False]
        print(f"{report.agency} {report.year} (format {report.format_version}, {report.level}, {report.scope})")
        print(f"checks: {len(result.checks) - len(failed)} not failed, {len(failed)} failed")
        for problem in report.problems:
            print(f"  problem: {problem}")
    return 0


def _parameter(text: str) -> tuple[str, object]:
    """``name=value``; the value is read as JSON when it parses (numbers, lists), else kept as a string."""
    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def _notebooks(args: argparse.Namespace) -> int:
    from .notebooks import NotebookError, run_all

    try:
        timings = run_all(args.notebooks, args.out, dict(args.parameter), cwd=Path.cwd())
    except NotebookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, seconds in timings.items():
        print(f"{name}: executed in {seconds:.1f} s → {Path(args.out) / name}")
    return 0


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="govstats", description=__doc__)
    commands = main_parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="parse data/raw into data/processed")
    build_parser.add_argument("--raw", default="data/raw", help="folder of raw documents (default data/raw)")
    build_parser.add_argument("--out", default="data/processed", help="output folder (default data/processed)")
    build_parser.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1; 0: one per core)")
    build_parser.add_argument(
        "--cache", type=Path, help="folder of cached per-file results (default: 'cache' beside --out, data/cache)"
    )
    build_parser.add_argument("--no-cache", action="store_true", help="parse every file again, keep no cache")
    build_parser.add_argument(
        "--scheduler", choices=SCHEDULERS, default="processes", help="processes (default) or dask (a cluster)"
    )
    build_parser.add_argument(
        "--dask-address", help="with --scheduler dask: the scheduler's address (default: a local cluster of --jobs)"
    )
    build_parser.add_argument(
        "--layout", choices=LAYOUTS, default="file", help="Parquet as one file per table (default) or a file per year"
    )
    build_parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    build_parser.set_defaults(run=_build)
    parse_parser = commands.add_parser("parse", help="parse one document")
    parse_parser.add_argument("path")
    parse_parser.add_argument("--json", action="store_true", help="print the document as JSON (the contract)")
    parse_parser.add_argument("--values", action="store_true", help="with --json: bare numbers for plain cells")
    parse_parser.add_argument(
        "--explain", action="store_true", help="for each recovered or ambiguous cell: its run, readings, identities"
    )
    parse_parser.set_defaults(run=_parse)
    notebooks_parser = commands.add_parser("notebooks", help="curated notebooks")
    notebooks_commands = notebooks_parser.add_subparsers(dest="notebooks_command", required=True)
    run_parser = notebooks_commands.add_parser("run", help="execute every notebook with papermill")
    run_parser.add_argument("--notebooks", default="notebooks", help="folder of NN_*.ipynb (default notebooks)")
    run_parser.add_argument("--out", default="reports/notebooks", help="executed copies (default reports/notebooks)")
    run_parser.add_argument(
        "-p", "--parameter", action="append", type=_parameter, default=[], help="override a parameter: name=value"
    )
    run_parser.set_defaults(run=_notebooks)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
