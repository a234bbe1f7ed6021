"""The summary of the board's totals (`StageMonthTotal`): kept by every write, rebuilt at will.

Each opportunity adds 1, its total and its weighted total to the row of its key (pipeline,
stage, currency, month of expected close, private or not). A write that changes any part of
the key or the amounts takes its old contribution off the old row and adds the new one, with
an upsert-increment in the write's transaction: rows are only ever incremented, never read
then written, so concurrent writes neither lose updates nor wait on each other longer than
their own transactions (keys are applied in a fixed order, so two writes cannot deadlock)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import TruncMonth

from clientela.core.access import AccessLevel

WEIGHTED_SUM = Sum(
    ExpressionWrapper(
        F("total") * F("probability"), output_field=DecimalField(max_digits=22, decimal_places=2)
    )
)


def month_of(day: datetime.date | None) -> datetime.date | None:
    return day.replace(day=1) if day else None


@dataclass(frozen=True)
class Contribution:
    """What one opportunity adds to its summary row."""

    key: tuple  # (pipeline_id, stage_id, currency, month, is_private)
    total: Decimal
    weighted: Decimal


def contribution(opportunity) -> Contribution:
    total = Decimal(opportunity.total or 0)
    return Contribution(
        (
            opportunity.pipeline_id,
            opportunity.stage_id,
            opportunity.currency,
            month_of(opportunity.expected_close),
            opportunity.access == AccessLevel.PRIVATE,
        ),
        total,
        total * opportunity.probability / 100,
    )


def apply_change(before: Contribution | None, after: Contribution | None):
    """Move an opportunity's contribution from `before` (None: it is new) to `after` (None: it
    is deleted). Must run inside the transaction of the write."""
    deltas: dict[tuple, list] = {}
    for part, sign in ((before, -1), (after, 1)):
        if part is None:
            continue
        delta = deltas.setdefault(part.key, [0, Decimal(0), Decimal(0)])
        delta[0] += sign
        delta[1] += sign * part.total
        delta[2] += sign * part.weighted
    for key in sorted(deltas, key=_sort_key):
        count, total, weighted = deltas[key]
        if count or total or weighted:
            _increment(key, count, total, weighted)


def _sort_key(key: tuple):
    pipeline_id, stage_id, currency, month, is_private = key
    return (pipeline_id, stage_id, currency, month or datetime.date.min, is_private)


def _increment(key: tuple, count: int, total: Decimal, weighted: Decimal):
    from .models import StageMonthTotal

    assert transaction.get_connection().in_atomic_block, "apply summary changes in the write"
    table = connection.ops.quote_name(StageMonthTotal._meta.db_table)
    pipeline_id, stage_id, currency, month, is_private = key
    if month is None:
        target = "(pipeline_id, stage_id, currency, is_private) WHERE month IS NULL"
    else:
        target = "(pipeline_id, stage_id, currency, month, is_private) WHERE month IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table}"
            " (pipeline_id, stage_id, currency, month, is_private, count, total, weighted)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            f" ON CONFLICT {target} DO UPDATE SET"
            f" count = {table}.count + EXCLUDED.count,"
            f" total = {table}.total + EXCLUDED.total,"
            f" weighted = {table}.weighted + EXCLUDED.weighted",
            [pipeline_id, stage_id, currency, month, is_private, count, total, weighted],
        )


def summary_rows(opportunity_model) -> list[dict]:
    """The summary as it should be, computed from the opportunities."""
    rows = (
        opportunity_model.objects.order_by()
        .annotate(month=TruncMonth("expected_close"))
        .values("pipeline_id", "stage_id", "currency", "month", "access")
        .annotate(n=Count("id"), amount=Sum("total"), weighted_per_cent=WEIGHTED_SUM)
    )
    merged: dict[tuple, dict] = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        key = (
            row["pipeline_id"],
            row["stage_id"],
            row["currency"],
            month,
            row["access"] == AccessLevel.PRIVATE,
        )
        merged_row = merged.setdefault(
            key,
            dict(
                zip(
                    ("pipeline_id", "stage_id", "currency", "month", "is_private"), key, strict=True
                ),
                count=0,
                total=Decimal(0),
                weighted=Decimal(0),
            ),
        )
        merged_row["count"] += row["n"]
        merged_row["total"] += row["amount"] or 0
        merged_row["weighted"] += (row["weighted_per_cent"] or 0) / Decimal(100)
    return [merged[key] for key in sorted(merged, key=_sort_key)]


def rebuild(opportunity_model=None, summary_model=None) -> int:
    """Replace the summary by one computed from the opportunities (idempotent). The models are
    parameters for the data migration, which passes its historical ones."""
    if opportunity_model is None:
        from .models import Opportunity as opportunity_model
    if summary_model is None:
        from .models import StageMonthTotal as summary_model
    with transaction.atomic():
        # Writes wait while the summary is rebuilt, so none is counted twice or lost.
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(summary_model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        rows = summary_rows(opportunity_model)
        summary_model.objects.all().delete()
        summary_model.objects.bulk_create([summary_model(**row) for row in rows], batch_size=1000)
    return len(rows)
