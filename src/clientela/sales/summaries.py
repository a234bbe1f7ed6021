"""The summaries of the opportunities, kept by every write and rebuilt at will, so that the
board and the forecast sum a few thousand rows instead of reading 300,000 opportunities.

Each summary is a table with one row per key and the count, total and weighted total of the
opportunities of that key (`sales.models.OpportunitySummary`):

- `StageMonthTotal` (the board): pipeline, stage, currency, month of expected close (None when
  undated), private or not.
- `ForecastMonthTotal` (the forecast per responsible and per pipeline, and the funnel): the
  same for dated opportunities, plus the responsible and the stages reached.
- `ClosedMonthTotal` (the amounts won per month): pipeline, stage, currency, month of closing,
  private or not, for opportunities with a closing date.

A write that changes any part of an opportunity's keys or amounts takes its old contribution
off the old rows and adds the new one, with upsert-increments in the write's transaction: rows
are only ever incremented, never read then written, so concurrent writes neither lose updates
nor wait on each other longer than their own transactions (tables and keys are applied in a
fixed order, so two writes cannot deadlock)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps as global_apps
from django.db import connection, transaction
from django.db.models import BooleanField as BooleanOutput
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from clientela.core.access import AccessLevel

WEIGHTED_SUM = Sum(
    ExpressionWrapper(
        F("total") * F("probability"), output_field=DecimalField(max_digits=22, decimal_places=2)
    )
)


def month_of(day: datetime.date | None) -> datetime.date | None:
    return day.replace(day=1) if day else None


def with_reached(reached_stages: str, stage_id: int) -> str:
    """`reached_stages` once the opportunity has entered `stage_id` too."""
    ids = {int(part) for part in reached_stages.split(",") if part}
    ids.add(stage_id)
    return ",".join(str(pk) for pk in sorted(ids))


def reached_ids(reached_stages: str) -> list[int]:
    return [int(part) for part in reached_stages.split(",") if part]


def _is_private():
    return Case(
        When(access=AccessLevel.PRIVATE, then=Value(True)),
        default=Value(False),
        output_field=BooleanOutput(),
    )


@dataclass(frozen=True)
class Summary:
    """One summary table: which opportunities it counts, and the key of each.

    A key is made of the opportunity's own columns (`pipeline_id`, `currency`…), plus `month`,
    the first day of the month of `month_of_field`, and `is_private`. The same definition
    gives the key in Python (`key_of`, for the writes) and in SQL (`key_sql`, for the
    rebuild), so the two cannot drift apart."""

    model_name: str
    key_fields: tuple[str, ...]
    month_of_field: str
    # Only opportunities with a `month_of_field` (otherwise undated ones have month None).
    dated_only: bool = False
    # A key field that may be NULL: the table then has two partial unique keys, one for each.
    nullable: str | None = None

    def model(self, apps=global_apps):
        return apps.get_model("sales", self.model_name)

    def key_of(self, opportunity) -> tuple | None:
        """The opportunity's key as it is now, or None when the table does not count it."""
        day = getattr(opportunity, self.month_of_field)
        if self.dated_only and day is None:
            return None
        special = {"month": month_of(day), "is_private": opportunity.access == AccessLevel.PRIVATE}
        return tuple(
            special[name] if name in special else getattr(opportunity, name)
            for name in self.key_fields
        )

    def counted(self) -> Q:
        return Q(**{f"{self.month_of_field}__isnull": False}) if self.dated_only else Q()

    def key_sql(self) -> dict:
        special = {"month": TruncMonth(self.month_of_field), "is_private": _is_private()}
        return {name: special[name] if name in special else F(name) for name in self.key_fields}


STAGE_MONTH = Summary(
    "StageMonthTotal",
    ("pipeline_id", "stage_id", "currency", "month", "is_private"),
    month_of_field="expected_close",
    nullable="month",
)
FORECAST_MONTH = Summary(
    "ForecastMonthTotal",
    (
        "pipeline_id",
        "stage_id",
        "responsible_id",
        "currency",
        "month",
        "reached_stages",
        "is_private",
    ),
    month_of_field="expected_close",
    dated_only=True,
    nullable="responsible_id",
)
CLOSED_MONTH = Summary(
    "ClosedMonthTotal",
    ("pipeline_id", "stage_id", "currency", "month", "is_private"),
    month_of_field="closed_at",
    dated_only=True,
)
SUMMARIES = (STAGE_MONTH, FORECAST_MONTH, CLOSED_MONTH)


@dataclass(frozen=True)
class Contribution:
    """What one opportunity adds to the summaries: its key in each (None where not counted)."""

    keys: tuple  # one per summary, in the order of SUMMARIES
    total: Decimal
    weighted: Decimal


def contribution(opportunity) -> Contribution:
    total = Decimal(opportunity.total or 0)
    return Contribution(
        tuple(summary.key_of(opportunity) for summary in SUMMARIES),
        total,
        total * opportunity.probability / 100,
    )


def apply_change(before: Contribution | None, after: Contribution | None):
    """Move an opportunity's contribution from `before` (None: it is new) to `after` (None: it
    is deleted). Must run inside the transaction of the write."""
    for index, summary in enumerate(SUMMARIES):
        deltas: dict[tuple, list] = {}
        for part, sign in ((before, -1), (after, 1)):
            if part is None or part.keys[index] is None:
                continue
            delta = deltas.setdefault(part.keys[index], [0, Decimal(0), Decimal(0)])
            delta[0] += sign
            delta[1] += sign * part.total
            delta[2] += sign * part.weighted
        for key in sorted(deltas, key=_sort_key):
            count, total, weighted = deltas[key]
            if count or total or weighted:
                _increment(summary, key, count, total, weighted)


def _sort_key(key: tuple):
    """Keys in a fixed order; None first (NULL fields cannot be compared with values)."""
    return tuple((value is not None, value) for value in key)


def _increment(summary: Summary, key: tuple, count: int, total: Decimal, weighted: Decimal):
    assert transaction.get_connection().in_atomic_block, "apply summary changes in the write"
    table = connection.ops.quote_name(summary.model()._meta.db_table)
    columns = [*summary.key_fields, "count", "total", "weighted"]
    target = list(summary.key_fields)
    condition = ""
    if summary.nullable:
        is_null = key[summary.key_fields.index(summary.nullable)] is None
        if is_null:
            target.remove(summary.nullable)
        condition = f" WHERE {summary.nullable} IS {'' if is_null else 'NOT '}NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)})"
            f" VALUES ({', '.join(['%s'] * len(columns))})"
            f" ON CONFLICT ({', '.join(target)}){condition} DO UPDATE SET"
            f" count = {table}.count + EXCLUDED.count,"
            f" total = {table}.total + EXCLUDED.total,"
            f" weighted = {table}.weighted + EXCLUDED.weighted",
            [*key, count, total, weighted],
        )


def summary_rows(summary: Summary, opportunity_model=None) -> list[dict]:
    """The rows of `summary` as they should be, computed from the opportunities."""
    opportunity_model = opportunity_model or global_apps.get_model("sales", "Opportunity")
    rows = (
        opportunity_model.objects.order_by()
        .filter(summary.counted())
        .annotate(**{f"key_{name}": expression for name, expression in summary.key_sql().items()})
        .values(*(f"key_{name}" for name in summary.key_fields))
        .annotate(n=Count("id"), amount=Sum("total"), weighted_per_cent=WEIGHTED_SUM)
    )
    result = []
    for row in rows:
        values = {name: row[f"key_{name}"] for name in summary.key_fields}
        if isinstance(values["month"], datetime.datetime):
            values["month"] = values["month"].date()
        result.append(
            {
                **values,
                "count": row["n"],
                "total": row["amount"] or Decimal(0),
                "weighted": (row["weighted_per_cent"] or Decimal(0)) / Decimal(100),
            }
        )
    return sorted(
        result, key=lambda row: _sort_key(tuple(row[name] for name in summary.key_fields))
    )


def rebuild_table(summary: Summary, apps=global_apps) -> int:
    """Replace one summary by one computed from the opportunities (idempotent). `apps` lets a
    data migration pass its historical models."""
    model = summary.model(apps)
    with transaction.atomic():
        # Writes wait while the summary is rebuilt, so none is counted twice or lost.
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        rows = summary_rows(summary, apps.get_model("sales", "Opportunity"))
        model.objects.all().delete()
        model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)
    return len(rows)


def rebuild_reached_stages(apps=global_apps) -> int:
    """Write each opportunity's `reached_stages` from its stage history (for opportunities
    loaded without the services). Answers how many changed."""
    opportunity_model = apps.get_model("sales", "Opportunity")
    change_model = apps.get_model("sales", "StageChange")
    if connection.vendor == "postgresql":
        opportunities = connection.ops.quote_name(opportunity_model._meta.db_table)
        changes = connection.ops.quote_name(change_model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {opportunities} AS o SET reached_stages = history.reached FROM ("
                "   SELECT opportunity_id, array_to_string("
                "     array_agg(DISTINCT to_stage_id ORDER BY to_stage_id), ',') AS reached"
                f"  FROM {changes} WHERE to_stage_id IS NOT NULL GROUP BY opportunity_id"
                " ) AS history"
                " WHERE o.id = history.opportunity_id AND o.reached_stages <> history.reached"
            )
            changed = cursor.rowcount
            cursor.execute(
                f"UPDATE {opportunities} AS o SET reached_stages = '' WHERE reached_stages <> ''"
                f" AND NOT EXISTS (SELECT 1 FROM {changes} AS c"
                "  WHERE c.opportunity_id = o.id AND c.to_stage_id IS NOT NULL)"
            )
            return changed + cursor.rowcount
    reached: dict[int, set] = {}
    for opportunity_id, stage_id in change_model.objects.filter(
        to_stage_id__isnull=False
    ).values_list("opportunity_id", "to_stage_id"):
        reached.setdefault(opportunity_id, set()).add(stage_id)
    changed = []
    for opportunity in opportunity_model.objects.only("id", "reached_stages"):
        value = ",".join(str(pk) for pk in sorted(reached.get(opportunity.pk, ())))
        if opportunity.reached_stages != value:
            opportunity.reached_stages = value
            changed.append(opportunity)
    opportunity_model.objects.bulk_update(changed, ["reached_stages"], batch_size=500)
    return len(changed)


def rebuild(apps=global_apps) -> dict[str, int]:
    """Rebuild what the services keep beside the opportunities: their reached stages, then
    every summary. Answers the number of rows of each summary."""
    with transaction.atomic():
        rebuild_reached_stages(apps)
        return {summary.model_name: rebuild_table(summary, apps) for summary in SUMMARIES}
