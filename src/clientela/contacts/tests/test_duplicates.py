"""The duplicate warning while a contact is entered: same email or same full name, only among
the contacts the user may see, never blocking the save."""

import pytest

from clientela.contacts import services
from clientela.contacts.duplicates import likely_duplicates

pytestmark = pytest.mark.django_db


def person(actor, first, last, email=None, access="public_read"):
    data = {"kind": "person", "first_name": first, "last_name": last, "access": access}
    if email:
        data["emails"] = [{"email": email}]
    return services.create_contact(actor, data)


def test_the_same_email_or_full_name_is_a_likely_duplicate(user):
    lucia = person(user, "Lucía", "Ortega", "lucia@aranda.example")
    person(user, "Lucía", "Ortega Sanz")  # a longer name is someone else
    company = services.create_contact(user, {"kind": "company", "company_name": "Aranda S.L."})
    assert likely_duplicates(user, emails=["LUCIA@aranda.example "]) == [lucia]
    assert likely_duplicates(user, name="lucía  ortega") == [lucia]
    assert likely_duplicates(user, name="aranda s.l.") == [company]
    assert likely_duplicates(user, name="LUCIA ORTEGA") == [lucia]
    assert likely_duplicates(user, name="ARANDA S.L.") == [company]
    assert likely_duplicates(user, name="Lucía Ortega", exclude_pk=lucia.pk) == []
    assert likely_duplicates(user, name="Lu", emails=["not-an-address"]) == []


def test_contacts_out_of_reach_are_never_suggested(user, other_user):
    person(other_user, "Marta", "Gil", "marta@example.com", access="private")
    assert likely_duplicates(user, name="Marta Gil", emails=["marta@example.com"]) == []
    assert likely_duplicates(other_user, name="Marta Gil") != []


def test_the_warning_while_typing_names_the_duplicates(client, user, other_user):
    lucia = person(user, "Lucía", "Ortega", "lucia@aranda.example")
    person(other_user, "Lucía", "Ortega", access="private")
    client.force_login(user)
    response = client.get(
        "/contacts/duplicates/",
        {"kind": "person", "first_name": "Lucía", "last_name": "ORTEGA", "emails-0-email": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="duplicate-link"') == 1
    assert f'href="/contacts/{lucia.pk}/"' in page and "lucia@aranda.example" in page
    editing = client.get(
        "/contacts/duplicates/",
        {"kind": "person", "first_name": "Lucía", "last_name": "Ortega", "exclude": lucia.pk},
    )
    assert "duplicate-link" not in editing.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"exclude": "99999999999999999999999"},
        {"exclude": "abc", "first_name": "x" * 5000},
        {"kind": "company", "company_name": "\u00e9" * 400, "emails-0-email": "a@" + "b" * 400},
        {"first_name": "Ana\x00", "last_name": "Gil", "emails-0-email": "a\x00@b.es"},
        {},
    ],
)
def test_odd_input_answers_an_empty_warning_not_an_error(client, user, params):
    client.force_login(user)
    response = client.get("/contacts/duplicates/", params)
    assert response.status_code == 200
    assert "duplicate-link" not in response.content.decode()


def test_the_warning_needs_a_login(client):
    response = client.get("/contacts/duplicates/", {"first_name": "Ana", "last_name": "Gil"})
    assert response.status_code == 302
