"""Every curated notebook runs with papermill on several corpora, renders its glyphs, shows its answers, and writes
its outputs where it is told — never over the cited set in reports/."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from govstats.analysis import runner
from govstats.dataset.build import build

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SHARED = ROOT.parent / "shared"
NOTEBOOKS = runner.notebook_paths(ROOT / "notebooks")
MAX_CODE_LINES = 60
SEEDS = sorted(RAW.glob("[0-9][0-9][0-9]_*.txt"))
PINGTAN = SHARED / "corpus" / "pingtan"


def _corpus_files(name: str) -> list[Path] | None:
    """The raw files of each test corpus; None where its source is absent."""
    if name == "full":
        return [RAW]
    if name == "seeds":
        return SEEDS
    if name == "real":
        return sorted((SHARED / "real").glob("*")) if (SHARED / "real").is_dir() else None
    if name == "single":  # Baoshan's centre 2023: no withdrawal figure, no review or litigation cases
        return [RAW / "003_e72d2a415b3bfbdb.txt"]
    if name == "pingtan":  # the panel, while data/raw does not hold it yet
        has_panel = (RAW / "pingtan").is_dir()
        return None if has_panel or not PINGTAN.is_dir() else [PINGTAN]
    raise KeyError(name)


CORPORA = ("full", "seeds", "real", "single")
_runs: dict[str, dict[str, Path]] = {}


def _run(name: str, tmp_path_factory: pytest.TempPathFactory, names: tuple[str, ...] = ()) -> dict[str, Path]:
    """Build a corpus once per session and run the notebooks on it once."""
    if name in _runs:
        return _runs[name]
    files = _corpus_files(name)
    if files is None:
        pytest.skip(f"corpus {name!r}: its source ({SHARED}) is absent or already in data/raw")
    tmp = tmp_path_factory.mktemp(f"corpus_{name}")
    raw = tmp / "raw"
    if files == [RAW]:
        raw = RAW
    else:
        raw.mkdir()
        for path in files:
            (shutil.copytree if path.is_dir() else shutil.copy)(path, raw / path.name)
    build(raw, tmp / "processed")
    params = {"corpus": str(tmp / "processed"), "raw": str(raw)}
    runner.run_all(ROOT / "notebooks", tmp / "out", params, names=names, cwd=ROOT)
    _runs[name] = {"corpus": tmp / "processed", "raw": raw, "out": tmp / "out"}
    return _runs[name]


@pytest.fixture(scope="module", params=CORPORA)
def executed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _run(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _run("full", tmp_path_factory)


@pytest.fixture(scope="module")
def panel_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if (RAW / "pingtan").is_dir():
        return _run("full", tmp_path_factory)
    return _run("pingtan", tmp_path_factory, names=("06", "07"))


def _outputs(path: Path) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    return [output for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def _markdown(path: Path) -> str:
    return "\n".join(o["data"]["text/markdown"] for o in _outputs(path) if "text/markdown" in o.get("data", {}))


def test_the_curated_notebooks_are_there() -> None:
    assert [p.name[:3] for p in NOTEBOOKS] == ["00_", "01_", "02_", "03_", "04_", "05_", "06_", "07_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_parameters_cell_and_under_60_lines_of_code(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in ("corpus", "raw", "years", "agencies", "language", "output"):
        assert f"{name} = " in tagged[0].source
    code = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()]
    assert len([line for line in code if line.strip() and not line.strip().startswith("#")]) < MAX_CODE_LINES
    assert not [c for c in nb.cells if c.cell_type == "code" and c.get("outputs")], "commit notebooks unexecuted"


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_notebook_runs_without_errors_or_missing_glyphs(executed: dict[str, Path], name: str) -> None:
    outputs = _outputs(executed["out"] / "notebooks" / name)
    assert not [o for o in outputs if o["output_type"] == "error"]
    streams = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "Glyph" not in streams and "missing from font" not in streams
    assert "**Answer.**" in _markdown(executed["out"] / "notebooks" / name)
    results = json.loads((executed["out"] / "results" / name.replace(".ipynb", ".json")).read_text("utf-8"))
    assert results["provenance"]["dataset_sha256"] and results["provenance"]["command"].startswith("govstats")


def test_every_figure_has_its_files_provenance_and_truetype_fonts(executed: dict[str, Path]) -> None:
    figures = executed["out"] / "figures"
    index = json.loads((figures / "figures.json").read_text(encoding="utf-8"))
    for entry in index.values():
        for file in entry["files"].values():
            assert (figures / file).stat().st_size > 0
        assert {"git_commit", "dataset_sha256", "command", "parameters", "govstats_version"} <= set(entry)
        assert entry["parameters"]["corpus"] == str(executed["corpus"])
        assert b"/Type3" not in (figures / entry["files"]["pdf"]).read_bytes()


def test_02_reproduces_the_cannot_provide_shares_and_the_fair_comparison(full: dict[str, Path]) -> None:
    text = _markdown(full["out"] / "notebooks" / "02_not_held.ipynb")
    assert "Cannot provide (broad), 上海市 2024: 40.37%" in text
    assert "Not held (strict), 上海市 2024: 33.20%" in text
    assert "Cannot provide (broad), 上海市金山区 2023: 28.52%" in text
    comparison = next(line for line in text.splitlines() if "上海市金山区 2023 against the rest of" in line)
    assert "上海市 2023 − 上海市金山区 2023" in comparison and "odds ratio" in comparison and "95% CI" in comparison
    assert "Cramér's V" in comparison


def test_01_shows_withdrawal_rates_from_the_prose(full: dict[str, Path]) -> None:
    text = _markdown(full["out"] / "notebooks" / "01_withdrawals.ipynb")
    for expected in ("上海市金山区 2023: 15.36%", "上海市 2023: 15.48%", "上海市 2024: 15.50%"):
        assert expected in text


def test_03_shows_shanghai_2024_corrections_on_three_denominators(full: dict[str, Path]) -> None:
    path = full["out"] / "notebooks" / "03_corrections.ipynb"
    text = _markdown(path)
    assert "上海市 2024: 7.09% (123 of 1736" in text
    assert "上海市 2024: 1.57% (17 of 1082" in text
    results = json.loads((full["out"] / "results" / "03_corrections.json").read_text("utf-8"))["results"]
    bases = {key.split("/")[0]: value["value"] for key, value in results.items() if "002_279364b37d11c44d" in key}
    assert round(bases["reconsideration_correction_rate.concluded"] * 100, 2) == 7.50
    assert round(bases["reconsideration_correction_rate.merits"] * 100, 2) == 9.17


def test_05_shows_the_workload_of_the_38_units_and_the_deadline_months(full: dict[str, Path]) -> None:
    text = _markdown(full["out"] / "notebooks" / "05_work_plan_workload.ipynb")
    assert "75 tasks in 5 sections" in text
    assert "38 units are named 179 times over 75 tasks" in text and "区政府办公室 29 (38.7%)" in text
    assert "the busiest month is November (8 tasks)" in text


def test_a_corpus_without_cases_or_withdrawals_says_what_cannot_be_computed(tmp_path_factory) -> None:
    single = _run("single", tmp_path_factory)
    text = _markdown(single["out"] / "notebooks" / "01_withdrawals.ipynb")
    assert "a count not printed or not readable" in text and "no funnel to draw" in text
    assert "no cases (denominator 0)" in _markdown(single["out"] / "notebooks" / "03_corrections.ipynb")
    assert "not fitted" in _markdown(single["out"] / "notebooks" / "06_panel_trends.ipynb")


def test_06_fits_a_trend_on_the_pingtan_panel_with_intervals(panel_run: dict[str, Path]) -> None:
    text = _markdown(panel_run["out"] / "notebooks" / "06_panel_trends.ipynb")
    assert "Cannot provide (broad): odds ratio per year" in text and "95% CI" in text and "Holm" in text
    trend = json.loads((panel_run["out"] / "results" / "06_panel_trends.json").read_text("utf-8"))["results"]["trend"]
    assert {row["method"] for row in trend} == {"GEE, clustered by unit", "quasi-binomial"}


def test_07_measures_the_reliability_of_the_reports(panel_run: dict[str, Path]) -> None:
    text = _markdown(panel_run["out"] / "notebooks" / "07_report_reliability.ipynb")
    assert "reports depart from the national form" in text and "One example of each kind" in text


def _tree(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_a_run_with_other_parameters_leaves_reports_byte_identical(full: dict[str, Path], tmp_path: Path) -> None:
    before = _tree(ROOT / "reports")
    params = {"corpus": str(full["corpus"]), "language": "en", "years": [2023]}
    runner.run_all(ROOT / "notebooks", tmp_path / "X", params, names=["02_not_held"], cwd=ROOT)
    assert _tree(ROOT / "reports") == before
    entry = json.loads((tmp_path / "X" / "figures" / "figures.json").read_text("utf-8"))["02_unavailable_share"]
    assert entry["parameters"]["language"] == "en" and entry["parameters"]["years"] == [2023]
    assert "--out" in entry["command"] and "years=[2023]" in entry["command"]


def test_without_out_other_parameters_get_their_own_folder() -> None:
    assert runner.run_folder({}) == Path("reports")
    folder = runner.run_folder({"language": "en", "years": [2023]})
    assert folder.parts[:2] == ("reports", "runs") and folder != Path("reports")


def test_an_unknown_parameter_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(runner.NotebookError, match="unknown parameter.*languge"):
        runner.run_all(ROOT / "notebooks", tmp_path, {"languge": "en"})


def test_an_unknown_notebook_name_is_an_error() -> None:
    with pytest.raises(runner.NotebookError, match="no single notebook"):
        runner.notebook_paths(ROOT / "notebooks", ["99_nothing"])


def test_a_failing_cell_names_the_notebook_and_the_cell(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1 / 0")]
    (tmp_path / "in").mkdir()
    nbformat.write(nb, tmp_path / "in" / "09_broken.ipynb")
    with pytest.raises(runner.NotebookError, match=r"09_broken\.ipynb: cell 1 .*ZeroDivisionError"):
        runner.run_all(tmp_path / "in", tmp_path / "out")
