"""Calendar pages. Thin: read through queries.py and the access point, write through services.

An event the user may not see answers 404, exactly like one that does not exist. The calendar
itself is FullCalendar fed by the API (`/api/v1/calendar`); moving an event by dragging calls
the API's move endpoint."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date, url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clientela.activities.targets import ACTIVITY_TARGETS
from clientela.core.access import Action, can
from clientela.core.errors import ConflictError, validation_messages
from clientela.core.pagination import paginate
from clientela.core.pickers import as_id

from . import services
from .feed import build_feed, feed_fingerprint
from .forms import EventForm, contact_options
from .models import CalendarFeed, Event
from .queries import event_detail as load_event
from .queries import events_of_record, upcoming_and_past

CALENDAR_VIEWS = {"month": "dayGridMonth", "week": "timeGridWeek", "day": "timeGridDay"}


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _visible_event(request, pk) -> Event:
    try:
        return load_event(request.user, pk)
    except Event.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_GET
def calendar(request):
    view = request.GET.get("view") if request.GET.get("view") in CALENDAR_VIEWS else "month"
    date = (request.GET.get("date") or "")[:10]
    language = get_language() or settings.LANGUAGE_CODE
    config = {
        "initialView": CALENDAR_VIEWS[view],
        "initialDate": date if len(date) == 10 and date[4] == "-" else None,
        "locale": "es" if language.startswith("es") else "en-gb",
        "firstDay": 1,
        "timeZone": timezone.get_current_timezone_name(),
        "dataUrl": reverse("api:calendar"),
        "moveUrl": reverse("api:move_event", args=[0]),
        "createUrl": reverse("agenda:create"),
        "calendarUrl": reverse("agenda:calendar"),
        "views": {value: key for key, value in CALENDAR_VIEWS.items()},
        "texts": {
            "moved": _("The event was moved."),
            "refused": _("The event could not be moved."),
            "deadline": _("Task due"),
            "loadFailed": _("The calendar could not be loaded. Reload the page to try again."),
        },
    }
    return render(request, "agenda/calendar.html", {"config": config, "active_section": "calendar"})


@login_required
@require_GET
def event_detail(request, pk):
    event = _visible_event(request, pk)
    return render(
        request,
        "agenda/detail.html",
        {
            "event": event,
            "can_change": can(request.user, Action.CHANGE, event),
            "active_section": "calendar",
        },
    )


def _form_page(request, form, title, event=None, status=200):
    target = None
    if form.initial.get("target_type") or form.data.get("target_type"):
        target = _form_target(request, form)
    return render(
        request,
        "agenda/form.html",
        {
            "form": form,
            "title": title,
            "event": event,
            "chosen_contacts": form.chosen_contacts(),
            "target": target,
            "next": _safe_next(request, ""),
            "active_section": "calendar",
        },
        status=status,
    )


def _form_target(request, form):
    """The linked record named by the form, if the user may see it (shown, not editable)."""
    key = form.data.get("target_type") if form.is_bound else form.initial.get("target_type")
    pk = form.data.get("target_id") if form.is_bound else form.initial.get("target_id")
    model = ACTIVITY_TARGETS.get(key or "")
    if model is None or not str(pk or "").isdigit():
        return None
    return model.objects.visible_to(request.user).filter(pk=int(pk)).first()


def _save(request, form, save):
    """Run `save` with the form's data; put the services' errors back on the form."""
    try:
        return save(form.service_data()), 200
    except ValidationError as exc:
        form.add_service_errors(validation_messages(exc))
        return None, 400
    except ConflictError as exc:
        form.add_error(None, str(exc))
        return None, 409


@login_required
def event_create(request):
    title = _("New event")
    if request.method != "POST":
        form = EventForm(request.user, initial=EventForm.initial_from_slot(request.GET))
        return _form_page(request, form, title)
    form = EventForm(request.user, request.POST)
    status = 400
    if form.is_valid():
        event, status = _save(request, form, lambda data: services.create_event(request.user, data))
        if event is not None:
            messages.success(request, _("“%(title)s” was created.") % {"title": event.title})
            return redirect(_safe_next(request, event.get_absolute_url()))
    return _form_page(request, form, title, status=status)


@login_required
def event_edit(request, pk):
    event = _visible_event(request, pk)
    if not can(request.user, Action.CHANGE, event):
        raise PermissionDenied(_("Only the organiser can change this event."))
    title = _("Edit “%(title)s”") % {"title": event.title}
    if request.method != "POST":
        form = EventForm(
            request.user, initial=EventForm.initial_for(event), organiser=event.organiser
        )
        return _form_page(request, form, title, event)
    form = EventForm(request.user, request.POST, organiser=event.organiser)
    status = 400
    if form.is_valid():
        version = form.cleaned_data.get("version")
        saved, status = _save(
            request,
            form,
            lambda data: services.update_event(request.user, event, data, version),
        )
        if saved is not None:
            messages.success(request, _("“%(title)s” was saved.") % {"title": saved.title})
            return redirect(_safe_next(request, saved.get_absolute_url()))
    return _form_page(request, form, title, event, status=status)


@login_required
def event_delete(request, pk):
    event = _visible_event(request, pk)
    if not can(request.user, Action.DELETE, event):
        raise PermissionDenied(_("Only the organiser can delete this event."))
    if request.method == "POST":
        services.delete_event(request.user, event)
        messages.success(request, _("“%(title)s” was deleted.") % {"title": event.title})
        return redirect(_safe_next(request, reverse("agenda:calendar")))
    return render(
        request,
        "agenda/delete.html",
        {"event": event, "next": _safe_next(request, ""), "active_section": "calendar"},
    )


@login_required
@require_GET
def contact_search(request):
    """Contacts matching what the user typed in the event form (htmx)."""
    exclude = [pk for v in request.GET.getlist("contacts") if (pk := as_id(v)) is not None]
    return render(
        request,
        "agenda/_contact_options.html",
        {"options": contact_options(request.user, request.GET.get("contact_search", ""), exclude)},
    )


# --- the private iCalendar feed ---------------------------------------------------------------


@login_required
def feed_settings(request):
    """The user's calendar subscription: made or made anew on request, shown only then."""
    feed_url = None
    if request.method == "POST":
        raw = services.regenerate_feed_token(request.user)
        feed_url = request.build_absolute_uri(reverse("agenda:feed", args=[raw]))
        messages.success(
            request, _("Your new calendar address is ready; the old one no longer works.")
        )
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(
        request,
        "agenda/feed_settings.html",
        {"feed": feed, "feed_url": feed_url, "active_section": "calendar"},
    )


@require_GET
def feed(request, token):
    """The feed a calendar application subscribes to: no session, the secret is the key."""
    user = services.user_for_feed_token(token)
    if user is None:
        raise Http404
    etag, last_modified = feed_fingerprint(user)
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(build_feed(user), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="clientela.ics"'
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = "private, max-age=900"
    return response


# --- the Events tab of a contact (and of any other activity target) -------------------------

TAB_PAGE_SIZE = 10


def _offset(request, name: str) -> int:
    try:
        return max(int(request.GET.get(name) or 0), 0)
    except ValueError:
        return 0


def record_events_context(request, record) -> dict:
    upcoming, past = upcoming_and_past(events_of_record(request.user, record))
    key = record._meta.model_name
    params = (
        {"contact": record.pk} if key == "contact" else {"target_type": key, "target_id": record.pk}
    )
    params["next"] = f"{record.get_absolute_url()}?tab=events"
    return {
        "upcoming_events": paginate(upcoming, _offset(request, "upcoming"), TAB_PAGE_SIZE, False),
        "past_events": paginate(past, _offset(request, "past"), TAB_PAGE_SIZE, False),
        "new_event_url": f"{reverse('agenda:create')}?{urlencode(params)}",
        "events_record": record,
    }
