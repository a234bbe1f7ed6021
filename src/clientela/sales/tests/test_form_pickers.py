"""The opportunity form's contact and customer pickers with more contacts than a picker lists:
type-to-search boxes, the chosen record always kept, any visible record accepted, bad or
hidden ids refused next to the field, and a page whose queries do not grow with the contacts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.contacts import services as contact_services
from clientela.core.access import AccessLevel
from clientela.core.pickers import PICKER_LIMIT
from clientela.sales.models import Opportunity

from .conftest import make_customer_company, make_opportunity, make_person, stage_of

pytestmark = pytest.mark.django_db

OPTION = re.compile(r'<option value="(\d+)"( selected)?>([^<]*)</option>')


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def crowd(user):
    """The Zamoras, then more contacts and customers than a picker lists, all newer."""
    zamora = make_customer_company(user, name="Zamora Hermanos S.L.")
    zoe = make_person(user, first="Zoe", last="Zamora", company=zamora)
    for n in range(PICKER_LIMIT + 3):
        make_customer_company(user, name=f"Aa Company {n:02d}")
    return zoe, zamora


def select_of(page: str, name: str) -> str:
    match = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert match, f"no {name} select"
    return match.group(0)


def options(select: str) -> dict[int, str]:
    return {int(pk): label for pk, _sel, label in OPTION.findall(select)}


def selected(select: str) -> list[int]:
    return [int(pk) for pk, sel, _label in OPTION.findall(select) if sel]


def form_data(**extra):
    return {
        "title": "Solar panels",
        "amount": "4500",
        "currency": "EUR",
        "budget_type": "fixed",
        "budget_periods": "1",
        "expected_close": "2030-09-30",
        "stage": stage_of("open").pk,
        "access": "public_write",
        **extra,
    }


def test_the_form_lists_a_few_records_and_searches_for_the_rest(logged_in, crowd):
    zoe, zamora = crowd
    page = logged_in.get("/sales/new/").content.decode()
    contacts, customers = select_of(page, "contact"), select_of(page, "customer")
    assert len(options(contacts)) == len(options(customers)) == PICKER_LIMIT
    assert zoe.pk not in options(contacts) and zamora.customer.pk not in options(customers)
    assert "Type to find more…" in contacts
    assert 'placeholder="Type to search…"' in page
    assert 'hx-get="/contacts/picker-options/"' in page
    assert 'hx-get="/contacts/picker-options/?role=customer"' in page
    assert 'aria-label="Search contacts"' in page and 'aria-label="Search customers"' in page
    assert 'aria-controls="id_contact"' in page and 'hx-target="#id_customer"' in page


def test_a_contact_found_by_typing_saves_with_its_customer(logged_in, crowd):
    zoe, zamora = crowd
    response = logged_in.post("/sales/new/", form_data(contact=zoe.pk))
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/{opportunity.pk}/"
    # Left empty, the customer is the contact's company's, as before (S4.2).
    assert opportunity.contact == zoe and opportunity.customer == zamora.customer
    response = logged_in.post(
        "/sales/new/", form_data(contact=zoe.pk, customer=zamora.customer.pk, save_and_new="1")
    )
    assert response.status_code == 302 and response["Location"] == "/sales/new/"


def test_the_chosen_records_stay_selected_on_every_form(logged_in, user, crowd):
    zoe, zamora = crowd
    # Opened from the contact: the customer is prefilled and selected, though not among the first.
    page = logged_in.get(f"/sales/new/?contact={zoe.pk}").content.decode()
    assert selected(select_of(page, "customer")) == [zamora.customer.pk]
    # A form sent back with an error keeps what was picked.
    response = logged_in.post(
        "/sales/new/", form_data(title="", contact=zoe.pk, customer=zamora.customer.pk)
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert selected(select_of(page, "contact")) == [zoe.pk]
    assert selected(select_of(page, "customer")) == [zamora.customer.pk]
    # Editing: the opportunity's contact and customer.
    opportunity = make_opportunity(user, zoe)
    page = logged_in.get(f"/sales/{opportunity.pk}/edit/").content.decode()
    assert selected(select_of(page, "contact")) == [zoe.pk]
    assert options(select_of(page, "contact"))[zoe.pk] == "Zoe Zamora"
    assert selected(select_of(page, "customer")) == [zamora.customer.pk]


def test_edit_picks_another_contact_found_by_typing(logged_in, user, crowd):
    zoe, zamora = crowd
    first = make_customer_company(user, name="Aa Company 00 bis")
    opportunity = make_opportunity(user, first)
    page = logged_in.get(f"/sales/{opportunity.pk}/edit/")
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None and v != []}
    data.update(contact=zoe.pk, customer="", expected_close="2030-06-30")
    response = logged_in.post(f"/sales/{opportunity.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    opportunity.refresh_from_db()
    # The customer left empty on editing keeps the one it had.
    assert opportunity.contact == zoe and opportunity.customer == first.customer


@pytest.mark.parametrize("bad", ["hidden", "abc", "0", str(2**63), "99999999999999999999"])
def test_bad_or_hidden_ids_get_the_fields_error(logged_in, user, other_user, bad):
    mine = make_person(user, first="Carla", last="Ruiz")
    hidden = contact_services.create_customer(
        other_user,
        {"kind": "company", "company_name": "Oculta S.L.", "access": AccessLevel.PRIVATE},
    )
    contact = hidden.contact.pk if bad == "hidden" else bad
    customer = hidden.pk if bad == "hidden" else bad
    response = logged_in.post("/sales/new/", form_data(contact=contact, customer=customer))
    page = response.content.decode()
    assert response.status_code == 400 and not Opportunity.objects.exists()
    assert re.search(r'id="field-contact".*?There is no such contact\.', page, re.S)
    assert re.search(r'id="field-customer".*?There is no such customer\.', page, re.S)
    assert "Oculta" not in page
    assert re.search(r'<select name="contact" id="id_contact"[^>]* aria-invalid="true"', page)
    response = logged_in.post("/sales/new/", form_data(contact=mine.pk, customer=customer))
    assert response.status_code == 400 and "There is no such customer." in response.content.decode()
    assert not Opportunity.objects.exists()


def test_form_page_queries_do_not_grow_with_the_contacts(logged_in, user):
    def queries(url):
        logged_in.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = logged_in.get(url)
        assert response.status_code == 200
        return len(captured)

    zoe = make_person(user, first="Zoe", last="Zamora", company=make_customer_company(user))
    opportunity = make_opportunity(user, zoe)
    for n in range(PICKER_LIMIT + 3):
        make_customer_company(user, name=f"Aa Company {n:02d}")
    many = (queries("/sales/new/"), queries(f"/sales/{opportunity.pk}/edit/"))
    for n in range(PICKER_LIMIT):
        make_customer_company(user, name=f"Ab Company {n:02d}")
        make_person(user, first="Ab", last=f"Person {n:02d}")
    assert (queries("/sales/new/"), queries(f"/sales/{opportunity.pk}/edit/")) == many
