"""The demo tasks: every demo user's "Tasks at a glance" has each section filled, the tasks are
linked to demo contacts and opportunities, loading twice adds nothing, and hardly anyone is
notified."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from clientela.accounts.models import User
from clientela.contacts.demo import load_demo_data
from clientela.core.access import Action, can
from clientela.core.models import ChangeLogEntry
from clientela.mail.models import Notification, OutboxEmail, ScheduledReminder
from clientela.sales.demo import load_sales_demo
from clientela.tasks.demo import REMINDER_MARGIN, TASKS, load_tasks_demo
from clientela.tasks.filters import BUCKETS, DueWindows, TaskFilter
from clientela.tasks.models import Task
from clientela.tasks.queries import task_list
from clientela.tasks.services import TASK_ASSIGNED, TASK_REMINDER

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_records():
    load_demo_data()
    load_sales_demo()
    return list(User.objects.filter(email__endswith="@clientela.test").order_by("pk"))


def written() -> dict[str, int]:
    models = (Task, ChangeLogEntry, Notification, OutboxEmail, ScheduledReminder)
    return {model.__name__: model.objects.count() for model in models}


def glance(user, windows: DueWindows) -> dict[str, int]:
    """How many of `user`'s open tasks each at-a-glance section shows."""
    return {
        bucket: task_list(user, TaskFilter(due=bucket, scope="mine"), windows).count()
        for bucket in BUCKETS
    }


def test_every_section_of_each_users_glance_has_tasks_and_a_second_load_adds_nothing(
    demo_records,
):
    notifications_before = Notification.objects.count()
    emails_before = OutboxEmail.objects.count()

    assert load_tasks_demo() == len(TASKS) == Task.objects.count() >= 30
    windows = DueWindows.at()
    rest_of_week = windows.tomorrow < windows.week_end  # empty on Sundays, by definition
    for user in demo_records:
        sections = glance(user, windows)
        assert sections["overdue"] >= 1 and sections["today"] >= 1, (user, sections)
        assert sections["later"] >= 1, (user, sections)
        assert sections["week"] >= 1 or not rest_of_week, (user, sections)
        done = Task.objects.filter(responsible=user, closed_at__isnull=False)
        assert done.count() >= 2
        assert all(task.closed_by == user for task in done)

    first = written()
    assert load_tasks_demo() == 0
    assert written() == first

    # No storm: two tasks assigned by the admin notify their responsible; nothing else does.
    assigned = Notification.objects.filter(kind=TASK_ASSIGNED.key)
    assert assigned.count() == 2
    assert Notification.objects.count() - notifications_before == 2
    assert OutboxEmail.objects.count() - emails_before == 2
    # And no reminder fires as soon as a worker starts.
    reminders = ScheduledReminder.objects.filter(kind=TASK_REMINDER.key)
    assert 1 <= reminders.count() <= 10
    assert not reminders.filter(fire_at__lte=timezone.now() + REMINDER_MARGIN).exists()


def test_tasks_are_linked_to_records_their_responsible_sees(demo_records):
    load_tasks_demo()

    tasks = list(Task.objects.select_related("target_type", "responsible", "category"))
    linked = [task for task in tasks if task.target_type_id]
    assert {task.target_type.model for task in linked} == {"contact", "opportunity"}
    assert len(linked) >= 25
    for task in linked:
        record = task.target_type.get_object_for_this_type(pk=task.target_id)
        assert can(task.responsible, Action.VIEW, record), task
    assert {task.responsible for task in tasks} == set(demo_records)
    assert all(task.category is not None for task in tasks)
    assert {task.category.icon for task in tasks} >= {"telephone", "envelope", "people"}
    assert any(task.description for task in tasks)


def test_on_a_wednesday_the_rest_of_the_week_has_tasks_too(demo_records):
    today = timezone.localdate()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    now = datetime.combine(wednesday, time(8, 0), tzinfo=timezone.get_current_timezone())

    load_tasks_demo(now=now)

    windows = DueWindows.at(now)
    for user in demo_records:
        assert all(glance(user, windows).values()), user
