from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clientela.accounts.services import deactivate_user
from clientela.activities.models import TimelineEntry
from clientela.agenda import services
from clientela.agenda.models import Event
from clientela.contacts import services as contact_services
from clientela.core.errors import ConflictError
from clientela.core.models import ChangeLogEntry
from clientela.mail.models import Notification, ScheduledReminder

from .conftest import local

pytestmark = pytest.mark.django_db


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_create_event_defaults_to_one_hour_organised_by_the_actor(user, make_event, soon):
    event = make_event()
    assert event.organiser == user
    assert event.starts_at == soon and event.ends_at == soon + timedelta(hours=1)
    assert not event.all_day
    assert ChangeLogEntry.objects.filter(object_id=event.pk, action="create").exists()


def test_all_day_event_spans_whole_local_days(user):
    event = services.create_event(
        user,
        {
            "title": "Fair",
            "all_day": True,
            "start_date": date(2030, 3, 4),
            "end_date": date(2030, 3, 6),
        },
    )
    assert event.start_date == date(2030, 3, 4) and event.end_date == date(2030, 3, 6)
    assert event.starts_at == local(2030, 3, 4) and event.ends_at == local(2030, 3, 7)


def test_validation_collects_every_error_and_writes_nothing(user, make_user, soon):
    stranger = make_user()
    hidden = contact_services.create_contact(
        stranger, {"kind": "person", "first_name": "Hidden", "last_name": "One"}
    )
    inactive = make_user()
    deactivate_user(make_user("admin"), inactive)
    with pytest.raises(ValidationError) as excinfo:
        services.create_event(
            user,
            {
                "title": "  ",
                "kind": "party",
                "starts_at": soon,
                "ends_at": soon - timedelta(minutes=1),
                "attendee_ids": [inactive.pk],
                "contact_ids": [hidden.pk],
                "target_type": "opportunity",
                "target_id": 999999,
                "reminder": 7,
            },
        )
    errors = errors_of(excinfo)
    assert set(errors) == {
        "title",
        "kind",
        "ends_at",
        "attendee_ids",
        "contact_ids",
        "target_id",
        "reminder",
    }
    assert errors["contact_ids"] == ["There is no such contact."]
    assert not Event.objects.exists()


def test_all_day_end_before_start_and_too_long_are_refused(user):
    with pytest.raises(ValidationError) as excinfo:
        services.create_event(
            user,
            {
                "title": "x",
                "all_day": True,
                "start_date": date(2030, 1, 5),
                "end_date": date(2030, 1, 4),
            },
        )
    assert "end_date" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.create_event(
            user,
            {
                "title": "x",
                "all_day": True,
                "start_date": date(2030, 1, 1),
                "end_date": date(2030, 12, 1),
            },
        )
    assert "end_date" in errors_of(excinfo)


def test_move_keeps_the_duration_unless_an_end_is_given(make_event, user, soon):
    event = make_event(ends_at=soon + timedelta(minutes=90))
    moved = services.move_event(user, event, soon + timedelta(days=2, hours=3))
    assert moved.starts_at == soon + timedelta(days=2, hours=3)
    assert moved.duration == timedelta(minutes=90)
    assert moved.version == 2
    moved = services.move_event(user, moved, soon, soon + timedelta(minutes=30))
    assert moved.duration == timedelta(minutes=30)


def test_move_between_timed_and_all_day(make_event, user, soon):
    event = make_event()
    moved = services.move_event(user, event, soon.date() + timedelta(days=1), all_day=True)
    assert moved.all_day and moved.start_date == moved.end_date == soon.date() + timedelta(days=1)
    back = services.move_event(user, moved, soon + timedelta(hours=2), all_day=False)
    assert not back.all_day and back.duration == timedelta(hours=1)


def test_a_multi_day_all_day_event_keeps_its_days_when_moved(user):
    event = services.create_event(
        user,
        {
            "title": "Fair",
            "all_day": True,
            "start_date": date(2030, 3, 4),
            "end_date": date(2030, 3, 6),
        },
    )
    moved = services.move_event(user, event, date(2030, 3, 10))
    assert (moved.start_date, moved.end_date) == (date(2030, 3, 10), date(2030, 3, 12))


def test_stale_version_is_refused(make_event, user, soon):
    event = make_event()
    services.update_event(user, event, {"title": "Renamed"}, expected_version=1)
    with pytest.raises(ConflictError):
        services.move_event(user, event, soon + timedelta(days=1), expected_version=1)
    assert Event.objects.get(pk=event.pk).starts_at == soon


def test_only_the_organiser_or_an_admin_changes_an_event(make_event, other_user, admin_user, soon):
    event = make_event(attendee_ids=[other_user.pk])
    with pytest.raises(PermissionDenied):
        services.move_event(other_user, event, soon + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        services.delete_event(other_user, event)
    services.move_event(admin_user, event, soon + timedelta(days=1))


def test_attendees_are_invited_once(make_event, user, other_user, make_user):
    event = make_event(attendee_ids=[other_user.pk, user.pk])
    assert list(event.attendees.all()) == [other_user]  # the organiser is not their own guest
    invitations = Notification.objects.filter(kind="event_invitation")
    assert [n.recipient for n in invitations] == [other_user]
    assert "Kick-off" in invitations[0].title
    third = make_user()
    services.update_event(user, event, {"attendee_ids": [other_user.pk, third.pk]})
    assert sorted(n.recipient_id for n in invitations.all()) == sorted([other_user.pk, third.pk])


def test_linked_contacts_hidden_from_the_editor_stay_linked(make_event, user, other_user, contact):
    hidden = contact_services.create_contact(
        other_user, {"kind": "person", "first_name": "Only", "last_name": "Bruno"}
    )
    event = services.create_event(
        other_user,
        {"title": "x", "starts_at": timezone.now() + timedelta(days=1), "contact_ids": [hidden.pk]},
    )
    event.attendees.add(user)
    services.update_event(other_user, event, {"attendee_ids": [user.pk]})  # unchanged contacts
    # An admin-like change by someone who cannot see `hidden`: the organiser's link stays.
    from clientela.agenda.models import Event as E

    E.objects.filter(pk=event.pk).update(organiser=user)
    services.update_event(user, E.objects.get(pk=event.pk), {"contact_ids": [contact.pk]})
    assert set(E.objects.get(pk=event.pk).contacts.values_list("pk", flat=True)) == {
        hidden.pk,
        contact.pk,
    }


def test_linked_contacts_get_an_event_scheduled_entry(make_event, contact):
    event = make_event(contact_ids=[contact.pk])
    entry = TimelineEntry.objects.get(object_id=contact.pk, kind="event_scheduled")
    assert entry.params["title"] == "Kick-off" and entry.source_id == event.pk


# --- reminders through mail.reminders ------------------------------------------------------


def pending(event):
    return ScheduledReminder.objects.filter(
        target_id=event.pk, kind="event_reminder", fired_at=None
    )


def test_reminders_for_organiser_and_attendees(make_event, user, other_user, soon):
    event = make_event(attendee_ids=[other_user.pk], reminder=15)
    reminders = {r.recipient_id: r.fire_at for r in pending(event)}
    assert reminders == {
        user.pk: soon - timedelta(minutes=15),
        other_user.pk: soon - timedelta(minutes=15),
    }


def test_moving_reschedules_and_removing_an_attendee_cancels(make_event, user, other_user, soon):
    event = make_event(attendee_ids=[other_user.pk], reminder=60)
    event = services.move_event(user, event, soon + timedelta(days=1))
    assert {r.fire_at for r in pending(event)} == {soon + timedelta(days=1, hours=-1)}
    assert pending(event).count() == 2
    services.update_event(user, event, {"attendee_ids": []})
    assert [r.recipient_id for r in pending(event)] == [user.pk]


def test_never_and_past_events_have_no_reminder(make_event, user, soon):
    event = make_event(reminder=15)
    services.update_event(user, event, {"reminder": None})
    assert not pending(event).exists()
    past = make_event(reminder=15, starts_at=timezone.now() - timedelta(days=1))
    assert not pending(past).exists()


def test_delete_cancels_reminders(make_event, user, other_user):
    event = make_event(attendee_ids=[other_user.pk], reminder=5)
    pk = event.pk
    services.delete_event(user, event)
    assert not Event.objects.filter(pk=pk).exists()
    assert not ScheduledReminder.objects.filter(target_id=pk, kind="event_reminder").exists()


def test_feed_token_regeneration_retires_the_old_one(user):
    first = services.regenerate_feed_token(user)
    assert services.user_for_feed_token(first) == user
    second = services.regenerate_feed_token(user)
    assert services.user_for_feed_token(first) is None
    assert services.user_for_feed_token(second) == user
