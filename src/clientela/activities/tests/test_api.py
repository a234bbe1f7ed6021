"""The activities API: good and bad input, the access of the target, download headers."""

import pytest

from clientela.activities import services
from clientela.activities.models import Note
from clientela.contacts import services as contact_services
from clientela.core.testing import (
    ALLOWED,
    HIDDEN,
    UNAUTHENTICATED,
    api_client,
    build_access_world,
    expected_outcome,
)

from . import samples

pytestmark = pytest.mark.django_db
API = "/api/v1"


def post_form(client, path, data):
    """A multipart POST with the client's token (`ApiClient.post` encodes multipart twice)."""
    return client.client.post(path, data, headers=client.headers)


@pytest.fixture
def contact(user, make_contact):
    return make_contact(user)


@pytest.fixture
def ana(user):
    return api_client(user)


def test_note_crud(ana, contact):
    created = ana.post(f"{API}/notes/contact/{contact.pk}", {"text": "Hello *there*"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["html"] == "<p>Hello <em>there</em></p>"
    assert created["ETag"] == '"1"'
    listed = ana.get(f"{API}/notes/contact/{contact.pk}").json()
    assert [n["id"] for n in listed["items"]] == [body["id"]]
    changed = ana.patch(
        f"{API}/notes/{body['id']}", {"text": "Changed"}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = ana.patch(f"{API}/notes/{body['id']}", {"text": "Stale"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert ana.delete(f"{API}/notes/{body['id']}").status_code == 204
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"text": ""}, 422, "text"),
        ({"text": "x\x00y"}, 422, "text"),
        ({}, 422, "text"),
        ({"text": "ok", "category": 987654}, 400, "category"),
        ({"text": "ok", "category": 0}, 422, "category"),
        ({"text": "ok", "follow_up": "yesterday"}, 422, "follow_up"),
        ({"text": "x" * 20_001}, 422, "text"),
    ],
)
def test_bad_note_input_names_the_field(ana, contact, payload, status, field):
    response = ana.post(f"{API}/notes/contact/{contact.pk}", payload)
    assert response.status_code == status
    assert field in response.json()["errors"]
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/notes/nosuchtype/1",
        "/notes/contact/999999",
        "/timeline/invoice/1",
        "/files/contact/999999",
        "/notes/999999",
        "/files/999999/download",
    ],
)
def test_unknown_targets_are_404(ana, path):
    assert ana.get(API + path).status_code == 404


@pytest.mark.parametrize(
    "path", ["/notes/contact/0", f"/notes/contact/{2**63}", "/timeline/Contact!/1"]
)
def test_malformed_ids_are_422_or_404(ana, path):
    assert ana.get(API + path).status_code in (404, 422)


def test_comments_and_mentions(ana, user, other_user, make_contact):
    hidden = make_contact(user)
    response = ana.post(
        f"{API}/comments/contact/{hidden.pk}", {"text": f"@[Bruno](user:{other_user.pk}) look"}
    )
    assert response.status_code == 400
    assert "Bruno Pérez" in response.json()["errors"]["text"][0]
    shared = make_contact(user, shared_user_ids=[other_user.pk])
    response = ana.post(
        f"{API}/comments/contact/{shared.pk}", {"text": f"@[Bruno](user:{other_user.pk}) look"}
    )
    assert response.status_code == 201
    assert response.json()["mentioned"] == [{"id": other_user.pk, "name": "Bruno Pérez"}]
    listed = ana.get(f"{API}/comments/contact/{shared.pk}").json()["items"]
    assert listed[0]["html"] == "<p><strong>@Bruno</strong> look</p>"
    assert ana.delete(f"{API}/comments/{listed[0]['id']}").status_code == 204


def test_file_upload_download_and_delete(ana, contact):
    response = post_form(
        ana,
        f"{API}/files/contact/{contact.pk}",
        {"file": samples.upload("Offer 2025.pdf", samples.PDF)},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["media_type"] == "application/pdf" and body["name"] == "Offer 2025.pdf"
    download = ana.get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Offer 2025.pdf" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == samples.PDF
    assert ana.get(f"{API}/files/contact/{contact.pk}").json()["items"][0]["id"] == body["id"]
    assert ana.delete(f"{API}/files/{body['id']}").status_code == 204
    assert ana.get(body["download_url"]).status_code == 404


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("x.html", b"<!doctype html><script>alert(1)</script>"),
        ("x.svg", b"<svg onload='alert(1)'></svg>"),
        ("x.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("big.txt", b"a" * (200 * 1024 + 1)),
    ],
)
def test_refused_files_answer_400_on_the_file_field(ana, contact, name, content):
    response = post_form(
        ana, f"{API}/files/contact/{contact.pk}", {"file": samples.upload(name, content)}
    )
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_upload_without_a_file_is_422(ana, contact):
    response = post_form(ana, f"{API}/files/contact/{contact.pk}", {"note": "1"})
    assert response.status_code == 422


def test_file_on_a_note_of_another_record_is_refused(ana, user, contact, make_contact):
    other = make_contact(user, "Otra")
    note = services.add_note(user, other, {"text": "x"})
    response = post_form(
        ana,
        f"{API}/files/contact/{contact.pk}",
        {"file": samples.upload("a.txt", b"hi"), "note": str(note.pk)},
    )
    assert response.status_code == 400 and "note" in response.json()["errors"]


def test_timeline_endpoint_pages_and_filters(ana, user, contact):
    for n in range(5):
        services.add_note(user, contact, {"text": f"note {n}"})
    contact_services.update_contact(user, contact, {"position": "Boss"})
    first = ana.get(f"{API}/timeline/contact/{contact.pk}", {"limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_offset"] == 3
    assert first["items"][0]["kind"] == "change"
    rest = ana.get(f"{API}/timeline/contact/{contact.pk}", {"limit": 5, "offset": 3}).json()
    assert rest["next_offset"] is None and rest["count"] == 7
    notes = ana.get(f"{API}/timeline/contact/{contact.pk}", {"kind": "note"}).json()["items"]
    assert {i["kind"] for i in notes} == {"note"} and notes[0]["source_type"] == "note"
    bad = ana.get(f"{API}/timeline/contact/{contact.pk}", {"limit": 1000, "kind": "a b"})
    assert bad.status_code == 422


def test_categories(ana):
    names = ana.get(f"{API}/timeline-categories").json()
    assert len(names) >= 4 and {"id", "name", "icon", "position"} <= set(names[0])


def test_timeline_query_budget_is_constant(ana, user, contact, django_assert_max_num_queries):
    def queries_for_page():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert ana.get(f"{API}/timeline/contact/{contact.pk}", {"limit": 50}).status_code == 200
        return len(captured)

    services.add_note(user, contact, {"text": "one"}, [samples.upload("a.txt", b"x")])
    services.add_comment(user, contact, {"text": "c"})
    queries_for_page()  # the token's first use of the minute also records it
    few = queries_for_page()
    for n in range(15):
        services.add_note(user, contact, {"text": f"n{n}"}, [samples.upload("a.txt", b"x")])
        services.add_comment(user, contact, {"text": f"c{n}"})
        services.attach_file(user, contact, samples.upload("b.txt", b"y"))
    assert queries_for_page() == few
    # The token, the record, the entries and the change log: the API names an entry's source
    # by type and id, so it does not load the notes, comments and files themselves.
    assert few <= 4


# --- the access of the target decides ---------------------------------------------------


@pytest.fixture
def world(make_user):
    def create(manager, access, team, label):
        record = contact_services.create_contact(
            manager,
            {
                "kind": "person",
                "first_name": label,
                "last_name": "Matrix",
                "access": access,
                "shared_team_ids": [team.pk],
            },
        )
        note = services.add_note(manager, record, {"text": "secret note"})
        attachment = services.attach_file(manager, record, samples.upload("s.txt", b"secret"))
        services.add_comment(manager, record, {"text": "secret comment"})
        record.activity = {"note": note.pk, "file": attachment.pk}
        return record

    return build_access_world(make_user, create)


ROLES = ("admin", "manager", "other_user", "team_member", "inactive", "anonymous")
RECORDS = ("private", "public_read", "public_write")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("record_name", RECORDS)
def test_reading_follows_the_target(world, role, record_name):
    record = world.records[record_name]
    client = world.client(role)
    expected = expected_outcome(role, "read", record_name)
    status = {ALLOWED: 200, HIDDEN: 404, UNAUTHENTICATED: 401}[expected]
    for path in (
        f"/timeline/contact/{record.pk}",
        f"/notes/contact/{record.pk}",
        f"/comments/contact/{record.pk}",
        f"/files/contact/{record.pk}",
        f"/notes/{record.activity['note']}",
        f"/files/{record.activity['file']}",
        f"/files/{record.activity['file']}/download",
    ):
        assert client.get(API + path).status_code == status, (path, role, record_name)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("record_name", RECORDS)
def test_adding_needs_only_to_see_the_target(world, role, record_name):
    """Whoever sees a record may add notes, comments and files to it, read-only or not."""
    record = world.records[record_name]
    client = world.client(role)
    expected = expected_outcome(role, "read", record_name)
    status = {ALLOWED: 201, HIDDEN: 404, UNAUTHENTICATED: 401}[expected]
    assert client.post(f"{API}/notes/contact/{record.pk}", {"text": "n"}).status_code == status
    assert client.post(f"{API}/comments/contact/{record.pk}", {"text": "c"}).status_code == status
    upload = {"file": samples.upload("a.txt", b"x")}
    assert post_form(client, f"{API}/files/contact/{record.pk}", upload).status_code == status


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("record_name", RECORDS)
def test_changing_others_notes_needs_change_on_the_target(world, role, record_name):
    record = world.records[record_name]
    client = world.client(role)
    expected = expected_outcome(role, "update", record_name)
    status = {ALLOWED: 200, HIDDEN: 404, UNAUTHENTICATED: 401, "forbidden": 403}[expected]
    note = record.activity["note"]
    response = client.patch(f"{API}/notes/{note}", {"text": "changed"})
    assert response.status_code == status
    if status != 200:
        assert Note.objects.get(pk=note).text == "secret note"
