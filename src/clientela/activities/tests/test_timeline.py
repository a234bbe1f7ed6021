"""The timeline: events of any app and the change log, merged newest first, paginated,
filterable, in a constant number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from clientela.activities.models import HistoryCategory, TimelineEntry
from clientela.activities.timeline import (
    CHANGE_KIND,
    record_event,
    register_timeline_kind,
    remove_events,
    timeline_page,
)
from clientela.contacts import services as contact_services

pytestmark = pytest.mark.django_db

register_timeline_kind("test_event", "Test event", "star", "%(actor)s did %(what)s")


def person(actor, first="Lucía", last="Martín", **extra):
    return contact_services.create_contact(
        actor, {"kind": "person", "first_name": first, "last_name": last, **extra}
    )


def test_the_seeded_categories_exist():
    names = set(HistoryCategory.objects.values_list("name", flat=True))
    icons = set(HistoryCategory.objects.values_list("icon", flat=True))
    assert len(names) >= 4
    assert {"telephone", "envelope", "people", "journal-text"} <= icons


def test_record_event_reads_in_the_readers_language(user):
    contact = person(user)
    entry = record_event(contact, "test_event", user, {"what": "a thing"})
    assert entry.object_id == contact.pk
    page = timeline_page(contact)
    texts = [item.text for item in page.items]
    assert "Ana García did a thing" in texts
    # The change log (contact created) is merged in, older than the event.
    assert page.items[-1].kind == CHANGE_KIND
    assert page.items[0].kind == "test_event"


def test_unknown_params_fall_back_to_the_label(user):
    contact = person(user)
    record_event(contact, "test_event", user, {})
    assert timeline_page(contact, kind="test_event").items[0].text == "Test event"


def test_merge_is_newest_first_and_pages_do_not_overlap(user):
    contact = person(user)
    now = timezone.now()
    for n in range(7):
        record_event(contact, "test_event", user, {"what": n}, at=now - timedelta(minutes=n))
    for n in range(3):
        contact_services.update_contact(user, contact, {"position": f"P{n}"})
    seen = []
    offset = 0
    while True:
        page = timeline_page(contact, offset=offset, limit=4)
        seen.extend(page.items)
        if not page.has_next:
            break
        offset = page.next_offset
    assert len(seen) == 7 + 3 + 1
    stamps = [item.at for item in seen]
    assert stamps == sorted(stamps, reverse=True)
    assert page.counted and page.count == 11


def test_filter_by_category_and_kind(user):
    contact = person(user)
    call = HistoryCategory.objects.get(icon="telephone")
    record_event(contact, "test_event", user, {"what": "called"}, category=call)
    record_event(contact, "test_event", user, {"what": "wrote"})
    only_calls = timeline_page(contact, category=call.pk).items
    assert [i.text for i in only_calls] == ["Ana García did called"]
    assert only_calls[0].icon == "telephone"
    only_changes = timeline_page(contact, kind=CHANGE_KIND).items
    assert {i.kind for i in only_changes} == {CHANGE_KIND}


def test_change_entries_name_the_changed_fields(user):
    contact = person(user)
    contact_services.update_contact(user, contact, {"position": "Boss"})
    with translation.override("en"):
        item = timeline_page(contact, kind=CHANGE_KIND).items[0]
    assert "changed" in item.text
    assert any(after == "Boss" for _label, _before, after in item.changes)


def test_remove_events_of_a_source(user):
    contact = person(user)
    other = person(user, "Otra")
    record_event(contact, "test_event", user, {"what": "x"}, source=other)
    assert remove_events(other) == 1
    assert not TimelineEntry.objects.exists()


def test_query_count_is_constant(user, django_assert_max_num_queries):
    contact = person(user)
    for n in range(30):
        record_event(contact, "test_event", user, {"what": n})
        contact_services.update_contact(user, contact, {"position": f"P{n}"})
    with django_assert_max_num_queries(3):
        page = timeline_page(contact, limit=25)
        [item.text for item in page.items]
    assert len(page.items) == 25 and page.has_next
