"""One study run: its corpus, labels, outputs and provenance, so that a notebook is only its question and answer.

``Study.open`` resolves every path from the repository root (a notebook opened interactively runs in
notebooks/), loads the corpus, applies the house style and prepares the outputs: figures in
``<output>/figures`` (with ``figures.json``), headline numbers in ``<output>/results/<notebook>.json``. A figure
with nothing to draw is not exported: the study says so instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from . import figures, metrics, panel
from .corpus import Corpus, load_corpus
from .results import Results, provenance, resolve


@dataclass
class Study:
    notebook: str
    data: Corpus
    parameters: dict
    language: str
    output: Path
    record: dict
    results: Results
    units: pd.DataFrame = field(default_factory=pd.DataFrame)
    _rates: pd.DataFrame | None = None

    @classmethod
    def open(cls, notebook: str, **parameters: object) -> Study:
        """Load the corpus of ``parameters`` (corpus, raw, years, agencies, language, output, …)."""
        figures.set_style()
        corpus, output = resolve(str(parameters["corpus"])), resolve(str(parameters["output"]))
        language = str(parameters.get("language", "zh"))
        data = load_corpus(corpus, parameters.get("years"), parameters.get("agencies"))
        raw = parameters.get("raw")
        units = panel.unit_table(data.reports, panel.read_manifests(resolve(str(raw)) if raw else None))
        data.labels = figures.report_labels(data.reports, units, language)
        record = provenance(notebook, parameters, corpus, output)
        results = Results(record, output / "results")
        return cls(notebook, data, dict(parameters), language, output, record, results, units)

    @property
    def rates(self) -> pd.DataFrame:
        if self._rates is None:
            self._rates = self.data.rates()
        return self._rates

    def independent(self) -> list[str]:
        """Reports no other report of the corpus contains: safe to pool (no request counted twice)."""
        contained = set(metrics.nesting(self.data.reports)["member"])
        return [r for r in self.data.reports["report_id"] if r not in contained]

    def figure(self, name: str, data: pd.DataFrame, draw: Callable[[pd.DataFrame], object], caption: str) -> str:
        """Draw and export a figure of ``data``; if there is nothing to draw, say so (returned as text)."""
        fig = draw(data) if len(data) else None
        if fig is None:
            return f"*No figure {name}: nothing in this corpus to draw.*"
        figures.export_figure(
            fig, name, data, caption, self.notebook, self.parameters, self.output / "figures", self.record
        )
        return f"*Figure {name}: {caption}*"

    def say(self, text: str) -> None:
        display(Markdown(text))

    def save(self) -> Path:
        """Write the results file; the last cell of every notebook."""
        return self.results.write()
