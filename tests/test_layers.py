"""The package's layers, as docs/architecture.md draws them: every import points down, never up.

Bottom to top: the records and vocabularies (model, errors, textnorm, codebook), extract, transform, validate,
dataset, analysis, and the entry points (api, cli, __main__). A module may import its own layer or any below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "govstats"
LAYERS = {
    "model": 0,
    "errors": 0,
    "textnorm": 0,
    "codebook": 0,
    "extract": 1,
    "transform": 2,
    "validate": 3,
    "fetch": 1,
    "dataset": 4,
    "analysis": 5,
    "api": 6,
    "cli": 7,
    "__main__": 8,
    "__init__": 8,
}


# No exceptions: the PDF readers only read; reconciling their readings by the identities is a stage in validate.
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _layer_of(module: str) -> str:
    """govstats.transform.parse -> transform; govstats -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every govstats module a file imports (also inside functions), with its line."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "govstats":
                continue
            if target == "govstats":  # from govstats import tidy: the names may be modules
                found += [(node.lineno, f"govstats.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("govstats")]
    return found


def _package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_belongs_to_a_layer():
    unknown = {_layer_of(_module_name(p)) for p in _package_files()} - set(LAYERS)
    assert not unknown, f"modules outside the layers of docs/architecture.md: {sorted(unknown)}"


@pytest.mark.parametrize("path", _package_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path: Path):
    own = _layer_of(_module_name(path))
    upward = [
        f"line {line}: {target} ({_layer_of(target)})"
        for line, target in _imports(path)
        if (str(path.relative_to(PACKAGE)), target) not in KNOWN_UPWARD
        and target != "govstats"
        and _layer_of(target) in LAYERS
        and LAYERS[_layer_of(target)] > LAYERS[own]
    ]
    assert not upward, f"{path.relative_to(PACKAGE)} ({own}) imports upward: " + "; ".join(upward)


def test_importing_govstats_loads_no_heavy_dependency():
    import subprocess
    import sys

    heavy = "('pandas', 'pyarrow', 'dask', 'camelot', 'pdfplumber')"
    code = f"import sys, govstats; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "[]"
