"""Template helpers for the contact pages: list URLs that keep the current filters."""

from django import template
from django.utils.http import urlencode
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def query_url(context, **changes):
    """The current page's URL with some query parameters changed (None or "" removes one).

    Changing anything but the offset starts again at the first page."""
    request = context["request"]
    params = {k: v for k, v in request.GET.items() if v not in ("", None)}
    if "offset" not in changes:
        params.pop("offset", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return f"{request.path}?{urlencode(params)}" if params else request.path


@register.simple_tag(takes_context=True)
def sort_value(context, column: str) -> str:
    """The sort a click on `column` asks for: ascending, or descending on the column already
    sorted ascending."""
    return f"-{column}" if context.get("ordering", "name") == column else column


@register.simple_tag(takes_context=True)
def sort_url(context, column: str):
    """The current page sorted as a click on `column` asks (`sort_value`)."""
    return query_url(context, ordering=sort_value(context, column))


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def change_value(value):
    """A change-log value as text: lists joined, booleans in words, nothing as a dash."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
