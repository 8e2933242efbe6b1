"""A content-hash cache of per-file results, so a rebuild parses only the files that changed.

An entry is the pickled ``Processed.lean()`` of one file, keyed by the sha256 of the file's bytes, the name it is
built under (its ``report_id`` is in every row) and a fingerprint of govstats itself (version, code, codebook): any
change to the package invalidates every entry, so a cached result is always what the current code would give.
Entries are written atomically; an unreadable entry is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

from .. import __version__
from .pipeline import Processed

PACKAGE = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The version plus a hash of every source and data file of the package (the codebook included)."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".csv", ".json", ".txt") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def file_key(data: bytes, name: str) -> str:
    return hashlib.sha256(b"%s\0%s\0%s" % (code_fingerprint().encode(), name.encode(), data)).hexdigest()


class Cache:
    """A folder of ``<key[:2]>/<key>.pkl`` entries."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> Processed | None:
        try:
            with open(self._path(key), "rb") as handle:
                result = pickle.load(handle)
        except Exception:  # missing, truncated by a crash, or written by an incompatible version: parse again
            return None
        return result if isinstance(result, Processed) else None

    def put(self, key: str, result: Processed) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(result.lean(), stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
