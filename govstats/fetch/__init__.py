"""``govstats fetch``: download report pages and the attachments they link into ``data/raw/<site>/``, politely and
with a manifest row per URL, so every raw file keeps where and when it came from.

Polite by default: robots.txt is obeyed, one request per second per host, retries with exponential backoff on
timeouts, 429 and 5xx, a size limit, and a User-Agent naming govstats. Resumable: a URL already in the manifest with
its file intact is not requested again; a download is written to a hidden ``.part`` file and renamed when complete.
Nothing is overwritten: a file whose name is taken by other bytes is saved under a name with its hash.

The manifest is ``<site>/.manifest.tsv`` (hidden, so the build does not read it as a document): url, final_url,
file, referrer (the page an attachment was linked from), retrieved_at (UTC, ISO 8601), http_status, content_type,
bytes, sha256, error. Standard library only (urllib).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from .. import __version__

USER_AGENT = f"govstats/{__version__} (research data collection; Python urllib)"
ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et")
MANIFEST = ".manifest.tsv"
MAX_BYTES = 50 * 1024 * 1024
RETRYABLE = {429, 500, 502, 503, 504}
CHUNK = 64 * 1024


@dataclass
class Row:
    """One manifest row: one URL fetched (or not, and why)."""

    url: str
    final_url: str = ""
    file: str = ""
    referrer: str = ""
    retrieved_at: str = ""
    http_status: str = ""
    content_type: str = ""
    bytes: str = ""
    sha256: str = ""
    error: str = ""


COLUMNS = [f.name for f in fields(Row)]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "iframe", "embed") and (href := dict(attrs).get("href") or dict(attrs).get("src")):
            self.hrefs.append(href.strip())


def attachment_links(page: bytes, base_url: str) -> list[str]:
    """The attachments (PDF, DOC/DOCX, XLS/XLSX, WPS) a page links, as absolute URLs, in page order, once each."""
    parser = _Links()
    parser.feed(_decode(page))
    found = []
    for href in parser.hrefs:
        url = urllib.parse.urljoin(base_url, href)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("http", "https") and parts.path.lower().endswith(ATTACHMENT_SUFFIXES):
            found.append(urllib.parse.urlunsplit(parts._replace(fragment="")))
    return list(dict.fromkeys(found))


def _decode(page: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return page.decode(encoding)
        except UnicodeDecodeError:
            continue
    return page.decode("utf-8", errors="replace")


def file_name(url: str) -> str:
    """A safe local name from the URL's last path segment (``index.html`` for a folder URL)."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    name = path.rsplit("/", 1)[-1] or "index.html"
    name = re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", name).lstrip(".") or "index.html"
    return name if "." in name else f"{name}.html"


class Manifest:
    """The site folder's manifest: read at start, one row appended per URL as it is done."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / MANIFEST
        self.rows: list[Row] = []
        if self.path.exists():
            with open(self.path, encoding="utf-8", newline="") as handle:
                self.rows = [Row(**row) for row in csv.DictReader(handle, delimiter="\t")]

    def done(self, url: str, folder: Path) -> Row | None:
        """The successful row of a URL whose file is still there with its recorded bytes."""
        for row in reversed(self.rows):
            if row.url == url and row.sha256 and not row.error:
                path = folder / row.file
                if path.is_file() and sha256_of(path.read_bytes()) == row.sha256:
                    return row
        return None

    def append(self, row: Row) -> None:
        new = not self.path.exists()
        with open(self.path, "a", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", lineterminator="\n")
            if new:
                writer.writeheader()
            writer.writerow(asdict(row))
        self.rows.append(row)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FetchError(Exception):
    """A URL that could not be fetched, with the HTTP status if there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Fetcher:
    """Polite HTTP: robots.txt, a delay per host, retries with backoff, a size limit."""

    delay: float = 1.0
    retries: int = 3
    backoff: float = 1.0
    timeout: float = 30.0
    max_bytes: int = MAX_BYTES
    user_agent: str = USER_AGENT
    obey_robots: bool = True
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self._last: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def _wait(self, host: str) -> None:
        if host in self._last:
            remaining = self._last[host] + self.delay - time.monotonic()
            if remaining > 0:
                self.sleep(remaining)
        self._last[host] = time.monotonic()

    def _open(self, url: str):
        self._wait(urllib.parse.urlsplit(url).netloc)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        return urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310 (http/https only, checked)

    def allowed(self, url: str) -> bool:
        if not self.obey_robots:
            return True
        parts = urllib.parse.urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            robots = urllib.robotparser.RobotFileParser(f"{root}/robots.txt")
            try:
                with self._open(f"{root}/robots.txt") as response:
                    robots.parse(_decode(response.read(self.max_bytes)).splitlines())
            except urllib.error.HTTPError as error:  # 401/403: everything is disallowed; other codes: nothing
                robots.disallow_all = error.code in (401, 403)
                robots.allow_all = not robots.disallow_all
            except (urllib.error.URLError, TimeoutError, OSError):
                robots.allow_all = True  # no robots.txt to be had: the site sets no rule
            self._robots[root] = robots
        return self._robots[root].can_fetch(self.user_agent, url)

    def get(self, url: str) -> tuple[bytes, str, int, str]:
        """(body, final URL, HTTP status, content type); raises FetchError after the retries."""
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise FetchError("not an http(s) URL")
        if not self.allowed(url):
            raise FetchError("disallowed by robots.txt")
        for attempt in range(self.retries + 1):
            try:
                return self._get_once(url)
            except FetchError as error:
                retryable = error.status in RETRYABLE or (error.status is None and "timed out" in str(error))
                if not retryable or attempt == self.retries:
                    raise
            self.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _get_once(self, url: str) -> tuple[bytes, str, int, str]:
        try:
            with self._open(url) as response:
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(f"oversize: {declared} bytes > limit {self.max_bytes}", response.status)
                body = bytearray()
                while chunk := response.read(CHUNK):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(f"oversize: more than {self.max_bytes} bytes", response.status)
                content_type = response.headers.get("Content-Type", "")
                return bytes(body), response.geturl(), response.status, content_type
        except urllib.error.HTTPError as error:
            raise FetchError(f"HTTP {error.code} {error.reason}", error.code) from error
        except TimeoutError as error:
            raise FetchError("timed out") from error
        except urllib.error.URLError as error:
            reason = error.reason
            text = "timed out" if isinstance(reason, TimeoutError) else str(reason)
            raise FetchError(text) from error


def _save(folder: Path, name: str, body: bytes) -> str:
    """Write ``body`` under ``name`` in ``folder``; a name taken by other bytes gets the content hash added (never
    overwritten). Returns the name used."""
    target = folder / name
    if target.exists() and target.read_bytes() != body:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem}.{sha256_of(body)[:12]}{dot}{suffix}" if dot else f"{name}.{sha256_of(body)[:12]}"
        target = folder / name
    if not target.exists():
        partial = folder / f".{name}.part"
        partial.write_bytes(body)
        os.replace(partial, target)
    return name


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_url(fetcher: Fetcher, url: str, folder: Path, manifest: Manifest, referrer: str = "") -> tuple[Row, bool]:
    """One URL into the folder: (its manifest row, whether it was downloaded now)."""
    if (row := manifest.done(url, folder)) is not None:
        return row, False
    row = Row(url=url, referrer=referrer, retrieved_at=_now())
    try:
        body, final_url, status, content_type = fetcher.get(url)
    except FetchError as error:
        row.http_status, row.error = str(error.status or ""), str(error)
        manifest.append(row)
        return row, False
    row.final_url, row.http_status, row.content_type = final_url, str(status), content_type
    row.file = _save(folder, file_name(final_url), body)
    row.bytes, row.sha256 = str(len(body)), sha256_of(body)
    manifest.append(row)
    return row, True


@dataclass
class FetchResult:
    rows: list[Row]
    downloaded: int

    @property
    def failed(self) -> list[Row]:
        return [row for row in self.rows if row.error]


def site_of(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or "unknown"


def fetch(
    pages: Iterable[str], raw_dir: str | Path = "data/raw", *, site: str | None = None, fetcher: Fetcher | None = None
) -> FetchResult:
    """Download each report page and every attachment it links into ``raw_dir/<site>/`` (site: the page's host
    unless given); every URL gets a manifest row, and a failure never stops the others."""
    fetcher = fetcher or Fetcher()
    rows, downloaded = [], 0
    for page in pages:
        folder = Path(raw_dir) / (site or site_of(page))
        folder.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(folder)
        row, new = fetch_url(fetcher, page, folder, manifest)
        rows.append(row)
        downloaded += new
        if row.error:
            continue
        base = row.final_url or page
        for link in attachment_links((folder / row.file).read_bytes(), base):
            attachment, new = fetch_url(fetcher, link, folder, manifest, referrer=page)
            rows.append(attachment)
            downloaded += new
    return FetchResult(rows, downloaded)


def read_url_list(path: str | Path) -> list[str]:
    """URLs from a file, one per line (blank lines and # comments skipped)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
