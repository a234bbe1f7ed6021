"""CSV export of opportunities, shared by the API and the list page.

Rows come from `queries.opportunity_list`, so an export holds exactly the opportunities the
list shows the user with the same filters and order, and a contact or customer the user may
not see comes out empty. Read in chunks (one query for the rows, one for the tags of each
chunk), so memory and the number of queries stay flat however many rows there are.

Values are for machines as much as for people: dates as yyyy-mm-dd, amounts with a dot."""

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.csv_download import csv_response, safe_cell

from .filters import OpportunityFilter
from .models import Opportunity, Stage
from .queries import opportunity_list, visible_related

CHUNK_SIZE = 2000


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


def _iso(date) -> str:
    return date.isoformat() if date else ""


def opportunity_csv_rows(user, filters: OpportunityFilter | None = None):
    """The header, then one row per opportunity `user` may see that matches `filters`.

    The header and the labels are translated here, at the call, in the language of the
    request: the rows may be read later, while the response streams."""
    header = _header()
    statuses = {kind: str(label) for kind, label in Stage.Kind.choices}
    budget_types = {kind: str(label) for kind, label in Opportunity.BudgetType.choices}
    queryset = opportunity_list(user, filters).annotate(
        lead_source_name=F("lead_source__name"), lost_reason_name=F("lost_reason__name")
    )

    def row(opportunity) -> list[str]:
        contact = visible_related(opportunity, "contact")
        customer = visible_related(opportunity, "customer")
        responsible = opportunity.responsible
        values = [
            opportunity.pk,
            opportunity.title,
            contact.display_name if contact else "",
            customer.contact.display_name if customer else "",
            opportunity.pipeline_name,
            opportunity.stage_name,
            statuses.get(opportunity.stage_kind, opportunity.stage_kind),
            opportunity.amount,
            opportunity.currency,
            budget_types.get(opportunity.budget_type, opportunity.budget_type),
            opportunity.budget_periods,
            opportunity.total,
            opportunity.probability,
            opportunity.weighted_total,
            _iso(opportunity.expected_close),
            _iso(opportunity.closed_at),
            (responsible.get_full_name() or responsible.email) if responsible else "",
            opportunity.lead_source_name,
            opportunity.lost_reason_name,
            ", ".join(tag.name for tag in opportunity.tag_list),
            timezone.localtime(opportunity.created_at).date().isoformat(),
        ]
        return [safe_cell(value) for value in values]

    def rows():
        yield header
        for opportunity in queryset.iterator(chunk_size=CHUNK_SIZE):
            yield row(opportunity)

    return rows()


def opportunities_csv_response(request, filters: OpportunityFilter | None = None):
    """The CSV download of the opportunities `request.user` may see, streamed under WSGI and
    ASGI."""
    return csv_response(
        request, opportunity_csv_rows(request.user, filters), "opportunities", CHUNK_SIZE
    )
