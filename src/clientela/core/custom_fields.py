"""Admin-defined custom fields: definitions per record type and type-checked values."""

import datetime
import decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import Http404
from django.utils.translation import gettext as _

from clientela.core.models import CustomField

# Record types whose custom fields admins define in the settings, by URL slug; domain apps
# register theirs in `AppConfig.ready()` with `register_custom_fields`.
CUSTOM_FIELD_MODELS: dict[str, type] = {}


def register_custom_fields(record_type: str, model: type):
    CUSTOM_FIELD_MODELS[record_type] = model


def custom_field_model(record_type: str) -> type:
    try:
        return CUSTOM_FIELD_MODELS[record_type]
    except KeyError as exc:
        raise Http404(record_type) from exc


def definitions_for(model) -> list[CustomField]:
    return list(CustomField.objects.filter(content_type=ContentType.objects.get_for_model(model)))


def shown_custom_values(record) -> list[tuple[CustomField, object]]:
    """(definition, value) of each custom field `record` has a value for, yes/no in words, in
    the order the admin defined them: what a record's Information tab shows."""
    values = []
    for definition in definitions_for(type(record)):
        value = record.custom_fields.get(definition.key)
        if value in (None, ""):
            continue
        if definition.field_type == CustomField.FieldType.BOOLEAN:
            value = _("Yes") if value else _("No")
        values.append((definition, value))
    return values


def _clean_value(definition: CustomField, raw):
    kind = CustomField.FieldType
    if definition.field_type == kind.TEXT:
        return str(raw)
    if definition.field_type == kind.NUMBER:
        try:
            number = decimal.Decimal(str(raw).replace(",", "."))
        except decimal.InvalidOperation as exc:
            raise ValidationError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        return float(number) if number != number.to_integral_value() else int(number)
    if definition.field_type == kind.DATE:
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.datetime.strptime(str(raw), fmt).date().isoformat()
            except ValueError:
                continue
        raise ValidationError(_("Enter a date as dd/mm/yyyy."))
    if definition.field_type == kind.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on", "sí", "si"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValidationError(_("Enter yes or no."))
    if definition.field_type == kind.CHOICE:
        if str(raw) not in [str(c) for c in definition.choices]:
            raise ValidationError(
                _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(map(str, definition.choices))}
            )
        return str(raw)
    if definition.field_type == kind.URL:
        URLValidator()(str(raw))
        return str(raw)
    raise ValidationError(_("Unknown field type."))


def clean_custom_fields(model, values: dict | None, existing: dict | None = None) -> dict:
    """Validate `values` against the model's definitions, merged over `existing`.

    Raises ValidationError keyed by `custom_fields.<key>` so the message names the field."""
    definitions = {d.key: d for d in definitions_for(model)}
    values = values or {}
    errors = {}
    unknown = set(values) - set(definitions)
    for key in sorted(unknown):
        errors[f"custom_fields.{key}"] = [_("There is no custom field “%(key)s”.") % {"key": key}]
    result = {k: v for k, v in (existing or {}).items() if k in definitions}
    for key, definition in definitions.items():
        if key not in values:
            continue
        raw = values[key]
        if raw in (None, ""):
            result.pop(key, None)
            continue
        try:
            result[key] = _clean_value(definition, raw)
        except ValidationError as exc:
            errors[f"custom_fields.{key}"] = [f"{definition.label}: {m}" for m in exc.messages]
    for key, definition in definitions.items():
        if definition.required and result.get(key) in (None, ""):
            errors.setdefault(
                f"custom_fields.{key}", [_("%(label)s is required.") % {"label": definition.label}]
            )
    if errors:
        raise ValidationError(errors)
    return result
