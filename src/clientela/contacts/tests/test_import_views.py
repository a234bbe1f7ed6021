"""The import wizard's pages: each step, errors shown in place (never a 500), who may see what,
and query budgets."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.contacts import imports
from clientela.contacts.models import Contact, ContactImport, Source

from .importing import csv_bytes, english, import_files, import_rows, upload  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_files", "english")]

ROWS = [
    ["Nombre", "Apellidos", "Correo", "Origen", "Notas de la reunión"],
    ["Ana", "García", "ana@example.com", "Web", "Primera"],
    ["Juan", "Pérez", "juan@", "", ""],
    ["Eva", "Ruiz", "eva@example.com", "Feria", ""],
]


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def _upload(client, content: bytes, name="clientes.csv"):
    return client.post("/contacts/import/", {"file": upload(content, name)})


def test_the_contact_list_has_an_import_button_next_to_export(logged_in):
    html = logged_in.get("/contacts/").content.decode()
    assert re.search(
        r'id="list-export".*\n\s*<a [^>]*id="list-import" href="/contacts/import/"', html
    )


def test_the_wizard_from_upload_to_result(logged_in, user):
    Source.objects.create(name="Web")
    page = logged_in.get("/contacts/import/")
    assert page.status_code == 200
    assert 'id="import-upload"' in page.content.decode()

    response = _upload(logged_in, csv_bytes(ROWS, delimiter=";", encoding="cp1252"))
    job = ContactImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contacts/import/{job.pk}/"
    html = logged_in.get(response["Location"]).content.decode()
    assert "clientes.csv: 3 rows, Latin-1 (Windows-1252), separated by semicolon." in html
    assert '<option value="first_name" selected>First name</option>' in html
    assert '<option value="source" selected>Source</option>' in html
    assert "Ana · Juan · Eva" in html

    form = {f"column_{i}": key for i, key in enumerate(job.mapping)}
    form.update(column_4="description", default_kind="auto", access="public_read", tag="Feria 2026")
    form["duplicates"] = "skip"
    response = logged_in.post(f"/contacts/import/{job.pk}/", form)
    assert response.status_code == 302
    html = logged_in.get(f"/contacts/import/{job.pk}/").content.decode()
    assert "3 rows checked." in html
    assert "1 new contact will be created" in html
    assert "2 rows have errors and will not be imported" in html
    assert "Line 3: Email (work) (column “Correo”): “juan@” is not an email address." in html
    assert "Line 4: Source (column “Origen”): “Feria” is not in the list of sources" in html
    assert re.search(r'id="import-preview".*Ana García.*Juan Pérez', html, re.S)
    assert not Contact.objects.exists()

    response = logged_in.post(f"/contacts/import/{job.pk}/run/")
    assert response.status_code == 302
    html = logged_in.get(f"/contacts/import/{job.pk}/").content.decode()
    assert re.search(r'id="count-created">1<', html)
    assert re.search(r'id="count-failed">2<', html)
    assert 'id="see-imported"' in html
    ana = Contact.objects.get()
    assert (ana.display_name, ana.description, ana.access) == (
        "Ana García",
        "Primera",
        "public_read",
    )
    assert [t.name for t in ana.tags.all()] == ["Feria 2026"]

    download = logged_in.get(f"/contacts/import/{job.pk}/failed-lines.csv")
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    text = download.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "Nombre;Apellidos;Correo;Origen;Notas de la reunión;Line;Errors"
    assert text.splitlines()[1].startswith("Juan;Pérez;juan@;;;3;")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "This is not a CSV file: it is not text."),
        (b"PK\x03\x04rest", "This is a spreadsheet workbook, not a CSV file."),
        (b"Name\r\n", "The file has a header row but no contacts under it."),
    ],
)
def test_a_bad_file_is_explained_on_the_upload_page(logged_in, content, message):
    response = _upload(logged_in, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ContactImport.objects.exists()


def test_a_huge_file_is_refused(logged_in, monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 1024 * 1024)
    response = _upload(logged_in, b"Name\n" + b"Ana Garcia\n" * 200_000)
    assert "The file is larger than 1 MB." in response.content.decode()


def test_a_bad_mapping_is_shown_next_to_its_column(logged_in, user):
    job = imports.upload_import(user, upload(csv_bytes(ROWS)))
    form = {f"column_{i}": "" for i in range(5)}
    form.update(column_0="first_name", column_1="first_name", duplicates="skip")
    form.update(default_kind="auto", access="private")
    response = logged_in.post(f"/contacts/import/{job.pk}/", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "“First name” is already taken by the column “Nombre”." in html
    form.update(column_0="", column_1="email", column_2="bogus")
    html = logged_in.post(f"/contacts/import/{job.pk}/", form).content.decode()
    assert "Select a valid choice. bogus is not one of the available choices." in html
    job.refresh_from_db()
    assert job.status == ContactImport.Status.MAPPING


def test_back_to_the_mapping_and_discard(logged_in, user):
    job = imports.upload_import(user, upload(csv_bytes(ROWS)))
    imports.check_import(user, job)
    assert logged_in.post(f"/contacts/import/{job.pk}/remap/").status_code == 302
    job.refresh_from_db()
    assert job.status == ContactImport.Status.MAPPING
    response = logged_in.post(f"/contacts/import/{job.pk}/discard/", follow=True)
    assert "The import of contacts.csv was discarded." in response.content.decode()
    assert not ContactImport.objects.exists()


def test_running_twice_is_refused_politely(logged_in, user):
    job = import_rows(user, [ROWS[0][:3], ROWS[1][:3]])
    response = logged_in.post(f"/contacts/import/{job.pk}/run/", follow=True)
    assert "This import has already started." in response.content.decode()
    assert Contact.objects.count() == 1


def test_the_progress_fragment_polls_until_the_work_is_over(logged_in, user):
    job = imports.upload_import(user, upload(csv_bytes(ROWS)))
    ContactImport.objects.filter(pk=job.pk).update(status="importing", processed_rows=1)
    response = logged_in.get(f"/contacts/import/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html and "1 of 3" in html
    page = logged_in.get(f"/contacts/import/{job.pk}/").content.decode()
    assert 'id="import-progress"' in page
    ContactImport.objects.filter(pk=job.pk).update(status="done")
    response = logged_in.get(f"/contacts/import/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/contacts/import/{job.pk}/"


def test_a_stale_import_offers_to_resume(logged_in, user):
    job = imports.upload_import(user, upload(csv_bytes(ROWS)))
    ContactImport.objects.filter(pk=job.pk).update(status="importing")
    ContactImport.objects.filter(pk=job.pk).update(updated_at=job.created_at.replace(year=2000))
    html = logged_in.get(f"/contacts/import/{job.pk}/").content.decode()
    assert (
        'id="import-resume"' in html and "hx-trigger" not in html.split('id="import-progress"')[1]
    )


def test_another_users_import_answers_404(client, user, other_user, admin_user):
    job = import_rows(user, ROWS)
    client.force_login(other_user)
    for path in ("", "progress/", "failed-lines.csv"):
        assert client.get(f"/contacts/import/{job.pk}/{path}").status_code == 404
    for action in ("check", "run", "remap", "discard"):
        assert client.post(f"/contacts/import/{job.pk}/{action}/").status_code == 404
    assert client.post(f"/contacts/import/{job.pk}/", {"column_0": "first_name"}).status_code == 404
    assert "contacts.csv" not in client.get("/contacts/import/").content.decode()
    client.force_login(admin_user)
    page = client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert "uploaded by Ana García" in page and 'id="import-run"' not in page
    assert client.post(f"/contacts/import/{job.pk}/discard/").status_code == 403
    assert ContactImport.objects.filter(pk=job.pk).exists()


def test_anonymous_users_are_sent_to_log_in(client, user):
    job = import_rows(user, ROWS)
    for path in ("/contacts/import/", f"/contacts/import/{job.pk}/"):
        assert client.get(path)["Location"].startswith("/accounts/login/")


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_pages_queries_do_not_grow_with_the_rows(logged_in, user):
    small = import_rows(user, ROWS[:3], check=False)
    large = import_rows(user, [ROWS[0]] + [["X", "Y", f"x{i}@", "", ""] for i in range(30)])
    assert large.failed_count == 30
    assert _queries(logged_in, f"/contacts/import/{small.pk}/") == _queries(
        logged_in, f"/contacts/import/{large.pk}/"
    )
    budget = _queries(logged_in, f"/contacts/import/{large.pk}/")
    assert budget <= 12, budget
    mapping = imports.upload_import(user, upload(csv_bytes(ROWS)))
    assert _queries(logged_in, f"/contacts/import/{mapping.pk}/") <= 10
    assert _queries(logged_in, "/contacts/import/") <= 8
