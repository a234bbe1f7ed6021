"""The tabs of a record's page (a contact, an opportunity…), registered per model so that other
apps add theirs (Opportunities, Timeline, Tasks, Files…) without the page's app knowing them.

A page shows `tabs_for(record)` with `includes/record_tabs.html`; each tab renders its template
with the page's context plus what its `context(request, record)` returns."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class RecordTab:
    key: str
    label: str
    template: str
    icon: str = ""
    # Extra context for the tab's template: (request, record) -> dict.
    context: Callable | None = None
    # Whether the tab applies to this record at all.
    shown_for: Callable = lambda record: True


_TABS: dict[str, list[RecordTab]] = {}


def _label(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


def register_record_tab(model, tab: RecordTab, before: str = "history"):
    """Add (or replace, by key) a tab of `model`'s page, by default just before its History."""
    tabs = [t for t in _TABS.setdefault(_label(model), []) if t.key != tab.key]
    keys = [t.key for t in tabs]
    tabs.insert(keys.index(before) if before in keys else len(keys), tab)
    _TABS[_label(model)] = tabs


def tabs_for(record: models.Model) -> list[RecordTab]:
    return [t for t in _TABS.get(_label(record), []) if t.shown_for(record)]


def chosen_tab(tabs: list[RecordTab], key: str | None) -> RecordTab:
    return next((t for t in tabs if t.key == key), tabs[0])
