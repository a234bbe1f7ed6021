from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.mail.kinds import notification_kind


class Notification(models.Model):
    """An in-app notification shown under the bell."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # A key of `mail.kinds.NOTIFICATION_KINDS`, whose text is filled from `params` in the
    # reader's language when it is shown.
    kind = models.CharField(max_length=40)
    # The text in the recipient's language when it was sent: the email's subject, and what is
    # shown for a kind with no entry in TEXTS.
    title = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.text

    @property
    def text(self) -> str:
        kind = notification_kind(self.kind)
        if kind is None:
            return self.title
        try:
            return str(kind.text) % self.params
        except (KeyError, TypeError, ValueError):
            return self.title


class OutboxEmail(models.Model):
    """An email waiting to be delivered, written in the same transaction as its cause."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.EmailField()
    subject = models.CharField(max_length=250)
    body = models.TextField()
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a worker took the email on; another worker leaves it alone while the claim is fresh.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    MAX_ATTEMPTS = 5

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_pending")]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")

    def __str__(self):
        return f"{self.to}: {self.subject}"


class ScheduledReminder(models.Model):
    """A notification to send at `fire_at` about a record (a task's deadline, an event).

    The row is the truth: the Huey task scheduled for `fire_at` and the minute sweep both fire
    it through one conditional UPDATE of `fired_at`, in the transaction that writes the
    notification, so it fires once whichever of them (or of two workers) gets there first, and
    whatever a lost task or a stopped worker left is fired by the next sweep."""

    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scheduled_reminders"
    )
    # A key of `mail.kinds.NOTIFICATION_KINDS`; `params` fill its text.
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    fire_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["fire_at", "id"]
        constraints = [
            # One pending reminder of a kind per record and recipient: scheduling again moves it.
            # Fired ones stay as a record of what was sent.
            models.UniqueConstraint(
                fields=["target_type", "target_id", "recipient", "kind"],
                condition=models.Q(fired_at__isnull=True),
                name="one_pending_reminder",
            )
        ]
        indexes = [
            models.Index(
                fields=["fire_at"], condition=models.Q(fired_at__isnull=True), name="reminder_due"
            ),
            models.Index(fields=["fired_at"], name="reminder_fired"),
        ]
        verbose_name = _("scheduled reminder")
        verbose_name_plural = _("scheduled reminders")

    def __str__(self):
        return f"{self.kind} → {self.recipient_id} @ {self.fire_at:%Y-%m-%d %H:%M}"


class NotificationSetting(models.Model):
    """The admin's choices for one notification kind: whether it is emailed, and the email's
    wording per language (blank: the kind's own text). The bell entry is always written."""

    kind = models.CharField(max_length=40, unique=True)
    email_enabled = models.BooleanField(_("send by email"), default=True)
    subject_es = models.CharField(_("subject (Spanish)"), max_length=200, blank=True)
    body_es = models.TextField(_("body (Spanish)"), blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("body (English)"), blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    changelog_exclude = ("version", "updated_at")

    class Meta:
        ordering = ["kind"]
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return self.kind

    def subject(self, language: str) -> str:
        return getattr(self, f"subject_{language}", "")

    def body(self, language: str) -> str:
        return getattr(self, f"body_{language}", "")


class NotificationOptOut(models.Model):
    """A user who wants no email for a kind of notification (the bell still shows it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_opt_outs"
    )
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_opt_out_per_kind")
        ]
        verbose_name = _("notification opt-out")
        verbose_name_plural = _("notification opt-outs")

    def __str__(self):
        return f"{self.user_id}: {self.kind}"
