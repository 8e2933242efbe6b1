"""The house style for figures, their labels (Chinese or English, from the codebook), and their export.

Every figure is exported with the data behind it and an entry in ``figures.json`` (files, caption, notebook,
parameters, sha256 of the data, govstats version, date), so a cited figure can be traced and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import textwrap
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.figure import Figure

from .. import __version__, codebook
from . import rates as rate_definitions

# Fonts with simplified Chinese glyphs under open licences, best first. SimHei is deliberately absent: it is
# proprietary, and matplotlib falls back to boxes for any glyph it lacks.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
)
CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "notosanssc", "sourcehansans", "wqy")
INSTALL_HINT = (
    "no CJK font found for Chinese labels; install one, e.g. `apt-get install fonts-noto-cjk` "
    "(Noto Sans CJK, SIL Open Font License), then delete matplotlib's font cache (~/.cache/matplotlib)"
)
FIGURE_FORMATS = ("png", "svg", "pdf")
INDEX_NAME = "figures.json"

# Words that are not codes of the codebook: (Chinese, English).
TEXT: dict[str, tuple[str, str]] = {
    "disclosed_share": ("予以公开和部分公开占比", "Granted in full or in part"),
    "withdrawal_rate": ("申请人主动撤回占比", "Withdrawn by the applicant"),
    "litigation": ("行政诉讼", "Litigation"),
    "share": ("占比", "Share"),
    "processed": ("办理总数（件）", "Requests processed"),
    "pooled": ("合计比例", "Pooled rate"),
    "count": ("数量", "Count"),
    "cells": ("单元格数", "Cells"),
    "status": ("单元格状态", "Cell status"),
    "value": ("数值", "Number"),
    "blank": ("空白", "Blank"),
    "slash": ("“/”", "“/”"),
    "dash": ("“-”", "“-”"),
    "missing": ("缺失", "Missing"),
    "unreadable": ("无法读取", "Unreadable"),
    "ambiguous": ("多种读法", "Ambiguous"),
    "interval": ("95% 置信区间", "95% confidence interval"),
    "limits": ("控制限", "control limits"),
    "within": ("区间内", "within"),
    "above": ("高于", "above"),
    "below": ("低于", "below"),
    "tasks": ("任务数", "Tasks"),
    "natural_person_share": ("自然人申请占比", "Natural persons' share of new requests"),
    "breaks_identities": ("违反勾稽关系", "Breaks its own identities"),
    "no_consistent_reading": ("无满足勾稽关系的读法", "No reading consistent with the identities"),
    "contradicts_prose": ("正文与表格矛盾", "Contradicts its prose"),
    "departs_from_form": ("偏离国家格式", "Departs from the national form"),
    "source_table": ("表格读取", "Read from the table"),
    "source_recovered": ("按勾稽关系恢复", "Recovered by the identities"),
    "source_narrative": ("取自正文", "From the prose"),
    "source_proxy": ("替代指标（上限）", "Proxy (upper bound)"),
    "small_n": ("空心：n < {n}", "Hollow: n < {n}"),
    "census": (
        "每份报告为全年普查，区间反映比例的精度",
        "Each report is a census of its year; intervals show precision",
    ),
    "year": ("年度", "Year"),
    "fitted": ("拟合趋势（GEE，按单位聚类）", "Fitted trend (GEE, clustered by unit)"),
    "reports_short": ("份", "reports"),
    "single_unit": ("单一单位", "Single unit"),
    "collective_unit": ("集合性单位（各部门、街镇等）", "Collective unit (各部门, 街镇 …)"),
    "whole_year": ("全年", "Whole year"),
    "by_end_of_month": ("N月底前", "By end of month"),
    "as_city_directs": ("按市级部署", "As the city directs"),
    "deadline_kind": ("时间节点", "Deadline"),
    "deadline_month": ("完成月份（N月底前）", "Month due (by its end)"),
}
STATUSES = ("value", "blank", "slash", "dash", "missing", "unreadable", "ambiguous")


def text(key: str, language: str = "zh") -> str:
    """A figure word that is not a codebook code, in Chinese or English."""
    zh, en = TEXT[key]
    return en if language == "en" else zh


def label(table: str, code: str, language: str = "zh") -> str:
    """A codebook label (``codebook.label``), the one place labels live."""
    return codebook.label(table, code, language)


def rate_label(rate: str, language: str = "zh") -> str:
    """Label of a rate: from codebook/rates.csv where it is defined, else composed from codebook labels."""
    try:
        return rate_definitions.label(rate, language)
    except KeyError:
        pass
    if rate in TEXT:
        return text(rate, language)
    if rate.endswith("_correction_rate"):
        proceeding = rate.removesuffix("_correction_rate")
        name = (
            label("proceeding", proceeding, language) if proceeding == "reconsideration" else text(proceeding, language)
        )
        corrected = label("outcome", "corrected", language)
        return f"{name}: {corrected.lower()}" if language == "en" else f"{name}{corrected}比例"
    code = rate.removesuffix("_share")
    table = "request_row" if code == "unavailable_not_held" else "disposition_group"
    name = label(table, code, language)
    return name if language == "en" else f"{name}占比"


def ensure_cjk_font() -> str:
    """The family name of an installed CJK font matplotlib can use; RuntimeError naming what to install."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in known:
            return family
    # A font installed after matplotlib built its cache is not known yet: register system files by name.
    for path in font_manager.findSystemFonts():
        if any(hint in Path(path).name.lower().replace("-", "") for hint in CJK_FILE_HINTS):
            font_manager.fontManager.addfont(path)
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in known:
            return family
    raise RuntimeError(INSTALL_HINT)


def set_style(context: str = "notebook") -> str:
    """Apply the house style and return the CJK font family in use.

    The font is set after ``sns.set_theme()``, which would otherwise reset it to a font without Chinese glyphs.
    """
    sns.set_theme(context=context, style="whitegrid", palette="colorblind")
    font = ensure_cjk_font()
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False  # CJK fonts have no U+2212 minus sign
    mpl.rcParams["svg.hashsalt"] = "govstats"  # stable SVG ids: same figure, same file
    mpl.rcParams["figure.dpi"] = 100
    # TrueType (Type 42) fonts in PDF and PostScript: journals reject Type 3. SVG text is drawn as paths.
    mpl.rcParams["pdf.fonttype"] = 42
    mpl.rcParams["ps.fonttype"] = 42
    return font


def report_labels(reports: pd.DataFrame, units: pd.DataFrame | None = None, language: str = "zh") -> dict[str, str]:
    """``report_id`` → "unit year": the unit's English name with ``language="en"`` where the corpus manifest
    gives one (``units``, see :func:`govstats.analysis.panel.unit_table`), else the name as printed."""
    names = reports["agency"].astype(str)
    if units is not None and len(units):
        column = "unit_en" if language == "en" else "unit"
        names = reports["report_id"].map(units.set_index("report_id")[column]).fillna(names).astype(str)
    names = names + " " + reports["year"].astype(str)
    repeated = names.duplicated(keep=False)
    names = names.where(~repeated, names + " (" + reports["report_id"].astype(str) + ")")
    return dict(zip(reports["report_id"], names, strict=True))


def _legend_outside(ax: plt.Axes, title: str | None = None) -> None:
    ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)


def _percent_axis(ax: plt.Axes, axis: str = "x") -> None:
    formatter = mpl.ticker.PercentFormatter(xmax=1, decimals=0)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


SOURCE_MARKERS = {"table": "o", "recovered": "s", "narrative": "D", "proxy": "X"}
SMALL_N = 10  # fewer requests or cases than this: the interval is wide, the point drawn hollow


def rate_plot(
    rates: pd.DataFrame, labels: Mapping[str, str], language: str = "zh", small_n: int = SMALL_N
) -> Figure | None:
    """Each report's rate(s) as a point with its Wilson interval and its n; one colour per rate.

    The marker says where the numbers come from (table, recovered by the identities, prose, proxy); a report
    with fewer than ``small_n`` cases is drawn hollow. The axis always spans 0–100%, so a report of n = 1 cannot
    stretch it. None when no report has a value.
    """
    data = rates[rates["value"].notna()].copy()
    if data.empty:
        return None
    data["report"] = data["report_id"].map(lambda r: labels.get(r, r))
    order = list(dict.fromkeys(data.sort_values("report")["report"]))
    rate_names = list(dict.fromkeys(data["rate"]))
    row = 0.4 if any(len(name) > 34 for name in order) else 0.3  # two-line labels need the room
    fig, ax = plt.subplots(figsize=(9, row * len(order) * (1 + 0.3 * len(rate_names)) + 2), layout="constrained")
    offsets = np.linspace(-0.2, 0.2, len(rate_names)) if len(rate_names) > 1 else [0.0]
    for rate, offset, colour in zip(rate_names, offsets, sns.color_palette(n_colors=len(rate_names)), strict=True):
        part = data[data["rate"] == rate]
        y = np.array([order.index(r) for r in part["report"]]) + offset
        x = part["value"].to_numpy(float)
        # Wilson bounds can sit a rounding error inside a 0% or 100% rate: clip the bars at zero length.
        err = np.clip(np.vstack([x - part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float) - x]), 0, None)
        ax.errorbar(x, y, xerr=err, fmt="none", ecolor=colour, capsize=2, linewidth=1)
        for source, marker in SOURCE_MARKERS.items():
            chosen = (part["source"] == source).to_numpy()
            small = (part["denominator"] < small_n).to_numpy(bool)
            for mask, face in ((chosen & ~small, colour), (chosen & small, "white")):
                if mask.any():
                    ax.scatter(x[mask], y[mask], marker=marker, color=face, edgecolors=colour, zorder=3, s=30)
        for _xi, yi, n in zip(x, y, part["denominator"], strict=True):
            ax.annotate(
                f"n={n}",
                (1.0, yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                annotation_clip=False,
                color=colour,
            )
    # Long English unit names wrap onto two lines rather than squeezing the axes.
    ax.set_yticks(
        range(len(order)), [textwrap.fill(name, 34) for name in order], fontsize=8 if len(order) > 20 else None
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"{text('share', language)} ({text('interval', language)})")
    _percent_axis(ax)
    handles = [
        mpl.lines.Line2D([], [], color=c, marker="o", linestyle="", label=rate_label(r, language))
        for r, c in zip(rate_names, sns.color_palette(n_colors=len(rate_names)), strict=True)
    ]
    handles += [
        mpl.lines.Line2D([], [], color="grey", marker=m, linestyle="", label=text(f"source_{s}", language))
        for s, m in SOURCE_MARKERS.items()
        if (data["source"] == s).any() and set(data["source"]) != {"table"}
    ]
    if (data["denominator"] < small_n).any():
        handles.append(
            mpl.lines.Line2D(
                [],
                [],
                color="grey",
                marker="o",
                markerfacecolor="white",
                linestyle="",
                label=text("small_n", language).format(n=small_n),
            )
        )
    # Below the figure, laid out by constrained layout: never over the points, never cut off.
    fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False, fontsize="small")
    fig.suptitle(text("census", language), fontsize="small")
    return fig


def stacked_plot(
    counts: pd.DataFrame,
    labels: Mapping[str, str],
    table: str | None,
    language: str = "zh",
    *,
    normalize: bool = True,
    title: str | None = None,
) -> Figure:
    """Horizontal stacked bars: one bar per report (index), one segment per code (columns).

    Segment names come from the codebook ``table`` (or :data:`TEXT` when ``table`` is None); ``normalize``
    stacks shares of each report's total instead of counts.
    """
    data = counts.astype(float).fillna(0)
    data = data.loc[:, data.sum() > 0]
    if normalize:
        data = data.div(data.sum(axis=1).replace(0, np.nan), axis=0)
    data.index = [textwrap.fill(str(labels.get(i, i)), 34) for i in data.index]
    names = [label(table, c, language) if table else text(c, language) for c in data.columns]
    row = 0.45 if any("\n" in name for name in data.index) else 0.3  # two-line labels need the room
    fig, ax = plt.subplots(figsize=(9, row * len(data) + 2.5), layout="constrained")
    ax.margins(y=0.01)
    left = np.zeros(len(data))
    for column, name, colour in zip(data.columns, names, sns.color_palette(n_colors=len(names)), strict=True):
        ax.barh(data.index, data[column], left=left, label=name, color=colour)
        left += data[column].fillna(0).to_numpy()
    ax.invert_yaxis()
    ax.set_xlabel(text("share" if normalize else "count", language))
    if normalize:
        _percent_axis(ax)
    fig.legend(loc="outside lower center", ncol=3, frameon=False, fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def funnel_plot(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    target: float,
    labels: Mapping[str, str],
    rate: str,
    language: str = "zh",
) -> Figure:
    """Funnel plot: each report's rate against its volume, with control limits around the pooled rate."""
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    for (level, part), style in zip(limits.groupby("level"), ("--", ":"), strict=False):
        name = f"{level:.1%} {text('limits', language)}"
        ax.plot(part["volume"], part["upper"], style, color="grey", label=name)
        ax.plot(part["volume"], part["lower"], style, color="grey")
    ax.axhline(target, color="black", linewidth=1, label=f"{text('pooled', language)} {target:.2%}")
    sns.scatterplot(data=points, x="denominator", y="value", ax=ax, s=60, color=sns.color_palette()[0], zorder=3)
    # Only reports outside the limits are named (alternately above and below), so labels cannot crowd the plot.
    outside = points[points["position"] != "within"] if "position" in points else points
    for i, (_, row) in enumerate(outside.sort_values("denominator").iterrows()):
        name = labels.get(row["report_id"], row["report_id"])
        offset = (6, 6) if i % 2 == 0 else (6, -16)
        ax.annotate(
            name, (row["denominator"], row["value"]), xytext=offset, textcoords="offset points", fontsize="small"
        )
    ax.set_xscale("log")
    ax.set_xlabel(text("processed", language))
    ax.set_ylabel(rate_label(rate, language))
    _percent_axis(ax, "y")
    _legend_outside(ax)
    return fig


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.chmod(temporary, 0o644)  # mkstemp makes files private; figures are for sharing
    os.replace(temporary, path)


def export_figure(
    fig: Figure,
    name: str,
    data: pd.DataFrame,
    caption: str,
    notebook: str,
    parameters: Mapping[str, object] | None = None,
    out_dir: str | Path = "reports/figures",
    record: Mapping[str, object] | None = None,
) -> dict:
    """Write ``name``.png (300 dpi), .svg, .pdf and .csv (the data) and record the figure in figures.json.

    ``record`` is the run's provenance (:func:`govstats.analysis.results.provenance`: parameters, git commit,
    sha256 of the input dataset, govstats version, rebuild command); ``figure_data_sha256`` hashes the CSV.
    figures.json is keyed by figure name with sorted keys, so re-running a notebook changes only the date.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = data.to_csv(index=False, lineterminator="\n").encode("utf-8")
    _atomic_write(out / f"{name}.csv", table)
    # No creation dates inside the files: the same figure gives the same bytes.
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
    for fmt in FIGURE_FORMATS:
        fig.savefig(out / f"{name}.{fmt}", dpi=300, metadata=metadata[fmt])
    plt.close(fig)
    entry = {
        "files": {fmt: f"{name}.{fmt}" for fmt in (*FIGURE_FORMATS, "csv")},
        "caption": caption,
        "notebook": notebook,
        "parameters": json.loads(json.dumps(dict(parameters or {}), default=str)),
        "figure_data_sha256": hashlib.sha256(table).hexdigest(),
        "govstats_version": __version__,
        "date": date.today().isoformat(),
    }
    entry |= {key: value for key, value in (record or {}).items() if key not in entry}
    index_path = out / INDEX_NAME
    index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.exists() else {}
    index[name] = entry
    text_ = json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    _atomic_write(index_path, text_.encode("utf-8"))
    return entry


def trend_plot(yearly: pd.DataFrame, rate: str, language: str = "zh", fitted: pd.DataFrame | None = None) -> Figure:
    """The panel's pooled rate per year with its Wilson interval, the reports and cases behind each year."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    years = yearly["year"].astype(int).to_numpy()
    value = yearly["value"].to_numpy(float)
    err = np.clip(
        np.vstack([value - yearly["ci_low"].to_numpy(float), yearly["ci_high"].to_numpy(float) - value]), 0, None
    )
    ax.errorbar(years, value, yerr=err, fmt="o", capsize=3, label=text("pooled", language))
    for year, v, n, reports in zip(years, value, yearly["denominator"], yearly["reports"], strict=True):
        ax.annotate(
            f"n={n}\n{reports} {text('reports_short', language)}",
            (year, v),
            xytext=(6, 0),
            textcoords="offset points",
            fontsize=7,
            va="center",
        )
    if fitted is not None and len(fitted):
        ax.plot(fitted["year"], fitted["value"], "--", color="grey", label=text("fitted", language))
    ax.set_ylim(0, 1)
    ax.set_xticks(years)
    ax.set_xmargin(0.12)
    ax.set(xlabel=text("year", language), ylabel=rate_label(rate, language))
    _percent_axis(ax, "y")
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    return fig


def volume_plot(volumes: pd.DataFrame, language: str = "zh") -> Figure:
    """Proactive-disclosure volumes: one dot per report and item on a log axis (no bars: a bar on a log axis
    has no zero to start from)."""
    data = volumes.assign(
        item_label=volumes["item"].map(lambda code: label("proactive_item", code, language)),
        source=volumes["method"].map(lambda method: text(f"source_{method}", language)),
    )
    fig, ax = plt.subplots(figsize=(9, 0.5 * data["item_label"].nunique() + 2), layout="constrained")
    sns.stripplot(data, x="value", y="item_label", hue="source", ax=ax, jitter=0.2, size=5, log_scale=True)
    ax.set(xlabel=text("count", language), ylabel="")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=None)
    return fig
