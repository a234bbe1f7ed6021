"""CSV export of contacts, shared by the API and the web UI.

Rows come from `queries.contact_list`, so an export holds exactly what the user may see with
the filters they chose, read in chunks so memory stays flat however many rows there are."""

import csv

from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.csv_download import csv_response, safe_cell
from clientela.core.pagination import querysets_of

from .filters import ContactFilter
from .queries import contact_list

CHUNK_SIZE = 2000

# Everything a row below reads; anything else would be loaded one row at a time.
EXPORT_FIELDS = (
    "id",
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "display_name",
    "primary_email",
    "primary_phone",
    "position",
    "currency",
    "access",
    "is_lead",
    "created_at",
    "source__name",
)


def _header() -> list[str]:
    return [
        _("Id"),
        _("Kind"),
        # Not "Name": in Spanish that is also the first name's header.
        _("Full name"),
        _("First name"),
        _("Last name"),
        _("Company name"),
        _("Company"),
        _("Position"),
        _("Email"),
        _("Phone"),
        _("Contact type"),
        _("Temperature"),
        _("Source"),
        _("Tags"),
        _("Currency"),
        _("Access"),
        _("Lead"),
        _("Customer code"),
        _("Supplier code"),
        _("Created"),
    ]


def _row(contact) -> list[str]:
    values = [
        contact.pk,
        contact.get_kind_display(),
        contact.display_name,
        contact.first_name,
        contact.last_name,
        contact.company_name,
        contact.company.display_name if contact.company else "",
        contact.position,
        contact.primary_email,
        contact.primary_phone,
        contact.type_name or "",
        contact.temperature_name or "",
        contact.source.name if contact.source_id else "",
        ", ".join(tag.name for tag in contact.tag_list),
        contact.currency,
        contact.get_access_display(),
        _("yes") if contact.is_lead else _("no"),
        contact.customer_code or "",
        contact.supplier_code or "",
        timezone.localdate(contact.created_at).isoformat(),
    ]
    return [safe_cell(value) for value in values]


def contact_csv_rows(user, filters: ContactFilter | None = None):
    """The header, then one row per contact `user` may see that matches `filters`."""
    yield _header()
    for part in querysets_of(contact_list(user, filters)):
        queryset = part.select_related("source").only(
            *EXPORT_FIELDS, "contact_type_id", "temperature_id", "source_id", "company_id"
        )
        for contact in queryset.iterator(chunk_size=CHUNK_SIZE):
            yield _row(contact)


def write_contacts_csv(user, filters: ContactFilter | None, stream) -> int:
    """Write the CSV to a text stream (a file, an HttpResponse…); returns the number of rows."""
    writer = csv.writer(stream)
    count = -1
    for count, row in enumerate(contact_csv_rows(user, filters)):  # noqa: B007
        writer.writerow(row)
    return count


def contacts_csv_response(request, filters: ContactFilter | None = None):
    """The CSV download of the contacts `request.user` may see, streamed under WSGI and ASGI."""
    return csv_response(request, contact_csv_rows(request.user, filters), "contacts", CHUNK_SIZE)
