"""On a phone (390 px wide) no page scrolls sideways as a whole: wide tables scroll inside
their own box, toolbars wrap."""

import datetime

import pytest
from django.utils import timezone

from clientela.contacts import services as contact_services
from clientela.sales import services as sales_services
from clientela.tasks import services as task_services

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/contacts/",
    "/contacts/companies/",
    "/sales/",
    "/sales/board/",
    "/sales/forecast/",
    "/tasks/",
    "/calendar/",
]


@pytest.fixture
def some_records(user):
    company = contact_services.create_customer(
        user,
        {"kind": "company", "company_name": "Construcciones Aranda S.L.", "access": "public_write"},
    ).contact
    person = contact_services.create_contact(
        user,
        {
            "kind": "person",
            "first_name": "María Lucía",
            "last_name": "Fernández de la Fuente",
            "company_id": company.pk,
            "emails": [{"email": "maria.lucia.fernandez@construcciones-aranda.example.com"}],
        },
    )
    sales_services.create_opportunity(
        user,
        {
            "title": "Renovación completa del sistema de climatización de la nave",
            "contact_id": person.pk,
            "amount": "1234567.89",
            "expected_close": "2030-03-31",
        },
    )
    task_services.create_task(
        user,
        {
            "title": "Llamar a María Lucía para confirmar el presupuesto",
            "due_at": timezone.now() + datetime.timedelta(hours=3),
        },
    )
    return person


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(logged_in_page, some_records, path):
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(path)
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        wide = page.evaluate(
            # What sticks out, to say where to look.
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        pytest.fail(f"{path} is {overflow}px wider than the phone: {wide}")
