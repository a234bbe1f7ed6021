"""The tasks API's schemas."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

from clientela.core.api import MAX_VERSION, RecordId, text

from .models import FIRST_YEAR, LAST_YEAR, Reminder

ReminderChoice = Literal[tuple(Reminder.values)]  # type: ignore[valid-type]
TargetKey = text(40)


def _plausible(value: datetime | None) -> datetime | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


class TaskWrite(Schema):
    title: text(200, min_length=1)
    category_id: RecordId | None = None
    due_at: datetime = Field(
        description="ISO 8601; without an offset, the organisation's time zone. For an all-day "
        "task only its date counts."
    )
    all_day: bool = False
    reminder: ReminderChoice = Field(  # type: ignore[valid-type]
        Reminder.DAY_1.value,
        description="How long before the deadline to remind: never, 5m, "
        "15m, 30m, 1h, 2h or 1d (all-day tasks count back from 09:00 of their day).",
    )
    responsible_id: RecordId | None = Field(None, description="Default: the caller.")
    notify: bool = Field(
        True, description="Notify the responsible when someone else assigns them the task."
    )
    description: text(10_000) = ""

    _due_plausible = field_validator("due_at")(_plausible)


class TaskIn(TaskWrite):
    target_type: TargetKey | None = Field(None, description="contact, opportunity…")
    target_id: RecordId | None = None


class TaskPatch(Schema):
    """Only the fields sent change. `version` (or an `If-Match` header) refuses stale edits."""

    version: int | None = Field(None, ge=1, le=MAX_VERSION)
    title: text(200, min_length=1) | None = None
    category_id: RecordId | None = None
    target_type: TargetKey | None = None
    target_id: RecordId | None = None
    due_at: datetime | None = None
    all_day: bool | None = None
    reminder: ReminderChoice | None = None  # type: ignore[valid-type]
    responsible_id: RecordId | None = None
    notify: bool = True
    description: text(10_000) | None = None

    _due_plausible = field_validator("due_at")(_plausible)


class BulkTaskIn(TaskWrite):
    contact_ids: list[RecordId] = Field(..., min_length=1, max_length=500)


class BulkTaskOut(Schema):
    count: int
    ids: list[int]


class CategoryOut(Schema):
    id: int
    name: str
    icon: str
    position: int


class UserRefOut(Schema):
    id: int
    name: str


class TaskOut(Schema):
    id: int
    title: str
    category: CategoryOut | None
    target_type: str | None = Field(description="Null also when the caller may not see it.")
    target_id: int | None
    target_name: str | None
    due_at: datetime
    all_day: bool
    reminder: str
    reminder_at: datetime | None
    responsible: UserRefOut
    description: str
    is_overdue: bool
    closed_at: datetime | None
    closed_by_id: int | None
    created_at: datetime
    created_by_id: int | None
    version: int

    @classmethod
    def of(cls, task) -> dict:
        target = getattr(task, "target", None)
        return {
            "id": task.pk,
            "title": task.title,
            "category": task.category,
            "target_type": target._meta.model_name if target is not None else None,
            "target_id": target.pk if target is not None else None,
            "target_name": str(target) if target is not None else None,
            "due_at": task.due_at,
            "all_day": task.all_day,
            "reminder": task.reminder,
            "reminder_at": task.reminder_at(),
            "responsible": {"id": task.responsible_id, "name": str(task.responsible)},
            "description": task.description,
            "is_overdue": task.is_overdue(),
            "closed_at": task.closed_at,
            "closed_by_id": task.closed_by_id,
            "created_at": task.created_at,
            "created_by_id": task.created_by_id,
            "version": task.version,
        }
