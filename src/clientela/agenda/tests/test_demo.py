"""The demo calendar: events this month and next with demo contacts and colleagues, loaded
once, with a bounded number of invitations and no reminder due straight away."""

import calendar
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from clientela.accounts.models import User
from clientela.agenda.demo import EVENTS, REMINDER_MARGIN, load_agenda_demo
from clientela.agenda.models import Event
from clientela.agenda.queries import events_in_range
from clientela.agenda.services import EVENT_INVITATION, EVENT_REMINDER
from clientela.contacts.demo import load_demo_data
from clientela.core.access import Action, can
from clientela.core.models import ChangeLogEntry
from clientela.mail.models import Notification, OutboxEmail, ScheduledReminder
from clientela.sales.demo import load_sales_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users():
    load_demo_data()
    load_sales_demo()
    return list(User.objects.filter(email__endswith="@clientela.test").order_by("pk"))


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def month_range(day: date) -> tuple[datetime, datetime]:
    first = day.replace(day=1)
    length = calendar.monthrange(day.year, day.month)[1]
    return midnight(first), midnight(first + timedelta(days=length))


def written() -> dict[str, int]:
    models = (Event, ChangeLogEntry, Notification, OutboxEmail, ScheduledReminder)
    return {model.__name__: model.objects.count() for model in models}


def test_the_calendar_of_this_month_and_the_next_is_filled_once(demo_users):
    notifications_before = Notification.objects.count()

    assert load_agenda_demo() == len(EVENTS) == Event.objects.count() >= 15
    first = written()
    assert load_agenda_demo() == 0
    assert written() == first

    start, end = month_range(timezone.localdate())
    _next_start, next_end = month_range(end.date())
    this_month = Event.objects.overlapping(start, end)
    assert this_month.count() >= 8
    assert Event.objects.overlapping(end, next_end).count() >= 5
    # Each demo user's own calendar shows this month's events they organise or attend.
    for user in demo_users:
        assert len(events_in_range(user, start, end)) >= 3, user
    assert {kind for kind, _label in Event.Kind.choices} == set(
        Event.objects.values_list("kind", flat=True)
    )
    assert Event.objects.filter(all_day=True).exists()

    # Invitations are the only notifications, one per attendee.
    attendances = Event.attendees.through.objects.count()
    assert 5 <= attendances <= 12
    invitations = Notification.objects.filter(kind=EVENT_INVITATION.key)
    assert invitations.count() == attendances
    assert Notification.objects.count() - notifications_before == attendances
    assert not ScheduledReminder.objects.filter(
        kind=EVENT_REMINDER.key, fire_at__lte=timezone.now() + REMINDER_MARGIN
    ).exists()


def test_events_link_contacts_and_opportunities_their_organiser_sees(demo_users):
    load_agenda_demo()

    events = list(Event.objects.prefetch_related("contacts", "attendees"))
    assert sum(1 for event in events if event.contacts.all()) >= 12
    assert sum(1 for event in events if event.target_id) >= 5
    for event in events:
        assert event.organiser in demo_users
        assert set(event.attendees.all()) <= set(demo_users) - {event.organiser}
        for contact in event.contacts.all():
            assert can(event.organiser, Action.VIEW, contact), (event, contact)
        if event.target_id:
            record = event.target_type.get_object_for_this_type(pk=event.target_id)
            assert event.target_type.model == "opportunity"
            assert can(event.organiser, Action.VIEW, record), event
