"""Reads of contacts shared by pages, the API and exports. Always through the access point."""

import functools
from dataclasses import dataclass, field, fields

from django.db.models import Exists, F, JSONField, OuterRef, Prefetch, Subquery
from django.db.models.query import ModelIterable
from django.urls import reverse

from clientela.accounts.models import User
from clientela.core.access import is_crm_user
from clientela.core.expressions import RecordSQL

from .filters import ContactFilter
from .models import Contact, ContactAddress, Customer, Supplier


def _role_code(role_model) -> Subquery:
    """A role's code as a scalar subquery rather than a join: PostgreSQL evaluates it only for
    the rows of the page (after the sort and the limit), where a join made it hash the whole
    role table for a search's matches."""
    return Subquery(role_model.objects.filter(contact_id=OuterRef("pk")).values("code")[:1])


def visible_company(user) -> Prefetch:
    """A person's company, loaded through the access point: one the user may not see comes
    back as None, so its name never shows on a page or in the API."""
    return Prefetch(
        "company", queryset=Contact.objects.visible_to(user).only("id", "kind", "display_name")
    )


@dataclass(frozen=True, slots=True)
class ListedContact:
    """What a list row shows of a related contact: a model instance costs ten times more to
    build, which showed at fifty rows a page."""

    id: int
    kind: str
    display_name: str

    @property
    def pk(self) -> int:
        return self.id

    def get_absolute_url(self) -> str:
        return reverse("contacts:detail", args=[self.id])

    def __str__(self):
        return self.display_name


@dataclass(frozen=True, slots=True)
class ListedTag:
    """A tag as a list row shows it."""

    id: int
    name: str
    color: str

    def __str__(self):
        return self.name


class TagsOf(RecordSQL):
    """A record's tags as one JSON column, `[[id, name, color], …]` in the tags' order.

    A list reads its rows' tags in the same query instead of a prefetch: the second query, and
    the prefetch machinery building a model instance per tag, cost more than the whole page
    query's part of it (a correlated subquery evaluated for the page's rows only)."""

    output_field = JSONField()

    def record_sql(self, pk_sql, pk_params, connection):
        sql = _tags_sql(self.model, connection.vendor, connection.ops.quote_name)
        return sql.format(pk=pk_sql), pk_params


@functools.cache
def _tags_sql(model, vendor: str, quote) -> str:
    tags = model._meta.get_field("tags")
    through = tags.remote_field.through._meta
    tag = tags.related_model._meta

    def column(name: str) -> str:
        return f"tags.{quote(tag.get_field(name).column)}"

    columns = ", ".join(column(listed.name) for listed in fields(ListedTag))
    order = ", ".join(
        f"{column(name.lstrip('-'))} DESC" if name.startswith("-") else column(name)
        for name in (*tag.ordering, tag.pk.name)
    )
    rows = (
        f"{quote(through.db_table)} record_tags JOIN {quote(tag.db_table)} tags"
        f" ON {column(tag.pk.name)}"
        f" = record_tags.{quote(through.get_field(tags.m2m_reverse_field_name()).column)}"
        f" WHERE record_tags.{quote(through.get_field(tags.m2m_field_name()).column)} = {{pk}}"
    )
    if vendor == "postgresql":
        return (
            f"(SELECT COALESCE(jsonb_agg(jsonb_build_array({columns}) ORDER BY {order}),"
            f" '[]'::jsonb) FROM {rows})"
        )
    # SQLite before 3.44 takes no ORDER BY inside an aggregate; it aggregates the rows of an
    # ordered subquery in their order.
    listed = ", ".join(f"ordered.{quote(listed.name)}" for listed in fields(ListedTag))
    return (
        f"(SELECT json_group_array(json_array({listed}))"
        f" FROM (SELECT {columns} FROM {rows} ORDER BY {order}) ordered)"
    )


class _ListedRows(ModelIterable):
    """Rows whose `company` is built from the `visible_company_name` column (a company the
    user may not see comes back as None; its id stays, as with a filtered prefetch), and whose
    `tag_list` from the `tags_of_row` column."""

    def __iter__(self):
        company_field = Contact._meta.get_field("company")
        for contact in super().__iter__():
            name = contact.__dict__.pop("visible_company_name", None)
            company = None
            if contact.company_id and name is not None:
                company = ListedContact(contact.company_id, Contact.Kind.COMPANY, name)
            company_field.set_cached_value(contact, company)
            contact.tag_list = [ListedTag(*tag) for tag in contact.__dict__.pop("tags_of_row")]
            yield contact


def contact_list(user, filters: ContactFilter | None = None):
    """The contacts `user` may see, filtered, with what a list row shows, in the order in
    force (`ContactFilter.ranked`: a queryset, or for a search's best matches first a
    `core.pagination.Concatenated` of two).

    The names and codes a row shows of its type, temperature and roles come as columns
    (`type_name`, `temperature_name`, `temperature_color`, `customer_code`, `supplier_code`):
    a model instance for each would cost more than the whole query. A person's company comes
    the same way, as a column read through the access point (`visible_company_name`), so a
    company the user may not see is None and its name never shows; and so do its tags
    (`tag_list`, from `TagsOf`)."""
    filters = filters or ContactFilter()
    if not is_crm_user(user):
        return filters.ranked(_listed_contacts(user))
    return filters.ranked(_listed_contacts_within(_Reach(user.pk, user.is_crm_admin, user)).all())


@dataclass(frozen=True)
class _Reach:
    """What the access point's SQL depends on: the user's id and whether they are an admin
    (grants and team memberships are read by that SQL when it runs, not built into it)."""

    user_id: int
    is_admin: bool
    user: User = field(compare=False, hash=False, repr=False)


@functools.lru_cache(maxsize=512)
def _listed_contacts_within(reach: _Reach):
    """The unfiltered list of one reach, built once and cloned by each request: building its
    subqueries through the ORM cost more than a millisecond a request, compiling it a half.
    It is never evaluated itself (`contact_list` chains it)."""
    return _listed_contacts(reach.user)


def _listed_contacts(user):
    queryset = (
        Contact.objects.visible_to(user)
        .annotate(
            type_name=F("contact_type__name"),
            temperature_name=F("temperature__name"),
            temperature_color=F("temperature__color"),
            customer_code=_role_code(Customer),
            supplier_code=_role_code(Supplier),
            # Without the model's ordering, which made PostgreSQL sort once per row.
            visible_company_name=Subquery(
                Contact.objects.visible_to(user)
                .filter(pk=OuterRef("company_id"))
                .order_by()
                .values("display_name")[:1]
            ),
            tags_of_row=TagsOf(Contact),
        )
        .only(
            "id",
            "kind",
            "display_name",
            "primary_email",
            "primary_phone",
            "position",
            "access",
            "is_lead",
            "photo",
            "created_at",
            "version",
            "contact_type_id",
            "temperature_id",
            "company_id",
        )
    )
    queryset._iterable_class = _ListedRows
    return queryset


def _contact_row(user, *, details: bool):
    """One contact with what every view of it shows: the header of its page (name, photo, type,
    temperature, tags, public / customer / supplier / lead marks, visible company); with
    `details`, also what only the Information and Addresses tabs and the API show."""
    queryset = (
        Contact.objects.visible_to(user)
        .select_related("contact_type", "temperature", "customer", "supplier")
        .prefetch_related(visible_company(user), "tags")
    )
    if details:
        queryset = queryset.select_related("source", "created_by").prefetch_related(
            # Through the access point too: a primary contact the user may not see is None.
            Prefetch(
                "customer__primary_contact",
                queryset=Contact.objects.visible_to(user).only("id", "kind", "display_name"),
            ),
            *_contact_details(),
        )
    return queryset


def _contact_details() -> list:
    """The related rows only the Information and Addresses tabs and the API show."""
    return [
        "interests",
        "emails",
        "phones",
        "websites",
        Prefetch("addresses", queryset=ContactAddress.objects.order_by("-is_main", "id")),
        Prefetch("managers", queryset=User.objects.only("id", "first_name", "last_name", "email")),
        Prefetch(
            "shared_users", queryset=User.objects.only("id", "first_name", "last_name", "email")
        ),
        "shared_teams",
    ]


def contact_detail(user, pk: int):
    """One contact with everything its page and its API representation show."""
    return _contact_row(user, details=True).get(pk=pk)


def contact_page(user, pk: int, *, details: bool):
    """The contact of its page: the header always, the details (`_contact_details`) when the
    tab shows them. A tab that reads a relation left out still gets it, by one query of its own;
    the company alone must never be read that way, and is always loaded through the access point.

    `viewer_can_change` and `viewer_can_delete` answer `can(user, …)` for the page's buttons and
    tabs in the same query, through the access point, instead of one query each."""
    queryset = _contact_row(user, details=details).annotate(
        viewer_can_change=Exists(Contact.objects.editable_by(user).filter(pk=OuterRef("pk"))),
        viewer_can_delete=Exists(Contact.objects.deletable_by(user).filter(pk=OuterRef("pk"))),
    )
    return queryset.get(pk=pk)


def people_of(user, company: Contact):
    return Contact.objects.visible_to(user).filter(company=company).order_by("name_key", "id")
