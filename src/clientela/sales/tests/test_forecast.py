"""The forecast: weighted by month of expected close, per responsible and pipeline, won per
month, the funnel with its conversions, the page and the API."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clientela.core import money
from clientela.core.testing import api_client
from clientela.sales import forecast as forecast_queries
from clientela.sales import services
from clientela.sales.filters import OpportunityFilter
from clientela.sales.models import Opportunity, Pipeline

from .conftest import make_opportunity, stage_of

pytestmark = pytest.mark.django_db

YEAR = 2030
START, END = datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31)


def day(month, dom=15):
    return datetime.date(YEAR, month, dom)


def forecast_of(user, start=START, end=END, pipeline=None, **params):
    filters, errors = OpportunityFilter.from_query(params)
    assert not errors
    return forecast_queries.build_forecast(
        user, filters, start, end, pipeline or Pipeline.default()
    )


def add_rate(admin, currency, on, rate):
    return money.save_exchange_rate(
        admin, None, {"currency": currency, "rate_date": on, "rate": rate}
    )


@pytest.fixture
def open_stage(db):
    return stage_of("open")


def test_weighted_forecast_by_month_of_expected_close(user, person, open_stage):
    make_opportunity(user, person, amount="1000", probability=10, expected_close=day(3, 1))
    make_opportunity(user, person, amount="500", probability=50, expected_close=day(3, 31))
    make_opportunity(user, person, amount="200", probability=100, expected_close=day(7))
    make_opportunity(
        user, person, amount="999", probability=50, expected_close=day(1, 1).replace(year=YEAR + 1)
    )
    result = forecast_of(user)
    assert len(result.months) == 12
    march, july = result.forecast[day(3, 1)], result.forecast[day(7, 1)]
    assert (march.count, march.total, march.weighted) == (2, Decimal("1500.00"), Decimal("350.00"))
    assert july.weighted == Decimal("200.00")
    assert day(1, 1) not in result.forecast
    assert result.forecast_total.weighted == Decimal("550.00")
    assert result.forecast_total.count == 3


def test_closed_opportunities_are_not_forecast_but_won_ones_count_per_month(
    user, person, lost_reason
):
    today = timezone.localdate()
    won = make_opportunity(user, person, amount="300", expected_close=today)
    services.change_stage(user, won, stage_of("won"))
    lost = make_opportunity(user, person, amount="700", expected_close=today)
    services.change_stage(user, lost, stage_of("lost"), lost_reason=lost_reason)
    start, end = today.replace(month=1, day=1), today.replace(month=12, day=31)
    result = forecast_of(user, start, end)
    assert result.forecast_total.count == 0
    month = today.replace(day=1)
    assert result.won[month].total == Decimal("300.00") and result.won[month].count == 1
    assert result.won_total.total == Decimal("300.00")


def test_per_responsible_and_per_pipeline(user, other_user, admin_user, person):
    renewals = services.save_pipeline(admin_user, None, {"name": "Renewals"})
    renewal_stage = renewals.stages.filter(kind="open").first() or services.save_stage(
        admin_user, renewals, None, {"name": "Talking", "probability": 50}
    )
    make_opportunity(
        user, person, amount="100", probability=50, responsible_id=user.pk, expected_close=day(2)
    )
    make_opportunity(
        user,
        person,
        amount="100",
        probability=20,
        responsible_id=other_user.pk,
        expected_close=day(2),
    )
    make_opportunity(
        user,
        person,
        amount="1000",
        probability=10,
        responsible_id=other_user.pk,
        stage_id=renewal_stage.pk,
        expected_close=day(4),
    )
    result = forecast_of(user)
    people = {row.label: row.amounts.weighted for row in result.by_responsible}
    assert people == {"Ana García": Decimal("50.00"), "Bruno Pérez": Decimal("120.00")}
    bruno = next(row for row in result.by_responsible if row.label == "Bruno Pérez")
    assert bruno.by_month[day(4, 1)].weighted == Decimal("100.00")
    pipelines = {row.label: row.amounts.weighted for row in result.by_pipeline}
    assert pipelines == {Pipeline.default().name: Decimal("70.00"), "Renewals": Decimal("100.00")}
    narrowed = forecast_of(user, responsible=str(user.pk))
    assert narrowed.forecast_total.weighted == Decimal("50.00")


def test_other_currencies_convert_per_month_and_missing_rates_are_named(user, admin_user, person):
    make_opportunity(
        user, person, amount="100", currency="USD", probability=50, expected_close=day(5, 2)
    )
    make_opportunity(user, person, amount="10", probability=50, expected_close=day(5, 3))
    result = forecast_of(user)
    assert result.forecast[day(5, 1)].weighted is None
    assert result.forecast_total.weighted is None
    assert result.missing == [money.MissingRate("USD", "EUR", day(5, 31))]
    add_rate(admin_user, "USD", day(5, 31), "0.5")  # in force on the month's last day
    result = forecast_of(user)
    assert result.forecast[day(5, 1)].weighted == Decimal("30.00")
    assert not result.missing


def test_the_funnel_counts_stages_and_conversions_from_the_stage_history(user, person, lost_reason):
    pipeline = Pipeline.default()
    opens = list(pipeline.stages.filter(kind="open").order_by("position"))
    won, lost = stage_of("won"), stage_of("lost")
    deals = [make_opportunity(user, person, amount="100", expected_close=day(6)) for _ in range(4)]
    # All four entered the first stage; three reached the second; two won; one lost.
    for deal in deals[:3]:
        services.change_stage(user, deal, opens[1])
    services.change_stage(user, deals[0], won)
    services.change_stage(user, deals[1], won)
    services.change_stage(user, deals[2], lost, lost_reason=lost_reason)
    steps = {step.stage.pk: step for step in forecast_of(user).funnel}
    assert steps[opens[0].pk].reached == 4 and steps[opens[0].pk].count == 1
    assert steps[opens[1].pk].reached == 3 and steps[opens[1].pk].conversion == Decimal("75.00")
    assert steps[won.pk].count == 2 and steps[won.pk].amount == Decimal("200.00")
    assert steps[lost.pk].count == 1 and steps[lost.pk].conversion is None
    later = [s for s in opens[2:]]
    if later:  # stages nobody reached
        assert steps[later[0].pk].reached == 2  # the two won went past it
    assert steps[won.pk].reached == 2


def test_the_forecast_page(client, user, person):
    make_opportunity(
        user, person, amount="100", probability=50, expected_close=timezone.localdate()
    )
    client.force_login(user)
    response = client.get(reverse("sales:forecast"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="forecast-table"' in page and 'id="funnel-table"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page and 'id="chart-forecast"' in page
    assert "50.00" in page
    response = client.get(reverse("sales:forecast") + "?start=2030-05-01&end=2029-01-01")
    assert response.status_code == 200 and 'id="filter-warning"' in response.content.decode()


def test_the_forecast_query_count_does_not_grow(client, user, other_user, person):
    client.force_login(user)
    make_opportunity(user, person, expected_close=timezone.localdate())

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("sales:forecast")).status_code == 200
        return len(captured)

    few = queries()
    today = timezone.localdate()
    for n in range(8):
        deal = make_opportunity(
            user,
            person,
            responsible_id=(user if n % 2 else other_user).pk,
            expected_close=today.replace(month=1 + n % 12, day=1),
        )
        if n % 3 == 0:
            services.change_stage(user, deal, stage_of("open", index=1))
    assert queries() == few


def test_hidden_opportunities_stay_out_of_the_forecast(user, other_user, person):
    make_opportunity(user, person, amount="100", access="private", expected_close=day(3))
    assert forecast_of(user).forecast_total.count == 1
    assert forecast_of(other_user).forecast_total.count == 0


def test_api_forecast(user, person, admin_user):
    make_opportunity(user, person, amount="100", probability=50, expected_close=day(3))
    api = api_client(user)
    body = api.get(f"/api/v1/sales/forecast?start={START}&end={END}").json()
    assert body["currency"] == "EUR" and len(body["forecast"]) == 12
    assert body["forecast"][2] == {
        "month": "2030-03",
        "count": 1,
        "total": "100.00",
        "weighted": "50.00",
    }
    assert body["forecast_total"]["weighted"] == "50.00"
    assert body["by_responsible"][0]["totals"]["weighted"] == "50.00"
    assert body["funnel_pipeline_id"] == Pipeline.default().pk
    assert {step["reached"] for step in body["funnel"]} >= {1}
    bad = api.get(f"/api/v1/sales/forecast?start={END}&end={START}")
    assert bad.status_code == 400 and "end" in bad.json()["errors"]
    too_long = api.get("/api/v1/sales/forecast?start=2020-01-01&end=2030-01-01")
    assert too_long.status_code == 400
    assert api.get("/api/v1/sales/forecast?start=nope").status_code == 422
    assert Opportunity.objects.count() == 1
