"""Shared sales test data, built through the services as users build it."""

import datetime

import pytest

from clientela.contacts import services as contact_services
from clientela.sales import services
from clientela.sales.models import LostReason, Pipeline, Stage

CLOSE = datetime.date(2030, 6, 30)


def stage_of(kind: str, pipeline: Pipeline | None = None, index: int = 0) -> Stage:
    """A stage of the default pipeline by kind (names depend on the installation language)."""
    pipeline = pipeline or Pipeline.default()
    return list(pipeline.stages.filter(kind=kind))[index]


def make_customer_company(actor, name="Acme S.L.", **extra):
    customer = contact_services.create_customer(
        actor, {"kind": "company", "company_name": name, "access": "public_write", **extra}
    )
    return customer.contact


def make_person(actor, first="Lucía", last="Martín", company=None, **extra):
    return contact_services.create_contact(
        actor,
        {
            "kind": "person",
            "first_name": first,
            "last_name": last,
            "company_id": company.pk if company else None,
            "access": "public_write",
            **extra,
        },
    )


def make_opportunity(actor, contact, **data):
    payload = {
        "title": "Website redesign",
        "contact_id": contact.pk,
        "amount": "1500.00",
        "expected_close": CLOSE,
        **data,
    }
    return services.create_opportunity(actor, payload)


@pytest.fixture
def company(user):
    return make_customer_company(user)


@pytest.fixture
def person(user, company):
    return make_person(user, company=company)


@pytest.fixture
def lost_reason(db):
    return LostReason.objects.first()
