"""The pipeline board: one column per stage with its count, total and weighted total in the
default currency, and the first cards of each column.

Totals come from one SQL aggregate grouped by stage and currency (and, for amounts in another
currency, by the day whose rate converts them), never from a loop over the cards. An amount in
another currency converts at the rate in force on the opportunity's expected close date, or
today when it has none; a column whose total needs a missing rate shows no total, and the board
lists the rates to enter (`missing`)."""

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

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

from clientela.core.money import MissingRate, RateBook, default_currency, round_money

from .filters import OpportunityFilter
from .models import Opportunity, Pipeline, Stage
from .queries import visible_customer

CARDS_PER_COLUMN = 50
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


def board_opportunities(user, filters: OpportunityFilter, pipeline: Pipeline):
    """The opportunities of `pipeline` the user may see, as the list's filters narrow them."""
    return filters.apply(Opportunity.objects.visible_to(user)).filter(pipeline=pipeline)


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
    """Totals per stage id, in `currency` (the default one), from one aggregate query."""
    groups = list(
        queryset.order_by()
        .values("stage_id", "currency", day=conversion_day(currency))
        .annotate(n=Count("id"), amount=Sum("total"), weighted=WEIGHTED_SUM)
    )
    if book is None:
        days = [g["day"] for g in groups if g["day"]]
        book = RateBook({g["currency"] for g in groups}, until=max(days) if days else None)
    totals: dict[int, Totals] = defaultdict(Totals)
    for group in groups:
        add_group(totals[group["stage_id"]], group, book)
    for stage_totals_ in totals.values():
        finish(stage_totals_)
    return dict(totals), book


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
    totals, book = stage_totals(board_opportunities(user, filters, pipeline), currency)
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
