"""The sales forecast of a period: the weighted amount of open opportunities by month of
expected close (in all, per responsible, per pipeline), the amounts won per month (by closing
date), and the funnel of a pipeline (count and amount per stage, conversion from stage to stage
from the stage history).

Everything is aggregated in SQL, grouped by month and currency (and responsible, pipeline or
stage), and each (currency, month) group converts once into the default currency at the rate in
force on the last day of that month, so a year over 300,000 opportunities is a handful of
grouped queries. A group whose rate is missing leaves its totals unknown (None) and adds the
rate to `missing`: totals never guess."""

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from clientela.accounts.models import User
from clientela.core.money import MissingRate, RateBook, default_currency, round_money

from .board import WEIGHTED_SUM
from .filters import OpportunityFilter
from .models import Pipeline, Stage, StageChange
from .queries import visible_in_bulk

MAX_PERIOD_DAYS = 3 * 366


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _as_date(value) -> datetime.date:
    """TruncMonth answers a date; some backends a datetime."""
    return value.date() if isinstance(value, datetime.datetime) else value


@dataclass
class Amounts:
    """Count, total and weighted total in the default currency; money is None when a rate it
    needs is missing."""

    count: int = 0
    total: Decimal | None = Decimal(0)
    weighted: Decimal | None = Decimal(0)

    def add(self, count, total, weighted, currency, month, book: RateBook):
        self.add_converted(count, *_converted(total, weighted, currency, month, book))

    def add_converted(self, count, total: Decimal | None, weighted: Decimal | None):
        """Add amounts already in the default currency (None: a rate was missing)."""
        self.count += count
        if total is None:
            self.total = self.weighted = None
        elif self.total is not None:
            self.total += total
            self.weighted += weighted

    def finish(self):
        if self.total is not None:
            self.total = round_money(self.total)
            self.weighted = round_money(self.weighted)
        return self


def _converted(total, weighted, currency, month, book: RateBook):
    """A group's total and weighted total (× 100) in the default currency at the rate in force
    on the last day of its month, unrounded; (None, None) when that rate is missing."""
    try:
        day = month_end(month)
        return (
            book.convert(total or Decimal(0), currency, day, exact=True),
            book.convert((weighted or Decimal(0)) / 100, currency, day, exact=True),
        )
    except MissingRate:
        return None, None


def _convert_groups(groups: list[dict], book: RateBook):
    """Convert each group once (a group adds to a month, a row and a row's month)."""
    for group in groups:
        group["month"] = _as_date(group["month"])
        group["converted"] = _converted(
            group["amount"], group["weighted"], group["currency"], group["month"], book
        )


@dataclass
class Row:
    key: object
    label: str
    amounts: Amounts
    by_month: dict = field(default_factory=dict)  # month -> Amounts


@dataclass
class FunnelStep:
    stage: Stage
    count: int
    amount: Decimal | None
    reached: int  # opportunities that entered this stage or a later one (lost aside)
    conversion: Decimal | None  # % of those that reached the previous step and got here


@dataclass
class Forecast:
    start: datetime.date
    end: datetime.date
    currency: str
    months: list[datetime.date]
    forecast: dict  # month -> Amounts (open opportunities, weighted)
    won: dict  # month -> Amounts (won, by closing month)
    by_responsible: list[Row]
    by_pipeline: list[Row]
    funnel: list[FunnelStep]
    funnel_pipeline: Pipeline | None
    missing: list[MissingRate]
    forecast_total: Amounts
    won_total: Amounts

    @property
    def forecast_by_month(self) -> list[tuple[datetime.date, Amounts]]:
        return [(m, self.forecast.get(m) or Amounts()) for m in self.months]

    @property
    def won_by_month(self) -> list[tuple[datetime.date, Amounts]]:
        return [(m, self.won.get(m) or Amounts()) for m in self.months]


def _scope(user, filters: OpportunityFilter):
    return filters.apply(visible_in_bulk(user)).order_by()


def _rate_book(groups: list[dict], end: datetime.date) -> RateBook:
    return RateBook({g["currency"] for g in groups}, until=month_end(end))


def open_forecast_groups(user, filters, start, end) -> list[dict]:
    """Open opportunities closing in the period, grouped by responsible, pipeline, month and
    currency: the one scan the forecast, its per-responsible and per-pipeline tables share."""
    return list(
        _scope(user, filters)
        .filter(stage__kind=Stage.Kind.OPEN, expected_close__range=(start, end))
        .values("responsible_id", "pipeline_id", "currency", month=TruncMonth("expected_close"))
        .annotate(n=Count("id"), amount=Sum("total"), weighted=WEIGHTED_SUM)
    )


def won_groups(user, filters, start, end) -> list[dict]:
    return list(
        _scope(user, filters)
        .filter(stage__kind=Stage.Kind.WON, closed_at__range=(start, end))
        .values("currency", month=TruncMonth("closed_at"))
        .annotate(n=Count("id"), amount=Sum("total"), weighted=Sum("total"))
    )


def _roll_up(groups, key, book, labels: dict) -> list[Row]:
    rows: dict = {}
    for group in groups:
        k = group[key] if key else None
        row = rows.get(k)
        if row is None:
            row = rows[k] = Row(k, labels.get(k, ""), Amounts())
        month = group["month"]
        row.amounts.add_converted(group["n"], *group["converted"])
        by_month = row.by_month.get(month)
        if by_month is None:
            by_month = row.by_month[month] = Amounts()
        by_month.add_converted(group["n"], *group["converted"])
    for row in rows.values():
        row.amounts.finish()
        for amounts in row.by_month.values():
            amounts.finish()
    return sorted(rows.values(), key=lambda r: (r.label == "", str(r.label).lower()))


def funnel(user, filters, pipeline: Pipeline, start, end):
    """Count and amount of the pipeline's opportunities closing in the period, per stage they
    are in now, and how many of them reached each stage, from the stage history."""
    stages = list(pipeline.stages.order_by("position", "id"))
    opportunities = _scope(user, filters).filter(
        pipeline=pipeline, expected_close__range=(start, end)
    )
    groups = list(
        opportunities.values("stage_id", "currency", month=TruncMonth("expected_close")).annotate(
            n=Count("id"), amount=Sum("total"), weighted=Sum("total")
        )
    )
    reached_by_top = _reached_positions(opportunities, pipeline)
    return stages, groups, reached_by_top


def _reached_positions(opportunities, pipeline) -> dict[int, int]:
    """How many opportunities got, at the furthest, to each stage position (lost stages aside:
    losing ends the road wherever it happened)."""
    positions = dict(pipeline.stages.exclude(kind=Stage.Kind.LOST).values_list("pk", "position"))
    if not positions:
        return {}
    # The positions come as a CASE over the few stage ids rather than a join to the stages,
    # so that PostgreSQL estimates the history rows well and hashes the period's opportunities
    # (read from the `opp_forecast` index) instead of probing them once per stage change.
    furthest_position = Max(
        Case(
            *(When(to_stage_id=pk, then=Value(position)) for pk, position in positions.items()),
            output_field=IntegerField(),
        )
    )
    furthest = (
        StageChange.objects.filter(
            opportunity__in=opportunities.values("pk"), to_stage_id__in=list(positions)
        )
        .order_by()
        .values("opportunity_id")
        .annotate(furthest=furthest_position)
        .values("furthest")
    )
    sql, params = furthest.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT furthest, COUNT(*) FROM ({sql}) AS furthest_stage GROUP BY furthest", params
        )
        return {position: count for position, count in cursor.fetchall()}


def _funnel_steps(stages, groups, reached_by_top, book) -> list[FunnelStep]:
    per_stage: dict[int, Amounts] = defaultdict(Amounts)
    for group in groups:
        per_stage[group["stage_id"]].add_converted(group["n"], *group["converted"])
    steps, previous_reached = [], None
    for stage in stages:
        amounts = per_stage[stage.pk].finish()
        if stage.kind == Stage.Kind.LOST:
            steps.append(FunnelStep(stage, amounts.count, amounts.total, amounts.count, None))
            continue
        reached = sum(n for position, n in reached_by_top.items() if position >= stage.position)
        conversion = None
        if previous_reached:
            conversion = round_money(Decimal(100) * reached / previous_reached)
        steps.append(FunnelStep(stage, amounts.count, amounts.total, reached, conversion))
        previous_reached = reached
    return steps


def build_forecast(
    user,
    filters: OpportunityFilter,
    start: datetime.date,
    end: datetime.date,
    funnel_pipeline: Pipeline | None = None,
) -> Forecast:
    currency = default_currency()
    open_groups = open_forecast_groups(user, filters, start, end)
    won = won_groups(user, filters, start, end)
    stages, funnel_groups, reached = (
        funnel(user, filters, funnel_pipeline, start, end) if funnel_pipeline else ([], [], {})
    )
    book = _rate_book([*open_groups, *won, *funnel_groups], end)
    _convert_groups([*open_groups, *won, *funnel_groups], book)

    [overall] = _roll_up(open_groups, None, book, {}) or [Row(None, "", Amounts())]
    responsible_ids = {g["responsible_id"] for g in open_groups if g["responsible_id"]}
    people = {u.pk: str(u) for u in User.objects.filter(pk__in=responsible_ids)}
    pipeline_names = dict(Pipeline.objects.values_list("pk", "name"))
    [won_row] = _roll_up(won, None, book, {}) or [Row(None, "", Amounts())]
    return Forecast(
        start=start,
        end=end,
        currency=currency,
        months=months_between(start, end),
        forecast=overall.by_month,
        won=won_row.by_month,
        by_responsible=_roll_up(open_groups, "responsible_id", book, people),
        by_pipeline=_roll_up(open_groups, "pipeline_id", book, pipeline_names),
        funnel=_funnel_steps(stages, funnel_groups, reached, book),
        funnel_pipeline=funnel_pipeline,
        missing=book.missing,
        forecast_total=overall.amounts,
        won_total=won_row.amounts,
    )
