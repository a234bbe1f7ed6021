"""Schemathesis against the app's own OpenAPI schema: no input gives a 5xx, and every answer
matches what the schema documents (status, content type, body).

It runs in process (WSGI) with the Bearer token of an admin who manages real data, and points
generated ids at existing records part of the time so that the happy paths run too."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clientela.contacts import services
from clientela.contacts.models import ContactType, Interest, Source, Temperature
from clientela.core import services as platform_services
from clientela.core.access import AccessLevel
from clientela.core.testing import ApiClient

# The coverage phase (every boundary value of every parameter) takes minutes on this schema;
# examples and fuzzing, positive and negative, keep the run under a minute.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, which closes database connections when a
    request ends; the test's transaction must survive them (Django's test client does this)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(make_user):
    """An admin with a token who manages people, companies, a customer and a supplier."""
    admin = make_user("admin", first_name="Sara", last_name="Schema")
    colleague = make_user("user", first_name="Colin", last_name="League")
    ctype = platform_services.save_list_item(admin, ContactType, None, {"name": "Partner"})
    platform_services.save_list_item(admin, Temperature, None, {"name": "Hot", "color": "#ff0000"})
    platform_services.save_list_item(admin, Source, None, {"name": "Fair"})
    platform_services.save_list_item(admin, Interest, None, {"name": "Consulting"})
    acme = services.create_contact(
        admin,
        {
            "kind": "company",
            "company_name": "Acme",
            "tags": ["vip"],
            "contact_type_id": ctype.pk,
            "addresses": [{"street": "Gran Vía 1", "city": "Madrid"}],
        },
    )
    people = [
        services.create_contact(
            admin,
            {
                "kind": "person",
                "first_name": f"Person{i}",
                "last_name": "Schema",
                "company_id": acme.pk,
                "emails": [{"email": f"p{i}@example.com"}],
                "manager_ids": [admin.pk, colleague.pk],
                "access": AccessLevel.PUBLIC_READ,
                "is_lead": i == 0,
            },
        )
        for i in range(3)
    ]
    services.make_customer(admin, acme, {"tax_id": "B1"})
    services.make_supplier(admin, people[1])
    client = ApiClient(admin)
    return {
        "headers": client.headers,
        "contact_ids": [acme.pk, *[p.pk for p in people]],
        "item_ids": [ctype.pk],
    }


def _aim_at_real_records(case, world):
    """Point about half the generated ids at records that exist."""
    for name, real in (("contact_id", world["contact_ids"]), ("item_id", world["item_ids"])):
        value = (case.path_parameters or {}).get(name)
        if isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = real[value // 2 % len(real)]


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_conforms_to_its_schema(case, world):
    _aim_at_real_records(case, world)
    case.call_and_validate(headers=world["headers"], checks=CHECKS)
