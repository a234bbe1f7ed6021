"""The event form's contact search finds contacts as the contact list and the record pickers
do: words in the name, emails or phones, an address from its start, within the user's reach."""

import re

import pytest

from clientela.contacts import services as contact_services
from clientela.core.access import AccessLevel
from clientela.core.pickers import PICKER_LIMIT

pytestmark = pytest.mark.django_db

URL = "/calendar/events/contact-search/"


@pytest.fixture
def ana(client, user):
    client.force_login(user)
    return client


def person(actor, first, last, emails=(), access=AccessLevel.PUBLIC_READ):
    return contact_services.create_contact(
        actor,
        {
            "kind": "person",
            "first_name": first,
            "last_name": last,
            "access": access,
            "emails": [{"email": e} for e in emails],
        },
    )


def offered(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(
        r'<label class="form-check-label"[^>]*>([^<]*)</label>', response.content.decode()
    )


def test_search_by_words_and_by_email_within_reach(ana, user, other_user):
    lucia = person(user, "Lucía", "Ortega", emails=["maria.lopez@acme.es"])
    person(user, "Pedro", "Ortega")
    person(other_user, "Lucía", "Ortega", access=AccessLevel.PRIVATE)
    assert offered(ana.get(URL, {"contact_search": "ortega lucía"})) == ["Lucía Ortega"]
    assert offered(ana.get(URL, {"contact_search": "maria.lopez@"})) == ["Lucía Ortega"]
    assert offered(ana.get(URL, {"contact_search": "ortega", "contacts": [lucia.pk]})) == [
        "Pedro Ortega"  # the ticked one is already on the form
    ]
    assert offered(ana.get(URL, {"contact_search": "  "})) == []
    assert b"No contact matches." in ana.get(URL, {"contact_search": "zzqx"}).content


def test_search_is_limited_and_bad_input_is_no_error(ana, user):
    for n in range(PICKER_LIMIT + 3):
        person(user, f"Nora{n:02d}", "Vidal")
    assert len(offered(ana.get(URL, {"contact_search": "vidal"}))) == PICKER_LIMIT
    for params in (
        {"contact_search": "vidal " * 50},
        {"contact_search": "a\x00b"},
        {"contact_search": "vidal", "contacts": ["99999999999999999999999", "x"]},
    ):
        assert ana.get(URL, params).status_code == 200
