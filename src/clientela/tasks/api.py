"""The tasks API: thin endpoints over `services` and `queries`.

A task the caller may not see (see `models` for who sees a task) answers 404 exactly like a
missing one; a write the caller may not make answers 403."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Path, Query, Router, Status

from clientela.core.access import Action, get_for_user_or_404
from clientela.core.api import (
    MAX_ID,
    PageOut,
    PageParams,
    error_responses,
    if_match_version,
    page_out,
    set_etag,
)
from clientela.core.pagination import paginate

from . import services
from .filters import TaskFilter
from .models import Task, TaskCategory
from .queries import attach_targets, task_detail, task_list
from .schemas import BulkTaskIn, BulkTaskOut, CategoryOut, TaskIn, TaskOut, TaskPatch

router = Router(tags=["tasks"])

TaskId = Path(..., ge=1, le=MAX_ID, description="Task id.")


def _task(request, task_id: int, action=Action.VIEW) -> Task:
    return get_for_user_or_404(Task.objects, request.user, action, pk=task_id)


def _out(request, response, task: Task) -> dict:
    try:
        task = task_detail(request.user, task.pk)
    except Task.DoesNotExist:
        # Written, then out of reach (say, handed to someone else): answer what was written.
        attach_targets(request.user, [task])
    set_etag(response, task.version)
    return TaskOut.of(task)


@router.get(
    "/tasks",
    response={200: PageOut[TaskOut], **error_responses()},
    summary="List tasks",
)
def list_tasks(request: HttpRequest, filters: Query[TaskFilter], page: Query[PageParams]) -> dict:
    """The tasks the caller may see, filtered (the same filters as "Tasks at a glance") and
    sorted by deadline. `due` picks a section; `scope` whose tasks."""
    result = paginate(task_list(request.user, filters), page.offset, page.limit, page.count)
    attach_targets(request.user, result.items)
    return page_out(result, [TaskOut.of(task) for task in result.items])


@router.get(
    "/tasks/categories",
    response={200: list[CategoryOut], **error_responses()},
    summary="Task categories",
)
def list_categories(request: HttpRequest):
    """The categories admins keep in the settings pages."""
    return list(TaskCategory.objects.all())


@router.post(
    "/tasks/bulk",
    response={201: BulkTaskOut, **error_responses(400)},
    summary="Create the same task for many contacts",
)
def bulk_create(request: HttpRequest, payload: BulkTaskIn):
    """One task per contact, each linked to its contact; all or nothing."""
    data = payload.model_dump(exclude={"contact_ids"})
    tasks = services.bulk_create_tasks(request.user, payload.contact_ids, data)
    return Status(201, {"count": len(tasks), "ids": [t.pk for t in tasks]})


@router.post(
    "/tasks",
    response={201: TaskOut, **error_responses(400)},
    summary="Create a task",
)
def create_task(request: HttpRequest, response: HttpResponse, payload: TaskIn):
    task = services.create_task(request.user, payload.model_dump(exclude_unset=True))
    return Status(201, _out(request, response, task))


@router.get(
    "/tasks/{task_id}",
    response={200: TaskOut, **error_responses(404)},
    summary="Read a task",
)
def read_task(request: HttpRequest, response: HttpResponse, task_id: int = TaskId):
    """The `ETag` header holds the version; send it back as `If-Match` when you update."""
    try:
        task = task_detail(request.user, task_id)
    except Task.DoesNotExist as exc:
        raise Http404 from exc
    set_etag(response, task.version)
    return TaskOut.of(task)


@router.patch(
    "/tasks/{task_id}",
    response={200: TaskOut, **error_responses(400, 403, 404, 409, 412)},
    summary="Update a task",
)
def update_task(
    request: HttpRequest, response: HttpResponse, payload: TaskPatch, task_id: int = TaskId
):
    """Only the fields sent change. A stale `If-Match` answers 412, a stale `version` 409.
    Moving the deadline moves the reminder."""
    task = _task(request, task_id)
    data = payload.model_dump(exclude_unset=True)
    body_version = data.pop("version", None)
    expected = if_match_version(request)
    task = services.update_task(
        request.user, task, data, expected if expected is not None else body_version
    )
    return _out(request, response, task)


@router.post(
    "/tasks/{task_id}/close",
    response={200: TaskOut, **error_responses(403, 404, 409, 412)},
    summary="Close a task",
)
def close_task(request: HttpRequest, response: HttpResponse, task_id: int = TaskId):
    task = services.close_task(request.user, _task(request, task_id), if_match_version(request))
    return _out(request, response, task)


@router.post(
    "/tasks/{task_id}/reopen",
    response={200: TaskOut, **error_responses(403, 404, 409, 412)},
    summary="Reopen a task",
)
def reopen_task(request: HttpRequest, response: HttpResponse, task_id: int = TaskId):
    task = services.reopen_task(request.user, _task(request, task_id), if_match_version(request))
    return _out(request, response, task)


@router.delete(
    "/tasks/{task_id}",
    response={204: None, **error_responses(403, 404)},
    summary="Delete a task",
)
def delete_task(request: HttpRequest, task_id: int = TaskId):
    services.delete_task(request.user, _task(request, task_id))
    return Status(204, None)
