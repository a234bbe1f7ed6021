"""Each activity target's timeline: notes, comments, task and calendar events, stage changes
and the change log, newest first.

Other apps write their events with `record_event(...)` inside their service's transaction and
say how an event reads with `register_timeline_kind(...)`:

    register_timeline_kind("task_closed", _("Task closed"), "check2-square",
                           _("%(actor)s closed the task %(title)s"))
    record_event(task.target, "task_closed", actor, {"title": task.title}, source=task)

The text is a `%`-format string over the entry's params (plus `actor`, the actor's name),
rendered in the reader's language when read, like `mail.Notification.text`.

Reading (`timeline_page`) is one range scan of the (content type, object id, -at, -id) index
of `TimelineEntry` merged with one range scan of the change log's (content type, object id,
-at) index. The change log is merged at read time rather than mirrored into timeline entries:
`core.changelog.record_change` stays the one writer of the log (no second write per change,
no copy that can drift from it, nothing to back-fill for records changed before this app),
and both reads are bounded by `offset + limit + 1` rows, so a page costs two indexed reads
whatever the record's history. Offsets are limited (`MAX_OFFSET`) like every list."""

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.changelog import changed_rows, history_of, readable
from clientela.core.models import ChangeLogEntry
from clientela.core.pagination import Page

from .models import HistoryCategory, TimelineEntry

# What a page shows of the people named on it: never their whole user row.
ACTOR_FIELDS = ("actor__id", "actor__first_name", "actor__last_name", "actor__email")
ENTRY_FIELDS = (
    "id", "at", "kind", "params", "actor_id", "category_id", "source_type_id", "source_id",
    *ACTOR_FIELDS, "category__id", "category__name", "category__icon",
)  # fmt: skip
CHANGE_FIELDS = (
    "id",
    "content_type_id",
    "object_repr",
    "action",
    "at",
    "before",
    "after",
    "actor_id",
    *ACTOR_FIELDS,
)

MAX_OFFSET = 10_000
MAX_LIMIT = 100
# The kind of the change log's rows on a timeline (they are not TimelineEntry rows).
CHANGE_KIND = "change"


@dataclass(frozen=True)
class TimelineKind:
    key: str
    label: str
    icon: str
    text: str


TIMELINE_KINDS: dict[str, TimelineKind] = {}


def register_timeline_kind(key: str, label, icon: str, text) -> TimelineKind:
    """Declare how entries of `kind` read: `label` names the kind in filters, `icon` is a
    Bootstrap Icons name, `text` a (lazily translated) `%`-format string over the params."""
    kind = TimelineKind(key, label, icon, text)
    TIMELINE_KINDS[key] = kind
    return kind


def timeline_kind(key: str) -> TimelineKind | None:
    return TIMELINE_KINDS.get(key)


register_timeline_kind(CHANGE_KIND, _("Change"), "pencil-square", _("%(actor)s changed %(fields)s"))


def _source_key(source) -> tuple[ContentType | None, int | None]:
    if source is None:
        return None, None
    return ContentType.objects.get_for_model(source), source.pk


def record_event(
    record,
    kind: str,
    actor,
    summary_params: dict | None = None,
    at: datetime | None = None,
    category: HistoryCategory | int | None = None,
    source: models.Model | None = None,
) -> TimelineEntry:
    """Write one entry on `record`'s timeline (call it inside your service's transaction).

    `summary_params` fill the kind's text (JSON-ready values: strings, numbers); `category` is
    a `HistoryCategory` or its id; `source` the row the event is about (a note, a task…), so
    that deleting it can remove its entries (`remove_events`)."""
    source_type, source_id = _source_key(source)
    return TimelineEntry.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        category_id=category.pk if isinstance(category, HistoryCategory) else category,
        params=summary_params or {},
        source_type=source_type,
        source_id=source_id,
    )


def remove_events(source: models.Model, kind: str | None = None) -> int:
    """Delete the entries about `source` (of `kind`, or all): when the source is deleted."""
    source_type, source_id = _source_key(source)
    entries = TimelineEntry.objects.filter(source_type=source_type, source_id=source_id)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.delete()[0]


def update_events(source: models.Model, **changes) -> int:
    """Update the entries about `source` (say its `category` or `params` after an edit)."""
    source_type, source_id = _source_key(source)
    if "category" in changes:
        category = changes.pop("category")
        changes["category_id"] = category.pk if isinstance(category, HistoryCategory) else category
    return TimelineEntry.objects.filter(source_type=source_type, source_id=source_id).update(
        **changes
    )


def _actor_name(actor) -> str:
    if actor is None:
        return str(_("the system"))
    return actor.get_full_name() or actor.email


def entry_text(entry: TimelineEntry) -> str:
    """The entry's text in the active language; the kind's label when params do not fit."""
    kind = timeline_kind(entry.kind)
    if kind is None:
        return entry.kind
    params = {"actor": _actor_name(entry.actor), **(entry.params or {})}
    try:
        return str(kind.text) % params
    except (KeyError, TypeError, ValueError):
        return str(kind.label)


# --- reading -----------------------------------------------------------------------------


@dataclass
class TimelineItem:
    """One row of a timeline page: a `TimelineEntry` or a change-log entry, read alike."""

    at: datetime
    kind: str
    icon: str
    text: str
    actor: object
    category: HistoryCategory | None = None
    params: dict = field(default_factory=dict)
    entry: TimelineEntry | None = None
    change: ChangeLogEntry | None = None
    # The entry's source row when its app registered a loader (notes, comments).
    source: object = None
    # For a change: (field label, before, after) of each changed field.
    changes: list = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        kind = timeline_kind(self.kind)
        return str(kind.label) if kind else self.kind


# Loaders of the rows entries are about, by source model: (ids) -> {id: row}. One query per
# source model on a page, never one per row.
SOURCE_LOADERS: dict[type[models.Model], object] = {}


def register_timeline_source(model: type[models.Model], load_many):
    """Let timeline pages carry `model` rows (`TimelineItem.source`), loaded by
    `load_many(ids) -> {id: row}` once per page."""
    SOURCE_LOADERS[model] = load_many


def _change_item(change: ChangeLogEntry, model) -> TimelineItem:
    rows = changed_rows(change, model)
    if change.action == ChangeLogEntry.Action.UPDATE:
        text = _("%(actor)s changed %(fields)s") % {
            "actor": _actor_name(change.actor),
            "fields": ", ".join(label for label, _b, _a in rows) or "—",
        }
    elif change.action == ChangeLogEntry.Action.CREATE:
        text = _("%(actor)s created %(name)s") % {
            "actor": _actor_name(change.actor),
            "name": change.object_repr,
        }
    else:
        text = _("%(actor)s deleted %(name)s") % {
            "actor": _actor_name(change.actor),
            "name": change.object_repr,
        }
    return TimelineItem(
        at=change.at,
        kind=CHANGE_KIND,
        icon=TIMELINE_KINDS[CHANGE_KIND].icon,
        text=str(text),
        actor=change.actor,
        change=change,
        changes=rows,
    )


def _entry_item(entry: TimelineEntry) -> TimelineItem:
    kind = timeline_kind(entry.kind)
    icon = (entry.category.icon if entry.category and entry.category.icon else "") or (
        kind.icon if kind else "dot"
    )
    return TimelineItem(
        at=entry.at,
        kind=entry.kind,
        icon=icon,
        text=entry_text(entry),
        actor=entry.actor,
        category=entry.category,
        params=entry.params,
        entry=entry,
    )


def _attach_sources(items: list[TimelineItem]):
    wanted: dict[int, list[TimelineItem]] = {}
    for item in items:
        if item.entry is not None and item.entry.source_type_id:
            wanted.setdefault(item.entry.source_type_id, []).append(item)
    for type_id, group in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        load_many = SOURCE_LOADERS.get(model)
        if load_many is None:
            continue
        rows = load_many({item.entry.source_id for item in group})
        for item in group:
            item.source = rows.get(item.entry.source_id)


def timeline_entries(record):
    """The record's own timeline entries (not the change log), newest first."""
    return TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).order_by("-at", "-id")


def timeline_page(
    record,
    *,
    category: int | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 25,
    with_sources: bool = True,
    reader=None,
) -> Page:
    """One page of `record`'s timeline, newest first, optionally only one category (history
    event category id) or one kind (a registered key; `"change"` for the change log).

    `record` must come from the access point (`targets.find_target`): this does not check.
    Queries: the entries, the change log, one per source model shown — constant per page.
    `with_sources=False` leaves `TimelineItem.source` empty, for readers that do not show the
    notes' and comments' text (the API's timeline names sources by type and id only). The
    change log reads as `reader` may read it (`core.changelog.readable`): without a reader,
    every logged link to another record reads as out of reach."""
    offset = min(max(int(offset), 0), MAX_OFFSET)
    limit = min(max(int(limit), 1), MAX_LIMIT)
    window = offset + limit + 1
    streams = []
    if kind != CHANGE_KIND:
        entries = timeline_entries(record).select_related("actor", "category").only(*ENTRY_FIELDS)
        if category is not None:
            entries = entries.filter(category_id=category)
        if kind:
            entries = entries.filter(kind=kind)
        streams.append([(e.at, 1, e.pk, _entry_item, e) for e in entries[:window]])
    if category is None and kind in (None, CHANGE_KIND):
        model = type(record)
        changes = readable(history_of(record).only(*CHANGE_FIELDS)[:window], reader)
        streams.append([(c.at, 0, c.pk, lambda c: _change_item(c, model), c) for c in changes])
    merged = heapq.merge(*streams, key=lambda row: row[:3], reverse=True)
    rows = list(islice(merged, offset, window))
    items = [make(obj) for _at, _rank, _pk, make, obj in rows[:limit]]
    if with_sources:
        _attach_sources(items)
    has_next = len(rows) > limit
    return Page(
        items=items,
        offset=offset,
        limit=limit,
        has_next=has_next,
        count=offset + len(items) if not has_next else 0,
        count_is_capped=False,
        counted=not has_next,
    )
