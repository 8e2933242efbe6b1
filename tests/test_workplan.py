"""The work plan (政务公开工作要点) and its 任务分解表: seed 001 against ../shared/expected, plus small plans that
isolate each reading rule (wrapped units, merged names, page numbers, numbers inside content, checks)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from govstats.analysis import workload as workplan
from govstats.dataset.tidy import task_units_frame, tasks_frame
from govstats.extract.text import lines_of, read_text
from govstats.model import SourceText, WorkPlan
from govstats.transform.workplan import (
    AS_CITY_DIRECTS,
    BY_END_OF_MONTH,
    DEADLINE_KINDS,
    UNIT_SUFFIXES,
    WHOLE_YEAR,
    is_work_plan,
    normalise_deadline,
    read_work_plan,
)
from govstats.validate.workplan import TASK_COUNT, TASK_NAME, TASK_ORDER, TASK_SECTION, work_plan_checks

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SHARED = ROOT.parent / "shared"
JINSHAN_2024_PLAN = RAW / "001_96c48407162921ce.txt"
EXPECTED_PATH = SHARED / "expected" / "001_96c48407162921ce.json"
ANNUAL_REPORT_SEEDS = [
    "000_26d4c64f71069daa.txt",
    "002_279364b37d11c44d.txt",
    "003_e72d2a415b3bfbdb.txt",
    "004_f83caf973bd6f809.txt",
]
# A unit's name may differ from another's only by this determiner (各街镇 "every 街镇" beside 街镇).
DETERMINER = "各"


@pytest.fixture(scope="module")
def plan() -> WorkPlan:
    return _checked(read_work_plan(read_text(JINSHAN_2024_PLAN)))


def _checked(plan: WorkPlan) -> WorkPlan:
    """The plan with its checks, as the pipeline records them."""
    plan.checks = work_plan_checks(plan)
    return plan


@pytest.fixture(scope="module")
def expected() -> dict:
    if not EXPECTED_PATH.exists():
        pytest.skip(f"oracle {EXPECTED_PATH} is not available")
    return json.loads(EXPECTED_PATH.read_text(encoding="utf-8"))


def _spot_checks() -> list[dict]:
    if not EXPECTED_PATH.exists():
        return []
    return json.loads(EXPECTED_PATH.read_text(encoding="utf-8"))["spot_checks"]


def _source_lines(location: str) -> str:
    """The source text at a location ("line 12" or "lines 12-15"), lines joined as a wrapped cell is."""
    numbers = [int(n) for n in re.findall(r"\d+", location)]
    lines = JINSHAN_2024_PLAN.read_text(encoding="utf-8").splitlines()
    return "".join(lines[numbers[0] - 1 : numbers[-1]]).replace(" ", "")


# ----------------------------------------------------------------------------------------------- detection


def test_jinshan_2024_plan_is_a_work_plan():
    assert is_work_plan(read_text(JINSHAN_2024_PLAN).text)


@pytest.mark.parametrize("seed", ANNUAL_REPORT_SEEDS)
def test_annual_report_seeds_are_not_work_plans(seed):
    assert not is_work_plan(read_text(RAW / seed).text)


@pytest.mark.parametrize("name", ["pingtan_zone_2019.txt", "pingtan_zone_2024.txt"])
def test_real_annual_reports_are_not_work_plans(name):
    path = SHARED / "real" / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    assert not is_work_plan(read_text(path).text)


def test_a_report_that_mentions_the_years_work_points_is_not_a_work_plan():
    text = "落实《2023 年政务公开工作要点》任务分解表。\n一、本年新收政府信息公开申请数量 12"
    assert not is_work_plan(text)


# ------------------------------------------------------------------------------------------------ metadata


def test_jinshan_2024_plan_metadata_as_expected(plan, expected):
    assert plan.document == expected["document"] == "work_plan"
    assert plan.agency == expected["agency"]
    assert plan.region == expected["region"]
    assert plan.year == expected["year"]
    assert plan.title == expected["title"]
    assert plan.doc_number == expected["doc_number"]
    assert plan.issued == expected["issued"]
    assert plan.metadata_location == {
        "agency": "line 1",
        "doc_number": "line 3",
        "issued": "line 18",
        "title": "line 19",
    }


# ------------------------------------------------------------------------------------------ tasks, sections


def test_jinshan_2024_plan_has_75_tasks_in_five_sections(plan, expected):
    assert len(plan.tasks) == expected["task_count"] == 75
    assert [task.number for task in plan.tasks] == list(range(1, 76))
    assert [(s.first_task, s.last_task) for s in plan.sections] == [(1, 29), (30, 48), (49, 55), (56, 63), (64, 75)]
    for section, oracle in zip(plan.sections, expected["sections"], strict=True):
        assert section.title == oracle["section"]
        assert [section.first_task, section.last_task] == oracle["tasks"]
        first, last = oracle["tasks"]
        assert {task.section for task in plan.tasks if first <= task.number <= last} == {oracle["section"]}


def test_jinshan_2024_plan_reads_without_problems(plan):
    assert plan.problems == []


@pytest.mark.parametrize("spot", _spot_checks(), ids=lambda spot: f"task {spot['task']}")
def test_spot_check_of_the_expected_json_holds_exactly(plan, spot):
    task = plan.task(spot["task"])
    assert task.section == spot["section"]
    assert task.unit_names == spot["units"]
    assert task.deadline == spot["deadline"]
    assert task.deadline_month == spot.get("deadline_month")
    if "name" in spot:
        assert task.name == spot["name"]
    if "content_starts" in spot:
        assert task.content.startswith(spot["content_starts"])


def test_spot_checks_cover_every_deadline_kind(expected):
    kinds = {normalise_deadline(spot["deadline"])[0] for spot in expected["spot_checks"]}
    assert expected["deadline_kinds"] == DEADLINE_KINDS
    assert kinds == set(DEADLINE_KINDS.values()) == {WHOLE_YEAR, BY_END_OF_MONTH, AS_CITY_DIRECTS}


def test_merged_name_cells_continue_the_name_above(plan):
    # Tasks 2-5 print no name: the merged cell of task 1 covers them.
    first = plan.task(1)
    for number in range(2, 6):
        task = plan.task(number)
        assert task.name == first.name == "围绕落实重大战略任务做好信息公开"
        assert task.name_inherited and task.name_location == first.name_location == "lines 523-525"
    # After a page break the merged cell is printed again (line 595): the same name, read where it stands.
    assert plan.task(9).name == plan.task(6).name and not plan.task(9).name_inherited
    assert plan.task(9).name_location == "lines 595-597"


def test_a_name_printed_on_the_number_line_is_read(plan):
    assert plan.task(37).name == "优化政策推送和订阅服务" and not plan.task(37).name_inherited


def test_content_joins_its_wrapped_lines_and_ends_before_the_units(plan):
    assert plan.task(1).content == (
        "及时公开乐高乐园项目建设、滨海国际文化旅游度假区最新进展、汇龙湖区域连片开发、西南交通枢纽打造等重大项目推进情况。"
    )
    # Content, units and deadline on one line (576), separated by spaces.
    assert plan.task(6).content == "制定发布年度优化营商环境工作方案 7.0 版，做好典型经验做法的宣传推介。"
    assert plan.task(6).unit_names == ["区发改委"] and plan.task(6).deadline == "全年"


def test_a_line_of_content_starting_with_a_number_does_not_start_a_task(plan):
    # Line 1300 "30 日内报送区政府办公室…" is task 75's content, not a task 30.
    assert plan.task(75).content.startswith(
        "根据本工作要点，结合本单位工作实际做好任务分解，于本工作要点发布后30 日内报送"
    )
    assert plan.task(75).unit_names == ["各部门", "街镇", "高新区"]


def test_page_numbers_in_the_table_are_not_content(plan):
    frame = tasks_frame([plan])
    assert not frame["content"].str.contains(r"-\s*\d+\s*-", regex=True).any()
    assert plan.task(18).content.endswith("等重要政策的公开和解读。") and plan.task(18).deadline == "全年"
    assert plan.task(19).location == "lines 679-690"


# --------------------------------------------------------------------------------------------------- units


def test_units_wrapped_mid_word_are_one_unit(plan):
    # The source wraps these names across lines (e.g. 区行 / 政服务中心 at lines 1019-1021).
    assert plan.task(49).unit_names == ["区政府办公室", "区行政服务中心", "各部门", "街镇", "高新区"]
    assert plan.task(12).unit_names == ["区发改委", "区重大办", "各街镇", "高新区"]
    assert plan.task(23).unit_names == ["区水务局", "区绿化市容局", "金山卫镇"]
    assert plan.task(25).unit_names == ["区发改委", "区规划资源局", "区建管委"]
    assert plan.task(62).unit_names == ["区政府办公室", "区城运中心", "各相关单位"]
    assert plan.task(49).units[1].location == "lines 1019-1021"


def test_no_unit_is_a_fragment(plan):
    units = set(task_units_frame([plan])["unit"])
    assert not units & {"区行", "政服务中心", "各部", "门", "区重大", "办", "区城", "运中心"}
    for unit in units:
        assert unit.endswith(UNIT_SUFFIXES), f"{unit} does not end like a unit name"
        for other in units - {unit}:
            assert not other.startswith(unit), f"{unit} is a strict prefix of {other}"
            if other.endswith(unit):
                assert other == DETERMINER + unit, f"{unit} is a strict suffix fragment of {other}"


def test_every_unit_is_printed_at_its_location(plan):
    for task in plan.tasks:
        for unit in task.units:
            assert unit.name in _source_lines(unit.location), (task.number, unit)


# ----------------------------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize(
    ("printed", "kind", "month"),
    [
        ("全年", WHOLE_YEAR, None),
        ("11 月底前", BY_END_OF_MONTH, 11),
        ("6月底前", BY_END_OF_MONTH, 6),
        ("按市级部署", AS_CITY_DIRECTS, None),
        ("13 月底前", None, None),
        ("长期坚持", None, None),
        (None, None, None),
    ],
)
def test_deadlines_normalise_to_their_kind_and_month(printed, kind, month):
    assert normalise_deadline(printed) == (kind, month)


def test_every_task_has_a_normalised_deadline_kept_as_printed(plan):
    for task in plan.tasks:
        assert task.deadline_kind in {WHOLE_YEAR, BY_END_OF_MONTH, AS_CITY_DIRECTS}, task.number
        assert (task.deadline_month is not None) == (task.deadline_kind == BY_END_OF_MONTH)
        assert task.deadline.replace(" ", "") in _source_lines(task.deadline_location)


def test_a_deadline_wrapped_over_lines_is_one_deadline(plan):
    # Lines 913-915: 按市级部 / 署.
    task = plan.task(40)
    assert (task.deadline, task.deadline_kind, task.deadline_location) == (
        "按市级部署",
        AS_CITY_DIRECTS,
        "lines 913-915",
    )


# ------------------------------------------------------------------------------------------------ provenance


def test_every_value_keeps_its_line_numbers(plan):
    for task in plan.tasks:
        for location in (task.location, task.number_location, task.content_location, task.name_location):
            assert re.fullmatch(r"lines? \d+(-\d+)?", location), (task.number, location)
        assert task.content[:8].replace(" ", "") in _source_lines(task.content_location)
        assert task.name in _source_lines(task.name_location)
        assert task.section == _source_lines(task.section_location)


# --------------------------------------------------------------------------------------- body against table


def test_the_bodys_numbered_points_agree_with_the_table(plan):
    assert [point.number for point in plan.body_points] == list(range(1, 76))
    by_check = {}
    for check in plan.checks:
        by_check.setdefault(check.check, []).append(check)
    [count] = by_check[TASK_COUNT]
    assert (count.expected, count.found, count.passed) == (75, 75, True)
    assert len(by_check[TASK_ORDER]) == 75 and all(c.passed for c in by_check[TASK_ORDER])
    assert len(by_check[TASK_SECTION]) == 75 and all(c.passed for c in by_check[TASK_SECTION])


def test_a_task_name_that_differs_from_the_bodys_heading_is_shown(plan):
    # The body heads tasks 30-31 "深化政策集成式发布成果运用"; the table names them "…结果运用".
    failed = [c for c in plan.checks if c.check == TASK_NAME and c.passed is False]
    assert [c.where for c in failed] == ["task 30", "task 31"]
    assert "成果运用" in failed[0].detail and "结果运用" in failed[0].detail


# ------------------------------------------------------------------------------------------------ tidy frames


def test_tasks_frame_has_one_row_per_task_with_nullable_dtypes(plan):
    frame = tasks_frame([plan])
    assert list(frame.columns) == [
        "report_id",
        "task",
        "section",
        "name",
        "content",
        "deadline",
        "deadline_kind",
        "deadline_month",
        "location",
    ]
    assert frame["task"].dtype == "Int64" and frame["deadline_month"].dtype == "Int64"
    assert all(isinstance(frame[c].dtype, pd.StringDtype) for c in frame.columns if c not in ("task", "deadline_month"))
    assert len(frame) == 75 and frame["task"].tolist() == list(range(1, 76))
    assert set(frame["report_id"]) == {str(JINSHAN_2024_PLAN)}, "a work plan is named by the path it was read from"
    assert frame.loc[frame["task"] == 28, "deadline_month"].item() == 11
    assert frame.loc[frame["task"] == 1, "deadline_month"].isna().item()


def test_task_units_frame_has_one_row_per_task_and_unit_in_printed_order(plan):
    frame = task_units_frame([plan])
    assert list(frame.columns) == ["report_id", "task", "unit", "location"]
    assert frame["task"].dtype == "Int64" and isinstance(frame["unit"].dtype, pd.StringDtype)
    assert len(frame) == sum(len(task.units) for task in plan.tasks)
    assert frame.loc[frame["task"] == 30, "unit"].tolist() == ["区政府办公室", "区行政服务中心", "各相关部门"]


def test_frames_are_deterministic_whatever_the_order_of_plans(plan):
    other = _mini_plan(MINI_PLAN)
    for frame_of in (tasks_frame, task_units_frame):
        forward, backward = frame_of([plan, other]), frame_of([other, plan])
        pd.testing.assert_frame_equal(forward, backward)
        assert forward["report_id"].is_monotonic_increasing


def test_frames_of_no_plans_are_empty_with_their_columns():
    assert list(tasks_frame([]).columns)[:2] == ["report_id", "task"] and tasks_frame([]).empty
    assert list(task_units_frame([]).columns) == ["report_id", "task", "unit", "location"]


# ---------------------------------------------------------------------------- small plans, one rule at a time

MINI_PLAN = """上海市某区人民政府办公室
某府办发〔2024〕1 号
2024 年 3 月 1 日
2024 年某区政务公开工作要点
一、第一部分
（一）做好甲
1.做好甲。
2.做好乙。
（二）做好丙
3.做好丙。
附件：任务分解表
序号 任务名称 任务内容 责任单位 时间节点
一、第一部分
1
做好甲
做好甲的公开。
区政府办公室、区行
政服务中心
全年
- 2 -
2 做好乙的公开，共 12 项。 区行政服务中心、各部
门 3 月底前
3
做好丙
做好丙的公开，于
30 日内完成。
区政府办公室
区行政服务中心
按市级部
署
"""


def _mini_plan(text: str) -> WorkPlan:
    return _checked(read_work_plan(SourceText(path="mini.txt", flavor="text", lines=lines_of(text))))


def test_a_small_plan_reads_every_rule():
    plan = _mini_plan(MINI_PLAN)
    assert is_work_plan(MINI_PLAN)
    assert (plan.agency, plan.region, plan.year, plan.doc_number, plan.issued) == (
        "上海市某区人民政府办公室",
        "上海市",
        2024,
        "某府办发〔2024〕1 号",
        "2024-03-01",
    )
    assert [t.number for t in plan.tasks] == [1, 2, 3]
    assert [t.name for t in plan.tasks] == ["做好甲", "做好甲", "做好丙"]
    assert plan.task(1).unit_names == ["区政府办公室", "区行政服务中心"]
    assert plan.task(2).unit_names == ["区行政服务中心", "各部门"]
    assert (plan.task(2).deadline, plan.task(2).deadline_month) == ("3 月底前", 3)
    assert plan.task(3).content == "做好丙的公开，于30 日内完成。"
    assert plan.task(3).deadline_kind == AS_CITY_DIRECTS
    assert plan.problems == []
    assert all(check.passed for check in plan.checks)


def test_two_whole_units_on_separate_lines_without_a_separator_stay_two_units():
    # Both names are printed whole elsewhere in the plan, so the break between them is not a wrap.
    assert _mini_plan(MINI_PLAN).task(3).unit_names == ["区政府办公室", "区行政服务中心"]


def test_a_fragment_seen_nowhere_whole_is_joined_and_an_unknown_name_is_a_problem():
    text = MINI_PLAN.replace("区政府办公室\n区行政服务中心\n按市级部", "区政府办公室、区数\n据局、某某\n按市级部")
    plan = _mini_plan(text)
    assert plan.task(3).unit_names == ["区政府办公室", "区数据局", "某某"]
    assert plan.problems == ["task 3 (line 28): 责任单位 '某某' is not a known unit name"]


def test_a_table_missing_a_point_of_the_body_fails_the_count_and_order_checks():
    text = MINI_PLAN.replace("3.做好丙。", "3.做好丙。\n4.做好丁。")
    checks = {(c.check, c.where): c for c in _mini_plan(text).checks}
    assert (checks[TASK_COUNT, "tasks"].expected, checks[TASK_COUNT, "tasks"].found) == (4, 3)
    assert checks[TASK_COUNT, "tasks"].passed is False
    assert checks[TASK_ORDER, "position 4"].passed is False
    assert checks[TASK_ORDER, "position 3"].passed is True


def test_points_out_of_order_fail_the_order_check():
    text = MINI_PLAN.replace("1.做好甲。\n2.做好乙。", "2.做好乙。\n1.做好甲。")
    failed = [c.where for c in _mini_plan(text).checks if c.check == TASK_ORDER and not c.passed]
    assert failed == ["position 1", "position 2"]


def test_a_deadline_of_no_known_form_is_kept_as_printed_and_is_a_problem():
    plan = _mini_plan(MINI_PLAN.replace("全年\n- 2 -", "长期坚持\n- 2 -"))
    task = plan.task(1)
    assert (task.deadline, task.deadline_kind, task.deadline_month) == ("长期坚持", None, None)
    assert task.unit_names == ["区政府办公室", "区行政服务中心"]
    assert plan.problems == ["task 1 (line 19): 时间节点 '长期坚持' is of no known form"]


def test_a_blank_deadline_cell_leaves_the_units_whole_and_is_a_problem():
    plan = _mini_plan(MINI_PLAN.replace("全年\n- 2 -", "- 2 -"))
    assert plan.task(1).deadline is None and plan.task(1).unit_names == ["区政府办公室", "区行政服务中心"]
    assert plan.problems == ["task 1 (lines 14-18): no 时间节点 at the end of the row"]


def test_a_plan_without_a_task_table_has_no_tasks_and_says_so():
    plan = _mini_plan(MINI_PLAN.split("附件")[0])
    assert plan.tasks == [] and plan.problems and not is_work_plan(MINI_PLAN.split("附件")[0])


# ---------------------------------------------------------------------------------- workload (notebook 05)

# A small plan's task × unit rows: task 3 names C twice (counted once), task 4 only a collective unit.
SMALL_UNITS = pd.DataFrame(
    {
        "report_id": ["p"] * 7,
        "task": [1, 1, 2, 3, 3, 3, 4],
        "unit": ["区甲局", "区乙委", "区乙委", "区丙办", "区乙委", "区丙办", "各部门"],
        "location": ["line 1"] * 7,
    }
)
SMALL_TASKS = pd.DataFrame(
    {
        "report_id": ["p"] * 4,
        "task": [1, 2, 3, 4],
        "section": ["一、甲", "一、甲", "二、乙", "二、乙"],
        "deadline_kind": [WHOLE_YEAR, BY_END_OF_MONTH, BY_END_OF_MONTH, None],
        "deadline_month": pd.array([None, 6, 11, None], dtype="Int64"),
    }
)


@pytest.mark.parametrize(
    ("unit", "collective"),
    [
        ("各部门", True),
        ("各相关部门", True),
        ("各相关单位", True),
        ("各街镇", True),
        ("街镇", True),
        ("相关部门", True),
        ("高新区", False),
        ("山阳镇", False),
        ("金山卫镇", False),
        ("区政府办公室", False),
        ("区行政服务中心", False),
    ],
)
def test_a_unit_is_collective_when_it_starts_with_ge_or_is_a_generic_word(unit, collective):
    assert workplan.is_collective_unit(unit) is collective


def test_unit_workload_counts_each_units_tasks_most_first_then_in_printed_order():
    workload = workplan.unit_workload(SMALL_UNITS)
    assert workload["unit"].tolist() == ["区乙委", "区甲局", "区丙办", "各部门"]
    assert workload["tasks"].tolist() == [3, 1, 1, 1], "a unit named twice in one task counts once"
    assert workload["share"].tolist() == [0.75, 0.25, 0.25, 0.25]
    assert workload["sole_tasks"].tolist() == [1, 0, 0, 1]
    assert workload["first_task"].tolist() == [1, 1, 3, 4]
    assert workload["collective"].tolist() == [False, False, False, True]


def test_unit_workload_with_tasks_splits_each_units_tasks_by_deadline_kind():
    workload = workplan.unit_workload(SMALL_UNITS, SMALL_TASKS).set_index("unit")
    kinds = list(DEADLINE_KINDS.values())
    assert workload.loc["区乙委", kinds].tolist() == [1, 2, 0]
    assert workload.loc["各部门", kinds].tolist() == [0, 0, 0], "a deadline of no known form is in no kind"
    assert workplan.unit_workload(SMALL_UNITS.iloc[:0], SMALL_TASKS.iloc[:0]).empty


def test_jinshan_2024_workload_has_38_units_led_by_the_district_office(plan):
    units = task_units_frame([plan])
    workload = workplan.unit_workload(units, tasks_frame([plan]))
    assert len(workload) == workload["unit"].nunique() == 38
    assert workload["tasks"].sum() == len(units) == 179
    assert list(zip(workload["unit"][:5], workload["tasks"][:5], strict=True)) == [
        ("区政府办公室", 29),
        ("高新区", 24),
        ("街镇", 22),
        ("各部门", 21),
        ("各相关部门", 14),
    ]
    assert set(workload.loc[workload["collective"], "unit"]) == {"街镇", "各部门", "各相关部门", "各街镇", "各相关单位"}
    assert (workload[list(DEADLINE_KINDS.values())].sum(axis=1) == workload["tasks"]).all()


def test_collective_only_tasks_are_the_tasks_that_name_no_single_agency(plan):
    assert workplan.collective_only_tasks(SMALL_UNITS)["task"].tolist() == [4]
    found = workplan.collective_only_tasks(task_units_frame([plan]))
    assert found["task"].tolist() == [42, 56, 57]
    assert found["units"].tolist() == ["各相关部门", "各部门", "各部门"]


def test_tasks_per_section_in_printed_order(plan):
    sections = workplan.tasks_per_section(tasks_frame([plan]))
    assert sections["section"].tolist() == [section.title for section in plan.sections]
    assert list(zip(sections["first_task"], sections["last_task"], sections["tasks"], strict=True)) == [
        (1, 29, 29),
        (30, 48, 19),
        (49, 55, 7),
        (56, 63, 8),
        (64, 75, 12),
    ]


def test_deadline_kinds_count_whole_year_and_as_city_directs_apart_from_months(plan):
    kinds = workplan.deadline_kinds(tasks_frame([plan]))
    assert kinds["deadline_kind"].tolist() == [WHOLE_YEAR, BY_END_OF_MONTH, AS_CITY_DIRECTS]
    assert kinds["tasks"].tolist() == [51, 21, 3] and kinds["share"].sum() == pytest.approx(1)
    small = workplan.deadline_kinds(SMALL_TASKS)
    assert small["tasks"].tolist() == [1, 2, 0, 1] and small["deadline_kind"].isna().tolist()[-1]


def test_deadline_months_count_only_tasks_due_by_the_end_of_a_month(plan):
    months = workplan.deadline_months(tasks_frame([plan]))
    assert months["deadline_month"].tolist() == list(range(1, 13))
    assert months["tasks"].tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 3, 4, 8, 0]
    assert months["cumulative"].iloc[-1] == 21
    small = workplan.deadline_months(SMALL_TASKS)
    assert small.loc[small["tasks"] > 0, "deadline_month"].tolist() == [6, 11] and small["tasks"].sum() == 2


class _Dataset:
    def __init__(self, reports: pd.DataFrame, extra: dict[str, pd.DataFrame]):
        self.reports, self.extra = reports, extra


DOCUMENTS = pd.DataFrame(
    {
        "report_id": ["a.txt", "plan23.txt", "plan24.txt", "bad.txt"],
        "document": ["annual_report", "work_plan", "work_plan", "work_plan"],
        "agency": ["某区", "某区办公室", "某区办公室", "某区办公室"],
        "year": pd.array([2024, 2023, 2024, 2025], dtype="Int64"),
        "title": [None, "2023 年政务公开工作要点", "2024 年政务公开工作要点", None],
        "status": ["parsed", "parsed", "parsed", "error"],
    }
)


def test_plan_tables_choose_the_latest_plan_of_the_selection_or_the_one_named():
    tasks = SMALL_TASKS.assign(report_id="plan23.txt")
    data = _Dataset(DOCUMENTS, {"work_plan_tasks": tasks, "work_plan_task_units": SMALL_UNITS})
    assert workplan.plan_ids(DOCUMENTS) == ["plan23.txt", "plan24.txt"], "annual reports and errors are no plans"
    assert workplan.plan_ids(DOCUMENTS, years=[2023]) == ["plan23.txt"]
    assert workplan.plan_ids(DOCUMENTS, agencies=["某区"]) == []
    latest = workplan.plan_tables(data)
    assert (latest.plan_id, latest.title, latest.tasks.empty) == ("plan24.txt", "2024 年政务公开工作要点", True)
    chosen = workplan.plan_tables(data, plan="plan23.txt")
    assert chosen.tasks["task"].tolist() == [1, 2, 3, 4] and chosen.units.empty
    assert chosen.name == "2023 年政务公开工作要点 (plan23.txt)"


def test_plan_tables_of_a_dataset_without_work_plans_are_empty_with_their_columns():
    none = workplan.plan_tables(_Dataset(DOCUMENTS.iloc[:1], {}))
    assert none.plan_id is None and none.name == "No work plan in this selection"
    assert list(none.units.columns) == ["report_id", "task", "unit", "location"] and none.tasks.empty


def test_the_workload_and_deadlines_in_words_carry_the_numbers(plan):
    tasks, units = tasks_frame([plan]), task_units_frame([plan])
    words = workplan.describe_workload(workplan.unit_workload(units, tasks), units)
    assert "38 units are named 179 times over 75 tasks" in words
    assert "区政府办公室 29 (38.7%), 高新区 24 (32.0%)" in words
    assert "街镇、各部门、各相关部门、各街镇、各相关单位" in words and "(tasks 42, 56, 57)" in words
    deadlines = workplan.describe_deadlines(workplan.deadline_kinds(tasks), workplan.deadline_months(tasks))
    assert deadlines.startswith("51 tasks (68.0%) run the whole year (全年) and 3 (4.0%) follow the city's schedule")
    assert "March 1, April 1" in deadlines and "by the end of October" in deadlines
    assert "the busiest month is November (8 tasks)" in deadlines
    assert workplan.describe_deadlines(workplan.deadline_kinds(SMALL_TASKS), workplan.deadline_months(SMALL_TASKS))
