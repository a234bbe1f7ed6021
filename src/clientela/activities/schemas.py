"""Schemas of the activities API."""

from datetime import date, datetime

from ninja import Field, Schema

from clientela.contacts.schemas import UserRef
from clientela.core.api import MAX_ID
from clientela.core.api import text as bounded_text

from .rendering import render_markdown
from .services import MAX_TEXT

CategoryId = Field(None, ge=1, le=MAX_ID, description="A history event category id.")


class CategoryOut(Schema):
    id: int
    name: str
    icon: str
    position: int


class FileOut(Schema):
    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    note_id: int | None
    uploaded_by: UserRef | None
    created_at: datetime
    download_url: str

    @staticmethod
    def resolve_download_url(attachment) -> str:
        return f"/api/v1/files/{attachment.pk}/download"


class NoteOut(Schema):
    id: int
    text: str
    html: str = Field(description="The text rendered from Markdown and sanitised.")
    category: CategoryOut | None
    follow_up: date | None
    author: UserRef | None
    created_at: datetime
    updated_at: datetime
    version: int
    files: list[FileOut]

    @staticmethod
    def resolve_html(note) -> str:
        return str(render_markdown(note.text))

    @staticmethod
    def resolve_files(note):
        return list(note.attachments.all())


class NoteIn(Schema):
    text: bounded_text(MAX_TEXT, 1)
    category: int | None = CategoryId
    follow_up: date | None = Field(None, description="A reminder for the author that morning.")


class NotePatch(Schema):
    text: bounded_text(MAX_TEXT, 1) | None = None
    category: int | None = CategoryId
    follow_up: date | None = None


class CommentOut(Schema):
    id: int
    text: str
    html: str
    author: UserRef | None
    mentioned: list[UserRef]
    created_at: datetime

    @staticmethod
    def resolve_html(comment) -> str:
        return str(render_markdown(comment.text))

    @staticmethod
    def resolve_mentioned(comment):
        return list(comment.mentioned.all())


class CommentIn(Schema):
    text: bounded_text(MAX_TEXT, 1) = Field(
        ...,
        description="Markdown. Mention with `@[Full Name](user:ID)` or `@email`; only users "
        "who can see the record may be mentioned (400 otherwise, naming them).",
    )


class ChangeOut(Schema):
    field: str
    before: object = None
    after: object = None


class TimelineItemOut(Schema):
    at: datetime
    kind: str
    kind_label: str
    icon: str
    text: str
    actor: UserRef | None
    category: CategoryOut | None
    params: dict
    source_type: str | None = Field(description="note, comment, attachment, task…")
    source_id: int | None
    changes: list[ChangeOut]

    @staticmethod
    def resolve_source_type(item) -> str | None:
        if item.entry is None or item.entry.source_type_id is None:
            return None
        from django.contrib.contenttypes.models import ContentType

        return ContentType.objects.get_for_id(item.entry.source_type_id).model

    @staticmethod
    def resolve_source_id(item) -> int | None:
        return item.entry.source_id if item.entry is not None else None

    @staticmethod
    def resolve_changes(item):
        return [{"field": f, "before": b, "after": a} for f, b, a in item.changes]
