"""What is under the raw folder: the documents a build reads, and every other entry with the reason it is not read.

Every entry is accounted for in ``build_log.txt``. A file is a document unless it is one of these (the reason is
what the log says after ``SKIP``):

- ``hidden file`` / ``hidden folder``: a name starting with ``.`` (editors' and version control's files);
- ``documentation``: a corpus's own description, in any folder — a file named ``README``, ``MANIFEST`` or
  ``LICENCE`` with any extension (``README.md``, ``pingtan/MANIFEST.tsv``, ``LICENCE.md``) *that is not a
  report*: such a file is read like any other (``documentation`` lists it) and skipped only if it gives neither
  an annual report nor a work plan with tasks. A file whose name merely starts so (``ReadMe_2023年报告.txt``) is
  a document like any other;
- ``symlink outside the raw folder``: a link whose target is not under raw (its target is never read);
- ``symlink to a folder``: folders are walked by their own path only (no cycles, no file read twice);
- ``broken symlink``: a link to nothing;
- ``unreadable folder (…)``: a folder that cannot be listed, with the system's reason;
- ``not a regular file``: a FIFO, socket or device (reading one could block or never end).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .names import report_id

DOCUMENTATION_STEMS = ("README", "MANIFEST", "LICENCE", "LICENSE")


@dataclass
class Survey:
    # Paths relative to the raw folder, in report_id order (strings, not Path objects: a tenth of the memory at
    # 100,000 documents, where the survey was a third of the build's growth in peak memory).
    documents: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (report id, why), in report id order
    documentation: set[str] = field(default_factory=set)  # report ids of documents that may be the corpus's README


def _is_documentation(relative: str) -> bool:
    return relative.rsplit("/", 1)[-1].split(".")[0].upper() in DOCUMENTATION_STEMS


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


def survey(raw_dir: Path) -> Survey:
    """Walk ``raw_dir`` (following no symlinked folder) and sort every entry into documents and skips."""
    raw_dir = Path(raw_dir)
    root = raw_dir.resolve()
    found = Survey()
    pending = [raw_dir]
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(list_folder(folder), key=lambda e: e.name)
        except OSError as error:
            why = f"unreadable folder ({error.strerror or type(error).__name__})"
            found.skipped.append((report_id(_relative(folder, raw_dir)), why))
            continue
        for entry in entries:
            _sort_entry(Path(entry.path), entry, raw_dir, root, found, pending)
    found.documents.sort()
    found.skipped.sort()
    return found


def list_folder(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as entries:
        return list(entries)


def _relative(path: Path, raw_dir: Path) -> str:
    return path.relative_to(raw_dir).as_posix()


def _sort_entry(path: Path, entry: os.DirEntry, raw_dir: Path, root: Path, found: Survey, pending: list) -> None:
    relative = _relative(path, raw_dir)
    skip = lambda why: found.skipped.append((report_id(relative), why))  # noqa: E731
    if entry.name.startswith("."):
        return skip("hidden folder" if entry.is_dir(follow_symlinks=False) else "hidden file")
    if entry.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return skip("broken symlink")
        if not _inside(target, root):
            return skip("symlink outside the raw folder")
        if target.is_dir():
            return skip("symlink to a folder")
    try:
        if entry.is_dir():
            pending.append(path)
            return None
        if not entry.is_file():
            return skip("not a regular file")
    except OSError as error:
        return skip(f"cannot be examined ({error.strerror or error})")
    if _is_documentation(relative):
        found.documentation.add(report_id(relative))
    found.documents.append(relative)
    return None
