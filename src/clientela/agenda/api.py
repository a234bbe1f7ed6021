"""The calendar API: thin endpoints that parse, call `services`, and serialise.

An event the caller may not see (not its organiser, not an attendee, not a CRM admin) answers
404 exactly like a missing one; an attendee who tries to change it gets 403."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path, Query, Router, Status

from clientela.core.access import Action, get_for_user_or_404
from clientela.core.api import MAX_ID, error_responses, if_match_version, set_etag
from clientela.core.errors import ConflictError

from . import services
from .models import Event
from .queries import calendar_data, event_detail, events_in_range
from .schemas import (
    CalendarOut,
    EventIn,
    EventOut,
    EventPatch,
    EventRowOut,
    FeedTokenOut,
    MoveIn,
    RangeParams,
)

router = Router(tags=["calendar"])

EventId = Path(..., ge=1, le=MAX_ID, description="Event id.")


def _visible_event(request, event_id: int) -> Event:
    return get_for_user_or_404(Event.objects, request.user, Action.VIEW, pk=event_id)


def _event_out(request, response, event: Event) -> Event:
    try:
        event = event_detail(request.user, event.pk)
    except Event.DoesNotExist as exc:
        raise Http404 from exc
    set_etag(response, event.version)
    return event


def _expected_version(request, body_version: int | None) -> int | None:
    expected = if_match_version(request)
    return expected if expected is not None else body_version


@router.get(
    "/calendar",
    response={200: CalendarOut, **error_responses()},
    summary="What a calendar view shows",
)
def calendar(request: HttpRequest, params: Query[RangeParams]) -> dict:
    """The caller's events overlapping the range and the deadlines of their open tasks, as
    wall-clock times in the organisation's time zone (`time_zone`)."""
    return calendar_data(request.user, *params.bounds())


@router.get(
    "/events",
    response={200: list[EventRowOut], **error_responses()},
    summary="List events in a range",
)
def list_events(request: HttpRequest, params: Query[RangeParams]):
    """The events the caller may see that overlap `start`–`end` (at most 100 days)."""
    return list(events_in_range(request.user, *params.bounds()))


@router.post(
    "/events",
    response={201: EventOut, **error_responses(400)},
    summary="Create an event",
)
def create_event(request: HttpRequest, response: HttpResponse, payload: EventIn):
    """The caller organises it; attendees are invited and reminded."""
    event = services.create_event(request.user, payload.model_dump(exclude_unset=True))
    return Status(201, _event_out(request, response, event))


@router.get(
    "/events/{event_id}",
    response={200: EventOut, **error_responses(404)},
    summary="Read an event",
)
def read_event(request: HttpRequest, response: HttpResponse, event_id: int = EventId):
    """The `ETag` header holds the version; send it back as `If-Match` when you change it."""
    return _event_out(request, response, _visible_event(request, event_id))


@router.patch(
    "/events/{event_id}",
    response={200: EventOut, **error_responses(400, 403, 404, 409, 412)},
    summary="Change an event",
)
def update_event(
    request: HttpRequest, response: HttpResponse, payload: EventPatch, event_id: int = EventId
):
    """Only the fields sent change (organiser and CRM admins). A stale `If-Match` answers 412."""
    event = _visible_event(request, event_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    for name in ("title", "kind", "all_day", "location", "description"):
        if data.get(name, "") is None:
            del data[name]  # null leaves these as they are: none of them may be empty
    event = services.update_event(request.user, event, data, _expected_version(request, version))
    return _event_out(request, response, event)


@router.post(
    "/events/{event_id}/move",
    response={200: EventOut, **error_responses(400, 403, 404, 409, 412)},
    summary="Move an event",
)
def move_event(
    request: HttpRequest, response: HttpResponse, payload: MoveIn, event_id: int = EventId
):
    """A new start, keeping the length unless `ends_at` is given."""
    event = _visible_event(request, event_id)
    event = services.move_event(
        request.user,
        event,
        payload.starts_at,
        payload.ends_at,
        payload.all_day,
        _expected_version(request, payload.version),
    )
    return _event_out(request, response, event)


@router.delete(
    "/events/{event_id}",
    response={204: None, **error_responses(403, 404, 409, 412)},
    summary="Delete an event",
)
def delete_event(request: HttpRequest, event_id: int = EventId):
    event = _visible_event(request, event_id)
    expected = if_match_version(request)
    if expected is not None and expected != event.version:
        raise ConflictError(event.version)
    services.delete_event(request.user, event)
    return Status(204, None)


@router.post(
    "/calendar/feed-token",
    response={201: FeedTokenOut, **error_responses()},
    summary="Make a new private calendar feed address",
)
def regenerate_feed_token(request: HttpRequest):
    """The address of the caller's iCalendar feed, shown only this once; the previous address
    stops working."""
    raw = services.regenerate_feed_token(request.user)
    url = request.build_absolute_uri(reverse("agenda:feed", args=[raw]))
    return Status(201, {"url": url})
