"""Reads of contacts shared by pages, the API and exports. Always through the access point."""

from django.db.models import Prefetch

from clientela.accounts.models import User
from clientela.core.models import Tag

from .filters import ContactFilter
from .models import Contact, ContactAddress


def visible_company(user) -> Prefetch:
    """A person's company, loaded through the access point: one the user may not see comes
    back as None, so its name never shows on a page or in the API."""
    return Prefetch(
        "company", queryset=Contact.objects.visible_to(user).only("id", "kind", "display_name")
    )


def contact_list(user, filters: ContactFilter | None = None):
    """The contacts `user` may see, filtered and sorted, with what a list row shows."""
    filters = filters or ContactFilter()
    queryset = (
        Contact.objects.visible_to(user)
        .select_related("contact_type", "temperature", "customer", "supplier")
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
            "contact_type__name",
            "temperature__name",
            "temperature__color",
            "company_id",
            "customer__id",
            "customer__code",
            "supplier__id",
            "supplier__code",
        )
    )
    return filters.apply(queryset)


def contact_detail(user, pk: int):
    """One contact with everything its page and its API representation show."""
    return (
        Contact.objects.visible_to(user)
        .select_related(
            "contact_type",
            "temperature",
            "source",
            "customer",
            "customer__primary_contact",
            "supplier",
            "created_by",
        )
        .prefetch_related(
            visible_company(user),
            "tags",
            "interests",
            "emails",
            "phones",
            "websites",
            Prefetch("addresses", queryset=ContactAddress.objects.order_by("-is_main", "id")),
            Prefetch(
                "managers", queryset=User.objects.only("id", "first_name", "last_name", "email")
            ),
            Prefetch(
                "shared_users", queryset=User.objects.only("id", "first_name", "last_name", "email")
            ),
            "shared_teams",
        )
        .get(pk=pk)
    )


def people_of(user, company: Contact):
    return Contact.objects.visible_to(user).filter(company=company).order_by("display_name", "id")
