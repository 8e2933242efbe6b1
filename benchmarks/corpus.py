"""Corpus benchmark: render N synthetic reports in every format, build them, report speed and memory in one run.

Each synthetic report is a real one (the hand-read values of ``../shared/expected`` for seeds 000, 002 and 003, with
their prose) whose numbers are redrawn at random with identities 1-4 kept true, rendered in the official merged
layout by the fixture renderers of ``scripts/fixtures/`` (HTML in their four page styles, DOCX, PDF with ruling
lines) or as tab-separated text. The corpus is built with ``govstats.build.build`` and the script prints:

- reports per second per core for each format (files / CPU seconds spent on them in the worker processes);
- the build's wall time and peak memory (max RSS of the building process, run fresh, and of its largest worker;
  their resident memory summed at one moment, sampled);
- same-run baselines on the same files: pdfplumber's bare ``extract_text`` and camelot lattice for PDF,
  ``pandas.read_html`` for HTML.

Run ``python benchmarks/corpus.py [--n 10000] [--pdf 20] [--docx 200] [--jobs 2]``; it writes
``benchmarks/results.md`` (``--keep --workdir DIR`` keeps the corpus and reuses it on the next run). Slow formats
(PDF, DOCX) get a sample of the N files, the rest is half text, half HTML.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import govstats  # noqa: F401  (first, as the command line: it chooses Arrow's allocator before pyarrow loads)

# isort: split
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))

import official_layout as layouts  # noqa: E402
import render_docx  # noqa: E402
import render_html  # noqa: E402
from official_layout import Layout, Paragraph, Table  # noqa: E402

from govstats import __version__, codebook  # noqa: E402
from govstats.dataset import memory  # noqa: E402
from govstats.dataset.build import build  # noqa: E402

BASES = ("000", "002", "003")  # clean seeds whose values are all known
RESULTS = ROOT / "benchmarks" / "results.md"
TREE_SAMPLE_SECONDS = 0.05  # the peaks last about a second (a derived batch, a table written): sampled many times


# --- synthetic values: identities 1-4 hold by construction -------------------------------------------------------


def random_requests(rng: random.Random) -> dict[str, dict[str, int]]:
    applicants = codebook.applicants()[:-1]
    rows = [e.code for e in codebook.request_rows(codebook.FORMAT_2021)]
    dispositions = [code for code in rows if code not in ("new_requests", "carried_over", "total_processed")]
    dispositions.remove("carried_forward")
    values: dict[str, dict[str, int]] = {row: {} for row in rows}
    for column in applicants:
        scale = rng.choice([0, 3, 20, 200, 2000])
        for row in dispositions:
            values[row][column] = int(rng.random() * scale * rng.random())
        processed = sum(values[row][column] for row in dispositions)
        forward = int(rng.random() * scale * 0.1)
        over = rng.randint(0, processed + forward)
        values["total_processed"][column] = processed
        values["carried_forward"][column] = forward
        values["carried_over"][column] = over
        values["new_requests"][column] = processed + forward - over
    for row in rows:
        values[row]["total"] = sum(values[row][c] for c in applicants)
    return values


def random_review(rng: random.Random) -> dict[str, dict[str, int]]:
    review = {}
    for proceeding in codebook.proceedings():
        outcomes = {o: int(rng.random() * 30 * rng.random()) for o in codebook.outcomes()[:-1]}
        review[proceeding] = outcomes | {"total": sum(outcomes.values())}
    return review


def random_proactive(rng: random.Random, base: dict) -> dict:
    def redraw(value):
        return rng.randint(0, 5000) if isinstance(value, int) and not isinstance(value, bool) else value

    return {item: {m: redraw(v) for m, v in measures.items()} for item, measures in base.items()}


def synthetic_layout(seed: str, rng: random.Random, prose: dict) -> Layout:
    """A seed's report in the official layout with every number redrawn."""
    expected = layouts.load_expected(seed)
    title, before, after = prose[seed]
    tables = {
        "二": layouts.section2_table(random_proactive(rng, expected["proactive"])),
        "三": layouts.section3_table(random_requests(rng)),
        "四": layouts.section4_table(random_review(rng)),
    }
    blocks: list[Paragraph | Table] = [Paragraph(title, heading=True)]
    blocks += [Paragraph(p, heading=layouts._is_heading(p)) for p in before]
    for section, table in tables.items():
        blocks += [Paragraph(layouts.HEADINGS[section], heading=True), table]
    blocks += [Paragraph(p, heading=layouts._is_heading(p)) for p in after]
    return Layout(seed, title, tuple(blocks))


# --- renderers: the fixture renderers, plus tab-separated text ----------------------------------------------------


def render_text(layout: Layout) -> bytes:
    """What a DOCX's text export looks like: paragraphs, then each table row's cells joined by tabs."""
    lines = []
    for block in layout.blocks:
        if isinstance(block, Table):
            lines += ["\t".join(cell.text for cell in row) for row in block.rows]
        else:
            lines.append(block.text)
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_html_page(layout: Layout, number: int) -> bytes:
    styles = sorted(render_html.PAGES)
    page, encoding = render_html.PAGES[styles[number % len(styles)]]
    return page(layout).encode(encoding, errors="xmlcharrefreplace")


def render_docx_file(layout: Layout, number: int) -> bytes:
    document = render_docx.render_document(layout)
    render_docx._fix_properties(document, layout.title)
    buffer = io.BytesIO()
    document.save(buffer)
    return render_docx._stable_zip(buffer.getvalue())


def render_pdf_file(layout: Layout, number: int) -> bytes:
    import render_pdf
    from reportlab.platypus import SimpleDocTemplate

    render_pdf._font()
    buffer = io.BytesIO()
    margin = render_pdf.MARGIN
    document = SimpleDocTemplate(
        buffer, pagesize=render_pdf.A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin, title=layout.title, author="govstats", invariant=1,
    )  # fmt: skip
    flowables = render_pdf._flowables(layout, render_pdf._styles())
    document.build(flowables, onFirstPage=render_pdf._footer, onLaterPages=render_pdf._footer)
    return buffer.getvalue()


RENDERERS: dict[str, tuple[str, Callable[[Layout, int], bytes]]] = {
    "text": ("txt", lambda layout, number: render_text(layout)),
    "html": ("html", render_html_page),
    "docx": ("docx", render_docx_file),
    "pdf": ("pdf", render_pdf_file),
}


def generate(raw: Path, counts: dict[str, int], seed: int = 20240601) -> dict[str, list[Path]]:
    rng = random.Random(seed)
    prose = {s: layouts.seed_prose(layouts.seed_path(s).read_text(encoding="utf-8")) for s in BASES}
    files: dict[str, list[Path]] = {}
    for fmt, count in counts.items():
        suffix, render = RENDERERS[fmt]
        folder = raw / fmt
        folder.mkdir(parents=True)
        files[fmt] = []
        for number in range(count):
            path = folder / f"{number:06d}.{suffix}"
            path.write_bytes(render(synthetic_layout(BASES[number % len(BASES)], rng, prose), number))
            files[fmt].append(path)
    return files


# --- baselines ----------------------------------------------------------------------------------------------------


def seconds_per_file(function: Callable[[Path], object], paths: list[Path]) -> float:
    start = time.process_time()
    for path in paths:
        function(path)
    return (time.process_time() - start) / max(1, len(paths))


def pdfplumber_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def camelot_lattice(path: Path) -> int:
    import camelot

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return len(camelot.read_pdf(str(path), pages="all", flavor="lattice"))


def pandas_read_html(path: Path) -> int:
    try:
        return len(pd.read_html(io.BytesIO(path.read_bytes())))
    except ValueError:  # no table found
        return 0


# --- the run ------------------------------------------------------------------------------------------------------


def measure_build(raw: Path, out: Path, jobs: int) -> dict:
    """Build in this process (a fresh child of the benchmark): wall time, CPU time and peak memory of the build."""
    started = time.perf_counter()
    summary = build(raw, out, jobs=jobs, progress=sys.stderr.isatty())
    wall = time.perf_counter() - started
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "documents": summary.documents,
        "reports": summary.reports,
        "errors": len(summary.errors),
        "checks": [summary.checks_passed, summary.checks_failed, summary.checks_not_evaluable],
        "by_format": summary.by_format,
        "wall": wall,
        "main_cpu": own.ru_utime + own.ru_stime,
        "main_rss_mb": own.ru_maxrss / 1024,  # Linux reports KB
        "worker_rss_mb": workers.ru_maxrss / 1024,  # the largest worker
        "arrow_allocator": memory.arrow_allocator(),
    }


def tree_rss_mb(process: psutil.Process) -> float:
    """Resident memory of a process and all its descendants now, summed, in MB (a process gone meanwhile counts 0)."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total / 2**20


def build_in_child(raw: Path, out: Path, jobs: int) -> dict:
    """Run the build in a fresh interpreter, so its peak memory is the build's alone (not the corpus generator's).
    Adds ``tree_peak_mb``: the largest sum of the resident memory of the build and its workers at one moment,
    sampled every TREE_SAMPLE_SECONDS — what the machine must hold (the per-process peaks happen at different
    times and a worker's counts only once it has exited) — and never less than one process's own max RSS."""
    command = [sys.executable, __file__, "--measure-build", str(raw), str(out), "--jobs", str(jobs)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    process, peak = psutil.Process(child.pid), 0.0
    while child.poll() is None:
        with contextlib.suppress(psutil.NoSuchProcess):
            peak = max(peak, tree_rss_mb(process))
        time.sleep(TREE_SAMPLE_SECONDS)
    output = child.stdout.read()
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command, output)
    built = json.loads(output.strip().splitlines()[-1])
    # A peak shorter than the sampling interval is missed by the samples, never by a process's own max RSS: the
    # machine held at least that much (at jobs=1 the building process is the whole tree, and its max RSS exact).
    return built | {"tree_peak_mb": max(peak, built["main_rss_mb"], built["worker_rss_mb"])}


def corpus_counts(args: argparse.Namespace) -> dict[str, int]:
    slow = {"pdf": min(args.pdf, args.n), "docx": min(args.docx, args.n)}
    rest = args.n - sum(slow.values())
    return {"text": rest - rest // 2, "html": rest // 2, **slow}


def existing(raw: Path, counts: dict[str, int]) -> dict[str, list[Path]] | None:
    """The files of an earlier run's corpus in ``raw``, if it has exactly the wanted counts (``--keep`` reuse)."""
    files = {fmt: sorted((raw / fmt).glob("*")) if (raw / fmt).is_dir() else [] for fmt in counts}
    return files if all(len(files[fmt]) == n for fmt, n in counts.items()) else None


def run(args: argparse.Namespace) -> str:
    counts = corpus_counts(args)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="govstats-bench-"))
    raw = work / "raw"
    started = time.perf_counter()
    files = existing(raw, counts) if args.keep else None
    if files is None:
        shutil.rmtree(raw, ignore_errors=True)
        files = generate(raw, counts)
    print(f"corpus of {args.n} reports ready in {time.perf_counter() - started:.0f} s: {counts}", flush=True)
    shutil.rmtree(work / "processed", ignore_errors=True)
    built = build_in_child(raw, work / "processed", args.jobs)
    print(f"built in {built['wall']:.0f} s", flush=True)

    suffix_of = {fmt: suffix for fmt, (suffix, _) in RENDERERS.items()}
    rates = {}
    for fmt in counts:
        n_files, cpu = built["by_format"].get(suffix_of[fmt], (0, 0.0))
        rates[fmt] = (n_files, cpu, n_files / cpu if cpu else float("nan"))
    pdfs, htmls = files["pdf"], files["html"][: args.baseline_html]
    plumber = seconds_per_file(pdfplumber_text, pdfs) if pdfs else float("nan")
    camelot = seconds_per_file(camelot_lattice, pdfs[: args.baseline_camelot]) if pdfs else float("nan")
    read_html = seconds_per_file(pandas_read_html, htmls) if htmls else float("nan")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return report(args, counts, built, rates, plumber, camelot, read_html)


def report(args, counts, built, rates, plumber, camelot, read_html) -> str:
    pdf_seconds = rates["pdf"][1] / rates["pdf"][0] if rates["pdf"][0] else float("nan")
    documents, wall = built["documents"], built["wall"]
    passed, failed, unknown = built["checks"]
    lines = [
        "# Corpus benchmark",
        "",
        f"`python benchmarks/corpus.py --n {args.n} --pdf {args.pdf} --docx {args.docx} --jobs {args.jobs}` — "
        f"govstats {__version__}, Python {platform.python_version()}, {platform.machine()}, "
        f"{args.jobs} worker processes on a machine shared with other jobs.",
        "",
        f"{documents} documents ({built['reports']} parsed, {built['errors']} errors); build wall time {wall:.1f} s "
        f"= {documents / wall:.1f} reports/s on {args.jobs} workers; the coordinating process used "
        f"{built['main_cpu']:.1f} CPU s. Checks {passed} passed, {failed} failed, {unknown} not evaluable "
        "(identities 1-4 hold by construction; the failures are the seeds' prose figures, which the redrawn "
        "tables no longer match).",
        "",
        "| format | files | CPU s | reports/s per core | ms per report | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    targets = {"text": "≥ 500/s", "html": "≥ 500/s", "docx": "—", "pdf": "see benchmarks/run.py"}
    for fmt, (files, cpu, rate) in rates.items():
        ms = 1000 * cpu / files if files else float("nan")
        lines.append(f"| {fmt} | {files} | {cpu:.1f} | {rate:.1f} | {ms:.1f} | {targets[fmt]} |")
    lines += [
        "",
        "Same-run baselines (same files, one process, CPU time per file):",
        "",
        "| baseline | files | ms per file | govstats on the same format |",
        "|---|---:|---:|---|",
        f"| pdfplumber `extract_text` (all pages) | {counts['pdf']} | {1000 * plumber:.1f} | "
        f"{1000 * pdf_seconds:.1f} ms = {pdf_seconds / plumber:.2f} × pdfplumber |",
        f"| camelot lattice (all pages) | {min(counts['pdf'], args.baseline_camelot)} | {1000 * camelot:.1f} | "
        f"{pdf_seconds / camelot:.2f} × camelot |",
        f"| pandas.read_html | {min(counts['html'], args.baseline_html)} | {1000 * read_html:.1f} | "
        f"{1000 / rates['html'][2]:.1f} ms = {1 / rates['html'][2] / read_html:.2f} × read_html |",
        "",
        f"Peak memory (max RSS): {built['main_rss_mb']:.0f} MB for the building process, "
        f"{built['worker_rss_mb']:.0f} MB for the largest worker; {built['tree_peak_mb']:.0f} MB for all of them "
        "at one moment (sampled).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="reports in the corpus (default 10000)")
    parser.add_argument("--pdf", type=int, default=20, help="how many of them are PDFs (default 20)")
    parser.add_argument("--docx", type=int, default=200, help="how many of them are DOCX (default 200)")
    parser.add_argument("--jobs", type=int, default=2, help="build worker processes (default 2)")
    parser.add_argument("--baseline-html", type=int, default=300, help="HTML files timed with pandas.read_html")
    parser.add_argument("--baseline-camelot", type=int, default=5, help="PDFs timed with camelot lattice")
    parser.add_argument("--workdir", help="where to generate and build (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the corpus (and reuse it in the same --workdir)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default benchmarks/results.md)")
    parser.add_argument("--measure-build", nargs=2, metavar=("RAW", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_build:
        print(json.dumps(measure_build(Path(args.measure_build[0]), Path(args.measure_build[1]), args.jobs)))
        return
    text = run(args)
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
