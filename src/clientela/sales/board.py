"""The pipeline board: one column per stage with its count, total and weighted total in the
default currency, and the first cards of each column.

Totals come from sums per stage, currency and month, never from a loop over the cards: an
unfiltered board reads them from the summary the services keep (`summary_stage_totals`), a
filtered one from one SQL aggregate over its opportunities (`stage_totals`); both give the same
totals to the cent. An amount in another currency converts at the rate in force on the opportunity's expected close date, or
today when it has none; a column whose total needs a missing rate shows no total, and the board
lists the rates to enter (`missing`).

Cards are plain values (`Card`), every column's first ones read in one query
(`cards_by_stage`), through the access point like every list."""

import contextlib
import datetime
import decimal
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    IntegerField,
    Prefetch,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils import timezone

from clientela.accounts.models import User
from clientela.core.access import is_crm_user
from clientela.core.money import CENT, MissingRate, RateBook, default_currency, round_money

from .filters import OpportunityFilter
from .models import Opportunity, Pipeline, Stage, StageMonthTotal
from .queries import private_granted_in_bulk, visible_customer_name, visible_in_bulk
from .summaries import WEIGHTED_SUM

# Rendering a card costs about as much as the column totals over 250,000 opportunities: 20 per
# column keep the page within its budget, and "More…" brings the next ones.
CARDS_PER_COLUMN = 20
CARD_ORDERING = ("-total", "id")


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


@dataclass(frozen=True, slots=True)
class Card:
    """What a card shows, as plain values. `customer` is the customer's name, None when the
    user may not see it; `responsible` is the responsible's name as users are shown."""

    id: int
    stage_id: int
    version: int
    title: str
    customer: str | None
    currency: str
    total: Decimal
    probability: int
    expected_close: datetime.date | None
    responsible: str | None

    @property
    def pk(self) -> int:
        return self.id


@dataclass
class Column:
    stage: Stage
    totals: Totals
    cards: list[Card] = field(default_factory=list)
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
    return _add_up(groups, book), book


def _add_up(groups: list[dict], book: RateBook) -> dict[int, Totals]:
    totals: dict[int, Totals] = defaultdict(Totals)
    for group in groups:
        add_group(totals[group["stage_id"]], group, book)
    for stage_totals_ in totals.values():
        finish(stage_totals_)
    return dict(totals)


def summary_stage_totals(
    user, pipeline: Pipeline, currency: str
) -> tuple[dict[int, Totals], RateBook]:
    """The same totals as `stage_totals` over the whole pipeline, read from the summary
    (`StageMonthTotal`) instead of the pipeline's opportunities.

    An admin sees every opportunity: the summary alone. A regular user sees the public ones
    (the summary's public rows) and the private ones they were granted, summed live per month
    from the partial index `opp_board_private` (see `private_granted_in_bulk`). Groups are per
    stage, currency and month, as in `stage_totals`; a month over which the currency's rate
    changes, or has none, is summed again per day over the opportunities the user sees (one
    more query), so the totals and the missing rates are exactly those of the live aggregate."""
    rows = StageMonthTotal.objects.filter(pipeline=pipeline).exclude(count=0)
    private_months = []
    if not user.is_crm_admin:
        rows = rows.filter(is_private=False)
        private_months = (
            private_granted_in_bulk(user)
            .filter(pipeline=pipeline)
            .order_by()
            .annotate(group_month=_month_unless(currency, TruncMonth("expected_close")))
            .values_list("stage_id", "currency", "group_month")
            .annotate(n=Count("id"), amount=Sum("total"), weighted=WEIGHTED_SUM)
        )
    groups: dict[tuple, dict] = {}
    for stage_id, code, month, n, amount, weighted in (
        rows.annotate(group_month=_month_unless(currency, F("month")))
        .values_list("stage_id", "currency", "group_month")
        .annotate(n=Sum("count"), amount=Sum("total"), weighted=Sum("weighted"))
    ):
        _merge(groups, stage_id, code, month, currency, n, amount, weighted * 100)
    for stage_id, code, month, n, amount, weighted in private_months:
        if isinstance(month, datetime.datetime):
            month = month.date()
        _merge(groups, stage_id, code, month, currency, n, amount, weighted)

    today = timezone.localdate()
    month_ends = [_month_end(month) for (_s, code, month) in groups if code != currency and month]
    book = RateBook(
        {code for (_s, code, _m) in groups}, until=max([today, *month_ends]) if groups else None
    )
    exact_per_day = {
        (code, month)
        for (_s, code, month) in groups
        if code != currency
        and month
        and (book.rate(code, month) is None or not book.same_rate(code, month, _month_end(month)))
    }
    if exact_per_day:
        groups = {k: g for k, g in groups.items() if (k[1], k[2]) not in exact_per_day}
        in_months = Q()
        for code, month in exact_per_day:
            in_months |= Q(currency=code, expected_close__range=(month, _month_end(month)))
        days = (
            visible_in_bulk(user)
            .filter(pipeline=pipeline)
            .filter(in_months)
            .order_by()
            .values("stage_id", "currency", "expected_close")
            .annotate(n=Count("id"), amount=Sum("total"), weighted=WEIGHTED_SUM)
        )
        for index, row in enumerate(days):
            day = row["expected_close"]
            groups[("day", index)] = {**row, "day": day, "last_day": day}
    return _add_up(list(groups.values()), book), book


def _month_unless(currency: str, month):
    """The month to group by, except for amounts in the default currency: those need no rate,
    so each stage has one group of them (fewer rows to read and to add up)."""
    return Case(
        When(currency=currency, then=Value(None, output_field=DateField())),
        default=month,
        output_field=DateField(),
    )


def _merge(groups: dict, stage_id, code, month, currency, n, amount, weighted_per_cent):
    """Add a summary row or a group of private opportunities to the group of its stage,
    currency and month (one group per stage for the default currency: it converts at no
    rate). `weighted_per_cent` is Σ total × probability, as `add_group` takes it."""
    month = None if code == currency else month
    group = groups.setdefault(
        (stage_id, code, month),
        {
            "stage_id": stage_id,
            "currency": code,
            "n": 0,
            "amount": Decimal(0),
            "weighted": Decimal(0),
            "day": month,
            "last_day": _month_end(month) if month else None,
        },
    )
    group["n"] += n
    group["amount"] += amount or 0
    group["weighted"] += weighted_per_cent or 0


@functools.lru_cache(maxsize=1024)
def _month_end(month: datetime.date) -> datetime.date:
    next_month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return next_month - datetime.timedelta(days=1)


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


# A card row: `Card`'s fields up to the expected close, then the responsible's id and names.
CARD_COLUMNS = (
    "id",
    "stage_id",
    "version",
    "title",
    "customer_name",
    "currency",
    "total",
    "probability",
    "expected_close",
    "responsible_id",
    "responsible_first_name",
    "responsible_last_name",
    "responsible_email",
)
STAGE_ALIAS = "board_stage"


def card_rows(user, opportunities):
    """`opportunities` as card rows (`CARD_COLUMNS`), best first; the customer's name is read
    through the access point, as in the opportunity list."""
    return (
        opportunities.annotate(
            customer_name=visible_customer_name(user),
            responsible_first_name=F("responsible__first_name"),
            responsible_last_name=F("responsible__last_name"),
            responsible_email=F("responsible__email"),
        )
        .order_by(*CARD_ORDERING)
        .values_list(*CARD_COLUMNS)
    )


def cards_by_stage(
    user, filters: OpportunityFilter, pipeline: Pipeline, stages, offset=0, limit=None
) -> dict[int, list[Card]]:
    """Cards `offset`… of each stage's column, up to `limit` + 1 of them (one more than shown,
    to tell whether there are more), in one query whatever the number of columns.

    On PostgreSQL each stage reads its first cards through the index on (pipeline, stage,
    total) in a LATERAL subquery, so the query reads about `limit` rows per column, never the
    pipeline. Other databases number the rows of each stage with a window function, which
    reads the pipeline's opportunities: fine at the sizes SQLite serves."""
    limit = limit or CARDS_PER_COLUMN
    stage_ids = [stage.pk for stage in stages]
    if not stage_ids:
        return {}
    opportunities = board_opportunities(user, filters, pipeline)
    if connection.vendor == "postgresql":
        rows = _lateral_card_rows(user, opportunities, stage_ids, offset, limit + 1)
    else:
        rows = _ranked_card_rows(user, opportunities, stage_ids, offset, limit + 1)
    names = _ResponsibleNames()
    by_stage: dict[int, list[Card]] = {pk: [] for pk in stage_ids}
    for row in rows:
        card = Card(*row[:9], names.name(*row[9:]))
        by_stage[card.stage_id].append(card)
    return by_stage


def _lateral_card_rows(user, opportunities, stage_ids, offset: int, count: int) -> list[tuple]:
    quote = connection.ops.quote_name
    of_the_stage = RawSQL(f"{quote(STAGE_ALIAS)}.{quote('id')}", (), output_field=IntegerField())
    per_stage = card_rows(user, opportunities.filter(stage_id=of_the_stage))[
        offset : offset + count
    ]
    inner_sql, params = per_stage.query.sql_with_params()
    ordering = ", ".join(
        f"cards.{quote(name.lstrip('-'))} {'DESC' if name.startswith('-') else 'ASC'}"
        for name in CARD_ORDERING
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT cards.* FROM {quote(Stage._meta.db_table)} AS {quote(STAGE_ALIAS)}"
            f" CROSS JOIN LATERAL ({inner_sql}) AS cards"
            f" WHERE {quote(STAGE_ALIAS)}.{quote('id')} IN ({', '.join(['%s'] * len(stage_ids))})"
            f" ORDER BY cards.{quote('stage_id')}, {ordering}",
            (*params, *stage_ids),
        )
        position = {column.name: index for index, column in enumerate(cursor.description)}
        order = [position[name] for name in CARD_COLUMNS]
        return [tuple(row[index] for index in order) for row in cursor.fetchall()]


def _ranked_card_rows(user, opportunities, stage_ids, offset: int, count: int) -> list[tuple]:
    ranked = (
        opportunities.filter(stage_id__in=stage_ids)
        .annotate(
            card_rank=Window(
                RowNumber(),
                partition_by=F("stage_id"),
                order_by=[
                    F(name[1:]).desc() if name.startswith("-") else F(name).asc()
                    for name in CARD_ORDERING
                ],
            )
        )
        .filter(card_rank__gt=offset, card_rank__lte=offset + count)
        .values("pk")
    )
    return list(card_rows(user, opportunities.filter(pk__in=ranked)))


class _ResponsibleNames:
    """Responsibles' names as `User.__str__` gives them, built once per user."""

    def __init__(self):
        self._names: dict[int, str] = {}

    def name(self, pk, first_name, last_name, email) -> str | None:
        if pk is None:
            return None
        if pk not in self._names:
            self._names[pk] = str(
                User(pk=pk, first_name=first_name, last_name=last_name, email=email)
            )
        return self._names[pk]


def column_cards(user, filters, pipeline, stage, offset=0, limit=None):
    """Cards `offset`… of one column, and whether there are more after them."""
    limit = limit or CARDS_PER_COLUMN
    rows = cards_by_stage(user, filters, pipeline, [stage], offset, limit)[stage.pk]
    return rows[:limit], len(rows) > limit


def build_board(user, filters: OpportunityFilter, pipeline_pk: int | None = None) -> Board:
    """Everything the board page shows, in a number of queries that depends neither on how
    many opportunities there are nor on how many columns."""
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
    if is_crm_user(user) and not filters.active():
        totals, book = summary_stage_totals(user, pipeline, currency)
    else:
        totals, book = stage_totals(
            board_opportunities(user, filters, pipeline, in_bulk=True), currency
        )
    stages = list(pipeline.stages.all())
    cards = cards_by_stage(user, filters, pipeline, stages)
    columns = [
        Column(
            stage,
            totals.get(stage.pk, Totals()),
            cards[stage.pk][:CARDS_PER_COLUMN],
            len(cards[stage.pk]) > CARDS_PER_COLUMN,
        )
        for stage in stages
    ]
    board_totals = Totals()
    for column in columns:
        board_totals.count += column.totals.count
        if board_totals.total is not None and column.totals.total is not None:
            board_totals.total += column.totals.total
            board_totals.weighted += column.totals.weighted
        elif column.totals.count:
            board_totals.total = board_totals.weighted = None
    return Board(pipeline, pipelines, columns, currency, book.missing, board_totals)
