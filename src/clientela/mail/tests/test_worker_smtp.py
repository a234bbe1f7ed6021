"""The outbox, a real Huey consumer and a real SMTP server on loopback, end to end.

The in-process tests run Huey's own Consumer (thread workers, not immediate mode) against the
test database, with the queue in a temporary SQLite file; the last test runs the `clientela
worker` command as a separate process against a database of its own."""

import os
import sqlite3
import subprocess
import sys
import time

import pytest

from clientela.contacts.services import create_contact
from clientela.mail.models import Notification, OutboxEmail
from clientela.mail.tasks import deliver_email, deliver_pending_emails
from clientela.mail.tests.worker import SmtpServer, free_port, running_consumer, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def assign_contact(user, other_user):
    """Create a contact managed by `other_user` too: this notifies them and queues an email."""
    return create_contact(
        user,
        {
            "kind": "person",
            "first_name": "Lucía",
            "last_name": "Fernández",
            "manager_ids": [user.pk, other_user.pk],
        },
    )


def test_worker_delivers_a_queued_notification_over_smtp_exactly_once(
    user, other_user, smtp_settings, queue
):
    with SmtpServer(free_port()) as smtp:
        smtp_settings(smtp.port)
        assign_contact(user, other_user)
        outbox = OutboxEmail.objects.get()
        assert outbox.status == OutboxEmail.Status.PENDING and outbox.to == other_user.email
        assert not smtp.messages, "nothing is sent before a worker runs"

        with running_consumer(queue):

            def outbox_row_sent():
                outbox.refresh_from_db()
                return outbox.status == OutboxEmail.Status.SENT

            wait_until(outbox_row_sent)
            # Give a second delivery (a duplicate task, the periodic sweep) the chance to happen.
            deliver_pending_emails()
            time.sleep(0.5)

        title = Notification.objects.get(recipient=other_user).title
        assert "Lucía Fernández" in title
        assert len(smtp.messages) == 1
        recipients, message = smtp.messages[0]
        assert recipients == [other_user.email]
        assert message["To"] == other_user.email
        assert message["Subject"] == title
        assert "/contacts/" in message.get_content()
        outbox.refresh_from_db()
        assert outbox.attempts == 1 and outbox.sent_at is not None and outbox.last_error == ""


def test_smtp_failure_leaves_the_email_pending_with_the_error_then_a_retry_delivers_it(
    user, other_user, smtp_settings, queue, monkeypatch
):
    # Huey retries the task itself; a one-second delay instead of thirty keeps the test short.
    monkeypatch.setattr(deliver_email.task_class, "default_retry_delay", 1)
    port = free_port()  # nothing listens here yet: the first attempt is refused
    smtp_settings(port)
    assign_contact(user, other_user)
    outbox = OutboxEmail.objects.get()

    # No minute sweep here: the retry must come from Huey's own retry of the failed task.
    with running_consumer(queue, periodic=False):

        def first_attempt_failed():
            outbox.refresh_from_db()
            return outbox.attempts == 1 and outbox.last_error

        wait_until(first_attempt_failed)
    outbox.refresh_from_db()
    assert outbox.status == OutboxEmail.Status.PENDING
    assert outbox.sent_at is None and outbox.claimed_at is None
    assert "refused" in outbox.last_error.lower() or "errno" in outbox.last_error.lower()

    with SmtpServer(port) as smtp, running_consumer(queue, periodic=False):

        def delivered():
            outbox.refresh_from_db()
            return outbox.status == OutboxEmail.Status.SENT

        wait_until(delivered)
        time.sleep(0.3)
        assert len(smtp.messages) == 1
        assert smtp.messages[0][0] == [other_user.email]
    assert outbox.attempts == 2 and outbox.last_error == ""


@pytest.mark.django_db(transaction=False)
def test_clientela_worker_command_delivers_the_outbox_over_smtp(tmp_path):
    """`clientela worker`, as its own process with its own database, sends what `demo` queued."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CLIENTELA_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["CLIENTELA_VAR_DIR"] = str(tmp_path)
    env["CLIENTELA_DATABASE_URL"] = f"sqlite:///{tmp_path / 'clientela.sqlite3'}"
    cli = [sys.executable, "-m", "clientela.cli"]
    subprocess.run([*cli, "demo"], env=env, check=True, capture_output=True, timeout=120)
    database = sqlite3.connect(tmp_path / "clientela.sqlite3")
    queued = database.execute(
        "select count(*) from mail_outboxemail where status = 'pending'"
    ).fetchone()[0]
    assert queued >= 1, "the demo assigns contacts to users, which queues emails"

    with SmtpServer(free_port()) as smtp:
        env["CLIENTELA_EMAIL_URL"] = f"smtp://127.0.0.1:{smtp.port}"
        worker = subprocess.Popen(
            [*cli, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:

            def all_sent():
                return (
                    database.execute(
                        "select count(*) from mail_outboxemail where status = 'sent'"
                    ).fetchone()[0]
                    == queued
                    and len(smtp.messages) >= queued
                )

            wait_until(all_sent, timeout=20)
        finally:
            worker.send_signal(2)  # SIGINT, as Ctrl-C
            output = worker.communicate(timeout=15)[0]
        assert worker.returncode == 0, output
        assert len(smtp.messages) == queued
        sent_to = sorted(r for recipients, _ in smtp.messages for r in recipients)
        expected = sorted(row[0] for row in database.execute('select "to" from mail_outboxemail'))
        assert sent_to == expected
    database.close()
