"""The tasks API: CRUD, bad input (4xx naming the field, never 500), filters, conflicts,
the permission matrix and query budgets."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clientela.contacts.services import create_contact
from clientela.core.testing import ApiClient, ApiCrudSuite, PermissionMatrixSuite
from clientela.mail.reminders import pending_reminders
from clientela.tasks import services
from clientela.tasks.models import Task

pytestmark = pytest.mark.django_db

SOON = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")


class TestTaskCrud(ApiCrudSuite):
    list_endpoint = "/api/v1/tasks"
    detail_endpoint = "/api/v1/tasks/{id}"
    model = Task
    create_payload = {"title": "Call Lucía", "due_at": SOON, "reminder": "1h"}
    update_payload = {"title": "Call Lucía again"}
    invalid_payload = {"title": "Call", "due_at": "31/02/2031"}
    invalid_field = "due_at"

    def create_record(self, actor, n: int):
        contact = create_contact(
            actor, {"kind": "person", "first_name": f"P{n}", "last_name": "Crud"}
        )
        return services.create_task(
            actor,
            {
                "title": f"Task {n}",
                "due_at": timezone.now() + timedelta(days=n),
                "target_type": "contact",
                "target_id": contact.pk,
                "category_id": None,
            },
        )


class TestTaskPermissions(PermissionMatrixSuite):
    """A task follows its contact: the matrix of contacts holds for the contact's tasks."""

    list_endpoint = "/api/v1/tasks"
    detail_endpoint = "/api/v1/tasks/{id}"
    export_endpoint = None
    update_payload = {"title": "Changed by the matrix"}
    list_params = {"limit": 200, "status": "all"}

    def create_record(self, actor, access, team, label):
        contact = create_contact(
            actor,
            {
                "kind": "person",
                "first_name": label,
                "last_name": "Matrix",
                "access": access,
                "shared_team_ids": [team.pk],
            },
        )
        return services.create_task(
            actor,
            {
                "title": f"Task {label}",
                "due_at": timezone.now() + timedelta(days=2),
                "target_type": "contact",
                "target_id": contact.pk,
            },
        )


@pytest.fixture
def ana_api(user):
    return ApiClient(user)


def test_a_task_on_a_hidden_record_is_404_unless_responsible_or_creator(
    user, other_user, make_user, make_contact
):
    stranger = make_user("user")
    private = make_contact(user)
    task = services.create_task(
        user,
        {
            "title": "Secret",
            "due_at": timezone.now() + timedelta(days=1),
            "target_type": "contact",
            "target_id": private.pk,
            "responsible_id": other_user.pk,
        },
    )
    url = f"/api/v1/tasks/{task.pk}"
    missing = ApiClient(stranger).get("/api/v1/tasks/999999999")
    hidden = ApiClient(stranger).get(url)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert ApiClient(stranger).patch(url, {"title": "x"}).status_code == 404
    assert ApiClient(stranger).delete(url).status_code == 404
    # The responsible sees the task, but not the record's name or id.
    body = ApiClient(other_user).get(url).json()
    assert body["title"] == "Secret"
    assert body["target_type"] is None and body["target_name"] is None
    # The creator sees both.
    body = ApiClient(user).get(url).json()
    assert (body["target_type"], body["target_id"]) == ("contact", private.pk)
    assert body["target_name"] == "Lucía Cliente"
    listed = {t["id"] for t in ApiClient(stranger).get("/api/v1/tasks").json()["items"]}
    assert task.pk not in listed


def test_create_links_the_record_and_sets_the_reminder(ana_api, user, make_contact):
    contact = make_contact(user)
    response = ana_api.post(
        "/api/v1/tasks",
        {
            "title": "Visit",
            "due_at": "2031-06-10T10:00:00",
            "reminder": "30m",
            "target_type": "contact",
            "target_id": contact.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["target_name"] == "Lucía Cliente"
    assert response["ETag"] == '"1"'
    task = Task.objects.get(pk=body["id"])
    # A deadline without an offset is in the organisation's time zone.
    assert timezone.localtime(task.due_at).hour == 10
    assert pending_reminders(task).get().fire_at == task.due_at - timedelta(minutes=30)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "X", "due_at": "tomorrow"}, "due_at"),
        ({"title": "X", "due_at": "2031-13-01T10:00:00"}, "due_at"),
        ({"title": "X", "due_at": "0001-01-01T00:00:00"}, "due_at"),
        ({"title": "X", "due_at": "9999-12-31T23:59:59"}, "due_at"),
        ({"title": "", "due_at": SOON}, "title"),
        ({"title": "X" * 201, "due_at": SOON}, "title"),
        ({"title": "a\x00b", "due_at": SOON}, "title"),
        ({"title": "X", "due_at": SOON, "reminder": "3d"}, "reminder"),
        ({"title": "X", "due_at": SOON, "responsible_id": 10**12}, "responsible_id"),
        ({"title": "X", "due_at": SOON, "responsible_id": 2**70}, "responsible_id"),
        ({"title": "X", "due_at": SOON, "category_id": 10**12}, "category_id"),
        ({"title": "X", "due_at": SOON, "target_type": "planet", "target_id": 1}, "target_type"),
        (
            {"title": "X", "due_at": SOON, "target_type": "contact", "target_id": 10**12},
            "target_id",
        ),
    ],
)
def test_bad_input_names_the_field(ana_api, payload, field):
    response = ana_api.post("/api/v1/tasks", payload)
    assert response.status_code in (400, 422), response.content
    assert field in response.json()["errors"], response.json()
    assert not Task.objects.exists()


def test_bad_filters_are_422_naming_the_parameter(ana_api):
    for params, name in (
        ({"due": "yesterday"}, "due"),
        ({"scope": "everyone"}, "scope"),
        ({"target_type": "planet"}, "target_type"),
        ({"responsible": "me"}, "responsible"),
        ({"status": "done"}, "status"),
    ):
        response = ana_api.get("/api/v1/tasks", params)
        assert response.status_code == 422, response.content
        assert name in response.json()["errors"]


def test_list_filters(ana_api, user, other_user, make_contact):
    contact = make_contact(user)
    now = timezone.now()
    overdue = services.create_task(user, {"title": "Late", "due_at": now - timedelta(days=2)})
    later = services.create_task(
        user,
        {
            "title": "Far",
            "due_at": now + timedelta(days=40),
            "target_type": "contact",
            "target_id": contact.pk,
        },
    )
    theirs = services.create_task(
        user,
        {"title": "Theirs", "due_at": now + timedelta(days=1), "responsible_id": other_user.pk},
    )
    closed = services.close_task(user, services.create_task(user, {"title": "Done", "due_at": now}))

    def ids(**params):
        response = ana_api.get("/api/v1/tasks", params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert ids() == {overdue.pk, later.pk, theirs.pk}
    assert ids(due="overdue") == {overdue.pk}
    assert later.pk in ids(due="later") and overdue.pk not in ids(due="later")
    assert ids(scope="mine") == {overdue.pk, later.pk}
    assert ids(responsible=other_user.pk) == {theirs.pk}
    assert ids(status="closed") == {closed.pk}
    assert ids(status="all") == {overdue.pk, later.pk, theirs.pk, closed.pk}
    assert ids(target_type="contact") == {later.pk}
    assert ids(target_type="contact", target_id=contact.pk) == {later.pk}
    assert ids(target_type="none") == {overdue.pk, theirs.pk}
    assert ids(q="lat") == {overdue.pk}


def test_team_scope_is_the_tasks_of_my_teams(make_user, admin_user, make_contact):
    from clientela.accounts.services import set_team

    ana, teammate, outsider = make_user("user"), make_user("user"), make_user("user")
    set_team(admin_user, None, name="Sales", member_ids=[ana.pk, teammate.pk])
    contact = make_contact(ana, access="public_read")
    now = timezone.now() + timedelta(days=1)

    def task(responsible, title):
        return services.create_task(
            ana,
            {
                "title": title,
                "due_at": now,
                "responsible_id": responsible.pk,
                "target_type": "contact",
                "target_id": contact.pk,
            },
        )

    mine, team, other = task(ana, "mine"), task(teammate, "team"), task(outsider, "other")
    items = ApiClient(ana).get("/api/v1/tasks", {"scope": "team"}).json()["items"]
    assert {i["id"] for i in items} == {mine.pk, team.pk}
    assert other.pk


def test_close_reopen_and_if_match(ana_api, user):
    task = services.create_task(user, {"title": "X", "due_at": timezone.now() + timedelta(days=2)})
    url = f"/api/v1/tasks/{task.pk}"
    stale = ana_api.post(f"{url}/close", headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    closed = ana_api.post(f"{url}/close", headers={"If-Match": '"1"'})
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert closed["ETag"] == '"2"'
    assert not pending_reminders(task).exists()
    reopened = ana_api.post(f"{url}/reopen")
    assert reopened.status_code == 200 and reopened.json()["closed_at"] is None
    assert pending_reminders(task).exists()


def test_patch_moves_the_reminder_and_refuses_a_stale_version(ana_api, user):
    task = services.create_task(user, {"title": "X", "due_at": timezone.now() + timedelta(days=2)})
    url = f"/api/v1/tasks/{task.pk}"
    response = ana_api.patch(
        url, {"due_at": "2031-01-20T12:00:00+01:00"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert pending_reminders(task).get().fire_at == task.due_at - timedelta(days=1)
    assert ana_api.patch(url, {"title": "Y"}, headers={"If-Match": '"1"'}).status_code == 412
    assert ana_api.patch(url, {"title": "Y", "version": 1}).status_code == 409
    assert ana_api.patch(url, {"due_at": "31/01/2031"}).status_code == 422


def test_bulk_create(ana_api, user, other_user, make_contact):
    contacts = [make_contact(user, name) for name in ("Ada", "Bea")]
    payload = {"title": "Send catalogue", "due_at": SOON, "contact_ids": [c.pk for c in contacts]}
    response = ana_api.post("/api/v1/tasks/bulk", payload)
    assert response.status_code == 201, response.content
    assert response.json()["count"] == 2
    hidden = make_contact(other_user, "Zoe")
    response = ana_api.post(
        "/api/v1/tasks/bulk", {**payload, "contact_ids": [contacts[0].pk, hidden.pk]}
    )
    assert response.status_code == 400 and "contact_ids" in response.json()["errors"]
    assert Task.objects.count() == 2
    assert ana_api.post("/api/v1/tasks/bulk", {**payload, "contact_ids": []}).status_code == 422


def test_categories(ana_api):
    response = ana_api.get("/api/v1/tasks/categories")
    assert response.status_code == 200
    assert len(response.json()) >= 5 and {"id", "name", "icon"} <= set(response.json()[0])


def test_the_list_query_budget_does_not_grow_with_rows_and_linked_records(
    ana_api, user, make_contact
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (3, 25):
        while Task.objects.count() < n:
            contact = make_contact(user, f"P{Task.objects.count()}")
            services.create_task(
                user,
                {
                    "title": "T",
                    "due_at": timezone.now() + timedelta(days=1),
                    "target_type": "contact",
                    "target_id": contact.pk,
                },
            )
        ana_api.get("/api/v1/tasks")
        with CaptureQueriesContext(connection) as queries:
            assert ana_api.get("/api/v1/tasks", {"status": "all"}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
