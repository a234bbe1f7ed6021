"""Every write of the activities app: notes, comments with mentions, files.

Who may do what (the CRM habit: whoever sees a record may add to its history):
- add a note, a comment or a file: anyone who may **see** the record (VIEW), so a public
  read-only contact can be annotated and discussed by everyone who reads it, without being
  editable by them;
- edit or delete a note, delete a comment or a file: its author/uploader (while they still see
  the record), or anyone who may **change** the record;
- mention: only users who may see the record. Mentioning anyone else is refused with an error
  naming them (nothing is written), because a notification would tell them the record exists
  and link to a page they would get a 404 for.

Activities of a record the actor cannot see do not exist for them (Http404 from the queries);
`PermissionDenied` is for a record they see but may not change that way."""

import re
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.access import Action, can, is_crm_user
from clientela.core.changelog import record_change, snapshot
from clientela.core.versioning import bump_version

from . import files as stored_files
from .kinds import COMMENT_ADDED, FILE_ADDED, MENTION, NOTE_ADDED, NOTE_FOLLOW_UP
from .models import Attachment, Comment, HistoryCategory, Note, TimelineEntry
from .rendering import MENTION_TOKEN, plain_excerpt
from .timeline import record_event, remove_events, update_events

MAX_TEXT = 20_000
MAX_MENTIONS = 20
MAX_FILES_PER_NOTE = 10
# What hour of the follow-up day the reminder fires, in the server's time zone.
FOLLOW_UP_HOUR = time(9, 0)
# `@someone@example.com` (not part of a longer word or address).
MENTION_EMAIL = re.compile(r"(?<![\w@.])@(?P<email>[\w.%+-]+@[\w-]+(?:\.[\w-]+)+)")


def _require_user(actor):
    if not is_crm_user(actor):
        raise PermissionDenied


def _require_view(actor, record):
    _require_user(actor)
    if not can(actor, Action.VIEW, record):
        raise PermissionDenied


def _own_or_change(actor, author_id, record) -> bool:
    if not is_crm_user(actor):
        return False
    if author_id == actor.pk and can(actor, Action.VIEW, record):
        return True
    return can(actor, Action.CHANGE, record)


def can_edit_note(user, note: Note, record) -> bool:
    return _own_or_change(user, note.author_id, record)


def can_delete_comment(user, comment: Comment, record) -> bool:
    return _own_or_change(user, comment.author_id, record)


def can_delete_file(user, attachment: Attachment, record) -> bool:
    return _own_or_change(user, attachment.uploaded_by_id, record)


def _target_fields(record) -> dict:
    return {"target_type": ContentType.objects.get_for_model(record), "target_id": record.pk}


def _clean_text(data: dict, errors: dict, required=True) -> str:
    text = data.get("text")
    text = "" if text is None else str(text)
    text = text.replace("\r\n", "\n").strip()
    if "\x00" in text:
        errors["text"] = _("Contains characters that are not allowed.")
    elif required and not text:
        errors["text"] = _("Write something.")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("At most %(max)d characters.") % {"max": MAX_TEXT}
    return text


def _clean_category(data: dict, errors: dict) -> HistoryCategory | None:
    value = data.get("category")
    if value in (None, ""):
        return None
    if isinstance(value, HistoryCategory):
        return value
    try:
        return HistoryCategory.objects.get(pk=int(value))
    except (HistoryCategory.DoesNotExist, TypeError, ValueError, OverflowError):
        errors["category"] = _("Choose one of the categories.")
        return None


def _clean_follow_up(data: dict, errors: dict, current=None):
    """The follow-up date, if any. A new one must not be in the past (its reminder could never
    come on time); a note keeps the one it already has even once that day has gone."""
    value = data.get("follow_up")
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            errors["follow_up"] = _("Enter a valid date.")
            return None
    if not hasattr(value, "year") or not 1900 <= value.year <= 9999:
        errors["follow_up"] = _("Enter a valid date.")
        return None
    if value != current and value < timezone.localdate():
        errors["follow_up"] = _("The follow-up date is in the past.")
        return None
    return value


def _record_url(record, tab="timeline") -> str:
    url = record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
    return f"{url}?tab={tab}" if url else ""


def _schedule_follow_up(note: Note, record):
    from clientela.mail.reminders import cancel_reminders, schedule_reminder

    if note.follow_up is None or note.author is None:
        cancel_reminders(note, NOTE_FOLLOW_UP.key)
        return
    at = timezone.make_aware(datetime.combine(note.follow_up, FOLLOW_UP_HOUR))
    schedule_reminder(
        note,
        note.author,
        at,
        NOTE_FOLLOW_UP.key,
        {"name": str(record), "note": plain_excerpt(note.text)},
        _record_url(record),
    )


def _check_uploads(uploads, errors: dict, key="files") -> list:
    checked = []
    uploads = [u for u in uploads or [] if u]
    if len(uploads) > MAX_FILES_PER_NOTE:
        errors[key] = _("At most %(max)d files at once.") % {"max": MAX_FILES_PER_NOTE}
        return []
    for upload in uploads:
        try:
            checked.append((upload, *stored_files.check_upload(upload)))
        except ValidationError as exc:
            name = stored_files.clean_file_name(getattr(upload, "name", ""))
            for message in exc.message_dict.get("file", exc.messages):
                errors.setdefault(key, [])
                errors[key].append(f"{name}: {message}")
    return checked


def _store_all(checked) -> list:
    """Write the checked uploads to disk; they are removed again if the transaction fails."""
    return [stored_files.store(upload, name, ftype, size) for upload, name, ftype, size in checked]


def _attachment_rows(actor, record, stored, note=None) -> list[Attachment]:
    rows = []
    for item in stored:
        attachment = Attachment.objects.create(
            **_target_fields(record),
            note=note,
            name=item.name,
            stored_name=item.stored_name,
            media_type=item.file_type.media_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_by=actor,
        )
        record_change(actor, attachment, "create", None, snapshot(attachment))
        rows.append(attachment)
    return rows


def _written_or_removed(stored, write):
    """Run `write` atomically; if it fails, the files stored for it are deleted again."""
    try:
        with transaction.atomic():
            return write()
    except BaseException:
        for item in stored:
            stored_files.delete_stored(item.stored_name)
        raise


# --- notes -------------------------------------------------------------------------------


def add_note(actor, record, data: dict, uploads=()) -> Note:
    """A note on `record` (VIEW is enough): `text` (Markdown), `category` (id), `follow_up`
    (date: a reminder for the author that day), and files."""
    _require_view(actor, record)
    errors: dict = {}
    text = _clean_text(data, errors)
    category = _clean_category(data, errors)
    follow_up = _clean_follow_up(data, errors)
    checked = _check_uploads(uploads, errors)
    if errors:
        raise ValidationError(errors)
    stored = _store_all(checked)

    def write():
        note = Note.objects.create(
            **_target_fields(record),
            author=actor,
            text=text,
            category=category,
            follow_up=follow_up,
        )
        _attachment_rows(actor, record, stored, note)
        record_change(actor, note, "create", None, snapshot(note))
        record_event(record, NOTE_ADDED.key, actor, {}, category=category, source=note)
        _schedule_follow_up(note, record)
        return note

    return _written_or_removed(stored, write)


def update_note(actor, note: Note, record, data: dict, expected_version=None, uploads=()) -> Note:
    """Change a note's text, category or follow-up date and add files to it."""
    _require_user(actor)
    if not can_edit_note(actor, note, record):
        raise PermissionDenied(_("Only its author or whoever may change the record may edit it."))
    errors: dict = {}
    text = _clean_text(data, errors)
    category = _clean_category(data, errors)
    follow_up = _clean_follow_up(data, errors, current=note.follow_up)
    checked = _check_uploads(uploads, errors)
    if errors:
        raise ValidationError(errors)
    stored = _store_all(checked)

    def write():
        before = snapshot(note)
        note.text, note.category, note.follow_up = text, category, follow_up
        bump_version(note, expected_version, ["text", "category", "follow_up", "updated_at"])
        _attachment_rows(actor, record, stored, note)
        record_change(actor, note, "update", before, snapshot(note))
        update_events(note, category=category)
        _schedule_follow_up(note, record)
        return note

    return _written_or_removed(stored, write)


@transaction.atomic
def delete_note(actor, note: Note, record):
    """Delete a note, its files, its timeline entry and its pending follow-up reminder."""
    from clientela.mail.reminders import cancel_reminders

    _require_user(actor)
    if not can_edit_note(actor, note, record):
        raise PermissionDenied(_("Only its author or whoever may change the record may delete it."))
    for attachment in list(note.attachments.all()):
        _delete_attachment(actor, attachment)
    record_change(actor, note, "delete", snapshot(note), None)
    cancel_reminders(note)
    remove_events(note)
    note.delete()


# --- comments and mentions ---------------------------------------------------------------


def mentioned_users(text: str) -> list:
    """The active users a text mentions: `@[Name](user:ID)` tokens and `@email` words."""
    ids = {int(m.group("id")) for m in MENTION_TOKEN.finditer(text)}
    emails = {m.group("email").lower() for m in MENTION_EMAIL.finditer(text)}
    if not ids and not emails:
        return []
    users = get_user_model().objects.filter(is_active=True)
    found = {u.pk: u for u in users.filter(pk__in=ids)}
    for email in emails:
        for u in users.filter(email__iexact=email):
            found[u.pk] = u
    return sorted(found.values(), key=lambda u: u.pk)


def _clean_mentions(actor, record, text: str, errors: dict) -> list:
    tokens = {int(m.group("id")) for m in MENTION_TOKEN.finditer(text)}
    users = mentioned_users(text)
    missing = tokens - {u.pk for u in users}
    if missing:
        errors["text"] = _("Some mentioned users do not exist or are inactive.")
        return []
    if len(users) > MAX_MENTIONS:
        errors["text"] = _("Mention at most %(max)d people.") % {"max": MAX_MENTIONS}
        return []
    blind = [u for u in users if not can(u, Action.VIEW, record)]
    if blind:
        errors["text"] = _("%(names)s cannot see this record, so they cannot be mentioned.") % {
            "names": ", ".join(u.get_full_name() or u.email for u in blind)
        }
        return []
    return [u for u in users if u.pk != actor.pk]


def add_comment(actor, record, data: dict) -> Comment:
    """A comment on `record` (VIEW is enough). Mentioned users are notified; a mention of
    someone who cannot see the record refuses the whole comment (ValidationError on `text`)."""
    from clientela.mail.services import notify

    _require_view(actor, record)
    errors: dict = {}
    text = _clean_text(data, errors)
    mentioned = _clean_mentions(actor, record, text, errors) if not errors else []
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        comment = Comment.objects.create(**_target_fields(record), author=actor, text=text)
        comment.mentioned.set(mentioned)
        record_change(actor, comment, "create", None, snapshot(comment))
        record_event(record, COMMENT_ADDED.key, actor, {}, source=comment)
        author = actor.get_full_name() or actor.email
        for user in mentioned:
            notify(user, MENTION.key, {"author": author, "name": str(record)}, _record_url(record))
    return comment


@transaction.atomic
def delete_comment(actor, comment: Comment, record):
    _require_user(actor)
    if not can_delete_comment(actor, comment, record):
        raise PermissionDenied(_("Only its author or whoever may change the record may delete it."))
    record_change(actor, comment, "delete", snapshot(comment), None)
    remove_events(comment)
    comment.delete()


# --- files -------------------------------------------------------------------------------


def attach_file(actor, record, upload, note: Note | None = None) -> Attachment:
    """Attach one file to `record` (VIEW is enough; to a note: whoever may edit the note)."""
    _require_view(actor, record)
    if note is not None and not can_edit_note(actor, note, record):
        raise PermissionDenied
    errors: dict = {}
    checked = _check_uploads([upload] if upload else [], errors, key="file")
    if not checked and not errors:
        errors["file"] = _("Choose a file.")
    if errors:
        raise ValidationError(errors)
    stored = _store_all(checked)

    def write():
        attachment = _attachment_rows(actor, record, stored, note)[0]
        if note is None:
            record_event(
                record, FILE_ADDED.key, actor, {"name": attachment.name}, source=attachment
            )
        return attachment

    return _written_or_removed(stored, write)


def _delete_attachment(actor, attachment: Attachment):
    record_change(actor, attachment, "delete", snapshot(attachment), None)
    remove_events(attachment)
    stored_name = attachment.stored_name
    attachment.delete()
    transaction.on_commit(lambda: stored_files.delete_stored(stored_name))


@transaction.atomic
def delete_file(actor, attachment: Attachment, record):
    _require_user(actor)
    if not can_delete_file(actor, attachment, record):
        raise PermissionDenied(
            _("Only whoever uploaded it or may change the record may delete it.")
        )
    _delete_attachment(actor, attachment)


# --- when a record goes ------------------------------------------------------------------


def purge_activities(record):
    """Remove everything attached to a deleted record (connected to its post_delete)."""
    target = {"target_type": ContentType.objects.get_for_model(record), "target_id": record.pk}
    stored = list(Attachment.objects.filter(**target).values_list("stored_name", flat=True))
    Attachment.objects.filter(**target).delete()
    Comment.objects.filter(**target).delete()
    Note.objects.filter(**target).delete()
    TimelineEntry.objects.filter(content_type=target["target_type"], object_id=record.pk).delete()
    for name in stored:
        transaction.on_commit(lambda name=name: stored_files.delete_stored(name))
