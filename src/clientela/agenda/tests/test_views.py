from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.agenda import services
from clientela.agenda.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(client, user):
    client.force_login(user)
    return client


def test_calendar_page_configures_the_calendar(ana):
    response = ana.get("/calendar/?view=week&date=2030-05-06")
    assert response.status_code == 200
    config = response.context["config"]
    assert config["initialView"] == "timeGridWeek" and config["initialDate"] == "2030-05-06"
    assert config["firstDay"] == 1 and config["timeZone"] == "Europe/Madrid"
    assert b"vendor/fullcalendar/index.global.min.js" in response.content


def test_calendar_in_spanish_uses_the_spanish_locale(client, make_user):
    spanish = make_user(language="es")
    client.force_login(spanish)
    response = client.get("/calendar/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.context["config"]["locale"] == "es"


def test_a_clicked_slot_prefills_the_form(ana):
    response = ana.get("/calendar/events/new/?start=2030-05-06T10:30:00")
    form = response.context["form"]
    assert form.initial["start_date"].isoformat() == "2030-05-06"
    assert (form.initial["start_time"], form.initial["end_time"]) == ("10:30", "11:30")
    assert not form.initial["all_day"]
    day = ana.get("/calendar/events/new/?start=2030-05-06&all_day=1").context["form"]
    assert day.initial["all_day"] and "start_time" not in day.initial


def test_create_edit_and_delete_through_the_pages(ana, user, contact):
    response = ana.post(
        "/calendar/events/new/",
        {
            "title": "Visit",
            "kind": "meeting",
            "start_date": "06/05/2030",
            "start_time": "10:00",
            "end_time": "11:30",
            "contacts": [contact.pk],
            "reminder": "15",
            "next": "/calendar/?view=week&date=2030-05-06",
        },
    )
    assert (
        response.status_code == 302
        and response["Location"] == "/calendar/?view=week&date=2030-05-06"
    )
    event = Event.objects.get()
    assert event.duration == timedelta(minutes=90) and list(event.contacts.all()) == [contact]
    edit = ana.get(f"/calendar/events/{event.pk}/edit/")
    assert edit.status_code == 200 and edit.context["form"].initial["version"] == 1
    stale = {
        "title": "Visit 2",
        "kind": "call",
        "start_date": "06/05/2030",
        "start_time": "10:00",
        "end_time": "10:30",
        "version": "1",
    }
    assert ana.post(f"/calendar/events/{event.pk}/edit/", stale).status_code == 302
    conflict = ana.post(f"/calendar/events/{event.pk}/edit/", {**stale, "title": "Visit 3"})
    assert conflict.status_code == 409
    assert Event.objects.get().title == "Visit 2"
    assert b"confirm-delete" in ana.get(f"/calendar/events/{event.pk}/delete/").content
    assert ana.post(f"/calendar/events/{event.pk}/delete/").status_code == 302
    assert not Event.objects.exists()


def test_form_errors_come_back_next_to_their_fields(ana):
    response = ana.post(
        "/calendar/events/new/",
        {
            "title": "x",
            "kind": "meeting",
            "start_date": "06/05/2030",
            "start_time": "10:00",
            "end_date": "06/05/2030",
            "end_time": "09:00",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["end_time"] == ["An event must end after it starts."]


def test_someone_elses_event_is_404_and_an_attendee_cannot_edit(
    client, make_user, make_event, other_user
):
    event = make_event(attendee_ids=[other_user.pk])
    client.force_login(make_user())
    for url in (
        f"/calendar/events/{event.pk}/",
        f"/calendar/events/{event.pk}/edit/",
        f"/calendar/events/{event.pk}/delete/",
    ):
        assert client.get(url).status_code == 404
    client.force_login(other_user)
    assert client.get(f"/calendar/events/{event.pk}/").status_code == 200
    assert client.get(f"/calendar/events/{event.pk}/edit/").status_code == 403


def test_event_page_hides_contacts_the_reader_cannot_see(
    client, user, other_user, contact, make_event
):
    event = make_event(attendee_ids=[other_user.pk], contact_ids=[contact.pk])
    client.force_login(other_user)
    response = client.get(f"/calendar/events/{event.pk}/")
    assert b"Carla Ruiz" not in response.content


def test_feed_settings_show_the_address_once(ana, user):
    page = ana.get("/calendar/settings/")
    assert b"You have no subscription address yet." in page.content
    made = ana.post("/calendar/settings/")
    url = made.context["feed_url"]
    assert "/calendar/feed/cal_" in url
    assert url.encode() not in ana.get("/calendar/settings/").content


def test_events_tab_lists_upcoming_and_past_in_constant_queries(
    ana, user, other_user, contact, make_event, soon
):
    def tab():
        with CaptureQueriesContext(connection) as queries:
            response = ana.get(f"/contacts/{contact.pk}/?tab=events")
        assert response.status_code == 200
        return len(queries), response

    make_event(contact_ids=[contact.pk], title="Next one")
    make_event(
        contact_ids=[contact.pk], title="Old one", starts_at=timezone.now() - timedelta(days=3)
    )
    services.create_event(other_user, {"title": "Bruno's private", "starts_at": soon})
    few, response = tab()
    assert b"Next one" in response.content and b"Old one" in response.content
    assert b"?contact=" in response.content  # "New event" is prefilled with the contact
    for day in range(1, 13):
        make_event(
            contact_ids=[contact.pk],
            starts_at=soon + timedelta(days=day),
            attendee_ids=[other_user.pk],
        )
    many, response = tab()
    assert many == few
    assert b"Next" in response.content and response.context["upcoming_events"].has_next


def test_contact_search_offers_only_visible_contacts(ana, contact, other_user):
    from clientela.contacts import services as contact_services

    contact_services.create_contact(
        other_user, {"kind": "person", "first_name": "Carla", "last_name": "Oculta"}
    )
    response = ana.get("/calendar/events/contact-search/?contact_search=carla")
    assert b"Carla Ruiz" in response.content and b"Oculta" not in response.content
