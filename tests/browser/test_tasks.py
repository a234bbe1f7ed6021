"""Task journeys in a real Chromium: a task from a contact's Tasks tab with the "in 3 days"
shortcut, the group operation from the contact list, and closing a task in the list."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clientela.contacts import services as contact_services
from clientela.tasks import services
from clientela.tasks.models import Task

pytestmark = pytest.mark.django_db(transaction=True)


def _contact(user, first_name):
    return contact_services.create_contact(
        user, {"kind": "person", "first_name": first_name, "last_name": "Cliente"}
    )


def test_create_a_task_in_3_days_from_a_contacts_tasks_tab(logged_in_page, user):
    contact = _contact(user, "Lucía")
    page = logged_in_page
    page.goto(f"/contacts/{contact.pk}/")
    page.click("#tab-tasks")
    expect(page.locator("#record-tasks-empty")).to_be_visible()
    page.click("#record-task-new")
    page.wait_for_url(re.compile(r"/tasks/new/\?target_type=contact&target_id=\d+$"))
    expect(page.locator("#task-record")).to_contain_text("Lucía Cliente")
    page.fill("#id_title", "Send the offer")
    page.click("#deadline-3-days")
    typed = page.locator("#id_due_date").input_value()
    # The English page writes ISO dates; the shortcut filled the browser's today + 3.
    assert abs((date.fromisoformat(typed) - date.today()).days - 3) <= 1, typed
    page.fill("#id_due_time", "10:30")
    page.click("#task-save")
    page.wait_for_url(re.compile(rf"/contacts/{contact.pk}/\?tab=tasks$"))
    expect(page.locator("#record-task-list")).to_contain_text("Send the offer")
    task = Task.objects.get()
    assert (task.target_type.model, task.target_id) == ("contact", contact.pk)
    assert task.due_date == date.fromisoformat(typed)
    assert timezone.localtime(task.due_at).strftime("%H:%M") == "10:30"


def test_the_date_picker_and_typed_spanish_dates(new_page, make_user):
    spanish = make_user("user", language="es")
    page = new_page(spanish, language="es")
    page.goto("/tasks/new/")
    page.click("#deadline-today")
    today = page.locator("#id_due_date").input_value()
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", today), today
    page.fill("#id_title", "Llamar")
    page.fill("#id_due_date", "24/12/2031")
    page.click("#task-save")
    page.wait_for_url(re.compile(r"/tasks/$"))
    task = Task.objects.get()
    assert task.due_date == date(2031, 12, 24) and task.all_day


def test_group_operation_creates_a_task_per_selected_contact(logged_in_page, user):
    contacts = [_contact(user, name) for name in ("Ada", "Bea", "Cai")]
    page = logged_in_page
    page.goto("/contacts/")
    for contact in contacts[:2]:
        page.check(f"tr[data-contact-id='{contact.pk}'] .row-select")
    page.click("#bulk-create-task")
    page.wait_for_url(re.compile(r"/tasks/new/for-contacts/$"))
    expect(page.locator("h1")).to_contain_text("2 contacts")
    page.fill("#id_title", "Send the catalogue")
    page.click("#deadline-week")
    page.click("#task-save")
    page.wait_for_url(re.compile(r"/contacts/$"))
    expect(page.locator(".alert-success")).to_contain_text("2 contacts")
    assert sorted(Task.objects.values_list("target_id", flat=True)) == sorted(
        c.pk for c in contacts[:2]
    )


def test_close_a_task_in_the_list_and_see_it_move(logged_in_page, user):
    task = services.create_task(
        user, {"title": "Ring Lucía", "due_at": timezone.now() - timedelta(hours=1)}
    )
    page = logged_in_page
    page.goto("/tasks/?status=all")
    row = f"#task-{task.pk}"
    expect(page.locator(f"#section-overdue {row}")).to_be_visible()
    page.click(f"{row} .task-close")
    expect(page.locator(f"#section-closed {row}")).to_be_visible()
    expect(page.locator(f"#section-overdue {row}")).to_have_count(0)
    expect(page.locator(f"#section-closed {row} .task-title")).to_have_class(
        re.compile("text-decoration-line-through")
    )
    task.refresh_from_db()
    assert task.is_closed
    # And back again.
    page.click(f"{row} .task-reopen")
    expect(page.locator(f"#section-overdue {row}")).to_be_visible()
