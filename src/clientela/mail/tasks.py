from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from clientela.mail.models import OutboxEmail
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
