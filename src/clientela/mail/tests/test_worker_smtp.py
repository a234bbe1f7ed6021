"""The outbox, a real Huey consumer and a real SMTP server on loopback, end to end.

The in-process tests run Huey's own Consumer (thread workers, not immediate mode) against the
test database, with the queue in a temporary SQLite file; the last test runs the `clientela
worker` command as a separate process against a database of its own."""

import email
import email.policy
import os
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import connections
from huey.contrib.djhuey import HUEY
from huey.storage import SqliteStorage

from clientela.contacts.services import create_contact
from clientela.mail.models import Notification, OutboxEmail
from clientela.mail.tasks import deliver_email, deliver_pending_emails

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def messages(self):
        return self.mailbox.messages


def wait_until(condition, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {condition.__doc__ or condition}")


@pytest.fixture
def smtp_settings(settings):
    """Point Django's SMTP backend at a loopback port; returns a function to change the port."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5

    def use_port(port):
        settings.EMAIL_PORT = port

    return use_port


@pytest.fixture
def queue(tmp_path, monkeypatch):
    """A fresh, empty Huey queue in a temporary SQLite file, used by the real task wrappers."""
    monkeypatch.setattr(HUEY, "immediate", False)
    # Worker threads open their own connections; closing them after each task lets the test
    # database be dropped at the end of the run.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    monkeypatch.setattr(HUEY, "storage", SqliteStorage(HUEY.name, filename=str(tmp_path / "q.db")))
    return HUEY


class running_consumer:
    """Huey's own consumer, in worker threads of this process, as `clientela run` starts it."""

    def __init__(self, huey, periodic=True):
        # With periodic tasks on, the minute sweep starts at once, next to the queued task.
        self.consumer = huey.create_consumer(
            workers=2, worker_type="thread", periodic=periodic, initial_delay=0.05, max_delay=0.2
        )

    def __enter__(self):
        self.consumer.start()
        return self.consumer

    def __exit__(self, *exc):
        self.consumer.stop(graceful=True)


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
