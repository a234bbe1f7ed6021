"""The one filter definition for tasks, shared by "Tasks at a glance" and the API.

Deadlines fall into the at-a-glance sections by the organisation's calendar (settings.TIME_ZONE):
- overdue: open, and past due (a timed task once its time has passed, an all-day task from the
  day after its date);
- today: due during today and not yet overdue;
- week: due from tomorrow to the end of this week (weeks end on Sunday);
- later: due after this week."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from django.db.models import Q
from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field, ValidationError, field_validator

from .models import local_midnight

ORDERINGS = {
    "due": ("due_at", "id"),
    "-due": ("-due_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "closed": ("closed_at", "id"),
    "-closed": ("-closed_at", "-id"),
    "title": ("title", "id"),
}

FilterId = Annotated[int, Field(ge=0, le=2**63 - 1)]
NO_NUL = r"^[^\x00]*$"

Bucket = Literal["overdue", "today", "week", "later"]
BUCKETS: tuple[str, ...] = ("overdue", "today", "week", "later")


@dataclass(frozen=True)
class DueWindows:
    """The boundaries of the at-a-glance sections at one moment."""

    now: datetime
    today: datetime
    tomorrow: datetime
    week_end: datetime

    @classmethod
    def at(cls, now: datetime | None = None) -> "DueWindows":
        now = now or timezone.now()
        today = timezone.localtime(now).date()
        # Monday is 0: the week ends when next Monday starts.
        next_monday = today + timedelta(days=7 - today.weekday())
        return cls(
            now=now,
            today=local_midnight(today),
            tomorrow=local_midnight(today + timedelta(days=1)),
            week_end=local_midnight(next_monday),
        )

    def condition(self, bucket: str) -> Q:
        past_due = Q(due_at__lt=self.today) | Q(all_day=False, due_at__lt=self.now)
        if bucket == "overdue":
            return Q(closed_at__isnull=True) & past_due
        if bucket == "today":
            return Q(due_at__gte=self.today, due_at__lt=self.tomorrow) & ~Q(
                all_day=False, due_at__lt=self.now
            )
        if bucket == "week":
            return Q(due_at__gte=self.tomorrow, due_at__lt=self.week_end)
        return Q(due_at__gte=self.week_end)

    def bucket_of(self, task) -> str | None:
        """The section an (open) task belongs to, computed in Python like `condition`."""
        if not task.is_closed and (
            task.due_at < self.today or (not task.all_day and task.due_at < self.now)
        ):
            return "overdue"
        if task.due_at < self.today:
            return None
        if task.due_at < self.tomorrow:
            return "today"
        if task.due_at < self.week_end:
            return "week"
        return "later"


class TaskFilter(Schema):
    model_config = ConfigDict(extra="ignore")

    q: str | None = Field(None, max_length=100, pattern=NO_NUL, description="Words in the title.")
    status: Literal["open", "closed", "all"] = Field(
        "open", description="Open tasks (the default), closed ones, or both."
    )
    due: Bucket | None = Field(
        None,
        description="overdue (open and past due), today, week (tomorrow to Sunday) or later; "
        "in the organisation's time zone.",
    )
    scope: Literal["mine", "team", "all"] | None = Field(
        None,
        description="mine: I am responsible; team: someone in my teams (or I) is; "
        "all (the default): every task I may see.",
    )
    responsible: FilterId | None = Field(None, description="User id of the responsible.")
    category: FilterId | None = Field(None, description="Category id; 0 means no category.")
    target_type: str | None = Field(
        None,
        max_length=40,
        pattern=r"^[a-z_]+$",
        description="Type of linked record (contact, opportunity…), or `none` for tasks "
        "linked to no record.",
    )
    target_id: FilterId | None = Field(
        None, description="Id of the linked record (with target_type)."
    )
    ordering: Literal[tuple(ORDERINGS)] = "due"  # type: ignore[valid-type]

    @field_validator("target_type")
    @classmethod
    def _known_target_type(cls, value):
        from clientela.activities.targets import ACTIVITY_TARGETS

        if value is not None and value != "none" and value not in ACTIVITY_TARGETS:
            raise ValueError(f"unknown record type; one of: none, {', '.join(ACTIVITY_TARGETS)}")
        return value

    @classmethod
    def from_query(cls, params) -> tuple["TaskFilter", dict[str, str]]:
        """Parse a QueryDict; invalid parameters are dropped and reported, never fatal."""
        raw = {k: v for k, v in params.items() if v not in ("", None)}
        try:
            return cls.model_validate(raw), {}
        except ValidationError as exc:
            bad = {str(err["loc"][0]): err["msg"] for err in exc.errors()}
            return cls.model_validate({k: v for k, v in raw.items() if k not in bad}), bad

    def apply(self, queryset, user=None, windows: DueWindows | None = None):
        """Filter and sort `queryset`; `user` is whom "mine" and "team" are about."""
        from clientela.accounts.models import Team
        from clientela.activities.targets import target_content_type

        conditions = Q()
        if self.q and self.q.strip():
            for word in self.q.split()[:5]:
                conditions &= Q(title__icontains=word)
        if self.status == "open":
            conditions &= Q(closed_at__isnull=True)
        elif self.status == "closed":
            conditions &= Q(closed_at__isnull=False)
        if self.due:
            conditions &= (windows or DueWindows.at()).condition(self.due)
        if self.responsible:
            conditions &= Q(responsible_id=self.responsible)
        if self.category is not None:
            conditions &= (
                Q(category__isnull=True) if self.category == 0 else Q(category_id=self.category)
            )
        if self.target_type == "none":
            conditions &= Q(target_type__isnull=True)
        elif self.target_type:
            conditions &= Q(target_type=target_content_type(self.target_type))
            if self.target_id:
                conditions &= Q(target_id=self.target_id)
        if user is not None and self.scope == "mine":
            conditions &= Q(responsible_id=user.pk)
        elif user is not None and self.scope == "team":
            teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
            teammates = Team.members.through.objects.filter(team_id__in=teams).values("user_id")
            conditions &= Q(responsible_id=user.pk) | Q(responsible_id__in=teammates)
        return queryset.filter(conditions).order_by(*ORDERINGS[self.ordering])

    def active(self) -> dict:
        return {
            k: v
            for k, v in self.model_dump().items()
            if v not in (None, "") and k not in ("ordering", "status", "scope")
        }
