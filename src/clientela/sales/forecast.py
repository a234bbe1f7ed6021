"""The sales forecast of a period: the weighted amount of open opportunities by month of
expected close (in all, per responsible, per pipeline), the amounts won per month (by closing
date), and the funnel of a pipeline (count and amount per stage, conversion from stage to stage
from the stages each opportunity reached).

Everything is aggregated in SQL, grouped by month and currency (and responsible, pipeline or
stage), from the summaries the services keep when the forecast is not filtered (see
`_Sources`), and each (currency, month) group converts once into the default currency at the
rate in force on the last day of that month, so a year over 300,000 opportunities is a
handful of grouped queries over a few thousand rows. A group whose rate is missing leaves its totals unknown (None) and adds the
rate to `missing`: totals never guess."""

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import TruncMonth

from clientela.accounts.models import User
from clientela.core.access import is_crm_user
from clientela.core.money import MissingRate, RateBook, default_currency, round_money

from .filters import OpportunityFilter
from .models import ClosedMonthTotal, ForecastMonthTotal, Pipeline, Stage
from .queries import private_granted_in_bulk, visible_in_bulk
from .summaries import WEIGHTED_SUM, reached_ids

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


def split_period(
    start: datetime.date, end: datetime.date
) -> tuple[tuple[datetime.date, datetime.date] | None, list[tuple[datetime.date, datetime.date]]]:
    """The whole months of a period (their first and last day, or None) and the days at its
    edges that are not in a whole month: what the summaries answer, and what is left to sum
    from the opportunities."""
    first = start if start.day == 1 else month_end(start) + datetime.timedelta(days=1)
    last = end if end == month_end(end) else end.replace(day=1) - datetime.timedelta(days=1)
    if first > last:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - datetime.timedelta(days=1)))
    if last < end:
        edges.append((last + datetime.timedelta(days=1), end))
    return (first, last), edges


def _in_ranges(field_name: str, ranges) -> Q:
    condition = Q()
    for first, last in ranges:
        condition |= Q(**{f"{field_name}__range": (first, last)})
    return condition


@dataclass(frozen=True)
class Sums:
    """What a group adds up, from the opportunities and from a summary's rows."""

    live: dict
    summary: dict


# Open opportunities count at their probability; won ones (and the funnel's) at their total.
WEIGHTED = Sums(
    live={"amount": Sum("total"), "weighted": WEIGHTED_SUM},
    summary={"amount": Sum("total"), "weighted": Sum("weighted") * Value(100)},
)
AT_FULL = Sums(
    live={"amount": Sum("total"), "weighted": Sum("total") * Value(100)},
    summary={"amount": Sum("total"), "weighted": Sum("total") * Value(100)},
)


class _Sources:
    """Where the groups of a forecast come from. A filtered forecast sums the opportunities the
    user sees (`visible_in_bulk`, filtered). An unfiltered one reads the whole months of the
    period from the summaries the services keep (`ForecastMonthTotal`, `ClosedMonthTotal`):
    all their rows for an admin, the public ones for a regular user, who adds the private
    opportunities granted to them (`private_granted_in_bulk`, from the partial indexes
    `opp_forecast_private` and `opp_won_private`); the days at the period's edges that are not
    a whole month are summed from the opportunities. Every source gives groups of the same
    shape (`n`, `amount`, and `weighted` = Σ total × probability), so they simply add up."""

    def __init__(self, user, filters: OpportunityFilter, start, end, from_summaries=True):
        self.user = user
        if not from_summaries or filters.active() or not is_crm_user(user):
            self.visible = _scope(user, filters)
            self.whole, self.edges = None, [(start, end)]
        else:
            self.visible = visible_in_bulk(user).order_by()
            self.whole, self.edges = split_period(start, end)
        self.stage_kinds = dict(Stage.objects.values_list("pk", "kind"))
        self.private = (
            private_granted_in_bulk(user).order_by()
            if self.whole and not user.is_crm_admin
            else None
        )

    def stage_ids(self, kind) -> list[int]:
        return [pk for pk, stage_kind in self.stage_kinds.items() if stage_kind == kind]

    def groups(
        self, summary_model, summary_filter: Q, live_filter: Q, date_field, fields, sums: Sums
    ):
        """Groups by `fields` (and the month of `date_field`) of the summary rows and the
        opportunities that match."""
        groups = []
        if self.whole:
            first, last = self.whole
            rows = summary_model.objects.filter(
                summary_filter, month__range=(first, last.replace(day=1))
            ).exclude(count=0)
            if not self.user.is_crm_admin:
                rows = rows.filter(is_private=False)
            groups += rows.values(*fields, "month").annotate(n=Sum("count"), **sums.summary)
            if self.private is not None:
                groups += self._live(
                    self.private, live_filter, date_field, [self.whole], fields, sums
                )
        if self.edges:
            groups += self._live(self.visible, live_filter, date_field, self.edges, fields, sums)
        return groups

    @staticmethod
    def _live(opportunities, condition: Q, date_field, ranges, fields, sums):
        return list(
            opportunities.filter(condition, _in_ranges(date_field, ranges))
            .values(*fields, month=TruncMonth(date_field))
            .annotate(n=Count("id"), **sums.live)
        )


def open_forecast_groups(sources: _Sources) -> list[dict]:
    """Open opportunities closing in the period, grouped by responsible, pipeline, month and
    currency: what the forecast, its per-responsible and per-pipeline tables share."""
    open_stages = sources.stage_ids(Stage.Kind.OPEN)
    return sources.groups(
        ForecastMonthTotal,
        Q(stage_id__in=open_stages),
        Q(stage_id__in=open_stages),
        "expected_close",
        ("responsible_id", "pipeline_id", "currency"),
        WEIGHTED,
    )


def won_groups(sources: _Sources) -> list[dict]:
    """Won opportunities by month of closing and currency (`weighted` is their total)."""
    won_stages = sources.stage_ids(Stage.Kind.WON)
    return sources.groups(
        ClosedMonthTotal,
        Q(stage_id__in=won_stages),
        Q(stage_id__in=won_stages),
        "closed_at",
        ("currency",),
        AT_FULL,
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


def funnel(sources: _Sources, pipeline: Pipeline):
    """Count and amount of the pipeline's opportunities closing in the period, per stage they
    are in now and stages they reached (`weighted` is their total)."""
    stages = list(pipeline.stages.order_by("position", "id"))
    groups = sources.groups(
        ForecastMonthTotal,
        Q(pipeline=pipeline),
        Q(pipeline=pipeline),
        "expected_close",
        ("stage_id", "currency", "reached_stages"),
        AT_FULL,
    )
    return stages, groups, _reached_positions(groups, stages)


def _reached_positions(groups, stages) -> dict[int, int]:
    """How many opportunities got, at the furthest, to each stage position (lost stages aside:
    losing ends the road wherever it happened), from the stages each group reached."""
    positions = {stage.pk: stage.position for stage in stages if stage.kind != Stage.Kind.LOST}
    furthest_of: dict[str, int | None] = {}
    reached: dict[int, int] = defaultdict(int)
    for group in groups:
        key = group["reached_stages"]
        if key not in furthest_of:
            reached_positions = [positions[pk] for pk in reached_ids(key) if pk in positions]
            furthest_of[key] = max(reached_positions) if reached_positions else None
        if furthest_of[key] is not None:
            reached[furthest_of[key]] += group["n"]
    return dict(reached)


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
    from_summaries: bool = True,
) -> Forecast:
    """The forecast of the period as `user` may see it. `from_summaries=False` sums the
    opportunities alone, as a filtered forecast does (the tests compare the two)."""
    currency = default_currency()
    sources = _Sources(user, filters, start, end, from_summaries)
    open_groups = open_forecast_groups(sources)
    won = won_groups(sources)
    stages, funnel_groups, reached = (
        funnel(sources, funnel_pipeline) if funnel_pipeline else ([], [], {})
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
