"""The sales API: CRUD and query budgets through the generic suite, the permission matrix for
restricted and open opportunities, stage moves, pipelines and stages, and bad input (4xx
naming the field, never a 500)."""

import pytest

from clientela.contacts import services as contact_services
from clientela.core.testing import ApiClient, ApiCrudSuite, PermissionMatrixSuite
from clientela.sales import services
from clientela.sales.models import Opportunity, Pipeline

from .conftest import CLOSE, make_customer_company, make_opportunity, make_person, stage_of

pytestmark = pytest.mark.django_db


class TestOpportunityCrud(ApiCrudSuite):
    list_endpoint = "/api/v1/opportunities"
    detail_endpoint = "/api/v1/opportunities/{id}"
    model = Opportunity
    update_payload = {"title": "Renamed", "next_step": "Call back"}
    invalid_field = "amount"

    @pytest.fixture(autouse=True)
    def _company(self, actor):
        self.company = make_customer_company(actor, "Crud S.L.")
        self.create_payload = {
            "title": "New website",
            "contact_id": self.company.pk,
            "amount": "1200.00",
            "expected_close": "2030-05-31",
        }
        self.invalid_payload = {**self.create_payload, "amount": "-5"}

    def create_record(self, actor, n):
        person = make_person(actor, f"P{n}", "Crud", company=self.company)
        return make_opportunity(actor, person, title=f"Deal {n}", tags=[f"t{n}"])


class TestOpportunityPermissions(PermissionMatrixSuite):
    list_endpoint = "/api/v1/opportunities"
    detail_endpoint = "/api/v1/opportunities/{id}"
    export_endpoint = "/api/v1/opportunities/export.csv"
    update_payload = {"next_step": "Changed by the matrix"}

    def create_record(self, actor, access, team, label):
        company = contact_services.create_customer(
            actor, {"kind": "company", "company_name": f"{label} S.L.", "access": "public_read"}
        ).contact
        return make_opportunity(
            actor, company, title=label, access=access, shared_team_ids=[team.pk]
        )


@pytest.fixture
def api(user):
    return ApiClient(user)


def test_create_prefills_and_answers_with_the_etag(api, user, person, company):
    response = api.post(
        "/api/v1/opportunities",
        {"title": "Roof", "contact_id": person.pk, "amount": 900, "expected_close": "2030-01-15"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"]["id"] == company.customer.pk
    assert body["stage"]["kind"] == "open" and body["probability"] == stage_of("open").probability
    assert body["amount"] == "900.00" and body["total"] == "900.00"
    assert response["ETag"] == f'"{body["version"]}"'


@pytest.mark.parametrize(
    "change, field",
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.999"}, "amount"),
        ({"amount": "1e20"}, "amount"),
        ({"expected_close": "2030-13-01"}, "expected_close"),
        ({"contact_id": 2**70}, "contact_id"),
        ({"contact_id": 10**12}, "contact_id"),
        ({"probability": 101}, "probability"),
        ({"budget_type": "fortnight"}, "budget_type"),
        ({"budget_periods": 0}, "budget_periods"),
        ({"title": "a\x00b"}, "title"),
        ({"currency": "ZZZ"}, "currency"),
        ({"stage_id": 10**12}, "stage_id"),
        ({"lost_reason_id": 10**12}, "lost_reason_id"),
        ({"access": "everyone"}, "access"),
        ({"custom_fields": {"nope": 1}}, "custom_fields"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(api, company, change, field):
    payload = {
        "title": "Deal",
        "contact_id": company.pk,
        "amount": "10",
        "expected_close": "2030-01-01",
        **change,
    }
    response = api.post("/api/v1/opportunities", payload)
    assert response.status_code in (400, 422), response.content
    assert any(k.split(".")[0] == field for k in response.json()["errors"]), response.json()
    assert not Opportunity.objects.exists()


def test_bad_filters_are_4xx(api):
    for params in (
        {"amount_min": "x"},
        {"close_from": "yesterday"},
        {"status": "maybe"},
        {"pipeline": 2**70},
        {"ordering": "nope"},
        {"close_from": "2030-02-01", "close_to": "2030-01-01"},
    ):
        assert api.get("/api/v1/opportunities", params).status_code == 422, params


def test_filters(api, user, company, person, admin_user):
    cheap = make_opportunity(user, person, title="Cheap", amount="100")
    dear = make_opportunity(user, company, title="Dear", amount="9000", expected_close="2031-01-01")
    services.change_stage(user, dear, stage_of("won"))

    def ids(**params):
        return {o["id"] for o in api.get("/api/v1/opportunities", params).json()["items"]}

    assert ids(amount_min="1000") == {dear.pk}
    assert ids(status="won") == {dear.pk}
    assert ids(status="open") == {cheap.pk}
    assert ids(close_to="2030-12-31") == {cheap.pk}
    assert ids(contact=person.pk) == {cheap.pk}
    assert ids(customer=company.customer.pk) == {cheap.pk, dear.pk}
    assert ids(q="chea") == {cheap.pk}
    assert ids(stage=stage_of("won").pk) == {dear.pk}
    listed = api.get("/api/v1/opportunities", {"ordering": "-amount"}).json()["items"]
    assert [o["id"] for o in listed] == [dear.pk, cheap.pk]


def test_stage_endpoint(api, user, person, lost_reason):
    opportunity = make_opportunity(user, person)
    url = f"/api/v1/opportunities/{opportunity.pk}/stage"
    missing_reason = api.post(url, {"stage_id": stage_of("lost").pk})
    assert missing_reason.status_code == 400
    assert "lost_reason" in missing_reason.json()["errors"]
    stale = {"If-Match": '"99"'}
    assert api.post(url, {"stage_id": stage_of("won").pk}, headers=stale).status_code == 412
    moved = api.post(
        url,
        {"stage_id": stage_of("lost").pk, "lost_reason_id": lost_reason.pk},
        headers={"If-Match": f'"{opportunity.version}"'},
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["lost_reason"]["id"] == lost_reason.pk and moved.json()["closed_at"]
    history = api.get(f"/api/v1/opportunities/{opportunity.pk}/stage-history").json()
    assert [h["to_stage_id"] for h in history] == [stage_of("open").pk, stage_of("lost").pk]
    assert api.post(url, {"stage_id": 10**12}).status_code == 400


def test_pipelines_and_stages_api(user, admin_user, person):
    admin, plain = ApiClient(admin_user), ApiClient(user)
    listed = plain.get("/api/v1/pipelines").json()
    assert listed[0]["is_default"] and len(listed[0]["stages"]) == 6
    assert plain.post("/api/v1/pipelines", {"name": "Mine"}).status_code == 403
    created = admin.post("/api/v1/pipelines", {"name": "Renewals"})
    assert created.status_code == 201
    pipeline_id = created.json()["id"]
    stage = admin.post(
        f"/api/v1/pipelines/{pipeline_id}/stages",
        {"name": "Quote", "probability": 40, "color": "#aabbcc", "position": 1},
    )
    assert stage.status_code == 201 and stage.json()["position"] == 1
    bad = admin.post(f"/api/v1/pipelines/{pipeline_id}/stages", {"name": "X", "color": "red"})
    assert bad.status_code == 422 and "color" in bad.json()["errors"]
    order = [s["id"] for s in admin.get(f"/api/v1/pipelines/{pipeline_id}").json()["stages"]]
    reordered = admin.put(
        f"/api/v1/pipelines/{pipeline_id}/stage-order", {"stage_ids": list(reversed(order))}
    )
    assert [s["id"] for s in reordered.json()] == list(reversed(order))
    assert (
        admin.put(
            f"/api/v1/pipelines/{pipeline_id}/stage-order", {"stage_ids": order[:1]}
        ).status_code
        == 400
    )
    opportunity = make_opportunity(user, person)
    busy = admin.delete(f"/api/v1/stages/{opportunity.stage_id}")
    assert busy.status_code == 409
    renamed = admin.patch(f"/api/v1/stages/{opportunity.stage_id}", {"name": "Discovery"})
    assert renamed.status_code == 200
    assert plain.get(f"/api/v1/opportunities/{opportunity.pk}").json()["stage"]["name"] == (
        "Discovery"
    )
    assert admin.delete(f"/api/v1/pipelines/{Pipeline.default().pk}").status_code == 409
    assert admin.delete(f"/api/v1/pipelines/{pipeline_id}").status_code == 204
    assert admin.get("/api/v1/pipelines/abc").status_code == 422


def test_lead_sources_and_lost_reasons(user, admin_user):
    plain, admin = ApiClient(user), ApiClient(admin_user)
    sources = plain.get("/api/v1/lead-sources").json()
    assert len(sources) == 12
    assert plain.post("/api/v1/lost-reasons", {"name": "Too slow"}).status_code == 403
    created = admin.post("/api/v1/lost-reasons", {"name": "Too slow"})
    assert created.status_code == 201
    assert (
        admin.patch(
            f"/api/v1/lost-reasons/{created.json()['id']}", {"name": "Far too slow"}
        ).json()["name"]
        == "Far too slow"
    )
    assert admin.delete(f"/api/v1/lost-reasons/{created.json()['id']}").status_code == 204


def test_a_hidden_customer_is_not_named(user, other_user, admin_user):
    hidden = contact_services.create_customer(
        other_user, {"kind": "company", "company_name": "Secret S.A.", "access": "private"}
    )
    opportunity = services.create_opportunity(
        other_user,
        {
            "title": "Public deal",
            "contact_id": hidden.contact.pk,
            "amount": "5",
            "expected_close": CLOSE,
        },
    )
    body = ApiClient(user).get(f"/api/v1/opportunities/{opportunity.pk}").json()
    assert body["customer"] is None and body["contact"] is None
    row = ApiClient(user).get("/api/v1/opportunities").json()["items"][0]
    assert row["customer"] is None and "Secret" not in str(row)
