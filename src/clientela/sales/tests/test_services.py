"""Opportunity services with real outcomes: prefill rules, validation by field, stage moves
with their history, won/lost closing, concurrency, access and notifications."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clientela.activities.models import TimelineEntry
from clientela.contacts import services as contact_services
from clientela.core.errors import ConflictError, ProtectedError
from clientela.core.models import ChangeLogEntry
from clientela.mail.models import Notification
from clientela.sales import services
from clientela.sales.models import Opportunity, Pipeline, Stage, StageChange

from .conftest import CLOSE, make_customer_company, make_opportunity, make_person, stage_of

pytestmark = pytest.mark.django_db


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_a_person_of_a_customer_company_gets_the_company_as_customer(user, person, company):
    opportunity = make_opportunity(user, person)
    assert opportunity.customer == company.customer
    assert opportunity.contact == person


def test_a_customer_contact_is_its_own_customer(user, company):
    opportunity = make_opportunity(user, company)
    assert opportunity.customer == company.customer


def test_a_person_who_is_a_customer_is_the_customer(user):
    loner = make_person(user, "Eva", "Sola")
    customer = contact_services.make_customer(user, loner)
    assert make_opportunity(user, loner).customer == customer


def test_without_a_customer_to_tell_one_must_be_chosen(user, company):
    stranger = make_person(user, "Sin", "Cliente")
    errors = errors_of(lambda: make_opportunity(user, stranger))
    assert set(errors) == {"customer_id"}
    chosen = make_opportunity(user, stranger, customer_id=company.customer.pk)
    assert chosen.customer == company.customer


def test_defaults_come_from_the_pipeline_the_stage_and_the_contact(user, make_user):
    company = make_customer_company(user, "Harbour Ltd", currency="GBP")
    opportunity = make_opportunity(user, company)
    first = stage_of("open")
    assert opportunity.pipeline == Pipeline.default()
    assert opportunity.stage == first
    assert opportunity.probability == first.probability
    assert opportunity.currency == "GBP"
    assert opportunity.responsible == user
    assert opportunity.access == "public_write"
    assert list(opportunity.managers.all()) == [user]
    assert opportunity.stage_changes.get().to_stage == first


def test_total_is_amount_times_periods_and_fixed_has_one_period(user, company):
    monthly = make_opportunity(
        user, company, amount="250.50", budget_type="month", budget_periods=12
    )
    assert monthly.total == Decimal("3006.00") == monthly.total_amount
    fixed = make_opportunity(user, company, budget_type="fixed", budget_periods=5)
    assert fixed.budget_periods == 1 and fixed.total == Decimal("1500.00")


def test_every_bad_field_is_named_and_nothing_is_written(user, company):
    errors = errors_of(
        lambda: services.create_opportunity(
            user,
            {
                "title": "",
                "contact_id": company.pk,
                "amount": "-3",
                "currency": "XXX",
                "budget_type": "fortnight",
                "expected_close": "31/02/2030",
                "probability": 101,
                "lead_source_id": 10**9,
                "responsible_id": 10**9,
                "stage_id": 10**9,
                "interest_ids": [10**9],
            },
        )
    )
    assert {
        "title",
        "amount",
        "currency",
        "budget_type",
        "expected_close",
        "probability",
        "lead_source_id",
        "responsible_id",
        "stage_id",
        "interest_ids",
    } <= set(errors)
    assert not Opportunity.objects.exists()


def test_required_fields(user, company):
    errors = errors_of(lambda: services.create_opportunity(user, {"contact_id": company.pk}))
    assert {"title", "amount", "expected_close"} <= set(errors)


def test_a_contact_out_of_reach_is_no_such_contact(user, other_user):
    hidden = contact_services.create_customer(
        other_user, {"kind": "company", "company_name": "Hidden S.A.", "access": "private"}
    ).contact
    errors = errors_of(lambda: make_opportunity(user, hidden))
    assert "contact_id" in errors


def test_a_stage_of_another_pipeline_is_refused(user, admin_user, company):
    other = services.save_pipeline(admin_user, None, {"name": "Renewals"})
    errors = errors_of(
        lambda: make_opportunity(
            user, company, pipeline_id=Pipeline.default().pk, stage_id=other.stages.first().pk
        )
    )
    assert "stage_id" in errors
    moved = make_opportunity(user, company, stage_id=other.stages.first().pk)
    assert moved.pipeline == other


def test_change_stage_records_history_log_and_timeline(user, other_user, person):
    opportunity = make_opportunity(user, person)
    proposal = stage_of("open", index=2)
    moved = services.change_stage(other_user, opportunity, proposal, opportunity.version)
    assert moved.stage == proposal and moved.probability == proposal.probability
    assert moved.version == opportunity.version + 1
    rows = list(StageChange.objects.filter(opportunity=opportunity))
    assert [r.to_stage for r in rows] == [stage_of("open"), proposal]
    assert rows[0].left_at == rows[1].entered_at and rows[1].left_at is None
    assert rows[1].by == other_user and rows[1].from_stage == stage_of("open")
    assert ChangeLogEntry.objects.filter(object_id=opportunity.pk, action="update").exists()
    event = TimelineEntry.objects.get(object_id=opportunity.pk, kind="stage_changed")
    assert event.params["to"] == proposal.name and event.actor == other_user


def test_won_closes_today_and_reopening_clears_it(user, person):
    opportunity = make_opportunity(user, person)
    won = services.change_stage(user, opportunity, stage_of("won"))
    assert won.closed_at == datetime.date.today() and won.probability == 100
    reopened = services.change_stage(user, won, stage_of("open"))
    assert reopened.closed_at is None


def test_lost_needs_a_reason(user, person, lost_reason):
    opportunity = make_opportunity(user, person)
    errors = errors_of(lambda: services.change_stage(user, opportunity, stage_of("lost")))
    assert set(errors) == {"lost_reason"}
    opportunity.refresh_from_db()
    assert opportunity.stage == stage_of("open") and opportunity.stage_changes.count() == 1
    lost = services.change_stage(user, opportunity, stage_of("lost"), lost_reason=lost_reason)
    assert lost.lost_reason == lost_reason and lost.closed_at == datetime.date.today()
    back = services.change_stage(user, lost, stage_of("open"))
    assert back.lost_reason is None


def test_creating_lost_needs_a_reason_too(user, person, lost_reason):
    errors = errors_of(lambda: make_opportunity(user, person, stage_id=stage_of("lost").pk))
    assert "lost_reason_id" in errors
    lost = make_opportunity(
        user, person, stage_id=stage_of("lost").pk, lost_reason_id=lost_reason.pk
    )
    assert lost.closed_at is not None and lost.lost_reason == lost_reason


def test_a_stale_version_is_refused(user, person):
    opportunity = make_opportunity(user, person)
    services.update_opportunity(user, opportunity, {"title": "First"}, opportunity.version)
    with pytest.raises(ConflictError):
        services.update_opportunity(user, opportunity, {"title": "Second"}, opportunity.version)
    with pytest.raises(ConflictError):
        services.change_stage(user, opportunity, stage_of("won"), opportunity.version)
    opportunity.refresh_from_db()
    assert opportunity.title == "First" and opportunity.stage.kind == "open"


def test_update_through_stage_id_goes_through_the_stage_rules(user, person, lost_reason):
    opportunity = make_opportunity(user, person)
    errors = errors_of(
        lambda: services.update_opportunity(user, opportunity, {"stage_id": stage_of("lost").pk})
    )
    assert "lost_reason_id" in errors
    updated = services.update_opportunity(
        user, opportunity, {"stage_id": stage_of("won").pk, "amount": "99.90"}
    )
    assert updated.closed_at and updated.total == Decimal("99.90")
    assert updated.stage_changes.count() == 2


def test_probability_set_by_hand_survives_other_edits(user, person):
    opportunity = make_opportunity(user, person, probability=35)
    updated = services.update_opportunity(
        user, opportunity, {"title": "Renamed", "stage_id": opportunity.stage_id}
    )
    assert updated.probability == 35


def test_restricted_opportunity_notifies_the_chosen_users(user, other_user, make_user, person):
    third = make_user("user")
    opportunity = make_opportunity(
        user, person, access="private", shared_user_ids=[other_user.pk], responsible_id=third.pk
    )
    assert Notification.objects.filter(recipient=other_user, kind="access_granted").exists()
    assert Notification.objects.filter(recipient=third, kind="opportunity_assigned").exists()
    assert not Notification.objects.filter(recipient=user).exists()
    assert set(opportunity.managers.all()) == {user, third}
    assert Opportunity.objects.visible_to(other_user).filter(pk=opportunity.pk).exists()


def test_others_may_not_restrict_or_delete(user, other_user, person):
    opportunity = make_opportunity(user, person)
    services.update_opportunity(other_user, opportunity, {"title": "Edited by Bruno"})
    with pytest.raises(PermissionDenied):
        services.update_opportunity(other_user, opportunity, {"access": "private"})
    with pytest.raises(PermissionDenied):
        services.delete_opportunity(other_user, opportunity)
    services.delete_opportunity(user, opportunity)
    assert not Opportunity.objects.exists()


def test_a_contact_with_opportunities_cannot_be_deleted(user, person):
    make_opportunity(user, person)
    with pytest.raises(ProtectedError) as caught:
        contact_services.delete_contact(user, person)
    assert "Website redesign" in str(caught.value.message)


def test_pipeline_editing_never_loses_opportunities(admin_user, user, person):
    opportunity = make_opportunity(user, person)
    pipeline = Pipeline.default()
    stage = opportunity.stage
    services.save_stage(admin_user, pipeline, stage, {"name": "Discovery", "color": "#123456"})
    ids = list(pipeline.stages.values_list("pk", flat=True))
    services.reorder_stages(admin_user, pipeline, list(reversed(ids)))
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Discovery"
    assert list(pipeline.stages.values_list("pk", flat=True)) == list(reversed(ids))
    with pytest.raises(ProtectedError):
        services.delete_stage(admin_user, stage)
    with pytest.raises(ProtectedError):
        services.delete_pipeline(admin_user, pipeline)
    assert Stage.objects.filter(pk=stage.pk).exists()


def test_an_emptied_stage_can_be_deleted_and_history_keeps_its_name(admin_user, user, person):
    opportunity = make_opportunity(user, person)
    first = opportunity.stage
    name = first.name
    services.change_stage(user, opportunity, stage_of("open", index=1))
    services.delete_stage(admin_user, first)
    assert opportunity.stage_changes.first().stage_name == name
    assert opportunity.stage_changes.first().to_stage is None


def test_only_admins_edit_pipelines(user):
    with pytest.raises(PermissionDenied):
        services.save_pipeline(user, None, {"name": "Mine"})
    with pytest.raises(PermissionDenied):
        services.save_stage(user, Pipeline.default(), None, {"name": "Mine"})


def test_stage_validation_names_fields(admin_user):
    pipeline = Pipeline.default()
    errors = errors_of(
        lambda: services.save_stage(
            admin_user,
            pipeline,
            None,
            {"name": "", "probability": 140, "kind": "maybe", "color": "red"},
        )
    )
    assert {"name", "probability", "kind", "color"} <= set(errors)
    duplicate = pipeline.stages.first().name
    assert "name" in errors_of(
        lambda: services.save_stage(admin_user, pipeline, None, {"name": duplicate})
    )


def test_one_default_pipeline(admin_user):
    first = Pipeline.default()
    second = services.save_pipeline(admin_user, None, {"name": "Renewals", "is_default": True})
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    assert [s.kind for s in second.stages.all()] == ["open", "won", "lost"]
    assert CLOSE.year == 2030


def test_demo_is_idempotent():
    from clientela.contacts.demo import load_demo_data
    from clientela.sales.demo import load_sales_demo

    load_demo_data()
    created = load_sales_demo()
    assert created == 40 == Opportunity.objects.count()
    assert StageChange.objects.count() > 40
    assert Opportunity.objects.filter(stage__kind="won").exists()
    assert Opportunity.objects.filter(stage__kind="lost", lost_reason__isnull=False).exists()
    assert load_sales_demo() == 0
