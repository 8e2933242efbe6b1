"""Every curated notebook runs with papermill on the project's corpus, renders its glyphs and shows its answers."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from govstats.analysis import notebooks
from govstats.dataset.build import build

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebooks.notebook_paths(ROOT / "notebooks")
MAX_CODE_LINES = 60


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The project's corpus built from data/raw into a temporary folder, and every notebook run on it."""
    tmp = tmp_path_factory.mktemp("notebooks")
    build(ROOT / "data" / "raw", tmp / "processed")
    params = {"corpus": str(tmp / "processed"), "output": str(tmp / "figures")}
    notebooks.run_all(ROOT / "notebooks", tmp / "executed", params, cwd=ROOT)
    return {"corpus": tmp / "processed", "executed": tmp / "executed", "figures": tmp / "figures"}


def _outputs(path: Path) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    return [output for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def _markdown(path: Path) -> str:
    return "\n".join(o["data"]["text/markdown"] for o in _outputs(path) if "text/markdown" in o.get("data", {}))


def test_the_curated_notebooks_are_there() -> None:
    assert [p.name[:3] for p in NOTEBOOKS] == ["00_", "01_", "02_", "03_", "04_", "05_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_parameters_cell_and_under_60_lines_of_code(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in ("corpus", "years", "agencies", "language", "output"):
        assert f"{name} = " in tagged[0].source
    code = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()]
    assert len([line for line in code if line.strip() and not line.strip().startswith("#")]) < MAX_CODE_LINES
    assert not [c for c in nb.cells if c.cell_type == "code" and c.get("outputs")], "commit notebooks unexecuted"


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_notebook_runs_without_errors_or_missing_glyphs(executed: dict[str, Path], name: str) -> None:
    outputs = _outputs(executed["executed"] / name)
    assert not [o for o in outputs if o["output_type"] == "error"]
    streams = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "Glyph" not in streams and "missing from font" not in streams
    assert "**Answer.**" in _markdown(executed["executed"] / name)


def test_every_exported_figure_has_its_files_and_index_entry(executed: dict[str, Path]) -> None:
    index = json.loads((executed["figures"] / "figures.json").read_text(encoding="utf-8"))
    assert {entry["notebook"] for entry in index.values()} == {p.name for p in NOTEBOOKS}
    for entry in index.values():
        for file in entry["files"].values():
            assert (executed["figures"] / file).stat().st_size > 0


def test_02_reproduces_the_unavailable_shares_and_the_fair_comparison(executed: dict[str, Path]) -> None:
    text = _markdown(executed["executed"] / "02_not_held.ipynb")
    assert "上海市 2024: 40.37%" in text
    assert "上海市金山区 2023: 28.52%" in text
    comparison = next(line for line in text.splitlines() if "against the rest of" in line)
    assert "上海市 2023 − 上海市金山区 2023" in comparison and "p " in comparison and "95% CI" in comparison


def _has_narrative(corpus: Path, key: str) -> bool:
    path = corpus / "narrative.parquet"
    return path.exists() and (pd.read_parquet(path)["key"] == key).any()


def test_01_shows_withdrawal_rates_from_the_prose(executed: dict[str, Path]) -> None:
    if not _has_narrative(executed["corpus"], "withdrawn"):
        pytest.skip("the build writes no narrative withdrawals yet")
    text = _markdown(executed["executed"] / "01_withdrawals.ipynb")
    for expected in ("上海市金山区 2023: 15.36%", "上海市 2023: 15.48%", "上海市 2024: 15.50%"):
        assert expected in text


def test_03_shows_shanghai_2024_corrections(executed: dict[str, Path]) -> None:
    text = _markdown(executed["executed"] / "03_corrections.ipynb")
    assert "上海市 2024: 7.09% (123 of 1736" in text
    assert "上海市 2024: 1.57% (17 of 1082" in text


def test_05_shows_the_workload_of_the_38_units_and_the_deadline_months(executed: dict[str, Path]) -> None:
    text = _markdown(executed["executed"] / "05_work_plan_workload.ipynb")
    assert "75 tasks in 5 sections" in text
    assert "38 units are named 179 times over 75 tasks" in text and "区政府办公室 29 (38.7%)" in text
    assert "the busiest month is November (8 tasks)" in text
    assert {"05_unit_workload", "05_deadlines"} <= set(json.loads((executed["figures"] / "figures.json").read_text()))


def test_a_failing_cell_names_the_notebook_and_the_cell(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1 / 0")]
    (tmp_path / "in").mkdir()
    nbformat.write(nb, tmp_path / "in" / "09_broken.ipynb")
    with pytest.raises(notebooks.NotebookError, match=r"09_broken\.ipynb: cell 1 .*ZeroDivisionError"):
        notebooks.run_all(tmp_path / "in", tmp_path / "out")
