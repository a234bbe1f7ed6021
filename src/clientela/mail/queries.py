"""Reads of notifications, the admin's notification settings and users' email choices."""

from clientela.mail import wording
from clientela.mail.kinds import NOTIFICATION_KINDS, NotificationKind
from clientela.mail.models import NotificationOptOut, NotificationSetting
from clientela.mail.services import registered_kind


def kinds_by_label() -> list[NotificationKind]:
    return sorted(NOTIFICATION_KINDS.values(), key=lambda kind: str(kind.label).lower())


def notification_setting(kind_key: str) -> tuple[NotificationKind, NotificationSetting]:
    """A kind and its settings; an unsaved default (version 1) when the admin never set any."""
    kind = registered_kind(kind_key)
    setting = NotificationSetting.objects.filter(kind=kind.key).first()
    return kind, setting or NotificationSetting(kind=kind.key)


def effective_wording(kind: NotificationKind, setting: NotificationSetting, language: str):
    """The subject and body used for `language`: the admin's, else the defaults."""
    return (
        setting.subject(language) or wording.default_subject(kind, language),
        setting.body(language) or wording.default_body(kind, language),
    )


def notification_settings() -> list[tuple[NotificationKind, NotificationSetting]]:
    """Every registered kind with its settings (unsaved defaults where none), in one query."""
    saved = {s.kind: s for s in NotificationSetting.objects.filter(kind__in=NOTIFICATION_KINDS)}
    return [
        (kind, saved.get(kind.key) or NotificationSetting(kind=kind.key))
        for kind in kinds_by_label()
    ]


def customised_fields(setting: NotificationSetting) -> list[str]:
    return [name for name in wording.fields() if getattr(setting, name)]


def email_choices(user) -> dict[str, bool]:
    """For every registered kind: True if `user` gets its emails as far as they decide."""
    opted_out = set(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
    return {key: key not in opted_out for key in NOTIFICATION_KINDS}


def email_preferences(user) -> list[dict]:
    """Every kind as `user` sees it on their preferences page, by label."""
    choices = email_choices(user)
    switched_off = set(
        NotificationSetting.objects.filter(email_enabled=False).values_list("kind", flat=True)
    )
    return [
        {
            "kind": kind.key,
            "label": str(kind.label),
            "email": choices[kind.key],
            "switched_off_by_admin": kind.key in switched_off,
        }
        for kind in kinds_by_label()
    ]
