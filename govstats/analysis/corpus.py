"""The corpus a notebook studies: the built dataset, filtered to the annual reports of some years and agencies.

:func:`load_corpus` finds ``data/processed`` from the repository root also when a notebook runs in ``notebooks/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..dataset import schema
from ..dataset.load import load_dataset
from ..dataset.tidy import select_documents
from . import metrics


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
    narrative = data["narrative"] if "narrative" in data else schema.empty("narrative")

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
