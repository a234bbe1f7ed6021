"""The pipeline board: one column per stage with its count, total and weighted total in the
default currency, and the first cards of each column.

Totals come from one SQL aggregate grouped by stage, currency and month (see `stage_totals`),
never from a loop over the cards. An amount in
another currency converts at the rate in force on the opportunity's expected close date, or
today when it has none; a column whose total needs a missing rate shows no total, and the board
lists the rates to enter (`missing`)."""

import contextlib
import datetime
import decimal
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clientela.core.money import CENT, MissingRate, RateBook, default_currency, round_money

from .filters import OpportunityFilter
from .models import Opportunity, Pipeline, Stage
from .queries import visible_customer, visible_in_bulk

# Rendering a card costs about as much as the column totals over 250,000 opportunities: 20 per
# column keep the page within its budget, and "More…" brings the next ones.
CARDS_PER_COLUMN = 20
CARD_ORDERING = ("-total", "id")
CARD_FIELDS = (
    "id",
    "title",
    "customer_id",
    "currency",
    "total",
    "expected_close",
    "probability",
    "stage_id",
    "pipeline_id",
    "version",
    "responsible__id",
    "responsible__first_name",
    "responsible__last_name",
    "responsible__email",
)


@dataclass
class Totals:
    """Count, total and weighted total of some opportunities, in the default currency.
    `total` and `weighted` are None when a rate they need is missing."""

    count: int = 0
    total: Decimal | None = Decimal(0)
    weighted: Decimal | None = Decimal(0)

    @property
    def complete(self) -> bool:
        return self.total is not None


@dataclass
class Column:
    stage: Stage
    totals: Totals
    cards: list = field(default_factory=list)
    has_more: bool = False

    @property
    def next_offset(self) -> int:
        return len(self.cards)


@dataclass
class Board:
    pipeline: Pipeline | None
    pipelines: list[Pipeline]
    columns: list[Column]
    currency: str
    missing: list[MissingRate]
    totals: Totals


def chosen_pipeline(pipelines: list[Pipeline], pk: int | None) -> Pipeline | None:
    """The pipeline asked for, else the default one, else the first."""
    by_pk = {p.pk: p for p in pipelines}
    if pk in by_pk:
        return by_pk[pk]
    return next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)


def board_opportunities(user, filters: OpportunityFilter, pipeline: Pipeline, in_bulk=False):
    """The opportunities of `pipeline` the user may see, as the list's filters narrow them.
    `in_bulk` reaches the same ones through `visible_in_bulk`, for aggregates."""
    visible = visible_in_bulk(user) if in_bulk else Opportunity.objects.visible_to(user)
    return filters.apply(visible).filter(pipeline=pipeline)


def conversion_day(currency: str):
    """The day whose rate converts an opportunity: its expected close, or today. Amounts in
    the default currency need no rate, so they all share one group (None)."""
    today = timezone.localdate()
    return Case(
        When(currency=currency, then=Value(None, output_field=DateField())),
        default=Coalesce("expected_close", Value(today, output_field=DateField())),
        output_field=DateField(),
    )


WEIGHTED_SUM = Sum(
    ExpressionWrapper(
        F("total") * F("probability"), output_field=DecimalField(max_digits=22, decimal_places=2)
    )
)


def stage_totals(
    queryset, currency: str, book: RateBook | None = None
) -> tuple[dict[int, Totals], RateBook]:
    """Totals per stage id, in `currency` (the default one), from one aggregate query.

    The query sums per stage, currency and expected close day first (in the order of the
    `opp_board_totals` index, so PostgreSQL reads the index alone and needs no sort), then
    per stage, currency and month, keeping each group's first and last day. When one rate is in
    force over a group's days (rates entered monthly, as usual), converting the group's sum is
    exactly the sum of converting each opportunity; a currency with a group that spans a change
    of rate is summed again per day, in one more query, so the totals stay exact whatever the
    rates' dates. Amounts in the default currency need no rate and form one group per stage."""
    days = (
        queryset.order_by()
        .values("stage_id", "currency", "expected_close")
        .annotate(n=Count("id"), amount=Sum("total"), weighted=WEIGHTED_SUM)
    )
    today = timezone.localdate()
    inner_sql, params = days.query.sql_with_params()
    month = _month_sql("days.expected_close")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT days.stage_id, days.currency, SUM(days.n), SUM(days.amount),"
            " SUM(days.weighted), MIN(days.expected_close), MAX(days.expected_close)"
            f" FROM ({inner_sql}) AS days GROUP BY days.stage_id, days.currency,"
            f" CASE WHEN days.currency = %s THEN NULL ELSE {month} END",
            (*params, currency),
        )
        groups = [_money_group(row, currency) for row in cursor.fetchall()]
    if book is None:
        last_days = [g["last_day"] or today for g in groups if g["currency"] != currency]
        book = RateBook(
            {g["currency"] for g in groups}, until=max(last_days) if last_days else None
        )
    mixed = {
        g["currency"]
        for g in groups
        if g["day"] and not book.same_rate(g["currency"], g["day"], g["last_day"])
    }
    if mixed:
        groups = [g for g in groups if g["currency"] not in mixed] + [
            {**g, "day": g["expected_close"]} for g in days.filter(currency__in=mixed)
        ]
    totals: dict[int, Totals] = defaultdict(Totals)
    for group in groups:
        add_group(totals[group["stage_id"]], group, book)
    for stage_totals_ in totals.values():
        finish(stage_totals_)
    return dict(totals), book


def _month_sql(column: str) -> str:
    """SQL grouping dates by month (any key that is the same within a month will do)."""
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column}::timestamp)"
    return f"substr({column}, 1, 7)"


def _money_group(row, currency: str) -> dict:
    stage_id, group_currency, n, amount, weighted, first_day, last_day = row
    if group_currency == currency:
        first_day = last_day = None  # converts at no rate
    else:
        first_day, last_day = _date(first_day), _date(last_day)
    return {
        "stage_id": stage_id,
        "currency": group_currency,
        "n": n,
        "amount": _decimal(amount),
        "weighted": _decimal(weighted),
        "day": first_day,
        "last_day": last_day,
    }


def _decimal(value) -> Decimal:
    """Sums from raw SQL: PostgreSQL answers Decimal; SQLite a float, which is quantized to
    cents the way Django's own SQLite converter does it."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return FLOAT_CONTEXT.create_decimal_from_float(value).quantize(CENT)
    return Decimal(value)


FLOAT_CONTEXT = decimal.Context(prec=15)


def _date(value):
    """Dates from raw SQL: SQLite answers text."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def add_group(totals: Totals, group: dict, book: RateBook):
    """Add one aggregate group (currency, day, count, amount, weighted) to `totals`, exactly;
    a group whose rate is missing leaves the money totals unknown (the count still adds)."""
    totals.count += group["n"]
    day = group["day"] or timezone.localdate()
    if totals.total is None:
        # Still converted, so that the book lists every rate the column misses.
        with contextlib.suppress(MissingRate):
            book.convert(Decimal(0), group["currency"], day)
        return
    try:
        amount = book.convert(group["amount"] or Decimal(0), group["currency"], day, exact=True)
        weighted = book.convert(
            (group["weighted"] or Decimal(0)) / 100, group["currency"], day, exact=True
        )
    except MissingRate:
        totals.total = totals.weighted = None
        return
    totals.total += amount
    totals.weighted += weighted


def finish(totals: Totals):
    if totals.total is not None:
        totals.total = round_money(totals.total)
        totals.weighted = round_money(totals.weighted)


def card_queryset(user, filters: OpportunityFilter, pipeline: Pipeline):
    return (
        board_opportunities(user, filters, pipeline)
        .select_related("responsible")
        .only(*CARD_FIELDS)
        .order_by(*CARD_ORDERING)
    )


def load_customers(user, cards: list):
    """Each card's customer, through the access point (one the user may not see is None)."""
    from django.db.models import prefetch_related_objects

    if cards:
        prefetch_related_objects(cards, visible_customer(user))


def column_cards(user, filters, pipeline, stage, offset=0, limit=None):
    """Cards `offset`… of one column, and whether there are more after them."""
    limit = limit or CARDS_PER_COLUMN
    rows = list(
        card_queryset(user, filters, pipeline).filter(stage=stage)[offset : offset + limit + 1]
    )
    return rows[:limit], len(rows) > limit


def build_board(user, filters: OpportunityFilter, pipeline_pk: int | None = None) -> Board:
    """Everything the board page shows, in a number of queries that does not depend on how
    many opportunities there are (one per column for its cards)."""
    pipelines = list(
        Pipeline.objects.prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
        )
    )
    currency = default_currency()
    pipeline = chosen_pipeline(pipelines, pipeline_pk or filters.pipeline)
    if pipeline is None:
        return Board(None, pipelines, [], currency, [], Totals())
    filters = filters.model_copy(update={"pipeline": None})
    totals, book = stage_totals(
        board_opportunities(user, filters, pipeline, in_bulk=True), currency
    )
    columns = []
    for stage in pipeline.stages.all():
        cards, has_more = column_cards(user, filters, pipeline, stage)
        columns.append(Column(stage, totals.get(stage.pk, Totals()), cards, has_more))
    load_customers(user, [card for column in columns for card in column.cards])
    board_totals = Totals()
    for column in columns:
        board_totals.count += column.totals.count
        if board_totals.total is not None and column.totals.total is not None:
            board_totals.total += column.totals.total
            board_totals.weighted += column.totals.weighted
        elif column.totals.count:
            board_totals.total = board_totals.weighted = None
    return Board(pipeline, pipelines, columns, currency, book.missing, board_totals)
