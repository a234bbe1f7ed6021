"""What the calendar API reads and writes. Limits mirror the model so bad input is a 4xx."""

from datetime import date, datetime, timedelta
from typing import Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, model_validator

from clientela.contacts.schemas import ContactRef, UserRef
from clientela.core.api import MAX_VERSION, RecordId, text

from .models import Event, ReminderOffset

MAX_RANGE = timedelta(days=100)
# Dates far outside any diary are refused before any arithmetic on them can overflow.
EARLIEST, LATEST = datetime(1900, 1, 1), datetime(2200, 1, 1)

Kind = Literal[tuple(Event.Kind.values)]  # type: ignore[valid-type]
Reminder = Literal[tuple(ReminderOffset.values)]  # type: ignore[valid-type]
Ids = list[RecordId]


def _within_years(value):
    if value is None:
        return value
    plain = value.replace(tzinfo=None) if isinstance(value, datetime) else value
    low, high = (
        (EARLIEST, LATEST) if isinstance(value, datetime) else (EARLIEST.date(), LATEST.date())
    )
    if not low <= plain < high:
        raise ValueError("Dates must fall between 1900 and 2199.")
    return value


class _Dated(Schema):
    @model_validator(mode="after")
    def _years(self):
        for name in ("starts_at", "ends_at", "start_date", "end_date", "start", "end"):
            _within_years(getattr(self, name, None))
        return self


class EventIn(_Dated):
    title: text(200, min_length=1)
    kind: Kind = Event.Kind.MEETING.value
    all_day: bool = False
    starts_at: datetime | None = Field(
        None, description="Start of a timed event; without an offset, in the organisation's zone."
    )
    ends_at: datetime | None = Field(None, description="End of a timed event (default: 1 hour).")
    start_date: date | None = Field(None, description="First day of an all-day event.")
    end_date: date | None = Field(None, description="Last day of an all-day event (inclusive).")
    location: text(200) = ""
    description: text(10_000) = ""
    attendee_ids: Ids = Field(default_factory=list, max_length=200)
    contact_ids: Ids = Field(default_factory=list, max_length=200)
    target_type: text(50) | None = Field(None, description="Linked record type: `opportunity`.")
    target_id: RecordId | None = None
    reminder: Reminder | None = Field(None, description="Minutes before the start; null: never.")


class EventPatch(_Dated):
    title: text(200, min_length=1) | None = None
    kind: Kind | None = None
    all_day: bool | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None
    location: text(200) | None = None
    description: text(10_000) | None = None
    attendee_ids: Ids | None = Field(None, max_length=200)
    contact_ids: Ids | None = Field(None, max_length=200)
    target_type: text(50) | None = None
    target_id: RecordId | None = None
    reminder: Reminder | None = None
    version: int | None = Field(None, ge=1, le=MAX_VERSION)


class MoveIn(_Dated):
    starts_at: datetime = Field(
        description="New start; a date alone (or with all_day) for an all-day event."
    )
    ends_at: datetime | None = Field(
        None, description="New end (exclusive for all-day events); default: keep the length."
    )
    all_day: bool | None = None
    version: int | None = Field(None, ge=1, le=MAX_VERSION)


class RangeParams(_Dated):
    start: datetime = Field(description="Start of the range (a date or a date and time).")
    end: datetime = Field(description="End of the range, exclusive; at most 100 days after start.")

    @model_validator(mode="after")
    def _ordered(self):
        if self.end <= self.start:
            raise ValueError("end must come after start.")
        if self.end - self.start > MAX_RANGE:
            raise ValueError("The range may span at most 100 days.")
        return self

    def bounds(self) -> tuple[datetime, datetime]:
        def aware(value):
            return timezone.make_aware(value) if timezone.is_naive(value) else value

        return aware(self.start), aware(self.end)


class PlainOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TargetOut(Schema):
    type: str
    id: int
    name: str


class EventRowOut(PlainOut):
    id: int
    title: str
    kind: str
    all_day: bool
    starts_at: datetime
    ends_at: datetime
    location: str
    organiser_id: int
    version: int


class EventOut(Schema):
    id: int
    title: str
    kind: str
    all_day: bool
    starts_at: datetime
    ends_at: datetime = Field(description="Exclusive: midnight after the last day when all day.")
    start_date: date
    end_date: date = Field(description="The last day (inclusive).")
    location: str
    description: str
    organiser: UserRef
    attendees: list[UserRef]
    contacts: list[ContactRef] = Field(description="Only the contacts the caller may see.")
    target: TargetOut | None = Field(None, description="Only if the caller may see it.")
    reminder: int | None
    version: int

    @staticmethod
    def resolve_attendees(event):
        return list(event.attendees.all())

    @staticmethod
    def resolve_contacts(event):
        return list(event.contacts.all())

    @staticmethod
    def resolve_target(event):
        record = getattr(event, "visible_target", None)
        if record is None:
            return None
        return {"type": record._meta.model_name, "id": record.pk, "name": str(record)}


class CalendarEntryOut(Schema):
    """An event as a calendar draws it: wall-clock times in the organisation's time zone."""

    id: int
    title: str
    kind: str
    all_day: bool
    start: str = Field(description="Local date (all day) or date and time, without an offset.")
    end: str = Field(description="Exclusive end, like `start`.")
    location: str
    editable: bool
    version: int
    url: str


class DeadlineOut(Schema):
    id: int
    title: str
    all_day: bool
    due: str = Field(description="Local date (all day) or date and time, without an offset.")
    url: str


class CalendarOut(Schema):
    time_zone: str
    events: list[CalendarEntryOut]
    deadlines: list[DeadlineOut] = Field(description="Open tasks the caller is responsible for.")


class FeedTokenOut(Schema):
    url: str = Field(description="The private iCalendar address; shown only this once.")
