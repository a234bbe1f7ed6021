"""The notifications API's shapes: the caller's notifications and email preferences, and the
admin's notification settings."""

from datetime import datetime

from ninja import Field, Schema

from clientela.core.api import RecordId, text
from clientela.mail.services import BODY_MAX, SUBJECT_MAX


class NotificationOut(Schema):
    id: int
    kind: str
    text: str = Field(description="In the caller's language.")
    url: str
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_text(notification) -> str:
        return notification.text


class MarkReadIn(Schema):
    ids: list[RecordId] | None = Field(
        None, max_length=1000, description="The notifications to mark read; all unread if null."
    )


class MarkReadOut(Schema):
    marked: int


class EmailPreferenceOut(Schema):
    kind: str
    label: str
    email: bool = Field(description="The caller gets this kind's emails (unless switched off).")
    switched_off_by_admin: bool = Field(
        description="The admin sends no email of this kind to anyone; the bell still shows it."
    )


class EmailPreferencesIn(Schema):
    emails: dict[text(40), bool] = Field(
        description="Kind → whether to get its emails. Kinds not sent keep their choice."
    )


class PlaceholderOut(Schema):
    name: str
    description: str


class NotificationSettingOut(Schema):
    kind: str
    label: str
    email_enabled: bool
    placeholders: list[PlaceholderOut]
    subject_es: str = Field(description="The Spanish subject in use (the default if not set).")
    body_es: str
    subject_en: str
    body_en: str
    customised: list[str] = Field(description="The texts the admin changed from the default.")
    version: int


class NotificationSettingIn(Schema):
    """Only the fields sent change. A blank or default text means the kind's default."""

    email_enabled: bool | None = None
    subject_es: text(SUBJECT_MAX) | None = None
    body_es: text(BODY_MAX) | None = None
    subject_en: text(SUBJECT_MAX) | None = None
    body_en: text(BODY_MAX) | None = None
