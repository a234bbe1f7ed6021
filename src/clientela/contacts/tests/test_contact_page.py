"""The contact page loads its details only for the tabs that show them, and answers the
viewer's permissions in its main query: the buttons and tabs still match the access rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.contacts import services
from clientela.core.access import AccessLevel

pytestmark = pytest.mark.django_db


def person(actor, **extra):
    return services.create_contact(
        actor, {"kind": "person", "first_name": "Lucía", "last_name": "Martín", **extra}
    )


def page(client, contact, suffix=""):
    response = client.get(f"/contacts/{contact.pk}/{suffix}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("suffix", ["", "?tab=information", "?tab=timeline", "?tab=history"])
@pytest.mark.parametrize(
    "who,access,can_edit,can_delete",
    [
        ("manager", AccessLevel.PRIVATE, True, True),
        ("admin", AccessLevel.PRIVATE, True, True),
        ("reader", AccessLevel.PUBLIC_READ, False, False),
        ("reader", AccessLevel.PUBLIC_WRITE, True, False),
    ],
)
def test_buttons_follow_the_access_rules_on_every_tab(
    client, user, make_user, who, access, can_edit, can_delete, suffix
):
    contact = person(user, access=access)
    viewer = {"manager": user, "admin": make_user("admin"), "reader": make_user()}[who]
    client.force_login(viewer)
    html = page(client, contact, suffix)
    assert ('id="edit-contact"' in html) is can_edit
    assert ('id="delete-contact"' in html) is can_delete


def test_a_hidden_contact_is_404_on_every_tab(client, user, other_user):
    contact = person(user)
    client.force_login(other_user)
    for suffix in ("", "?tab=timeline", "?tab=nonsense"):
        assert client.get(f"/contacts/{contact.pk}/{suffix}").status_code == 404


def test_the_header_shows_on_a_tab_without_details(client, user, other_user):
    company = services.create_contact(user, {"kind": "company", "company_name": "Acme S.L."})
    hidden = services.create_contact(other_user, {"kind": "company", "company_name": "Secreta"})
    contact = person(user, company_id=company.pk, tags=["vip"], emails=[{"email": "l@x.es"}])
    services.make_customer(user, contact)
    client.force_login(user)
    html = page(client, contact, "?tab=timeline")
    assert "Acme S.L." in html and "vip" in html and "role-badge" in html
    assert "l@x.es" not in html  # the Information tab's, not loaded here
    other = person(other_user, access=AccessLevel.PUBLIC_READ, company_id=hidden.pk)
    assert "Secreta" not in page(client, other, "?tab=timeline")


@pytest.mark.parametrize("suffix", ["", "?tab=information", "?tab=nonsense", "?tab=addresses"])
def test_the_details_show_on_the_tabs_that_need_them(client, user, suffix):
    contact = person(
        user,
        emails=[{"email": "lucia@example.com"}],
        addresses=[{"city": "Segovia"}],
    )
    client.force_login(user)
    html = page(client, contact, suffix)
    if suffix == "?tab=addresses":
        assert "Segovia" in html
    else:
        assert "lucia@example.com" in html


def test_a_tab_without_details_costs_fewer_queries(client, user):
    contact = person(
        user, emails=[{"email": "lucia@example.com"}], phones=[{"number": "600 111 222"}]
    )
    client.force_login(user)

    def count(suffix):
        with CaptureQueriesContext(connection) as captured:
            page(client, contact, suffix)
        return len(captured)

    # The details are eight prefetches (interests, emails, phones, websites, addresses,
    # managers, shared users and teams) that the History tab does not show; the permissions
    # come with the contact's row.
    assert count("?tab=information") - count("?tab=history") >= 7
