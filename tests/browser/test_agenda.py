"""The calendar in a real Chromium: create by clicking a slot, move by dragging (and a stale
move snapping back)."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clientela.agenda import services
from clientela.agenda.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def drag(page, source, target):
    """Drag with real pointer moves, as FullCalendar needs a few before it starts dragging."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(
        start["x"] + start["width"] / 2 + 5, start["y"] + start["height"] / 2 + 5, steps=3
    )
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=15)
    page.mouse.up()


def test_click_a_day_to_create_an_all_day_event(logged_in_page, user):
    page = logged_in_page
    page.goto("/calendar/?view=month&date=2030-05-06")
    page.locator('td.fc-daygrid-day[data-date="2030-05-15"] .fc-daygrid-day-frame').click()
    page.wait_for_url(re.compile(r"/calendar/events/new/\?start=2030-05-15"))
    expect(page.locator("#id_all_day")).to_be_checked()
    expect(page.locator("#id_start_date")).to_have_value("2030-05-15")
    page.fill("#id_title", "Trade fair")
    page.click("#save-event")
    page.wait_for_url(re.compile(r"/calendar/\?view=month&date=2030-05"))
    expect(page.locator(".fc-event", has_text="Trade fair")).to_be_visible()
    event = Event.objects.get()
    assert event.all_day and event.start_date.isoformat() == "2030-05-15"
    assert event.organiser == user


def test_click_a_time_slot_in_the_week_to_create_a_timed_event(logged_in_page):
    page = logged_in_page
    page.goto("/calendar/?view=week&date=2030-05-06")
    column = page.locator('th.fc-col-header-cell[data-date="2030-05-08"]').bounding_box()
    slot = page.locator('td.fc-timegrid-slot-lane[data-time="10:00:00"]').bounding_box()
    page.mouse.click(column["x"] + column["width"] / 2, slot["y"] + slot["height"] / 2)
    page.wait_for_url(re.compile(r"/calendar/events/new/\?start=2030-05-08T10%3A00"))
    expect(page.locator("#id_all_day")).not_to_be_checked()
    expect(page.locator("#id_start_time")).to_have_value("10:00")
    expect(page.locator("#id_end_time")).to_have_value("11:00")
    page.fill("#id_title", "Call with Acme")
    page.select_option("#id_kind", "call")
    page.click("#save-event")
    page.wait_for_url(re.compile(r"/calendar/\?view=week"))
    expect(page.locator(".fc-event", has_text="Call with Acme")).to_be_visible()
    event = Event.objects.get()
    assert event.starts_at == local(2030, 5, 8, 10, 0)
    assert event.ends_at == local(2030, 5, 8, 11, 0)


def test_drag_an_event_to_another_day(logged_in_page, user):
    event = services.create_event(
        user,
        {
            "title": "Planning",
            "starts_at": local(2030, 5, 8, 10, 0),
            "ends_at": local(2030, 5, 8, 11, 30),
        },
    )
    page = logged_in_page
    page.goto("/calendar/?view=month&date=2030-05-06")
    source = page.locator(".fc-event", has_text="Planning")
    expect(source).to_be_visible()
    drag(
        page,
        source,
        page.locator('td.fc-daygrid-day[data-date="2030-05-22"] .fc-daygrid-day-frame'),
    )
    expect(page.locator("#calendar-message")).to_contain_text("The event was moved.")
    event.refresh_from_db()
    assert event.starts_at == local(2030, 5, 22, 10, 0)
    assert event.duration == timedelta(minutes=90)
    page.reload()
    expect(
        page.locator('td.fc-daygrid-day[data-date="2030-05-22"] .fc-event', has_text="Planning")
    ).to_be_visible()


def test_a_stale_move_snaps_back_with_a_message(logged_in_page, user):
    event = services.create_event(user, {"title": "Review", "starts_at": local(2030, 5, 8, 10, 0)})
    page = logged_in_page
    page.goto("/calendar/?view=month&date=2030-05-06")
    expect(page.locator(".fc-event", has_text="Review")).to_be_visible()
    services.update_event(user, event, {"location": "Room 2"})  # someone changes it meanwhile
    drag(
        page,
        page.locator(".fc-event", has_text="Review"),
        page.locator('td.fc-daygrid-day[data-date="2030-05-20"] .fc-daygrid-day-frame'),
    )
    expect(page.locator("#calendar-message")).to_contain_text("The event could not be moved.")
    expect(
        page.locator('td.fc-daygrid-day[data-date="2030-05-08"] .fc-event', has_text="Review")
    ).to_be_visible()
    event.refresh_from_db()
    assert event.starts_at == local(2030, 5, 8, 10, 0)
