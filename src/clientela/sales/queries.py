"""Reads of opportunities shared by pages and the API. Always through the access point.

An opportunity's contact and customer are records with their own access: they are loaded
through `Contact.objects.visible_to(user)`, so one the user may not see comes back as None and
its name never reaches a page or the API (the opportunity itself still shows)."""

from dataclasses import dataclass

from django.db.models import F, OuterRef, Prefetch, Q, Subquery
from django.db.models.query import ModelIterable

from clientela.accounts.models import Team, User
from clientela.contacts.models import Contact, Customer
from clientela.contacts.queries import ListedContact
from clientela.core.access import AccessLevel, is_crm_user
from clientela.core.models import Tag

from .filters import OpportunityFilter
from .models import Opportunity, Pipeline, Stage, StageChange

USER_FIELDS = ("id", "first_name", "last_name", "email")


def visible_related(record, name: str):
    """The related record loaded by `visible_contact`/`visible_customer`, or None when the user
    may not see it. (Reading `record.contact` itself would raise for a non-null foreign key
    whose prefetch found nothing.)"""
    return record._state.fields_cache.get(name)


def visible_contact(user) -> Prefetch:
    return Prefetch(
        "contact", queryset=Contact.objects.visible_to(user).only("id", "kind", "display_name")
    )


def visible_customer(user) -> Prefetch:
    return Prefetch(
        "customer",
        queryset=Customer.objects.filter(contact__in=Contact.objects.visible_to(user).values("pk"))
        .select_related("contact")
        .only("id", "code", "contact_id", "contact__id", "contact__display_name", "contact__kind"),
    )


def visible_in_bulk(user):
    """The same opportunities as `Opportunity.objects.visible_to(user)`, written for aggregates
    over many rows (the board's totals, the forecast, the funnel).

    `visible_to` checks each private row with three correlated index probes, which suits a
    page of 50 rows but costs about 400,000 buffer reads over a pipeline of 250,000. Here each
    grant is `pk IN (the user's grants)`, which PostgreSQL runs as a hashed subplan: the user's
    grants are read once per query, and each private row costs a hash lookup. The test
    `test_visible_in_bulk_is_visible_to` holds the two to the same set."""
    if not is_crm_user(user):
        return Opportunity.objects.none()
    if user.is_crm_admin:
        return Opportunity.objects.all()
    return Opportunity.objects.filter(
        Q(access__in=[AccessLevel.PUBLIC_READ, AccessLevel.PUBLIC_WRITE]) | _granted(user)
    )


def private_granted_in_bulk(user):
    """The private opportunities `user` reaches through a grant (manager, shared with them or
    with one of their teams), written as `visible_in_bulk` is: what a regular user's board adds
    to the public totals of the summary. (Not meant for admins, who see every one.)

    Only `access = private` in the filter, so PostgreSQL reads the partial index
    `opp_board_private` alone."""
    if not is_crm_user(user):
        return Opportunity.objects.none()
    return Opportunity.objects.filter(access=AccessLevel.PRIVATE).filter(_granted(user))


def _granted(user) -> Q:
    managers = Opportunity.managers.through.objects.filter(user_id=user.pk)
    shared_users = Opportunity.shared_users.through.objects.filter(user_id=user.pk)
    shared_teams = Opportunity.shared_teams.through.objects.filter(
        team_id__in=Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    )
    return (
        Q(pk__in=managers.values("opportunity_id"))
        | Q(pk__in=shared_users.values("opportunity_id"))
        | Q(pk__in=shared_teams.values("opportunity_id"))
    )


def opportunity_list(user, filters: OpportunityFilter | None = None):
    """The opportunities `user` may see, filtered and sorted, with what a list row shows.

    The stage and pipeline a row shows come as columns (`stage_name`, `stage_color`,
    `stage_kind`, `pipeline_name`)."""
    filters = filters or OpportunityFilter()
    queryset = (
        Opportunity.objects.visible_to(user)
        .annotate(
            stage_name=F("stage__name"),
            stage_color=F("stage__color"),
            stage_kind=F("stage__kind"),
            pipeline_name=F("pipeline__name"),
        )
        .annotate(**visible_party_columns(user))
        .select_related("responsible")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.all(), to_attr="tag_list"))
        .only(
            "id",
            "title",
            "contact_id",
            "customer_id",
            "currency",
            "amount",
            "budget_type",
            "budget_periods",
            "total",
            "expected_close",
            "probability",
            "pipeline_id",
            "stage_id",
            "access",
            "closed_at",
            "created_at",
            "version",
            *(f"responsible__{f}" for f in USER_FIELDS),
        )
    )
    queryset = filters.apply(queryset)
    queryset._iterable_class = RowsWithVisibleParties
    return queryset


def opportunity_detail(user, pk: int) -> Opportunity:
    """One opportunity with everything its page and its API representation show."""
    return (
        Opportunity.objects.visible_to(user)
        .select_related(
            "pipeline", "stage", "responsible", "lead_source", "lost_reason", "created_by"
        )
        .prefetch_related(
            visible_contact(user),
            visible_customer(user),
            "tags",
            "interests",
            Prefetch("managers", queryset=User.objects.only(*USER_FIELDS)),
            Prefetch("shared_users", queryset=User.objects.only(*USER_FIELDS)),
            "shared_teams",
        )
        .get(pk=pk)
    )


def stage_history(opportunity: Opportunity):
    """The stages the opportunity entered, oldest first, with who moved it."""
    return (
        StageChange.objects.filter(opportunity=opportunity)
        .select_related("by", "to_stage")
        .order_by("entered_at", "id")
    )


def pipelines_with_stages():
    return Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
    )


def _visible_name(user, contact_path: str, column: str) -> Subquery:
    """A column of the contact at `contact_path`, or NULL when the user may not see it."""
    return Subquery(
        Contact.objects.visible_to(user).filter(pk=OuterRef(contact_path)).values(column)[:1]
    )


def visible_party_columns(user) -> dict:
    """The contact's and the customer's names as columns read through the access point: a
    list row needs nothing else of them, and two prefetches (with their own access filters)
    cost more than the page's query. PostgreSQL evaluates them for the page's rows only."""
    customer = Customer.objects.filter(pk=OuterRef("customer_id"))
    return {
        "party_contact_name": _visible_name(user, "contact_id", "display_name"),
        "party_contact_kind": _visible_name(user, "contact_id", "kind"),
        "party_customer_contact": Subquery(customer.values("contact_id")[:1]),
        "party_customer_code": Subquery(customer.values("code")[:1]),
        "party_customer_name": visible_customer_name(user),
    }


def visible_customer_name(user) -> Subquery:
    """The name of the opportunity's customer as a column, NULL when the user may not see
    the customer's contact."""
    return Subquery(
        Contact.objects.visible_to(user)
        .filter(customer__pk=OuterRef("customer_id"))
        .order_by()
        .values("display_name")[:1]
    )


@dataclass(frozen=True, slots=True)
class ListedCustomer:
    id: int
    code: str
    contact: ListedContact

    @property
    def pk(self) -> int:
        return self.id

    def __str__(self):
        return self.contact.display_name


class RowsWithVisibleParties(ModelIterable):
    """Rows whose contact and customer are built from `visible_party_columns`, cached as
    `visible_contact`/`visible_customer` leave them: None when the user may not see them."""

    def __iter__(self):
        contact_field = Opportunity._meta.get_field("contact")
        customer_field = Opportunity._meta.get_field("customer")
        for row in super().__iter__():
            values = {name: row.__dict__.pop(name, None) for name in PARTY_COLUMNS}
            contact = None
            if values["party_contact_name"] is not None:
                contact = ListedContact(
                    row.contact_id, values["party_contact_kind"], values["party_contact_name"]
                )
            contact_field.set_cached_value(row, contact)
            customer = None
            if values["party_customer_name"] is not None:
                customer = ListedCustomer(
                    row.customer_id,
                    values["party_customer_code"],
                    ListedContact(
                        values["party_customer_contact"],
                        Contact.Kind.COMPANY,
                        values["party_customer_name"],
                    ),
                )
            customer_field.set_cached_value(row, customer)
            yield row


PARTY_COLUMNS = (
    "party_contact_name",
    "party_contact_kind",
    "party_customer_contact",
    "party_customer_code",
    "party_customer_name",
)
