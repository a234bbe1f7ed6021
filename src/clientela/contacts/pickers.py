"""Pickers of contacts and customers (core.pickers): what they list and check.

They search exactly as the contact list does (`ContactFilter`'s `q`: each word in the name,
emails or phones, an address typed from its start), always within
`Contact.objects.visible_to(user)`, so a contact the user may not see is never offered and
never accepted. Their options come from `picker_views.contact_picker_options`."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .filters import ContactFilter
from .models import Contact

# The longest `q` ContactFilter takes.
MAX_QUERY = 100


def contact_search(user, query: str, **filters):
    """The contacts `user` may see matching `query` like the contact list's search.

    A query the filter would refuse (too long, a NUL) is cut short rather than dropped, which
    would list every contact."""
    query = " ".join(str(query or "").replace("\x00", "").split())[:MAX_QUERY]
    contact_filter, _bad = ContactFilter.from_query({"q": query, **filters})
    return contact_filter.apply(Contact.objects.visible_to(user))


class ContactSource:
    """Contacts, valued by their id."""

    search_label = _("Search contacts")
    missing_message = _("There is no such contact.")
    role = ""
    # The id each option stands for: the contact's, or its role record's (a customer's id).
    value = "pk"

    def options_url(self) -> str:
        url = reverse("contacts:picker_options")
        return f"{url}?role={self.role}" if self.role else url

    def search(self, user, query: str, limit: int) -> list[tuple[int, str]]:
        rows = contact_search(user, query, **({"role": self.role} if self.role else {}))
        # The newest first (see core.pickers): an index of ids, which the words do not follow.
        newest = rows.order_by(f"-{self.value}")
        return list(newest.values_list(self.value, "display_name")[:limit])

    def find(self, user, pk: int) -> tuple[int, str] | None:
        rows = Contact.objects.visible_to(user).filter(**{self.value: pk})
        return rows.values_list(self.value, "display_name").first()


class CustomerSource(ContactSource):
    """Customers (contacts with the customer role), valued by the customer's id, as an
    opportunity's `customer_id` is."""

    search_label = _("Search customers")
    missing_message = _("There is no such customer.")
    role = "customer"
    value = "customer__id"


# The sources the options endpoint serves, by the `role` it is asked for.
SOURCES = {"": ContactSource(), "customer": CustomerSource()}
