"""Notifications: an in-app entry and, through the outbox, an email, written atomically."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.changelog import record_change, snapshot
from clientela.core.versioning import bump_version
from clientela.mail import wording
from clientela.mail.kinds import NotificationKind, notification_kind
from clientela.mail.models import (
    Notification,
    NotificationOptOut,
    NotificationSetting,
    OutboxEmail,
)


def notify(recipient, kind: str, params: dict, url: str = "", email: bool = True) -> Notification:
    """Notify `recipient` with the text of `kind` (`mail.kinds`) filled from `params`.

    The bell renders it in whatever language the recipient reads then; the email goes out in
    the language they have now, worded as the admin set it for that language (else the kind's
    text and the link). No email when `email` is False, the admin switched the kind's emails
    off, or the recipient opted out of them; the bell entry is written regardless."""
    notification = Notification(recipient=recipient, kind=kind, params=params, url=url)
    with translation.override(recipient.language):
        notification.title = notification.text[:200]
    notification.save()
    if email and recipient.email:
        setting = NotificationSetting.objects.filter(kind=kind).first()
        switched_off = setting is not None and not setting.email_enabled
        if not switched_off and not has_opted_out(recipient, kind):
            subject, body = _email_wording(recipient, notification, setting)
            queue_email(to=recipient.email, subject=subject, body=body)
    return notification


def has_opted_out(user, kind: str) -> bool:
    return NotificationOptOut.objects.filter(user=user, kind=kind).exists()


def _email_wording(recipient, notification: Notification, setting) -> tuple[str, str]:
    """Subject and body in the recipient's language: the admin's wording when set, filled
    with the notification's values; else the bell's text and the link."""
    link = settings.CLIENTELA_BASE_URL + notification.url
    language = recipient.language
    subject = setting.subject(language) if setting else ""
    body = setting.body(language) if setting else ""
    values = wording.email_values(recipient, notification.params, link)
    subject = wording.one_line(wording.fill(subject, values)) if subject else notification.title
    body = wording.fill(body, values) if body else f"{notification.title}\n\n{link}\n"
    return subject, body


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


# --- The admin's notification settings and each user's email preferences ---------------------

SUBJECT_MAX = 200
BODY_MAX = 5000


def require_admin(actor):
    if not (actor and actor.is_authenticated and actor.is_crm_admin):
        raise PermissionDenied(_("Only CRM admins may change notification settings."))


def registered_kind(key: str) -> NotificationKind:
    kind = notification_kind(key)
    if kind is None:
        raise Http404(key)
    return kind


def wording_errors(kind: NotificationKind, data: dict) -> dict[str, list[str]]:
    """What is wrong with the subjects and bodies in `data`, by field name."""
    allowed = wording.placeholders(kind)
    errors: dict[str, list[str]] = {}
    for name in wording.fields():
        if name not in data:
            continue
        value = data[name]
        if not isinstance(value, str):
            errors.setdefault(name, []).append(_("Give a text."))
            continue
        limit = SUBJECT_MAX if name.startswith("subject") else BODY_MAX
        if len(value) > limit:
            errors.setdefault(name, []).append(
                _("At most %(limit)d characters (it has %(length)d).")
                % {"limit": limit, "length": len(value)}
            )
        if name.startswith("subject") and ("\n" in value or "\r" in value):
            errors.setdefault(name, []).append(_("A subject is one line."))
        if "\x00" in value:
            errors.setdefault(name, []).append(_("Contains characters that are not allowed."))
        unknown = wording.unknown_placeholders(value, allowed)
        if unknown:
            errors.setdefault(name, []).append(
                ngettext(
                    "Unknown placeholder %(names)s. Available: %(available)s.",
                    "Unknown placeholders %(names)s. Available: %(available)s.",
                    len(unknown),
                )
                % {
                    "names": ", ".join(f"{{{n}}}" for n in unknown),
                    "available": ", ".join(f"{{{n}}}" for n in allowed),
                }
            )
    return errors


def _stored_text(kind: NotificationKind, name: str, value: str) -> str:
    """Blank when the text is the kind's default, so it follows the default if that changes."""
    part, language = name.split("_", 1)
    value = value.strip() if part == "subject" else value.strip("\n").rstrip()
    default = (
        wording.default_subject(kind, language)
        if part == "subject"
        else wording.default_body(kind, language)
    )
    return "" if value == default.strip() else value


def save_notification_setting(
    actor, kind_key: str, data: dict, expected_version: int | None = None
) -> NotificationSetting:
    """Switch a kind's emails on or off and set their wording (blank: the kind's default).

    A kind with no row yet has version 1, so a client that read it can send `If-Match: 1`."""
    require_admin(actor)
    kind = registered_kind(kind_key)
    errors = wording_errors(kind, data)
    if "email_enabled" in data and not isinstance(data["email_enabled"], bool):
        errors.setdefault("email_enabled", []).append(_("Give true or false."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        setting, created = NotificationSetting.objects.select_for_update().get_or_create(
            kind=kind.key
        )
        before = None if created else snapshot(setting)
        changed = []
        if "email_enabled" in data:
            setting.email_enabled = data["email_enabled"]
            changed.append("email_enabled")
        for name in wording.fields():
            if name in data:
                setattr(setting, name, _stored_text(kind, name, data[name]))
                changed.append(name)
        bump_version(setting, expected_version, changed)
        setting.refresh_from_db()
        record_change(actor, setting, "update" if before else "create", before, snapshot(setting))
    return setting


def save_email_preferences(actor, emails: dict) -> None:
    """Set, for the kinds given, whether `actor` gets their emails (True) or opted out
    (False); kinds not given keep their choice."""
    if not (actor and actor.is_authenticated):
        raise PermissionDenied
    errors = {}
    for key, wanted in emails.items():
        if notification_kind(key) is None:
            errors[key] = [_("No such kind of notification.")]
        elif not isinstance(wanted, bool):
            errors[key] = [_("Give true or false.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        wanted_kinds = [key for key, wanted in emails.items() if wanted]
        NotificationOptOut.objects.filter(user=actor, kind__in=wanted_kinds).delete()
        existing = set(NotificationOptOut.objects.filter(user=actor).values_list("kind", flat=True))
        NotificationOptOut.objects.bulk_create(
            NotificationOptOut(user=actor, kind=key)
            for key, wanted in emails.items()
            if not wanted and key not in existing
        )
