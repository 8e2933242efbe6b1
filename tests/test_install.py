"""The package as a researcher installs it: a wheel built from the checkout and installed with its core
dependencies only (from PyPI) into a fresh venv reads a report, builds and loads a dataset, and tells its version.

Needs PyPI (the build backend and the core dependencies): set GOVSTATS_SKIP_INSTALL_TEST=1 where it is out of reach.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import govstats
from tests.conftest import RAW, ROOT

pytestmark = pytest.mark.skipif(
    os.environ.get("GOVSTATS_SKIP_INSTALL_TEST") == "1", reason="GOVSTATS_SKIP_INSTALL_TEST=1 (PyPI out of reach)"
)
HEAVY = ("camelot", "cv2", "pdfplumber", "dask", "distributed", "papermill", "matplotlib", "statsmodels")


def _run(*command: str | Path, cwd: Path | None = None, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, cwd=cwd, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the wheel and its core dependencies; returns its bin folder."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"  # a copy without build leftovers, so the wheel is built from tracked files
    files = _run("git", "ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT).splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", work / "dist", source)
    (wheel,) = (work / "dist").glob("govstats-*.whl")
    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / "bin"
    _run(bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    return bin_dir


def test_the_wheel_carries_the_codebook_schema_and_rates_as_data(installed):
    (wheel,) = (installed.parents[1] / "dist").glob("govstats-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("codebook/codebook.csv", "codebook/rates.csv", "codebook/prose_figures.csv", "dataset/schema.csv"):
        assert f"govstats/{data}" in names
    metadata = zipfile.ZipFile(wheel).read(f"govstats-{govstats.__version__}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata
    core = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert not [line for line in core if any(heavy.replace("cv2", "opencv") in line for heavy in HEAVY)]


def test_python_m_govstats_tells_its_version(installed):
    assert _run(installed / "python", "-m", "govstats", "--version").strip() == f"govstats {govstats.__version__}"


def test_the_core_install_parses_a_seed_builds_and_loads_a_dataset(installed, tmp_path):
    out = _run(installed / "govstats", "parse", RAW / "000_26d4c64f71069daa.txt")
    assert out.startswith("上海市金山区 2023")
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("000_26d4c64f71069daa.txt", "002_279364b37d11c44d.txt"):
        shutil.copy2(RAW / name, raw / name)
    _run(installed / "govstats", "build", "--raw", raw, "--out", tmp_path / "processed", "--no-cache", "--quiet")
    code = (
        "import sys, govstats; data = govstats.load_dataset(sys.argv[1]); "
        "print(len(data.reports), sorted(set(data.names()) & {'narrative', 'rates', 'report_cells'})); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    lines = _run(installed / "python", "-c", code, tmp_path / "processed").splitlines()
    assert lines == ["2 ['narrative', 'rates', 'report_cells']", "[]"]


def test_notebooks_outside_a_clone_say_so_in_one_line(installed, tmp_path):
    done = subprocess.run(
        [installed / "govstats", "notebooks", "run"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "needs a clone of the repository" in done.stderr
