"""Reminders: a notification scheduled for a moment, about a record, for one user.

Apps call `schedule_reminder` inside the transaction that sets a deadline (calling it again
moves the reminder) and `cancel_reminders` when the record is closed or deleted. When it comes
due, the recipient gets `mail.services.notify(recipient, kind, params, url)`: the bell, and an
email unless the admin switched the kind off or the recipient opted out of it.

How it fires exactly once and survives restarts:

- the `ScheduledReminder` row is the truth. After commit a Huey task is scheduled for
  `fire_at` (punctuality); the periodic sweep (`mail.tasks.fire_due_reminders_task`, every
  minute and at worker start) fires whatever is due, so a task lost with the queue, or one
  that was due while no worker ran, still fires;
- firing is one transaction: `UPDATE … SET fired_at = now WHERE pk = … AND fired_at IS NULL
  AND fire_at <= now`, then the notification and its outbox email. Of two workers (or the
  task and the sweep) only one UPDATE matches; a worker that dies before committing leaves
  the row unfired for the next sweep. No claim lease is needed, unlike the outbox, because
  nothing leaves the database inside the transaction: the email is sent by the outbox later;
- a moved or cancelled reminder's old task finds the row not due, fired, or gone, and does
  nothing.
"""

import logging
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from clientela.mail.kinds import notification_kind
from clientela.mail.models import ScheduledReminder

logger = logging.getLogger(__name__)

# The sweep fires at most this many reminders per run; the next run takes the rest.
SWEEP_BATCH = 500
# Fired reminders are kept this long, as a record of what was sent, then pruned.
KEEP_FIRED = timedelta(days=90)


def _target(record) -> tuple[ContentType, int]:
    if record is None or record.pk is None:
        raise ValueError("A reminder needs a saved record.")
    return ContentType.objects.get_for_model(record), record.pk


def schedule_reminder(
    record, recipient, at: datetime, kind: str, params: dict, url: str
) -> ScheduledReminder:
    """Set the one pending reminder of `kind` for (`record`, `recipient`) to fire at `at`,
    replacing an earlier pending one. `at` in the past fires at once (at the latest on the
    next sweep). Call it inside the transaction of the change that sets the time."""
    if notification_kind(kind) is None:
        raise ValueError(f"Unknown notification kind {kind!r}: register it in mail.kinds.")
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    target_type, target_id = _target(record)
    with transaction.atomic():
        reminder, _created = ScheduledReminder.objects.update_or_create(
            target_type=target_type,
            target_id=target_id,
            recipient=recipient,
            kind=kind,
            fired_at=None,
            defaults={"fire_at": at, "params": params or {}, "url": url or ""},
        )
        pk, fire_at = reminder.pk, reminder.fire_at
        transaction.on_commit(lambda: _schedule_firing(pk, fire_at))
    return reminder


def cancel_reminders(record, kind: str | None = None, recipient=None) -> int:
    """Cancel the pending reminders of `record` (of one kind, for one recipient, if given);
    returns how many. Reminders already fired stay as they were."""
    target_type, target_id = _target(record)
    pending = ScheduledReminder.objects.filter(
        target_type=target_type, target_id=target_id, fired_at__isnull=True
    )
    if kind is not None:
        pending = pending.filter(kind=kind)
    if recipient is not None:
        pending = pending.filter(recipient=recipient)
    deleted, _per_model = pending.delete()
    return deleted


def pending_reminders(record):
    """The reminders of `record` that have not fired yet, soonest first."""
    target_type, target_id = _target(record)
    return ScheduledReminder.objects.filter(
        target_type=target_type, target_id=target_id, fired_at__isnull=True
    )


def _schedule_firing(pk: int, fire_at: datetime):
    """Ask Huey to fire the reminder at its time. If the queue is unreachable, the sweep
    fires it instead, so a failure here is only logged."""
    from clientela.mail.tasks import fire_reminder_task

    try:
        fire_reminder_task.schedule(args=(pk,), eta=fire_at)
    except Exception:  # noqa: BLE001 - the sweep is the fallback
        logger.exception("Could not schedule reminder %s; the sweep will fire it.", pk)


def fire_reminder(pk: int, now: datetime | None = None) -> bool:
    """Fire one reminder if it is due and has not fired; True if this call fired it."""
    from clientela.mail.services import notify

    now = now or timezone.now()
    with transaction.atomic():
        fired = ScheduledReminder.objects.filter(
            pk=pk, fired_at__isnull=True, fire_at__lte=now
        ).update(fired_at=now)
        if not fired:
            return False
        reminder = ScheduledReminder.objects.select_related("recipient", "target_type").get(pk=pk)
        if reminder.recipient.is_active and _target_exists(reminder):
            notify(reminder.recipient, reminder.kind, reminder.params, reminder.url)
    return True


def _target_exists(reminder: ScheduledReminder) -> bool:
    """A record deleted without cancelling its reminders sends nothing about itself."""
    model = reminder.target_type.model_class()
    return model is not None and model._base_manager.filter(pk=reminder.target_id).exists()


def fire_due_reminders(now: datetime | None = None) -> int:
    """Fire every reminder due at `now` (default: now); returns how many this call fired."""
    now = now or timezone.now()
    due = list(
        ScheduledReminder.objects.filter(fired_at__isnull=True, fire_at__lte=now)
        .order_by("fire_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    fired = 0
    for pk in due:
        try:
            fired += fire_reminder(pk, now)
        except Exception:  # noqa: BLE001 - left unfired; the next sweep tries again
            logger.exception("Reminder %s could not fire; it is retried next minute.", pk)
    return fired


def prune_fired_reminders(now: datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _per_model = ScheduledReminder.objects.filter(fired_at__lt=now - KEEP_FIRED).delete()
    return deleted
