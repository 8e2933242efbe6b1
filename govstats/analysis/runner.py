"""Running the curated notebooks with papermill: which notebooks, their parameters, the kernel, the output folders.

``run_all`` executes the ``NN_*.ipynb`` of ``notebooks/`` into ``<out>/notebooks/`` (default: ``reports/`` for the
default run, ``reports/runs/<parameters>`` for any other); a failing cell raises :class:`NotebookError` naming the
notebook and the cell. What the notebooks themselves call lives in :mod:`.notebooks` and :mod:`.corpus`.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .results import DEFAULT_OUTPUT, project_root

KERNEL_NAME = "python3"


class NotebookError(RuntimeError):
    """A notebook cell failed; the message names the notebook, the cell and the error."""


def notebook_paths(notebooks_dir: str | Path = "notebooks", names: Sequence[str] = ()) -> list[Path]:
    """The curated notebooks (``NN_name.ipynb``), in their numbered order; ``names`` selects some of them
    (``01_withdrawals``, ``01_withdrawals.ipynb`` or ``01``). An unknown name is an error."""
    paths = sorted(p for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return paths
    chosen = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb")
        found = [p for p in paths if p.stem == stem or p.stem.split("_", 1)[0] == stem]
        if len(found) != 1:
            known = ", ".join(p.stem for p in paths)
            raise NotebookError(f"no single notebook named {name!r} in {notebooks_dir} (known: {known})")
        chosen += [p for p in found if p not in chosen]
    return sorted(chosen)


def notebook_parameters(path: Path) -> dict[str, object]:
    """The parameters a notebook declares (its ``parameters`` cell), with their defaults."""
    import papermill

    return {name: spec["default"] for name, spec in papermill.inspect_notebook(str(path)).items()}


def run_folder(parameters: Mapping[str, object], root: str | Path = DEFAULT_OUTPUT) -> Path:
    """Where a run writes when no ``--out`` is given: ``reports/`` for the default run (the cited set), and a
    folder of its own, ``reports/runs/<parameters>``, for any other parameters, so the cited set is never
    overwritten."""
    if not parameters:
        return Path(root)
    slug = "_".join(f"{k}-{json.dumps(v, ensure_ascii=False, sort_keys=True)}" for k, v in sorted(parameters.items()))
    return Path(root) / "runs" / re.sub(r"[^\w.-]+", "", slug.replace(", ", "-").replace(",", "-"))[:120]


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
            str(path),
            str(output),
            parameters=dict(parameters),
            kernel_name=kernel,
            progress_bar=False,
            cwd=str(cwd),
            # The kernel's own log (plain TCP on localhost at start, the interrupt papermill sends at shutdown) is
            # noise for a batch run; a failing cell still fails the run, through its error output.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as error:
        raise NotebookError(
            f"{path.name}: cell {error.cell_index} (execution count {error.exec_count}) failed: "
            f"{error.ename}: {error.evalue} (executed notebook: {output})"
        ) from error
    return output


def run_all(
    notebooks_dir: str | Path = "notebooks",
    out: str | Path | None = None,
    parameters: Mapping[str, object] | None = None,
    *,
    names: Sequence[str] = (),
    cwd: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Execute the curated notebooks (all, or ``names``) with papermill; returns seconds per notebook.

    Everything goes under ``out`` (default :func:`run_folder`): executed notebooks in ``out/notebooks``,
    figures in ``out/figures``, results in ``out/results`` (the notebooks' ``output`` parameter is ``out``).
    ``parameters`` override the notebooks' ``parameters`` cells; one that no selected notebook declares is an
    error (a typo must not run silently); each notebook gets the ones it declares. Relative paths are taken
    from ``cwd`` (default: the repository root).
    """
    parameters = dict(parameters or {})
    paths = notebook_paths(notebooks_dir, names)
    if not paths:
        raise FileNotFoundError(f"{notebooks_dir}: no NN_*.ipynb notebooks")
    declared = {path: notebook_parameters(path) for path in paths}
    unknown = sorted(set(parameters) - set().union(*declared.values()))
    if unknown:
        known = ", ".join(sorted(set().union(*declared.values())))
        raise NotebookError(f"unknown parameter(s) {', '.join(unknown)}; the notebooks take: {known}")
    root = Path(cwd).resolve() if cwd else project_root(notebooks_dir)
    out_root = Path(out) if out is not None else run_folder({k: v for k, v in parameters.items() if k != "output"})
    out_root = out_root if out_root.is_absolute() else root / out_root
    executed = out_root / "notebooks"
    executed.mkdir(parents=True, exist_ok=True)
    kernel = kernel_name()
    timings = {}
    for i, path in enumerate(paths, 1):
        chosen = {k: v for k, v in parameters.items() if k in declared[path]}
        if "output" in declared[path]:
            chosen.setdefault("output", str(out_root))
        start = time.perf_counter()
        run_notebook(path, executed, chosen, kernel, root)
        timings[path.name] = time.perf_counter() - start
        if progress is not None:
            progress(f"[{i}/{len(paths)}] {path.name}: {timings[path.name]:.1f} s → {executed / path.name}")
    return timings
