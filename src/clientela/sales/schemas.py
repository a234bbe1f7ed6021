"""What the sales API reads and writes. Limits mirror the model so bad input is a 4xx."""

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from clientela.contacts.schemas import (
    ContactRef,
    CustomFieldKey,
    CustomFieldValue,
    PlainOut,
    Ref,
    TagOut,
    UserRef,
)
from clientela.core.api import MAX_VERSION, RecordId, text

from .models import Opportunity, Stage
from .queries import visible_related

Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Percent = Annotated[int, Field(ge=0, le=100)]
Periods = Annotated[int, Field(ge=1, le=10_000)]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
AccessIn = Literal["private", "public_read", "public_write"]
BudgetTypeIn = Literal[tuple(Opportunity.BudgetType.values)]  # type: ignore[valid-type]
StageKindIn = Literal[tuple(Stage.Kind.values)]  # type: ignore[valid-type]
# Years beyond 9999 cannot be stored; ninja would take them as far-off dates.
CloseDate = Annotated[datetime.date, Field(ge=datetime.date(1900, 1, 1))]


class OpportunityIn(Schema):
    """A new opportunity. Left out: the customer comes from the contact when it can be told,
    the currency from the contact, the pipeline is the default one with its first open stage,
    the probability is the stage's, the responsible is the caller, access is public."""

    title: text(200, min_length=1)
    contact_id: RecordId
    customer_id: RecordId | None = Field(None, description="Defaults to the contact's customer.")
    description: text(10_000) = ""
    currency: text(3) | None = Field(None, description="ISO 4217 code; the contact's by default.")
    amount: Amount
    budget_type: BudgetTypeIn = "fixed"
    budget_periods: Periods = 1
    expected_close: CloseDate
    responsible_id: RecordId | None = None
    pipeline_id: RecordId | None = None
    stage_id: RecordId | None = None
    probability: Percent | None = Field(None, description="Defaults to the stage's.")
    lead_source_id: RecordId | None = None
    lost_reason_id: RecordId | None = Field(None, description="Required in a lost stage.")
    interest_ids: list[RecordId] = Field(default_factory=list, max_length=200)
    next_step: text(250) = ""
    tags: list[text(60)] = Field(
        default_factory=list, max_length=200, description="Tag names; missing ones are created."
    )
    access: AccessIn = "public_write"
    manager_ids: list[RecordId] = Field(
        default_factory=list, max_length=200, description="Defaults to the creator."
    )
    shared_user_ids: list[RecordId] = Field(default_factory=list, max_length=200)
    shared_team_ids: list[RecordId] = Field(default_factory=list, max_length=200)
    custom_fields: dict[CustomFieldKey, CustomFieldValue] = Field(
        default_factory=dict, max_length=100
    )


class OpportunityPatch(Schema):
    """Only the fields sent change. `version` (or an `If-Match` header) refuses stale edits. A
    new `stage_id` is a stage change, with the same rules and history as the stage endpoint."""

    version: int | None = Field(None, ge=1, le=MAX_VERSION)
    title: text(200, min_length=1) | None = None
    contact_id: RecordId | None = None
    customer_id: RecordId | None = None
    description: text(10_000) | None = None
    currency: text(3) | None = None
    amount: Amount | None = None
    budget_type: BudgetTypeIn | None = None
    budget_periods: Periods | None = None
    expected_close: CloseDate | None = None
    responsible_id: RecordId | None = None
    pipeline_id: RecordId | None = None
    stage_id: RecordId | None = None
    probability: Percent | None = None
    lead_source_id: RecordId | None = None
    lost_reason_id: RecordId | None = None
    interest_ids: list[RecordId] | None = Field(None, max_length=200)
    next_step: text(250) | None = None
    tags: list[text(60)] | None = Field(None, max_length=200)
    access: AccessIn | None = None
    manager_ids: list[RecordId] | None = Field(None, max_length=200)
    shared_user_ids: list[RecordId] | None = Field(None, max_length=200)
    shared_team_ids: list[RecordId] | None = Field(None, max_length=200)
    custom_fields: dict[CustomFieldKey, CustomFieldValue] | None = Field(None, max_length=100)


class StageChangeIn(Schema):
    stage_id: RecordId
    lost_reason_id: RecordId | None = Field(None, description="Required for a lost stage.")
    version: int | None = Field(None, ge=1, le=MAX_VERSION)


class StageRef(PlainOut):
    id: int
    name: str
    kind: str
    color: str


class NamedRef(PlainOut):
    id: int
    name: str


class CustomerRef(PlainOut):
    id: int
    code: str
    name: str


class OpportunityRowOut(PlainOut):
    """An opportunity as a list row shows it."""

    id: int
    title: str
    contact: ContactRef | None
    customer: CustomerRef | None
    currency: str
    amount: Decimal
    budget_type: str
    budget_periods: int
    total: Decimal
    expected_close: datetime.date | None
    probability: int
    pipeline: NamedRef
    stage: StageRef
    responsible: NamedRef | None
    access: str
    closed_at: datetime.date | None
    tags: list[TagOut]
    created_at: datetime.datetime
    version: int

    @staticmethod
    def row(opportunity) -> dict:
        """What the row shows of an opportunity loaded by `queries.opportunity_list`."""
        responsible = opportunity.responsible
        return {
            "id": opportunity.pk,
            "title": opportunity.title,
            "contact": visible_related(opportunity, "contact"),
            "customer": customer_ref(visible_related(opportunity, "customer")),
            "currency": opportunity.currency,
            "amount": opportunity.amount,
            "budget_type": opportunity.budget_type,
            "budget_periods": opportunity.budget_periods,
            "total": opportunity.total,
            "expected_close": opportunity.expected_close,
            "probability": opportunity.probability,
            "pipeline": {"id": opportunity.pipeline_id, "name": opportunity.pipeline_name},
            "stage": {
                "id": opportunity.stage_id,
                "name": opportunity.stage_name,
                "kind": opportunity.stage_kind,
                "color": opportunity.stage_color,
            },
            "responsible": responsible
            and {"id": responsible.pk, "name": responsible.get_full_name() or responsible.email},
            "access": opportunity.access,
            "closed_at": opportunity.closed_at,
            "tags": opportunity.tag_list,
            "created_at": opportunity.created_at,
            "version": opportunity.version,
        }


def customer_ref(customer) -> dict | None:
    if customer is None:
        return None
    return {"id": customer.pk, "code": customer.code, "name": customer.contact.display_name}


class OpportunityOut(Schema):
    """An opportunity with everything its page shows."""

    id: int
    title: str
    contact: ContactRef | None
    customer: CustomerRef | None
    description: str
    currency: str
    amount: Decimal
    budget_type: str
    budget_periods: int
    total: Decimal
    weighted_total: Decimal
    expected_close: datetime.date | None
    responsible: UserRef | None
    pipeline: Ref
    stage: StageRef
    probability: int
    lead_source: Ref | None
    lost_reason: Ref | None
    closed_at: datetime.date | None
    interests: list[Ref]
    next_step: str
    tags: list[TagOut]
    access: str
    managers: list[UserRef]
    shared_users: list[UserRef]
    shared_teams: list[Ref]
    custom_fields: dict[str, Any]
    created_by: UserRef | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    version: int

    @staticmethod
    def resolve_contact(opportunity):
        return visible_related(opportunity, "contact")

    @staticmethod
    def resolve_customer(opportunity):
        return customer_ref(visible_related(opportunity, "customer"))

    @staticmethod
    def resolve_interests(opportunity):
        return list(opportunity.interests.all())

    @staticmethod
    def resolve_tags(opportunity):
        return list(opportunity.tags.all())

    @staticmethod
    def resolve_managers(opportunity):
        return list(opportunity.managers.all())

    @staticmethod
    def resolve_shared_users(opportunity):
        return list(opportunity.shared_users.all())

    @staticmethod
    def resolve_shared_teams(opportunity):
        return list(opportunity.shared_teams.all())


class StageChangeOut(Schema):
    id: int
    from_stage_id: int | None
    to_stage_id: int | None
    stage_name: str
    by: UserRef | None
    entered_at: datetime.datetime
    left_at: datetime.datetime | None


# --- pipelines and stages ----------------------------------------------------------------------


class StageOut(Schema):
    id: int
    pipeline_id: int
    name: str
    position: int
    probability: int
    kind: str
    color: str


class PipelineOut(Schema):
    id: int
    name: str
    position: int
    is_default: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(pipeline):
        return list(pipeline.stages.all())


class PipelineIn(Schema):
    name: text(100, min_length=1)
    position: int | None = Field(None, ge=0, le=MAX_VERSION)
    is_default: bool = False


class PipelinePatch(Schema):
    name: text(100, min_length=1) | None = None
    position: int | None = Field(None, ge=0, le=MAX_VERSION)
    is_default: bool | None = None


class StageIn(Schema):
    name: text(100, min_length=1)
    probability: Percent = 0
    kind: StageKindIn = "open"
    color: Color = "#6c757d"
    position: int | None = Field(None, ge=0, le=10_000, description="At the end by default.")


class StagePatch(Schema):
    name: text(100, min_length=1) | None = None
    probability: Percent | None = None
    kind: StageKindIn | None = None
    color: Color | None = None
    position: int | None = Field(None, ge=0, le=10_000)


class StageOrderIn(Schema):
    stage_ids: list[RecordId] = Field(min_length=1, max_length=100)
