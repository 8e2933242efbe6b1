"""Checks of a work plan: the body's numbered points against the table's tasks."""

from __future__ import annotations

from ..model import BodyPoint, CheckResult, Task, WorkPlan
from ..transform.workplan import squeeze_spaces

# Check names: the body's numbered points against the table's tasks.
TASK_COUNT = "work_plan_task_count"
TASK_ORDER = "work_plan_task_order"
TASK_SECTION = "work_plan_task_section"
TASK_NAME = "work_plan_task_name"


def work_plan_checks(plan: WorkPlan) -> list[CheckResult]:
    """The body's numbered points against the table's tasks.

    - ``work_plan_task_count``: as many tasks as points (expected = points, found = tasks).
    - ``work_plan_task_order``: at each position, the table's task number equals the body's point number.
    - ``work_plan_task_section``: each task stands under the same chapter as its point (chapter ordinals).
    - ``work_plan_task_name``: each task's 任务名称 equals its point's sub-heading (text in ``detail``).
    """
    if not plan.body_points:
        detail = "not evaluable: the body has no numbered points"
        return [CheckResult(plan.report_id, TASK_COUNT, "tasks", None, len(plan.tasks), None, detail)]
    results = [_count_check(plan)]
    results += _order_checks(plan)
    points = {point.number: point for point in plan.body_points}
    for task in plan.tasks:
        if task.number in points:
            results.append(_section_check(plan, task, points[task.number]))
            results.append(_name_check(plan, task, points[task.number]))
    return results


def _count_check(plan: WorkPlan) -> CheckResult:
    expected, found = len(plan.body_points), len(plan.tasks)
    return CheckResult(plan.report_id, TASK_COUNT, "tasks", expected, found, expected == found)


def _order_checks(plan: WorkPlan) -> list[CheckResult]:
    results = []
    for index in range(max(len(plan.body_points), len(plan.tasks))):
        point = plan.body_points[index] if index < len(plan.body_points) else None
        task = plan.tasks[index] if index < len(plan.tasks) else None
        expected = point.number if point else None
        found = task.number if task else None
        detail = f"body {point.location if point else 'has no point here'}; table {task.location if task else 'ends'}"
        where = f"position {index + 1}"
        results.append(CheckResult(plan.report_id, TASK_ORDER, where, expected, found, expected == found, detail))
    return results


def _section_check(plan: WorkPlan, task: Task, point: BodyPoint) -> CheckResult:
    body_titles = list(dict.fromkeys(p.section for p in plan.body_points if p.section))
    table_titles = [section.title for section in plan.sections]
    expected = body_titles.index(point.section) + 1 if point.section in body_titles else None
    found = table_titles.index(task.section) + 1 if task.section in table_titles else None
    passed = squeeze_spaces(point.section or "") == squeeze_spaces(task.section or "") and point.section is not None
    detail = "" if passed else f"body: {point.section} ({point.location}); table: {task.section} ({task.location})"
    return CheckResult(plan.report_id, TASK_SECTION, f"task {task.number}", expected, found, passed, detail)


def _name_check(plan: WorkPlan, task: Task, point: BodyPoint) -> CheckResult:
    if point.heading is None or task.name is None:
        detail = "not evaluable: " + (
            "the point has no sub-heading" if point.heading is None else "the task has no name"
        )
        return CheckResult(plan.report_id, TASK_NAME, f"task {task.number}", None, None, None, detail)
    passed = squeeze_spaces(point.heading) == squeeze_spaces(task.name)
    detail = f"body: {point.heading}; table: {task.name} ({task.name_location})"
    return CheckResult(plan.report_id, TASK_NAME, f"task {task.number}", None, None, passed, "" if passed else detail)
