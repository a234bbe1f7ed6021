"""A person others may see can belong to a company they may not: the company stays hidden."""

import pytest

from clientela.contacts import services
from clientela.core.access import AccessLevel
from clientela.core.testing import api_client

API = "/api/v1"


@pytest.fixture
def secret_employer(user, other_user):
    company = services.create_contact(
        other_user, {"kind": "company", "company_name": "Proyecto Secreto SA"}
    )
    employee = services.create_contact(
        other_user,
        {
            "kind": "person",
            "first_name": "Pública",
            "last_name": "Persona",
            "company_id": company.pk,
            "access": AccessLevel.PUBLIC_READ,
        },
    )
    return company, employee


def test_list_and_detail_pages_hide_a_company_out_of_reach(client, user, secret_employer):
    _company, employee = secret_employer
    client.force_login(user)
    listing = client.get("/contacts/").content.decode()
    detail = client.get(f"/contacts/{employee.pk}/").content.decode()
    assert "Pública Persona" in listing and "Pública Persona" in detail
    assert "Proyecto Secreto" not in listing and "Proyecto Secreto" not in detail


def test_api_and_export_hide_a_company_out_of_reach(user, secret_employer):
    _company, employee = secret_employer
    ana = api_client(user)
    rows = ana.get(f"{API}/contacts").json()["items"]
    assert [row["company"] for row in rows if row["id"] == employee.pk] == [None]
    assert ana.get(f"{API}/contacts/{employee.pk}").json()["company"] is None
    export = ana.get(f"{API}/contacts/export.csv")
    assert b"Proyecto Secreto" not in b"".join(export.streaming_content)


def test_the_company_shows_to_whoever_may_see_it(client, other_user, secret_employer):
    company, employee = secret_employer
    client.force_login(other_user)
    assert "Proyecto Secreto" in client.get("/contacts/").content.decode()
    row = api_client(other_user).get(f"{API}/contacts/{employee.pk}").json()
    assert row["company"] == {"id": company.pk, "display_name": "Proyecto Secreto SA"}
