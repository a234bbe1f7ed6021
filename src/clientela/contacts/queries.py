"""Reads of contacts shared by pages, the API and exports. Always through the access point."""

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Subquery
from django.db.models.query import ModelIterable
from django.urls import reverse

from clientela.accounts.models import User
from clientela.core.models import Tag

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


class _RowsWithVisibleCompany(ModelIterable):
    """Rows whose `company` is built from the `visible_company_name` column: a company the
    user may not see comes back as None (its id stays, as with a filtered prefetch)."""

    def __iter__(self):
        company_field = Contact._meta.get_field("company")
        for contact in super().__iter__():
            name = contact.__dict__.pop("visible_company_name", None)
            company = None
            if contact.company_id and name is not None:
                company = ListedContact(contact.company_id, Contact.Kind.COMPANY, name)
            company_field.set_cached_value(contact, company)
            yield contact


def contact_list(user, filters: ContactFilter | None = None):
    """The contacts `user` may see, filtered and sorted, with what a list row shows.

    The names and codes a row shows of its type, temperature and roles come as columns
    (`type_name`, `temperature_name`, `temperature_color`, `customer_code`, `supplier_code`):
    a model instance for each would cost more than the whole query. A person's company comes
    the same way, as a column read through the access point (`visible_company_name`), so a
    company the user may not see is None and its name never shows."""
    filters = filters or ContactFilter()
    queryset = (
        Contact.objects.visible_to(user)
        .annotate(
            type_name=F("contact_type__name"),
            temperature_name=F("temperature__name"),
            temperature_color=F("temperature__color"),
            customer_code=_role_code(Customer),
            supplier_code=_role_code(Supplier),
            visible_company_name=Subquery(
                Contact.objects.visible_to(user)
                .filter(pk=OuterRef("company_id"))
                .values("display_name")[:1]
            ),
        )
        # Into a plain list: a related manager per row would cost more than the query.
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.all(), to_attr="tag_list"))
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
    queryset = filters.apply(queryset)
    queryset._iterable_class = _RowsWithVisibleCompany
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
        queryset = queryset.select_related(
            "source", "customer__primary_contact", "created_by"
        ).prefetch_related(*_contact_details())
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
    return Contact.objects.visible_to(user).filter(company=company).order_by("display_name", "id")
