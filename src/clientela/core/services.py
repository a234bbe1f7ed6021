"""Every write about platform records that admins edit: tags, custom-field definitions and the
items of admin-edited lists (`core.admin_lists`)."""

from collections import Counter

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import PROTECT, RESTRICT
from django.db.models.deletion import ProtectedError as DjangoProtectedError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clientela.core.changelog import record_change, snapshot
from clientela.core.errors import ProtectedError
from clientela.core.models import CustomField, Tag


def _require_admin(actor):
    if not (actor and actor.is_authenticated and actor.is_crm_admin):
        raise PermissionDenied(_("Only CRM admins may do this."))


def _full_clean(instance):
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


@transaction.atomic
def save_tag(actor, tag: Tag | None, data: dict) -> Tag:
    """Create a tag or rename / recolour one. Names are unique regardless of case, because
    tags are picked by name (`core.tags.tags_by_name`)."""
    _require_admin(actor)
    before = snapshot(tag) if tag and tag.pk else None
    tag = tag or Tag()
    if "name" in data:
        tag.name = " ".join(str(data["name"] or "").split())
    if "color" in data:
        tag.color = str(data["color"] or "").strip().lower()
    clash = Tag.objects.filter(name__iexact=tag.name).exclude(pk=tag.pk)
    if tag.name and clash.exists():
        raise ValidationError(
            {"name": _("There is already a tag called “%(name)s”.") % {"name": clash.first()}}
        )
    _validate_color(tag.color)
    _full_clean(tag)
    tag.save()
    record_change(actor, tag, "update" if before else "create", before, snapshot(tag))
    return tag


def _validate_color(color: str):
    digits = color[1:] if color.startswith("#") else ""
    if len(digits) != 6 or any(c not in "0123456789abcdef" for c in digits):
        raise ValidationError({"color": _("Give the colour as #rrggbb.")})


@transaction.atomic
def delete_tag(actor, tag: Tag):
    """Delete a tag; the records that carried it simply lose it."""
    _require_admin(actor)
    record_change(actor, tag, "delete", snapshot(tag), None)
    tag.delete()


@transaction.atomic
def save_custom_field(actor, model, field: CustomField | None, data: dict) -> CustomField:
    """Define or change a custom field of `model`. The key is fixed once created: stored values
    are keyed by it."""
    _require_admin(actor)
    before = snapshot(field) if field and field.pk else None
    if field is None:
        field = CustomField(content_type=ContentType.objects.get_for_model(model))
        field.key = (data.get("key") or "").strip() or slugify(data.get("label") or "")
        field.key = field.key.replace("-", "_")
    for name in ("label", "field_type", "required", "position"):
        if name in data:
            setattr(field, name, data[name].strip() if isinstance(data[name], str) else data[name])
    if "choices" in data:
        field.choices = [str(c).strip() for c in data["choices"] or [] if str(c).strip()]
    if field.field_type == CustomField.FieldType.CHOICE:
        if not field.choices:
            raise ValidationError({"choices": _("A choice field needs at least one choice.")})
        if len({c.lower() for c in field.choices}) != len(field.choices):
            raise ValidationError({"choices": _("Each choice must appear only once.")})
    else:
        field.choices = []
    if not field.key:
        raise ValidationError({"key": _("Give the field a key made of letters and digits.")})
    clash = CustomField.objects.filter(content_type=field.content_type, key=field.key)
    if clash.exclude(pk=field.pk).exists():
        raise ValidationError(
            {
                "key": _("There is already a custom field with the key “%(key)s”.")
                % {"key": field.key}
            }
        )
    _full_clean(field)
    field.save()
    record_change(actor, field, "update" if before else "create", before, snapshot(field))
    return field


@transaction.atomic
def delete_custom_field(actor, field: CustomField):
    """Delete a definition. Values already stored stay in the records' data until their next
    save, which drops keys with no definition (`core.custom_fields.clean_custom_fields`)."""
    _require_admin(actor)
    record_change(actor, field, "delete", snapshot(field), None)
    field.delete()


# --- items of admin-edited lists (contact types, sources, lead sources, task categories…) ------


def _strip(value):
    return value.strip() if isinstance(value, str) else value


@transaction.atomic
def save_list_item(actor, model, item, data: dict):
    _require_admin(actor)
    before = snapshot(item) if item and item.pk else None
    item = item or model()
    for name, value in data.items():
        setattr(item, name, _strip(value))
    _full_clean(item)
    item.save()
    record_change(actor, item, "update" if before else "create", before, snapshot(item))
    return item


@transaction.atomic
def delete_list_item(actor, item):
    _require_admin(actor)
    uses = blocking_uses(item)
    if uses:
        raise ProtectedError(
            _("“%(name)s” is still used by %(uses)s.") % {"name": item, "uses": uses}
        )
    record_change(actor, item, "delete", snapshot(item), None)
    try:
        with transaction.atomic():
            item.delete()
    except DjangoProtectedError as exc:
        # Something started using it since the count: the same answer.
        raise ProtectedError(
            _("“%(name)s” is still used by %(uses)s.")
            % {
                "name": item,
                "uses": _count_by_kind(Counter(type(r) for r in exc.protected_objects)),
            }
        ) from exc


def blocking_uses(item) -> str:
    """“1 contact, 3 opportunities”: the records whose protected reference to `item` forbids
    deleting it, counted in SQL (a source may be used by a million contacts: they are not
    loaded), in the reader's words; "" when nothing holds it."""
    counts = Counter()
    for relation in item._meta.related_objects:
        if relation.many_to_many or relation.on_delete not in (PROTECT, RESTRICT):
            continue
        count = relation.related_model._base_manager.filter(**{relation.field.name: item}).count()
        if count:
            counts[relation.related_model] += count
    return _count_by_kind(counts)


def _count_by_kind(counts: Counter) -> str:
    return ", ".join(
        f"{count} {model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural}"
        for model, count in counts.items()
    )
