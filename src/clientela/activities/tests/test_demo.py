"""The demo notes and comments: written through the services on the demo records, idempotent,
and notifying only the few colleagues they mention."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clientela.accounts.models import User
from clientela.activities.demo import COMMENTS, NOTES, DemoWorld, load_activities_demo
from clientela.activities.kinds import COMMENT_ADDED, MENTION, NOTE_ADDED, NOTE_FOLLOW_UP
from clientela.activities.models import Comment, Note, TimelineEntry
from clientela.activities.rendering import render_markdown
from clientela.contacts.demo import load_demo_data
from clientela.contacts.models import Contact
from clientela.core.access import Action, can
from clientela.core.models import ChangeLogEntry
from clientela.mail.models import Notification, OutboxEmail, ScheduledReminder
from clientela.sales.demo import load_sales_demo
from clientela.sales.models import Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_records():
    load_demo_data()
    load_sales_demo()


def written():
    return {
        model.__name__: model.objects.count()
        for model in (
            Note,
            Comment,
            TimelineEntry,
            ChangeLogEntry,
            Notification,
            OutboxEmail,
            ScheduledReminder,
        )
    }


def test_nothing_is_written_without_the_demo_users():
    assert DemoWorld.load() is None
    assert load_activities_demo() == {"notes": 0, "comments": 0}
    assert not Note.objects.exists() and not Comment.objects.exists()


def test_notes_and_comments_land_on_contacts_and_opportunities_once(demo_records):
    assert load_activities_demo() == {"notes": len(NOTES), "comments": len(COMMENTS)}
    assert Note.objects.count() == len(NOTES) >= 25
    assert Comment.objects.count() == len(COMMENTS) >= 10
    first = written()

    assert load_activities_demo() == {"notes": 0, "comments": 0}
    assert written() == first

    notes = list(Note.objects.select_related("author", "category"))
    assert {note.target_type.model for note in notes} == {"contact", "opportunity"}
    assert {note.author.email for note in notes} == set(
        User.objects.filter(email__endswith="@clientela.test").values_list("email", flat=True)
    )
    assert sum(note.category is not None for note in notes) >= 15
    assert {note.category.icon for note in notes if note.category} >= {
        "telephone",
        "people",
        "envelope",
    }
    html = [str(render_markdown(note.text)) for note in notes]
    assert sum("<strong>" in h for h in html) >= 5
    assert sum("<li>" in h for h in html) >= 3
    # Through the services: each note on its record's timeline with its category.
    for note in notes:
        entry = TimelineEntry.objects.get(kind=NOTE_ADDED.key, source_id=note.pk)
        assert (entry.content_type_id, entry.object_id) == (note.target_type_id, note.target_id)
        assert entry.category_id == note.category_id
        assert can(
            note.author, Action.VIEW, note.target_type.get_object_for_this_type(pk=note.target_id)
        )
    assert TimelineEntry.objects.filter(kind=COMMENT_ADDED.key).count() == len(COMMENTS)

    # A few follow-ups, each one reminder for its author, on a day still to come.
    followed = [note for note in notes if note.follow_up]
    assert 2 <= len(followed) <= 4
    today = timezone.localdate()
    for note in followed:
        assert note.follow_up > today
        reminder = ScheduledReminder.objects.get(kind=NOTE_FOLLOW_UP.key, target_id=note.pk)
        assert reminder.recipient == note.author
        assert reminder.fire_at > timezone.now() + timedelta(hours=1)


def test_a_few_comments_mention_colleagues_who_see_the_record(demo_records):
    notifications_before = Notification.objects.count()
    load_activities_demo()

    mentioning = Comment.objects.filter(mentioned__isnull=False).distinct()
    assert 3 <= mentioning.count() <= 6
    for comment in mentioning.prefetch_related("mentioned"):
        model = Contact if comment.target_type.model == "contact" else Opportunity
        record = model.objects.get(pk=comment.target_id)
        for user in comment.mentioned.all():
            assert user != comment.author
            assert can(user, Action.VIEW, record)
    mentions = Notification.objects.filter(kind=MENTION.key)
    assert mentions.count() == sum(c.mentioned.count() for c in mentioning)
    # No storm: the mentions are all the demo notes and comments notify.
    assert Notification.objects.count() - notifications_before == mentions.count()
