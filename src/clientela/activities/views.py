"""Pages of notes, comments and files, and the Timeline and Files tabs of every activity
target. Thin: the record is found through the access point (404 when hidden), forms parse,
services write; a write goes back to the record's tab."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.signals import post_delete
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clientela.core.access import Action, can
from clientela.core.errors import ConflictError, validation_messages
from clientela.core.pagination import paginate
from clientela.core.record_tabs import RecordTab, register_record_tab

from . import files as stored_files
from . import queries, services
from .forms import CommentForm, FileForm, NoteForm
from .models import Attachment, Comment, Note
from .targets import ACTIVITY_TARGETS, find_target, target_type
from .timeline import TIMELINE_KINDS, register_timeline_source, timeline_page

TIMELINE_PAGE = 20
FILES_PAGE = 25


def _int(value, default=None):
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _tab_url(record, tab: str) -> str:
    return f"{record.get_absolute_url()}?tab={tab}"


def _show_errors(form, error: ValidationError):
    for key, texts in validation_messages(error).items():
        for text in texts:
            form.add_error(key if key in form.fields else None, text)


# --- the tabs ----------------------------------------------------------------------------


def _can_change_record(request, record) -> bool:
    """Whether the user may change `record`: a record page that loaded it with the answer
    (`viewer_can_change`, e.g. `contacts.queries.contact_page`) saves the query."""
    known = getattr(record, "viewer_can_change", None)
    return known if known is not None else can(request.user, Action.CHANGE, record)


def timeline_context(request, record) -> dict:
    category = _int(request.GET.get("category"))
    kind = request.GET.get("kind") or None
    if kind not in TIMELINE_KINDS:
        kind = None
    page = timeline_page(
        record,
        category=category,
        kind=kind,
        offset=_int(request.GET.get("offset"), 0),
        limit=TIMELINE_PAGE,
        reader=request.user,
    )
    categories = list(queries.categories())
    return {
        "timeline": page,
        "timeline_categories": categories,
        "timeline_category": category,
        "timeline_kind": kind,
        "timeline_base": "?"
        + urlencode(
            {
                "tab": "timeline",
                **({"category": category} if category else {}),
                **({"kind": kind} if kind else {}),
            }
        ),
        "activity_record": record,
        "timeline_target": target_type(record),
        "can_change_record": _can_change_record(request, record),
        "note_form": NoteForm(categories=categories),
        "comment_form": CommentForm(auto_id="comment_%s"),
    }


def files_context(request, record) -> dict:
    page = paginate(
        queries.files_of(record), _int(request.GET.get("offset"), 0), FILES_PAGE, with_count=False
    )
    return {
        "files_page": page,
        "activity_record": record,
        "files_target": target_type(record),
        "can_change_record": _can_change_record(request, record),
        "file_form": FileForm(),
        "max_file_mb": f"{settings.ATTACHMENT_MAX_BYTES / 1024 / 1024:g}",
    }


TIMELINE_TAB = RecordTab(
    "timeline",
    gettext_lazy("Timeline"),
    "activities/tabs/timeline.html",
    "journal-text",
    timeline_context,
)
FILES_TAB = RecordTab(
    "files", gettext_lazy("Files"), "activities/tabs/files.html", "paperclip", files_context
)


def _purge(sender, instance, **kwargs):
    services.purge_activities(instance)


def connect_targets():
    """Give every registered target its tabs, and clean its activities up when it is deleted."""
    for model in ACTIVITY_TARGETS.values():
        register_record_tab(model, TIMELINE_TAB)
        register_record_tab(model, FILES_TAB)
        post_delete.connect(_purge, sender=model, dispatch_uid=f"activities-purge-{model}")
    register_timeline_source(Note, queries.load_notes)
    register_timeline_source(Comment, queries.load_comments)
    register_timeline_source(Attachment, queries.load_files)


# --- notes -------------------------------------------------------------------------------


def _note_page(request, form, record, note=None, status=200):
    return render(
        request,
        "activities/note_form.html",
        {"form": form, "record": record, "note": note, "target": target_type(record)},
        status=status,
    )


@login_required
def note_create(request, target, pk):
    record = find_target(request.user, target, pk)
    if request.method != "POST":
        return _note_page(request, NoteForm(), record)
    form = NoteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_note(request.user, record, form.service_data(), form.cleaned_data["files"])
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("The note was added."))
            return redirect(_tab_url(record, "timeline"))
    return _note_page(request, form, record, status=400)


@login_required
def note_edit(request, pk):
    note, record = queries.activity_for(request.user, Note, pk)
    if not services.can_edit_note(request.user, note, record):
        raise PermissionDenied(_("Only its author or whoever may change the record may edit it."))
    if request.method != "POST":
        form = NoteForm(
            initial={
                "text": note.text,
                "category": note.category_id,
                "follow_up": note.follow_up,
                "version": note.version,
            }
        )
        return _note_page(request, form, record, note)
    form = NoteForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            services.update_note(
                request.user,
                note,
                record,
                form.service_data(),
                form.cleaned_data.get("version"),
                form.cleaned_data["files"],
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        else:
            messages.success(request, _("The note was saved."))
            return redirect(_tab_url(record, "timeline"))
    return _note_page(request, form, record, note, status=status)


def _confirm_delete(request, record, title: str, text: str, delete, done: str, tab="timeline"):
    if request.method == "POST":
        delete()
        messages.success(request, done)
        return redirect(_tab_url(record, tab))
    return render(
        request,
        "activities/delete.html",
        {"record": record, "title": title, "text": text, "back": _tab_url(record, tab)},
    )


@login_required
def note_delete(request, pk):
    note, record = queries.activity_for(request.user, Note, pk)
    if not services.can_edit_note(request.user, note, record):
        raise PermissionDenied
    return _confirm_delete(
        request,
        record,
        _("Delete this note?"),
        note.text,
        lambda: services.delete_note(request.user, note, record),
        _("The note was deleted."),
    )


# --- comments ----------------------------------------------------------------------------


@login_required
def comment_create(request, target, pk):
    record = find_target(request.user, target, pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_comment(request.user, record, {"text": form.cleaned_data["text"]})
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("The comment was added."))
            return redirect(_tab_url(record, "timeline"))
    return render(
        request,
        "activities/comment_form.html",
        {"form": form, "record": record, "target": target_type(record)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def comment_delete(request, pk):
    comment, record = queries.activity_for(request.user, Comment, pk)
    if not services.can_delete_comment(request.user, comment, record):
        raise PermissionDenied
    return _confirm_delete(
        request,
        record,
        _("Delete this comment?"),
        comment.text,
        lambda: services.delete_comment(request.user, comment, record),
        _("The comment was deleted."),
    )


@login_required
@require_GET
def mention_options(request, target, pk):
    """Users who can see the record, matching what was typed after @ (for the comment box)."""
    record = find_target(request.user, target, pk)
    users = queries.mentionable_users(request.user, record, request.GET.get("q", "")[:60])
    return render(request, "activities/_mention_options.html", {"users": users})


# --- files -------------------------------------------------------------------------------


@login_required
def file_upload(request, target, pk):
    record = find_target(request.user, target, pk)
    form = FileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attach_file(request.user, record, form.cleaned_data["file"])
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("The file was attached."))
            return redirect(_tab_url(record, "files"))
    return render(
        request,
        "activities/file_form.html",
        {"form": form, "record": record, "target": target_type(record)},
        status=400 if request.method == "POST" else 200,
    )


def download_response(attachment: Attachment) -> FileResponse:
    """The stored file as a download, never shown inline nor sniffed into something else."""
    try:
        handle = stored_files.open_stored(attachment.stored_name)
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.media_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def file_download(request, pk):
    attachment, _record = queries.activity_for(request.user, Attachment, pk)
    return download_response(attachment)


@login_required
def file_delete(request, pk):
    attachment, record = queries.activity_for(request.user, Attachment, pk)
    if not services.can_delete_file(request.user, attachment, record):
        raise PermissionDenied
    return _confirm_delete(
        request,
        record,
        _("Delete this file?"),
        attachment.name,
        lambda: services.delete_file(request.user, attachment, record),
        _("The file was deleted."),
        tab="files",
    )
