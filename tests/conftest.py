"""Shared test fixtures: where the seeds, the oracle (../shared/expected) and the real reports are."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SHARED = ROOT.parent / "shared"
EXPECTED = SHARED / "expected"
REAL = SHARED / "real"

# Hypothesis profiles for every property test (``HYPOTHESIS_PROFILE``): ``ci``, the default, derandomized so a run
# is repeatable whatever the order tests are collected in; ``dev`` a tenth of the cases; ``deep`` ten times as many.
HYPOTHESIS_PROFILES = {"ci": 1.0, "dev": 0.1, "deep": 10.0}
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=_QUIET, database=None)
settings.register_profile("dev", deadline=None, suppress_health_check=_QUIET)
settings.register_profile("deep", deadline=None, suppress_health_check=_QUIET)
settings.load_profile(HYPOTHESIS_PROFILE if HYPOTHESIS_PROFILE in HYPOTHESIS_PROFILES else "ci")

CLEAN_SEEDS = ("000_26d4c64f71069daa", "002_279364b37d11c44d", "003_e72d2a415b3bfbdb")
GARBLED_SEED = "004_f83caf973bd6f809"
WORK_PLAN_SEED = "001_96c48407162921ce"

needs_expected = pytest.mark.skipif(not EXPECTED.is_dir(), reason="../shared/expected (the oracle) is absent")
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real (real reports, read in place) is absent")


def expected(name: str) -> dict:
    return json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))


def seed_path(name: str) -> Path:
    return RAW / f"{name}.txt"


def cell_value(cell):
    """A cell of the JSON contract: a bare number or an object with its value."""
    return cell["value"] if isinstance(cell, dict) else cell


def mismatches(document: dict, oracle: dict, section: str) -> list[str]:
    """Every cell of ``oracle[section]`` whose value differs in ``document`` (notes compared too)."""
    found = []
    for row, columns in (oracle.get(section) or {}).items():
        for column, want in columns.items():
            got_row = document.get(section, {}).get(row, {})
            if column == "notes":
                if got_row.get("notes") != want:
                    found.append(f"{section}.{row}.notes: expected {want!r}, got {got_row.get('notes')!r}")
                continue
            got = cell_value(got_row[column]) if column in got_row else "<absent>"
            if got != want:
                found.append(f"{section}.{row}.{column}: expected {want!r}, got {got!r}")
    return found
