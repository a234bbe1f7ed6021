"""The one filter definition for contacts, shared by the contact list page and the API."""

from typing import Annotated, Literal

from django.db.models import CharField, F, Func, Q, Subquery, Value
from django.db.models.functions import Coalesce
from ninja import Schema
from pydantic import ConfigDict, Field, ValidationError

from clientela.core.access import AccessLevel
from clientela.core.folding import fold
from clientela.core.pagination import Concatenated, FirstRowsOr

from .models import ContactEmail

ORDERINGS = {
    "name": ("name_key", "id"),
    "-name": ("-name_key", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "email": ("primary_email", "id"),
    "-email": ("-primary_email", "-id"),
}

# A search's default order (ContactFilter.ranked); not a value of `ordering`.
BEST_MATCHES_FIRST = "best"

# How many names, from the start of the name order, a search sorted by name looks for its
# page among before it sorts every match instead (ContactFilter.ranked).
NAMES_READ_IN_ORDER = 5000

# Above every folded name in byte order (the largest code point).
AFTER_EVERY_NAME = "\U0010ffff"

Role = Literal["customer", "supplier", "lead", "none"]

# Ids past 64 bits and NUL characters cannot reach the database: they are bad input, not a 500.
FilterId = Annotated[int, Field(ge=0, le=2**63 - 1)]
NO_NUL = r"^[^\x00]*$"


class ContactFilter(Schema):
    model_config = ConfigDict(extra="ignore")

    q: str | None = Field(
        None, max_length=100, pattern=NO_NUL, description="Words in the name, email or phone."
    )
    kind: Literal["person", "company"] | None = None
    contact_type: FilterId | None = Field(None, description="Contact type id; 0 means unspecified.")
    tag: FilterId | None = Field(None, description="Tag id.")
    temperature: FilterId | None = None
    source: FilterId | None = None
    interest: FilterId | None = None
    manager: FilterId | None = Field(None, description="User id of a manager.")
    company: FilterId | None = Field(None, description="Id of the company the people belong to.")
    role: Role | None = Field(None, description="customer, supplier, lead, or none of them.")
    access: Literal["private", "public"] | None = None
    ordering: Literal[tuple(ORDERINGS)] | None = Field(  # type: ignore[valid-type]
        None,
        description="Sort order. Without one, a search lists its best matches first (the "
        "contacts whose name begins with the words searched, by name, then the other matches, "
        "by name) and a list without a search is sorted by name.",
    )

    @classmethod
    def from_query(cls, params) -> tuple["ContactFilter", dict[str, str]]:
        """Parse a QueryDict; invalid parameters are dropped and reported, never fatal."""
        raw = {k: v for k, v in params.items() if v not in ("", None)}
        try:
            return cls.model_validate(raw), {}
        except ValidationError as exc:
            bad = {str(err["loc"][0]): err["msg"] for err in exc.errors()}
            return cls.model_validate({k: v for k, v in raw.items() if k not in bad}), bad

    @property
    def words(self) -> list[str]:
        """The words searched, folded like the text they are looked for in."""
        return fold(self.q).split()[:5] if self.q else []

    @property
    def sort(self) -> str:
        """The order in force: the one asked for, else BEST_MATCHES_FIRST for a search that
        could be the start of a name (it begins with a letter, and no word is the start of an
        address, looked for in the addresses only), else by name: "+34 600" or "612" are
        parts of phone numbers, which no name begins with."""
        if self.ordering:
            return self.ordering
        words = self.words
        if words and words[0][:1].isalpha() and not any(map(_is_address_start, words)):
            return BEST_MATCHES_FIRST
        return "name"

    def ranked(self, queryset):
        """`apply`, read in the order in force: for BEST_MATCHES_FIRST, the matches whose
        name begins with the words searched (as typed, in that order) by name, then the others
        by name, as one `Concatenated` list.

        Why not simply by name: the words searched are most often the start of a name, so
        their matches sit together in name order ("María …" at a million contacts begins at
        the 647,000th name), and sorting them all costs as much as they are many. The best
        matches are a range of the name index instead, read from its start, and the others
        are seldom needed beyond the first page. See docs/performance.md."""
        filtered = self.apply(queryset)
        sort = self.sort
        if sort == BEST_MATCHES_FIRST:
            # The other words' conditions are implied by the name's start; without them the
            # planner reads the range, not the trigram index.
            begins = Q(name_key__startswith=" ".join(self.words))
            best = self.apply(queryset, search=False).filter(begins)
            return Concatenated((best, filtered.exclude(begins)), whole=filtered)
        if sort in ("name", "-name") and _may_cluster_by_name(self.words):
            return _by_name(filtered, descending=sort == "-name")
        return filtered

    def apply(self, queryset, *, search: bool = True):
        """Filter, and sort by the ordering asked for or by name. Each word of `q` must
        appear somewhere in the contact's name, emails or phones (without regard to case or
        accents), except a word that looks like the start of an email address
        ("maria.lopez@", "ana@acme"), which matches the addresses that begin with it."""
        conditions = Q()
        if search:
            for word in self.words:
                conditions &= _matching(word)
        if self.kind:
            conditions &= Q(kind=self.kind)
        if self.contact_type is not None:
            conditions &= (
                Q(contact_type__isnull=True)
                if self.contact_type == 0
                else Q(contact_type_id=self.contact_type)
            )
        if self.temperature:
            conditions &= Q(temperature_id=self.temperature)
        if self.source:
            conditions &= Q(source_id=self.source)
        if self.company:
            conditions &= Q(company_id=self.company)
        if self.access == "private":
            conditions &= Q(access=AccessLevel.PRIVATE)
        elif self.access == "public":
            conditions &= ~Q(access=AccessLevel.PRIVATE)
        if self.role == "customer":
            conditions &= Q(customer__isnull=False)
        elif self.role == "supplier":
            conditions &= Q(supplier__isnull=False)
        elif self.role == "lead":
            conditions &= Q(is_lead=True)
        elif self.role == "none":
            conditions &= Q(customer__isnull=True, supplier__isnull=True, is_lead=False)
        queryset = queryset.filter(conditions)
        # Many-to-many filters go through subqueries so no row is repeated.
        model = queryset.model
        for value, field in (
            (self.tag, "tags"),
            (self.interest, "interests"),
            (self.manager, "managers"),
        ):
            if value:
                m2m = model._meta.get_field(field)
                through = m2m.remote_field.through.objects.filter(
                    **{f"{m2m.m2m_reverse_field_name()}_id": value}
                ).values(m2m.m2m_field_name())
                queryset = queryset.filter(pk__in=through)
        return queryset.order_by(*ORDERINGS[self.ordering or "name"])

    def active(self) -> dict:
        return {
            k: v for k, v in self.model_dump().items() if v not in (None, "") and k != "ordering"
        }


def _by_name(filtered, *, descending: bool) -> FirstRowsOr:
    """A search strictly by name: its page among the first NAMES_READ_IN_ORDER names (a range
    of the name index, read in order: the walk PostgreSQL would choose, bounded), else every
    match sorted. Unbounded, the walk read 647,000 names for "maría" (1.6 s); sorting every
    match costs as much as they are many, which the bounded walk spares the words whose
    matches begin early ("ana", "garcía"). See docs/performance.md."""
    names = filtered.model._base_manager.order_by("-name_key" if descending else "name_key")
    bound = Subquery(
        names.values("name_key")[NAMES_READ_IN_ORDER : NAMES_READ_IN_ORDER + 1],
        output_field=CharField(),
    )
    if descending:
        first = filtered.filter(name_key__gt=Coalesce(bound, Value("")))
    else:
        first = filtered.filter(name_key__lt=Coalesce(bound, Value(AFTER_EVERY_NAME)))
    # An expression of the key, which the name index does not hold: PostgreSQL sorts the
    # matches it finds through the trigram index rather than walking the index.
    key = Func(F("name_key"), template="(%(expressions)s || '')", output_field=CharField())
    whole = filtered.order_by(
        key.desc() if descending else key.asc(), "-id" if descending else "id"
    )
    return FirstRowsOr(first, whole=whole)


def _may_cluster_by_name(words: list[str]) -> bool:
    """Whether a search's matches may sit together somewhere in name order: one word that the
    trigram index can find (three letters or more) and that is looked for in the names. Two
    words match few contacts, and PostgreSQL sorts them rather than walking the names."""
    return len(words) == 1 and len(words[0]) >= 3 and not _is_address_start(words[0])


def _is_address_start(word: str) -> bool:
    return "@" in word[1:]


def _matching(word: str) -> Q:
    # A substring search for an address goes through the trigram index, whose cost grows with
    # the length of the pattern (10 ms for "maria.lopez@" at a million contacts); an address
    # typed from its start is a b-tree prefix scan of the emails instead (under 1 ms).
    if _is_address_start(word):
        return Q(pk__in=ContactEmail.objects.filter(email__startswith=word).values("contact_id"))
    return Q(search_text__contains=word)
