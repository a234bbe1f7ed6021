"""The Timeline and Files tabs and the activity pages."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.activities import services
from clientela.activities.models import Attachment, Comment, Note
from clientela.core.access import AccessLevel

from . import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(user, make_contact):
    return make_contact(user)


@pytest.fixture
def ana(client, user):
    client.force_login(user)
    return client


def tab(client, contact, name="timeline", **params):
    return client.get(contact.get_absolute_url(), {"tab": name, **params})


def test_the_tabs_come_before_history(ana, contact):
    html = tab(ana, contact).content.decode()
    assert (
        html.index('id="tab-timeline"')
        < html.index('id="tab-files"')
        < html.index('id="tab-history"')
    )


def test_timeline_shows_the_creation_and_the_forms(ana, contact):
    response = tab(ana, contact)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="note-form"' in html and 'id="comment-form"' in html
    assert "created" in html  # the change log's creation entry


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert('x')</script>",
        "[click](javascript:alert('x'))",
        "<img src=x onerror=alert('x')>",
        '<a href="javascript:alert(1)">y</a>',
        "[click](  JAVASCRIPT:alert('x'))",
    ],
)
def test_markdown_is_rendered_safely(ana, user, contact, attack):
    services.add_note(user, contact, {"text": f"**bold** {attack}"})
    html = tab(ana, contact).content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>alert" not in html
    # Raw HTML comes out as text (escaped), never as tags or javascript: links.
    assert not re.search(r"<a[^>]+href=[\"']?\s*javascript", html, re.I)
    assert not re.search(r"<img[^>]*onerror", html, re.I)


def test_add_a_note_through_the_page(ana, contact):
    response = ana.post(
        f"/activities/contact/{contact.pk}/notes/new/",
        {"text": "Met at the fair", "files": [samples.upload("a.pdf", samples.PDF)]},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=timeline")
    note = Note.objects.get()
    assert note.attachments.count() == 1
    assert "Met at the fair" in tab(ana, contact).content.decode()


def test_a_bad_note_shows_the_form_again_with_its_errors(ana, contact):
    response = ana.post(
        f"/activities/contact/{contact.pk}/notes/new/",
        {"text": "keep me", "files": [samples.upload("a.exe", b"MZ\x90\x00")]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "keep me" in html and "not allowed" in html
    assert not Note.objects.exists()


def test_edit_and_delete_a_note_with_confirmation(ana, user, contact):
    note = services.add_note(user, contact, {"text": "first"})
    assert ana.get(f"/activities/notes/{note.pk}/edit/").status_code == 200
    response = ana.post(
        f"/activities/notes/{note.pk}/edit/", {"text": "second", "version": note.version}
    )
    assert response.status_code == 302
    stale = ana.post(f"/activities/notes/{note.pk}/edit/", {"text": "third", "version": 1})
    assert stale.status_code == 409
    confirm = ana.get(f"/activities/notes/{note.pk}/delete/")
    assert confirm.status_code == 200 and b'id="confirm-delete"' in confirm.content
    assert Note.objects.filter(pk=note.pk).exists()
    assert ana.post(f"/activities/notes/{note.pk}/delete/").status_code == 302
    assert not Note.objects.exists()


def test_someone_elses_note_on_a_read_only_record_cannot_be_edited(client, make_user, make_contact):
    owner, reader = make_user(), make_user()
    record = make_contact(owner, access=AccessLevel.PUBLIC_READ)
    note = services.add_note(owner, record, {"text": "owner's"})
    client.force_login(reader)
    html = tab(client, record).content.decode()
    assert "owner&#x27;s" in html or "owner's" in html
    assert f"/activities/notes/{note.pk}/edit/" not in html
    assert client.get(f"/activities/notes/{note.pk}/edit/").status_code == 403
    assert client.post(f"/activities/notes/{note.pk}/delete/").status_code == 403
    # …but the reader may add their own note and comment.
    assert (
        client.post(f"/activities/contact/{record.pk}/notes/new/", {"text": "mine"}).status_code
        == 302
    )
    assert (
        client.post(f"/activities/contact/{record.pk}/comments/new/", {"text": "hi"}).status_code
        == 302
    )


def test_a_hidden_records_activities_are_404(client, make_user, make_contact):
    owner, stranger = make_user(), make_user()
    record = make_contact(owner)
    note = services.add_note(owner, record, {"text": "x"})
    attachment = services.attach_file(owner, record, samples.upload("a.txt", b"x"))
    client.force_login(stranger)
    for url in (
        f"/activities/contact/{record.pk}/notes/new/",
        f"/activities/notes/{note.pk}/edit/",
        f"/activities/notes/{note.pk}/delete/",
        f"/activities/files/{attachment.pk}/",
        f"/activities/files/{attachment.pk}/delete/",
        f"/activities/contact/{record.pk}/mentions/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/activities/contact/{record.pk}/comments/new/", {"text": "x"}).status_code
        == 404
    )


def test_mentioning_a_user_who_cannot_see_the_record_names_them(ana, other_user, contact):
    response = ana.post(
        f"/activities/contact/{contact.pk}/comments/new/",
        {"text": f"@[Bruno Pérez](user:{other_user.pk}) see this"},
    )
    assert response.status_code == 400
    assert "Bruno Pérez cannot see this record" in response.content.decode()
    assert not Comment.objects.exists()


def test_mention_options_list_only_users_who_see_the_record(
    ana, user, other_user, make_user, make_contact
):
    make_user(first_name="Brígida", email="brigida@example.com")
    record = make_contact(user, shared_user_ids=[other_user.pk])
    html = ana.get(f"/activities/contact/{record.pk}/mentions/", {"q": "b"}).content.decode()
    assert f"(user:{other_user.pk})" in html
    assert "brigida@example.com" not in html


def test_files_tab_upload_download_delete(ana, contact):
    html = tab(ana, contact, "files").content.decode()
    assert 'id="files-empty"' in html
    response = ana.post(
        f"/activities/contact/{contact.pk}/files/new/",
        {"file": samples.upload("evil.html", b"<html><script>alert(1)</script>")},
    )
    assert response.status_code == 400 and b"not allowed" in response.content
    response = ana.post(
        f"/activities/contact/{contact.pk}/files/new/",
        {"file": samples.upload("list.csv", b"a,b\n1,2\n")},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    html = tab(ana, contact, "files").content.decode()
    assert "list.csv" in html
    download = ana.get(f"/activities/files/{attachment.pk}/")
    assert download["Content-Disposition"] == 'attachment; filename="list.csv"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "text/csv"
    assert ana.get(f"/activities/files/{attachment.pk}/delete/").status_code == 200
    assert ana.post(f"/activities/files/{attachment.pk}/delete/").status_code == 302
    assert not Attachment.objects.exists()


def test_timeline_paginates_and_filters(ana, user, contact):
    for n in range(25):
        services.add_note(user, contact, {"text": f"note number {n}"})
    html = tab(ana, contact).content.decode()
    assert "note number 24" in html and "note number 0" not in html
    assert 'id="timeline-older"' in html
    older = tab(ana, contact, offset=20).content.decode()
    assert "note number 0" in older and "note number 24" not in older
    changes = tab(ana, contact, kind="change").content.decode()
    assert "note number" not in changes


def test_timeline_tab_query_budget_is_constant(ana, user, contact):
    def count():
        with CaptureQueriesContext(connection) as captured:
            assert tab(ana, contact).status_code == 200
        return len(captured)

    services.add_note(user, contact, {"text": "n"}, [samples.upload("a.txt", b"x")])
    services.add_comment(user, contact, {"text": "c"})
    services.attach_file(user, contact, samples.upload("b.txt", b"y"))
    few = count()
    for n in range(12):
        services.add_note(user, contact, {"text": f"n{n}"}, [samples.upload("a.txt", b"x")])
        services.add_comment(user, contact, {"text": f"c{n}"})
        services.attach_file(user, contact, samples.upload("b.txt", b"y"))
    assert count() == few
    # Session, user, the contact and its tags (with the viewer's permissions), the entries,
    # the change log, notes, their files, comments, files, categories, the bell's count.
    assert few <= 12
