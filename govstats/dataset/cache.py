"""A content-hash cache of per-file results, so a rebuild parses only the files that changed. It runs nothing.

An entry is one file's result as data only: JSON (its kind, error, checks and corpus summary) with each of its
tables as Arrow IPC bytes (base64), read back as the plain columns the build spools (no pandas round trip).
Nothing is unpickled or evaluated on load, so a planted entry cannot run code: the worst it can be is wrong, and
wrong is caught three ways, each of which turns the entry into a miss (the file is parsed again, and the entry
rewritten):

1. **Signed.** Each entry carries an HMAC-SHA256 of its bytes under a key kept outside the cache folder
   (``$GOVSTATS_CACHE_KEY``, default ``~/.config/govstats/cache.key``, created 0600). Anyone who can write the cache
   folder but not read that key cannot make an entry that verifies; a truncated or edited entry fails too.
2. **Checks re-run.** The identity checks (row sums, column balance, dispositions, section 四 sums) and the prose
   checks are recomputed from the entry's own long tables on load and must equal the checks it records. So even
   an entry forged with the key cannot publish a changed value (550 → 5500) next to checks that pass: the value
   breaks an identity, the recomputed check disagrees with the recorded one, and the entry is rejected.
3. **Summary re-derived.** The corpus summary (the figures the cross-year checks compare) must equal the values in
   the entry's tables.

Keys are the sha256 of the file's bytes, the name it is built under (its ``report_id`` is in every row), the
per-file limits and a fingerprint of govstats itself (version, code, codebook): any change to the package
invalidates every entry. Entries are written atomically; the folder is created private (0700). An unreadable or
rejected entry is a miss, never an error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from .. import __version__
from ..model import Cell, CheckResult, NarrativeFigure, Report
from ..validate.checks import CorpusSummary, report_checks
from ..validate.prose import narrative_checks
from . import schema
from .limits import Limits
from .pipeline import Processed
from .schema import Columns

PACKAGE = Path(__file__).resolve().parent.parent
FORMAT = "govstats-cache/2"
KEY_ENVIRONMENT = "GOVSTATS_CACHE_KEY"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The version plus a hash of every source and data file of the package (the codebook included)."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".csv", ".json", ".txt") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def file_key(data: bytes, name: str, limits: Limits | None = None) -> str:
    bounds = b"" if limits is None else f"{limits.max_file_mb}/{limits.timeout_seconds}".encode()
    if limits is not None and limits.cross_check != "auto":  # results differ by mode: never mixed in one cache
        bounds += f"/{limits.cross_check}".encode()
    parts = (code_fingerprint().encode(), name.encode("utf-8", "surrogateescape"), bounds, data)
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def _key_path() -> Path:
    configured = os.environ.get(KEY_ENVIRONMENT)
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "govstats" / "cache.key"


def signing_key() -> bytes:
    """The key entries are signed with, created (random, 0600) on first use."""
    path = _key_path()
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(32)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cache.key.")
    with os.fdopen(handle, "wb") as stream:  # mkstemp creates the file 0600
        stream.write(key)
    try:
        os.link(temporary, path)  # never replaces a key another process created meanwhile
    except FileExistsError:
        key = path.read_bytes()
    finally:
        os.remove(temporary)
    return key


# --- tables and checks as data ------------------------------------------------------------------------------------


def _arrow(table: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def _columns(encoded: str) -> Columns:
    return pa.ipc.open_stream(base64.b64decode(encoded, validate=True)).read_all().to_pydict()


def _check_record(check: CheckResult) -> dict:
    return dict(check.__dict__)


def _encode(result: Processed) -> bytes:
    document = {
        "format": FORMAT,
        "report_id": result.report_id,
        "sha256": result.sha256,
        "kind": result.kind,
        "error": result.error,
        "checks": [_check_record(check) for check in result.checks],
        "summary": None if result.summary is None else result.summary.record(),
        "tables": {name: _arrow(schema.arrow(name, data)) for name, data in sorted(result.tables.items())},
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _decode(body: bytes) -> Processed | None:
    document = json.loads(body)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    checks = [CheckResult(**record) for record in document["checks"]]
    tables = {name: _columns(encoded) for name, encoded in document["tables"].items()}
    summary = None if document["summary"] is None else CorpusSummary.from_record(document["summary"])
    result = Processed(
        str(document["report_id"]), str(document["sha256"]), str(document["kind"]), None, checks,
        error=document["error"], tables=tables, summary=summary,
    )  # fmt: skip
    return result if consistent(result) else None


# --- re-running the checks on what an entry holds -----------------------------------------------------------------

# The checks an entry's long tables determine (a printed percentage's precision is not in them: not re-run).
RECOMPUTED = ("row_sum", "column_balance", "disposition_sum", "review_sum", "narrative_vs_table", "narrative_bound")


def report_from_tables(result: Processed) -> Report:
    """The part of a report the identity and prose checks read, rebuilt from its long tables."""
    versions = result.tables["reports"]["format_version"]
    report = Report(report_id=result.report_id, format_version=versions[0] if versions else None)
    for section, key in (("requests", ("row", "applicant")), ("review_litigation", ("proceeding", "outcome"))):
        table = result.tables[section]
        cells: dict[str, dict[str, Cell]] = {}
        columns = [table[name] for name in (*key, "value", "status")]
        for row, column, value, status in zip(*columns, strict=True):
            cells.setdefault(row, {})[column] = Cell(value, status=status)
        setattr(report, section, cells)
    report.one_row_other = "other" in report.requests
    proactive = result.tables.get("proactive")
    if proactive is not None:  # section 二: the prose checks compare its cells, and skip those the prose decided
        columns = [proactive[name] for name in ("item", "measure", "value", "status", "identities")]
        for item, measure, value, status, identities in zip(*columns, strict=True):
            named = tuple(filter(None, identities.split("|") if isinstance(identities, str) else identities or ()))
            report.proactive.setdefault(item, {})[measure] = Cell(value, status=status, identities=named)
    narrative = result.tables.get("narrative")
    if narrative is not None:
        columns = [narrative[name] for name in ("key", "value", "unit", "sentence", "location")]
        for key, value, unit, sentence, location in zip(*columns, strict=True):
            number = int(value) if isinstance(value, float) and value.is_integer() else value
            report.narrative[key] = NarrativeFigure(key, number, unit, sentence, location)
    return report


def _comparable(checks: list[CheckResult], names: set[str]) -> list[tuple]:
    return sorted(
        (c.check, c.where, c.passed, None if c.expected is None else float(c.expected),
         None if c.found is None else float(c.found))
        for c in checks if c.check in names
    )  # fmt: skip


def consistent(result: Processed) -> bool:
    """Whether an entry's recorded checks and summary are what its own tables give."""
    if result.kind != "annual_report":
        return result.kind in ("error", "work_plan")
    if not {"reports", "requests", "review_litigation"} <= set(result.tables):
        return False
    report = report_from_tables(result)
    recomputed = report_checks(report) + narrative_checks(report)
    names = set(RECOMPUTED)
    if _comparable(recomputed, names) != _comparable(result.checks, names):
        return False
    summary = result.summary
    if summary is None:
        return False
    cells = all(report.value(*cell.split(".", 2)) == value for cell, value in summary.cells.items())
    figures = report.narrative
    return cells and all(key in figures and figures[key].value == f.value for key, f in summary.narrative.items())


# --- the folder of entries ----------------------------------------------------------------------------------------


class Cache:
    """A private folder of ``<key[:2]>/<key>.json`` entries: a signature line, then the entry's JSON."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._key: bytes | None = None

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def _signature(self, body: bytes) -> bytes:
        if self._key is None:
            self._key = signing_key()
        return hmac.new(self._key, body, hashlib.sha256).hexdigest().encode("ascii")

    def get(self, key: str) -> Processed | None:
        try:
            signature, _, body = self._path(key).read_bytes().partition(b"\n")
            if not hmac.compare_digest(signature, self._signature(body)):
                return None
            return _decode(body)
        except Exception:  # noqa: BLE001 - missing, truncated, tampered or from another version: parse again
            return None

    def put(self, key: str, result: Processed) -> None:
        path = self._path(key)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # private when govstats creates it
        path.parent.mkdir(exist_ok=True, mode=0o700)
        body = _encode(result.lean())
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(self._signature(body) + b"\n" + body)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
