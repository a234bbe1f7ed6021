"""One change log for every write: who, when, and a before/after snapshot."""

import datetime
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.fields.files import FieldFile

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
        for name, before, after in entry.changed_fields()
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
