"""Contacts that look like the one being entered: the same email address, or the same full
name. Only among the contacts the user may see, so the warning reveals nothing else."""

from django.db.models import Q

from .models import Contact, ContactEmail

MAX_SHOWN = 5


def likely_duplicates(user, *, name: str = "", emails=(), exclude_pk: int | None = None):
    """Up to MAX_SHOWN visible contacts with one of `emails` (addresses are stored lowercase)
    or named exactly `name`, whatever the case and the accents ("Lucia Fernandez" is "Lucía
    Fernández"): the folded names are compared, through the name index."""
    # NUL cannot reach PostgreSQL; nothing real contains it.
    name = " ".join(name.replace("\x00", "").split())
    emails = sorted({e.replace("\x00", "").strip().lower() for e in emails if e and "@" in e})[:10]
    condition = Q()
    if emails:
        condition |= Q(pk__in=ContactEmail.objects.filter(email__in=emails).values("contact_id"))
    if len(name) >= 3:
        condition |= Q(name_key=Contact.name_key_of(name))
    if not condition:
        return []
    matches = Contact.objects.visible_to(user).filter(condition)
    if exclude_pk:
        matches = matches.exclude(pk=exclude_pk)
    return list(
        matches.only("id", "kind", "display_name", "primary_email").order_by("name_key", "id")[
            :MAX_SHOWN
        ]
    )
