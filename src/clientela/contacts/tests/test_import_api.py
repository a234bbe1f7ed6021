"""The import API: good and bad input (never a 5xx), who may read an import, the OpenAPI
description, and a query budget."""

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.contacts.models import Contact, ContactImport
from clientela.core.testing import api_client

from .importing import csv_bytes, english, import_files  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_files", "english")]

URL = "/api/v1/contacts/imports"
ROWS = [
    ["First name", "Last name", "Email"],
    ["Ana", "García", "ana@example.com"],
    ["Juan", "Pérez", "juan@"],
]


def a_file(content: bytes, name="contacts.csv") -> io.BytesIO:
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer


def english_client(user):
    client = api_client(user)
    client.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def ana(user):
    return english_client(user)


def post(client, content: bytes, **form):
    return client.post(URL, {"file": a_file(content), **form})


def test_an_import_is_created_run_and_read_back(ana, user):
    response = post(ana, csv_bytes(ROWS), tag="API", duplicates="update")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "done"
    assert (body["created"], body["updated"], body["skipped"], body["failed"]) == (1, 0, 0, 1)
    assert body["mapping"] == ["first_name", "last_name", "email"]
    assert body["failures"] == [
        {
            "line": 3,
            "errors": [
                {
                    "field": "email",
                    "column": "Email",
                    "message": "“juan@” is not an email address.",
                }
            ],
        }
    ]
    assert body["failed_lines_csv"] == f"{URL}/{body['id']}/failed-lines.csv"
    read = ana.get(f"{URL}/{body['id']}")
    assert read.status_code == 200
    assert read.json() == body
    csv_text = ana.get(body["failed_lines_csv"]).content.decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith("Juan,Pérez,juan@,3,")
    contact = Contact.objects.get()
    assert [t.name for t in contact.tags.all()] == ["API"]
    assert list(contact.managers.all()) == [user]


def test_a_mapping_by_header_or_by_column(ana):
    rows = [["Who", "Mail", "Notes"], ["Ana García", "ana@example.com", "x"]]
    response = post(ana, csv_bytes(rows), mapping=json.dumps({"Who": "full_name"}))
    assert response.json()["mapping"] == ["full_name", "", ""]
    assert Contact.objects.get().primary_email == ""
    rows[1][1] = "luis@example.com"
    rows[1][0] = "Luis Pérez"
    response = post(ana, csv_bytes(rows), mapping=json.dumps(["full_name", "email", "description"]))
    assert response.status_code == 202
    luis = Contact.objects.get(first_name="Luis")
    assert (luis.primary_email, luis.description) == ("luis@example.com", "x")


def test_a_dry_run_checks_then_runs_later(ana):
    response = post(ana, csv_bytes(ROWS), dry_run="true")
    body = response.json()
    assert (body["status"], body["created"], body["failed"]) == ("checked", 1, 1)
    assert not Contact.objects.exists()
    response = ana.post(f"{URL}/{body['id']}/run")
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["created"]) == ("done", 1)
    assert Contact.objects.count() == 1
    again = ana.post(f"{URL}/{body['id']}/run")
    assert again.status_code == 400
    assert again.json()["errors"] == {"__all__": ["This import has already started."]}


@pytest.mark.parametrize(
    ("content", "form", "key", "message"),
    [
        (b"", {}, "file", "The file is empty."),
        (b"\x00\x01\x02\x03binary\xff\xfe", {}, "file", "This is not a CSV file: it is not text."),
        (b"%PDF-1.7\n%\xe2\xe3", {}, "file", "This is not a CSV file: it is not text."),
        (b"First name,Last name\n", {}, "file", "The file has a header row but no contacts"),
        (b"Email\nana@example.com\n", {}, "mapping", "Choose the column with the names"),
        (csv_bytes(ROWS), {"mapping": "{not json"}, "mapping", "The mapping is not valid JSON."),
        (csv_bytes(ROWS), {"mapping": '["first_name"]'}, "mapping", "The file has 3 columns"),
        (
            csv_bytes(ROWS),
            {"mapping": '["first_name", "nope", ""]'},
            "mapping.1",
            "no field “nope”",
        ),
        (csv_bytes(ROWS), {"mapping": "42"}, "mapping", "Give one field per column"),
        (csv_bytes(ROWS), {"mapping": '{"Nope": "email"}'}, "mapping", "no column “Nope”"),
    ],
    ids=[
        "empty",
        "binary",
        "pdf",
        "no-rows",
        "no-names",
        "bad-json",
        "short-mapping",
        "unknown-field",
        "not-a-list",
        "unknown-header",
    ],
)
def test_bad_input_answers_400_and_leaves_nothing(
    ana, settings, django_capture_on_commit_callbacks, content, form, key, message
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(ana, content, **form)
    assert response.status_code == 400, response.content
    assert message in response.json()["errors"][key][0]
    assert not ContactImport.objects.exists()
    assert not list(settings.ATTACHMENTS_ROOT.rglob("*.csv"))


def test_a_huge_file_answers_400(ana):
    huge = b"First name,Last name\n" + b"Ana,Garcia\n" * 600_000
    assert len(huge) > 5 * 1024 * 1024
    response = post(ana, huge)
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == ["The file is larger than 5 MB."]


@pytest.mark.parametrize(
    "form",
    [{"duplicates": "merge"}, {"access": "secret"}, {"default_kind": "robot"}, {"tag": "x" * 61}],
)
def test_bad_options_answer_422(ana, form):
    response = post(ana, csv_bytes(ROWS), **form)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(form)


def test_no_file_answers_422_and_anonymous_401(ana, client):
    assert ana.post(URL, {"tag": "x"}).status_code == 422
    assert client.post(URL, {"file": a_file(csv_bytes(ROWS))}).status_code == 401


def test_another_users_import_answers_404(ana, other_user, admin_user):
    job_id = post(ana, csv_bytes(ROWS)).json()["id"]
    bruno = english_client(other_user)
    for path in (f"{URL}/{job_id}", f"{URL}/{job_id}/failed-lines.csv"):
        response = bruno.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert bruno.post(f"{URL}/{job_id}/run").status_code == 404
    assert bruno.get(f"{URL}/999999").json() == bruno.get(f"{URL}/{job_id}").json()
    assert api_client(admin_user).get(f"{URL}/{job_id}").status_code == 200
    assert api_client(admin_user).post(f"{URL}/{job_id}/run").status_code == 403
    assert ana.get(f"{URL}/0").status_code == 422


def test_the_endpoints_are_in_the_openapi_description(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"post"} <= set(schema["paths"][URL])
    assert "get" in schema["paths"][URL + "/{import_id}"]
    body = schema["paths"][URL]["post"]["requestBody"]["content"]["multipart/form-data"]
    properties = body["schema"]["properties"]
    assert {"file", "mapping", "duplicates", "default_kind", "access", "tag", "dry_run"} <= set(
        properties
    )
    assert "202" in schema["paths"][URL]["post"]["responses"]


def test_reading_an_import_costs_the_same_queries_however_many_lines_failed(ana):
    few = post(ana, csv_bytes(ROWS)).json()["id"]
    many = post(ana, csv_bytes([ROWS[0]] + [["A", "B", f"x{i}@"] for i in range(40)])).json()["id"]
    counts = []
    for job_id in (few, many):
        with CaptureQueriesContext(connection) as captured:
            assert ana.get(f"{URL}/{job_id}").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 4
