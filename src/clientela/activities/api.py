"""The activities API: notes, comments, files and the timeline of any activity target
(`target_type` is the model name: contact, opportunity…). Everything follows the target's
access: a target the caller cannot see answers 404 for its notes, comments, files and
timeline, exactly like a missing one."""

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile

from clientela.core.api import (
    MAX_ID,
    PageOut,
    PageParams,
    error_responses,
    if_match_version,
    page_out,
    set_etag,
)
from clientela.core.pagination import paginate

from . import queries, services
from .models import Attachment, Comment, Note
from .schemas import (
    CategoryOut,
    CommentIn,
    CommentOut,
    FileOut,
    NoteIn,
    NoteOut,
    NotePatch,
    TimelineItemOut,
)
from .targets import find_target
from .timeline import MAX_LIMIT, MAX_OFFSET, timeline_page
from .views import download_response

router = Router(tags=["activities"])

TargetType = Path(..., pattern=r"^[a-z_]{1,50}$", description="contact, opportunity…")
TargetId = Path(..., ge=1, le=MAX_ID, description="The record's id.")
ItemId = Path(..., ge=1, le=MAX_ID)


class TimelineParams(Schema):
    category: int | None = Field(None, ge=1, le=MAX_ID, description="History event category.")
    kind: str | None = Field(
        None, max_length=40, pattern=r"^[a-z_]+$", description="note, comment, change, …"
    )
    limit: int = Field(25, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get(
    "/timeline/{target_type}/{target_id}",
    response={200: PageOut[TimelineItemOut], **error_responses(404)},
    summary="A record's timeline, newest first",
)
def timeline(
    request: HttpRequest,
    params: Query[TimelineParams],
    target_type: str = TargetType,
    target_id: int = TargetId,
) -> dict:
    """Notes, comments, files, other apps' events (tasks, stage changes…) and the change log.
    `count` is known on the last page only."""
    record = find_target(request.user, target_type, target_id)
    page = timeline_page(
        record,
        category=params.category,
        kind=params.kind,
        offset=params.offset,
        limit=params.limit,
        with_sources=False,
        reader=request.user,
    )
    return page_out(page)


@router.get(
    "/timeline-categories",
    response={200: list[CategoryOut], **error_responses()},
    summary="History event categories",
)
def timeline_categories(request: HttpRequest):
    """Admins edit them under Settings (admin lists: history-categories)."""
    return list(queries.categories())


# --- notes -------------------------------------------------------------------------------


@router.get(
    "/notes/{target_type}/{target_id}",
    response={200: PageOut[NoteOut], **error_responses(404)},
    summary="A record's notes",
)
def list_notes(
    request: HttpRequest,
    page: Query[PageParams],
    target_type: str = TargetType,
    target_id: int = TargetId,
) -> dict:
    record = find_target(request.user, target_type, target_id)
    return page_out(paginate(queries.notes_of(record), page.offset, page.limit, page.count))


@router.post(
    "/notes/{target_type}/{target_id}",
    response={201: NoteOut, **error_responses(400, 404)},
    summary="Add a note to a record",
)
def create_note(
    request: HttpRequest,
    response: HttpResponse,
    payload: NoteIn,
    target_type: str = TargetType,
    target_id: int = TargetId,
):
    """Anyone who may see the record may add notes. Files: `POST /files/{type}/{id}` with
    `note`."""
    record = find_target(request.user, target_type, target_id)
    note = services.add_note(request.user, record, payload.dict())
    set_etag(response, note.version)
    return Status(201, note)


def _note(request, note_id):
    return queries.activity_for(request.user, Note, note_id)


@router.get(
    "/notes/{note_id}",
    response={200: NoteOut, **error_responses(404)},
    summary="A note",
)
def read_note(request: HttpRequest, response: HttpResponse, note_id: int = ItemId):
    note, _record = _note(request, note_id)
    set_etag(response, note.version)
    return note


@router.patch(
    "/notes/{note_id}",
    response={200: NoteOut, **error_responses(400, 404, 409, 412)},
    summary="Change a note",
)
def update_note(
    request: HttpRequest, response: HttpResponse, payload: NotePatch, note_id: int = ItemId
):
    """Its author or whoever may change the record. Send `If-Match` with the ETag."""
    note, record = _note(request, note_id)
    data = {"text": note.text, "category": note.category_id, "follow_up": note.follow_up}
    data.update(payload.dict(exclude_unset=True))
    note = services.update_note(request.user, note, record, data, if_match_version(request))
    set_etag(response, note.version)
    return note


@router.delete(
    "/notes/{note_id}",
    response={204: None, **error_responses(404)},
    summary="Delete a note and its files",
)
def delete_note(request: HttpRequest, note_id: int = ItemId):
    note, record = _note(request, note_id)
    services.delete_note(request.user, note, record)
    return Status(204, None)


# --- comments ----------------------------------------------------------------------------


@router.get(
    "/comments/{target_type}/{target_id}",
    response={200: PageOut[CommentOut], **error_responses(404)},
    summary="A record's comments",
)
def list_comments(
    request: HttpRequest,
    page: Query[PageParams],
    target_type: str = TargetType,
    target_id: int = TargetId,
) -> dict:
    record = find_target(request.user, target_type, target_id)
    comments = queries.comments_of(record).prefetch_related("mentioned")
    return page_out(paginate(comments, page.offset, page.limit, page.count))


@router.post(
    "/comments/{target_type}/{target_id}",
    response={201: CommentOut, **error_responses(400, 404)},
    summary="Comment on a record",
)
def create_comment(
    request: HttpRequest,
    payload: CommentIn,
    target_type: str = TargetType,
    target_id: int = TargetId,
):
    record = find_target(request.user, target_type, target_id)
    return Status(201, services.add_comment(request.user, record, payload.dict()))


@router.delete(
    "/comments/{comment_id}",
    response={204: None, **error_responses(404)},
    summary="Delete a comment",
)
def delete_comment(request: HttpRequest, comment_id: int = ItemId):
    comment, record = queries.activity_for(request.user, Comment, comment_id)
    services.delete_comment(request.user, comment, record)
    return Status(204, None)


# --- files -------------------------------------------------------------------------------


# Before the record's file list: both paths have two segments after /files/.
@router.get(
    "/files/{file_id}/download",
    response={200: None, **error_responses(404)},
    summary="Download a file",
)
def download_file(request: HttpRequest, file_id: int = ItemId):
    """The file's bytes, as an attachment (`Content-Disposition: attachment`)."""
    attachment, _record = queries.activity_for(request.user, Attachment, file_id)
    return download_response(attachment)


@router.get(
    "/files/{target_type}/{target_id}",
    response={200: PageOut[FileOut], **error_responses(404)},
    summary="A record's files",
)
def list_files(
    request: HttpRequest,
    page: Query[PageParams],
    target_type: str = TargetType,
    target_id: int = TargetId,
) -> dict:
    record = find_target(request.user, target_type, target_id)
    return page_out(paginate(queries.files_of(record), page.offset, page.limit, page.count))


@router.post(
    "/files/{target_type}/{target_id}",
    response={201: FileOut, **error_responses(400, 404)},
    summary="Attach a file to a record",
)
def upload_file(
    request: HttpRequest,
    file: File[UploadedFile],
    note: Form[int | None] = None,
    target_type: str = TargetType,
    target_id: int = TargetId,
):
    """Multipart upload in the `file` field; optionally `note` (a note of the same record).
    The type is read from the content: PDF, PNG, JPEG, WebP, GIF, text, CSV, Word, Excel,
    PowerPoint, OpenDocument or ZIP, up to the configured size."""
    record = find_target(request.user, target_type, target_id)
    parent = None
    if note is not None:
        parent = Note.objects.of(record).filter(pk=note).first()
        if parent is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"note": "No such note on this record."})
    return Status(201, services.attach_file(request.user, record, file, parent))


@router.get(
    "/files/{file_id}",
    response={200: FileOut, **error_responses(404)},
    summary="A file's details",
)
def read_file(request: HttpRequest, file_id: int = ItemId):
    attachment, _record = queries.activity_for(request.user, Attachment, file_id)
    return attachment


@router.delete(
    "/files/{file_id}",
    response={204: None, **error_responses(404)},
    summary="Delete a file",
)
def delete_file(request: HttpRequest, file_id: int = ItemId):
    attachment, record = queries.activity_for(request.user, Attachment, file_id)
    services.delete_file(request.user, attachment, record)
    return Status(204, None)
