from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from clientela.mail.models import OutboxEmail
from clientela.mail.reminders import fire_due_reminders, fire_reminder, prune_fired_reminders
from clientela.mail.services import deliver


@db_task(retries=4, retry_delay=30)
def deliver_email(pk: int):
    message = OutboxEmail.objects.filter(pk=pk, status=OutboxEmail.Status.PENDING).first()
    if message is not None:
        deliver(message)


@db_periodic_task(crontab(minute="*"))
def deliver_pending_emails():
    """Catch whatever a crash or an outage left in the outbox."""
    for message in OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING)[:200]:
        try:
            deliver(message)
        except Exception:  # noqa: BLE001 - recorded on the message; next minute retries
            continue


@db_task(retries=2, retry_delay=30)
def fire_reminder_task(pk: int):
    """Fire one reminder at its time; does nothing if it moved, was cancelled or already fired."""
    fire_reminder(pk)


@db_periodic_task(crontab(minute="*"))
def fire_due_reminders_task():
    """Fire whatever is due and unfired: reminders whose task was lost or came due while no
    worker ran. Runs when the worker starts, then every minute."""
    fire_due_reminders()


@db_periodic_task(crontab(minute="17", hour="3"))
def prune_fired_reminders_task():
    prune_fired_reminders()
