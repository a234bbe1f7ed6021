"""Reads of tasks shared by the pages and the API. Always through the access point."""

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import F

from .filters import DueWindows, TaskFilter
from .models import Task


def _with_row_data(queryset):
    return queryset.select_related("category", "responsible")


def task_list(user, filters: TaskFilter | None = None, windows: DueWindows | None = None):
    """The tasks `user` may see, filtered and sorted, with what a list row shows. Call
    `attach_targets` on the page of rows to give each its linked record."""
    filters = filters or TaskFilter()
    return filters.apply(_with_row_data(Task.objects.visible_to(user)), user, windows)


def task_detail(user, pk: int) -> Task:
    """One task the user may see (Task.DoesNotExist otherwise), with its linked record."""
    task = _with_row_data(Task.objects.visible_to(user)).select_related("closed_by").get(pk=pk)
    attach_targets(user, [task])
    return task


def attach_targets(user, tasks) -> list:
    """Set `task.target` to its record when `user` may see that record, else None: a task
    whose record is out of the user's reach (they are its responsible) never shows its name.

    One query per record type on the page, whatever the number of rows."""
    from clientela.activities.targets import ACTIVITY_TARGETS

    wanted = defaultdict(set)
    for task in tasks:
        task.target = None
        if task.target_type_id and task.target_id:
            wanted[task.target_type_id].add(task.target_id)
    found = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or model._meta.model_name not in ACTIVITY_TARGETS:
            continue
        for record in model.objects.visible_to(user).filter(pk__in=ids):
            found[type_id, record.pk] = record
    for task in tasks:
        if task.target_type_id:
            task.target = found.get((task.target_type_id, task.target_id))
    return tasks


def tasks_of(user, record, status: str = "all"):
    """The tasks of one record that `user` may see (the record's Tasks tab)."""
    content_type = ContentType.objects.get_for_model(record)
    tasks = _with_row_data(Task.objects.visible_to(user)).filter(
        target_type=content_type, target_id=record.pk
    )
    if status == "open":
        tasks = tasks.filter(closed_at__isnull=True)
    return tasks.order_by(F("closed_at").asc(nulls_first=True), "due_at", "id")
