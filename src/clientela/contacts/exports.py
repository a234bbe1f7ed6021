"""CSV export of contacts, shared by the API and the web UI.

Rows come from `queries.contact_list`, so an export holds exactly what the user may see with
the filters they chose, read in chunks so memory stays flat however many rows there are."""

import csv
import itertools
import re

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

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

# A phone number such as "+34 600 11 22 33" may start with "+" without being a formula.
PLAIN_NUMBER = re.compile(r"[+-][\d\s().-]*")


def _header() -> list[str]:
    return [
        _("Id"),
        _("Kind"),
        _("Name"),
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


def _safe(value) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (
        text[:1] in ("+", "-") and not PLAIN_NUMBER.fullmatch(text)
    ):
        return "'" + text
    return text


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
        contact.created_at.date().isoformat(),
    ]
    return [_safe(value) for value in values]


def contact_csv_rows(user, filters: ContactFilter | None = None):
    """The header, then one row per contact `user` may see that matches `filters`."""
    queryset = (
        contact_list(user, filters)
        .select_related("source")
        .only(*EXPORT_FIELDS, "contact_type_id", "temperature_id", "source_id", "company_id")
    )
    yield _header()
    for contact in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield _row(contact)


def write_contacts_csv(user, filters: ContactFilter | None, stream) -> int:
    """Write the CSV to a text stream (a file, an HttpResponse…); returns the number of rows."""
    writer = csv.writer(stream)
    count = -1
    for count, row in enumerate(contact_csv_rows(user, filters)):  # noqa: B007
        writer.writerow(row)
    return count


class _Line:
    """A file-like object whose `write` hands back what it was given, for streaming."""

    def write(self, value: str) -> str:
        return value


def stream_contacts_csv(user, filters: ContactFilter | None = None):
    """The CSV as an iterator of encoded lines, for a StreamingHttpResponse.

    Starts with a byte-order mark so spreadsheet programs read the accents right."""
    writer = csv.writer(_Line())
    yield "\ufeff".encode()
    for row in contact_csv_rows(user, filters):
        yield writer.writerow(row).encode()


async def _in_batches(lines, size: int | None = None):
    """Hand a synchronous iterator over to the event loop in batches.

    Given a synchronous iterator, Django's ASGI handler reads it to the end before sending a
    byte; this keeps memory flat. The batches are read in the thread-sensitive executor, the
    thread (and database connection) the view ran in."""
    size = size or CHUNK_SIZE
    take = sync_to_async(lambda: list(itertools.islice(lines, size)), thread_sensitive=True)
    while batch := await take():
        yield b"".join(batch)


def contacts_csv_response(request, filters: ContactFilter | None = None):
    """The CSV download of the contacts `request.user` may see, streamed under WSGI and ASGI."""
    lines = stream_contacts_csv(request.user, filters)
    if isinstance(request, ASGIRequest):
        lines = _in_batches(lines)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="contacts-{stamp}.csv"'
    return response
