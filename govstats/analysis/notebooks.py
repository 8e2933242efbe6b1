"""The curated notebooks: running them with papermill, and what they share (loading, comparisons, wording).

``run_all`` executes every ``NN_*.ipynb`` of ``notebooks/`` into ``reports/notebooks/``; a failing cell raises
:class:`NotebookError` naming the notebook and the cell. The helpers below keep each notebook a short study:
the computations live in :mod:`govstats.metrics`, the figures in :mod:`govstats.figures`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..dataset.load import load_dataset
from ..dataset.tidy import select_documents
from . import metrics
from .figures import STATUSES, rate_label

KERNEL_NAME = "python3"
NARRATIVE_COLUMNS = ["report_id", "key", "value", "unit", "sentence", "location", "method"]


class NotebookError(RuntimeError):
    """A notebook cell failed; the message names the notebook, the cell and the error."""


# ---------------------------------------------------------------------------------------------------- running


def notebook_paths(notebooks_dir: str | Path = "notebooks") -> list[Path]:
    """The curated notebooks (``NN_name.ipynb``), in their numbered order."""
    return sorted(p for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))


def kernel_name(name: str = KERNEL_NAME) -> str:
    """The kernel to run notebooks with, checked to start this interpreter (the project's venv).

    A kernel spec found elsewhere (e.g. a user-wide ``python3``) could run another Python without govstats; if
    so, a spec for this interpreter is installed into ``sys.prefix`` under ``govstats`` and used instead.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv0 = KernelSpecManager().get_kernel_spec(name).argv[0]
    except NoSuchKernel:
        argv0 = ""
    # jupyter_client replaces a bare "python" with the running interpreter.
    bare = ("python", "python{}".format(*sys.version_info), "python{}.{}".format(*sys.version_info))
    if argv0 in bare or (argv0 and Path(argv0).resolve() == Path(sys.executable).resolve()):
        return name
    from ipykernel.kernelspec import install

    install(kernel_name="govstats", display_name="Python (govstats)", prefix=sys.prefix)
    return "govstats"


def run_notebook(path: Path, out_dir: Path, parameters: Mapping[str, object], kernel: str, cwd: Path) -> Path:
    """Execute one notebook into ``out_dir``; NotebookError naming the notebook and cell on failure."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output = out_dir / path.name
    try:
        papermill.execute_notebook(
            str(path), str(output), parameters=dict(parameters), kernel_name=kernel, progress_bar=False, cwd=str(cwd)
        )
    except PapermillExecutionError as error:
        raise NotebookError(
            f"{path.name}: cell {error.cell_index} (execution count {error.exec_count}) failed: "
            f"{error.ename}: {error.evalue} (executed notebook: {output})"
        ) from error
    return output


def run_all(
    notebooks_dir: str | Path = "notebooks",
    out_dir: str | Path = "reports/notebooks",
    parameters: Mapping[str, object] | None = None,
    *,
    cwd: str | Path | None = None,
) -> dict[str, float]:
    """Execute every curated notebook with papermill; returns seconds per notebook.

    ``parameters`` override each notebook's ``parameters`` cell (corpus, years, agencies, language, output);
    relative paths are taken from ``cwd`` (default: the current directory, the project root under ``make``).
    """
    paths = notebook_paths(notebooks_dir)
    if not paths:
        raise FileNotFoundError(f"{notebooks_dir}: no NN_*.ipynb notebooks")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kernel = kernel_name()
    timings = {}
    for path in paths:
        start = time.perf_counter()
        run_notebook(path, out, parameters or {}, kernel, Path(cwd or Path.cwd()).resolve())
        timings[path.name] = time.perf_counter() - start
    return timings


# ---------------------------------------------------------------------------------------------------- studies


@dataclass
class Corpus:
    """The annual reports a notebook studies (after its year and agency filters), and every document read."""

    documents: pd.DataFrame
    reports: pd.DataFrame
    requests: pd.DataFrame
    review_litigation: pd.DataFrame
    proactive: pd.DataFrame
    narrative: pd.DataFrame
    checks: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)

    def rates(self, **options: object) -> pd.DataFrame:
        """``metrics.report_rates`` of these reports."""
        return metrics.report_rates(self.requests, self.review_litigation, self.narrative, **options)


def project_path(path: str | Path) -> Path:
    """``path`` as given, or relative to the nearest parent folder holding it (a notebook runs in notebooks/)."""
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    for parent in Path.cwd().resolve().parents:
        if (parent / path).exists():
            return parent / path
    return path


def load_corpus(
    corpus: str | Path = "data/processed", years: Iterable[int] | None = None, agencies: Iterable[str] | None = None
) -> Corpus:
    """Load ``data/processed`` and keep the annual reports of the given years and agencies (all if None)."""
    from .figures import report_labels

    data = load_dataset(project_path(corpus))
    documents = data.reports
    reports = select_documents(documents, "annual_report", years, agencies)
    reports = reports[reports["year"].notna()].reset_index(drop=True)
    ids = set(reports["report_id"])
    narrative = data.extra.get("narrative", pd.DataFrame(columns=NARRATIVE_COLUMNS))

    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["report_id"].isin(ids)].reset_index(drop=True)

    return Corpus(
        documents=documents,
        reports=reports,
        requests=mine(data.requests),
        review_litigation=mine(data.review_litigation),
        proactive=mine(data.proactive),
        narrative=mine(narrative),
        checks=mine(data.checks),
        labels=report_labels(reports),
    )


def independent_reports(reports: pd.DataFrame) -> list[str]:
    """Reports that no other report of the corpus contains (same year): safe to pool without double counting."""
    contained = set(metrics.nesting(reports)["member"])
    return [r for r in reports["report_id"] if r not in contained]


def percent(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value * 100:.{digits}f}%"


def describe_rate(row: pd.Series, labels: Mapping[str, str] | None = None) -> str:
    """One rate in words: "上海市 2024: 40.37% (16746 of 41480; 95% CI 39.90%–40.84%)", source named if not a table."""
    name = (labels or {}).get(row["report_id"], row["report_id"])
    if pd.notna(row["denominator"]) and row["denominator"] == 0:
        return f"{name}: no cases (denominator 0)"
    if pd.isna(row["value"]):
        return f"{name}: not computable (numerator or denominator missing)"
    source = "" if row["source"] in ("table", "recovered") else f", {row['source']}-sourced"
    interval = f"95% CI {percent(row['ci_low'])}–{percent(row['ci_high'])}"
    return f"{name}: {percent(row['value'])} ({row['numerator']} of {row['denominator']}; {interval}{source})"


def describe_comparison(result: metrics.Comparison, labels: Mapping[str, str] | None = None) -> str:
    """A two-proportion comparison in words, with the difference, its interval and the z-test's p-value."""
    labels = labels or {}

    def name(side: str) -> str:
        return side_label(side, labels)

    level = f"{1 - result.alpha:.0%}"
    return (
        f"{name(result.label_a)} {percent(result.value_a)} ({result.count_a}/{result.nobs_a}) versus "
        f"{name(result.label_b)} {percent(result.value_b)} ({result.count_b}/{result.nobs_b}): difference "
        f"{result.difference * 100:+.2f} percentage points ({level} CI {result.ci_low * 100:+.2f} to "
        f"{result.ci_high * 100:+.2f}), z = {result.z:.2f}, p {format_p(result.p_value)}"
    )


def format_p(p_value: float) -> str:
    """A p-value as written after "p": "< 0.0001" or "= 0.0123"."""
    return "< 0.0001" if p_value < 1e-4 else f"= {p_value:.4f}"


def rate_table(rates: pd.DataFrame, labels: Mapping[str, str], language: str = "zh") -> pd.DataFrame:
    """Rates for display: report, rate label, counts, percent with interval, source."""
    return pd.DataFrame(
        {
            "report": rates["report_id"].map(labels),
            "rate": rates["rate"].map(lambda r: rate_label(r, language)),
            "numerator": rates["numerator"],
            "denominator": rates["denominator"],
            "percent": rates["value"].map(percent),
            "95% CI": [
                f"{percent(lo)}–{percent(hi)}" for lo, hi in zip(rates["ci_low"], rates["ci_high"], strict=True)
            ],
            "source": rates["source"],
        }
    ).reset_index(drop=True)


@dataclass
class FairComparison:
    """A member against the rest of its aggregate in one year: rate test, mix test, or why neither was made."""

    member: str
    aggregate: str
    year: int
    rate: str
    rate_test: metrics.Comparison | None = None
    mix_test: metrics.ChiSquare | None = None
    reason: str = ""

    def describe(self, labels: Mapping[str, str], mix: bool = True) -> str:
        """The comparison in words (Markdown)."""
        head = f"{self.member} against the rest of {self.aggregate} ({self.aggregate} minus {self.member}), {self.year}"
        if self.rate_test is None:
            return f"{head}: not possible on this corpus ({self.reason})."
        text = f"{head}, {rate_label(self.rate, 'en').lower()}: {describe_comparison(self.rate_test, labels)}."
        if mix and self.mix_test is not None:
            m = self.mix_test
            text += (
                f" Whole disposition mix: chi-square = {m.chi2:.1f}, {m.dof} degrees of freedom, "
                f"p {format_p(m.p_value)} (smallest expected count {m.min_expected:.1f})."
            )
        return text


def fair_comparison(
    data: Corpus, rates: pd.DataFrame, member: str, aggregate: str, year: int, rate: str
) -> FairComparison:
    """Member versus the rest of its aggregate in one year (rate and disposition mix), if the corpus allows."""
    result = FairComparison(member, aggregate, year, rate)
    try:
        member_id = metrics.find_report(data.reports, member, year)
        aggregate_id = metrics.find_report(data.reports, aggregate, year)
        for report_id in (member_id, aggregate_id):
            if pd.isna(metrics.rate_row(rates, report_id, rate)["value"]):
                raise ValueError(f"the {rate} of {data.labels[report_id]} is missing")
        result.rate_test = metrics.member_versus_rest(rates, data.reports, member_id, aggregate_id, rate)
        mix = metrics.disposition_mix(data.requests)
        result.mix_test = metrics.member_versus_rest_mix(mix, data.reports, member_id, aggregate_id)
    except (ValueError, KeyError) as error:
        result.reason = str(error).strip("'")
    return result


def mix_with_rest(data: Corpus, fair: FairComparison | None = None) -> pd.DataFrame:
    """Disposition counts per report, plus the rest of the aggregate when a fair comparison was made; index by label."""
    mix = metrics.disposition_mix(data.requests)
    if fair is not None and fair.mix_test is not None:
        mix = pd.concat([mix, fair.mix_test.table.iloc[1:].astype("Int64")])
    return mix.rename(index=lambda side: side_label(side, data.labels)).rename_axis("report")


def side_label(side: str, labels: Mapping[str, str]) -> str:
    """Human label of a comparison side: a report_id or "aggregate − member"."""
    return " − ".join(labels.get(part, part) for part in side.split(" − "))


def describe_glm(fit: metrics.GlmFit) -> str:
    """The GLM's outcome in words: its coefficients, or honestly why it was not fitted."""
    if not fit.fitted:
        return f"Binomial GLM of {fit.rate} on level and year: not fitted, {fit.reason}."
    terms = ", ".join(
        f"{name} {row['estimate']:+.3f} (95% CI {row['ci_low']:+.3f} to {row['ci_high']:+.3f}, "
        f"p {format_p(row['p_value'])})"
        for name, row in fit.params.drop(index="const").iterrows()
    )
    return f"Binomial GLM (logit, quasi-binomial scale) of {fit.rate} over {fit.n_reports} reports: {terms}."


def year_over_year(rates: pd.DataFrame, reports: pd.DataFrame, rate: str) -> list[metrics.Comparison]:
    """Each agency's rate compared with its previous report in the corpus (later year minus earlier)."""
    data = rates[(rates["rate"] == rate) & rates["value"].notna()].merge(reports[["report_id", "agency", "year"]])
    results = []
    for _, group in data.sort_values("year").groupby("agency"):
        ids = list(group["report_id"])
        results += [
            metrics.compare_reports(rates, rate, later, earlier) for earlier, later in zip(ids, ids[1:], strict=False)
        ]
    return results


def bullet_list(lines: Sequence[str]) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else "- (none in this corpus)"


def cell_statuses(data: Corpus) -> pd.DataFrame:
    """Cells of sections 二, 三 and 四 by status (columns) per report (index)."""
    cells = pd.concat([data.proactive, data.requests, data.review_litigation])[["report_id", "status"]]
    table = cells.groupby(["report_id", "status"]).size().unstack("status", fill_value=0)
    return table[sorted(table.columns, key=lambda s: STATUSES.index(s) if s in STATUSES else len(STATUSES))]


def cell_methods(data: Corpus) -> pd.DataFrame:
    """Cells holding a number, by how it was obtained (table, recovered, narrative, proxy), per section."""
    tables = {"proactive": data.proactive, "requests": data.requests, "review_litigation": data.review_litigation}
    frames = [frame.assign(table=name) for name, frame in tables.items()]
    cells = pd.concat(frames)
    cells = cells[cells["value"].notna()]
    return cells.groupby(["table", "method"]).size().unstack("method", fill_value=0)


def provenance_counts(data: Corpus) -> dict[str, int]:
    """Totals over the corpus: numbers by method (table, recovered, narrative, proxy) and cells by status."""
    methods, statuses = cell_methods(data).sum(), cell_statuses(data).sum()
    counts = {name: int(methods.get(name, 0)) for name in ("table", "recovered", "narrative", "proxy")}
    return counts | {name: int(statuses.get(name, 0)) for name in ("ambiguous", "unreadable", "missing", "blank")}


def check_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """Identity checks by kind: passed, failed, not evaluable."""
    outcome = checks["passed"].map({True: "passed", False: "failed"}).fillna("not evaluable")
    table = checks.assign(outcome=outcome).groupby(["check", "outcome"]).size().unstack("outcome", fill_value=0)
    return table.reindex(columns=["passed", "failed", "not evaluable"], fill_value=0)
