"""The kinds of notification, registered by the apps that send them.

A kind has a label (what the admin's notification settings and the user's opt-outs list), the
text shown under the bell and used as the email's subject (a `%`-format string filled from the
notification's `params`), and the placeholders that text may use. Apps register their kinds at
import time of their `services` module or in `AppConfig.ready()`, and send with
`mail.services.notify(recipient, kind.key, params, url)`."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NotificationKind:
    key: str
    label: str
    text: str
    placeholders: tuple[str, ...] = ("name",)


NOTIFICATION_KINDS: dict[str, NotificationKind] = {}


def register_notification_kind(kind: NotificationKind) -> NotificationKind:
    NOTIFICATION_KINDS[kind.key] = kind
    return kind


def notification_kind(key: str) -> NotificationKind | None:
    return NOTIFICATION_KINDS.get(key)


CONTACT_ASSIGNED = register_notification_kind(
    NotificationKind(
        "contact_assigned",
        _("A contact was assigned to you"),
        _("You are now a manager of %(name)s"),
    )
)
ACCESS_GRANTED = register_notification_kind(
    NotificationKind(
        "access_granted",
        _("You were given access to a record"),
        _("%(name)s was shared with you"),
    )
)
