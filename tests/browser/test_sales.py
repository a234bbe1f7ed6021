"""Opportunity journeys in a real Chromium: add one from a contact (prefilled, then its page
opens), change its stage from the page, mark it won, mark it lost with a reason."""

import re

import pytest
from playwright.sync_api import expect

from clientela.contacts import services as contact_services
from clientela.sales import services
from clientela.sales.models import LostReason, Opportunity, Pipeline

pytestmark = pytest.mark.django_db(transaction=True)


def _customer_with_person(user):
    company = contact_services.create_customer(
        user, {"kind": "company", "company_name": "Aranda S.L.", "access": "public_write"}
    ).contact
    person = contact_services.create_contact(
        user,
        {
            "kind": "person",
            "first_name": "Lucía",
            "last_name": "Fernández",
            "company_id": company.pk,
        },
    )
    return company, person


def _stage(kind, index=0):
    return list(Pipeline.default().stages.filter(kind=kind))[index]


def _opportunity(user, contact):
    return services.create_opportunity(
        user,
        {
            "title": "Nueva web",
            "contact_id": contact.pk,
            "amount": "3000",
            "expected_close": "2030-03-31",
        },
    )


def test_add_an_opportunity_from_a_contact_row(logged_in_page, user):
    company, person = _customer_with_person(user)
    page = logged_in_page
    page.goto("/contacts/")
    row = page.locator(f"tr[data-contact-id='{person.pk}']")
    row.locator("button[data-bs-toggle=dropdown]").click()
    row.locator("a[data-action=add-opportunity]").click()
    page.wait_for_url(re.compile(rf"/sales/new/\?contact={person.pk}$"))
    expect(page.locator("#fixed-contact")).to_have_text("Lucía Fernández")
    expect(page.locator("#id_customer")).to_have_value(str(company.customer.pk))
    page.fill("#id_title", "Reforma oficina")
    page.fill("#id_amount", "12500")
    page.fill("#id_expected_close", "2030-06-30")
    page.click("#save")
    expect(page.locator("#opportunity-title")).to_contain_text("Reforma oficina")
    opportunity = Opportunity.objects.get()
    assert page.url.endswith(f"/sales/{opportunity.pk}/")
    assert opportunity.contact == person and opportunity.customer == company.customer


def test_add_an_opportunity_from_the_contact_page_and_tab(logged_in_page, user):
    company, person = _customer_with_person(user)
    page = logged_in_page
    page.goto(f"/contacts/{company.pk}/")
    page.click("#contact-actions")
    page.click("#contact-action-add-opportunity")
    page.wait_for_url(re.compile(rf"/sales/new/\?contact={company.pk}$"))
    page.fill("#id_title", "Mantenimiento anual")
    page.fill("#id_amount", "800")
    page.select_option("#id_budget_type", "month")
    page.fill("#id_budget_periods", "12")
    page.fill("#id_expected_close", "2030-01-31")
    page.click("#save")
    expect(page.locator("#opportunity-total")).to_contain_text("9,600.00")
    page.goto(f"/contacts/{company.pk}/?tab=opportunities")
    expect(page.locator("#contact-opportunities")).to_contain_text("Mantenimiento anual")
    page.click("#tab-add-opportunity")
    page.wait_for_url(re.compile(rf"/sales/new/\?contact={company.pk}$"))


def test_change_stage_from_the_page_then_mark_won(logged_in_page, user):
    _company, person = _customer_with_person(user)
    opportunity = _opportunity(user, person)
    proposal = _stage("open", 2)
    page = logged_in_page
    page.goto(f"/sales/{opportunity.pk}/")
    page.select_option("#stage-select", str(proposal.pk))
    expect(page.locator("#opportunity-stage")).to_have_text(proposal.name)
    page.click("#mark-won")
    expect(page.locator("#status-badge")).to_be_visible()
    opportunity.refresh_from_db()
    assert opportunity.stage.kind == "won" and opportunity.closed_at is not None
    page.click("#tab-stages")
    expect(page.locator("#stage-history .stage-history-row")).to_have_count(3)


def test_mark_lost_asks_for_a_reason(logged_in_page, user):
    _company, person = _customer_with_person(user)
    opportunity = _opportunity(user, person)
    reason = LostReason.objects.first()
    page = logged_in_page
    page.goto(f"/sales/{opportunity.pk}/")
    page.click("#mark-lost")
    expect(page.locator("#lost-modal")).to_be_visible()
    page.select_option("#lost-reason", str(reason.pk))
    page.click("#confirm-lost")
    expect(page.locator("#opportunity-lost-reason")).to_contain_text(reason.name)
    opportunity.refresh_from_db()
    assert opportunity.stage.kind == "lost" and opportunity.lost_reason == reason
