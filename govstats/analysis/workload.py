"""What a work plan asks of its responsible units: tasks per unit and section, deadlines, collective units."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ..dataset.tidy import select_documents, task_units_frame, tasks_frame
from ..transform.workplan import AS_CITY_DIRECTS, BY_END_OF_MONTH, DEADLINE_KINDS, WHOLE_YEAR, squeeze_spaces

# A collective unit names a class of bodies, not one agency: 各部门 ("every department"), 各街镇, 各相关单位, and the
# bare generic words below (街镇 "the towns and subdistricts", 相关部门 "the departments concerned"). A named place
# or organ (高新区, 山阳镇, 区政府办公室) is a single unit.
COLLECTIVE_PREFIX = "各"
COLLECTIVE_WORDS = ("部门", "单位", "街镇", "街道", "乡镇", "镇街", "委办局")
_WORKLOAD_COLUMNS = ["report_id", "unit", "tasks", "share", "sole_tasks", "first_task", "collective"]


def is_collective_unit(name: str) -> bool:
    """Whether a responsible unit is collective (a class of bodies): it starts with 各 ("every"), or it is a generic
    word of ``COLLECTIVE_WORDS``, alone or after 相关 ("concerned"). 街镇 is collective; 高新区 and 山阳镇 are not."""
    name = squeeze_spaces(name)
    return name.startswith(COLLECTIVE_PREFIX) or name.removeprefix("相关") in COLLECTIVE_WORDS


def plan_ids(
    documents: pd.DataFrame, years: Iterable[int] | None = None, agencies: Iterable[str] | None = None
) -> list[str]:
    """The work plans among ``documents`` (the ``reports`` table) of the given years and issuing agencies (all if
    None; agencies match exactly, as printed in the letterhead), oldest first."""
    plans = select_documents(documents, "work_plan", years, agencies)
    plans = plans.sort_values(["year", "report_id"], na_position="first")
    return list(plans["report_id"])


def tasks_per_section(tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks per section of each plan, in printed order: report_id, section, first_task, last_task, tasks."""
    columns = ["report_id", "section", "first_task", "last_task", "tasks"]
    if tasks.empty:
        return pd.DataFrame(columns=columns)
    groups = tasks.sort_values(["report_id", "task"]).groupby(["report_id", "section"], sort=False, dropna=False)
    frame = groups["task"].agg(first_task="min", last_task="max", tasks="size").reset_index()
    return frame[columns].sort_values(["report_id", "first_task"], kind="stable").reset_index(drop=True)


def unit_workload(units: pd.DataFrame, tasks: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tasks each responsible unit carries, one row per plan and unit (the full set of units).

    Columns: report_id, unit, tasks (tasks that name the unit), share (of the plan's tasks that name any unit),
    sole_tasks (tasks the unit carries alone), first_task (the first task that names it), collective
    (:func:`is_collective_unit`); with ``tasks``, also the unit's tasks by deadline kind (one column per kind of
    ``DEADLINE_KINDS``). Sorted by report_id, tasks (most first), then the order the plan first names the units.
    """
    kinds = list(DEADLINE_KINDS.values()) if tasks is not None else []
    if units.empty:
        return pd.DataFrame(columns=_WORKLOAD_COLUMNS + kinds)
    named = units.sort_values(["report_id", "task"], kind="stable").drop_duplicates(["report_id", "task", "unit"])
    sole = named.groupby(["report_id", "task"])["unit"].transform("size").eq(1)
    named = named.assign(sole=sole, printed=range(len(named)))  # printed: the order units are named in the plan
    frame = (
        named.groupby(["report_id", "unit"])
        .agg(tasks=("task", "size"), sole_tasks=("sole", "sum"), first_task=("task", "min"), printed=("printed", "min"))
        .reset_index()
    )
    plan_tasks = named.groupby("report_id")["task"].nunique()
    frame["share"] = (frame["tasks"] / frame["report_id"].map(plan_tasks)).astype("float64")
    frame["collective"] = frame["unit"].map(is_collective_unit).astype(bool)
    if tasks is not None:
        due = named.merge(tasks[["report_id", "task", "deadline_kind"]], on=["report_id", "task"], how="left")
        counts = pd.crosstab([due["report_id"], due["unit"]], due["deadline_kind"]).reindex(columns=kinds, fill_value=0)
        frame = frame.merge(counts.reset_index(), on=["report_id", "unit"], how="left")
        frame[kinds] = frame[kinds].fillna(0)
    frame = frame.astype({c: "int64" for c in ["tasks", "sole_tasks", "first_task", *kinds]})
    frame = frame.sort_values(["report_id", "tasks", "printed"], ascending=[True, False, True], kind="stable")
    return frame[_WORKLOAD_COLUMNS + kinds].reset_index(drop=True)


def deadline_kinds(tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks per deadline kind of each plan: report_id, deadline_kind, tasks, share; every kind of
    ``DEADLINE_KINDS`` in its order (0 when absent), then deadlines of no known form as kind <NA> (when any)."""
    columns = ["report_id", "deadline_kind", "tasks", "share"]
    rows = []
    for report_id, plan in tasks.groupby("report_id", sort=True):
        for kind in DEADLINE_KINDS.values():
            rows.append((report_id, kind, int(plan["deadline_kind"].eq(kind).sum())))
        if unknown := int(plan["deadline_kind"].isna().sum()):
            rows.append((report_id, None, unknown))
    frame = pd.DataFrame(rows, columns=columns[:3]).astype({"deadline_kind": "string", "tasks": "int64"})
    frame["share"] = frame["tasks"] / frame.groupby("report_id")["tasks"].transform("sum")
    return frame[columns]


def deadline_months(tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks due by the end of each month (``by_end_of_month`` only: whole-year and city-directed tasks have no
    month), one row per plan and month 1–12: report_id, deadline_month, tasks, cumulative (due by then), as
    nullable integers (Int64)."""
    due = tasks[tasks["deadline_kind"].eq(BY_END_OF_MONTH).fillna(False) & tasks["deadline_month"].notna()]
    frames = []
    for report_id in sorted(tasks["report_id"].unique()):
        months = due.loc[due["report_id"] == report_id, "deadline_month"].astype(int)
        counts = months.value_counts().reindex(range(1, 13), fill_value=0).astype("int64")
        frame = pd.DataFrame({"report_id": report_id, "deadline_month": range(1, 13), "tasks": counts.to_numpy()})
        frames.append(frame.assign(cumulative=frame["tasks"].cumsum()))
    columns = {"report_id": "string", "deadline_month": "Int64", "tasks": "Int64", "cumulative": "Int64"}
    if not frames:
        return pd.DataFrame(columns=list(columns)).astype(columns)
    return pd.concat(frames, ignore_index=True).astype(columns)


def collective_only_tasks(units: pd.DataFrame) -> pd.DataFrame:
    """Tasks that name no single agency, only collective units (:func:`is_collective_unit`): report_id, task,
    units (joined with 、 as printed)."""
    flagged = units.assign(collective=units["unit"].map(is_collective_unit).astype(bool))
    groups = flagged.groupby(["report_id", "task"], sort=True)
    frame = groups.agg(all_collective=("collective", "all"), units=("unit", "、".join)).reset_index()
    return frame.loc[frame["all_collective"], ["report_id", "task", "units"]].reset_index(drop=True)


# ----------------------------------------------------------------------------------------- a plan of a dataset


@dataclass
class PlanTables:
    """One work plan of a built dataset: its report_id and title, its tasks and its task × unit rows, and every
    plan of the selection it was chosen from (``plan_id`` is None when the selection has no plan)."""

    plan_id: str | None
    title: str | None
    plans: list[str]
    tasks: pd.DataFrame
    units: pd.DataFrame

    @property
    def name(self) -> str:
        """The plan as named in prose: "title (report_id)"."""
        if self.plan_id is None:
            return "No work plan in this selection"
        return f"{self.title} ({self.plan_id})" if self.title else self.plan_id


def plan_tables(
    data: object,
    years: Iterable[int] | None = None,
    agencies: Iterable[str] | None = None,
    plan: str | None = None,
) -> PlanTables:
    """The tables of one work plan of a loaded dataset (``govstats.load_dataset``): ``plan`` if given, else the
    latest plan of the given years and issuing agencies (:func:`plan_ids`). A dataset built before work plans were
    read, or a selection without a plan, gives empty tables with their columns."""
    plans = plan_ids(data.reports, years, agencies)
    plan_id = plan or (plans[-1] if plans else None)
    tasks = data.extra.get("work_plan_tasks", tasks_frame([]))
    units = data.extra.get("work_plan_task_units", task_units_frame([]))
    titles = data.reports.set_index("report_id")["title"] if "title" in data.reports else pd.Series(dtype="string")
    title = titles.get(plan_id) if plan_id is not None else None
    return PlanTables(
        plan_id=plan_id,
        title=None if title is None or pd.isna(title) else str(title),
        plans=plans,
        tasks=tasks[tasks["report_id"].eq(plan_id).fillna(False)].reset_index(drop=True),
        units=units[units["report_id"].eq(plan_id).fillna(False)].reset_index(drop=True),
    )


# ------------------------------------------------------------------------------------------------- in words


def _percent(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value * 100:.1f}%"


def describe_workload(workload: pd.DataFrame, units: pd.DataFrame, top: int = 5) -> str:
    """The workload of one plan's units in words: units, mentions, the ``top`` units by tasks (with their share of
    the plan's tasks), the collective units and the tasks they carry, units with a single task."""
    if workload.empty:
        return "No responsible units: the selection has no work plan, or its table names none."
    named = units["task"].nunique()
    leaders = ", ".join(f"{w.unit} {w.tasks} ({_percent(w.share)})" for w in workload.head(top).itertuples())
    collective = workload.loc[workload["collective"], "unit"]
    with_collective = units.loc[units["unit"].isin(collective), "task"].nunique()
    alone = collective_only_tasks(units)["task"]
    sole = workload.sort_values("sole_tasks", ascending=False, kind="stable").iloc[0]
    return (
        f"{len(workload)} units are named {len(units)} times over {named} tasks ({len(units) / named:.1f} units per "
        f"task). Most tasks: {leaders}. {len(collective)} of the {len(workload)} units are collective, not single "
        f"agencies: {'、'.join(collective) or 'none'}; they are named in {with_collective} tasks, and "
        f"{len(alone)} tasks name no single agency at all (tasks {', '.join(map(str, alone)) or 'none'}). "
        f"{int((workload['tasks'] == 1).sum())} units carry a single task; {int((workload['sole_tasks'] > 0).sum())} "
        f"carry at least one task alone, {sole['unit']} the most ({sole['sole_tasks']})."
    )


def describe_deadlines(kinds: pd.DataFrame, months: pd.DataFrame) -> str:
    """The deadlines of one plan in words: tasks per kind (whole year and as the city directs have no month), the
    tasks due by the end of each month, the month by which half of them are due, and the busiest month."""
    if kinds.empty:
        return "No tasks: the selection has no work plan."
    count = dict(zip(kinds["deadline_kind"].fillna("unknown"), kinds["tasks"], strict=True))
    share = dict(zip(kinds["deadline_kind"].fillna("unknown"), kinds["share"], strict=True))
    due = months[months["tasks"] > 0]
    text = (
        f"{count[WHOLE_YEAR]} tasks ({_percent(share[WHOLE_YEAR])}) run the whole year (全年) and "
        f"{count[AS_CITY_DIRECTS]} ({_percent(share[AS_CITY_DIRECTS])}) follow the city's schedule (按市级部署): "
        f"neither has a month. {count[BY_END_OF_MONTH]} ({_percent(share[BY_END_OF_MONTH])}) are due by the end of "
        "a month"
    )
    if "unknown" in count:
        text = f"{text}; {count['unknown']} have a deadline of no known form"
    if due.empty:
        return text + "."
    by_month = ", ".join(f"{calendar.month_name[m.deadline_month]} {m.tasks}" for m in due.itertuples())
    half = int(months.loc[months["cumulative"] >= months["cumulative"].max() / 2, "deadline_month"].min())
    busiest = months.loc[months["tasks"].idxmax()]
    return (
        f"{text}: {by_month}. Half of them are due by the end of {calendar.month_name[half]}; the busiest month is "
        f"{calendar.month_name[int(busiest['deadline_month'])]} ({busiest['tasks']} tasks)."
    )
