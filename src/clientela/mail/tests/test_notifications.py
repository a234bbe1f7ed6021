"""The bell, its polled fragment, and the notifications page."""

from django.test import Client

from clientela.mail.kinds import CONTACT_ASSIGNED
from clientela.mail.models import Notification
from clientela.mail.services import notify


def make_notification(recipient, name="Eva Sanz", url="/contacts/1/"):
    return notify(recipient, CONTACT_ASSIGNED.key, {"name": name}, url, email=False)


def test_notification_pages_need_login(db):
    anonymous = Client()
    for url in ["/notifications/", "/notifications/bell/"]:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_page_shell_shows_the_unread_count_and_polls_the_bell(client, user):
    make_notification(user)
    make_notification(user, "Second")
    client.force_login(user)
    page = client.get("/notifications/").content.decode()
    assert 'id="unread-count">2<' in page
    assert 'hx-get="/notifications/bell/"' in page and "every 30s" in page


def test_bell_fragment_lists_the_latest_and_counts_unread(client, user, other_user):
    first = make_notification(user, "Oldest")
    for n in range(9):
        make_notification(user, f"News {n}")
    make_notification(other_user, "Not yours")
    Notification.objects.filter(pk=first.pk).update(read_at=first.created_at)
    client.force_login(user)
    response = client.get("/notifications/bell/", HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment
    assert 'id="unread-count">9<' in fragment
    assert "News 8" in fragment and "Not yours" not in fragment
    assert "Oldest" not in fragment  # only the latest eight


def test_bell_without_unread_shows_no_badge(client, user):
    client.force_login(user)
    fragment = client.get("/notifications/bell/").content.decode()
    assert 'id="unread-count"' not in fragment and "Nothing new." in fragment


def test_bell_fragment_query_budget(client, user, django_assert_max_num_queries):
    client.force_login(user)
    make_notification(user)
    with django_assert_max_num_queries(4) as captured:
        client.get("/notifications/bell/")
    few = len(captured)
    for n in range(20):
        make_notification(user, f"n{n}")
    with django_assert_max_num_queries(few):
        client.get("/notifications/bell/")


def test_notification_list_query_budget(client, user, django_assert_max_num_queries):
    client.force_login(user)
    make_notification(user)
    with django_assert_max_num_queries(8) as captured:
        client.get("/notifications/")
    few = len(captured)
    for n in range(30):
        make_notification(user, f"n{n}")
    with django_assert_max_num_queries(few):
        assert "n29" in client.get("/notifications/").content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_url(client, user):
    notification = make_notification(user, url="/contacts/42/")
    other = make_notification(user)
    client.force_login(user)
    response = client.get(f"/notifications/{notification.pk}/")
    assert response.status_code == 302 and response["Location"] == "/contacts/42/"
    notification.refresh_from_db()
    other.refresh_from_db()
    assert notification.read_at is not None and other.read_at is None


def test_opening_never_redirects_off_site(client, user):
    notification = make_notification(user, url="https://evil.example/phish")
    client.force_login(user)
    response = client.get(f"/notifications/{notification.pk}/")
    assert response["Location"] == "/notifications/"


def test_someone_elses_notification_is_404_and_stays_unread(client, user, other_user):
    theirs = make_notification(other_user)
    client.force_login(user)
    assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_is_a_post_and_touches_only_mine(client, user, other_user):
    for _n in range(3):
        make_notification(user)
    theirs = make_notification(other_user)
    client.force_login(user)
    assert client.get("/notifications/read-all/").status_code == 405
    response = client.post("/notifications/read-all/")
    assert response.status_code == 302
    assert not user.notifications.filter(read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_from_the_bell_returns_the_refreshed_bell(client, user):
    make_notification(user)
    client.force_login(user)
    response = client.post("/notifications/read-all/", HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200 and 'id="unread-count"' not in fragment
    assert "<html" not in fragment


def test_a_notification_reads_in_the_language_its_reader_has_now(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    make_notification(user, "Eva Sanz")
    client.force_login(user)
    assert "You are now a manager of Eva Sanz" in client.get("/notifications/").content.decode()
    user.language = "es"
    user.save(update_fields=["language"])
    assert "Ahora eres gerente de Eva Sanz" in client.get("/notifications/").content.decode()
