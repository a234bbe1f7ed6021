"""Opportunities, the pipelines and stages they move through, and the stage history."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clientela.core.access import AccessLevel
from clientela.core.models import AccessControlled, AdminList, BaseRecord

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Pipeline(models.Model):
    """A sales process: its ordered stages. Exactly one pipeline is the default."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_default = models.BooleanField(_("default pipeline"), default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline"
            )
        ]

    def __str__(self):
        return self.name

    @classmethod
    def default(cls) -> "Pipeline | None":
        return cls.objects.filter(is_default=True).first() or cls.objects.first()


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"), default=0, validators=PERCENT
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        indexes = [models.Index(fields=["pipeline", "position"], name="stage_pipeline_position")]

    def __str__(self):
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != self.Kind.OPEN


class LeadSource(AdminList):
    class Meta(AdminList.Meta):
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")


class LostReason(AdminList):
    class Meta(AdminList.Meta):
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")


class Opportunity(BaseRecord, AccessControlled):
    """A possible sale to a customer, followed through the stages of a pipeline (S2.26)."""

    class BudgetType(models.TextChoices):
        FIXED = "fixed", _("Fixed price")
        HOUR = "hour", _("Per hour")
        DAY = "day", _("Per day")
        WEEK = "week", _("Per week")
        MONTH = "month", _("Per month")
        YEAR = "year", _("Per year")

    # Open to every CRM user unless restricted (S2.26): unlike contacts, public by default.
    access = models.CharField(
        _("access"), max_length=12, choices=AccessLevel.choices, default=AccessLevel.PUBLIC_WRITE
    )
    title = models.CharField(_("title"), max_length=200)
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    customer = models.ForeignKey(
        "contacts.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    description = models.TextField(_("description"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal(0))
    budget_type = models.CharField(
        _("budget type"), max_length=5, choices=BudgetType.choices, default=BudgetType.FIXED
    )
    budget_periods = models.PositiveIntegerField(_("number of periods"), default=1)
    # amount × budget_periods, kept by the service so SQL can sum and sort it.
    total = models.DecimalField(
        _("total"), max_digits=16, decimal_places=2, default=Decimal(0), editable=False
    )
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="opportunities"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, validators=PERCENT
    )
    lead_source = models.ForeignKey(
        LeadSource,
        verbose_name=_("lead source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    interests = models.ManyToManyField(
        "contacts.Interest", verbose_name=_("interests"), blank=True, related_name="opportunities"
    )
    next_step = models.CharField(_("next step"), max_length=250, blank=True)
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateField(_("closed on"), null=True, blank=True)
    # The ids of every stage it has entered, ascending, comma-separated ("3,4,7"): written with
    # the stage history, so the funnel counts how far opportunities got without reading it.
    reached_stages = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["pipeline", "stage", "-total"], name="opp_pipeline_stage"),
            models.Index(fields=["stage", "expected_close"], name="opp_stage_close"),
            models.Index(fields=["expected_close", "id"], name="opp_close"),
            models.Index(fields=["responsible", "expected_close"], name="opp_responsible_close"),
            models.Index(fields=["total", "id"], name="opp_total"),
            models.Index(fields=["amount", "id"], name="opp_amount"),
            models.Index(fields=["-created_at", "-id"], name="opp_created"),
            models.Index(fields=["access", "-created_at", "-id"], name="opp_access_created"),
            models.Index(fields=["title", "id"], name="opp_title"),
            models.Index(fields=["closed_at"], name="opp_closed"),
            # Covering indexes of the board's and the forecast's aggregates (PostgreSQL reads
            # them without visiting the table; see docs/performance.md, "Sales pipeline").
            models.Index(
                fields=["pipeline", "stage", "currency", "expected_close"],
                include=["total", "probability", "access", "id"],
                name="opp_board_totals",
            ),
            models.Index(
                fields=["expected_close"],
                include=[
                    "pipeline",
                    "stage",
                    "responsible",
                    "currency",
                    "total",
                    "probability",
                    "access",
                    "id",
                ],
                name="opp_forecast",
            ),
            models.Index(
                fields=["closed_at"],
                include=["stage", "currency", "total", "access", "id"],
                name="opp_won",
            ),
            # A regular user's board adds their private opportunities to the summary's public
            # totals (`StageMonthTotal`): the private ones of a pipeline, read from this index
            # alone (a fifth of the rows of `opp_board_totals`).
            models.Index(
                fields=["pipeline", "stage", "currency", "expected_close"],
                include=["total", "probability", "id"],
                condition=Q(access=AccessLevel.PRIVATE),
                name="opp_board_private",
            ),
            # The same for the forecast of a regular user: the private opportunities of a
            # period (open ones and the funnel), and those closed in it (won).
            models.Index(
                fields=["expected_close"],
                include=[
                    "pipeline",
                    "stage",
                    "responsible",
                    "currency",
                    "total",
                    "probability",
                    "reached_stages",
                    "id",
                ],
                condition=Q(access=AccessLevel.PRIVATE),
                name="opp_forecast_private",
            ),
            models.Index(
                fields=["closed_at"],
                include=["pipeline", "stage", "currency", "total", "id"],
                condition=Q(access=AccessLevel.PRIVATE),
                name="opp_won_private",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="opp_probability_max"),
            models.CheckConstraint(condition=Q(budget_periods__gte=1), name="opp_periods_min"),
        ]

    changelog_exclude = (*BaseRecord.changelog_exclude, "total", "reached_stages")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("sales:detail", args=[self.pk])

    @property
    def total_amount(self) -> Decimal:
        """What the opportunity is worth: the amount times the number of budget periods."""
        return (self.amount or Decimal(0)) * (self.budget_periods or 1)

    @property
    def weighted_total(self) -> Decimal:
        return (self.total_amount * self.probability / 100).quantize(Decimal("0.01"))

    @property
    def status(self) -> str:
        """open, won or lost: the kind of its stage."""
        return self.stage.kind


class StageChange(models.Model):
    """One row per stage an opportunity entered: when, from where, by whom, and when it left."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from stage"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Nullable only so that deleting an emptied stage keeps the history (its name stays).
    to_stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="entries",
    )
    stage_name = models.CharField(_("stage"), max_length=100)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)

    class Meta:
        ordering = ["entered_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage history")
        indexes = [
            models.Index(fields=["opportunity", "entered_at"], name="stagechange_opportunity"),
            models.Index(fields=["to_stage", "entered_at"], name="stagechange_stage"),
            # The funnel: the stages each opportunity reached, read from the index alone.
            models.Index(fields=["opportunity", "to_stage"], name="stagechange_reached"),
        ]

    def __str__(self):
        return f"{self.opportunity_id} → {self.stage_name}"


class OpportunitySummary(models.Model):
    """A row of a summary of the opportunities: the count, total and weighted total of those of
    one key. Kept by the services in the transaction of each write (`sales.summaries`), rebuilt
    from the opportunities by `rebuild_sales_totals`. Amounts are in the opportunities' own
    currency: conversion happens when reading, at the rates then in force. `weighted` is
    Σ total × probability / 100, unrounded."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    is_private = models.BooleanField()
    count = models.IntegerField(default=0)
    total = models.DecimalField(max_digits=24, decimal_places=2, default=Decimal(0))
    weighted = models.DecimalField(max_digits=26, decimal_places=4, default=Decimal(0))

    class Meta:
        abstract = True


class StageMonthTotal(OpportunitySummary):
    """The opportunities of one stage, in one currency, expected to close in one month (`month`
    is its first day; None for no expected close), private or public: what the board of an
    unfiltered pipeline sums instead of reading its 250,000 opportunities."""

    month = models.DateField(null=True)

    class Meta:
        constraints = [
            # Two partial unique keys, because NULLs are distinct in a unique key: the upsert
            # names the one that fits (ON CONFLICT … WHERE month IS [NOT] NULL).
            models.UniqueConstraint(
                fields=["pipeline", "stage", "currency", "month", "is_private"],
                condition=Q(month__isnull=False),
                name="stage_month_total_key",
            ),
            models.UniqueConstraint(
                fields=["pipeline", "stage", "currency", "is_private"],
                condition=Q(month__isnull=True),
                name="stage_month_total_undated_key",
            ),
        ]

    def __str__(self):
        return f"{self.stage_id} {self.currency} {self.month}: {self.count}"


class ForecastMonthTotal(OpportunitySummary):
    """The dated opportunities of one stage and responsible, in one currency, expected to close
    in one month, that reached the same stages, private or public: what the forecast per
    responsible and per pipeline and the funnel sum for an unfiltered period."""

    # Not a constraint: a summary row outlives nothing the services do, and a user deleted
    # outside them leaves their rows to the next rebuild.
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    month = models.DateField()
    reached_stages = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "pipeline",
                    "stage",
                    "responsible",
                    "currency",
                    "month",
                    "reached_stages",
                    "is_private",
                ],
                condition=Q(responsible__isnull=False),
                name="forecast_month_total_key",
            ),
            models.UniqueConstraint(
                fields=["pipeline", "stage", "currency", "month", "reached_stages", "is_private"],
                condition=Q(responsible__isnull=True),
                name="forecast_month_total_unassigned_key",
            ),
        ]
        indexes = [models.Index(fields=["month"], name="forecast_month_total_month")]

    def __str__(self):
        return f"{self.stage_id} {self.responsible_id} {self.currency} {self.month}: {self.count}"


class ClosedMonthTotal(OpportunitySummary):
    """The closed opportunities of one stage, in one currency, closed in one month, private or
    public: the amounts won per month of the forecast."""

    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "stage", "currency", "month", "is_private"],
                name="closed_month_total_key",
            ),
        ]

    def __str__(self):
        return f"{self.stage_id} {self.currency} {self.month}: {self.count}"


# The admin-edited lists of sales, by the URL slug of their settings page and API path.
SALES_ADMIN_LISTS = {"lead-sources": LeadSource, "lost-reasons": LostReason}
