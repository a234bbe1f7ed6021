"""The wording of notification emails: placeholders, their check, defaults and filling.

Admins write subjects and bodies with placeholders in braces, `{name}`: the placeholders of
the notification kind (`NotificationKind.placeholders`, filled from the notification's
`params`) plus the common ones below. Anything else in braces is refused on save, naming it.
Filling is a plain substitution of known names, never `str.format`, so an admin's text cannot
reach attributes of the values (`{name.__class__}` is just an unknown placeholder)."""

import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clientela.mail.kinds import NotificationKind

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# The kinds' own texts are %-format strings (they are also gettext msgids); `%(name)s` reads
# as `{name}` in the admin's editor.
PERCENT_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

COMMON_PLACEHOLDERS = {
    "recipient": _("the name of the person notified"),
    "url": _("the link to what the notification is about"),
}
# What the preview fills placeholders with; a kind's own placeholder not listed here shows
# as its name in angle brackets.
SAMPLE_VALUES = {
    "name": _("Lucía Fernández"),
    "title": _("Call back about the offer"),
    "record": _("Lucía Fernández"),
    "actor": _("Bruno Pérez"),
    "by": _("Bruno Pérez"),
    "organiser": _("Bruno Pérez"),
    "due": _("25/11/2026 10:00"),
    "when": _("25/11/2026 10:00"),
    "recipient": _("Ana García"),
}

LANGUAGE_CODES = [code for code, _label in settings.LANGUAGES]


def fields() -> list[str]:
    """The editable texts of a kind's emails, per language: `subject_es`, `body_es`, …"""
    return [f"{part}_{code}" for code in LANGUAGE_CODES for part in ("subject", "body")]


def placeholders(kind: NotificationKind) -> dict[str, str]:
    """Every placeholder the kind's emails may use, with what it stands for."""
    # The names the kind's own text uses count even if its registration forgot to list them,
    # or its default wording could not be saved back unchanged.
    names = [*kind.placeholders, *PERCENT_PLACEHOLDER.findall(str(kind.text))]
    own = {name: _("given by the notification") for name in names}
    return {**own, **COMMON_PLACEHOLDERS}


def unknown_placeholders(text: str, allowed) -> list[str]:
    """The placeholders in `text` that are not in `allowed`, in order, each once."""
    unknown = []
    for match in PLACEHOLDER.finditer(text or ""):
        name = match.group(1)
        if name not in allowed and name not in unknown:
            unknown.append(name)
    return unknown


def fill(text: str, values: dict) -> str:
    def replace(match):
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return PLACEHOLDER.sub(replace, text)


def one_line(text: str) -> str:
    """A subject is one line: mail headers cannot carry line breaks."""
    return " ".join(text.split())


def default_subject(kind: NotificationKind, language: str) -> str:
    with translation.override(language):
        text = str(kind.text)
    return PERCENT_PLACEHOLDER.sub(r"{\1}", text).replace("%%", "%")


def default_body(kind: NotificationKind, language: str) -> str:
    return f"{default_subject(kind, language)}\n\n{{url}}\n"


def email_values(recipient, params: dict, link: str) -> dict:
    return {
        **{key: value for key, value in (params or {}).items() if isinstance(key, str)},
        "recipient": recipient.get_full_name() or recipient.email,
        "url": link,
    }


def sample_values(kind: NotificationKind, link: str) -> dict:
    values = {name: str(SAMPLE_VALUES.get(name, f"‹{name}›")) for name in placeholders(kind)}
    values["recipient"] = str(SAMPLE_VALUES["recipient"])
    values["url"] = link
    return values
