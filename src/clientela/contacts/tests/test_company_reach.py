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


@pytest.fixture
def editable_employee(other_user, secret_employer):
    """The secret company's employee, made public read/write: anyone may edit them."""
    company, employee = secret_employer
    employee = services.update_contact(
        other_user, employee, {"access": AccessLevel.PUBLIC_WRITE}, employee.version
    )
    return company, employee


def test_editing_a_person_keeps_a_company_the_editor_may_not_see(client, user, editable_employee):
    from clientela.contacts.tests.test_views import contact_form

    company, employee = editable_employee
    client.force_login(user)
    page = client.get(f"/contacts/{employee.pk}/edit/").content.decode()
    assert '<option value="0" selected>A company you cannot see (kept)</option>' in page
    assert "Proyecto Secreto" not in page
    data = contact_form(
        version=employee.version, first_name="Pública", last_name="Persona", company="0"
    )
    assert client.post(f"/contacts/{employee.pk}/edit/", data).status_code == 302
    employee.refresh_from_db()
    assert employee.company_id == company.pk
    # Choosing "No company" on purpose does take the person out of it.
    data = contact_form(
        version=employee.version, first_name="Pública", last_name="Persona", company=""
    )
    assert client.post(f"/contacts/{employee.pk}/edit/", data).status_code == 302
    employee.refresh_from_db()
    assert employee.company_id is None


def test_the_api_keeps_a_hidden_company_but_links_to_none(user, other_user, editable_employee):
    company, employee = editable_employee
    elsewhere = services.create_contact(
        other_user, {"kind": "company", "company_name": "Otra Secreta SL"}
    )
    ana = api_client(user)
    url = f"{API}/contacts/{employee.pk}"
    kept = ana.patch(
        url, {"company_id": company.pk, "position": "CFO"}, content_type="application/json"
    )
    assert kept.status_code == 200 and kept.json()["company"] is None
    moved = ana.patch(url, {"company_id": elsewhere.pk}, content_type="application/json")
    assert moved.status_code == 400 and "company_id" in moved.json()["errors"]
    employee.refresh_from_db()
    assert employee.company_id == company.pk and employee.position == "CFO"


def test_a_customer_card_does_not_name_a_primary_contact_out_of_reach(client, user, other_user):
    customer = services.create_customer(
        other_user,
        {
            "kind": "company",
            "company_name": "Cliente Público SA",
            "access": AccessLevel.PUBLIC_READ,
        },
        {"code": "C-1"},
    )
    hidden = services.create_contact(
        other_user,
        {
            "kind": "person",
            "first_name": "Persona",
            "last_name": "Oculta",
            "company_id": customer.contact_id,
        },
    )
    customer.refresh_from_db()
    assert customer.primary_contact_id == hidden.pk
    client.force_login(user)
    assert client.get(f"/contacts/{hidden.pk}/").status_code == 404
    page = client.get(f"/contacts/{customer.contact_id}/").content.decode()
    assert "Cliente Público SA" in page and "A contact you cannot see" in page
    assert "Oculta" not in page
    client.force_login(other_user)
    page = client.get(f"/contacts/{customer.contact_id}/").content.decode()
    assert f'<a href="/contacts/{hidden.pk}/">Persona Oculta</a>' in page


def test_the_history_names_a_company_only_to_whoever_may_see_it(client, user, other_user):
    """A public person moved from one private company to another: the change log keeps both
    names, and shows them only to a reader who may see each company, on the History tab,
    the timeline and the API alike."""
    first = services.create_contact(
        other_user, {"kind": "company", "company_name": "Primera Oculta SA"}
    )
    second = services.create_contact(
        other_user, {"kind": "company", "company_name": "Segunda Oculta SL"}
    )
    employee = services.create_contact(
        other_user,
        {
            "kind": "person",
            "first_name": "Pública",
            "last_name": "Movida",
            "company_id": first.pk,
            "access": AccessLevel.PUBLIC_READ,
        },
    )
    services.update_contact(other_user, employee, {"company_id": second.pk}, employee.version)
    secrets = ("Primera Oculta", "Segunda Oculta")

    client.force_login(user)
    pages = [
        client.get(f"/contacts/{employee.pk}/", {"tab": "history"}).content.decode(),
        client.get(
            f"/contacts/{employee.pk}/", {"tab": "timeline", "kind": "change"}
        ).content.decode(),
    ]
    ana = api_client(user)
    apis = [
        ana.get(f"{API}/contacts/{employee.pk}/history").content.decode(),
        ana.get(f"{API}/timeline/contact/{employee.pk}").content.decode(),
    ]
    for text in (*pages, *apis):
        assert not any(secret in text for secret in secrets)
    assert ["a contact out of your reach" in text for text in (*pages, *apis)] == [True] * 4

    client.force_login(other_user)
    history = client.get(f"/contacts/{employee.pk}/", {"tab": "history"}).content.decode()
    assert all(secret in history for secret in secrets)
    changes = api_client(other_user).get(f"{API}/contacts/{employee.pk}/history").json()
    moved = [c for entry in changes["items"] for c in entry["changes"] if c["field"] == "company"]
    assert moved == [
        {"field": "company", "before": "Primera Oculta SA", "after": "Segunda Oculta SL"},
        {"field": "company", "before": None, "after": "Primera Oculta SA"},
    ]
