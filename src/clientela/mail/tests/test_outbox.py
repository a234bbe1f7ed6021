"""The outbox delivers each email once, even when two workers reach it together."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from clientela.mail.models import OutboxEmail
from clientela.mail.services import CLAIM_LEASE, deliver


def pending() -> OutboxEmail:
    return OutboxEmail.objects.create(to="ana@example.com", subject="Hola", body="Cuerpo")


def test_a_delivered_email_is_marked_sent_once(db):
    message = pending()
    assert deliver(message) is True
    assert deliver(message) is False
    message.refresh_from_db()
    assert message.status == OutboxEmail.Status.SENT and message.attempts == 1
    assert message.sent_at is not None and len(mail.outbox) == 1


def test_a_fresh_claim_keeps_a_second_worker_away(db):
    message = pending()
    OutboxEmail.objects.filter(pk=message.pk).update(claimed_at=timezone.now())
    assert deliver(message) is False
    assert len(mail.outbox) == 0


def test_a_claim_whose_worker_died_expires(db):
    message = pending()
    stale = timezone.now() - CLAIM_LEASE - timedelta(seconds=1)
    OutboxEmail.objects.filter(pk=message.pk).update(claimed_at=stale)
    assert deliver(message) is True
    assert len(mail.outbox) == 1
