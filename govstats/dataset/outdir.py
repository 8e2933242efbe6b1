"""The output folder (``--out``): what govstats may write there, how a build takes it over, and how it publishes.

What govstats promises about ``--out``:

- **It is a folder.** A path that is a file, or a symlink to one, is refused; nothing is deleted to make room.
- **Only what govstats wrote is its own.** Every build writes a manifest (``.govstats-manifest.json``) listing the
  entries it wrote. A rebuild replaces exactly those; anything else in the folder (a researcher's
  ``my_analysis.csv``, notes) is carried into the new dataset untouched. A folder without a manifest is taken over
  only where nothing would be replaced that govstats did not write: an entry of the same name as one govstats
  writes stops the build with an error, except in the output of a build from before manifests (recognised by its
  ``build_log.txt``, which ends with govstats' ``TOTAL`` line).
- **One build at a time.** A build holds an exclusive lock (``.<out>.lock`` beside the folder) from before it
  cleans up after killed builds until it has published; a second build into the same folder waits for it.
- **Atomic.** The dataset is written into a private folder beside ``--out`` and swapped in in one step (Linux
  ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, a crash between which the next build undoes), so a
  failed or killed build leaves the previous dataset as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from ..errors import UsageError

MANIFEST = ".govstats-manifest.json"
LEGACY_LOG = "build_log.txt"


def output_folder(out_dir: Path) -> Path:
    """The folder a build writes: ``out_dir`` itself, or the folder a symlink points to (swapping the link would
    leave its target stale). Refuses a file, a symlink to a file, and a folder whose parent cannot be written."""
    if out_dir.is_symlink():
        out_dir = out_dir.resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: --out is a file, not a folder (nothing was changed)")
    parent = out_dir.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), parent)
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{out_dir}: cannot write the output folder: {existing} is not writable")
    return out_dir


@contextlib.contextmanager
def exclusive(out_dir: Path) -> Iterator[None]:
    """Hold the output folder's lock for the body; wait (saying so on stderr) while another build holds it."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = out_dir.parent / f".{out_dir.name}.lock"
    with open(lock, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"govstats: waiting for another build into {out_dir} to finish", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- ownership: the manifest ------------------------------------------------------------------------------------


def write_manifest(staging: Path) -> None:
    """List what this build wrote (top-level entries), deterministically: rebuilds stay byte-identical."""
    written = sorted(entry.name for entry in staging.iterdir())
    document = {"written_by": "govstats build", "entries": written}
    (staging / MANIFEST).write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def owned(out_dir: Path) -> set[str] | None:
    """The entries an earlier build recorded as its own, or None when the folder has no (readable) manifest."""
    try:
        document = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        entries = document["entries"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {entry for entry in entries if isinstance(entry, str) and "/" not in entry} | {MANIFEST}


def _legacy_output(out_dir: Path) -> bool:
    """A folder written by govstats before manifests: its build log ends with the TOTAL line."""
    try:
        lines = (out_dir / LEGACY_LOG).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    return bool(lines) and lines[-1].startswith("TOTAL ")


def check_ownership(out_dir: Path, outputs: set[str]) -> None:
    """Refuse to replace an entry of ``out_dir`` that govstats did not write."""
    if not out_dir.is_dir():
        return
    ours = owned(out_dir)
    if ours is None and _legacy_output(out_dir):
        return
    clashes = sorted(outputs & (set(os.listdir(out_dir)) - (ours or set())))
    if clashes:
        raise UsageError(
            f"{out_dir}: holds {', '.join(clashes[:3])}{' …' if len(clashes) > 3 else ''}, not written by govstats "
            f"(not in its {MANIFEST}): move them or choose another --out (nothing was changed)"
        )


def carry_foreign(out_dir: Path, staging: Path) -> None:
    """Copy into the new dataset everything of the old folder that govstats did not write, so the swap keeps it."""
    if not out_dir.is_dir():
        return
    ours = owned(out_dir)
    if ours is None:  # no manifest: only a pre-manifest build's files (a clash was refused before the build)
        ours = set(os.listdir(staging)) if _legacy_output(out_dir) else set()
    for entry in sorted(out_dir.iterdir()):
        if entry.name in ours or (staging / entry.name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, staging / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, staging / entry.name, follow_symlinks=False)


# --- publishing: build beside the output folder, then swap ------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    status = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    return status == 0


def work_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}.build-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out_dir: Path) -> None:
    """Undo what a killed build left: restore a dataset caught between two renames, drop dead builds' folders."""
    for work in sorted(out_dir.parent.glob(work_prefix(out_dir) + "*")):
        pid = work.name.removeprefix(work_prefix(out_dir)).split("-")[0]
        if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
            continue  # another build is running (one that took no lock: an older govstats)
        previous = work / "previous"
        if previous.is_dir() and not out_dir.exists():
            os.rename(previous, out_dir)
        shutil.rmtree(work, ignore_errors=True)


def publish(staging: Path, out_dir: Path, work: Path) -> None:
    """Make ``staging`` the output folder; the old one ends up inside ``work``, which is then removed."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
    elif not exchange(staging, out_dir):
        os.rename(out_dir, work / "previous")  # a crash between these two renames is undone by recover()
        os.rename(staging, out_dir)
    shutil.rmtree(work, ignore_errors=True)
