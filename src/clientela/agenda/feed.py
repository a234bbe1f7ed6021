"""A user's private iCalendar feed: their events (and open task deadlines) in a window around
today, for calendar applications that subscribe to the address."""

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from .models import Event
from .queries import open_task_deadlines, task_model

# What a subscribed calendar receives: half a year back, a year and a bit ahead.
PAST, FUTURE = timedelta(days=183), timedelta(days=400)
MAX_FEED_EVENTS = 5000


def feed_window(now=None):
    now = now or timezone.now()
    return now - PAST, now + FUTURE


def _feed_events(user, start, end):
    return (
        Event.objects.visible_to(user)
        .overlapping(start, end)
        .select_related("organiser")
        .prefetch_related("attendees")
        .order_by("starts_at", "id")[:MAX_FEED_EVENTS]
    )


def feed_fingerprint(user, now=None) -> tuple[str, object]:
    """An ETag and a Last-Modified for the feed, from a summary of what it holds, so that a
    subscribed application polling an unchanged feed costs two small queries."""
    start, end = feed_window(now)
    summary = (
        Event.objects.visible_to(user)
        .overlapping(start, end)
        .aggregate(count=Count("id"), latest=Max("updated_at"), versions=Max("version"))
    )
    parts = [user.pk, user.language, summary["count"], summary["latest"], summary["versions"]]
    latest = summary["latest"]
    model = task_model()
    if model is not None:
        tasks = model._default_manager.filter(
            responsible_id=user.pk, closed_at__isnull=True, due_at__gte=start, due_at__lt=end
        ).aggregate(count=Count("id"), latest=Max("due_at"), ids=Max("id"))
        parts += [tasks["count"], tasks["latest"], tasks["ids"]]
    # The window moves with the day: a new day is a new feed.
    parts.append(timezone.localdate(now).isoformat() if now else timezone.localdate().isoformat())
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f'"{digest}"', latest


def _domain() -> str:
    return urlsplit(settings.CLIENTELA_BASE_URL).hostname or "clientela"


def build_feed(user, now=None) -> bytes:
    start, end = feed_window(now)
    base_url, domain = settings.CLIENTELA_BASE_URL.rstrip("/"), _domain()
    with translation.override(user.language):
        calendar = Calendar()
        calendar.add("prodid", "-//Clientela//Calendar//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", vText(_("Clientela: %(name)s") % {"name": user}))
        calendar.add("x-wr-timezone", timezone.get_current_timezone_name())
        stamp = timezone.now()
        for event in _feed_events(user, start, end):
            calendar.add_component(_vevent(event, stamp, base_url, domain))
        for task in open_task_deadlines(user, start, end):
            item = VEvent()
            item.add("uid", f"task-{task.pk}@{domain}")
            item.add("dtstamp", stamp)
            item.add("summary", _("Task due: %(title)s") % {"title": task.title})
            due = timezone.localtime(task.due_at)
            if task.is_all_day:
                item.add("dtstart", due.date())
                item.add("dtend", due.date() + timedelta(days=1))
            else:
                item.add("dtstart", due)
                item.add("dtend", due)
            if task.url:
                item.add("url", base_url + task.url)
            calendar.add_component(item)
        calendar.add_missing_timezones()
    return calendar.to_ical()


def _vevent(event: Event, stamp, base_url: str, domain: str) -> VEvent:
    item = VEvent()
    item.add("uid", f"event-{event.pk}@{domain}")
    item.add("dtstamp", stamp)
    item.add("last-modified", event.updated_at)
    item.add("sequence", event.version)
    item.add("summary", event.title)
    if event.all_day:
        item.add("dtstart", event.start_date)
        item.add("dtend", event.end_date + timedelta(days=1))
    else:
        item.add("dtstart", timezone.localtime(event.starts_at))
        item.add("dtend", timezone.localtime(event.ends_at))
    if event.location:
        item.add("location", event.location)
    if event.description:
        item.add("description", event.description)
    item.add("categories", [str(event.get_kind_display())])
    item.add("url", base_url + event.get_absolute_url())
    organiser = vCalAddress(f"mailto:{event.organiser.email}")
    organiser.params["cn"] = vText(str(event.organiser))
    item.add("organizer", organiser)
    for person in event.attendees.all():
        attendee = vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = vText(str(person))
        item.add("attendee", attendee, encode=0)
    return item
