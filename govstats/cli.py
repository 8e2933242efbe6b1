"""Command line: ``govstats build``, ``govstats parse PATH --json``, ``govstats export``, ``govstats fetch``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .dataset import schema
from .dataset.build import LAYOUTS, build
from .dataset.contract import checks_json, explain_json, explain_text, narrative_json, report_json
from .dataset.limits import DEFAULT_MAX_FILE_MB, DEFAULT_TIMEOUT_SECONDS, Limits
from .dataset.names import escape_controls, report_id
from .dataset.parallel import SCHEDULERS
from .dataset.pipeline import process_file
from .errors import UsageError
from .validate.readings import CROSS_CHECK_MODES


def _limits(args: argparse.Namespace) -> Limits:
    """The per-file settings of ``build`` and ``parse``, validated once (every worker receives them)."""
    return Limits(args.max_file_mb, args.file_timeout or None, args.cross_check or "auto")


def _build(args: argparse.Namespace) -> int:
    limits = _limits(args)
    cache = None if args.no_cache else (args.cache or Path(args.out).parent / "cache")
    if args.jobs < 0:
        raise UsageError("--jobs must be at least 0")
    summary = build(
        args.raw,
        args.out,
        jobs=args.jobs if args.jobs > 0 else (os.cpu_count() or 1),
        cache_dir=cache,
        scheduler=args.scheduler,
        dask_address=args.dask_address,
        layout=args.layout,
        progress=not args.quiet and sys.stderr.isatty(),
        limits=limits,
    )
    for error in summary.errors:
        print(f"error: {escape_controls(error)}", file=sys.stderr)
    cached = f" ({summary.cached} from the cache)" if summary.cached else ""
    print(
        f"{summary.documents} documents{cached}, {summary.reports} parsed, {len(summary.errors)} not; "
        f"checks: {summary.checks_passed} passed, {summary.checks_failed} failed, "
        f"{summary.checks_not_evaluable} not evaluable → {summary.out_dir}"
    )
    return 0


def _records(result, table: str) -> list[dict]:
    """A table's rows of one file as JSON-ready dicts, typed by the schema (a blank becomes null)."""
    frame = schema.frame(table, result.tables[table])
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def work_plan_json(result) -> dict:
    """A work plan as JSON: its metadata, tasks and task units, and its checks."""
    (plan,) = _records(result, "reports")
    return {
        "document": result.kind,
        **{key: plan[key] for key in ("agency", "region", "year", "title", "source_file")},
        "tasks": _records(result, "work_plan_tasks"),
        "task_units": _records(result, "work_plan_task_units"),
        "checks": checks_json(result.checks),
    }


def _parse(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.is_file():
        raise UsageError(f"{report_id(str(path))}: no such file" if not path.exists() else f"{path}: not a file")
    result = process_file(path, path.name, _limits(args))
    if result.error is not None:
        print(f"error: {escape_controls(result.error)}", file=sys.stderr)
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
    if not Path(args.notebooks).is_dir():
        print(
            f"error: {args.notebooks}: no notebooks here; `govstats notebooks run` needs a clone of the repository "
            "and the [notebooks] extra (pip install 'govstats[notebooks]')",
            file=sys.stderr,
        )
        return 2
    from .analysis.runner import NotebookError, run_all

    try:
        run_all(
            args.notebooks,
            args.out,
            dict(args.parameter),
            names=args.names,
            cwd=Path.cwd(),
            progress=lambda line: print(line, flush=True),
        )
    except NotebookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _limit_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--max-file-mb", type=float, default=DEFAULT_MAX_FILE_MB,
        help=f"a larger file (or a DOCX unpacking to more) is an error row (default {DEFAULT_MAX_FILE_MB:g})",
    )  # fmt: skip
    command.add_argument(
        "--file-timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, metavar="SECONDS",
        help=f"a file that takes longer to parse is an error row (default {DEFAULT_TIMEOUT_SECONDS:g}; 0: none)",
    )  # fmt: skip


def _export(args: argparse.Namespace) -> int:
    from .dataset.export import export

    try:
        out = args.out or f"exports/{args.format}"
        written = export(args.data, out, args.format, tables=args.table or None, language=args.language)
    except (FileNotFoundError, KeyError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{len(written)} files ({args.format}) → {out}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from .fetch import Fetcher, fetch, read_url_list

    urls = list(args.url)
    for url_file in args.from_file:
        urls += read_url_list(url_file)
    if not urls:
        print("error: no URL given (URLs, or --from-file FILE)", file=sys.stderr)
        return 2
    fetcher = Fetcher(delay=args.delay, retries=args.retries, timeout=args.timeout, max_bytes=args.max_bytes)
    result = fetch(urls, args.raw, site=args.site, fetcher=fetcher)
    for row in result.rows:
        outcome = f"error: {row.error}" if row.error else f"{row.http_status} → {row.file}"
        print(f"{row.url}: {outcome}")
    print(
        f"{result.downloaded} downloaded, {len(result.rows) - result.downloaded - len(result.failed)} already "
        f"there, {len(result.failed)} failed"
    )
    return 1 if result.failed else 0


def _add_export(commands) -> None:
    from .dataset.export import FORMATS

    export_parser = commands.add_parser("export", help="the built dataset as Stata, R or Excel files")
    export_parser.add_argument("--format", choices=FORMATS, required=True, help="stata (.dta), r or excel (CSV+BOM)")
    export_parser.add_argument("--data", default="data/processed", help="the built dataset (default data/processed)")
    export_parser.add_argument("--out", default=None, help="output folder (default exports/<format>)")
    export_parser.add_argument("--table", action="append", default=[], help="only this table (repeatable)")
    export_parser.add_argument("--language", choices=("en", "zh"), default="en", help="value labels' language")
    export_parser.set_defaults(run=_export)


def _add_fetch(commands) -> None:
    fetch_parser = commands.add_parser("fetch", help="download report pages and their attachments into data/raw")
    fetch_parser.add_argument("url", nargs="*", help="URLs of report pages")
    fetch_parser.add_argument("--from-file", action="append", default=[], help="a file of URLs, one per line")
    fetch_parser.add_argument("--raw", default="data/raw", help="raw folder (default data/raw)")
    fetch_parser.add_argument("--site", help="subfolder of the raw folder (default: each page's host name)")
    fetch_parser.add_argument("--delay", type=float, default=1.0, help="seconds between requests to a host (1)")
    fetch_parser.add_argument("--retries", type=int, default=3, help="retries on timeouts, 429 and 5xx (3)")
    fetch_parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (30)")
    fetch_parser.add_argument("--max-bytes", type=int, default=50 * 1024 * 1024, help="size limit per file (50 MiB)")
    fetch_parser.set_defaults(run=_fetch)


CROSS_CHECK_HELP = (
    "PDFs: read tables again with pdfplumber and camelot and let the identities choose: auto (default: where the "
    "fast reading breaks an identity, leaves cells unread or disagrees with the prose), always (audit), never"
)


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="govstats", description=__doc__)
    main_parser.add_argument("--version", action="version", version=f"govstats {__version__}")
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
    _limit_arguments(build_parser)
    build_parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    build_parser.add_argument("--cross-check", choices=CROSS_CHECK_MODES, help=CROSS_CHECK_HELP)
    build_parser.set_defaults(run=_build)
    parse_parser = commands.add_parser("parse", help="parse one document")
    parse_parser.add_argument("path")
    parse_parser.add_argument("--json", action="store_true", help="print the document as JSON (the contract)")
    parse_parser.add_argument("--values", action="store_true", help="with --json: bare numbers for plain cells")
    _limit_arguments(parse_parser)
    parse_parser.add_argument("--cross-check", choices=CROSS_CHECK_MODES, help=CROSS_CHECK_HELP)
    parse_parser.add_argument(
        "--explain", action="store_true", help="for each recovered or ambiguous cell: its run, readings, identities"
    )
    parse_parser.set_defaults(run=_parse)
    notebooks_parser = commands.add_parser("notebooks", help="curated notebooks")
    notebooks_commands = notebooks_parser.add_subparsers(dest="notebooks_command", required=True)
    run_parser = notebooks_commands.add_parser("run", help="execute the notebooks (all, or those named) with papermill")
    run_parser.add_argument("names", nargs="*", help="notebooks to run (e.g. 02_not_held or 02; default: all)")
    run_parser.add_argument("--notebooks", default="notebooks", help="folder of NN_*.ipynb (default notebooks)")
    run_parser.add_argument(
        "--out",
        help="output folder: notebooks/, figures/, results/ (default reports/; with -p: reports/runs/<parameters>)",
    )
    run_parser.add_argument(
        "-p", "--parameter", action="append", type=_parameter, default=[], help="override a parameter: name=value"
    )
    run_parser.set_defaults(run=_notebooks)
    _add_export(commands)
    _add_fetch(commands)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    """Run a command. A bad argument, a missing or unwritable folder: one line on stderr and exit status 2."""
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        return _fail(str(error))
    except OSError as error:  # the file system refused (read-only, full, permissions): say which path and why
        where = f"{report_id(os.fsdecode(error.filename))}: " if error.filename else ""
        return _fail(f"{where}{error.strerror or type(error).__name__}")
    except KeyboardInterrupt:
        return _fail("interrupted (the previous dataset is unchanged)", 130)


def _fail(message: str, status: int = 2) -> int:
    print(f"govstats: error: {escape_controls(message)}", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
