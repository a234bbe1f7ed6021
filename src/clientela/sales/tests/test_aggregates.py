"""The shortcuts the board and the forecast take for speed give exactly what the plain ways
give: the same visible opportunities, the same totals to the cent."""

import datetime
from decimal import Decimal

import pytest

from clientela.accounts import services as account_services
from clientela.core import money
from clientela.sales import board as board_queries
from clientela.sales.filters import OpportunityFilter
from clientela.sales.models import Opportunity
from clientela.sales.queries import visible_in_bulk

from .conftest import make_opportunity, stage_of

pytestmark = pytest.mark.django_db


def add_rate(admin, currency, day, rate):
    money.save_exchange_rate(admin, None, {"currency": currency, "rate_date": day, "rate": rate})


def test_visible_in_bulk_is_visible_to(make_user, admin_user, user, other_user, person):
    """Every way of reaching an opportunity (public, manager, shared user, shared team) and
    every way of missing it, for a regular user, an admin, an inactive user and nobody."""
    teammate = make_user("user", email="team@example.com")
    inactive = make_user("user", email="gone@example.com")
    team = account_services.set_team(
        admin_user, None, name="Sales", member_ids=[teammate.pk, inactive.pk]
    )
    for access in ("private", "public_read", "public_write"):
        make_opportunity(user, person, title=f"{access} of user", access=access)
        make_opportunity(
            other_user, person, title=f"{access} shared", access=access, shared_user_ids=[user.pk]
        )
        make_opportunity(
            other_user, person, title=f"{access} team", access=access, shared_team_ids=[team.pk]
        )
        make_opportunity(
            admin_user, person, title=f"{access} managed", access=access, manager_ids=[user.pk]
        )
        make_opportunity(admin_user, person, title=f"{access} of admin", access=access)
    account_services.deactivate_user(admin_user, inactive)
    inactive.refresh_from_db()
    for who in (user, other_user, teammate, inactive, admin_user, None):
        expected = set(Opportunity.objects.visible_to(who).values_list("pk", flat=True))
        assert set(visible_in_bulk(who).values_list("pk", flat=True)) == expected, who
    # The set is not trivial: each user misses some private ones and reaches some.
    assert 0 < visible_in_bulk(teammate).filter(access="private").count() < 5


def per_opportunity_totals(opportunities, book):
    total = sum(
        book.convert(o.total, o.currency, o.expected_close or datetime.date.today(), exact=True)
        for o in opportunities
    )
    weighted = sum(
        book.convert(
            o.total * o.probability / 100,
            o.currency,
            o.expected_close or datetime.date.today(),
            exact=True,
        )
        for o in opportunities
    )
    return money.round_money(total), money.round_money(weighted)


def test_a_rate_that_changes_within_a_month_still_converts_each_day_at_its_rate(
    user, admin_user, person
):
    first = stage_of("open")
    add_rate(admin_user, "USD", datetime.date(2030, 5, 1), "0.5")
    add_rate(admin_user, "USD", datetime.date(2030, 6, 15), "0.8")  # mid-month
    add_rate(admin_user, "GBP", datetime.date(2020, 1, 1), "1.1")  # in force all along
    days = [(5, 20), (6, 10), (6, 14), (6, 15), (6, 29)]
    for month, day in days:
        for currency in ("USD", "GBP", "EUR"):
            make_opportunity(
                user,
                person,
                amount="333.33",
                currency=currency,
                probability=37,
                stage_id=first.pk,
                expected_close=datetime.date(2030, month, day),
            )
    board = board_queries.build_board(user, OpportunityFilter())
    totals = next(c for c in board.columns if c.stage == first).totals
    book = money.RateBook()
    expected = per_opportunity_totals(Opportunity.objects.filter(stage=first), book)
    assert (totals.total, totals.weighted) == expected
    # 5 × 333.33 EUR + 333.33 × (0.5 × 3 + 0.8 × 2) USD + 5 × 333.33 × 1.1 GBP
    assert totals.total == Decimal("4533.29")
    assert totals.count == len(days) * 3
    assert not board.missing


def test_same_rate_tells_whether_a_rate_changes_between_two_days(admin_user):
    add_rate(admin_user, "USD", datetime.date(2030, 6, 15), "0.8")
    book = money.RateBook()
    day = datetime.date
    assert book.same_rate("USD", day(2030, 6, 15), day(2030, 6, 30))
    assert book.same_rate("USD", day(2030, 6, 1), day(2030, 6, 14))  # both missing
    assert not book.same_rate("USD", day(2030, 6, 14), day(2030, 6, 15))
    assert book.same_rate(book.default, day(2000, 1, 1), day(2100, 1, 1))
