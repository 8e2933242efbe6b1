"""The house style: a CJK font that renders every glyph, codebook labels, and traceable, deterministic exports."""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from govstats import __version__, codebook
from govstats.analysis import figures, metrics  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def rates() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "report_id": ["a.txt", "a.txt", "b.txt", "b.txt"],
            "applicant": "total",
            "rate": ["unavailable_share", "withdrawal_rate"] * 2,
            "numerator": [156, 84, 16747, 6428],
            "denominator": [547, 547, 41480, 41480],
            "source": ["table", "narrative"] * 2,
        }
    )
    return metrics.with_intervals(frame)


LABELS = {"a.txt": "上海市金山区 2023", "b.txt": "上海市 2024"}


def _draw(fig: plt.Figure) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in caught]


def test_ensure_cjk_font_finds_an_open_cjk_font_and_never_simhei() -> None:
    font = figures.ensure_cjk_font()
    assert font in figures.CJK_FONTS
    assert "SimHei" not in figures.CJK_FONTS


def test_set_style_puts_the_cjk_font_first_after_the_seaborn_theme() -> None:
    font = figures.set_style()
    assert matplotlib.rcParams["font.sans-serif"][0] == font
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]


def test_chinese_labels_render_without_missing_glyphs(rates: pd.DataFrame) -> None:
    figures.set_style()
    fig = figures.rate_plot(rates, LABELS, "zh")
    fig.axes[0].set_title("本机关不掌握相关政府信息 − 无法提供")
    assert not [m for m in _draw(fig) if "Glyph" in m]


def test_without_a_cjk_font_the_error_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "CJK_FONTS", ("No Such Font SC",))
    monkeypatch.setattr(figures, "CJK_FILE_HINTS", ())
    with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
        figures.ensure_cjk_font()


def test_rate_labels_come_from_the_rates_data_in_both_languages() -> None:
    assert figures.rate_label("unavailable_share", "en") == "Cannot provide (broad)"
    assert figures.rate_label("unavailable_not_held_share", "en") == "Not held (strict)"
    assert figures.rate_label("unavailable_share", "zh").startswith(codebook.label("disposition_group", "unavailable"))
    corrected = codebook.label("outcome", "corrected", "zh")
    assert figures.rate_label("reconsideration_correction_rate", "zh").startswith("行政复议" + corrected)
    assert all(figures.rate_label(rate, "en") for rate in metrics.RATES)


def test_english_option_labels_the_legend_from_the_codebook(rates: pd.DataFrame) -> None:
    figures.set_style()
    fig = figures.rate_plot(rates, LABELS, "en")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:2] == [figures.rate_label("unavailable_share", "en"), figures.rate_label("withdrawal_rate", "en")]
    # where the numbers come from is marked: table and prose values differ in shape
    assert {"Read from the table", "From the prose"} <= set(legend)
    mix = pd.DataFrame({"granted": [258, 9000], "unavailable": [156, 16747]}, index=["a.txt", "b.txt"])
    fig = figures.stacked_plot(mix, LABELS, "disposition_group", "en")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Granted", "Cannot provide"]


def test_export_writes_every_format_the_data_and_an_index_entry(rates: pd.DataFrame, tmp_path: Path) -> None:
    figures.set_style()
    fig = figures.rate_plot(rates, LABELS)
    params = {"corpus": Path("data/processed"), "years": [2023]}
    record = {"git_commit": "abc", "dataset_sha256": "def", "command": "govstats notebooks run 02_not_held"}
    entry = figures.export_figure(fig, "probe", rates, "A caption.", "02_not_held.ipynb", params, tmp_path, record)
    for fmt in ("png", "svg", "pdf", "csv"):
        assert (tmp_path / f"probe.{fmt}").stat().st_size > 0
    width, height = fig.get_size_inches()
    assert plt.imread(tmp_path / "probe.png").shape[:2] == (round(height * 300), round(width * 300))
    index = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    assert index["probe"] == entry
    assert entry["figure_data_sha256"] == hashlib.sha256((tmp_path / "probe.csv").read_bytes()).hexdigest()
    assert (entry["git_commit"], entry["dataset_sha256"], entry["command"]) == tuple(record.values())
    assert b"/Type3" not in (tmp_path / "probe.pdf").read_bytes()  # TrueType (Type 42): journals reject Type 3
    assert entry["parameters"] == {"corpus": "data/processed", "years": [2023]}
    assert (entry["notebook"], entry["caption"], entry["govstats_version"]) == (
        "02_not_held.ipynb",
        "A caption.",
        __version__,
    )
    assert entry["files"] == {fmt: f"probe.{fmt}" for fmt in ("png", "svg", "pdf", "csv")}


def test_export_is_deterministic_apart_from_the_date(rates: pd.DataFrame, tmp_path: Path) -> None:
    figures.set_style()
    outputs = []
    for run in ("one", "two"):
        fig = figures.rate_plot(rates, LABELS)
        figures.export_figure(fig, "b_fig", rates, "c", "nb", {}, tmp_path / run)
        figures.export_figure(fig, "a_fig", rates, "c", "nb", {}, tmp_path / run)
        plt.close(fig)
        outputs.append(tmp_path / run)
    for name in ("b_fig.png", "b_fig.svg", "b_fig.pdf", "b_fig.csv", "figures.json"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name
    text = (outputs[0] / "figures.json").read_text(encoding="utf-8")
    assert list(json.loads(text)) == ["a_fig", "b_fig"]


def test_report_labels_are_agency_and_year_and_stay_unique() -> None:
    reports = pd.DataFrame(
        {"report_id": ["x", "y", "z"], "agency": ["上海市", "上海市", "上海市"], "year": [2023, 2023, 2024]}
    )
    labels = figures.report_labels(reports)
    assert labels["z"] == "上海市 2024"
    assert labels["x"] != labels["y"] and labels["x"].startswith("上海市 2023")


def test_a_rate_plot_of_nothing_is_no_figure_rather_than_a_crash(rates: pd.DataFrame) -> None:
    assert figures.rate_plot(rates.iloc[:0], LABELS) is None
    assert figures.rate_plot(rates.assign(value=pd.NA), LABELS) is None


def test_english_labels_take_the_units_english_names() -> None:
    reports = pd.DataFrame({"report_id": ["p", "s"], "agency": ["关于", "上海市"], "year": [2020, 2024]})
    units = pd.DataFrame({"report_id": ["p", "s"], "unit": ["平潭综合实验区财政金融局", "上海市"]})
    units["unit_en"] = ["Finance Bureau", "上海市"]
    assert figures.report_labels(reports, units, "en") == {"p": "Finance Bureau 2020", "s": "上海市 2024"}
    assert figures.report_labels(reports, units, "zh")["p"] == "平潭综合实验区财政金融局 2020"
