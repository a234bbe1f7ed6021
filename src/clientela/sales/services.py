"""Every write to opportunities, pipelines, stages and the sales lists goes through here.

A service checks the actor may do it, validates everything into one `ValidationError` keyed
by field, writes atomically (`bump_version` for updates), records the change and notifies
after. A contact, customer or user the actor cannot reach is "no such …", never a leak."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import Team, User
from clientela.contacts.models import Contact, Customer, Interest
from clientela.core.access import AccessLevel, Action, can, is_crm_admin, is_crm_user
from clientela.core.changelog import record_change, snapshot
from clientela.core.custom_fields import clean_custom_fields
from clientela.core.errors import ConflictError, ProtectedError
from clientela.core.money import CURRENCIES
from clientela.core.tags import tags_by_name
from clientela.core.versioning import bump_version
from clientela.mail.kinds import ACCESS_GRANTED, NotificationKind, register_notification_kind
from clientela.mail.services import notify

from . import summaries
from .defaults import seed_defaults
from .models import LeadSource, LostReason, Opportunity, Pipeline, Stage, StageChange

OPPORTUNITY_ASSIGNED = register_notification_kind(
    NotificationKind(
        "opportunity_assigned",
        gettext_lazy("An opportunity was assigned to you"),
        gettext_lazy("You are now responsible for the opportunity %(name)s"),
    )
)

MAX_AMOUNT = Decimal("999999999999.99")  # Decimal(14, 2)
MAX_PERIODS = 10_000
TEXT_LIMITS = {"title": 200, "next_step": 250, "description": 10_000}


def _require_user(actor):
    if not is_crm_user(actor):
        raise PermissionDenied


def _require_admin(actor):
    if not is_crm_admin(actor):
        raise PermissionDenied(_("Only CRM admins may do this."))


def _as_id(value):
    """An id from a form or the API; anything else names no record (None means unset)."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return -1
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number < 2**63 else -1


def _ids(values) -> set[int]:
    return {_as_id(v) for v in values or [] if v not in (None, "")}


def customer_for_contact(user, contact: Contact) -> Customer | None:
    """The customer an opportunity of `contact` is for, when it can be told (S4.2): a company's
    own customer role; a person's company when it is a customer the user may see; else the
    person's own customer role."""
    own = Customer.objects.filter(contact=contact).first()
    if contact.is_company:
        return own
    if contact.company_id:
        company_customer = (
            Customer.objects.filter(contact_id=contact.company_id)
            .filter(contact__in=Contact.objects.visible_to(user).values("pk"))
            .select_related("contact")
            .first()
        )
        if company_customer is not None:
            return company_customer
    return own


def default_pipeline() -> Pipeline | None:
    """The default pipeline; a database without any pipeline gets the seeded one back."""
    pipeline = Pipeline.default()
    if pipeline is None:
        seed_defaults(Pipeline, Stage, LeadSource, LostReason)
        pipeline = Pipeline.default()
    return pipeline


def first_open_stage(pipeline: Pipeline) -> Stage | None:
    stages = list(pipeline.stages.all())
    return next((s for s in stages if s.kind == Stage.Kind.OPEN), stages[0] if stages else None)


def _parse_amount(value, errors, field="amount") -> Decimal | None:
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        errors[field] = [_("Enter an amount, such as 1500.00.")]
        return None
    if not amount.is_finite():
        errors[field] = [_("Enter an amount, such as 1500.00.")]
        return None
    if amount < 0:
        errors[field] = [_("The amount cannot be negative.")]
    elif amount > MAX_AMOUNT:
        errors[field] = [_("The amount is too large.")]
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field] = [_("At most two decimal places.")]
    return amount.quantize(Decimal("0.01")) if field not in errors else None


def _parse_date(value, errors, field) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            continue
    errors[field] = [_("Enter a date as dd/mm/yyyy.")]
    return None


def _users(ids, field, errors) -> list[User]:
    wanted = _ids(ids)
    users = list(User.objects.filter(pk__in=wanted, is_active=True))
    if len(users) != len(wanted):
        errors[field] = [_("One of the chosen users does not exist or is inactive.")]
    return users


def _clean_fields(actor, opportunity: Opportunity, data: dict, errors: dict) -> dict:
    """Apply and validate the scalar and foreign-key fields present in `data`.

    Returns what the caller needs besides: the stage asked for (None when not asked)."""
    for name, limit in TEXT_LIMITS.items():
        if name in data:
            value = data[name]
            value = "" if value is None else str(value).strip()
            setattr(opportunity, name, value)
            if len(value) > limit:
                errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
            elif "\x00" in value:
                errors[name] = [_("Contains characters that are not allowed.")]
    if not opportunity.title:
        errors.setdefault("title", [_("Give the opportunity a title.")])

    if "contact_id" in data:
        contact_id = _as_id(data["contact_id"])
        contact = (
            Contact.objects.visible_to(actor).filter(pk=contact_id).first() if contact_id else None
        )
        if contact is None:
            errors["contact_id"] = [_("There is no such contact.")]
        else:
            opportunity.contact = contact
    elif not opportunity.contact_id:
        errors["contact_id"] = [_("Choose the contact.")]

    if data.get("customer_id") not in (None, ""):
        customer_id = _as_id(data["customer_id"])
        customer = (
            Customer.objects.filter(
                pk=customer_id, contact__in=Contact.objects.visible_to(actor).values("pk")
            ).first()
            if customer_id
            else None
        )
        if customer is None:
            errors["customer_id"] = [_("There is no such customer.")]
        else:
            opportunity.customer = customer
    elif not opportunity.customer_id or "customer_id" in data:
        customer = (
            customer_for_contact(actor, opportunity.contact) if opportunity.contact_id else None
        )
        if customer is None:
            if opportunity.contact_id:
                errors["customer_id"] = [
                    _("%(name)s is not a customer and belongs to no customer: choose one.")
                    % {"name": opportunity.contact}
                ]
        else:
            opportunity.customer = customer

    if "currency" in data or not opportunity.currency:
        code = str(data.get("currency") or "").strip().upper()
        if not code and opportunity.contact_id:
            code = opportunity.contact.currency
        opportunity.currency = code
    if opportunity.currency not in CURRENCIES:
        errors["currency"] = [_("Unknown currency “%(code)s”.") % {"code": opportunity.currency}]

    if "amount" in data:
        if data["amount"] in (None, ""):
            errors["amount"] = [_("Enter the amount.")]
        else:
            amount = _parse_amount(data["amount"], errors)
            if amount is not None:
                opportunity.amount = amount
    elif opportunity._state.adding:
        errors["amount"] = [_("Enter the amount.")]

    if "budget_type" in data:
        opportunity.budget_type = data["budget_type"] or Opportunity.BudgetType.FIXED
        if opportunity.budget_type not in Opportunity.BudgetType.values:
            errors["budget_type"] = [
                _("“%(value)s” is not a valid choice.") % {"value": opportunity.budget_type}
            ]
    if "budget_periods" in data and data["budget_periods"] not in (None, ""):
        periods = _as_id(data["budget_periods"])
        if periods is None or periods < 1 or periods > MAX_PERIODS:
            errors["budget_periods"] = [
                _("Enter a whole number of periods from 1 to %(max)d.") % {"max": MAX_PERIODS}
            ]
        else:
            opportunity.budget_periods = periods
    if opportunity.budget_type == Opportunity.BudgetType.FIXED:
        opportunity.budget_periods = 1
    opportunity.total = opportunity.total_amount

    if "expected_close" in data:
        value = data["expected_close"]
        opportunity.expected_close = (
            None if value in (None, "") else _parse_date(value, errors, "expected_close")
        )
    if opportunity.expected_close is None and "expected_close" not in errors:
        errors["expected_close"] = [_("Enter the expected close date.")]

    if "responsible_id" in data:
        responsible_id = _as_id(data["responsible_id"])
        if responsible_id is None:
            opportunity.responsible = None
        else:
            responsible = User.objects.filter(pk=responsible_id, is_active=True).first()
            if responsible is None:
                errors["responsible_id"] = [_("Choose an active user.")]
            else:
                opportunity.responsible = responsible

    for name, model in (("lead_source_id", LeadSource), ("lost_reason_id", LostReason)):
        if name in data:
            item_id = _as_id(data[name])
            if item_id is not None and not model.objects.filter(pk=item_id).exists():
                errors[name] = [
                    _("There is no such %(what)s.") % {"what": model._meta.verbose_name}
                ]
            else:
                setattr(opportunity, name, item_id)

    if "access" in data:
        opportunity.access = data["access"] or AccessLevel.PUBLIC_WRITE
        if opportunity.access not in AccessLevel.values:
            errors["access"] = [
                _("“%(value)s” is not a valid choice.") % {"value": opportunity.access}
            ]

    # Pipeline and stage: a stage alone implies its pipeline; a pipeline alone, its first stage.
    stage = None
    pipeline = None
    if data.get("pipeline_id") not in (None, ""):
        pipeline = Pipeline.objects.filter(pk=_as_id(data["pipeline_id"])).first()
        if pipeline is None:
            errors["pipeline_id"] = [_("There is no such pipeline.")]
    if data.get("stage_id") not in (None, ""):
        stage = Stage.objects.select_related("pipeline").filter(pk=_as_id(data["stage_id"])).first()
        if stage is None:
            errors["stage_id"] = [_("There is no such stage.")]
        elif pipeline is not None and stage.pipeline_id != pipeline.pk:
            errors["stage_id"] = [
                _("The stage %(stage)s is not a stage of the pipeline %(pipeline)s.")
                % {"stage": stage, "pipeline": pipeline}
            ]
        elif pipeline is None:
            pipeline = stage.pipeline
    if (
        pipeline is not None
        and stage is None
        and "pipeline_id" not in errors
        and pipeline.pk != opportunity.pipeline_id
    ):
        stage = first_open_stage(pipeline)
        if stage is None:
            errors["stage_id"] = [_("The pipeline %(name)s has no stages.") % {"name": pipeline}]
    if opportunity._state.adding and pipeline is None and "pipeline_id" not in errors:
        pipeline = default_pipeline()
        stage = stage or (first_open_stage(pipeline) if pipeline else None)
        if stage is None:
            errors["stage_id"] = [_("Choose the stage.")]
    if pipeline is not None:
        opportunity.pipeline = pipeline

    if "probability" in data and data["probability"] not in (None, ""):
        try:
            probability = int(data["probability"])
        except (TypeError, ValueError):
            probability = -1
        if not 0 <= probability <= 100:
            errors["probability"] = [_("Enter a percentage from 0 to 100.")]
        else:
            opportunity.probability = probability
    elif stage is not None and (opportunity._state.adding or stage.pk != opportunity.stage_id):
        opportunity.probability = stage.probability
    return {"stage": stage}


def _clean_relations(actor, data: dict, errors: dict) -> dict:
    relations = {}
    if "manager_ids" in data:
        relations["managers"] = _users(data["manager_ids"], "manager_ids", errors)
    if "shared_user_ids" in data:
        relations["shared_users"] = _users(data["shared_user_ids"], "shared_user_ids", errors)
    if "shared_team_ids" in data:
        wanted = _ids(data["shared_team_ids"])
        relations["shared_teams"] = list(Team.objects.filter(pk__in=wanted))
        if len(relations["shared_teams"]) != len(wanted):
            errors["shared_team_ids"] = [_("One of the chosen teams does not exist.")]
    if "interest_ids" in data:
        wanted = _ids(data["interest_ids"])
        relations["interests"] = list(Interest.objects.filter(pk__in=wanted))
        if len(relations["interests"]) != len(wanted):
            errors["interest_ids"] = [_("One of the chosen interests does not exist.")]
    if "tags" in data:
        try:
            relations["tags"] = tags_by_name(data["tags"])
        except ValidationError as exc:
            errors.update({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    return relations


def _check_entering(stage: Stage, lost_reason_id, errors: dict, field="lost_reason_id"):
    """The rules of entering `stage`: a lost stage needs a reason."""
    if stage.kind == Stage.Kind.LOST and not lost_reason_id:
        errors.setdefault(field, [_("Say why the opportunity was lost.")])


def _enter_stage(actor, opportunity: Opportunity, stage: Stage, now=None):
    """Move the (unsaved) opportunity into `stage`: closing date, lost reason, history rows."""
    now = now or timezone.now()
    previous_stage_id = opportunity.stage_id if not opportunity._state.adding else None
    opportunity.stage = stage
    opportunity.pipeline_id = stage.pipeline_id
    opportunity.reached_stages = summaries.with_reached(opportunity.reached_stages, stage.pk)
    opportunity.closed_at = None if stage.kind == Stage.Kind.OPEN else timezone.localdate(now)
    if stage.kind != Stage.Kind.LOST:
        opportunity.lost_reason = None
    return previous_stage_id, now


def _write_stage_history(actor, opportunity, previous_stage_id, stage: Stage, now):
    if previous_stage_id is not None:
        StageChange.objects.filter(opportunity=opportunity, left_at__isnull=True).update(
            left_at=now
        )
    StageChange.objects.create(
        opportunity=opportunity,
        from_stage_id=previous_stage_id,
        to_stage=stage,
        stage_name=stage.name,
        by=actor if getattr(actor, "pk", None) else None,
        entered_at=now,
    )
    if previous_stage_id is not None:
        _timeline_stage_event(actor, opportunity, previous_stage_id, stage, now)


def _timeline_stage_event(actor, opportunity, previous_stage_id, stage, now):
    from clientela.activities.timeline import record_event

    previous = Stage.objects.filter(pk=previous_stage_id).values_list("name", flat=True).first()
    record_event(
        opportunity,
        STAGE_CHANGED_KIND,
        actor,
        {"from": previous or "—", "to": stage.name},
        at=now,
        source=None,
    )


STAGE_CHANGED_KIND = "stage_changed"


def register_timeline_kinds():
    """Called from `SalesConfig.ready()`: how a stage change reads on the timeline."""
    from clientela.activities.timeline import register_timeline_kind

    register_timeline_kind(
        STAGE_CHANGED_KIND,
        gettext_lazy("Stage changed"),
        "signpost-split",
        gettext_lazy("%(actor)s moved the opportunity from %(from)s to %(to)s"),
    )


def _notify(actor, opportunity: Opportunity, shared_users, responsible=None):
    for user in shared_users:
        if user.pk != getattr(actor, "pk", None):
            notify(
                user,
                ACCESS_GRANTED.key,
                {"name": opportunity.title},
                url=opportunity.get_absolute_url(),
            )
    if responsible is not None and responsible.pk != getattr(actor, "pk", None):
        notify(
            responsible,
            OPPORTUNITY_ASSIGNED.key,
            {"name": opportunity.title},
            url=opportunity.get_absolute_url(),
        )


@transaction.atomic
def create_opportunity(actor, data: dict) -> Opportunity:
    """Create an opportunity. Prefilled when left out: the customer from the contact (S4.2),
    the currency from the contact, the default pipeline and its first open stage, the
    probability from the stage, the creator as responsible and manager, public access."""
    _require_user(actor)
    data = dict(data)
    data.setdefault("responsible_id", actor.pk)
    opportunity = Opportunity(created_by=actor, access=AccessLevel.PUBLIC_WRITE, currency="")
    errors: dict = {}
    chosen = _clean_fields(actor, opportunity, data, errors)
    relations = _clean_relations(actor, data, errors)
    stage = chosen["stage"]
    if stage is not None:
        _check_entering(stage, opportunity.lost_reason_id, errors)
    try:
        opportunity.custom_fields = clean_custom_fields(Opportunity, data.get("custom_fields"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    _previous, now = _enter_stage(actor, opportunity, stage)
    opportunity.save()
    summaries.apply_change(None, summaries.contribution(opportunity))
    managers = relations.pop("managers", None) or [actor]
    if opportunity.responsible_id and opportunity.responsible not in managers:
        managers.append(opportunity.responsible)
    opportunity.managers.set(managers)
    for name, values in relations.items():
        getattr(opportunity, name).set(values)
    _write_stage_history(actor, opportunity, None, stage, now)
    record_change(actor, opportunity, "create", None, snapshot(opportunity))
    _notify(actor, opportunity, relations.get("shared_users", []), opportunity.responsible)
    return opportunity


def _check_can_change(actor, opportunity, data=()):
    if not can(actor, Action.CHANGE, opportunity):
        raise PermissionDenied(_("You may not change this opportunity."))
    if {"manager_ids", "shared_user_ids", "shared_team_ids", "access"} & set(data) and not can(
        actor, Action.DELETE, opportunity
    ):
        raise PermissionDenied(_("Only the opportunity's managers can change who has access."))


UPDATE_FIELDS = [
    "title",
    "contact",
    "customer",
    "description",
    "currency",
    "amount",
    "budget_type",
    "budget_periods",
    "total",
    "expected_close",
    "responsible",
    "pipeline",
    "stage",
    "probability",
    "lead_source",
    "next_step",
    "lost_reason",
    "closed_at",
    "reached_stages",
    "access",
    "custom_fields",
]


@transaction.atomic
def update_opportunity(
    actor, opportunity: Opportunity, data: dict, expected_version: int | None = None
) -> Opportunity:
    """Change the fields present in `data`; refuse a stale `expected_version`. A new stage goes
    through the same rules and history as `change_stage`."""
    _require_user(actor)
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    _check_can_change(actor, opportunity, data)
    before = snapshot(opportunity)
    counted = summaries.contribution(opportunity)
    old_shared = set(opportunity.shared_users.values_list("pk", flat=True))
    old_responsible_id = opportunity.responsible_id
    errors: dict = {}
    chosen = _clean_fields(actor, opportunity, data, errors)
    relations = _clean_relations(actor, data, errors)
    if "managers" in relations and not relations["managers"]:
        errors["manager_ids"] = [_("An opportunity needs at least one manager.")]
    stage = chosen["stage"]
    if stage is not None and stage.pk == opportunity.stage_id:
        stage = None
    if stage is not None:
        _check_entering(stage, opportunity.lost_reason_id, errors)
    elif opportunity.stage.kind == Stage.Kind.LOST and not opportunity.lost_reason_id:
        errors["lost_reason_id"] = [_("Say why the opportunity was lost.")]
    if "custom_fields" in data:
        try:
            opportunity.custom_fields = clean_custom_fields(
                Opportunity, data["custom_fields"], existing=opportunity.custom_fields
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    previous = now = None
    if stage is not None:
        previous, now = _enter_stage(actor, opportunity, stage)
    elif opportunity.stage.kind != Stage.Kind.LOST:
        opportunity.lost_reason = None
    for name, values in relations.items():
        getattr(opportunity, name).set(values)
    new_responsible = None
    if opportunity.responsible_id and opportunity.responsible_id != old_responsible_id:
        new_responsible = opportunity.responsible
        opportunity.managers.add(new_responsible)
    bump_version(opportunity, expected_version, UPDATE_FIELDS)
    summaries.apply_change(counted, summaries.contribution(opportunity))
    if stage is not None:
        _write_stage_history(actor, opportunity, previous, stage, now)
    record_change(actor, opportunity, "update", before, snapshot(opportunity))
    _notify(
        actor,
        opportunity,
        [u for u in relations.get("shared_users", []) if u.pk not in old_shared],
        new_responsible,
    )
    return opportunity


@transaction.atomic
def change_stage(
    actor,
    opportunity: Opportunity,
    stage: Stage,
    expected_version: int | None = None,
    lost_reason=None,
) -> Opportunity:
    """Move the opportunity to `stage` of its pipeline (S2.29): the probability becomes the
    stage's, a won or lost stage sets the closing date, a lost one needs a reason; the stage
    history, the change log and the timeline record it."""
    _require_user(actor)
    opportunity = (
        Opportunity.objects.select_for_update().select_related("stage").get(pk=opportunity.pk)
    )
    _check_can_change(actor, opportunity)
    if isinstance(stage, Stage):
        stage = Stage.objects.filter(pk=stage.pk).first()
    else:
        stage = Stage.objects.filter(pk=_as_id(stage)).first()
    errors: dict = {}
    if stage is None or stage.pipeline_id != opportunity.pipeline_id:
        errors["stage"] = [_("Choose one of the stages of this opportunity's pipeline.")]
    lost_reason_id = None
    if lost_reason not in (None, ""):
        lost_reason_id = (
            lost_reason.pk if isinstance(lost_reason, LostReason) else _as_id(lost_reason)
        )
        if not LostReason.objects.filter(pk=lost_reason_id).exists():
            errors["lost_reason"] = [_("There is no such lost reason.")]
            lost_reason_id = None
    if stage is not None and stage.kind == Stage.Kind.LOST and not lost_reason_id:
        errors.setdefault("lost_reason", [_("Say why the opportunity was lost.")])
    if errors:
        raise ValidationError(errors)
    if stage.pk == opportunity.stage_id and lost_reason_id in (None, opportunity.lost_reason_id):
        if expected_version is not None and expected_version != opportunity.version:
            raise ConflictError(opportunity.version)
        return opportunity
    before = snapshot(opportunity)
    counted = summaries.contribution(opportunity)
    moving = stage.pk != opportunity.stage_id
    previous, now = _enter_stage(actor, opportunity, stage) if moving else (None, None)
    if moving:
        opportunity.probability = stage.probability
    if stage.kind == Stage.Kind.LOST:
        opportunity.lost_reason_id = lost_reason_id
    bump_version(
        opportunity,
        expected_version,
        ["pipeline", "stage", "probability", "closed_at", "lost_reason", "reached_stages"],
    )
    summaries.apply_change(counted, summaries.contribution(opportunity))
    if moving:
        _write_stage_history(actor, opportunity, previous, stage, now)
    record_change(actor, opportunity, "update", before, snapshot(opportunity))
    return opportunity


@transaction.atomic
def delete_opportunity(actor, opportunity: Opportunity):
    _require_user(actor)
    if not can(actor, Action.DELETE, opportunity):
        raise PermissionDenied(_("Only the opportunity's managers can delete it."))
    # The row as stored (the caller's copy may be stale), locked until it is gone.
    current = Opportunity.objects.select_for_update().filter(pk=opportunity.pk).first()
    record_change(actor, opportunity, "delete", snapshot(opportunity), None)
    opportunity.delete()
    if current is not None:
        summaries.apply_change(summaries.contribution(current), None)


# --- pipelines and stages (CRM admins) ---------------------------------------------------


def _clean_name(data: dict, errors: dict, limit: int = 100) -> str | None:
    if "name" not in data:
        return None
    name = " ".join(str(data["name"] or "").split())
    if not name:
        errors["name"] = [_("Give it a name.")]
    elif len(name) > limit:
        errors["name"] = [_("At most %(n)d characters.") % {"n": limit}]
    return name


@transaction.atomic
def save_pipeline(actor, pipeline: Pipeline | None, data: dict) -> Pipeline:
    """Create a pipeline (with one open, one won and one lost stage to start from) or rename
    it, reorder it, or make it the default."""
    _require_admin(actor)
    creating = pipeline is None
    pipeline = Pipeline() if creating else Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    before = None if creating else snapshot(pipeline)
    errors: dict = {}
    name = _clean_name(data, errors)
    if name is not None:
        pipeline.name = name
    elif creating:
        errors["name"] = [_("Give it a name.")]
    if name and Pipeline.objects.filter(name__iexact=name).exclude(pk=pipeline.pk).exists():
        errors["name"] = [_("There is already a pipeline called “%(name)s”.") % {"name": name}]
    if data.get("position") not in (None, ""):
        position = _as_id(data["position"]) if data["position"] != 0 else 0
        if position is None or position < 0 or position > 2**31 - 1:
            errors["position"] = [_("Enter a whole number, 0 or more.")]
        else:
            pipeline.position = position
    elif creating:
        pipeline.position = (Pipeline.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    if errors:
        raise ValidationError(errors)
    make_default = (
        bool(data.get("is_default")) or not Pipeline.objects.exclude(pk=pipeline.pk).exists()
    )
    if make_default:
        Pipeline.objects.exclude(pk=pipeline.pk).filter(is_default=True).update(is_default=False)
        pipeline.is_default = True
    elif "is_default" in data and pipeline.is_default and not data["is_default"]:
        raise ValidationError({"is_default": [_("Make another pipeline the default instead.")]})
    pipeline.save()
    if creating:
        for i, (name_, probability, kind) in enumerate(
            [
                (_("New"), 10, Stage.Kind.OPEN),
                (_("Won"), 100, Stage.Kind.WON),
                (_("Lost"), 0, Stage.Kind.LOST),
            ]
        ):
            Stage.objects.create(
                pipeline=pipeline,
                name=name_,
                position=i,
                probability=probability,
                kind=kind,
                color={"open": "#0d6efd", "won": "#198754", "lost": "#dc3545"}[kind],
            )
    record_change(actor, pipeline, "create" if creating else "update", before, snapshot(pipeline))
    return pipeline


@transaction.atomic
def delete_pipeline(actor, pipeline: Pipeline):
    _require_admin(actor)
    count = Opportunity.objects.filter(pipeline=pipeline).count()
    if count:
        raise ProtectedError(
            _(
                "The pipeline %(name)s still has %(count)d opportunities: move them to another "
                "pipeline first."
            )
            % {"name": pipeline, "count": count}
        )
    if pipeline.is_default:
        raise ProtectedError(
            _("The default pipeline cannot be deleted: make another the default first.")
        )
    record_change(actor, pipeline, "delete", snapshot(pipeline), None)
    pipeline.delete()


def _validate_color(color: str, errors: dict):
    digits = color[1:] if color.startswith("#") else ""
    if len(digits) != 6 or any(c not in "0123456789abcdef" for c in digits):
        errors["color"] = [_("Give the colour as #rrggbb.")]


@transaction.atomic
def save_stage(actor, pipeline: Pipeline, stage: Stage | None, data: dict) -> Stage:
    """Add a stage to `pipeline` (at the end unless a position is given) or change one.

    Opportunities refer to the stage by id, so renaming, recolouring or reordering it keeps
    every opportunity where it is. Changing its default probability does not rewrite the
    probabilities opportunities already have."""
    _require_admin(actor)
    creating = stage is None
    if creating:
        stage = Stage(pipeline=pipeline)
    else:
        stage = Stage.objects.select_for_update().get(pk=stage.pk)
        if stage.pipeline_id != pipeline.pk:
            raise ValidationError({"stage": [_("This stage belongs to another pipeline.")]})
    before = None if creating else snapshot(stage)
    errors: dict = {}
    name = _clean_name(data, errors)
    if name is not None:
        stage.name = name
    elif creating:
        errors["name"] = [_("Give it a name.")]
    if name and pipeline.stages.filter(name__iexact=name).exclude(pk=stage.pk).exists():
        errors["name"] = [
            _("This pipeline already has a stage called “%(name)s”.") % {"name": name}
        ]
    if "probability" in data and data["probability"] not in (None, ""):
        try:
            probability = int(data["probability"])
        except (TypeError, ValueError):
            probability = -1
        if not 0 <= probability <= 100:
            errors["probability"] = [_("Enter a percentage from 0 to 100.")]
        else:
            stage.probability = probability
    if "kind" in data and data["kind"]:
        if data["kind"] not in Stage.Kind.values:
            errors["kind"] = [_("“%(value)s” is not a valid choice.") % {"value": data["kind"]}]
        elif not creating and data["kind"] != stage.kind and stage.opportunities.exists():
            errors["kind"] = [
                _("Opportunities are in this stage: move them before changing its kind.")
            ]
        else:
            stage.kind = data["kind"]
    if "color" in data and data["color"]:
        stage.color = str(data["color"]).strip().lower()
        _validate_color(stage.color, errors)
    position = None
    if data.get("position") not in (None, ""):
        try:
            position = int(data["position"])
        except (TypeError, ValueError):
            position = -1
        if position < 0 or position > 10_000:
            errors["position"] = [_("Enter a whole number, 0 or more.")]
    if errors:
        raise ValidationError(errors)
    if creating:
        stage.position = (pipeline.stages.aggregate(m=Max("position"))["m"] or 0) + 1
    stage.save()
    if position is not None:
        ordered = [s.pk for s in pipeline.stages.exclude(pk=stage.pk)]
        ordered.insert(min(position, len(ordered)), stage.pk)
        _renumber(pipeline, ordered)
        stage.refresh_from_db(fields=["position"])
    record_change(actor, stage, "create" if creating else "update", before, snapshot(stage))
    return stage


def _renumber(pipeline: Pipeline, ordered_ids: list[int]):
    stages = {s.pk: s for s in Stage.objects.filter(pipeline=pipeline)}
    for position, pk in enumerate(ordered_ids):
        stage = stages[pk]
        if stage.position != position:
            stage.position = position
            stage.save(update_fields=["position"])


@transaction.atomic
def reorder_stages(actor, pipeline: Pipeline, ordered_ids) -> list[Stage]:
    """Put the pipeline's stages in the given order (every stage of the pipeline, once)."""
    _require_admin(actor)
    ordered = [_as_id(i) for i in ordered_ids or []]
    current = set(pipeline.stages.values_list("pk", flat=True))
    if len(ordered) != len(set(ordered)) or set(ordered) != current:
        raise ValidationError({"stage_ids": [_("List every stage of the pipeline exactly once.")]})
    _renumber(pipeline, ordered)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    record_change(actor, pipeline, "update", None, {"stages": [str(s) for s in stages]})
    return stages


@transaction.atomic
def move_stage(actor, stage: Stage, direction: int) -> Stage:
    """Move a stage one place up (-1) or down (+1) in its pipeline."""
    _require_admin(actor)
    ordered = list(stage.pipeline.stages.values_list("pk", flat=True))
    index = ordered.index(stage.pk)
    target = index + (1 if direction > 0 else -1)
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        _renumber(stage.pipeline, ordered)
    stage.refresh_from_db(fields=["position"])
    return stage


@transaction.atomic
def delete_stage(actor, stage: Stage):
    """Delete a stage no opportunity is in. Its history rows keep the stage's name."""
    _require_admin(actor)
    count = stage.opportunities.count()
    if count:
        raise ProtectedError(
            _(
                "The stage %(name)s still has %(count)d opportunities: move them to another "
                "stage before deleting it."
            )
            % {"name": stage, "count": count}
        )
    remaining = stage.pipeline.stages.exclude(pk=stage.pk)
    if not remaining.filter(kind=Stage.Kind.OPEN).exists():
        raise ProtectedError(_("A pipeline needs at least one open stage."))
    record_change(actor, stage, "delete", snapshot(stage), None)
    stage.delete()
