"""Reads of events shared by the calendar pages, the API, the feed and the record tabs; always
through the access point (`Event.objects.visible_to`)."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.urls import NoReverseMatch
from django.utils import timezone

from clientela.accounts.models import User
from clientela.contacts.models import Contact
from clientela.core.access import is_crm_user

from .models import Event

# A calendar range holds at most this many events (a month of a very busy diary is far less).
MAX_RANGE_EVENTS = 2000

USER_FIELDS = ("id", "first_name", "last_name", "email")
ROW_FIELDS = (
    "id",
    "title",
    "kind",
    "all_day",
    "starts_at",
    "ends_at",
    "location",
    "version",
    "organiser_id",
)


def can_change(user, event: Event) -> bool:
    """Whether `user` may change `event`, without a query (organiser or CRM admin)."""
    return is_crm_user(user) and (user.is_crm_admin or event.organiser_id == user.pk)


def events_in_range(user, start, end):
    """The events `user` may see that overlap [start, end), in order, with what a calendar
    cell shows."""
    return (
        Event.objects.visible_to(user)
        .overlapping(start, end)
        .only(*ROW_FIELDS)
        .order_by("starts_at", "id")[:MAX_RANGE_EVENTS]
    )


def visible_contacts(user) -> Prefetch:
    """An event's contacts as `user` may see them: the others are left out, names and all."""
    return Prefetch(
        "contacts",
        queryset=Contact.objects.visible_to(user).only("id", "kind", "display_name"),
    )


def event_detail(user, pk: int) -> Event:
    """One event with everything its page and API representation show; `Event.DoesNotExist`
    when the user may not see it. `visible_target` is the linked record if the user may see
    it, else None."""
    event = (
        Event.objects.visible_to(user)
        .select_related("organiser")
        .prefetch_related(
            Prefetch("attendees", queryset=User.objects.only(*USER_FIELDS)),
            visible_contacts(user),
        )
        .get(pk=pk)
    )
    event.visible_target = visible_target(user, event)
    return event


def visible_target(user, event: Event):
    if not event.target_type_id:
        return None
    model = ContentType.objects.get_for_id(event.target_type_id).model_class()
    if model is None:
        return None
    return model.objects.visible_to(user).filter(pk=event.target_id).first()


def events_of_record(user, record):
    """The events about `record` (a contact, through its links; any other activity target,
    as the event's record) that `user` may see."""
    events = Event.objects.visible_to(user)
    if isinstance(record, Contact):
        events = events.filter(contacts=record)
    else:
        events = events.filter(
            target_type=ContentType.objects.get_for_model(record), target_id=record.pk
        )
    return events.select_related("organiser").only(*ROW_FIELDS, *_organiser_fields())


def _organiser_fields():
    return tuple(f"organiser__{name}" for name in USER_FIELDS)


def upcoming_and_past(events):
    """Split by now: upcoming soonest first, past latest first."""
    now = timezone.now()
    return (
        events.filter(ends_at__gt=now).order_by("starts_at", "id"),
        events.filter(ends_at__lte=now).order_by("-starts_at", "-id"),
    )


# --- task deadlines beside events ---------------------------------------------------------------
# The tasks app is written alongside the calendar; its deadlines show once it has a `Task` with
# the fields read here, and the calendar works the same without it.

TASK_FIELDS = {"title", "due_at", "responsible", "closed_at"}


def task_model():
    try:
        model = apps.get_model("tasks", "Task")
    except LookupError:
        return None
    if not {f.name for f in model._meta.get_fields()} >= TASK_FIELDS:
        return None
    return model


def open_task_deadlines(user, start, end, limit: int = MAX_RANGE_EVENTS) -> list:
    """The open tasks `user` is responsible for, due in [start, end). Each has `url`."""
    model = task_model()
    if model is None or not is_crm_user(user):
        return []
    has_all_day = any(f.name == "all_day" for f in model._meta.get_fields())
    tasks = list(
        model._default_manager.filter(
            responsible_id=user.pk, closed_at__isnull=True, due_at__gte=start, due_at__lt=end
        )
        .only("id", "title", "due_at", *(["all_day"] if has_all_day else []))
        .order_by("due_at", "id")[:limit]
    )
    for task in tasks:
        task.url = _task_url(task)
        task.is_all_day = bool(getattr(task, "all_day", False))
    return tasks


def _task_url(task) -> str:
    try:
        return task.get_absolute_url()
    except (AttributeError, NoReverseMatch):
        return ""


# --- what a calendar view draws -----------------------------------------------------------------


def _local(value) -> str:
    return timezone.localtime(value).replace(tzinfo=None).isoformat(timespec="minutes")


def calendar_data(user, start, end) -> dict:
    """The events and open task deadlines of [start, end) as a calendar draws them: wall-clock
    times in the organisation's time zone (the calendar is set to that zone), all-day events
    as dates with an exclusive end."""
    events = [
        {
            "id": event.pk,
            "title": event.title,
            "kind": event.kind,
            "all_day": event.all_day,
            "start": event.start_date.isoformat() if event.all_day else _local(event.starts_at),
            "end": (
                timezone.localtime(event.ends_at).date().isoformat()
                if event.all_day
                else _local(event.ends_at)
            ),
            "location": event.location,
            "editable": can_change(user, event),
            "version": event.version,
            "url": event.get_absolute_url(),
        }
        for event in events_in_range(user, start, end)
    ]
    deadlines = [
        {
            "id": task.pk,
            "title": task.title,
            "all_day": task.is_all_day,
            "due": (
                timezone.localtime(task.due_at).date().isoformat()
                if task.is_all_day
                else _local(task.due_at)
            ),
            "url": task.url,
        }
        for task in open_task_deadlines(user, start, end)
    ]
    return {
        "time_zone": timezone.get_current_timezone_name(),
        "events": events,
        "deadlines": deadlines,
    }
