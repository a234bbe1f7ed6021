"""The opportunity pages: list, detail, create from a contact, edit, stage moves, delete, the
contact's Opportunities tab, the pipeline editor; and their query budgets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.sales import services
from clientela.sales.models import Opportunity, Pipeline, Stage

from .conftest import make_customer_company, make_opportunity, make_person, stage_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def queries_of(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_list_shows_an_empty_state_then_rows(logged_in, user, person):
    response = logged_in.get("/sales/")
    assert response.status_code == 200
    assert b'id="empty-state"' in response.content
    make_opportunity(user, person, title="Roof repair")
    response = logged_in.get("/sales/")
    assert b"Roof repair" in response.content


def test_list_filters_and_bad_filters(logged_in, user, person, company):
    make_opportunity(user, person, title="Small", amount="10")
    make_opportunity(user, company, title="Large", amount="10000")
    body = logged_in.get("/sales/", {"amount_min": "100"}).content.decode()
    assert "Large" in body and "Small" not in body
    body = logged_in.get("/sales/", {"amount_min": "lots", "status": "open"}).content.decode()
    assert 'id="filter-warning"' in body and "Small" in body
    part = logged_in.get(
        "/sales/",
        {"q": "small"},
        headers={"HX-Request": "true", "HX-Target": "opportunity-results"},
    )
    assert b"<html" not in part.content and b"Small" in part.content


def test_list_and_detail_query_budgets_do_not_grow(logged_in, user, company):
    counts = []
    for total in (3, 25):
        while Opportunity.objects.count() < total:
            n = Opportunity.objects.count()
            person = make_person(user, f"P{n}", "Budget", company=company)
            make_opportunity(user, person, title=f"Deal {n}", tags=[f"t{n}"])
        counts.append(queries_of(logged_in, "/sales/"))
    assert counts[0] == counts[1], counts
    first, last = Opportunity.objects.order_by("pk")[:1][0], Opportunity.objects.latest("pk")
    services.change_stage(user, last, stage_of("open", index=1))
    detail = [queries_of(logged_in, f"/sales/{o.pk}/") for o in (first, last)]
    assert detail[0] == detail[1] and detail[0] <= 30, detail
    tabs = [queries_of(logged_in, f"/sales/{o.pk}/?tab=stages") for o in (first, last)]
    assert tabs[0] == tabs[1], tabs


def test_detail_page_shows_tabs_and_stage_selector(logged_in, user, person):
    opportunity = make_opportunity(user, person)
    response = logged_in.get(f"/sales/{opportunity.pk}/")
    body = response.content.decode()
    assert 'id="stage-select"' in body and 'id="opportunity-tabs"' in body
    assert 'id="mark-won"' in body and 'id="lost-modal"' in body
    for tab in ("stages", "history"):
        assert logged_in.get(f"/sales/{opportunity.pk}/?tab={tab}").status_code == 200


def test_a_hidden_opportunity_is_404(client, other_user, user, person):
    opportunity = make_opportunity(user, person, access="private")
    client.force_login(other_user)
    for url in ("", "edit/", "delete/", "lost/"):
        assert client.get(f"/sales/{opportunity.pk}/{url}").status_code == 404
    assert client.post(f"/sales/{opportunity.pk}/stage/", {"stage": 1}).status_code == 404


def test_create_from_a_contact_is_prefilled_and_opens_the_opportunity(
    logged_in, user, person, company
):
    page = logged_in.get(f"/sales/new/?contact={person.pk}").content.decode()
    assert 'id="fixed-contact"' in page and person.display_name in page
    assert f'<option value="{company.customer.pk}" selected>' in page
    response = logged_in.post(
        f"/sales/new/?contact={person.pk}",
        {
            "fixed_contact": person.pk,
            "title": "Solar panels",
            "amount": "4500",
            "currency": "EUR",
            "budget_type": "fixed",
            "budget_periods": "1",
            "expected_close": "2030-09-30",
            "stage": stage_of("open").pk,
            "access": "public_write",
        },
    )
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/{opportunity.pk}/"
    assert opportunity.contact == person and opportunity.customer == company.customer


def test_save_and_create_new_and_errors_by_field(logged_in, person):
    data = {
        "fixed_contact": person.pk,
        "title": "",
        "amount": "10",
        "currency": "EUR",
        "budget_type": "fixed",
        "budget_periods": "1",
        "expected_close": "2030-09-30",
        "stage": stage_of("lost").pk,
        "access": "public_write",
    }
    response = logged_in.post(f"/sales/new/?contact={person.pk}", data)
    assert response.status_code == 400 and b'id="form-errors"' in response.content
    data["title"] = "Lost one"
    response = logged_in.post(f"/sales/new/?contact={person.pk}", data)
    assert response.status_code == 400 and b"Say why" in response.content
    data["stage"] = stage_of("open").pk
    response = logged_in.post(f"/sales/new/?contact={person.pk}", {**data, "save_and_new": "1"})
    assert response["Location"] == f"/sales/new/?contact={person.pk}"


def test_edit_with_a_stale_version_shows_the_conflict(logged_in, user, person):
    opportunity = make_opportunity(user, person)
    page = logged_in.get(f"/sales/{opportunity.pk}/edit/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(version=opportunity.version, title="Mine", expected_close="2030-06-30")
    services.update_opportunity(user, opportunity, {"title": "Theirs"})
    response = logged_in.post(f"/sales/{opportunity.pk}/edit/", data)
    assert response.status_code == 409 and b"conflict-message" in response.content
    opportunity.refresh_from_db()
    assert opportunity.title == "Theirs"


def test_stage_moves_from_the_page(logged_in, user, person, lost_reason):
    opportunity = make_opportunity(user, person)
    url = f"/sales/{opportunity.pk}/stage/"
    won = logged_in.post(url, {"stage": stage_of("won").pk, "version": opportunity.version})
    assert won.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.stage.kind == "won" and opportunity.closed_at
    no_reason = logged_in.post(url, {"stage": stage_of("lost").pk})
    assert no_reason.status_code == 400 and b'id="lost-form"' in no_reason.content
    logged_in.post(url, {"stage": stage_of("lost").pk, "lost_reason": lost_reason.pk})
    opportunity.refresh_from_db()
    assert opportunity.lost_reason == lost_reason
    assert logged_in.get(f"/sales/{opportunity.pk}/lost/").status_code == 200


def test_delete_asks_first(logged_in, user, person):
    opportunity = make_opportunity(user, person)
    assert b'id="confirm-delete"' in logged_in.get(f"/sales/{opportunity.pk}/delete/").content
    assert logged_in.post(f"/sales/{opportunity.pk}/delete/").status_code == 302
    assert not Opportunity.objects.exists()


def test_contact_tab_and_actions(logged_in, user, person, company):
    make_opportunity(user, person, title="Via person")
    page = logged_in.get(f"/contacts/{company.pk}/?tab=opportunities").content.decode()
    assert "Via person" in page and 'id="tab-add-opportunity"' in page
    contact_page = logged_in.get(f"/contacts/{person.pk}/").content.decode()
    assert f"/sales/new/?contact={person.pk}" in contact_page
    listing = logged_in.get("/contacts/").content.decode()
    assert 'data-action="add-opportunity"' in listing
    assert 'href="/sales/"' in listing


def test_contact_tab_query_budget(logged_in, user, company):
    counts = []
    for total in (2, 12):
        while Opportunity.objects.count() < total:
            make_opportunity(user, company, title=f"D{Opportunity.objects.count()}")
        counts.append(queries_of(logged_in, f"/contacts/{company.pk}/?tab=opportunities"))
    assert counts[0] == counts[1], counts


def test_pipeline_editor(client, admin_user, user, person):
    client.force_login(user)
    assert client.get("/sales/pipelines/").status_code == 403
    client.force_login(admin_user)
    pipeline = Pipeline.default()
    assert client.get("/sales/pipelines/").status_code == 302
    page = client.get(f"/sales/pipelines/{pipeline.pk}/")
    assert page.status_code == 200 and b'id="stage-table"' in page.content
    added = client.post(
        f"/sales/pipelines/{pipeline.pk}/",
        {"form": "stage", "name": "Demo", "probability": "30", "kind": "open", "color": "#112233"},
    )
    assert added.status_code == 302
    stage = pipeline.stages.get(name="Demo")
    client.post(f"/sales/stages/{stage.pk}/up/")
    stage.refresh_from_db()
    assert stage.position == pipeline.stages.count() - 2
    opportunity = make_opportunity(user, person, stage_id=stage.pk)
    refused = client.post(f"/sales/stages/{stage.pk}/delete/")
    assert refused.status_code == 409 and b"still has 1 opportunities" in refused.content
    client.post(
        f"/sales/stages/{stage.pk}/",
        {"name": "Demo call", "probability": "35", "kind": "open", "color": "#112233"},
    )
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Demo call"
    created = client.post("/sales/pipelines/", {"name": "Renewals"})
    assert created.status_code == 302
    assert Stage.objects.filter(pipeline__name="Renewals").count() == 3
    settings_page = client.get("/settings/").content.decode()
    assert "/sales/pipelines/" in settings_page and "/settings/lists/lead-sources/" in settings_page
    assert client.get("/settings/lists/lost-reasons/").status_code == 200
    assert client.get("/settings/custom-fields/opportunities/").status_code == 200


def test_customer_company_list_shows_its_people_opportunities(logged_in, user):
    company = make_customer_company(user, "Other S.L.")
    assert logged_in.get(f"/contacts/{company.pk}/?tab=opportunities").status_code == 200


def test_a_new_pipeline_without_a_name_leaves_the_edit_form_of_the_current_one_alone(
    client, admin_user
):
    client.force_login(admin_user)
    pipeline = Pipeline.default()
    refused = client.post("/sales/pipelines/", {"name": ""})
    assert refused.status_code == 400
    page = refused.content.decode()
    new_form = page[page.index('id="new-pipeline"') :]
    new_form = new_form[: new_form.index("</form>")]
    edit_form = page[page.index('id="pipeline-form"') :]
    edit_form = edit_form[: edit_form.index("</form>")]
    assert "invalid-feedback" in new_form and 'id="new_name"' in new_form
    assert f'value="{pipeline.name}"' in edit_form and "invalid-feedback" not in edit_form
    assert Pipeline.objects.count() == 1
