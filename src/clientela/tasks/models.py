"""Tasks: a duty with a deadline, a responsible user and an optional reminder, attached to any
activity target (a contact, an opportunity… see `activities.targets`).

Who reaches a task (`TaskQuerySet.restrict`):
- CRM admins: every task, for every action;
- its responsible user and its creator: view, change (edit, close, reopen) and delete;
- everyone else: what they may do to the task's record (seeing the contact lets them see its
  tasks; changing it lets them edit and close them; deleting it lets them delete them).
A task with no record is private to its responsible user, its creator and the admins. A task
whose record a user may not see answers 404 to that user, exactly like a missing one."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.lookups import IsNull
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.access import Action, RestrictedQuerySet, is_crm_user
from clientela.core.models import AdminList, BaseRecord


class TaskCategory(AdminList):
    """A task category (call, email, meeting…), edited by admins, with a Bootstrap icon name."""

    icon = models.CharField(
        _("icon"),
        max_length=40,
        blank=True,
        default="check2-square",
        help_text=_("A Bootstrap Icons name, e.g. telephone, envelope, people."),
    )

    class Meta(AdminList.Meta):
        verbose_name = _("task category")
        verbose_name_plural = _("task categories")


class Reminder(models.TextChoices):
    """How long before the deadline the responsible user is reminded."""

    NEVER = "never", _("Never")
    MINUTES_5 = "5m", _("5 minutes before")
    MINUTES_15 = "15m", _("15 minutes before")
    MINUTES_30 = "30m", _("30 minutes before")
    HOUR_1 = "1h", _("1 hour before")
    HOURS_2 = "2h", _("2 hours before")
    DAY_1 = "1d", _("1 day before")


REMINDER_OFFSETS = {
    Reminder.MINUTES_5: timedelta(minutes=5),
    Reminder.MINUTES_15: timedelta(minutes=15),
    Reminder.MINUTES_30: timedelta(minutes=30),
    Reminder.HOUR_1: timedelta(hours=1),
    Reminder.HOURS_2: timedelta(hours=2),
    Reminder.DAY_1: timedelta(days=1),
}

# An all-day task is due on its date, with no hour; its reminder counts back from this time of
# that day (so "1 day before" a task due on Friday reminds on Thursday at 09:00).
ALL_DAY_REMINDER_TIME = time(9, 0)
# Deadlines outside these years are typing mistakes (and far dates overflow time-zone maths).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def local_midnight(day) -> datetime:
    """The start of `day` in the organisation's time zone (settings.TIME_ZONE)."""
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


class TaskQuerySet(RestrictedQuerySet):
    """The access point for tasks."""

    def restrict(self, user, action: Action | str):
        if not is_crm_user(user):
            return self.none()
        if user.is_crm_admin:
            return self
        # The cheap tests first; the record's access is a correlated subquery per task, an
        # index probe on the record's table, never a hash of every record the user may see.
        return self.filter(
            Q(responsible_id=user.pk) | Q(created_by_id=user.pk) | self._target_reach(user, action)
        )

    def _target_reach(self, user, action) -> Q:
        from clientela.activities.targets import ACTIVITY_TARGETS

        reach = Q(pk__in=[])
        for model in ACTIVITY_TARGETS.values():
            content_type = ContentType.objects.get_for_model(model)
            reachable = (
                model.objects.restrict(user, action).filter(pk=OuterRef("target_id")).values("pk")
            )[:1]
            reach |= Q(target_type_id=content_type.pk) & Q(IsNull(Subquery(reachable), False))
        return reach


class Task(BaseRecord):
    title = models.CharField(_("title"), max_length=200)
    category = models.ForeignKey(
        TaskCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The record the task is about (a contact, an opportunity…): any `activities.targets` model.
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("record type"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    target_id = models.BigIntegerField(_("record"), null=True, blank=True)
    # A timed task is due at `due_at`; an all-day task at the local midnight starting its day.
    due_at = models.DateTimeField(_("deadline"))
    all_day = models.BooleanField(_("all day"), default=False)
    reminder = models.CharField(
        _("reminder"), max_length=5, choices=Reminder.choices, default=Reminder.DAY_1
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("description"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            # Tasks at a glance: someone's open tasks by deadline, and their closed ones.
            models.Index(
                fields=["responsible", "due_at"],
                condition=Q(closed_at__isnull=True),
                name="task_open_by_responsible",
            ),
            models.Index(fields=["responsible", "closed_at"], name="task_closed_by_responsible"),
            models.Index(fields=["created_by", "due_at"], name="task_by_creator"),
            # A record's Tasks tab.
            models.Index(fields=["target_type", "target_id", "due_at"], name="task_by_target"),
            models.Index(fields=["due_at"], name="task_due_at"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("tasks:detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def local_due(self) -> datetime:
        return timezone.localtime(self.due_at)

    @property
    def due_date(self):
        return self.local_due.date()

    def is_overdue(self, now: datetime | None = None) -> bool:
        if self.is_closed:
            return False
        now = now or timezone.now()
        if self.all_day:
            return self.due_date < timezone.localtime(now).date()
        return self.due_at < now

    def reminder_at(self) -> datetime | None:
        """When the responsible user is reminded; None for "never"."""
        offset = REMINDER_OFFSETS.get(self.reminder)
        if offset is None:
            return None
        base = self.due_at
        if self.all_day:
            base = datetime.combine(
                self.due_date, ALL_DAY_REMINDER_TIME, tzinfo=timezone.get_current_timezone()
            )
        return base - offset
