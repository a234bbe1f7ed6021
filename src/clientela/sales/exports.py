"""CSV export of opportunities, shared by the API and the list page.

Rows come from `queries.opportunity_list`, so an export holds exactly the opportunities the
list shows the user with the same filters and order, and a contact or customer the user may
not see comes out empty (its name is read through the access point, `visible_party_columns`).
Read in chunks, one query for the rows and one for the tags of each chunk, so memory and the
number of queries stay flat however many rows there are.

The rows are read as tuples of the columns the file holds, not as model instances: on the
benchmark's 300,000 opportunities, building two instances per row (the opportunity and its
responsible) cost more than the query, and the list's other party columns (the contact's
kind, the customer's code) would cost a subquery per row each for nothing.

Values are for machines as much as for people: dates as yyyy-mm-dd, amounts with a dot."""

import itertools
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.csv_download import csv_response, safe_cell

from .filters import OpportunityFilter
from .models import Opportunity, Stage
from .queries import opportunity_list

CHUNK_SIZE = 2000
CENT = Decimal("0.01")

# What a row reads of each opportunity, in the order `_row` takes them.
COLUMNS = (
    "id",
    "title",
    "party_contact_name",
    "party_customer_name",
    "pipeline_name",
    "stage_name",
    "stage_kind",
    "amount",
    "currency",
    "budget_type",
    "budget_periods",
    "total",
    "probability",
    "expected_close",
    "closed_at",
    "responsible__first_name",
    "responsible__last_name",
    "responsible__email",
    "lead_source__name",
    "lost_reason__name",
    "created_at",
)


def _header() -> list[str]:
    return [
        _("Id"),
        _("Title"),
        _("Contact"),
        _("Customer"),
        _("Pipeline"),
        _("Stage"),
        _("Status"),
        _("Amount"),
        _("Currency"),
        _("Budget type"),
        _("Number of periods"),
        _("Total"),
        _("Probability (%)"),
        _("Weighted total"),
        _("Expected close"),
        _("Closed on"),
        _("Responsible"),
        _("Lead source"),
        _("Lost reason"),
        _("Tags"),
        _("Created"),
    ]


def _tag_names(opportunity_ids) -> dict[int, list[str]]:
    names = defaultdict(list)
    links = (
        Opportunity.tags.through.objects.filter(opportunity_id__in=opportunity_ids)
        .order_by("tag__name", "tag_id")
        .values_list("opportunity_id", "tag__name")
    )
    for opportunity_id, name in links:
        names[opportunity_id].append(name)
    return names


def opportunity_csv_rows(user, filters: OpportunityFilter | None = None):
    """The header, then one row per opportunity `user` may see that matches `filters`.

    The header and the labels are translated here, at the call, in the language of the
    request: the rows may be read later, while the response streams."""
    header = _header()
    statuses = {kind: str(label) for kind, label in Stage.Kind.choices}
    budget_types = {kind: str(label) for kind, label in Opportunity.BudgetType.choices}
    zone = timezone.get_current_timezone()
    queryset = opportunity_list(user, filters).prefetch_related(None).values_list(*COLUMNS)

    def row(values, tags) -> list[str]:
        (
            pk,
            title,
            contact,
            customer,
            pipeline,
            stage,
            kind,
            amount,
            currency,
            budget_type,
            periods,
            total,
            probability,
            expected_close,
            closed_at,
            first_name,
            last_name,
            email,
            lead_source,
            lost_reason,
            created_at,
        ) = values
        # As User.get_full_name() and Opportunity.weighted_total, without their instances.
        responsible = f"{first_name or ''} {last_name or ''}".strip() or email
        cells = (
            pk,
            title,
            contact,
            customer,
            pipeline,
            stage,
            statuses.get(kind, kind),
            amount,
            currency,
            budget_types.get(budget_type, budget_type),
            periods,
            total,
            probability,
            (total * probability / 100).quantize(CENT),
            expected_close.isoformat() if expected_close else "",
            closed_at.isoformat() if closed_at else "",
            responsible,
            lead_source,
            lost_reason,
            ", ".join(tags),
            created_at.astimezone(zone).date().isoformat(),
        )
        return [safe_cell(value) for value in cells]

    def rows():
        yield header
        chunks = queryset.iterator(chunk_size=CHUNK_SIZE)
        while chunk := list(itertools.islice(chunks, CHUNK_SIZE)):
            tags = _tag_names([values[0] for values in chunk])
            for values in chunk:
                yield row(values, tags.get(values[0], ()))

    return rows()


def opportunities_csv_response(request, filters: OpportunityFilter | None = None):
    """The CSV download of the opportunities `request.user` may see, streamed under WSGI and
    ASGI."""
    return csv_response(
        request, opportunity_csv_rows(request.user, filters), "opportunities", CHUNK_SIZE
    )
