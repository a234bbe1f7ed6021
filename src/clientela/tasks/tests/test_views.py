"""Task pages: the at-a-glance list, the form (shortcuts' target format, Spanish dates,
prefilled record, save and new, conflicts), close/reopen with htmx, delete with confirmation,
the group operation from the contact list, the Tasks tab, and query budgets."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.tasks import services
from clientela.tasks.models import Task, TaskCategory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(client, user):
    client.force_login(user)
    return client


def _form(**extra):
    data = {
        "title": "Call back",
        "due_date": "2031-05-06",
        "due_time": "10:30",
        "reminder": "1d",
        "responsible": "",
        "notify": "on",
        "description": "",
    }
    data.update(extra)
    return data


def test_the_menu_and_create_menu_list_tasks(ana):
    page = ana.get("/contacts/").content.decode()
    assert 'href="/tasks/"' in page and 'href="/tasks/new/"' in page


def test_an_empty_list_invites_to_create(ana):
    response = ana.get("/tasks/")
    assert response.status_code == 200
    assert 'id="empty-state"' in response.content.decode()


def test_sections_of_the_list(ana, user, make_task):
    make_task(user, "Late", due_in=-timedelta(days=2))
    make_task(user, "Far away", due_in=timedelta(days=60))
    page = ana.get("/tasks/").content.decode()
    overdue = page.index('id="section-overdue"')
    later = page.index('id="section-later"')
    assert overdue < page.index("Late") < page.index('id="section-today"')
    assert later < page.index("Far away")
    assert 'id="section-closed"' not in page


def test_the_form_defaults_to_me_and_a_day_before(ana, user):
    response = ana.get("/tasks/new/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{user.pk}" selected>' in page
    assert '<option value="1d" selected>' in page
    assert 'data-deadline-days="3"' in page and 'name="notify"' in page
    assert 'data-date-format="%Y-%m-%d"' in page  # English: the shortcuts fill ISO dates


def test_create_with_a_typed_spanish_date(client, make_user):
    spanish = make_user("user", language="es")
    client.force_login(spanish)
    page = client.get("/tasks/new/").content.decode()
    assert 'data-date-format="%d/%m/%Y"' in page and 'placeholder="dd/mm/yyyy"' in page
    response = client.post("/tasks/new/", _form(due_date="25/12/2031", due_time=""))
    assert response.status_code == 302, response.content.decode()[:2000]
    task = Task.objects.get()
    assert task.all_day and task.due_date == date(2031, 12, 25)
    assert task.responsible == spanish


def test_a_bad_date_is_shown_next_to_the_deadline(ana):
    response = ana.post("/tasks/new/", _form(due_date="32/13/2031"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="field-due_date"' in page and "field-error" in page
    assert not Task.objects.exists()


def test_create_from_a_contact_links_it_and_save_and_new_keeps_it(ana, user, make_contact):
    contact = make_contact(user)
    page = ana.get(f"/tasks/new/?contact={contact.pk}").content.decode()
    assert "Lucía Cliente" in page
    response = ana.post(
        f"/tasks/new/?contact={contact.pk}",
        _form(save_and_new="1", category=TaskCategory.objects.first().pk),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/new/?target_type=contact&target_id={contact.pk}"
    task = Task.objects.get()
    assert (task.target_type.model, task.target_id) == ("contact", contact.pk)
    response = ana.post("/tasks/new/", _form(target_type="contact", target_id=str(contact.pk)))
    assert response["Location"] == f"/contacts/{contact.pk}/?tab=tasks"
    assert Task.objects.filter(target_id=contact.pk).count() == 2


def test_a_hidden_contact_cannot_be_the_target(ana, other_user, make_contact):
    hidden = make_contact(other_user)
    assert ana.get(f"/tasks/new/?contact={hidden.pk}").status_code == 404
    assert ana.post(f"/tasks/new/?contact={hidden.pk}", _form()).status_code == 404
    assert ana.get("/tasks/new/?target_type=planet&target_id=1").status_code == 404
    assert not Task.objects.exists()


def test_hidden_tasks_are_404_on_every_page(client, user, other_user, make_contact, make_task):
    task = make_task(user, contact=make_contact(user))
    client.force_login(other_user)
    for url in ("", "edit/", "delete/"):
        assert client.get(f"/tasks/{task.pk}/{url}").status_code == 404
    assert client.post(f"/tasks/{task.pk}/close/").status_code == 404
    task.refresh_from_db()
    assert not task.is_closed


def test_edit_shows_a_conflict_instead_of_overwriting(ana, user, make_task):
    task = make_task(user)
    page = ana.get(f"/tasks/{task.pk}/edit/").content.decode()
    assert 'name="version" value="1"' in page
    services.update_task(user, task, {"title": "Changed meanwhile"})
    response = ana.post(f"/tasks/{task.pk}/edit/", _form(title="Mine", version="1"))
    assert response.status_code == 409
    assert "conflict-message" in response.content.decode()
    task.refresh_from_db()
    assert task.title == "Changed meanwhile"
    response = ana.post(f"/tasks/{task.pk}/edit/", _form(title="Mine", version="2"))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Mine" and task.version == 3


def test_delete_asks_first(ana, user, make_task):
    task = make_task(user)
    page = ana.get(f"/tasks/{task.pk}/delete/").content.decode()
    assert 'id="delete-confirm"' in page
    assert Task.objects.filter(pk=task.pk).exists()
    response = ana.post(f"/tasks/{task.pk}/delete/", {"next": "/tasks/?status=all"})
    assert response.status_code == 302 and response["Location"] == "/tasks/?status=all"
    assert not Task.objects.filter(pk=task.pk).exists()


def test_close_in_the_list_with_htmx_redraws_it(ana, user, make_task):
    task = make_task(user, "Ring Lucía", due_in=-timedelta(hours=1))
    response = ana.post(
        f"/tasks/{task.pk}/close/?status=all",
        headers={"HX-Request": "true", "HX-Target": "task-results"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.startswith('<div id="task-results">')
    closed_section = page.index('id="section-closed"')
    assert page.index(f'id="task-{task.pk}"') > closed_section
    assert "was closed" in page
    task.refresh_from_db()
    assert task.closed_by == user
    response = ana.post(f"/tasks/{task.pk}/reopen/", {"next": "/tasks/"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert not task.is_closed


def test_the_group_operation_from_the_contact_list(ana, user, make_contact):
    contacts = [make_contact(user, n) for n in ("Ada", "Bea")]
    ids = [str(c.pk) for c in contacts]
    page = ana.get("/contacts/").content.decode()
    assert 'formaction="/tasks/new/for-contacts/"' in page
    # The list posts the selection here: the form for those two contacts.
    response = ana.post("/tasks/new/for-contacts/", {"ids": ids, "next": "/contacts/?q=a"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Create a task for 2 contacts" in page and "Ada Cliente" in page
    assert not Task.objects.exists()
    response = ana.post(
        "/tasks/new/for-contacts/",
        {"ids": ids, "next": "/contacts/?q=a", "step": "save", **_form(title="Catalogue")},
    )
    assert response.status_code == 302 and response["Location"] == "/contacts/?q=a"
    assert sorted(Task.objects.values_list("target_id", flat=True)) == sorted(
        c.pk for c in contacts
    )


def test_the_group_operation_refuses_hidden_contacts(ana, user, other_user, make_contact):
    mine, hidden = make_contact(user), make_contact(other_user)
    response = ana.post(
        "/tasks/new/for-contacts/",
        {"ids": [mine.pk, hidden.pk], "next": "/contacts/", "step": "save", **_form()},
    )
    assert response.status_code == 302
    assert not Task.objects.exists()


def test_the_contact_page_has_a_tasks_tab(ana, user, make_contact, make_task):
    contact = make_contact(user)
    empty = ana.get(f"/contacts/{contact.pk}/?tab=tasks").content.decode()
    assert 'id="record-tasks-empty"' in empty
    assert f"/tasks/new/?target_type=contact&amp;target_id={contact.pk}" in empty
    make_task(user, "Call about the offer", contact=contact)
    page = ana.get(f"/contacts/{contact.pk}/?tab=tasks").content.decode()
    assert "Call about the offer" in page and 'id="tab-tasks"' in page
    assert "/tasks/?scope=all&amp;status=all&amp;target_type=contact&amp;" in page


def _count_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_page_query_budget_is_constant(ana, user, other_user, make_contact):
    counts = []
    for n in (2, 24):
        while Task.objects.count() < n:
            i = Task.objects.count()
            contact = make_contact(user, f"P{i}")
            services.create_task(
                user,
                {
                    "title": f"T{i}",
                    "due_at": timezone.now() + timedelta(days=(i % 4) * 5 - 3),
                    "target_type": "contact",
                    "target_id": contact.pk,
                    "category_id": TaskCategory.objects.first().pk,
                },
            )
        counts.append(_count_queries(ana, "/tasks/?status=all"))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20, counts


def test_the_tab_query_budget_is_constant(ana, user, make_contact):
    contact = make_contact(user)
    counts = []
    for n in (1, 15):
        while Task.objects.count() < n:
            services.create_task(
                user,
                {
                    "title": "T",
                    "due_at": timezone.now() + timedelta(days=1),
                    "target_type": "contact",
                    "target_id": contact.pk,
                },
            )
        counts.append(_count_queries(ana, f"/contacts/{contact.pk}/?tab=tasks"))
    assert counts[0] == counts[1], counts


def test_bad_filters_are_reported_not_fatal(ana):
    response = ana.get("/tasks/?due=someday&responsible=abc&target_type=planet")
    assert response.status_code == 200
    assert 'id="filter-warning"' in response.content.decode()


def test_every_activity_target_has_a_tasks_tab():
    from clientela.activities.targets import ACTIVITY_TARGETS
    from clientela.core.record_tabs import _TABS

    assert "contact" in ACTIVITY_TARGETS
    for model in ACTIVITY_TARGETS.values():
        keys = [tab.key for tab in _TABS[model._meta.label_lower]]
        assert "tasks" in keys, model


def test_admins_edit_the_task_categories(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/settings/lists/task-categories/")
    assert response.status_code == 200
    assert TaskCategory.objects.first().name in response.content.decode()
    assert "/settings/lists/task-categories/" in client.get("/settings/").content.decode()


def test_the_api_is_in_the_openapi_spec(ana):
    spec = ana.get("/api/v1/openapi.json").json()
    assert {"/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/bulk"} <= set(spec["paths"])
    parameters = {p["name"] for p in spec["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    assert {"due", "scope", "status", "category", "responsible", "target_type"} <= parameters
