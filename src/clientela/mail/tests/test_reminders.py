"""Reminders: scheduling, moving, cancelling, and firing exactly once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from clientela.contacts.services import create_contact
from clientela.mail.kinds import NOTIFICATION_KINDS, NotificationKind, register_notification_kind
from clientela.mail.models import Notification, OutboxEmail, ScheduledReminder
from clientela.mail.reminders import (
    KEEP_FIRED,
    cancel_reminders,
    fire_due_reminders,
    fire_reminder,
    pending_reminders,
    prune_fired_reminders,
    schedule_reminder,
)

REMINDER = NotificationKind(
    "test_reminder", "Test reminder", "Reminder: %(name)s is due", ("name",)
)


@pytest.fixture
def reminder_kind():
    register_notification_kind(REMINDER)
    yield REMINDER
    NOTIFICATION_KINDS.pop(REMINDER.key, None)


@pytest.fixture
def contact(user):
    return create_contact(user, {"kind": "person", "first_name": "Lucía", "last_name": "Sanz"})


def remind(contact, recipient, at, name="Call Lucía", kind=REMINDER.key):
    return schedule_reminder(contact, recipient, at, kind, {"name": name}, "/contacts/1/")


def test_schedule_writes_one_pending_reminder(user, contact, reminder_kind):
    at = timezone.now() + timedelta(hours=1)
    reminder = remind(contact, user, at)
    assert reminder.fire_at == at and reminder.fired_at is None
    assert reminder.params == {"name": "Call Lucía"} and reminder.url == "/contacts/1/"
    assert list(pending_reminders(contact)) == [reminder]


def test_scheduling_again_moves_the_pending_reminder(user, contact, reminder_kind):
    first = remind(contact, user, timezone.now() + timedelta(hours=1))
    later = timezone.now() + timedelta(days=2)
    moved = remind(contact, user, later, name="Call Lucía again")
    assert moved.pk == first.pk
    row = ScheduledReminder.objects.get()
    assert row.fire_at == later and row.params == {"name": "Call Lucía again"}


def test_each_recipient_and_kind_has_its_own_reminder(user, other_user, contact, reminder_kind):
    at = timezone.now() + timedelta(hours=1)
    remind(contact, user, at)
    remind(contact, other_user, at)
    assert ScheduledReminder.objects.count() == 2


def test_an_unknown_kind_is_refused(user, contact):
    with pytest.raises(ValueError, match="no_such_kind"):
        remind(contact, user, timezone.now(), kind="no_such_kind")


def test_an_unsaved_record_is_refused(user, reminder_kind):
    from clientela.contacts.models import Contact

    with pytest.raises(ValueError):
        remind(Contact(), user, timezone.now())


def test_nothing_fires_before_its_time(user, contact, reminder_kind):
    reminder = remind(contact, user, timezone.now() + timedelta(minutes=5))
    assert fire_due_reminders() == 0
    assert fire_reminder(reminder.pk) is False
    assert not Notification.objects.exists()


def test_a_due_reminder_notifies_once(user, contact, reminder_kind):
    at = timezone.now() + timedelta(minutes=5)
    reminder = remind(contact, user, at)
    assert fire_due_reminders(now=at) == 1
    assert fire_due_reminders(now=at + timedelta(minutes=1)) == 0
    assert fire_reminder(reminder.pk, now=at) is False
    notification = Notification.objects.get()
    assert notification.recipient == user and notification.kind == REMINDER.key
    assert notification.text == "Reminder: Call Lucía is due"
    assert notification.url == "/contacts/1/"
    assert OutboxEmail.objects.get().to == user.email
    reminder.refresh_from_db()
    assert reminder.fired_at == at


def test_a_moved_reminder_fires_at_its_new_time_only(user, contact, reminder_kind):
    soon = timezone.now() + timedelta(minutes=5)
    reminder = remind(contact, user, soon)
    later = soon + timedelta(hours=1)
    remind(contact, user, later)
    # The task scheduled for the old time runs and finds nothing due.
    assert fire_reminder(reminder.pk, now=soon) is False
    assert fire_due_reminders(now=soon) == 0
    assert fire_due_reminders(now=later) == 1
    assert Notification.objects.count() == 1


def test_after_firing_scheduling_again_sets_a_new_reminder(user, contact, reminder_kind):
    at = timezone.now()
    first = remind(contact, user, at)
    fire_due_reminders(now=at)
    second = remind(contact, user, at + timedelta(days=1))
    assert second.pk != first.pk
    assert list(pending_reminders(contact)) == [second]
    assert fire_due_reminders(now=at + timedelta(days=1)) == 1
    assert Notification.objects.count() == 2


def test_a_cancelled_reminder_never_fires(user, other_user, contact, reminder_kind):
    at = timezone.now()
    remind(contact, user, at)
    remind(contact, other_user, at)
    assert cancel_reminders(contact) == 2
    assert fire_due_reminders(now=at + timedelta(minutes=1)) == 0
    assert not Notification.objects.exists()


def test_cancel_by_kind_and_recipient(user, other_user, contact, reminder_kind):
    at = timezone.now() + timedelta(hours=1)
    remind(contact, user, at)
    remind(contact, other_user, at)
    assert cancel_reminders(contact, kind="another_kind") == 0
    assert cancel_reminders(contact, kind=REMINDER.key, recipient=other_user) == 1
    assert [r.recipient for r in pending_reminders(contact)] == [user]


def test_cancel_leaves_fired_reminders_alone(user, contact, reminder_kind):
    at = timezone.now()
    remind(contact, user, at)
    fire_due_reminders(now=at)
    assert cancel_reminders(contact) == 0
    assert ScheduledReminder.objects.filter(fired_at__isnull=False).count() == 1


def test_a_reminder_of_a_deleted_record_fires_nothing(user, contact, reminder_kind):
    at = timezone.now()
    reminder = remind(contact, user, at)
    # As if the record were deleted by a service that forgot to cancel its reminders.
    ScheduledReminder.objects.filter(pk=reminder.pk).update(target_id=contact.pk + 1000)
    assert fire_due_reminders(now=at) == 1  # consumed, so it is not retried for ever
    assert not Notification.objects.exists()


def test_an_inactive_recipient_gets_nothing(user, other_user, contact, reminder_kind):
    at = timezone.now()
    remind(contact, other_user, at)
    other_user.is_active = False
    other_user.save(update_fields=["is_active"])
    fire_due_reminders(now=at)
    assert not Notification.objects.exists()


def test_the_reminder_is_in_the_recipients_language(user, contact, reminder_kind):
    user.language = "es"
    user.save(update_fields=["language"])
    at = timezone.now()
    schedule_reminder(contact, user, at, "contact_assigned", {"name": "Eva"}, "/contacts/1/")
    fire_due_reminders(now=at)
    assert OutboxEmail.objects.get().subject == "Ahora eres gerente de Eva"


def test_a_failing_notification_leaves_the_reminder_unfired(
    user, contact, reminder_kind, monkeypatch
):
    at = timezone.now()
    reminder = remind(contact, user, at)

    def broken(*args, **kwargs):
        Notification.objects.create(recipient=user, kind="x", title="half-written")
        raise RuntimeError("database went away")

    monkeypatch.setattr("clientela.mail.services.notify", broken)
    assert fire_due_reminders(now=at) == 0
    reminder.refresh_from_db()
    assert reminder.fired_at is None and not Notification.objects.exists()
    monkeypatch.undo()
    assert fire_due_reminders(now=at) == 1


def test_scheduling_queues_the_punctual_task_after_commit(
    user, contact, reminder_kind, django_capture_on_commit_callbacks, monkeypatch
):
    scheduled = []
    monkeypatch.setattr(
        "clientela.mail.tasks.fire_reminder_task.schedule",
        lambda args, eta: scheduled.append((args, eta)),
    )
    at = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reminder = remind(contact, user, at)
    assert not scheduled and len(callbacks) == 1
    callbacks[0]()
    assert scheduled == [((reminder.pk,), at)]


def test_a_reminder_due_now_fires_on_commit_with_the_in_process_queue(
    user, contact, reminder_kind, django_capture_on_commit_callbacks
):
    # The test settings run Huey tasks at once: a due reminder's task fires it after commit.
    with django_capture_on_commit_callbacks(execute=True):
        remind(contact, user, timezone.now() - timedelta(seconds=1))
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1


def test_old_fired_reminders_are_pruned(user, contact, reminder_kind):
    at = timezone.now()
    remind(contact, user, at)
    fire_due_reminders(now=at)
    remind(contact, user, at + timedelta(days=1))
    assert prune_fired_reminders(now=at + KEEP_FIRED) == 0
    assert prune_fired_reminders(now=at + KEEP_FIRED + timedelta(seconds=1)) == 1
    assert ScheduledReminder.objects.filter(fired_at__isnull=True).count() == 1
