"""Reads of activities, always behind the access check of the record they belong to."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q
from django.http import Http404

from clientela.core.access import Action, can, is_crm_user

from .models import Attachment, Comment, HistoryCategory, Note
from .targets import ACTIVITY_TARGETS, find_target, target_type


def record_of(activity, user, action=Action.VIEW):
    """The record `activity` belongs to, if `user` may perform `action` on it; else Http404."""
    model = ContentType.objects.get_for_id(activity.target_type_id).model_class()
    if model is None or ACTIVITY_TARGETS.get(target_type(model)) is not model:
        raise Http404
    return find_target(user, target_type(model), activity.target_id, action)


def activity_for(user, model, pk):
    """(activity, its record) when the activity exists and `user` sees its record; else 404.

    An activity of a hidden record answers exactly like a missing one."""
    try:
        activity = model.objects.get(pk=int(pk))
    except (model.DoesNotExist, TypeError, ValueError, OverflowError) as exc:
        raise Http404 from exc
    return activity, record_of(activity, user)


def notes_of(record):
    return (
        Note.objects.of(record)
        .select_related("author", "category")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by"))
        )
        .order_by("-created_at", "-id")
    )


def comments_of(record):
    return Comment.objects.of(record).select_related("author").order_by("-created_at", "-id")


def files_of(record):
    return (
        Attachment.objects.of(record)
        .select_related("uploaded_by", "note")
        .order_by("-created_at", "-id")
    )


def categories():
    return HistoryCategory.objects.order_by("position", "name")


# Timeline sources (`timeline.register_timeline_source`): only what a timeline entry shows,
# one query per source model on a page (plus the notes' files). Whole rows would bring the
# authors' user rows, password hashes included, for nothing.
def load_notes(ids) -> dict:
    notes = (
        Note.objects.filter(pk__in=ids)
        .only("id", "text", "follow_up", "author_id")
        .prefetch_related(
            Prefetch(
                "attachments", queryset=Attachment.objects.only("id", "note_id", "name", "size")
            )
        )
    )
    return {note.pk: note for note in notes}


def load_comments(ids) -> dict:
    comments = Comment.objects.filter(pk__in=ids).only("id", "text", "author_id")
    return {comment.pk: comment for comment in comments}


def load_files(ids) -> dict:
    return {f.pk: f for f in Attachment.objects.filter(pk__in=ids).only("id", "name")}


MENTION_CHOICES = 10


def mentionable_users(user, record, typed: str = "") -> list:
    """Active users matching `typed` who may see `record`: whom `user` can mention there."""
    if not is_crm_user(user):
        return []
    users = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name")
    for word in typed.split()[:3]:
        users = users.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    found = []
    for candidate in users[: MENTION_CHOICES * 5]:
        if can(candidate, Action.VIEW, record):
            found.append(candidate)
            if len(found) == MENTION_CHOICES:
                break
    return found
