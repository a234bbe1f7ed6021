from datetime import timedelta

import pytest
from icalendar import Calendar

from clientela.agenda import services

pytestmark = pytest.mark.django_db


def read_feed(client, url, **headers):
    response = client.get(url, headers=headers)
    return response, (Calendar.from_ical(response.content) if response.status_code == 200 else None)


def feed_url(raw: str) -> str:
    return f"/calendar/feed/{raw}.ics"


def test_feed_lists_the_users_events_with_times_and_zone(
    client, user, other_user, make_event, soon
):
    make_event(title="Timed", location="Sala 1", attendee_ids=[other_user.pk])
    services.create_event(
        user,
        {
            "title": "Fair",
            "all_day": True,
            "start_date": soon.date(),
            "end_date": soon.date() + timedelta(days=1),
        },
    )
    services.create_event(other_user, {"title": "Not for Ana", "starts_at": soon})
    raw = services.regenerate_feed_token(user)
    client.logout()  # a calendar application has no session
    response, calendar = read_feed(client, feed_url(raw))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Timed", "Fair"}
    timed = events["Timed"]
    start = timed.decoded("dtstart")
    assert start == soon and start.tzinfo.key == "Europe/Madrid"
    assert timed.decoded("dtend") == soon + timedelta(hours=1)
    assert str(timed["location"]) == "Sala 1"
    assert str(timed["organizer"]) == f"mailto:{user.email}"
    assert str(timed["attendee"]) == f"mailto:{other_user.email}"
    fair = events["Fair"]
    assert fair.decoded("dtstart") == soon.date()
    assert fair.decoded("dtend") == soon.date() + timedelta(days=2)
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]


def test_bad_and_retired_tokens_are_404(client, user, make_event):
    make_event()
    assert client.get(feed_url("cal_nonsense")).status_code == 404
    first = services.regenerate_feed_token(user)
    assert client.get(feed_url(first)).status_code == 200
    second = services.regenerate_feed_token(user)
    assert client.get(feed_url(first)).status_code == 404
    assert client.get(feed_url(second)).status_code == 200


def test_unchanged_feed_answers_304_and_a_change_a_new_body(client, user, make_event, soon):
    event = make_event()
    raw = services.regenerate_feed_token(user)
    first = client.get(feed_url(raw))
    etag = first["ETag"]
    assert first["Last-Modified"]
    again = client.get(feed_url(raw), headers={"If-None-Match": etag})
    assert again.status_code == 304
    services.move_event(user, event, soon + timedelta(days=1))
    changed, calendar = read_feed(client, feed_url(raw), **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    [item] = calendar.walk("VEVENT")
    assert item.decoded("dtstart") == soon + timedelta(days=1)


def test_deactivated_users_feed_is_gone(client, user, make_user):
    from clientela.accounts.services import deactivate_user

    raw = services.regenerate_feed_token(user)
    deactivate_user(make_user("admin"), user)
    assert client.get(feed_url(raw)).status_code == 404
