"""Tasks at a glance: the sections by deadline, around midnight and the week's end in the
organisation's time zone (settings.TIME_ZONE, Europe/Madrid by default), not UTC."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from clientela.tasks import services
from clientela.tasks.filters import DueWindows, TaskFilter
from clientela.tasks.queries import task_list

pytestmark = pytest.mark.django_db


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def _timed(user, title, due):
    return services.create_task(user, {"title": title, "due_at": due, "reminder": "never"})


def _all_day(user, title, day):
    return services.create_task(
        user, {"title": title, "due_at": day, "all_day": True, "reminder": "never"}
    )


def _sections(user, now) -> dict[str, set[str]]:
    windows = DueWindows.at(now)
    return {
        bucket: {t.title for t in task_list(user, TaskFilter(due=bucket, scope="mine"), windows)}
        for bucket in ("overdue", "today", "week", "later")
    }


def test_the_time_zone_is_madrid(settings):
    assert settings.TIME_ZONE == "Europe/Madrid"
    assert str(timezone.get_current_timezone()) == "Europe/Madrid"


def test_sections_just_before_and_just_after_local_midnight(user):
    # Monday 10 March 2031 (Madrid is UTC+1): 23:30 local is 22:30 UTC, still "today" there.
    _timed(user, "at 23:00", local(2031, 3, 10, 23, 0))
    _timed(user, "at 23:45", local(2031, 3, 10, 23, 45))
    _timed(user, "tomorrow 00:15", local(2031, 3, 11, 0, 15))
    _all_day(user, "all Monday", date(2031, 3, 10))
    _all_day(user, "all Sunday before", date(2031, 3, 9))
    before = _sections(user, local(2031, 3, 10, 23, 30))
    assert before["overdue"] == {"at 23:00", "all Sunday before"}
    assert before["today"] == {"at 23:45", "all Monday"}
    assert before["week"] == {"tomorrow 00:15"}
    # Ten minutes past midnight local (23:10 UTC: still Monday in UTC), it is Tuesday.
    after = _sections(user, local(2031, 3, 11, 0, 10))
    assert after["overdue"] == {"at 23:00", "at 23:45", "all Monday", "all Sunday before"}
    assert after["today"] == {"tomorrow 00:15"}
    assert after["week"] == set()


def test_the_week_ends_on_sunday_night(user):
    _timed(user, "Sunday 23:59", local(2031, 3, 16, 23, 59))
    _all_day(user, "all Sunday", date(2031, 3, 16))
    _timed(user, "Monday 00:00", local(2031, 3, 17, 0, 0))
    sections = _sections(user, local(2031, 3, 12, 12, 0))  # a Wednesday
    assert sections["week"] == {"Sunday 23:59", "all Sunday"}
    assert sections["later"] == {"Monday 00:00"}


def test_bucket_of_agrees_with_the_query(user):
    now = local(2031, 3, 10, 23, 30)
    windows = DueWindows.at(now)
    tasks = [
        _timed(user, "a", local(2031, 3, 10, 23, 0)),
        _timed(user, "b", local(2031, 3, 10, 23, 45)),
        _all_day(user, "c", date(2031, 3, 10)),
        _timed(user, "d", local(2031, 3, 13, 9, 0)),
        _timed(user, "e", local(2031, 4, 1, 9, 0)),
    ]
    by_query = _sections(user, now)
    for task in tasks:
        assert task.title in by_query[windows.bucket_of(task)]


def test_a_closed_task_is_never_overdue(user):
    task = _timed(user, "done", local(2031, 3, 10, 9, 0))
    services.close_task(user, task)
    windows = DueWindows.at(local(2031, 3, 11, 9, 0))
    assert not task_list(user, TaskFilter(due="overdue", status="all"), windows).exists()


def test_windows_span_a_daylight_saving_change():
    # Sunday 30 March 2031: clocks go forward in Madrid; the day is 23 hours long.
    windows = DueWindows.at(local(2031, 3, 30, 12, 0))
    # (Subtracting in one zone compares wall clocks; the instants are what the queries use.)
    elapsed = windows.tomorrow.astimezone(UTC) - windows.today.astimezone(UTC)
    assert elapsed == timedelta(hours=23)
    assert timezone.localtime(windows.week_end).date() == date(2031, 3, 31)
