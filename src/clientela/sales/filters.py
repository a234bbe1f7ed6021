"""The one filter definition for opportunities, shared by the list page, the API, the board
and the forecast."""

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Q
from ninja import Schema
from pydantic import ConfigDict, Field, ValidationError, model_validator

from clientela.core.access import AccessLevel

ORDERINGS = {
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "close": ("expected_close", "id"),
    "-close": ("-expected_close", "-id"),
    "amount": ("total", "id"),
    "-amount": ("-total", "-id"),
    "stage": ("stage__position", "id"),
    "-stage": ("-stage__position", "-id"),
}

# Ids past 64 bits and NUL characters cannot reach the database: they are bad input, not a 500.
FilterId = Annotated[int, Field(ge=0, le=2**63 - 1)]
FilterAmount = Annotated[Decimal, Field(ge=0, le=Decimal("99999999999999.99"), decimal_places=2)]
NO_NUL = r"^[^\x00]*$"
Status = Literal["open", "won", "lost"]


class OpportunityFilter(Schema):
    model_config = ConfigDict(extra="ignore")

    q: str | None = Field(None, max_length=100, pattern=NO_NUL, description="Words in the title.")
    pipeline: FilterId | None = Field(None, description="Pipeline id.")
    stage: FilterId | None = Field(None, description="Stage id.")
    responsible: FilterId | None = Field(None, description="User id of the responsible.")
    customer: FilterId | None = Field(None, description="Customer id.")
    contact: FilterId | None = Field(None, description="Contact id.")
    source: FilterId | None = Field(None, description="Lead source id.")
    interest: FilterId | None = Field(None, description="Interest (product or service) id.")
    tag: FilterId | None = Field(None, description="Tag id.")
    close_from: datetime.date | None = Field(None, description="Expected close on or after.")
    close_to: datetime.date | None = Field(None, description="Expected close on or before.")
    amount_min: FilterAmount | None = Field(None, description="Total amount at least.")
    amount_max: FilterAmount | None = Field(None, description="Total amount at most.")
    status: Status | None = Field(None, description="open, won or lost.")
    access: Literal["private", "public"] | None = None
    ordering: Literal[tuple(ORDERINGS)] = "-created"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _ranges_make_sense(self):
        if self.close_from and self.close_to and self.close_from > self.close_to:
            raise ValueError("close_from is after close_to")
        return self

    @classmethod
    def from_query(cls, params) -> tuple["OpportunityFilter", dict[str, str]]:
        """Parse a QueryDict; invalid parameters are dropped and reported, never fatal."""
        raw = {k: v for k, v in params.items() if v not in ("", None) and k in cls.model_fields}
        try:
            return cls.model_validate(raw), {}
        except ValidationError as exc:
            bad = {}
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else "close_to"
                bad[name] = err["msg"]
            kept = {k: v for k, v in raw.items() if k not in bad}
            try:
                return cls.model_validate(kept), bad
            except ValidationError:
                return cls(), bad

    def apply(self, queryset):
        conditions = Q()
        if self.q and self.q.strip():
            for word in self.q.split()[:5]:
                conditions &= Q(title__icontains=word)
        if self.pipeline:
            conditions &= Q(pipeline_id=self.pipeline)
        if self.stage:
            conditions &= Q(stage_id=self.stage)
        if self.responsible:
            conditions &= Q(responsible_id=self.responsible)
        if self.customer:
            conditions &= Q(customer_id=self.customer)
        if self.contact:
            conditions &= Q(contact_id=self.contact)
        if self.source:
            conditions &= Q(lead_source_id=self.source)
        if self.close_from:
            conditions &= Q(expected_close__gte=self.close_from)
        if self.close_to:
            conditions &= Q(expected_close__lte=self.close_to)
        if self.amount_min is not None:
            conditions &= Q(total__gte=self.amount_min)
        if self.amount_max is not None:
            conditions &= Q(total__lte=self.amount_max)
        if self.status:
            conditions &= Q(stage__kind=self.status)
        if self.access == "private":
            conditions &= Q(access=AccessLevel.PRIVATE)
        elif self.access == "public":
            conditions &= ~Q(access=AccessLevel.PRIVATE)
        queryset = queryset.filter(conditions)
        # Many-to-many filters go through subqueries so no row is repeated.
        model = queryset.model
        for value, field in ((self.tag, "tags"), (self.interest, "interests")):
            if value:
                m2m = model._meta.get_field(field)
                through = m2m.remote_field.through.objects.filter(
                    **{f"{m2m.m2m_reverse_field_name()}_id": value}
                ).values(m2m.m2m_field_name())
                queryset = queryset.filter(pk__in=through)
        return queryset.order_by(*ORDERINGS[self.ordering])

    def active(self) -> dict:
        return {
            k: v for k, v in self.model_dump().items() if v not in (None, "") and k != "ordering"
        }
