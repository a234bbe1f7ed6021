"""The pipeline board: columns, totals in the default currency, missing rates, moving cards."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.accounts import services as account_services
from clientela.contacts.models import Contact
from clientela.core import money
from clientela.core.testing import api_client
from clientela.sales import board as board_queries
from clientela.sales import services
from clientela.sales.filters import OpportunityFilter
from clientela.sales.models import Opportunity, Pipeline, StageChange

from .conftest import CLOSE, make_customer_company, make_opportunity, stage_of

pytestmark = pytest.mark.django_db


def board_of(user, **params):
    filters, errors = OpportunityFilter.from_query(params)
    assert not errors
    return board_queries.build_board(user, filters)


def column(board, stage):
    return next(c for c in board.columns if c.stage == stage)


def add_rate(admin, currency, day, rate):
    return money.save_exchange_rate(
        admin, None, {"currency": currency, "rate_date": day, "rate": rate}
    )


def test_one_column_per_stage_of_the_default_pipeline_in_order(user):
    board = board_of(user)
    pipeline = Pipeline.default()
    assert board.pipeline == pipeline
    assert [c.stage for c in board.columns] == list(pipeline.stages.order_by("position", "id"))


def test_columns_count_total_and_weight_their_opportunities(user, person):
    first = stage_of("open")
    make_opportunity(user, person, amount="1000", probability=20, stage_id=first.pk)
    make_opportunity(
        user,
        person,
        amount="250",
        budget_type="month",
        budget_periods=2,
        probability=50,
        stage_id=first.pk,
    )
    won = stage_of("won")
    make_opportunity(user, person, amount="99.99", stage_id=won.pk)
    board = board_of(user)
    totals = column(board, first).totals
    assert (totals.count, totals.total, totals.weighted) == (
        2,
        Decimal("1500.00"),
        Decimal("450.00"),
    )
    assert column(board, won).totals.total == Decimal("99.99")
    assert board.totals.count == 3 and board.totals.total == Decimal("1599.99")
    assert [card.title for card in column(board, first).cards] == ["Website redesign"] * 2
    assert not board.missing


def test_other_currencies_convert_at_the_rate_in_force_on_the_expected_close(
    user, admin_user, person
):
    first = stage_of("open")
    add_rate(admin_user, "USD", datetime.date(2030, 1, 1), "0.5")
    add_rate(admin_user, "USD", CLOSE + datetime.timedelta(days=1), "0.8")  # not yet in force
    make_opportunity(user, person, amount="100", currency="USD", probability=10, stage_id=first.pk)
    make_opportunity(user, person, amount="10", probability=10, stage_id=first.pk)
    totals = column(board_of(user), first).totals
    assert (totals.total, totals.weighted) == (Decimal("60.00"), Decimal("6.00"))


def test_without_an_expected_close_the_rate_of_today_converts(user, admin_user, person):
    first = stage_of("open")
    add_rate(admin_user, "USD", datetime.date.today(), "2")
    opportunity = make_opportunity(user, person, amount="10", currency="USD", stage_id=first.pk)
    # The form requires the date; records from before that rule (or imports) may lack it.
    Opportunity.objects.filter(pk=opportunity.pk).update(expected_close=None)
    assert column(board_of(user), first).totals.total == Decimal("20.00")


def test_a_missing_rate_leaves_the_total_unknown_and_is_named(user, person):
    first, second = stage_of("open"), stage_of("open", index=1)
    make_opportunity(user, person, amount="100", currency="USD", stage_id=first.pk)
    make_opportunity(
        user,
        person,
        amount="100",
        currency="USD",
        stage_id=second.pk,
        expected_close=CLOSE - datetime.timedelta(days=30),
    )
    make_opportunity(user, person, amount="5", stage_id=second.pk)
    board = board_of(user)
    assert column(board, first).totals.total is None
    assert column(board, first).totals.count == 1
    assert board.totals.total is None
    assert board.missing == [money.MissingRate("USD", "EUR", CLOSE - datetime.timedelta(days=30))]


def test_the_page_names_the_missing_rate_and_offers_admins_to_enter_it(
    client, user, admin_user, person
):
    make_opportunity(user, person, amount="100", currency="USD", stage_id=stage_of("open").pk)
    client.force_login(user)
    page = client.get(reverse("sales:board")).content.decode()
    assert "No USD → EUR rate on or before 2030-06-30" in page
    assert "missing-rate-form" not in page and "data-column-total-missing" in page
    client.force_login(admin_user)
    page = client.get(reverse("sales:board")).content.decode()
    assert "missing-rate-form" in page
    client.post(
        reverse("settings:missing_rate"),
        {"currency": "USD", "needed_on": "2030-06-30", "rate_date": "2030-06-30", "rate": "0,5"},
    )
    page = client.get(reverse("sales:board")).content.decode()
    assert "No USD" not in page and "50.00 EUR" in page


def test_the_board_applies_the_list_filters(user, other_user, person):
    first = stage_of("open")
    make_opportunity(user, person, title="Mine", responsible_id=user.pk, stage_id=first.pk)
    make_opportunity(user, person, title="Bruno's", responsible_id=other_user.pk, stage_id=first.pk)
    board = board_of(user, responsible=str(other_user.pk))
    assert [c.title for c in column(board, first).cards] == ["Bruno's"]
    assert board.totals.count == 1


def test_hidden_opportunities_are_not_on_the_board(user, other_user, person):
    make_opportunity(user, person, title="Private", access="private", stage_id=stage_of("open").pk)
    assert board_of(user).totals.count == 1
    assert board_of(other_user).totals.count == 0


def test_a_column_shows_its_first_cards_and_more_on_demand(client, user, person, monkeypatch):
    monkeypatch.setattr(board_queries, "CARDS_PER_COLUMN", 2)
    first = stage_of("open")
    for amount in ("30", "20", "10"):
        make_opportunity(user, person, title=f"Deal {amount}", amount=amount, stage_id=first.pk)
    board = board_of(user)
    assert [c.title for c in column(board, first).cards] == ["Deal 30", "Deal 20"]
    assert column(board, first).has_more and column(board, first).totals.count == 3
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("sales:board_column", args=[first.pk]) + "?offset=2")
    page = response.content.decode()
    assert "Deal 10" in page and "Deal 30" not in page and "board-more" not in page
    assert len(captured) == 5  # session, user, stage, cards, the shell's unread count


def reference_column(user, stage, filters=None):
    """A column's opportunities the plain way: one query through the access point."""
    return list(
        Opportunity.objects.visible_to(user)
        .filter(pipeline=stage.pipeline, stage=stage)
        .filter(
            pk__in=board_queries.board_opportunities(
                user, filters or OpportunityFilter(), stage.pipeline
            ).values("pk")
        )
        .select_related("responsible", "customer__contact")
        .order_by("-total", "id")
    )


def expected_card(viewer, opportunity) -> board_queries.Card:
    customer = opportunity.customer
    visible_customer = (
        customer is not None
        and Contact.objects.visible_to(viewer).filter(pk=customer.contact_id).exists()
    )
    return board_queries.Card(
        id=opportunity.pk,
        stage_id=opportunity.stage_id,
        version=opportunity.version,
        title=opportunity.title,
        customer=customer.contact.display_name if visible_customer else None,
        currency=opportunity.currency,
        total=opportunity.total,
        probability=opportunity.probability,
        expected_close=opportunity.expected_close,
        responsible=str(opportunity.responsible) if opportunity.responsible else None,
    )


def test_cards_are_each_columns_best_visible_opportunities_read_in_one_query(
    make_user, admin_user, user, other_user, person, monkeypatch
):
    """Every column's first cards, then the next ones ("More…"), are those that one query per
    column through the access point gives, in the same order (ties by id), with the customer's
    name only when the viewer may see the customer."""
    monkeypatch.setattr(board_queries, "CARDS_PER_COLUMN", 3)
    teammate = make_user("user", email="team@example.com", first_name="", last_name="")
    team = account_services.set_team(admin_user, None, name="Sales", member_ids=[teammate.pk])
    hidden = make_customer_company(other_user, "Hidden S.A.", access="private")
    first, second = stage_of("open"), stage_of("open", index=1)
    grants = [
        {},
        {"manager_ids": [teammate.pk]},
        {"shared_user_ids": [user.pk]},
        {"shared_team_ids": [team.pk]},
    ]
    for n in range(16):
        hides_customer = n % 5 == 0
        make_opportunity(
            other_user if n % 3 or hides_customer else user,
            hidden if hides_customer else person,
            title=f"Deal {n}",
            amount=str(100 * (n % 4)),  # ties, broken by id
            access="private" if n % 2 else "public_read",
            stage_id=(first if n < 10 else second).pk,
            responsible_id=teammate.pk if n % 4 == 3 else user.pk,
            **grants[n % 4],
        )
    for viewer in (user, other_user, teammate, admin_user):
        board = board_of(viewer)
        for stage in (first, second):
            expected = [expected_card(viewer, o) for o in reference_column(viewer, stage)]
            col = column(board, stage)
            assert col.cards == expected[:3], viewer
            assert col.has_more == (len(expected) > 3)
            for offset in (3, 6):
                cards, has_more = board_queries.column_cards(
                    viewer, OpportunityFilter(), stage.pipeline, stage, offset=offset
                )
                assert cards == expected[offset : offset + 3]
                assert has_more == (len(expected) > offset + 3)
    cards = [card for stage in (first, second) for card in column(board_of(user), stage).cards]
    assert {card.customer for card in cards} >= {None, "Acme S.L."}
    assert "team@example.com" in {
        card.responsible for card in column(board_of(admin_user), first).cards
    }
    filtered = OpportunityFilter(amount_min=Decimal("100"))
    board = board_queries.build_board(user, filtered)
    expected = [expected_card(user, o) for o in reference_column(user, first, filtered)]
    assert column(board, first).cards == expected[:3] and expected


def test_a_customer_the_user_may_not_see_shows_as_nothing_on_the_card(
    client, user, other_user, person
):
    hidden = make_customer_company(other_user, "Hidden S.A.", access="private")
    make_opportunity(other_user, hidden, title="Their deal", access="public_read")
    client.force_login(user)
    page = client.get(reverse("sales:board")).content.decode()
    assert "Their deal" in page and "Hidden S.A." not in page
    client.force_login(other_user)
    assert "Hidden S.A." in client.get(reverse("sales:board")).content.decode()


def test_choosing_another_pipeline(client, admin_user, user, person):
    other = services.save_pipeline(admin_user, None, {"name": "Renewals"})
    stage = services.save_stage(admin_user, other, None, {"name": "Talking", "probability": 40})
    board = board_queries.build_board(user, OpportunityFilter(), other.pk)
    assert board.pipeline == other
    assert [c.stage for c in board.columns] == list(other.stages.order_by("position", "id"))
    assert stage in [c.stage for c in board.columns]
    client.force_login(user)
    page = client.get(reverse("sales:board") + f"?pipeline={other.pk}").content.decode()
    assert "Talking" in page and 'id="pipeline-switcher"' in page


def test_the_board_page_and_its_empty_state(client, user):
    client.force_login(user)
    page = client.get(reverse("sales:board")).content.decode()
    assert 'id="empty-state"' in page and "board-column" in page
    assert "vendor/sortablejs/Sortable.min.js" in page


@pytest.mark.parametrize("role", ["user", "admin"])
def test_the_board_page_has_a_query_budget_whatever_its_columns(
    client, make_user, admin_user, person, role
):
    """Session, user, pipelines and stages, currency, totals (summary; a regular user's private
    ones), currency and rates, all the cards, the filter bar's four lists, the lost reasons and
    the bell: no query per column."""
    viewer = make_user(role)
    client.force_login(viewer)
    add_rate(admin_user, "USD", datetime.date(2020, 1, 1), "0.9")
    make_opportunity(viewer, person, currency="USD", stage_id=stage_of("open").pk)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("sales:board")).status_code == 200
        return len(captured)

    budget = {"user": 16, "admin": 15}[role]
    assert queries() == budget
    pipeline = Pipeline.default()
    for name in ("Demo", "Trial", "Offer"):
        stage = services.save_stage(admin_user, pipeline, None, {"name": name})
        make_opportunity(viewer, person, stage_id=stage.pk)
    assert queries() == budget


def test_the_board_query_count_does_not_grow_with_opportunities(client, user, person):
    client.force_login(user)
    first, second = stage_of("open"), stage_of("open", index=1)
    make_opportunity(user, person, stage_id=first.pk)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("sales:board")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(12):
        make_opportunity(
            user,
            person,
            title=f"Deal {n}",
            currency="EUR",
            stage_id=(first if n % 2 else second).pk,
            expected_close=CLOSE + datetime.timedelta(days=n),
        )
    assert queries() == few


# --- moving a card -------------------------------------------------------------------------


def move(client, opportunity, stage, version, **extra):
    return client.post(
        reverse("sales:board_move", args=[opportunity.pk]),
        {"stage": stage.pk, "version": version, **extra},
    )


def test_moving_a_card_changes_the_stage_with_history(client, user, person):
    first, second = stage_of("open"), stage_of("open", index=1)
    opportunity = make_opportunity(user, person, stage_id=first.pk)
    client.force_login(user)
    response = move(client, opportunity, second, opportunity.version)
    assert response.status_code == 200, response.content
    opportunity.refresh_from_db()
    assert opportunity.stage == second and opportunity.probability == second.probability
    assert response.json()["version"] == opportunity.version
    assert StageChange.objects.filter(opportunity=opportunity, to_stage=second).exists()


def test_a_stale_card_goes_back(client, user, person):
    first, second = stage_of("open"), stage_of("open", index=1)
    opportunity = make_opportunity(user, person, stage_id=first.pk)
    services.update_opportunity(user, opportunity, {"title": "Renamed"})
    client.force_login(user)
    response = move(client, opportunity, second, 1)
    assert response.status_code == 409 and "changed by someone else" in response.json()["detail"]
    assert Opportunity.objects.get(pk=opportunity.pk).stage == first


def test_a_hidden_opportunity_answers_404_and_a_forbidden_move_403(
    client, user, other_user, person
):
    first, second = stage_of("open"), stage_of("open", index=1)
    hidden = make_opportunity(user, person, access="private", stage_id=first.pk)
    read_only = make_opportunity(user, person, access="public_read", stage_id=first.pk)
    client.force_login(other_user)
    assert move(client, hidden, second, 1).status_code == 404
    assert client.post(reverse("sales:board_move", args=[999999])).status_code == 404
    assert move(client, read_only, second, 1).status_code == 403
    assert Opportunity.objects.filter(stage=second).count() == 0


def test_a_lost_stage_asks_for_the_reason(client, user, person, lost_reason):
    opportunity = make_opportunity(user, person, stage_id=stage_of("open").pk)
    lost = stage_of("lost")
    client.force_login(user)
    response = move(client, opportunity, lost, 1)
    assert response.status_code == 400 and response.json()["needs_lost_reason"]
    response = move(client, opportunity, lost, 1, lost_reason=lost_reason.pk)
    assert response.status_code == 200
    opportunity.refresh_from_db()
    assert opportunity.stage == lost and opportunity.lost_reason == lost_reason
    assert opportunity.closed_at is not None


def test_a_stage_of_another_pipeline_is_refused(client, admin_user, user, person):
    other = services.save_pipeline(admin_user, None, {"name": "Renewals"})
    stage = services.save_stage(admin_user, other, None, {"name": "Talking"})
    opportunity = make_opportunity(user, person, stage_id=stage_of("open").pk)
    client.force_login(user)
    response = move(client, opportunity, stage, 1)
    assert response.status_code == 400 and "stage" in response.json()["errors"]
    assert client.post(reverse("sales:board_move", args=[opportunity.pk]), {}).status_code == 400


# --- API -----------------------------------------------------------------------------------


def test_api_board(user, admin_user, person):
    first = stage_of("open")
    make_opportunity(user, person, amount="100", probability=25, stage_id=first.pk)
    make_opportunity(user, person, amount="10", currency="GBP", probability=0, stage_id=first.pk)
    api = api_client(user)
    body = api.get("/api/v1/sales/board").json()
    assert body["currency"] == "EUR" and body["pipeline_id"] == Pipeline.default().pk
    col = next(c for c in body["columns"] if c["stage_id"] == first.pk)
    assert col["totals"] == {"count": 2, "total": None, "weighted": None}
    assert body["missing_rates"] == [{"currency": "GBP", "to": "EUR", "on": "2030-06-30"}]
    add_rate(admin_user, "GBP", datetime.date(2030, 1, 1), "1.2")
    body = api.get("/api/v1/sales/board").json()
    col = next(c for c in body["columns"] if c["stage_id"] == first.pk)
    assert col["totals"] == {"count": 2, "total": "112.00", "weighted": "25.00"}
    assert {c["customer"] for c in col["cards"]} == {"Acme S.L."}
    assert api.get("/api/v1/sales/board?pipeline=abc").status_code == 422
    assert api_client().get("/api/v1/sales/board").status_code == 401
