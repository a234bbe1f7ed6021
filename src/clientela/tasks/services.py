"""Every write to tasks goes through here.

A service checks the actor may act, validates everything into one `ValidationError` keyed by
field, writes atomically, records the change, and then (in the same transaction) sets or
cancels the task's reminder, notifies a newly assigned responsible and writes the event on the
linked record's timeline.

Data keys: `title`, `category_id`, `target_type` (an `activities.targets` key such as
"contact") with `target_id`, `due_at` (an aware or naive datetime, naive meaning the
organisation's time zone), `all_day`, `reminder` (a `Reminder` value), `responsible_id`
(default: the actor), `notify` (default True: tell the responsible when someone else assigns
them the task), `description`."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.activities.targets import ACTIVITY_TARGETS, find_target
from clientela.activities.timeline import record_event, register_timeline_kind
from clientela.core.access import Action, can
from clientela.core.changelog import record_change, snapshot
from clientela.core.versioning import bump_version
from clientela.mail.kinds import NotificationKind, register_notification_kind
from clientela.mail.reminders import cancel_reminders, schedule_reminder
from clientela.mail.services import notify

from .models import FIRST_YEAR, LAST_YEAR, Reminder, Task, TaskCategory, local_midnight

TASK_ASSIGNED = register_notification_kind(
    NotificationKind(
        "task_assigned",
        gettext_lazy("A task was assigned to you"),
        gettext_lazy("%(actor)s assigned you the task %(name)s, due %(due)s"),
        ("name", "actor", "due"),
    )
)
TASK_REMINDER = register_notification_kind(
    NotificationKind(
        "task_reminder",
        gettext_lazy("Task reminder"),
        gettext_lazy("Reminder: the task %(name)s is due %(due)s"),
        ("name", "due"),
    )
)
TASK_CREATED = register_timeline_kind(
    "task_created",
    gettext_lazy("Task created"),
    "check2-square",
    gettext_lazy("%(actor)s created the task %(title)s"),
)
TASK_CLOSED = register_timeline_kind(
    "task_closed",
    gettext_lazy("Task closed"),
    "check2-circle",
    gettext_lazy("%(actor)s closed the task %(title)s"),
)
TASK_REOPENED = register_timeline_kind(
    "task_reopened",
    gettext_lazy("Task reopened"),
    "arrow-counterclockwise",
    gettext_lazy("%(actor)s reopened the task %(title)s"),
)

# A group operation creates at most this many tasks at once.
MAX_BULK = 500
TITLE_MAX = Task._meta.get_field("title").max_length


def _require_user(actor):
    if not (actor and actor.is_authenticated and actor.is_active):
        raise PermissionDenied


def _as_int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # names nothing: reported as "no such …"


def _clean_due(task: Task, data: dict, errors: dict):
    if "all_day" in data:
        task.all_day = bool(data["all_day"])
    if "due_at" not in data:
        if task.pk and "all_day" in data and task.all_day:
            task.due_at = local_midnight(timezone.localtime(task.due_at).date())
        return
    value = data["due_at"]
    if isinstance(value, date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
        errors["due_at"] = [
            _("The deadline must fall between the years %(first)d and %(last)d.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        ]
        return
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if task.all_day:
            value = local_midnight(timezone.localtime(value).date())
    elif isinstance(value, date):
        task.all_day = True if "all_day" not in data else task.all_day
        value = local_midnight(value)
    else:
        errors["due_at"] = [_("Give the deadline as a date and time.")]
        return
    task.due_at = value


def _clean_fields(actor, task: Task, data: dict, errors: dict):
    if "title" in data:
        task.title = " ".join(str(data["title"] or "").split())
    if not task.title:
        errors["title"] = [_("A task needs a title.")]
    elif len(task.title) > TITLE_MAX:
        errors["title"] = [_("At most %(n)d characters.") % {"n": TITLE_MAX}]
    if "description" in data:
        task.description = str(data["description"] or "").strip()
    if "category_id" in data:
        category_id = _as_int(data["category_id"])
        if category_id is not None and not TaskCategory.objects.filter(pk=category_id).exists():
            errors["category_id"] = [_("There is no such category.")]
        task.category_id = category_id
    if "reminder" in data:
        task.reminder = data["reminder"] or Reminder.NEVER
        if task.reminder not in Reminder.values:
            errors["reminder"] = [
                _("“%(value)s” is not a valid choice.") % {"value": task.reminder}
            ]
    if "responsible_id" in data:
        responsible_id = _as_int(data["responsible_id"]) or actor.pk
        responsible = User.objects.filter(pk=responsible_id, is_active=True).first()
        if responsible is None:
            errors["responsible_id"] = [_("Choose an active user.")]
        else:
            task.responsible = responsible
    elif not task.responsible_id:
        task.responsible = actor
    _clean_due(task, data, errors)
    if task.due_at is None and "due_at" not in errors:
        errors["due_at"] = [_("A task needs a deadline.")]


def _clean_target(actor, task: Task, data: dict, errors: dict):
    """Link the task to the record `data` names, if the actor may see that record."""
    if "target_type" not in data and "target_id" not in data:
        return
    key, pk = data.get("target_type") or None, data.get("target_id") or None
    if key is None and pk is None:
        task.target_type, task.target_id = None, None
        return
    if key not in ACTIVITY_TARGETS:
        errors["target_type"] = [
            _("Choose one of: %(types)s.") % {"types": ", ".join(ACTIVITY_TARGETS)}
        ]
        return
    try:
        record = find_target(actor, key, pk, Action.VIEW)
    except Http404:
        errors["target_id"] = [_("There is no such record.")]
        return
    task.target = record
    task.target_type = _content_type(record)
    task.target_id = record.pk


def _content_type(record):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(record)


def _target_record(task: Task):
    """The task's linked record (whatever the actor's reach: for writing its timeline)."""
    if not task.target_type_id:
        return None
    if getattr(task, "target", None) is not None:
        return task.target
    model = task.target_type.model_class()
    return model._base_manager.filter(pk=task.target_id).first() if model else None


def due_text(task: Task) -> str:
    """The deadline as notifications quote it (dd/mm/yyyy, and the time unless all-day)."""
    local = timezone.localtime(task.due_at)
    return local.strftime("%d/%m/%Y") if task.all_day else local.strftime("%d/%m/%Y %H:%M")


def _sync_reminder(task: Task, previous_responsible_id=None):
    """Set, move or cancel the responsible's reminder so that it matches the task.

    A task that is already past due when saved gets no reminder: there is nothing left to
    remind of. A reminder time already passed (a task due in an hour, reminded a day before)
    fires at once."""
    if previous_responsible_id and previous_responsible_id != task.responsible_id:
        cancel_reminders(task, TASK_REMINDER.key)
    at = task.reminder_at()
    if task.is_closed or at is None or task.is_overdue():
        cancel_reminders(task, TASK_REMINDER.key)
        return
    schedule_reminder(
        task,
        task.responsible,
        at,
        TASK_REMINDER.key,
        {"name": task.title, "due": due_text(task)},
        task.get_absolute_url(),
    )


def _notify_assignment(actor, task: Task):
    if task.responsible_id == actor.pk:
        return
    notify(
        task.responsible,
        TASK_ASSIGNED.key,
        {"name": task.title, "actor": str(actor), "due": due_text(task)},
        url=task.get_absolute_url(),
    )


def _timeline(task: Task, kind: str, actor):
    record = _target_record(task)
    if record is not None:
        record_event(record, kind, actor, {"title": task.title}, source=task)


def _build(actor, data: dict, errors: dict) -> Task:
    task = Task(created_by=actor, reminder=Reminder.DAY_1)
    _clean_fields(actor, task, data, errors)
    _clean_target(actor, task, data, errors)
    return task


def _save_new(actor, task: Task, notify_responsible: bool):
    task.save()
    record_change(actor, task, "create", None, snapshot(task))
    _sync_reminder(task)
    if notify_responsible:
        _notify_assignment(actor, task)
    _timeline(task, TASK_CREATED.key, actor)


@transaction.atomic
def create_task(actor, data: dict) -> Task:
    """Create a task; the responsible defaults to the actor and is notified (unless `notify`
    is false) when someone else assigned them."""
    _require_user(actor)
    errors: dict = {}
    task = _build(actor, dict(data), errors)
    if errors:
        raise ValidationError(errors)
    _save_new(actor, task, data.get("notify", True))
    return task


@transaction.atomic
def bulk_create_tasks(actor, contact_ids, data: dict) -> list[Task]:
    """The same task for each of the contacts (S2.24), each linked to its contact: all or
    nothing, so a contact out of reach or a bad field creates none."""
    _require_user(actor)
    from clientela.contacts.models import Contact

    try:
        ids = sorted({int(i) for i in contact_ids or []})
    except (TypeError, ValueError):
        raise ValidationError({"contact_ids": _("The selection is not valid.")}) from None
    errors: dict = {}
    if not ids:
        errors["contact_ids"] = [_("Select at least one contact.")]
    elif len(ids) > MAX_BULK:
        errors["contact_ids"] = [_("At most %(n)d contacts at once.") % {"n": MAX_BULK}]
    contacts = list(Contact.objects.visible_to(actor).filter(pk__in=ids).order_by("pk"))
    if ids and len(contacts) != len(ids):
        errors["contact_ids"] = [
            _("Some of the selected contacts are out of your reach; no task was created.")
        ]
    shared = {k: v for k, v in data.items() if k not in ("target_type", "target_id")}
    _build(actor, shared, errors)  # validates the shared fields once
    if errors:
        raise ValidationError(errors)
    tasks = []
    for contact in contacts:
        task = _build(actor, shared, errors)
        task.target = contact
        task.target_type = _content_type(contact)
        task.target_id = contact.pk
        _save_new(actor, task, False)
        tasks.append(task)
    if len(tasks) == 1 and shared.get("notify", True):
        _notify_assignment(actor, tasks[0])
    elif tasks and shared.get("notify", True):
        _notify_bulk(actor, tasks)
    return tasks


def _notify_bulk(actor, tasks: list[Task]):
    """One notification per responsible for a group operation, not one per contact."""
    first = tasks[0]
    if first.responsible_id == actor.pk:
        return
    notify(
        first.responsible,
        TASK_ASSIGNED.key,
        {
            "name": f"{first.title} (×{len(tasks)})",
            "actor": str(actor),
            "due": due_text(first),
        },
        url=first.get_absolute_url(),
    )


def _check(actor, action: Action, task: Task, message: str):
    _require_user(actor)
    if not can(actor, action, task):
        if not can(actor, Action.VIEW, task):
            raise Http404
        raise PermissionDenied(message)


@transaction.atomic
def update_task(actor, task: Task, data: dict, expected_version: int | None = None) -> Task:
    """Change the fields present in `data`; refuse a stale `expected_version`. Moving the
    deadline, the reminder or the responsible moves the reminder."""
    _check(actor, Action.CHANGE, task, _("You may not change this task."))
    task = Task.objects.select_for_update().get(pk=task.pk)
    before = snapshot(task)
    previous_responsible_id = task.responsible_id
    errors: dict = {}
    _clean_fields(actor, task, data, errors)
    _clean_target(actor, task, data, errors)
    if errors:
        raise ValidationError(errors)
    fields = [
        "title",
        "category",
        "target_type",
        "target_id",
        "due_at",
        "all_day",
        "reminder",
        "responsible",
        "description",
    ]
    bump_version(task, expected_version, fields)
    record_change(actor, task, "update", before, snapshot(task))
    _sync_reminder(task, previous_responsible_id)
    if task.responsible_id != previous_responsible_id and data.get("notify", True):
        _notify_assignment(actor, task)
    return task


@transaction.atomic
def close_task(actor, task: Task, expected_version: int | None = None) -> Task:
    """Mark the task done (S2.25); its pending reminder is cancelled. Closing a closed task
    changes nothing."""
    _check(actor, Action.CHANGE, task, _("You may not close this task."))
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.is_closed:
        if expected_version is not None and expected_version != task.version:
            bump_version(task, expected_version, [])  # raises the conflict
        return task
    before = snapshot(task)
    task.closed_at, task.closed_by = timezone.now(), actor
    bump_version(task, expected_version, ["closed_at", "closed_by"])
    record_change(actor, task, "update", before, snapshot(task))
    cancel_reminders(task, TASK_REMINDER.key)
    _timeline(task, TASK_CLOSED.key, actor)
    return task


@transaction.atomic
def reopen_task(actor, task: Task, expected_version: int | None = None) -> Task:
    """Open a closed task again; its reminder is set again if its time is still ahead."""
    _check(actor, Action.CHANGE, task, _("You may not reopen this task."))
    task = Task.objects.select_for_update().get(pk=task.pk)
    if not task.is_closed:
        if expected_version is not None and expected_version != task.version:
            bump_version(task, expected_version, [])
        return task
    before = snapshot(task)
    task.closed_at, task.closed_by = None, None
    bump_version(task, expected_version, ["closed_at", "closed_by"])
    record_change(actor, task, "update", before, snapshot(task))
    _sync_reminder(task)
    _timeline(task, TASK_REOPENED.key, actor)
    return task


def unlink_deleted_record(sender, instance, **kwargs):
    """A deleted record's tasks stay with their responsible and creator, linked to nothing,
    rather than vanishing with it (a to-do is not lost silently); `post_delete` of every
    activity target calls this."""
    Task.objects.filter(target_type=_content_type(instance), target_id=instance.pk).update(
        target_type=None, target_id=None
    )


@transaction.atomic
def delete_task(actor, task: Task):
    """Delete the task, its pending reminders; the record's timeline keeps its past events."""
    _check(actor, Action.DELETE, task, _("You may not delete this task."))
    record_change(actor, task, "delete", snapshot(task), None)
    cancel_reminders(task)
    task.delete()
