from django.conf import settings
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
