"""The summaries of the opportunities (`StageMonthTotal`, `ForecastMonthTotal`,
`ClosedMonthTotal`) and the reached stages: every write keeps them equal to the opportunities,
the rebuild gives the same rows, and the board and the forecast read from them show exactly
the live totals."""

import datetime
import io
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.accounts import services as account_services
from clientela.core import money
from clientela.core.errors import ConflictError
from clientela.sales import board as board_queries
from clientela.sales import forecast as forecast_queries
from clientela.sales import services
from clientela.sales.filters import OpportunityFilter
from clientela.sales.models import LostReason, Opportunity, Pipeline
from clientela.sales.summaries import (
    STAGE_MONTH,
    SUMMARIES,
    rebuild,
    rebuild_reached_stages,
    summary_rows,
)

from .conftest import make_opportunity

pytestmark = pytest.mark.django_db


def stored_summary(summary=STAGE_MONTH) -> dict:
    rows = {}
    for row in summary.model().objects.values(*summary.key_fields, "count", "total", "weighted"):
        if row["count"] == 0:
            assert (row["total"], row["weighted"]) == (0, 0), row
            continue
        rows[tuple(row[k] for k in summary.key_fields)] = (
            row["count"],
            row["total"],
            row["weighted"],
        )
    return rows


def expected_summary(summary=STAGE_MONTH) -> dict:
    return {
        tuple(row[k] for k in summary.key_fields): (row["count"], row["total"], row["weighted"])
        for row in summary_rows(summary)
    }


def reached_stages() -> dict:
    return dict(Opportunity.objects.values_list("pk", "reached_stages"))


def add_rate(admin, currency, day, rate):
    money.save_exchange_rate(admin, None, {"currency": currency, "rate_date": day, "rate": rate})


def test_every_write_keeps_the_summary_equal_to_the_opportunities(
    user, other_user, admin_user, person
):
    """A random sequence of creates, edits (amount, periods, currency, close date, probability,
    access, responsible, pipeline), stage moves (to won and lost too) and deletes, checked after
    each step: every summary, and the reached stages against the stage history."""
    second = services.save_pipeline(admin_user, None, {"name": "Partners"})
    stages = {p.pk: list(p.stages.all()) for p in Pipeline.objects.all()}
    lost_reason = LostReason.objects.first()
    rnd = random.Random(20261122)
    alive: list[Opportunity] = []

    def random_day():
        return datetime.date(2030, rnd.randint(1, 4), rnd.choice([1, 14, 28]))

    for step in range(80):
        roll = rnd.random()
        if not alive or roll < 0.3:
            pipeline = rnd.choice([Pipeline.default(), second])
            stage = rnd.choice([s for s in stages[pipeline.pk] if s.kind == "open"])
            alive.append(
                make_opportunity(
                    admin_user,
                    person,
                    title=f"step {step}",
                    amount=f"{rnd.randint(0, 99999)}.{rnd.randint(0, 99):02d}",
                    currency=rnd.choice(["EUR", "USD", "GBP"]),
                    probability=rnd.randint(0, 100),
                    expected_close=random_day(),
                    stage_id=stage.pk,
                    access=rnd.choice(["private", "public_write", "public_read"]),
                    manager_ids=[rnd.choice([user, other_user]).pk],
                )
            )
        elif roll < 0.65:
            opportunity = rnd.choice(alive)
            field = rnd.choice(
                [
                    "amount",
                    "periods",
                    "currency",
                    "close",
                    "probability",
                    "access",
                    "responsible",
                    "pipeline",
                ]
            )
            data = {
                "amount": {"amount": f"{rnd.randint(0, 5000)}.{rnd.randint(0, 99):02d}"},
                "periods": {"budget_type": "month", "budget_periods": rnd.randint(1, 24)},
                "currency": {"currency": rnd.choice(["EUR", "USD", "GBP"])},
                "close": {"expected_close": random_day()},
                "probability": {"probability": rnd.randint(0, 100)},
                "access": {"access": rnd.choice(["private", "public_write"])},
                "responsible": {"responsible_id": rnd.choice([user.pk, other_user.pk, None])},
                "pipeline": {"pipeline_id": rnd.choice([Pipeline.default(), second]).pk},
            }[field]
            services.update_opportunity(admin_user, opportunity, data)
        elif roll < 0.85:
            opportunity = rnd.choice(alive)
            opportunity.refresh_from_db()
            stage = rnd.choice(stages[opportunity.pipeline_id])
            services.change_stage(
                admin_user,
                opportunity,
                stage,
                lost_reason=lost_reason if stage.kind == "lost" else None,
            )
        else:
            opportunity = alive.pop(rnd.randrange(len(alive)))
            services.delete_opportunity(admin_user, opportunity)
        for summary in SUMMARIES:
            assert stored_summary(summary) == expected_summary(summary), f"{summary} {step}"
        kept = reached_stages()
        assert rebuild_reached_stages() == 0, f"after step {step}"
        assert reached_stages() == kept
    for summary in SUMMARIES:
        assert len(stored_summary(summary)) >= 2
    assert any(value.count(",") >= 2 for value in reached_stages().values())


def test_a_failed_write_changes_nothing(user, person):
    opportunity = make_opportunity(user, person, amount="100")
    before = [stored_summary(summary) for summary in SUMMARIES]
    with pytest.raises(ValidationError):
        services.update_opportunity(user, opportunity, {"amount": "100", "currency": "XXX"})
    with pytest.raises(ConflictError):
        services.update_opportunity(user, opportunity, {"amount": "5"}, expected_version=99)
    assert [stored_summary(summary) for summary in SUMMARIES] == before


def test_the_rebuild_is_idempotent_and_counts_undated_opportunities(user, person):
    for amount in ("10.00", "20.50", "30.25"):
        make_opportunity(user, person, amount=amount, probability=33)
    undated = make_opportunity(user, person, amount="7.77", probability=50, currency="USD")
    # Loaded without the services (as an import or bench/ would): no expected close.
    Opportunity.objects.filter(pk=undated.pk).update(expected_close=None)
    rebuild()
    first = {summary: stored_summary(summary) for summary in SUMMARIES}
    assert first == {summary: expected_summary(summary) for summary in SUMMARIES}
    assert any(key[3] is None for key in first[STAGE_MONTH])
    rebuild()
    assert {summary: stored_summary(summary) for summary in SUMMARIES} == first
    out = io.StringIO()
    call_command("rebuild_sales_totals", stdout=out)
    assert {summary: stored_summary(summary) for summary in SUMMARIES} == first
    assert "Rebuilt ForecastMonthTotal: 1 row." in out.getvalue()


def test_the_rebuild_writes_the_reached_stages_from_the_history(user, person, admin_user):
    pipeline = Pipeline.default()
    first, second, *_ = pipeline.stages.all()
    opportunity = make_opportunity(user, person, stage_id=first.pk)
    services.change_stage(user, opportunity, second)
    opportunity.refresh_from_db()
    assert opportunity.reached_stages == ",".join(str(pk) for pk in sorted([first.pk, second.pk]))
    # Loaded without the services: nothing reached, then the rebuild reads the history.
    Opportunity.objects.update(reached_stages="")
    assert rebuild_reached_stages() == 1
    opportunity.refresh_from_db()
    assert opportunity.reached_stages == ",".join(str(pk) for pk in sorted([first.pk, second.pk]))


@pytest.fixture
def audience(make_user, admin_user, user, other_user, person):
    """Opportunities of every access, currencies with a rate that changes within a month and
    one with no rate at all; and the people who see different parts of them."""
    teammate = make_user("user", email="team@example.com")
    outsider = make_user("user", email="outsider@example.com")
    team = account_services.set_team(admin_user, None, name="Sales", member_ids=[teammate.pk])
    add_rate(admin_user, "USD", datetime.date(2030, 5, 1), "0.5")
    add_rate(admin_user, "USD", datetime.date(2030, 6, 15), "0.8")  # mid-month
    add_rate(admin_user, "GBP", datetime.date(2020, 1, 1), "1.1")
    pipeline = Pipeline.default()
    stages = [s for s in pipeline.stages.all() if s.kind != "lost"]
    rnd = random.Random(7)
    for i in range(40):
        access = ["private", "public_write", "public_read"][i % 3]
        grants = [
            {"manager_ids": [user.pk]},
            {"shared_user_ids": [user.pk]},
            {"shared_team_ids": [team.pk]},
            {},
        ][i % 4]
        make_opportunity(
            admin_user,
            person,
            title=f"#{i}",
            amount=f"{rnd.randint(1, 9999)}.{rnd.randint(0, 99):02d}",
            currency=["EUR", "USD", "GBP", "JPY"][i % 4 if i % 9 else 0],
            probability=rnd.randint(0, 100),
            expected_close=datetime.date(2030, rnd.choice([5, 6, 7]), rnd.randint(1, 28)),
            stage_id=rnd.choice(stages).pk,
            access=access,
            **grants,
        )
    return {
        "admin": admin_user,
        "manager": user,
        "team member": teammate,
        "other user": outsider,
        "creator": other_user,
    }


@pytest.mark.parametrize("who", ["admin", "manager", "team member", "other user", "creator"])
def test_the_summary_gives_the_live_totals_to_the_cent(audience, who):
    viewer = audience[who]
    pipeline = Pipeline.default()
    currency = money.default_currency()
    live, live_book = board_queries.stage_totals(
        board_queries.board_opportunities(viewer, OpportunityFilter(), pipeline, in_bulk=True),
        currency,
    )
    summed, book = board_queries.summary_stage_totals(viewer, pipeline, currency)
    assert {k: v for k, v in summed.items() if v.count} == live
    assert book.missing == live_book.missing
    assert [m.currency for m in book.missing] == ["JPY"]
    assert any(t.total is not None and t.total > 0 for t in live.values())


def test_without_missing_rates_the_totals_are_complete_and_equal(audience, admin_user):
    Opportunity.objects.filter(currency="JPY").delete()
    rebuild()
    pipeline = Pipeline.default()
    for viewer in audience.values():
        live, _ = board_queries.stage_totals(
            board_queries.board_opportunities(viewer, OpportunityFilter(), pipeline, True),
            money.default_currency(),
        )
        summed, book = board_queries.summary_stage_totals(
            viewer, pipeline, money.default_currency()
        )
        assert summed == live
        assert all(t.complete for t in summed.values())
        assert not book.missing


def test_a_filtered_board_still_reads_the_opportunities(audience):
    board = board_queries.build_board(audience["manager"], OpportunityFilter(access="private"))
    visible = Opportunity.objects.visible_to(audience["manager"]).filter(access="private")
    assert sum(c.totals.count for c in board.columns) == visible.count()


def test_the_board_totals_cost_the_same_queries_however_many_opportunities(
    admin_user, user, person
):
    add_rate(admin_user, "USD", datetime.date(2030, 6, 15), "0.8")

    pipeline, currency = Pipeline.default(), money.default_currency()

    def queries(viewer):
        with CaptureQueriesContext(connection) as captured:
            board_queries.summary_stage_totals(viewer, pipeline, currency)
        return len(captured)

    def add(n):
        for i in range(n):
            make_opportunity(
                user,
                person,
                amount="10",
                currency=["USD", "EUR"][i % 2],
                access=["private", "public_write"][i % 2],
                expected_close=datetime.date(2030, 6, 1 + i % 28),
            )

    add(4)
    few = {v.pk: queries(v) for v in (admin_user, user)}
    add(20)
    assert {v.pk: queries(v) for v in (admin_user, user)} == few
    # The summary, the rate book (default currency, rates), the mixed month per day; and the
    # user's private opportunities.
    assert few == {admin_user.pk: 4, user.pk: 5}
    assert board_queries.build_board(admin_user, OpportunityFilter()).totals.count == 24


def forecast_figures(result) -> dict:
    """Everything a forecast shows, as plain values to compare."""

    def amounts(a):
        return (a.count, a.total, a.weighted)

    def rows(rows_):
        return [
            (r.key, amounts(r.amounts), {m: amounts(a) for m, a in r.by_month.items()})
            for r in rows_
        ]

    return {
        "forecast": {m: amounts(a) for m, a in result.forecast.items()},
        "won": {m: amounts(a) for m, a in result.won.items()},
        "by_responsible": rows(result.by_responsible),
        "by_pipeline": rows(result.by_pipeline),
        "funnel": [(s.stage.pk, s.count, s.amount, s.reached, s.conversion) for s in result.funnel],
        "missing": sorted((m.currency, m.on) for m in result.missing),
        "totals": (amounts(result.forecast_total), amounts(result.won_total)),
    }


@pytest.fixture
def travelled(audience, admin_user):
    """The audience's opportunities, some moved on through the stages (won and lost too), so
    that they reached different sets of stages and closed in different months."""
    pipeline = Pipeline.default()
    stages = list(pipeline.stages.all())
    lost_reason = LostReason.objects.first()
    rnd = random.Random(11)
    for opportunity in Opportunity.objects.order_by("pk")[::2]:
        for stage in rnd.sample(stages, 2):
            services.change_stage(
                admin_user,
                opportunity,
                stage,
                lost_reason=lost_reason if stage.kind == "lost" else None,
            )
            opportunity.refresh_from_db()
    # Closed on days spread over two months of 2030, as if closed back then.
    for i, opportunity in enumerate(Opportunity.objects.filter(closed_at__isnull=False)):
        Opportunity.objects.filter(pk=opportunity.pk).update(
            closed_at=datetime.date(2030, 6 + i % 2, 1 + (7 * i) % 28)
        )
    rebuild()
    return audience


@pytest.mark.parametrize("who", ["admin", "manager", "team member", "other user", "creator"])
@pytest.mark.parametrize(
    "period",
    [
        (datetime.date(2030, 1, 1), datetime.date(2030, 12, 31)),  # whole months only
        (datetime.date(2030, 5, 10), datetime.date(2030, 7, 20)),  # both edges partial
        (datetime.date(2030, 6, 3), datetime.date(2030, 6, 17)),  # within one month
        (datetime.date(2030, 6, 1), datetime.date(2030, 7, 14)),  # the end partial
    ],
)
def test_the_forecast_from_the_summaries_is_the_live_one(travelled, who, period):
    viewer = travelled[who]
    pipeline = Pipeline.default()
    live = forecast_queries.build_forecast(
        viewer, OpportunityFilter(), *period, pipeline, from_summaries=False
    )
    summed = forecast_queries.build_forecast(viewer, OpportunityFilter(), *period, pipeline)
    assert forecast_figures(summed) == forecast_figures(live)
    assert live.forecast_total.count and sum(step.reached for step in live.funnel)


def test_the_forecasts_figures_are_right_where_the_tests_can_count(travelled):
    """The live forecast itself, against counts made here from the opportunities."""
    viewer = travelled["manager"]
    pipeline = Pipeline.default()
    result = forecast_queries.build_forecast(
        viewer,
        OpportunityFilter(),
        datetime.date(2030, 1, 1),
        datetime.date(2030, 12, 31),
        pipeline,
    )
    visible = Opportunity.objects.visible_to(viewer).filter(expected_close__year=2030)
    assert result.forecast_total.count == visible.filter(stage__kind="open").count()
    assert sum(a.count for a in result.won.values()) == (
        Opportunity.objects.visible_to(viewer)
        .filter(stage__kind="won", closed_at__year=2030)
        .count()
    )
    positions = {s.pk: s.position for s in pipeline.stages.exclude(kind="lost")}
    for step in result.funnel:
        if step.stage.kind == "lost":
            continue
        expected = sum(
            1
            for reached in visible.filter(pipeline=pipeline).values_list(
                "reached_stages", flat=True
            )
            if any(
                positions.get(int(pk), -1) >= step.stage.position for pk in reached.split(",") if pk
            )
        )
        assert step.reached == expected, step.stage.name


def test_the_forecast_costs_the_same_queries_however_many_opportunities(admin_user, user, person):
    def queries(viewer):
        with CaptureQueriesContext(connection) as captured:
            forecast_queries.build_forecast(
                viewer,
                OpportunityFilter(),
                datetime.date(2030, 1, 10),
                datetime.date(2030, 12, 20),
                Pipeline.default(),
            )
        return len(captured)

    def add(n):
        for i in range(n):
            make_opportunity(
                user,
                person,
                amount="10",
                currency=["USD", "EUR"][i % 2],
                access=["private", "public_write"][i % 2],
                expected_close=datetime.date(2030, 1 + i % 12, 1 + i % 28),
            )

    add(4)
    few = {v.pk: queries(v) for v in (admin_user, user)}
    add(30)
    assert {v.pk: queries(v) for v in (admin_user, user)} == few
    # Default currency, the stages; per part (open, won, funnel; the funnel its stages too):
    # the summary, the period's edges, and a regular user's private opportunities; the rates,
    # the responsible people and the pipelines' names.
    assert few == {admin_user.pk: 14, user.pk: 17}
