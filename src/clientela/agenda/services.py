"""Every write to events and calendar feeds goes through here.

A service checks the actor, validates everything into one `ValidationError` keyed by field,
writes atomically, records the change and then its side effects: invitations to new attendees,
reminders for the organiser and each attendee (rescheduled when the event moves, cancelled when
it is deleted), and "event scheduled" on the timeline of each newly linked contact."""

import hashlib
import secrets
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.activities.targets import find_target, target_model
from clientela.contacts.models import Contact
from clientela.core.access import Action, can, is_crm_user
from clientela.core.changelog import record_change, snapshot
from clientela.core.versioning import bump_version
from clientela.mail.kinds import NotificationKind, register_notification_kind
from clientela.mail.services import notify

from .models import MAX_EVENT_LENGTH, CalendarFeed, Event, ReminderOffset

EVENT_INVITATION = register_notification_kind(
    NotificationKind(
        "event_invitation",
        gettext_lazy("You were invited to an event"),
        gettext_lazy("%(organiser)s invited you to “%(title)s”, %(when)s"),
        ("title", "organiser", "when"),
    )
)
EVENT_REMINDER = register_notification_kind(
    NotificationKind(
        "event_reminder",
        gettext_lazy("Reminder of an event"),
        gettext_lazy("Reminder: “%(title)s”, %(when)s"),
        ("title", "when"),
    )
)
TIMELINE_EVENT_SCHEDULED = "event_scheduled"

DEFAULT_LENGTH = timedelta(hours=1)
SCALAR_FIELDS = ("title", "kind", "location", "description")


# --- optional collaborators: reminders (mail) and the timeline (activities) --------------------
# Both are written by other apps; the calendar works without them and uses them once they exist.


def _reminders():
    try:
        from clientela.mail import reminders
    except ImportError:
        return None
    return reminders


def _timeline():
    try:
        from clientela.activities import timeline
    except ImportError:
        return None
    return timeline


# --- validation ---------------------------------------------------------------------------------


def _require_user(actor):
    if not is_crm_user(actor):
        raise PermissionDenied


def _aware(value: datetime) -> datetime:
    """A datetime given without a time zone is wall-clock time in the organisation's zone."""
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _as_datetime(value) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return _aware(datetime.combine(value, time.min))
    raise TypeError(value)


def _as_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (
            timezone.localtime(_aware(value)).date() if timezone.is_aware(value) else value.date()
        )
    if isinstance(value, date):
        return value
    raise TypeError(value)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _clean_times(event: Event, data: dict, errors: dict):
    """Set `all_day`, `starts_at` and `ends_at` from `data`, keeping what it leaves out.

    A new start without an end keeps the event's length (that is what moving means); an
    all-day event is given by its first and last day (`start_date`, `end_date`, inclusive)."""
    had_times = event.starts_at is not None and event.ends_at is not None
    was_all_day = event.all_day
    all_day = bool(data["all_day"]) if data.get("all_day") is not None else event.all_day
    try:
        if all_day:
            start = _as_date(data.get("start_date") or data.get("starts_at"))
            end = _as_date(data.get("end_date") or data.get("ends_at"))
            if start is None and had_times:
                start = event.start_date
            if end is None and start is not None:
                end = start + (
                    event.end_date - event.start_date if had_times and was_all_day else timedelta()
                )
            if start is None:
                errors["start_date"] = [_("Give the day the event starts.")]
                return
            if end < start:
                errors["end_date"] = [_("An event cannot end before it starts.")]
                return
            starts_at, ends_at = _midnight(start), _midnight(end + timedelta(days=1))
        else:
            starts_at = _as_datetime(data.get("starts_at")) or (
                event.starts_at if had_times else None
            )
            ends_at = _as_datetime(data.get("ends_at"))
            if starts_at is None:
                errors["starts_at"] = [_("Give the time the event starts.")]
                return
            if ends_at is None:
                keep = event.duration if had_times and not was_all_day else DEFAULT_LENGTH
                ends_at = starts_at + keep
            if ends_at <= starts_at:
                errors["ends_at"] = [_("An event must end after it starts.")]
                return
    except (TypeError, ValueError, OverflowError):
        errors["starts_at"] = [_("Enter a valid date and time.")]
        return
    if ends_at - starts_at > MAX_EVENT_LENGTH:
        errors["end_date" if all_day else "ends_at"] = [
            _("An event can last at most %(days)d days.") % {"days": MAX_EVENT_LENGTH.days}
        ]
        return
    event.all_day, event.starts_at, event.ends_at = all_day, starts_at, ends_at


def _clean_scalars(event: Event, data: dict, errors: dict):
    for name in SCALAR_FIELDS:
        if name in data:
            value = data[name]
            setattr(event, name, value.strip() if isinstance(value, str) else (value or ""))
    if not event.title:
        errors["title"] = [_("Give the event a title.")]
    for name in ("title", "location"):
        limit = Event._meta.get_field(name).max_length
        if len(getattr(event, name)) > limit:
            errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    if event.kind not in Event.Kind.values:
        errors["kind"] = [_("“%(value)s” is not a valid choice.") % {"value": event.kind}]
    if "reminder" in data:
        event.reminder = data["reminder"] or None
        if event.reminder is not None and event.reminder not in ReminderOffset.values:
            errors["reminder"] = [
                _("“%(value)s” is not a valid choice.") % {"value": event.reminder}
            ]


def _clean_ids(values, field: str, errors: dict) -> set[int]:
    try:
        return {int(v) for v in values or []}
    except (TypeError, ValueError):
        errors[field] = [_("The selection is not valid.")]
        return set()


def _clean_attendees(actor, event: Event, data: dict, errors: dict) -> list[User] | None:
    if "attendee_ids" not in data:
        return None
    ids = _clean_ids(data["attendee_ids"], "attendee_ids", errors)
    ids.discard(event.organiser_id)  # the organiser takes part without being invited
    users = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(users) != len(ids):
        errors["attendee_ids"] = [_("One of the chosen users does not exist or is inactive.")]
    return users


def _clean_contacts(actor, event: Event, data: dict, errors: dict) -> list[int] | None:
    """The contacts to link: those chosen, which the actor must see (a hidden contact is "no
    such contact"), plus those already linked that the actor cannot see, which stay."""
    if "contact_ids" not in data:
        return None
    ids = _clean_ids(data["contact_ids"], "contact_ids", errors)
    visible = Contact.objects.visible_to(actor)
    found = set(visible.filter(pk__in=ids).values_list("pk", flat=True))
    if found != ids:
        errors["contact_ids"] = [_("There is no such contact.")]
    kept_hidden = set()
    if event.pk:
        kept_hidden = set(
            event.contacts.exclude(pk__in=visible.values("pk")).values_list("pk", flat=True)
        )
    return sorted(found | kept_hidden)


def _clean_target(actor, event: Event, data: dict, errors: dict):
    if "target_type" not in data and "target_id" not in data:
        return
    key, pk = data.get("target_type") or None, data.get("target_id") or None
    if key is None and pk is None:
        event.target_type, event.target_id = None, None
        return
    try:
        if key is None or pk is None:
            raise Http404
        record = find_target(actor, key, pk, Action.VIEW)
    except Http404:
        errors["target_id"] = [_("There is no such record.")]
        return
    from django.contrib.contenttypes.models import ContentType

    event.target_type = ContentType.objects.get_for_model(target_model(key))
    event.target_id = record.pk


# --- side effects -------------------------------------------------------------------------------


def describe_when(event: Event, language: str | None = None) -> str:
    """The event's date and time as its reader writes them (dd/mm/yyyy in Spanish)."""
    with translation.override(language or translation.get_language()):
        if event.all_day:
            first = date_format(event.start_date, "SHORT_DATE_FORMAT")
            if event.end_date == event.start_date:
                return first
            return f"{first} – {date_format(event.end_date, 'SHORT_DATE_FORMAT')}"
        return date_format(timezone.localtime(event.starts_at), "SHORT_DATETIME_FORMAT")


def _invite(actor, event: Event, users):
    for user in users:
        if user.pk == actor.pk:
            continue
        notify(
            user,
            EVENT_INVITATION.key,
            {
                "title": event.title,
                "organiser": str(event.organiser),
                "when": describe_when(event, user.language),
            },
            url=event.get_absolute_url(),
        )


def _schedule_reminders(event: Event, users):
    """Set (or replace) each user's pending reminder; cancel it when there is nothing to remind
    of: no reminder chosen, or an event that has already started."""
    reminders = _reminders()
    if reminders is None:
        return
    remind = event.reminder and event.starts_at > timezone.now()
    for user in users:
        if remind:
            reminders.schedule_reminder(
                event,
                user,
                event.reminder_at,
                EVENT_REMINDER.key,
                {"title": event.title, "when": describe_when(event, user.language)},
                event.get_absolute_url(),
            )
        else:
            reminders.cancel_reminders(event, EVENT_REMINDER.key, recipient=user)


def _cancel_reminders(event: Event, users=None):
    reminders = _reminders()
    if reminders is None:
        return
    if users is None:
        reminders.cancel_reminders(event, EVENT_REMINDER.key)
        return
    for user in users:
        reminders.cancel_reminders(event, EVENT_REMINDER.key, recipient=user)


def _record_scheduled(actor, event: Event, contact_ids, with_target: bool):
    timeline = _timeline()
    if timeline is None:
        return
    records = list(Contact.objects.filter(pk__in=contact_ids))
    if with_target and event.target_type_id:
        target = event.target_type.model_class().objects.filter(pk=event.target_id).first()
        if target is not None:
            records.append(target)
    for record in records:
        timeline.record_event(
            record,
            TIMELINE_EVENT_SCHEDULED,
            actor,
            {"title": event.title, "event_id": event.pk, "starts_at": event.starts_at.isoformat()},
            source=event,
        )


def _participants(event: Event) -> list[User]:
    return [event.organiser, *event.attendees.all()]


# --- events -------------------------------------------------------------------------------------


@transaction.atomic
def create_event(actor, data: dict) -> Event:
    """Create an event organised by `actor`; invite its attendees and set their reminders."""
    _require_user(actor)
    event = Event(organiser=actor, created_by=actor)
    errors: dict = {}
    _clean_scalars(event, data, errors)
    _clean_times(event, data, errors)
    attendees = _clean_attendees(actor, event, data, errors) or []
    contact_ids = _clean_contacts(actor, event, data, errors) or []
    _clean_target(actor, event, data, errors)
    if errors:
        raise ValidationError(errors)
    event.save()
    event.attendees.set(attendees)
    event.contacts.set(contact_ids)
    record_change(actor, event, "create", None, snapshot(event))
    _record_scheduled(actor, event, contact_ids, with_target=True)
    _invite(actor, event, attendees)
    _schedule_reminders(event, [actor, *attendees])
    return event


def _editable(actor, event: Event, action: Action = Action.CHANGE) -> Event:
    _require_user(actor)
    event = Event.objects.select_for_update().select_related("organiser").get(pk=event.pk)
    if not can(actor, action, event):
        raise PermissionDenied(_("Only the organiser can change this event."))
    return event


EDITABLE_FIELDS = [
    "title",
    "kind",
    "all_day",
    "starts_at",
    "ends_at",
    "location",
    "description",
    "target_type",
    "target_id",
    "reminder",
]


@transaction.atomic
def update_event(actor, event: Event, data: dict, expected_version: int | None = None) -> Event:
    """Change the fields present in `data`; refuse a stale `expected_version`.

    New attendees are invited; reminders follow the new time, and those of removed attendees
    are cancelled."""
    event = _editable(actor, event)
    before = snapshot(event)
    old_start, old_reminder = event.starts_at, event.reminder
    old_attendees = {u.pk: u for u in event.attendees.all()}
    old_contacts = set(event.contacts.values_list("pk", flat=True))
    errors: dict = {}
    _clean_scalars(event, data, errors)
    _clean_times(event, data, errors)
    attendees = _clean_attendees(actor, event, data, errors)
    contact_ids = _clean_contacts(actor, event, data, errors)
    _clean_target(actor, event, data, errors)
    if errors:
        raise ValidationError(errors)
    bump_version(event, expected_version, EDITABLE_FIELDS)
    if attendees is not None:
        event.attendees.set(attendees)
    if contact_ids is not None:
        event.contacts.set(contact_ids)
    record_change(actor, event, "update", before, snapshot(event))
    if contact_ids is not None:
        _record_scheduled(actor, event, set(contact_ids) - old_contacts, with_target=False)
    current = {u.pk: u for u in event.attendees.all()}
    added = [u for pk, u in current.items() if pk not in old_attendees]
    removed = [u for pk, u in old_attendees.items() if pk not in current]
    _invite(actor, event, added)
    _cancel_reminders(event, removed)
    if event.starts_at != old_start or event.reminder != old_reminder:
        _schedule_reminders(event, [event.organiser, *current.values()])
    else:
        _schedule_reminders(event, added)
    return event


@transaction.atomic
def move_event(
    actor,
    event: Event,
    starts_at,
    ends_at=None,
    all_day: bool | None = None,
    expected_version: int | None = None,
) -> Event:
    """Move an event to a new start, keeping its length unless a new end is given (dragging it
    in the calendar). Dropping an all-day event on a time or the reverse changes `all_day`."""
    data = {"starts_at": starts_at, "ends_at": ends_at, "all_day": all_day}
    if all_day if all_day is not None else event.all_day:
        data = {"start_date": starts_at, "end_date": _inclusive_end(ends_at), "all_day": True}
    if starts_at is None:
        raise ValidationError({"starts_at": [_("Give the time the event starts.")]})
    return update_event(actor, event, data, expected_version)


def _inclusive_end(ends_at):
    """An all-day end given as an exclusive instant (a calendar's drop) as its last day."""
    if ends_at is None:
        return None
    if isinstance(ends_at, datetime):
        return _as_date(ends_at) - timedelta(days=1)
    return ends_at - timedelta(days=1)


@transaction.atomic
def delete_event(actor, event: Event):
    event = _editable(actor, event, Action.DELETE)
    _cancel_reminders(event)
    record_change(actor, event, "delete", snapshot(event), None)
    event.delete()


# --- calendar feeds -----------------------------------------------------------------------------

FEED_TOKEN_PREFIX = "cal_"


def hash_feed_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def regenerate_feed_token(actor) -> str:
    """Make `actor`'s private feed address anew; the old one stops working at once. Returns the
    secret, which is never stored (only its hash is)."""
    _require_user(actor)
    raw = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=actor, defaults={"key_hash": hash_feed_token(raw), "last_used_at": None}
    )
    return raw


def user_for_feed_token(raw: str) -> User | None:
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(key_hash=hash_feed_token(raw), user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > timedelta(hours=1):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user
