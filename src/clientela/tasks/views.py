"""Task pages: "Tasks at a glance", the task form (alone, from a record's Tasks tab, or for many
contacts at once), a task's page, close/reopen from the list, delete with confirmation.

Thin: reads through `queries` and the access queryset, writes through `services`. A task out
of the user's reach answers 404, exactly like one that does not exist."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from clientela.activities.targets import find_target, target_type
from clientela.core.access import Action, can, get_for_user_or_404
from clientela.core.errors import ConflictError, validation_messages
from clientela.core.pagination import paginate
from clientela.core.pickers import as_ids
from clientela.core.record_tabs import RecordTab

from . import services
from .filters import BUCKETS, DueWindows
from .forms import BulkTaskForm, TaskFilterForm, TaskForm, filters_from_request
from .models import Task
from .queries import attach_targets, task_detail, task_list, tasks_of

SECTION_TITLES = {
    "overdue": gettext_lazy("Overdue"),
    "today": gettext_lazy("Today"),
    "week": gettext_lazy("This week"),
    "later": gettext_lazy("Later"),
    "closed": gettext_lazy("Closed"),
}
# Rows per section on the overview; a section's "Show all" pages through it alone.
SECTION_LIMIT = 20
PAGE_LIMIT = 50
# How many tasks a record's Tasks tab lists before linking to the filtered overview.
TAB_LIMIT = 50


def _is_htmx_swap_of(request, target: str) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and not request.headers.get("HX-History-Restore-Request")
    )


def _offset(request) -> int:
    try:
        return max(int(request.GET.get("offset") or 0), 0)
    except ValueError:
        return 0


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _flat_messages(error: ValidationError) -> list[str]:
    return [m for texts in validation_messages(error).values() for m in texts]


# --- Tasks at a glance -------------------------------------------------------------------


def _sections(request, filters, windows):
    """The overview's sections: by deadline for open tasks, then the closed ones. A `due`
    filter (a section's "Show all") or `offset` shows that one section, paged."""
    offset = _offset(request)
    if filters.status == "closed":
        keys = ["closed"]
    elif filters.due:
        keys = [filters.due]
    else:
        keys = [*BUCKETS, *(["closed"] if filters.status == "all" else [])]
    single = len(keys) == 1
    sections = []
    for key in keys:
        if key == "closed":
            section_filters = filters.model_copy(update={"status": "closed", "due": None})
            if filters.ordering == "due":
                section_filters.ordering = "-closed"
        else:
            section_filters = filters.model_copy(
                update={"due": key, "status": "open" if filters.status == "all" else filters.status}
            )
        rows = task_list(request.user, section_filters, windows)
        page = paginate(
            rows,
            offset if single else 0,
            PAGE_LIMIT if single else SECTION_LIMIT,
            with_count=False,
        )
        sections.append({"key": key, "title": SECTION_TITLES[key], "page": page})
    attach_targets(request.user, [task for s in sections for task in s["page"].items])
    return sections, single


def _results_context(request):
    filters, errors = filters_from_request(request)
    windows = DueWindows.at()
    sections, single = _sections(request, filters, windows)
    base_query = request.GET.copy()
    for key in ("due", "offset"):
        base_query.pop(key, None)
    return {
        "sections": sections,
        "single_section": single,
        "filters": filters,
        "filter_errors": sorted(errors),
        "is_filtered": bool(filters.active()),
        "is_empty": not any(s["page"].items for s in sections),
        "base_query": base_query.urlencode(),
        "now": windows.now,
        "query": request.GET.urlencode(),
        "list_url": f"{reverse('tasks:list')}?{request.GET.urlencode()}",
    }


@login_required
@require_GET
def task_list_view(request):
    context = _results_context(request)
    if _is_htmx_swap_of(request, "task-results"):
        response = render(request, "tasks/_results.html", context)
    else:
        context["filter_form"] = TaskFilterForm(request.GET or None, initial={"scope": "mine"})
        context["active_section"] = "tasks"
        response = render(request, "tasks/list.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _set_state(request, pk, close: bool):
    task = get_for_user_or_404(Task.objects, request.user, Action.VIEW, pk=pk)
    call = services.close_task if close else services.reopen_task
    try:
        task = call(request.user, task)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
    else:
        done = _("“%(title)s” was closed.") if close else _("“%(title)s” was reopened.")
        messages.success(request, done % {"title": task.title})
    if _is_htmx_swap_of(request, "task-results"):
        # The list redrawn with its filters (the close button's address carries them), so
        # the task moves to where it now belongs.
        context = _results_context(request)
        context["show_messages"] = True
        return render(request, "tasks/_results.html", context)
    return HttpResponseRedirect(_safe_next(request, reverse("tasks:list")))


@login_required
@require_POST
def task_close(request, pk):
    return _set_state(request, pk, close=True)


@login_required
@require_POST
def task_reopen(request, pk):
    return _set_state(request, pk, close=False)


# --- one task ------------------------------------------------------------------------------


@login_required
@require_GET
def task_detail_view(request, pk):
    try:
        task = task_detail(request.user, pk)
    except Task.DoesNotExist as exc:
        raise Http404 from exc
    return render(
        request,
        "tasks/detail.html",
        {
            "task": task,
            "can_change": can(request.user, Action.CHANGE, task),
            "can_delete": can(request.user, Action.DELETE, task),
            "active_section": "tasks",
        },
    )


def _target_from_request(request):
    """The record a new task is for: `?contact=<pk>` or `?target_type=…&target_id=…` (404 when
    the user may not see it), or None."""

    def param(name):
        return request.POST.get(name) or request.GET.get(name)

    if param("contact"):
        return find_target(request.user, "contact", param("contact"))
    if param("target_type") or param("target_id"):
        return find_target(request.user, param("target_type") or "", param("target_id"))
    return None


def _target_query(record) -> str:
    if record is None:
        return ""
    return "?" + urlencode({"target_type": target_type(record), "target_id": record.pk})


def _form_page(request, form, title, task=None, record=None, status=200):
    return render(
        request,
        "tasks/form.html",
        {
            "form": form,
            "title": title,
            "task": task,
            "record": record,
            "record_type": target_type(record) if record is not None else "",
            "next": _safe_next(request, ""),
            "active_section": "tasks",
        },
        status=status,
    )


def _record_tab_url(record) -> str:
    return f"{record.get_absolute_url()}?tab=tasks"


@login_required
def task_create(request):
    record = _target_from_request(request)
    title = _("New task")
    if request.method != "POST":
        return _form_page(request, TaskForm(user=request.user), title, record=record)
    form = TaskForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.service_data()
        if record is not None:
            data.update({"target_type": target_type(record), "target_id": record.pk})
        try:
            task = services.create_task(request.user, data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The task “%(title)s” was created.") % {"title": task})
            if "save_and_new" in request.POST:
                return redirect(reverse("tasks:create") + _target_query(record))
            fallback = _record_tab_url(record) if record is not None else reverse("tasks:list")
            return HttpResponseRedirect(_safe_next(request, fallback))
    return _form_page(request, form, title, record=record, status=400)


@login_required
def task_edit(request, pk):
    task = get_for_user_or_404(Task.objects, request.user, Action.CHANGE, pk=pk)
    attach_targets(request.user, [task])
    title = _("Edit task")
    if request.method != "POST":
        return _form_page(request, TaskForm(user=request.user, task=task), title, task, task.target)
    form = TaskForm(request.POST, user=request.user, task=task)
    status = 400
    if form.is_valid():
        try:
            task = services.update_task(
                request.user, task, form.service_data(), form.cleaned_data.get("version")
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        else:
            messages.success(request, _("The task “%(title)s” was saved.") % {"title": task})
            if "save_and_new" in request.POST:
                return redirect(reverse("tasks:create") + _target_query(task.target))
            return HttpResponseRedirect(_safe_next(request, task.get_absolute_url()))
    return _form_page(request, form, title, task, task.target, status=status)


@login_required
def task_delete(request, pk):
    task = get_for_user_or_404(Task.objects, request.user, Action.DELETE, pk=pk)
    back = _safe_next(request, reverse("tasks:list"))
    if request.method == "POST":
        services.delete_task(request.user, task)
        messages.success(request, _("The task “%(title)s” was deleted.") % {"title": task})
        return HttpResponseRedirect(back)
    return render(
        request, "tasks/delete.html", {"task": task, "next": back, "active_section": "tasks"}
    )


# --- the group operation from the contact lists (S2.24) -----------------------------------


def _selected_ids(request) -> list[int]:
    return as_ids(request.POST.getlist("ids")) or []


@login_required
@require_POST
def task_bulk_create(request):
    """The contact list posts the selected `ids` and `next` here: first the task form for
    those contacts, then (the form posted back, `step=save`) one task per contact."""
    from clientela.contacts.models import Contact

    back = _safe_next(request, reverse("contacts:list"))
    ids = _selected_ids(request)
    contacts = list(
        Contact.objects.visible_to(request.user)
        .filter(pk__in=ids)
        .only("id", "display_name")
        .order_by("name_key", "id")[: services.MAX_BULK]
    )
    if not ids or len(contacts) != len(ids):
        messages.error(
            request,
            _("Select at least one contact.")
            if not ids
            else _("Some of the selected contacts are out of your reach; no task was created."),
        )
        return HttpResponseRedirect(back)
    status = 200
    if request.POST.get("step") != "save":
        form = BulkTaskForm(user=request.user)
    else:
        form = BulkTaskForm(request.POST, user=request.user)
        status = 400
        if form.is_valid():
            try:
                tasks = services.bulk_create_tasks(request.user, ids, form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
                for text in validation_messages(exc).get("contact_ids", []):
                    form.add_error(None, text)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Created the task for %(count)d contact.",
                        "Created the task for %(count)d contacts.",
                        len(tasks),
                    )
                    % {"count": len(tasks)},
                )
                return HttpResponseRedirect(back)
    return render(
        request,
        "tasks/bulk_form.html",
        {
            "form": form,
            "contacts": contacts,
            "ids": ids,
            "next": back,
            "active_section": "contacts",
        },
        status=status,
    )


# --- the Tasks tab of every activity target ------------------------------------------------


def _tab_context(request, record) -> dict:
    tasks = list(tasks_of(request.user, record)[: TAB_LIMIT + 1])
    key = target_type(record)
    return {
        "record_tasks": tasks[:TAB_LIMIT],
        "record_tasks_more": len(tasks) > TAB_LIMIT,
        "record_task_new_url": reverse("tasks:create") + _target_query(record),
        "record_task_list_url": reverse("tasks:list")
        + "?"
        + urlencode({"scope": "all", "status": "all", "target_type": key, "target_id": record.pk}),
        "record_task_back": _record_tab_url(record),
        "now": DueWindows.at().now,
    }


TASKS_TAB = RecordTab(
    "tasks", gettext_lazy("Tasks"), "tasks/tab.html", "check2-square", _tab_context
)
