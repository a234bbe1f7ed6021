"""Notes, comments and files through the services: real outcomes, permissions, mentions."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from clientela.activities import services
from clientela.activities.files import storage
from clientela.activities.models import Attachment, Comment, HistoryCategory, Note, TimelineEntry
from clientela.activities.timeline import timeline_page
from clientela.contacts import services as contact_services
from clientela.core.access import AccessLevel
from clientela.core.errors import ConflictError
from clientela.mail.models import Notification, ScheduledReminder
from clientela.mail.reminders import pending_reminders

from . import samples

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def contact(user, make_contact):
    return make_contact(user)


def test_add_note_writes_the_note_its_files_and_a_timeline_entry(user, contact):
    call = HistoryCategory.objects.get(icon="telephone")
    note = services.add_note(
        user,
        contact,
        {"text": "Called **her**", "category": call.pk},
        [samples.upload("offer.pdf", samples.PDF)],
    )
    assert note.author == user and note.category == call
    attachment = note.attachments.get()
    assert attachment.name == "offer.pdf" and attachment.media_type == "application/pdf"
    assert storage().exists(attachment.stored_name)
    assert "offer" not in attachment.stored_name
    item = timeline_page(contact, category=call.pk).items[0]
    assert item.kind == "note" and item.source == note and item.icon == "telephone"


def test_bad_note_input_names_every_field_and_writes_nothing(user, contact):
    with pytest.raises(ValidationError) as caught:
        services.add_note(
            user,
            contact,
            {"text": "  ", "category": 999999, "follow_up": "31/02/2024"},
            [samples.upload("x.exe", b"MZ\x90\x00")],
        )
    assert set(caught.value.message_dict) == {"text", "category", "follow_up", "files"}
    assert not Note.objects.exists() and not Attachment.objects.exists()
    assert not list(storage().listdir("")[1]) if storage().exists("") else True


def test_follow_up_schedules_a_reminder_for_the_author_and_moves_with_the_note(user, contact):
    note = services.add_note(user, contact, {"text": "Call back", "follow_up": "2030-05-04"})
    (reminder,) = pending_reminders(note)
    assert reminder.recipient_id == user.pk and reminder.kind == "note_follow_up"
    assert reminder.fire_at.date() == datetime.date(2030, 5, 4)
    services.update_note(user, note, contact, {"text": "Call back", "follow_up": "2030-06-01"})
    (reminder,) = pending_reminders(note)
    assert reminder.fire_at.date() == datetime.date(2030, 6, 1)
    services.update_note(user, note, contact, {"text": "Done", "follow_up": None})
    assert not pending_reminders(note).exists()


def test_update_note_with_a_stale_version_is_refused(user, contact):
    note = services.add_note(user, contact, {"text": "one"})
    services.update_note(user, note, contact, {"text": "two"}, expected_version=1)
    stale = Note.objects.get(pk=note.pk)
    stale.version = 1
    with pytest.raises(ConflictError):
        services.update_note(user, stale, contact, {"text": "three"}, expected_version=1)
    assert Note.objects.get(pk=note.pk).text == "two"


def test_delete_note_removes_files_entry_and_reminder(
    user, contact, django_capture_on_commit_callbacks
):
    note = services.add_note(
        user,
        contact,
        {"text": "x", "follow_up": "2030-01-01"},
        [samples.upload("a.txt", b"hello")],
    )
    stored = note.attachments.get().stored_name
    note_pk = note.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_note(user, note, contact)
    assert not Note.objects.exists() and not Attachment.objects.exists()
    assert not TimelineEntry.objects.filter(kind="note").exists()
    assert not ScheduledReminder.objects.filter(target_id=note_pk, fired_at__isnull=True).exists()
    assert not storage().exists(stored)


def test_who_may_edit_a_note(make_user, make_contact):
    """VIEW is enough to add; editing is for the author or whoever may change the record."""
    manager, reader, writer = make_user(), make_user(), make_user()
    record = make_contact(manager, access=AccessLevel.PUBLIC_READ)
    note = services.add_note(reader, record, {"text": "from a reader"})
    services.update_note(reader, note, record, {"text": "mine"})
    services.update_note(manager, note, record, {"text": "manager may"})
    own = services.add_note(manager, record, {"text": "manager's"})
    with pytest.raises(PermissionDenied):
        services.update_note(writer, own, record, {"text": "not mine"})
    with pytest.raises(PermissionDenied):
        services.delete_note(writer, own, record)
    assert Note.objects.get(pk=own.pk).text == "manager's"


def test_a_hidden_record_cannot_be_annotated(make_user, make_contact):
    owner, stranger = make_user(), make_user()
    private = make_contact(owner)
    with pytest.raises(PermissionDenied):
        services.add_note(stranger, private, {"text": "x"})
    with pytest.raises(PermissionDenied):
        services.add_comment(stranger, private, {"text": "x"})
    with pytest.raises(PermissionDenied):
        services.attach_file(stranger, private, samples.upload("a.txt", b"x"))
    assert not Note.objects.exists() and not Comment.objects.exists()


def test_mentions_notify_those_who_can_see_the_record(user, other_user, make_contact):
    record = make_contact(user, shared_user_ids=[other_user.pk])
    comment = services.add_comment(
        user, record, {"text": f"@[Bruno Pérez](user:{other_user.pk}) please call"}
    )
    assert list(comment.mentioned.all()) == [other_user]
    notification = Notification.objects.get(recipient=other_user, kind="mention")
    assert notification.kind == "mention"
    with translation.override("en"):
        assert notification.text == f"Ana García mentioned you on {record}"
    assert notification.url == f"{record.get_absolute_url()}?tab=timeline"


def test_mention_by_email_works_too(user, other_user, make_contact):
    record = make_contact(user, access=AccessLevel.PUBLIC_READ)
    services.add_comment(user, record, {"text": "ping @bruno@example.com thanks"})
    assert Notification.objects.filter(recipient=other_user, kind="mention").exists()


def test_mentioning_someone_who_cannot_see_the_record_is_refused(user, other_user, make_contact):
    record = make_contact(user)  # private: Bruno cannot see it
    with pytest.raises(ValidationError) as caught:
        services.add_comment(user, record, {"text": f"@[B](user:{other_user.pk}) hi"})
    assert "Bruno Pérez cannot see this record" in caught.value.message_dict["text"][0]
    assert not Comment.objects.exists()
    assert not Notification.objects.filter(kind="mention").exists()


def test_a_mention_of_no_such_user_is_refused(user, contact):
    with pytest.raises(ValidationError):
        services.add_comment(user, contact, {"text": "@[Ghost](user:999999) boo"})


def test_comments_reach_the_timeline_and_their_author_may_delete_them(
    user, other_user, make_contact
):
    record = make_contact(user, access=AccessLevel.PUBLIC_READ)
    comment = services.add_comment(other_user, record, {"text": "Looks good"})
    assert timeline_page(record, kind="comment").items[0].source == comment
    services.delete_comment(other_user, comment, record)
    assert not Comment.objects.exists()
    assert not timeline_page(record, kind="comment").items


def test_files_attach_and_delete(
    user, other_user, make_contact, django_capture_on_commit_callbacks
):
    record = make_contact(user, access=AccessLevel.PUBLIC_READ)
    attachment = services.attach_file(other_user, record, samples.upload("p.png", samples.png()))
    assert attachment.media_type == "image/png" and attachment.size > 0
    assert timeline_page(record, kind="file").items[0].text == "Bruno Pérez attached p.png"
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_file(user, attachment, record)
    assert not storage().exists(attachment.stored_name)


def test_a_refused_file_leaves_nothing_behind(user, contact, settings):
    with pytest.raises(ValidationError) as caught:
        services.attach_file(user, contact, samples.upload("a.html", b"<html><script>"))
    assert "file" in caught.value.message_dict
    settings.ATTACHMENT_MAX_BYTES = 3
    with pytest.raises(ValidationError):
        services.attach_file(user, contact, samples.upload("a.txt", b"too long"))
    assert not Attachment.objects.exists()


def test_deleting_the_record_removes_its_activities(
    admin_user, make_contact, django_capture_on_commit_callbacks
):
    record = make_contact(admin_user)
    note = services.add_note(admin_user, record, {"text": "x"}, [samples.upload("a.txt", b"x")])
    services.add_comment(admin_user, record, {"text": "y"})
    stored = note.attachments.get().stored_name
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.delete_contact(admin_user, record)
    assert not Note.objects.exists() and not Comment.objects.exists()
    assert not Attachment.objects.exists() and not TimelineEntry.objects.exists()
    assert not storage().exists(stored)


def test_a_new_follow_up_in_the_past_is_refused_but_a_note_keeps_the_one_it_has(user, contact):
    past = "2001-01-01"
    with pytest.raises(ValidationError) as caught:
        services.add_note(user, contact, {"text": "Late", "follow_up": past})
    assert set(caught.value.message_dict) == {"follow_up"}
    assert not Note.objects.filter(text="Late").exists()
    note = services.add_note(user, contact, {"text": "Soon", "follow_up": "2030-05-04"})
    Note.objects.filter(pk=note.pk).update(follow_up=datetime.date(2001, 1, 1))
    note.refresh_from_db()
    edited = services.update_note(user, note, contact, {"text": "Soon, edited", "follow_up": past})
    assert edited.text == "Soon, edited" and str(edited.follow_up) == past
