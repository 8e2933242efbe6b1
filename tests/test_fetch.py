"""`govstats fetch` against a local HTTP server on 127.0.0.1 serving saved pages (no network): pages and
attachments saved with complete manifest rows, a second run downloads nothing, failures reported per URL."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from govstats.fetch import MANIFEST, Fetcher, Manifest, attachment_links, fetch

PAGE = """<html><head><meta charset="utf-8"><title>2023年政府信息公开工作年度报告</title></head><body>
<p>上海市金山区2023年政府信息公开工作年度报告</p>
<a href="files/report.pdf">附件1</a> <a href="/files/tables.docx">附件2</a> <a href="files/missing.pdf">附件3</a>
<a href="files/slow.xls">附件4</a> <a href="files/huge.pdf">附件5</a> <a href="/private/secret.pdf">内部</a>
<a href="other.html">不是附件</a></body></html>"""
FILES = {
    "/robots.txt": (b"User-agent: *\nDisallow: /private/\n", "text/plain"),
    "/reports/2023.html": (PAGE.encode("utf-8"), "text/html; charset=utf-8"),
    "/reports/files/report.pdf": (b"%PDF-1.4 a small report", "application/pdf"),
    "/files/tables.docx": (b"PK\x03\x04 a small docx", "application/vnd.openxmlformats-officedocument"),
    "/reports/files/slow.xls": (b"\xd0\xcf\x11\xe0 slow", "application/vnd.ms-excel"),
    "/reports/files/huge.pdf": (b"%PDF" + b"0" * 5000, "application/pdf"),
    "/private/secret.pdf": (b"%PDF secret", "application/pdf"),
}
SLOW_SECONDS = 0.6


class _Handler(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, float]] = []

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        _Handler.requests.append((self.path, self.headers.get("User-Agent", ""), time.monotonic()))
        if self.path not in FILES:
            self.send_error(404)
            return
        body, content_type = FILES[self.path]
        if self.path.endswith("slow.xls"):
            time.sleep(SLOW_SECONDS)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    _Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _fetcher(**overrides) -> Fetcher:
    options = {"delay": 0.0, "retries": 1, "backoff": 0.01, "timeout": SLOW_SECONDS / 3, "max_bytes": 1000}
    return Fetcher(**(options | overrides))


def _run(server: str, raw: Path, **overrides):
    return fetch([f"{server}/reports/2023.html"], raw, site="jinshan", fetcher=_fetcher(**overrides))


def test_the_attachments_of_a_page_are_its_pdf_doc_and_xls_links_made_absolute():
    links = attachment_links(PAGE.encode("utf-8"), "http://example.org/reports/2023.html")
    assert links == [
        "http://example.org/reports/files/report.pdf",
        "http://example.org/files/tables.docx",
        "http://example.org/reports/files/missing.pdf",
        "http://example.org/reports/files/slow.xls",
        "http://example.org/reports/files/huge.pdf",
        "http://example.org/private/secret.pdf",
    ]


def test_page_and_attachments_are_saved_with_complete_manifest_rows(server, tmp_path):
    result = _run(server, tmp_path)
    folder = tmp_path / "jinshan"
    saved = {row.url.removeprefix(server): row for row in result.rows if not row.error}
    assert set(saved) == {"/reports/2023.html", "/reports/files/report.pdf", "/files/tables.docx"}
    for path, row in saved.items():
        body = (folder / row.file).read_bytes()
        assert body == FILES[path][0]
        assert row.final_url == server + path
        assert row.http_status == "200"
        assert row.content_type == FILES[path][1]
        assert row.bytes == str(len(body))
        assert row.sha256 == hashlib.sha256(body).hexdigest()
        assert row.retrieved_at.endswith("Z") and row.retrieved_at[:2] == "20"
    assert saved["/reports/files/report.pdf"].referrer == f"{server}/reports/2023.html"
    assert [row.url for row in Manifest(folder).rows] == [row.url for row in result.rows]  # every URL has a row


def test_a_404_a_timeout_an_oversize_file_and_a_robots_exclusion_are_reported_per_url(server, tmp_path):
    failed = {row.url.removeprefix(server): row for row in _run(server, tmp_path).failed}
    assert failed["/reports/files/missing.pdf"].http_status == "404"
    assert failed["/reports/files/missing.pdf"].error.startswith("HTTP 404")
    assert failed["/reports/files/slow.xls"].error == "timed out"
    assert failed["/reports/files/huge.pdf"].error.startswith("oversize")
    assert failed["/private/secret.pdf"].error == "disallowed by robots.txt"
    assert not any(path == "/private/secret.pdf" for path, _, _ in _Handler.requests)
    assert not (tmp_path / "jinshan" / "huge.pdf").exists()
    assert not list((tmp_path / "jinshan").glob(".*.part"))


def test_a_timeout_is_retried_with_backoff_and_a_404_is_not(server, tmp_path):
    _run(server, tmp_path, retries=2)
    paths = [path for path, _, _ in _Handler.requests]
    assert paths.count("/reports/files/slow.xls") == 3
    assert paths.count("/reports/files/missing.pdf") == 1


def test_a_second_run_downloads_nothing_new(server, tmp_path):
    _run(server, tmp_path)
    before = len(_Handler.requests)
    again = _run(server, tmp_path, timeout=SLOW_SECONDS / 3)
    assert again.downloaded == 0
    requested = [path for path, _, _ in _Handler.requests[before:]]
    assert not {"/reports/2023.html", "/reports/files/report.pdf", "/files/tables.docx"} & set(requested)


def test_a_different_file_of_the_same_name_is_never_overwritten(server, tmp_path):
    folder = tmp_path / "jinshan"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(b"a file someone put here")
    rows = {row.url.removeprefix(server): row for row in _run(server, tmp_path).rows}
    assert (folder / "report.pdf").read_bytes() == b"a file someone put here"
    kept = rows["/reports/files/report.pdf"].file
    assert kept != "report.pdf" and (folder / kept).read_bytes() == FILES["/reports/files/report.pdf"][0]


def test_requests_name_govstats_and_wait_between_requests_to_one_host(server, tmp_path):
    _run(server, tmp_path, delay=0.2)
    agents = {agent for _, agent, _ in _Handler.requests}
    assert all(agent.startswith("govstats/") for agent in agents)
    times = [moment for _, _, moment in _Handler.requests]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    # Seen by the server, one gap can be short by the time its handler waited to run (18 ms on a loaded CI
    # machine); over the whole run the waits add up, and no gap is near the few milliseconds of no wait at all.
    assert sum(gaps) >= 0.95 * 0.2 * len(gaps) and min(gaps) >= 0.1


def test_the_manifest_is_hidden_from_the_build(server, tmp_path):
    from govstats.dataset.build import discover

    _run(server, tmp_path)
    assert (tmp_path / "jinshan" / MANIFEST).exists()
    assert all(not path.name.startswith(".") for path in discover(tmp_path))


def test_the_command_reports_each_url_and_fails_when_one_did(server, tmp_path, capsys):
    from govstats import cli

    urls = tmp_path / "urls.txt"
    urls.write_text(f"# Jinshan\n{server}/reports/2023.html\n\n", encoding="utf-8")
    options = ["--delay", "0", "--retries", "0", "--timeout", str(SLOW_SECONDS / 3), "--max-bytes", "1000"]
    status = cli.main(["fetch", "--from-file", str(urls), "--raw", str(tmp_path / "raw"), *options])
    out = capsys.readouterr().out
    assert status == 1
    assert f"{server}/reports/files/report.pdf: 200 → report.pdf" in out
    assert f"{server}/reports/files/missing.pdf: error: HTTP 404" in out
    assert out.strip().endswith("3 downloaded, 0 already there, 4 failed")
    assert (tmp_path / "raw" / "127.0.0.1" / "2023.html").is_file()  # the site folder is the page's host
