"""Notifications: an in-app entry and, through the outbox, an email, written atomically."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from clientela.mail.models import Notification, OutboxEmail


def notify(recipient, kind: str, params: dict, url: str = "", email: bool = True) -> Notification:
    """Notify `recipient` with the text of `kind` (`mail.kinds`) filled from `params`.

    The bell renders it in whatever language the recipient reads then; the email goes out in
    the language they have now."""
    notification = Notification(recipient=recipient, kind=kind, params=params, url=url)
    with translation.override(recipient.language):
        notification.title = notification.text[:200]
    notification.save()
    title = notification.title
    if email and recipient.email:
        link = f"{settings.CLIENTELA_BASE_URL}{url}" if url else settings.CLIENTELA_BASE_URL
        queue_email(to=recipient.email, subject=title, body=f"{title}\n\n{link}\n")
    return notification


def queue_email(*, to: str, subject: str, body: str) -> OutboxEmail:
    message = OutboxEmail.objects.create(to=to, subject=subject[:250], body=body)
    transaction.on_commit(lambda: _schedule_delivery(message.pk))
    return message


def _schedule_delivery(pk: int):
    from clientela.mail.tasks import deliver_email

    deliver_email(pk)


# The on-commit task and the minute sweep can pick the same email at once; the second one
# leaves it alone until the claim is older than CLAIM_LEASE, so only an email whose worker
# died is tried again.
CLAIM_LEASE = timedelta(minutes=5)


def deliver(message: OutboxEmail) -> bool:
    """Send one outbox email; claims it first so two workers never send it twice."""
    now = timezone.now()
    claimed = (
        OutboxEmail.objects.filter(pk=message.pk, status=OutboxEmail.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .update(attempts=F("attempts") + 1, claimed_at=now)
    )
    if not claimed:
        return False
    try:
        EmailMessage(
            message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to]
        ).send()
    except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried
        message.refresh_from_db()
        status = (
            OutboxEmail.Status.FAILED
            if message.attempts >= OutboxEmail.MAX_ATTEMPTS
            else OutboxEmail.Status.PENDING
        )
        OutboxEmail.objects.filter(pk=message.pk).update(
            status=status, last_error=str(exc)[:2000], claimed_at=None
        )
        raise
    OutboxEmail.objects.filter(pk=message.pk).update(
        status=OutboxEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def mark_read(user, notification_ids=None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
