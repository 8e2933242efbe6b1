"""What a study writes besides its figures: its headline numbers as JSON, and the record that traces them.

Every figure entry of ``figures.json`` and every results file (``results/NN_name.json``) carries the same
*provenance*: all parameters of the run, the git commit of the code, the sha256 of the input dataset, the
govstats version and the command that rebuilds it. Results are keyed (``unavailable_share/002_….txt``) so a
paper can quote a number by key. Files are written with sorted keys and no timestamp inside the numbers, so the
same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import shlex
import subprocess
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd

from .. import __version__

DEFAULT_OUTPUT = "reports"
PROJECT_MARKERS = ("pyproject.toml", "notebooks")


def project_root(start: str | Path | None = None) -> Path:
    """The repository root: the nearest folder (from ``start``, default the current one) holding pyproject.toml
    and notebooks/. A notebook opened interactively runs in notebooks/, so paths resolve from here, not there."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if all((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return here


def resolve(path: str | Path, root: Path | None = None) -> Path:
    """An absolute path as given; a relative one from the repository root."""
    path = Path(path)
    return path if path.is_absolute() else (root or project_root()) / path


@cache
def _commit(root: Path) -> str:
    try:
        run = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = run.stdout.strip() or "unknown"
    return f"{commit}-dirty" if dirty.stdout.strip() and commit != "unknown" else commit


def git_commit(root: Path | None = None) -> str:
    """The commit of the code that ran (``-dirty`` when tracked files were changed), or ``unknown``."""
    return _commit((root or project_root()).resolve())


def dataset_sha256(corpus: str | Path) -> str:
    """sha256 of the input dataset: every Parquet file under ``corpus`` by relative path and content."""
    root = Path(corpus)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*.parquet") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return digest.hexdigest()


def _argument(name: str, value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return shlex.quote(f"{name}={text}")


def rebuild_command(notebook: str, parameters: Mapping[str, object], output: str | Path) -> str:
    """The shell command that re-runs this notebook with these parameters into the same output folder."""
    name = Path(notebook).stem
    options = " ".join(f"-p {_argument(k, v)}" for k, v in parameters.items() if k != "output")
    return f"govstats notebooks run {name} {options} --out {shlex.quote(str(output))}".replace("  ", " ")


def provenance(notebook: str, parameters: Mapping[str, object], corpus: str | Path, output: str | Path) -> dict:
    """The record every figure and results file carries."""
    return {
        "notebook": notebook,
        "parameters": json.loads(json.dumps(dict(parameters), default=str)),
        "git_commit": git_commit(),
        "dataset": str(corpus),
        "dataset_sha256": dataset_sha256(corpus),
        "govstats_version": __version__,
        "command": rebuild_command(notebook, parameters, output),
    }


def _plain(value: object) -> object:
    """A JSON-ready value: numbers as numbers, missing as null."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def rate_record(row: pd.Series) -> dict:
    """One rate as a result: value, numerator, denominator, interval, source."""
    keys = ("value", "numerator", "denominator", "ci_low", "ci_high", "source")
    return {key: _plain(row.get(key)) for key in keys if key in row}


class Results:
    """A notebook's headline numbers, written to ``<output>/results/<notebook>.json`` with their provenance."""

    def __init__(self, record: dict, out_dir: Path) -> None:
        self.record, self.out_dir, self.values = record, out_dir, {}

    def add(self, key: str, value: object) -> object:
        self.values[key] = _plain(value)
        return value

    def add_rates(self, rates: pd.DataFrame, prefix: str = "") -> None:
        """Every row of a rates frame under ``<prefix><rate>/<report_id>``."""
        for _, row in rates.iterrows():
            self.add(f"{prefix}{row['rate']}/{row['report_id']}", rate_record(row))

    def write(self) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{Path(self.record['notebook']).stem}.json"
        document = {"provenance": self.record, "results": self.values}
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return path
