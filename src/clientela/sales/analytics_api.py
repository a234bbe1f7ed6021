"""API of the board and the forecast, registered in `core.api.register_routers`. Both take
the opportunity list's filters (`OpportunityFilter`), so they narrow exactly as the list does,
and read only what the caller may see. Money is in the default currency, as exact decimal
strings; a total that needs a missing exchange rate is null and the rate is in `missing_rates`.
Stage moves go through the opportunity endpoints (`services.change_stage`)."""

import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from clientela.core.api import MAX_ID, error_responses
from clientela.core.errors import ValidationError

from . import board as board_queries
from . import forecast as forecast_queries
from .filters import OpportunityFilter
from .models import Pipeline

router = Router(tags=["sales"])


class MissingRateOut(Schema):
    currency: str
    to: str
    on: datetime.date = Field(description="Enter a rate dated on or before this day.")


class TotalsOut(Schema):
    count: int
    total: str | None = Field(description="In the default currency; null if a rate is missing.")
    weighted: str | None = Field(description="Σ total × probability / 100; null likewise.")


class CardOut(Schema):
    id: int
    title: str
    customer: str | None = Field(description="The customer's name; null if out of your reach.")
    currency: str
    total: str
    probability: int
    expected_close: datetime.date | None
    responsible: str | None
    version: int


class ColumnOut(Schema):
    stage_id: int
    stage: str
    kind: str
    probability: int
    totals: TotalsOut
    cards: list[CardOut]
    has_more: bool


class BoardOut(Schema):
    pipeline_id: int | None
    currency: str
    totals: TotalsOut
    columns: list[ColumnOut]
    missing_rates: list[MissingRateOut]


class BoardParams(Schema):
    pipeline: int | None = Field(None, ge=1, le=MAX_ID, description="Default pipeline if unset.")


def _money(value) -> str | None:
    return None if value is None else str(value)


def _totals(totals) -> dict:
    return {
        "count": totals.count,
        "total": _money(totals.total),
        "weighted": _money(totals.weighted),
    }


def _missing(missing) -> list[dict]:
    return [{"currency": m.currency, "to": m.to, "on": m.on} for m in missing]


def _card(card: board_queries.Card) -> dict:
    return {
        "id": card.id,
        "title": card.title,
        "customer": card.customer,
        "currency": card.currency,
        "total": str(card.total),
        "probability": card.probability,
        "expected_close": card.expected_close,
        "responsible": card.responsible,
        "version": card.version,
    }


@router.get(
    "/sales/board",
    response={200: BoardOut, **error_responses()},
    summary="The pipeline board: columns, totals and first cards",
)
def get_board(request: HttpRequest, filters: Query[OpportunityFilter]) -> dict:
    """One column per stage of the pipeline (`pipeline`, else the default one) with its count,
    total and weighted total in the default currency, and its first 50 cards by amount."""
    board = board_queries.build_board(request.user, filters, filters.pipeline)
    return {
        "pipeline_id": board.pipeline.pk if board.pipeline else None,
        "currency": board.currency,
        "totals": _totals(board.totals),
        "columns": [
            {
                "stage_id": column.stage.pk,
                "stage": column.stage.name,
                "kind": column.stage.kind,
                "probability": column.stage.probability,
                "totals": _totals(column.totals),
                "cards": [_card(card) for card in column.cards],
                "has_more": column.has_more,
            }
            for column in board.columns
        ],
        "missing_rates": _missing(board.missing),
    }


class MonthOut(Schema):
    month: str = Field(description="yyyy-mm")
    count: int
    total: str | None
    weighted: str | None


class BreakdownOut(Schema):
    id: int | None
    name: str
    totals: TotalsOut
    months: list[MonthOut]


class FunnelStepOut(Schema):
    stage_id: int
    stage: str
    kind: str
    count: int = Field(description="Opportunities in this stage now.")
    amount: str | None
    reached: int = Field(description="Opportunities that reached this stage or a later one.")
    conversion: str | None = Field(description="% of those reaching the previous stage.")


class ForecastOut(Schema):
    start: datetime.date
    end: datetime.date
    currency: str
    forecast: list[MonthOut]
    forecast_total: TotalsOut
    won: list[MonthOut]
    won_total: TotalsOut
    by_responsible: list[BreakdownOut]
    by_pipeline: list[BreakdownOut]
    funnel_pipeline_id: int | None
    funnel: list[FunnelStepOut]
    missing_rates: list[MissingRateOut]


class PeriodParams(Schema):
    start: datetime.date | None = Field(None, description="First day; 1 January by default.")
    end: datetime.date | None = Field(None, description="Last day; 31 December by default.")


def _months(months, amounts: dict) -> list[dict]:
    return [
        {
            "month": month.strftime("%Y-%m"),
            **_totals(amounts.get(month) or forecast_queries.Amounts()),
        }
        for month in months
    ]


def _breakdown(rows, months) -> list[dict]:
    return [
        {
            "id": row.key,
            "name": row.label,
            "totals": _totals(row.amounts),
            "months": _months(months, row.by_month),
        }
        for row in rows
    ]


@router.get(
    "/sales/forecast",
    response={200: ForecastOut, **error_responses(400)},
    summary="The sales forecast of a period",
)
def get_forecast(
    request: HttpRequest, period: Query[PeriodParams], filters: Query[OpportunityFilter]
) -> dict:
    """Weighted forecast of open opportunities by month of expected close (in all, per
    responsible, per pipeline), won amounts per month of closing, and the funnel of `pipeline`
    (the default one if unset; `pipeline` narrows the rest too). Other currencies convert at the rate in force on the last day
    of each month. At most three years at a time."""
    today = timezone.localdate()
    start = period.start or datetime.date(today.year, 1, 1)
    end = period.end or datetime.date(today.year, 12, 31)
    if end < start:
        raise ValidationError({"end": _("The end comes before the start.")})
    if (end - start).days > forecast_queries.MAX_PERIOD_DAYS:
        raise ValidationError({"end": _("Ask for at most three years at a time.")})
    pipelines = list(Pipeline.objects.all())
    funnel_pipeline = board_queries.chosen_pipeline(pipelines, filters.pipeline)
    result = forecast_queries.build_forecast(request.user, filters, start, end, funnel_pipeline)
    return {
        "start": start,
        "end": end,
        "currency": result.currency,
        "forecast": _months(result.months, result.forecast),
        "forecast_total": _totals(result.forecast_total),
        "won": _months(result.months, result.won),
        "won_total": _totals(result.won_total),
        "by_responsible": _breakdown(result.by_responsible, result.months),
        "by_pipeline": _breakdown(result.by_pipeline, result.months),
        "funnel_pipeline_id": funnel_pipeline.pk if funnel_pipeline else None,
        "funnel": [
            {
                "stage_id": step.stage.pk,
                "stage": step.stage.name,
                "kind": step.stage.kind,
                "count": step.count,
                "amount": _money(step.amount),
                "reached": step.reached,
                "conversion": _money(step.conversion),
            }
            for step in result.funnel
        ],
        "missing_rates": _missing(result.missing),
    }
