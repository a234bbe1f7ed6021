"""Type-to-search pickers: choosing one record among a million.

A picker is a native <select> holding a few records (the newest ones, then those matching
what the user types in the search box above it, fetched through htmx from the source's options
endpoint), shown by name, and always the record chosen so far. A native select keeps the
keyboard and screen readers working as everywhere else; the search box only narrows it.

Sources return the *newest* matches, not the first by name. Walking the name index until
PICKER_LIMIT rows match reads the table up to where the matches begin, and the words typed are
in the names: at a million contacts "lucía" and "s.l." read 0.8-0.9 s of names, and customers,
a twelfth of the contacts, 0.2-0.9 s for "garcía" or "madrid". Ids do not follow the words, so
the newest matches come after about limit / share-of-matching rows: 2-25 ms for the same
searches. A search narrow enough to show every match shows exactly the same records.

A *source* says where the records come from: it searches them and finds one by id, always
through the access point, so a record the user may not see is never offered and, posted by
hand, is refused by the field like any bad id. `contacts.pickers` has the contact and customer
sources; another app adds a source and an options endpoint the same way."""

import re
from dataclasses import dataclass
from typing import Protocol

from django import forms
from django.forms.utils import flatatt
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.api import MAX_ID
from clientela.core.folding import fold

# How many records a picker lists at a time: enough to choose from, few enough to stay fast
# at a million records (the search reuses the indexed search of the record's list).
PICKER_LIMIT = 20

Row = tuple[int, str]
HTML_ID = re.compile(r"[A-Za-z][\w-]{0,99}")


class PickerSource(Protocol):
    search_label: str  # the search box's accessible name, e.g. "Search contacts"
    missing_message: str  # the field's error for an id that names nothing the user may pick

    def options_url(self) -> str: ...

    def search(self, user, query: str, limit: int) -> list[Row]:
        """Up to `limit` (id, label) rows matching `query` (all when blank), newest first."""

    def find(self, user, pk: int) -> Row | None:
        """The (id, label) row of record `pk` when the user may pick it."""


@dataclass(frozen=True)
class PickerOptions:
    query: str
    matches: list[Row]
    more: bool  # more records matched than listed
    chosen: Row | None  # the record chosen so far, when the user may see it

    @property
    def chosen_apart(self) -> bool:
        """The chosen record is listed first, on its own, when it is not among the matches."""
        return self.chosen is not None and self.chosen not in self.matches

    def status(self) -> str:
        if not self.matches:
            return _("No matches")
        if self.more:
            return _("More than %(count)d matches: keep typing to narrow them.") % {
                "count": len(self.matches)
            }
        return ngettext("%(count)d match", "%(count)d matches", len(self.matches)) % {
            "count": len(self.matches)
        }


def name_order(label: str) -> tuple[str, str]:
    """Sort key that puts "Álvaro" with the As and "ana" before "Bea", as the database's
    collation sorts names."""
    return fold(label), label


def as_ids(values) -> list[int] | None:
    """Record ids from posted input (a selection), sorted, without repeats; None when any of
    them cannot name a record."""
    ids = {as_id(value) for value in values}
    return None if None in ids else sorted(ids)


def as_id(value) -> int | None:
    """A record id from posted or stored input; None when it cannot name a record."""
    try:
        pk = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return pk if 1 <= pk <= MAX_ID else None


def picker_options(
    source: PickerSource, user, query: str, chosen=None, known: dict | None = None
) -> PickerOptions:
    """What a picker lists: up to PICKER_LIMIT matches of `query`, and the chosen record
    (looked up unless `known`, rows already read through the access point, has it)."""
    query = " ".join(str(query or "").split())
    rows = source.search(user, query, PICKER_LIMIT + 1)
    matches = sorted(rows[:PICKER_LIMIT], key=lambda row: name_order(row[1]))
    chosen_id = as_id(chosen)
    chosen_row = None
    if chosen_id is not None:
        chosen_row = next((row for row in matches if row[0] == chosen_id), None)
        if chosen_row is None:
            chosen_row = (known or {}).get(chosen_id) or source.find(user, chosen_id)
    return PickerOptions(query, matches, len(rows) > PICKER_LIMIT, chosen_row)


def render_options(options: PickerOptions, status_for: str = "") -> str:
    """The <option>s of a picker's select; with `status_for` (the select's id, which htmx
    sends as HX-Target), also the sentence that says how many matched, swapped into the
    picker's status line out of band."""
    status_id = f"{status_for}-status" if HTML_ID.fullmatch(status_for or "") else ""
    return render_to_string(
        "includes/record_picker_options.html", {"options": options, "status_id": status_id}
    )


class RecordPicker(forms.Select):
    """The widget: a search box above a select of a few records (`record_picker.html`).

    Subclassing Select gives it the form's `form-select` styling and label; the options are
    the source's, never a full list of choices."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.source: PickerSource | None = None
        self.user = None
        self.known: dict[int, Row] = {}

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        select_id = attrs.pop("id", None) or f"id_{name}"
        attrs.pop("required", None)
        # The status line describes the select, besides whatever the form links to it.
        attrs["aria-describedby"] = " ".join(
            filter(None, [attrs.get("aria-describedby"), f"{select_id}-status"])
        )
        options = picker_options(self.source, self.user, "", value, self.known)
        return render_to_string(
            "includes/record_picker.html",
            {
                "name": name,
                "id": select_id,
                "attrs": flatatt({"class": "form-select", **attrs}),
                "required": self.is_required,
                "options": options,
                "source": self.source,
            },
        )


class RecordField(forms.Field):
    """One record chosen with a RecordPicker. Cleans to the record's id, or None when left
    empty; an id that is malformed, missing or out of the user's reach gets the source's
    message. The form gives it its user with `bind_pickers(form, user)`, and may tell it rows it
    has already read through the access point (`known`, e.g. an edited record's current
    contact) so that showing them costs no query."""

    widget = RecordPicker

    def __init__(self, source: PickerSource, **kwargs):
        super().__init__(**kwargs)
        self.source = source
        self.user = None
        self.known: dict[int, Row] = {}
        self.widget.source = source

    def __deepcopy__(self, memo):
        copied = super().__deepcopy__(memo)
        copied.widget.source = copied.source = self.source
        return copied

    def to_python(self, value):
        if value in self.empty_values:
            return None
        pk = as_id(value)
        row = self.known.get(pk) or (self.source.find(self.user, pk) if pk is not None else None)
        if row is None:
            raise forms.ValidationError(self.source.missing_message, code="invalid_choice")
        self.known[pk] = row
        return pk


def bind_pickers(form: forms.BaseForm, user, known: dict[str, Row | None] | None = None):
    """Give the form's pickers the user whose reach they list and check, and the rows already
    read for some of them (by field name)."""
    known = known or {}
    for name, field in form.fields.items():
        if isinstance(field, RecordField):
            field.user = field.widget.user = user
            field.known = field.widget.known = {}
            if known.get(name) is not None:
                field.known[known[name][0]] = known[name]
