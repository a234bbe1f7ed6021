"""A small world for the calendar's tests, built through the services."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from clientela.agenda import services
from clientela.contacts import services as contact_services


def local(*args) -> datetime:
    """A wall-clock time in the organisation's time zone."""
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def soon():
    """Next Monday at 10:00 local time (always in the future)."""
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    return local(monday.year, monday.month, monday.day, 10, 0)


@pytest.fixture
def contact(user):
    return contact_services.create_contact(
        user, {"kind": "person", "first_name": "Carla", "last_name": "Ruiz"}
    )


@pytest.fixture
def make_event(user, soon):
    def make(actor=None, **data):
        data.setdefault("title", "Kick-off")
        data.setdefault("starts_at", soon)
        return services.create_event(actor or user, data)

    return make
