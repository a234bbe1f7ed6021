"""One change log for every write: who, when, and a before/after snapshot."""

import datetime
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from clientela.core.models import ChangeLogEntry


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, models.Model):
        return str(value)
    return value


def snapshot(instance) -> dict:
    """The record's own field values plus its many-to-many names, as JSON-ready data.

    A model may add related rows (emails, addresses…) by defining `changelog_extra()`."""
    exclude = set(getattr(instance, "changelog_exclude", ()))
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude or field.primary_key:
            continue
        if field.is_relation:
            related_id = getattr(instance, field.attname)
            if related_id is None:
                data[field.name] = None
            elif _is_restricted(field.related_model):
                # Kept with its id, so that `readable` can tell who may read the name.
                data[field.name] = {"id": related_id, "name": str(getattr(instance, field.name))}
            else:
                data[field.name] = str(getattr(instance, field.name))
        else:
            data[field.name] = _plain(field.value_from_object(instance))
    if instance.pk:
        for field in instance._meta.many_to_many:
            if field.name in exclude:
                continue
            data[field.name] = sorted(str(obj) for obj in getattr(instance, field.name).all())
    if hasattr(instance, "changelog_extra"):
        data.update(instance.changelog_extra())
    return data


def _is_restricted(model) -> bool:
    """Whether `model`'s rows are not everyone's to see: it has an access point, or it is
    seen through a link to a model that has one (`visible_through`, e.g. a customer through
    its contact)."""
    return hasattr(model._default_manager, "visible_to") or hasattr(model, "visible_through")


def _visible_ids(model, reader, ids) -> set:
    if hasattr(model._default_manager, "visible_to"):
        rows = model._default_manager.visible_to(reader)
    else:
        link = model._meta.get_field(model.visible_through)
        reachable = link.related_model._default_manager.visible_to(reader)
        rows = model._default_manager.filter(**{f"{link.name}__in": reachable})
    return set(rows.filter(pk__in=ids).values_list("pk", flat=True))


def _linked_model(model, name: str):
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field.related_model if field.many_to_one or field.one_to_one else None


def readable(entries, reader) -> list:
    """`entries`, each with the changes `reader` may read (`changes_read`, see `read_changes`):
    a logged link to a record ({"id", "name"}, see `snapshot`) reads as that record's name if
    the reader may see it, else as "a contact out of your reach" and the like. One query per
    kind of linked record, whatever the number of entries."""
    entries = list(entries)
    links: dict = {}
    rows_of = []
    for entry in entries:
        entry.logged_model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
        # Compared as logged, so that a move between two records out of reach still shows.
        rows = []
        for name, before, after in entry.changed_fields():
            related = None
            if _is_link(before) or _is_link(after):
                related = _linked_model(entry.logged_model, name)
            for value in (before, after):
                if related is not None and _is_link(value):
                    links.setdefault(related, set()).add(value["id"])
            rows.append((name, related, before, after))
        rows_of.append((entry, rows))
    # `reader` None (a caller that names nobody) reads every link as out of reach.
    visible = {}
    if reader is not None:
        visible = {model: _visible_ids(model, reader, ids) for model, ids in links.items()}

    def read(related, value):
        if not _is_link(value):
            return value
        if related is not None and value["id"] in visible.get(related, ()):
            return value.get("name", "")
        return out_of_reach(related)

    for entry, rows in rows_of:
        entry.changes_read = [
            (name, read(related, before), read(related, after))
            for name, related, before, after in rows
        ]
    return entries


def read_changes(entry) -> list[tuple[str, object, object]]:
    """(key, before, after) of each logged change, as `readable` left them for its reader;
    for an entry it did not see, every link reads as out of reach."""
    if hasattr(entry, "changes_read"):
        return entry.changes_read
    return [(k, logged_value(b), logged_value(a)) for k, b, a in entry.changed_fields()]


def _is_link(value) -> bool:
    return isinstance(value, dict) and "id" in value


def out_of_reach(model=None) -> str:
    """What a logged link to a record the reader may not see reads as."""
    if model is None:
        return _("a record out of your reach")
    return _("a %(record)s out of your reach") % {"record": model._meta.verbose_name}


def logged_value(value):
    """A logged value for reading: a link `readable` did not resolve reads as out of reach,
    never as the name it holds."""
    return out_of_reach() if _is_link(value) else value


def present_value(model, name: str, value):
    """A logged value as people read it, in their language: choice codes become labels.

    The log keeps codes (they do not change with the reader's language); a model may
    present its own extras (`changelog_extra`) with a `changelog_present(name, value)`."""
    hook = getattr(model, "changelog_present", None)
    if hook is not None:
        presented = hook(name, value)
        if presented is not None:
            return presented
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    choices = getattr(field, "flatchoices", None)
    if choices and isinstance(value, str):
        return str(dict(choices).get(value, value))
    return value


def field_label(model, name: str) -> str:
    """What a logged key is called, in the reader's language: the field's verbose name, a
    reverse relation's related rows (emails, phones…), a label the model gives its extras
    (`changelog_labels`), else the key itself."""
    extra = getattr(model, "changelog_labels", {})
    if name in extra:
        return str(extra[name])
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name.replace("_", " ")
    label = getattr(model_field, "verbose_name", None)
    if label is None:
        label = model_field.related_model._meta.verbose_name_plural
    return str(label)


def changed_rows(entry: ChangeLogEntry, model) -> list[tuple[str, object, object]]:
    """(label, before, after) of each field an update changed, as people read them; nothing
    for a creation or a deletion."""
    if entry.action != ChangeLogEntry.Action.UPDATE:
        return []
    return [
        (
            field_label(model, name),
            present_value(model, name, before),
            present_value(model, name, after),
        )
        for name, before, after in read_changes(entry)
    ]


def record_change(actor, instance, action: str, before: dict | None, after: dict | None):
    if action == ChangeLogEntry.Action.UPDATE and before == after:
        return None
    return ChangeLogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(instance),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        before=before,
        after=after,
    )


def history_of(instance):
    return (
        ChangeLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(instance), object_id=instance.pk
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )
