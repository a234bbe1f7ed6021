"""Reminders fired by Huey's real consumer and emailed through a real SMTP server on loopback.

The consumer's periodic sweep normally runs at start and then every minute; these tests make
it run every second (`Scheduler.periodic_task_seconds`) so they take seconds, not minutes."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from huey.consumer import Scheduler

from clientela.contacts.services import create_contact
from clientela.mail.models import Notification, OutboxEmail, ScheduledReminder
from clientela.mail.reminders import cancel_reminders, schedule_reminder
from clientela.mail.tests.worker import SmtpServer, free_port, running_consumer, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

KIND = "contact_assigned"  # any registered kind will do; this one is always there


@pytest.fixture
def sweep_every_second(monkeypatch):
    monkeypatch.setattr(Scheduler, "periodic_task_seconds", 1)


@pytest.fixture
def smtp(smtp_settings):
    with SmtpServer(free_port()) as server:
        smtp_settings(server.port)
        yield server


@pytest.fixture
def contact(user):
    return create_contact(user, {"kind": "person", "first_name": "Lucía", "last_name": "Sanz"})


def remind(contact, recipient, seconds: float, name="Lucía Sanz"):
    at = timezone.now() + timedelta(seconds=seconds)
    schedule_reminder(contact, recipient, at, KIND, {"name": name}, f"/contacts/{contact.pk}/")
    return at


def emails_sent(smtp, count=1):
    def sent():
        return (
            len(smtp.messages) >= count
            and OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() >= count
        )

    return sent


def test_a_reminder_is_delivered_at_its_time_as_notification_and_email(
    user,
    other_user,
    contact,
    smtp,
    queue,
    sweep_every_second,
):
    with running_consumer(queue):
        at = remind(contact, other_user, 2)
        time.sleep(1)
        assert not Notification.objects.exists(), "nothing fires before its time"
        wait_until(emails_sent(smtp), timeout=10)
        time.sleep(1.5)  # a second sweep and the eta task have both had their chance

    notification = Notification.objects.get()
    assert notification.recipient == other_user and notification.created_at >= at
    assert notification.title == "You are now a manager of Lucía Sanz"
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == [other_user.email]
    assert message["Subject"] == "You are now a manager of Lucía Sanz"
    assert f"/contacts/{contact.pk}/" in message.get_content()
    assert ScheduledReminder.objects.get().fired_at is not None


def test_a_moved_reminder_fires_at_its_new_time_only(
    user,
    contact,
    smtp,
    queue,
    sweep_every_second,
):
    with running_consumer(queue):
        remind(contact, user, 1)
        later = remind(contact, user, 3)
        time.sleep(2)
        assert not Notification.objects.exists(), "the old time has passed: nothing fired"
        wait_until(emails_sent(smtp), timeout=10)
        time.sleep(1.5)
    assert Notification.objects.get().created_at >= later
    assert len(smtp.messages) == 1


def test_a_cancelled_reminder_never_fires(user, contact, smtp, queue, sweep_every_second):
    with running_consumer(queue):
        remind(contact, user, 1)
        assert cancel_reminders(contact) == 1
        time.sleep(3)  # its eta task ran, and two sweeps
    assert not Notification.objects.exists() and not smtp.messages
    assert not ScheduledReminder.objects.exists()


@pytest.mark.parametrize(
    "queue_survives, sweep",
    [
        pytest.param(True, False, id="its-queued-task-survives"),
        pytest.param(False, True, id="queue-lost-the-sweep-finds-it"),
        pytest.param(True, True, id="task-and-sweep-race"),
    ],
)
def test_a_reminder_due_while_the_worker_was_stopped_fires_once_after_it_starts(
    user,
    contact,
    smtp,
    queue,
    sweep_every_second,
    queue_survives,
    sweep,
):
    with running_consumer(queue, periodic=sweep):
        pass  # a worker ran, then stopped
    remind(contact, user, 0.5)
    time.sleep(1.5)
    assert not Notification.objects.exists(), "no worker: nothing fires"
    if not queue_survives:
        queue.storage.flush_all()  # e.g. a Redis queue that was wiped

    with running_consumer(queue, periodic=sweep):
        wait_until(emails_sent(smtp), timeout=10)
        time.sleep(1.5)
    assert Notification.objects.count() == 1
    assert len(smtp.messages) == 1
