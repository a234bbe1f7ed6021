"""Task services: real outcomes in the database (tasks, reminders, notifications, timeline,
change log), all-or-nothing validation."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clientela.activities.models import TimelineEntry
from clientela.core.errors import ConflictError
from clientela.core.models import ChangeLogEntry
from clientela.mail.models import Notification
from clientela.mail.reminders import pending_reminders
from clientela.tasks import services
from clientela.tasks.models import Reminder, Task, TaskCategory

pytestmark = pytest.mark.django_db


def _reminder(task):
    rows = list(pending_reminders(task))
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def test_a_new_task_is_mine_with_a_reminder_the_day_before(user, make_task):
    task = make_task(user, due_in=timedelta(days=3))
    assert task.responsible == user and task.created_by == user
    assert task.reminder == Reminder.DAY_1 and not task.is_closed
    reminder = _reminder(task)
    assert reminder.recipient == user and reminder.kind == "task_reminder"
    assert reminder.fire_at == task.due_at - timedelta(days=1)
    assert reminder.params["name"] == "Call back"
    assert reminder.url == f"/tasks/{task.pk}/"
    assert ChangeLogEntry.objects.filter(object_id=task.pk, action="create").exists()
    # Assigning oneself a task notifies nobody.
    assert not Notification.objects.exists()


def test_the_categories_are_seeded():
    assert TaskCategory.objects.count() >= 5


def test_every_field_is_stored(user, other_user, make_contact):
    contact = make_contact(user)
    category = TaskCategory.objects.first()
    due = timezone.make_aware(datetime(2031, 5, 6, 10, 30))
    task = services.create_task(
        user,
        {
            "title": "  Send   the offer ",
            "category_id": category.pk,
            "target_type": "contact",
            "target_id": contact.pk,
            "due_at": due,
            "reminder": "2h",
            "responsible_id": other_user.pk,
            "notify": True,
            "description": "With prices",
        },
    )
    task.refresh_from_db()
    assert task.title == "Send the offer" and task.category == category
    assert (task.target_type.model, task.target_id) == ("contact", contact.pk)
    assert task.due_at == due and not task.all_day
    assert task.responsible == other_user and task.description == "With prices"
    assert _reminder(task).fire_at == due - timedelta(hours=2)
    assert _reminder(task).recipient == other_user
    notification = Notification.objects.get(recipient=other_user)
    assert notification.kind == "task_assigned"
    assert "Send the offer" in notification.text and "Ana García" in notification.text
    event = TimelineEntry.objects.get(kind="task_created")
    assert event.object_id == contact.pk and event.params == {"title": "Send the offer"}


def test_notify_unticked_tells_nobody(user, other_user, make_task):
    make_task(user, responsible_id=other_user.pk, notify=False)
    assert not Notification.objects.exists()


def test_an_all_day_task_is_due_at_local_midnight_and_reminded_at_nine(user):
    task = services.create_task(
        user, {"title": "Renewal", "due_at": date(2031, 3, 14), "all_day": True}
    )
    local = timezone.localtime(task.due_at)
    assert task.all_day and (local.date(), local.hour, local.minute) == (date(2031, 3, 14), 0, 0)
    fire = timezone.localtime(_reminder(task).fire_at)
    assert (fire.date(), fire.hour) == (date(2031, 3, 13), 9)


def test_bad_input_is_reported_per_field_and_nothing_is_written(user, other_user, make_contact):
    hidden = make_contact(other_user)  # private: Ana may not see it
    with pytest.raises(ValidationError) as caught:
        services.create_task(
            user,
            {
                "title": " ",
                "category_id": 10**9,
                "due_at": "tomorrow",
                "reminder": "3d",
                "responsible_id": 10**9,
                "target_type": "contact",
                "target_id": hidden.pk,
            },
        )
    assert set(caught.value.message_dict) == {
        "title",
        "category_id",
        "due_at",
        "reminder",
        "responsible_id",
        "target_id",
    }
    assert not Task.objects.exists()
    assert not ChangeLogEntry.objects.filter(content_type__model="task").exists()


def test_a_deadline_in_an_absurd_year_names_the_field(user):
    with pytest.raises(ValidationError) as caught:
        services.create_task(user, {"title": "X", "due_at": date(1, 1, 1), "all_day": True})
    assert "due_at" in caught.value.message_dict


def test_an_unknown_record_type_names_the_field(user):
    with pytest.raises(ValidationError) as caught:
        services.create_task(
            user, {"title": "X", "due_at": timezone.now(), "target_type": "planet", "target_id": 1}
        )
    assert "target_type" in caught.value.message_dict


def test_moving_the_deadline_moves_the_reminder(user, make_task):
    task = make_task(user, due_in=timedelta(days=5))
    new_due = task.due_at + timedelta(days=2)
    task = services.update_task(user, task, {"due_at": new_due}, task.version)
    assert _reminder(task).fire_at == new_due - timedelta(days=1)
    task = services.update_task(user, task, {"reminder": "15m"})
    assert _reminder(task).fire_at == new_due - timedelta(minutes=15)
    task = services.update_task(user, task, {"reminder": "never"})
    assert _reminder(task) is None


def test_handing_a_task_over_moves_its_reminder_and_notifies(user, other_user, make_task):
    task = make_task(user)
    task = services.update_task(user, task, {"responsible_id": other_user.pk})
    assert _reminder(task).recipient == other_user
    assert Notification.objects.filter(recipient=other_user, kind="task_assigned").count() == 1


def test_a_stale_version_is_refused_and_changes_nothing(user, make_task):
    task = make_task(user)
    services.update_task(user, task, {"title": "First"}, task.version)
    with pytest.raises(ConflictError):
        services.update_task(user, task, {"title": "Second"}, task.version)
    task.refresh_from_db()
    assert task.title == "First" and task.version == 2


def test_closing_cancels_the_reminder_and_reopening_sets_it_again(user, make_task, make_contact):
    contact = make_contact(user)
    task = make_task(user, contact=contact, due_in=timedelta(days=4))
    task = services.close_task(user, task)
    assert task.closed_at and task.closed_by == user
    assert _reminder(task) is None
    assert services.close_task(user, task).version == task.version  # closing twice: no change
    task = services.reopen_task(user, task)
    assert task.closed_at is None and task.closed_by is None
    assert _reminder(task).fire_at == task.due_at - timedelta(days=1)
    kinds = list(
        TimelineEntry.objects.filter(object_id=contact.pk)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["task_created", "task_closed", "task_reopened"]


def test_a_task_already_past_due_gets_no_reminder(user, make_task):
    task = make_task(user, due_in=-timedelta(hours=1))
    assert _reminder(task) is None


def test_a_reminder_time_already_passed_fires_at_once(user, make_task):
    task = make_task(user, due_in=timedelta(hours=3))  # reminded a day before: already past
    assert _reminder(task).fire_at < timezone.now()


def test_deleting_removes_the_task_and_its_reminder(user, make_task):
    task = make_task(user)
    pk = task.pk
    services.delete_task(user, task)
    assert not Task.objects.filter(pk=pk).exists()
    task.pk = pk
    assert _reminder(task) is None
    assert ChangeLogEntry.objects.filter(object_id=pk, action="delete").exists()


def test_group_operation_makes_one_task_per_contact(user, other_user, make_contact):
    contacts = [make_contact(user, name) for name in ("Ada", "Bea", "Cai")]
    tasks = services.bulk_create_tasks(
        user,
        [c.pk for c in contacts],
        {
            "title": "Send catalogue",
            "due_at": timezone.now() + timedelta(days=7),
            "responsible_id": other_user.pk,
        },
    )
    assert len(tasks) == 3
    assert sorted(t.target_id for t in tasks) == sorted(c.pk for c in contacts)
    assert {t.title for t in tasks} == {"Send catalogue"}
    assert all(_reminder(t).recipient == other_user for t in tasks)
    # One notification for the group, not one per contact.
    assert Notification.objects.filter(recipient=other_user).count() == 1


def test_group_operation_is_all_or_nothing(user, other_user, make_contact):
    mine = make_contact(user, "Ada")
    hidden = make_contact(other_user, "Zoe")
    with pytest.raises(ValidationError) as caught:
        services.bulk_create_tasks(
            user, [mine.pk, hidden.pk], {"title": "X", "due_at": timezone.now()}
        )
    assert "contact_ids" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.bulk_create_tasks(user, [mine.pk], {"title": "", "due_at": timezone.now()})
    assert "title" in caught.value.message_dict
    assert not Task.objects.exists()


def test_who_may_change_and_delete(user, other_user, make_user, make_contact, make_task):
    stranger = make_user("user")
    public_read = make_contact(user, access="public_read")
    task = make_task(user, contact=public_read)
    with pytest.raises(PermissionDenied):
        services.close_task(stranger, task)  # may see the contact, not change it
    with pytest.raises(PermissionDenied):
        services.delete_task(stranger, task)
    # The responsible may close a task on a record they cannot see.
    private = make_contact(user)
    handed = make_task(user, contact=private, responsible_id=other_user.pk)
    assert services.close_task(other_user, handed).is_closed


def test_deleting_the_contact_leaves_its_tasks_with_their_responsible(
    user, make_contact, make_task
):
    from clientela.contacts.services import delete_contact

    contact = make_contact(user)
    task = make_task(user, contact=contact)
    delete_contact(user, contact)
    task.refresh_from_db()
    assert task.target_type is None and task.target_id is None
    assert Task.objects.visible_to(user).filter(pk=task.pk).exists()
