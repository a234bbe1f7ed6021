"""Calendar events and each user's private calendar feed.

Who reaches an event is simpler than for contacts: its organiser, its attendees and CRM admins
see it; only the organiser and CRM admins change, move or delete it. An attendee who may not
see a linked contact or the linked opportunity still sees the event, without that record."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.access import Action, RestrictedQuerySet, is_crm_user
from clientela.core.models import BaseRecord

# An event lasts at most this long, so that "events overlapping a range" can start its index
# scan at `range start - MAX_EVENT_LENGTH` instead of reading every earlier event.
MAX_EVENT_LENGTH = timedelta(days=92)


class ReminderOffset(models.IntegerChoices):
    """How long before an event its reminder fires (the same offsets as tasks)."""

    MIN_5 = 5, _("5 minutes before")
    MIN_15 = 15, _("15 minutes before")
    MIN_30 = 30, _("30 minutes before")
    HOUR_1 = 60, _("1 hour before")
    HOUR_2 = 120, _("2 hours before")
    DAY_1 = 1440, _("1 day before")


class EventQuerySet(RestrictedQuerySet):
    """The access point for events."""

    def restrict(self, user, action: Action | str):
        if not is_crm_user(user):
            return self.none()
        if user.is_crm_admin:
            return self
        if action != Action.VIEW:
            return self.filter(organiser_id=user.pk)
        attending = Event.attendees.through.objects.filter(event_id=OuterRef("pk"), user_id=user.pk)
        return self.filter(Q(organiser_id=user.pk) | Exists(attending))

    def overlapping(self, start, end):
        """Events that overlap [start, end): they start before its end and end after its start."""
        return self.filter(
            starts_at__lt=end, starts_at__gte=start - MAX_EVENT_LENGTH, ends_at__gt=start
        )


class Event(BaseRecord):
    """A meeting, call or other appointment.

    Times are stored as instants. An all-day event runs from local midnight of its first day to
    local midnight after its last day (`ends_at` is exclusive, as in iCalendar), so one range
    query finds timed and all-day events alike; `start_date`/`end_date` give its days back."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Call")
        OTHER = "other", _("Other")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=7, choices=Kind.choices, default=Kind.MEETING)
    all_day = models.BooleanField(_("all day"), default=False)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="organised_events",
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendees"),
        blank=True,
        related_name="attended_events",
    )
    contacts = models.ManyToManyField(
        "contacts.Contact", verbose_name=_("contacts"), blank=True, related_name="events"
    )
    # The record the event is about, besides its contacts (an opportunity): any model
    # registered in `activities.targets`.
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("record type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_id = models.BigIntegerField(_("record"), null=True, blank=True)
    reminder = models.PositiveIntegerField(
        _("reminder"), choices=ReminderOffset.choices, null=True, blank=True
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["starts_at", "id"], name="event_start"),
            models.Index(fields=["organiser", "starts_at"], name="event_organiser_start"),
            models.Index(fields=["target_type", "target_id"], name="event_target"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after")
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("agenda:detail", args=[self.pk])

    @property
    def start_date(self):
        return timezone.localtime(self.starts_at).date()

    @property
    def end_date(self):
        """The last day of an all-day event (inclusive); the day a timed event ends."""
        end = timezone.localtime(self.ends_at)
        if self.all_day:
            return (end - timedelta(days=1)).date()
        return end.date()

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def reminder_at(self):
        return self.starts_at - timedelta(minutes=self.reminder) if self.reminder else None


class CalendarFeed(models.Model):
    """A user's private iCalendar subscription. Only the SHA-256 of its secret is stored; the
    address is shown once, when it is made, and making a new one retires the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)
