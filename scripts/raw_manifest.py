"""Write data/raw/MANIFEST.tsv: every raw file with what it is, where it came from, and its sha256.

The Pingtan corpus's own manifest (data/raw/pingtan/MANIFEST.tsv) gives each corpus file's original page and its
place in the crawler's archive; the seeds and the three real reports are described here. Run after adding a file:

    python scripts/raw_manifest.py          # rewrite the manifest
    python scripts/raw_manifest.py --check  # exit 1 when it is out of date (tests/test_corpus.py checks the same)
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from pathlib import Path

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
ARCHIVE = "GitHub changwu/pingtan-gov-zwgk-archive"
COLUMNS = ("file", "kind", "what", "source", "sha256")

DESCRIBED = {
    "000_26d4c64f71069daa.txt": ("seed", "上海市金山区 2023 annual report, text layer of a PDF", "shared/seeds"),
    "001_96c48407162921ce.txt": ("seed", "金山区 2024 政务公开工作要点 (work plan), not a report", "shared/seeds"),
    "002_279364b37d11c44d.txt": ("seed", "上海市 2024 annual report, text of a DOCX", "shared/seeds"),
    "003_e72d2a415b3bfbdb.txt": ("seed", "上海市宝山区行政服务中心 2023 annual report", "shared/seeds"),
    "004_f83caf973bd6f809.txt": ("seed", "上海市 2023 annual report from a document-sharing site", "shared/seeds"),
    "huaian_city_2024.pdf": ("real", "淮安市人民政府 2024 annual report, the published PDF", "shared/real"),
    "pingtan_zone_2019.txt": ("real", "平潭综合实验区 2019 annual report (format 2019), crawler text", "shared/real"),
    "pingtan_zone_2024.txt": ("real", "平潭综合实验区 2024 annual report, crawler text", "shared/real"),
    "pingtan/MANIFEST.tsv": ("manifest", "the Pingtan corpus manifest: unit, level, parent, year", "shared/corpus"),
    "LICENCE.md": ("documentation", "the status of the government documents reproduced here", "govstats"),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _original_url(path: Path) -> str:
    """The 原文链接 line a crawler dump opens with, if any."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[:12]:
        if line.startswith("原文链接:"):
            return line.split(":", 1)[1].strip()
    return ""


def rows() -> list[dict[str, str]]:
    out = []
    corpus = RAW / "pingtan" / "MANIFEST.tsv"
    listed = {}
    if corpus.exists():
        with corpus.open(encoding="utf-8") as handle:
            listed = {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}
    for path in sorted(p for p in RAW.rglob("*") if p.is_file()):
        name = path.relative_to(RAW).as_posix()
        if name == "MANIFEST.tsv" or path.name.upper().startswith("README"):
            continue
        if name in DESCRIBED:
            kind, what, folder = DESCRIBED[name]
            url = _original_url(path) if path.suffix == ".txt" else ""
            source = "; ".join(filter(None, [url, f"{folder}/{path.name}"]))
        elif path.parent.name == "pingtan" and path.name in listed:
            row = listed[path.name]
            kind = "corpus"
            what = f"{row['unit_zh']} {row['report_year']} annual report, crawler text"
            source = f"{row['source_url']}; {ARCHIVE}: {row['archive_path']}"
        else:
            raise SystemExit(f"{name}: not described; add it to scripts/raw_manifest.py")
        out.append({"file": name, "kind": kind, "what": what, "source": source, "sha256": _sha256(path)})
    return out


def render() -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows())
    return buffer.getvalue()


def main() -> int:
    target = RAW / "MANIFEST.tsv"
    text = render()
    if "--check" in sys.argv:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        print("up to date" if current == text else f"{target} is out of date")
        return 0 if current == text else 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}: {text.count(chr(10)) - 1} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
