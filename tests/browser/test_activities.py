"""Notes and comments in a real browser: a Markdown note on a contact's timeline, and a
mention that reaches the mentioned user's bell."""

import pytest

from clientela.contacts import services as contact_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"


def test_a_markdown_note_shows_on_the_timeline(logged_in_page, user):
    contact = contact_services.create_contact(
        user, {"kind": "person", "first_name": "Eva", "last_name": "Sanz"}
    )
    page = logged_in_page
    page.goto(contact.get_absolute_url())
    page.click("#tab-timeline")
    page.locator("#note-form textarea[name=text]").wait_for()
    page.fill("#note-form textarea[name=text]", "Called her about the **offer** <script>x</script>")
    page.click("#note-save")
    page.wait_for_url("**?tab=timeline")
    note = page.locator("#timeline-list .timeline-note-text").first
    assert note.locator("strong").inner_text() == "offer"
    assert "<script>x</script>" in note.inner_text()  # shown as text, never run
    assert page.locator("#timeline-list script").count() == 0
    assert "Ana García added a note" in page.locator("#timeline-list").inner_text()


def test_a_mention_reaches_the_bell_of_the_mentioned_user(new_page, user, other_user):
    for person in (user, other_user):
        person.language = "en"
        person.save(update_fields=["language"])
    contact = contact_services.create_contact(
        user,
        {
            "kind": "person",
            "first_name": "Eva",
            "last_name": "Sanz",
            "shared_user_ids": [other_user.pk],
        },
    )
    page = new_page(user)
    page.goto(f"{contact.get_absolute_url()}?tab=timeline")
    box = page.locator("#comment-form textarea[name=text]")
    box.click()
    box.press_sequentially("Please call her @Bru")
    option = page.locator(".mention-option", has_text="Bruno Pérez")
    option.click()
    assert f"@[Bruno Pérez](user:{other_user.pk})" in box.input_value()
    page.click("#comment-save")
    page.wait_for_url("**?tab=timeline")
    comment = page.locator("#timeline-list .timeline-comment-text").first
    assert "@Bruno Pérez" in comment.inner_text()

    bruno = new_page(other_user)
    bruno.goto("/contacts/")
    bruno.click("#notification-bell-button")
    item = bruno.locator(".notification-items >> text=Ana García mentioned you on Eva Sanz")
    item.wait_for()
    item.click()
    bruno.wait_for_url("**?tab=timeline")
    assert "Please call her" in bruno.locator("#timeline-list").inner_text()
