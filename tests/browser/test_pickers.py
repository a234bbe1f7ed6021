"""Type-to-search pickers in a real Chromium: on the opportunity form, a contact and a customer
that the first options do not show are found by typing, chosen with the keyboard, and saved;
what was chosen stays chosen while the user searches again; labels in the user's language."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from clientela.contacts import services as contact_services
from clientela.core.access import AccessLevel
from clientela.core.pickers import PICKER_LIMIT
from clientela.sales.models import Opportunity

pytestmark = pytest.mark.django_db(transaction=True)


def _crowd(user):
    """The Zamoras, then more customers than a picker lists, all newer."""
    zamora = contact_services.create_customer(
        user, {"kind": "company", "company_name": "Zamora Hermanos S.L.", "access": "public_read"}
    ).contact
    zoe = contact_services.create_contact(
        user,
        {
            "kind": "person",
            "first_name": "Zoe",
            "last_name": "Zamora",
            "company_id": zamora.pk,
            "emails": [{"email": "zoe@zamora.es"}],
        },
    )
    for n in range(PICKER_LIMIT + 2):
        contact_services.create_customer(
            user,
            {"kind": "company", "company_name": f"Aa Company {n:02d}", "access": "public_read"},
        )
    return zoe, zamora


def _fill_the_rest(page):
    page.fill("#id_title", "Reforma oficina")
    page.fill("#id_amount", "12500")
    page.fill("#id_expected_close", "2030-06-30")


def test_find_a_contact_and_a_customer_by_typing_and_save(logged_in_page, user, other_user):
    zoe, zamora = _crowd(user)
    contact_services.create_contact(
        other_user,
        {
            "kind": "person",
            "first_name": "Zoe",
            "last_name": "Oculta",
            "access": AccessLevel.PRIVATE,
        },
    )
    page = logged_in_page
    page.goto("/sales/new/")
    contact = page.locator("#id_contact")
    expect(contact.locator(f"option[value='{zoe.pk}']")).to_have_count(0)
    expect(page.locator("#id_contact-search")).to_have_attribute("placeholder", "Type to search…")

    page.locator("#id_contact-search").press_sequentially("zoe", delay=30)
    expect(contact.locator(f"option[value='{zoe.pk}']")).to_have_text("Zoe Zamora")
    expect(page.locator("#id_contact-status")).to_have_text("1 match")
    expect(contact).not_to_contain_text("Oculta")
    # Enter moves to the list (it does not send the form); the arrow keys choose.
    page.locator("#id_contact-search").press("Enter")
    expect(contact).to_be_focused()
    assert page.url.endswith("/sales/new/")
    contact.select_option(str(zoe.pk))

    # Searching again keeps the contact chosen, even when it no longer matches.
    page.locator("#id_contact-search").fill("zzqx")
    expect(page.locator("#id_contact-status")).to_have_text("No matches")
    expect(contact).to_have_value(str(zoe.pk))
    expect(contact.locator("option[disabled]")).to_have_text("No matches")

    customer = page.locator("#id_customer")
    page.locator("#id_customer-search").press_sequentially("hermanos", delay=30)
    expect(customer.locator(f"option[value='{zamora.customer.pk}']")).to_have_count(1)
    customer.select_option(str(zamora.customer.pk))
    _fill_the_rest(page)
    page.click("#save")
    expect(page.locator("#opportunity-title")).to_contain_text("Reforma oficina")
    opportunity = Opportunity.objects.get()
    assert page.url.endswith(f"/sales/{opportunity.pk}/")
    assert opportunity.contact == zoe and opportunity.customer == zamora.customer


def test_an_email_finds_the_contact_and_save_and_create_new_starts_afresh(logged_in_page, user):
    zoe, zamora = _crowd(user)
    page = logged_in_page
    page.goto("/sales/new/")
    page.locator("#id_contact-search").fill("zoe@zamora")
    expect(page.locator(f"#id_contact option[value='{zoe.pk}']")).to_have_count(1)
    page.select_option("#id_contact", str(zoe.pk))
    _fill_the_rest(page)
    page.click("#save-and-new")
    page.wait_for_url(re.compile(r"/sales/new/$"))
    expect(page.locator("#id_contact")).to_have_value("")
    opportunity = Opportunity.objects.get()
    # Left empty, the customer came from the contact's company (S4.2).
    assert opportunity.contact == zoe and opportunity.customer == zamora.customer
    page.locator("#id_contact-search").fill("many")
    expect(page.locator("#id_contact-status")).to_have_text("No matches")


def test_edit_shows_the_current_records_in_the_users_language(new_page, make_user):
    spanish = make_user(language="es")
    zoe, zamora = _crowd(spanish)
    from clientela.sales import services

    opportunity = services.create_opportunity(
        spanish,
        {"title": "Web", "contact_id": zoe.pk, "amount": "10", "expected_close": "2030-03-31"},
    )
    page = new_page(spanish, language="es")
    page.goto(f"/sales/{opportunity.pk}/edit/")
    expect(page.locator("#id_contact")).to_have_value(str(zoe.pk))
    expect(page.locator("#id_customer")).to_have_value(str(zamora.customer.pk))
    # The texts in Spanish, as the catalogue has them.
    with translation.override("es"):
        placeholder, no_matches = gettext("Type to search…"), gettext("No matches")
        more = gettext("More than %(count)d matches: keep typing to narrow them.") % {
            "count": PICKER_LIMIT
        }
    search = page.locator("#id_customer-search")
    expect(search).to_have_attribute("placeholder", placeholder)
    search.fill("aa company")
    expect(page.locator("#id_customer-status")).to_have_text(more)
    expect(page.locator("#id_customer")).to_have_value(str(zamora.customer.pk))
    search.fill("zzqx")
    expect(page.locator("#id_customer-status")).to_have_text(no_matches)
    page.click("#save")
    expect(page.locator("#opportunity-title")).to_contain_text("Web")
    opportunity.refresh_from_db()
    assert opportunity.contact == zoe and opportunity.customer == zamora.customer
