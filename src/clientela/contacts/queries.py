"""Reads of contacts shared by pages, the API and exports. Always through the access point."""

from django.db.models import Exists, F, OuterRef, Prefetch, Subquery

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


def contact_list(user, filters: ContactFilter | None = None):
    """The contacts `user` may see, filtered and sorted, with what a list row shows.

    The names and codes a row shows of its type, temperature and roles come as columns
    (`type_name`, `temperature_name`, `temperature_color`, `customer_code`, `supplier_code`):
    a model instance for each would cost more than the whole query."""
    filters = filters or ContactFilter()
    queryset = (
        Contact.objects.visible_to(user)
        .annotate(
            type_name=F("contact_type__name"),
            temperature_name=F("temperature__name"),
            temperature_color=F("temperature__color"),
            customer_code=_role_code(Customer),
            supplier_code=_role_code(Supplier),
        )
        # Into a plain list: a related manager per row would cost more than the query.
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.all(), to_attr="tag_list"),
            visible_company(user),
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
    return filters.apply(queryset)


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
