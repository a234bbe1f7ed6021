"""The CSV export of opportunities, from the list page and the API: only what the user may see,
filtered and sorted as the list, contacts and customers out of reach left empty, cells that a
spreadsheet will not run, machine-readable values, and a query count that does not grow."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.accounts.services import create_api_token
from clientela.contacts import services as contact_services
from clientela.core.testing import ApiClient
from clientela.sales import services
from clientela.sales.models import LeadSource, Opportunity

from .conftest import make_customer_company, make_opportunity, make_person, stage_of

pytestmark = pytest.mark.django_db

API_EXPORT = "/api/v1/opportunities/export.csv"
HEADER = [
    "Id",
    "Title",
    "Contact",
    "Customer",
    "Pipeline",
    "Stage",
    "Status",
    "Amount",
    "Currency",
    "Budget type",
    "Number of periods",
    "Total",
    "Probability (%)",
    "Weighted total",
    "Expected close",
    "Closed on",
    "Responsible",
    "Lead source",
    "Lost reason",
    "Tags",
    "Created",
]


def body_of(response) -> bytes:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="opportunities-')
    return b"".join(response.streaming_content)


def rows_of(response) -> list[dict]:
    """The data rows as dicts keyed by the (English) header, which must be the whole header."""
    body = body_of(response)
    assert body.startswith("\ufeff".encode())
    header, *rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in rows]


def ids_of(response) -> list[int]:
    return [int(row["Id"]) for row in rows_of(response)]


def english(user=None) -> ApiClient:
    """An API client for `user` that asks for English, as the assertions are in English (the
    API speaks the language the request asks for)."""
    client = ApiClient(user)
    client.headers["Accept-Language"] = "en"
    return client


@pytest.fixture
def api(user):
    return english(user)


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_a_row_holds_every_column_machine_readable(api, user, person, company, lost_reason):
    source = LeadSource.objects.first()
    opportunity = make_opportunity(
        user,
        person,
        title="Mantenimiento anual",
        amount="1234.50",
        budget_type="month",
        budget_periods=12,
        probability=35,
        expected_close=datetime.date(2030, 3, 31),
        lead_source_id=source.pk,
        tags=["vip", "renewal"],
    )
    services.change_stage(user, opportunity, stage_of("lost"), lost_reason=lost_reason)
    opportunity.refresh_from_db()
    [row] = rows_of(api.get(API_EXPORT))
    assert row == {
        "Id": str(opportunity.pk),
        "Title": "Mantenimiento anual",
        "Contact": "Lucía Martín",
        "Customer": "Acme S.L.",
        "Pipeline": opportunity.pipeline.name,
        "Stage": stage_of("lost").name,
        "Status": "Lost",
        "Amount": "1234.50",
        "Currency": "EUR",
        "Budget type": "Per month",
        "Number of periods": "12",
        "Total": "14814.00",
        "Probability (%)": str(opportunity.probability),
        "Weighted total": str(opportunity.weighted_total),
        "Expected close": "2030-03-31",
        "Closed on": opportunity.closed_at.isoformat(),
        "Responsible": "Ana García",
        "Lead source": source.name,
        "Lost reason": lost_reason.name,
        "Tags": "renewal, vip",
        "Created": timezone.localdate(opportunity.created_at).isoformat(),
    }


def test_weighted_total_and_empty_values(api, user, company):
    opportunity = make_opportunity(user, company, amount="1000", probability=35)
    services.update_opportunity(user, opportunity, {"responsible_id": None})
    [row] = rows_of(api.get(API_EXPORT))
    assert row["Weighted total"] == "350.00" and row["Probability (%)"] == "35"
    assert row["Status"] == "Open" and row["Budget type"] == "Fixed price"
    assert row["Number of periods"] == "1" and row["Total"] == "1000.00"
    assert row["Closed on"] == row["Responsible"] == row["Lead source"] == ""
    assert row["Lost reason"] == row["Tags"] == ""
    assert Decimal(row["Weighted total"]) == Opportunity.objects.get().weighted_total


def test_each_user_exports_what_they_may_see(user, other_user, admin_user, company):
    mine = make_opportunity(user, company, title="Mine", access="private")
    public = make_opportunity(other_user, company, title="Theirs, public", access="public_read")
    theirs = make_opportunity(other_user, company, title="Theirs, private", access="private")
    shared = make_opportunity(
        other_user, company, title="Shared", access="private", shared_user_ids=[user.pk]
    )
    assert set(ids_of(english(user).get(API_EXPORT))) == {mine.pk, public.pk, shared.pk}
    assert set(ids_of(english(admin_user).get(API_EXPORT))) == {
        mine.pk,
        public.pk,
        theirs.pk,
        shared.pk,
    }
    # What the export holds is exactly what the list holds.
    listed = ApiClient(other_user).get("/api/v1/opportunities", {"limit": 200}).json()["items"]
    assert ids_of(english(other_user).get(API_EXPORT)) == [o["id"] for o in listed]


def test_filters_and_order_are_the_lists(api, user, person, company):
    cheap = make_opportunity(user, person, title="Cheap roof", amount="100", tags=["roof"])
    dear = make_opportunity(
        user, company, title="Dear roof", amount="9000", expected_close="2031-01-01"
    )
    other = make_opportunity(user, company, title="Windows", amount="500")
    services.change_stage(user, dear, stage_of("won"))
    tag = cheap.tags.get()

    def ids(**params):
        return ids_of(api.get(API_EXPORT, params))

    assert ids(status="won") == [dear.pk]
    assert ids(amount_min="1000") == [dear.pk]
    assert ids(q="roof", ordering="title") == [cheap.pk, dear.pk]
    assert ids(q="roof", ordering="-title") == [dear.pk, cheap.pk]
    assert ids(close_to="2030-12-31", ordering="amount") == [cheap.pk, other.pk]
    assert ids(contact=person.pk) == [cheap.pk]
    assert ids(tag=tag.pk) == [cheap.pk]
    assert ids(ordering="-amount") == [dear.pk, other.pk, cheap.pk]
    for params in ({"status": "maybe"}, {"amount_min": "lots"}, {"ordering": "nope"}):
        assert api.get(API_EXPORT, params).status_code == 422, params


def test_a_contact_or_customer_out_of_reach_comes_out_empty(user, other_user):
    secret_company = contact_services.create_customer(
        other_user, {"kind": "company", "company_name": "Secreta S.A.", "access": "private"}
    ).contact
    public_company = make_customer_company(other_user, "Pública S.L.")
    secret_person = make_person(
        other_user, "Oculta", "Persona", company=public_company, access="private"
    )
    both_hidden = make_opportunity(other_user, secret_company, title="Both hidden")
    contact_hidden = make_opportunity(other_user, secret_person, title="Contact hidden")
    response = english(user).get(API_EXPORT, {"ordering": "title"})
    rows = rows_of(response)
    assert [(r["Id"], r["Contact"], r["Customer"]) for r in rows] == [
        (str(both_hidden.pk), "", ""),
        (str(contact_hidden.pk), "", "Pública S.L."),
    ]
    body = body_of(english(user).get(API_EXPORT))
    assert b"Secreta" not in body and b"Oculta" not in body
    # Their managers see them.
    named = rows_of(english(other_user).get(API_EXPORT, {"ordering": "title"}))
    assert [(r["Contact"], r["Customer"]) for r in named] == [
        ("Secreta S.A.", "Secreta S.A."),
        ("Oculta Persona", "Pública S.L."),
    ]


def test_formulas_are_neutralised(api, user, company):
    make_opportunity(user, company, title='=HYPERLINK("http://x","y")', tags=["@SUM(A1)"])
    make_opportunity(user, company, title="-2+3", amount="0")
    make_opportunity(user, company, title="+34 600 11 22 33")
    rows = {row["Title"]: row for row in rows_of(api.get(API_EXPORT))}
    assert set(rows) == {'\'=HYPERLINK("http://x","y")', "'-2+3", "+34 600 11 22 33"}
    assert rows['\'=HYPERLINK("http://x","y")']["Tags"] == "'@SUM(A1)"
    assert rows["'-2+3"]["Amount"] == "0.00"


def test_query_count_does_not_grow_with_the_rows(api, user, company):
    counts = []
    for total in (5, 30):
        while Opportunity.objects.count() < total:
            n = Opportunity.objects.count()
            person = make_person(user, f"P{n}", "Export", company=company)
            make_opportunity(user, person, title=f"Deal {n}", tags=[f"t{n}", "shared"])
        api.get(API_EXPORT)
        with CaptureQueriesContext(connection) as captured:
            assert len(ids_of(api.get(API_EXPORT))) == total
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_chunks_are_read_with_their_tags_in_one_query_each(api, user, company, monkeypatch):
    from clientela.sales import exports

    monkeypatch.setattr(exports, "CHUNK_SIZE", 4)
    for n in range(10):
        make_opportunity(user, company, title=f"Deal {n}", tags=[f"t{n}"])
    api.get(API_EXPORT)
    with CaptureQueriesContext(connection) as captured:
        rows = rows_of(api.get(API_EXPORT, {"ordering": "title"}))
    assert [r["Tags"] for r in rows] == [f"t{n}" for n in range(10)]
    tag_queries = [q for q in captured if "core_tag" in q["sql"]]
    assert len(tag_queries) == 3  # ceil(10 / 4)


def test_the_api_needs_a_user_and_is_documented(api, user, company):
    make_opportunity(user, company)
    assert ApiClient().get(API_EXPORT).status_code == 401
    spec = api.get("/api/v1/openapi.json").json()
    operation = spec["paths"][API_EXPORT]["get"]
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert {"status", "ordering", "amount_min"} <= {p["name"] for p in operation["parameters"]}
    # The route is not read as an opportunity id.
    assert api.get("/api/v1/opportunities/export").status_code == 422


def test_the_list_page_exports_as_filtered(logged_in, client, user, company, other_user):
    won = make_opportunity(user, company, title="Won one")
    services.change_stage(user, won, stage_of("won"))
    make_opportunity(user, company, title="Open one")
    make_opportunity(other_user, company, title="Hidden one", access="private")
    page = logged_in.get("/sales/", {"status": "won"}).content.decode()
    assert 'id="list-export" href="/sales/export.csv?status=won"' in page
    assert ids_of(logged_in.get("/sales/export.csv", {"status": "won"})) == [won.pk]
    everything = rows_of(logged_in.get("/sales/export.csv", {"status": "nonsense"}))
    assert {r["Title"] for r in everything} == {"Won one", "Open one"}
    client.logout()
    response = client.get("/sales/export.csv")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_export_speaks_the_users_language(client, user, company):
    user.language = "es"
    user.save(update_fields=["language"])
    won = make_opportunity(user, company, title="Ganada", amount="1500.5")
    services.change_stage(user, won, stage_of("won"))
    client.force_login(user)
    body = body_of(client.get("/sales/export.csv")).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))
    assert header[:3] == ["Id", "Título", "Contacto"] and header[6] == "Estado"
    assert row[6] == "Ganada" and row[7] == "1500.50"  # a dot, whatever the language


def test_the_export_streams_in_batches_under_asgi(user, company, monkeypatch):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from clientela.sales import exports

    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    for n in range(5):
        make_opportunity(user, company, title=f"Deal {n}")
    _, raw = create_api_token(user, "asgi")

    async def fetch():
        response = await AsyncClient().get(API_EXPORT, headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 200 and response.is_async
        return [part async for part in response.streaming_content]

    parts = async_to_sync(fetch)()
    assert len(parts) > 1
    assert len(list(csv.reader(io.StringIO(b"".join(parts).decode("utf-8-sig"))))) == 6
