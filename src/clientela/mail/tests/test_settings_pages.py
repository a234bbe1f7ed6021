"""The notification settings pages (CRM admins), the preferences page (everyone), and the API."""

import pytest
from django.test import Client

from clientela.core.testing import api_client
from clientela.mail.kinds import CONTACT_ASSIGNED, NOTIFICATION_KINDS
from clientela.mail.models import NotificationOptOut, NotificationSetting, OutboxEmail
from clientela.mail.services import notify, save_email_preferences, save_notification_setting

KIND = CONTACT_ASSIGNED.key
SETTINGS_URLS = [
    "/notifications/settings/",
    f"/notifications/settings/{KIND}/",
]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


# --- who may open what -------------------------------------------------------------------------


@pytest.mark.parametrize("url", SETTINGS_URLS)
def test_settings_pages_are_for_admins_only(client, user, url):
    assert "/accounts/login/" in Client().get(url)["Location"]
    client.force_login(user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "url", [f"/notifications/settings/{KIND}/email/", f"/notifications/settings/{KIND}/preview/"]
)
def test_settings_posts_are_for_admins_only(client, user, url):
    client.force_login(user)
    assert client.post(url, {"email_enabled": ""}).status_code == 403
    assert not NotificationSetting.objects.exists()


def test_the_settings_index_links_the_notification_settings(admin_client):
    page = admin_client.get("/settings/").content.decode()
    assert 'href="/notifications/settings/"' in page


# --- the settings list -------------------------------------------------------------------------


def test_the_list_shows_every_kind_and_explains_the_switch(admin_client):
    page = admin_client.get("/notifications/settings/").content.decode()
    for kind in NOTIFICATION_KINDS.values():
        assert str(kind.label) in page and f"/notifications/settings/{kind.key}/" in page
    assert "the notification still appears under the bell" in page


def test_the_switch_turns_emails_off_and_answers_htmx_with_the_row(admin_client):
    response = admin_client.post(f"/notifications/settings/{KIND}/email/", HTTP_HX_REQUEST="true")
    row = response.content.decode()
    assert response.status_code == 200 and row.startswith("<tr") and "Off: bell only" in row
    assert NotificationSetting.objects.get(kind=KIND).email_enabled is False
    response = admin_client.post(f"/notifications/settings/{KIND}/email/", {"email_enabled": "on"})
    assert response.status_code == 302
    assert NotificationSetting.objects.get(kind=KIND).email_enabled is True


def test_switching_an_unknown_kind_is_404(admin_client):
    assert admin_client.post("/notifications/settings/nope/email/").status_code == 404
    assert admin_client.get("/notifications/settings/nope/").status_code == 404


def test_settings_list_query_budget(admin_client, admin_user, django_assert_max_num_queries):
    with django_assert_max_num_queries(8) as captured:
        admin_client.get("/notifications/settings/")
    few = len(captured)
    for key in NOTIFICATION_KINDS:
        save_notification_setting(admin_user, key, {"email_enabled": False, "subject_en": "Hi"})
    with django_assert_max_num_queries(few):
        assert "Edited" in admin_client.get("/notifications/settings/").content.decode()


# --- editing one kind --------------------------------------------------------------------------


def form_data(**overrides):
    data = {
        "email_enabled": "on",
        "version": "1",
        "subject_es": "Ahora eres gerente de {name}",
        "body_es": "Ahora eres gerente de {name}\n\n{url}\n",
        "subject_en": "You are now a manager of {name}",
        "body_en": "You are now a manager of {name}\n\n{url}\n",
    }
    data.update(overrides)
    return data


def test_the_edit_page_shows_defaults_placeholders_and_a_preview(admin_client):
    page = admin_client.get(f"/notifications/settings/{KIND}/").content.decode()
    assert "Ahora eres gerente de {name}" in page  # the default, ready to edit
    assert "<code>{name}</code>" in page and "<code>{recipient}</code>" in page
    assert "<code>{url}</code>" in page
    assert "Ahora eres gerente de Lucía Fernández" in page  # the preview's sample value
    assert 'hx-post="/notifications/settings/contact_assigned/preview/"' in page


def test_saving_the_spanish_subject(admin_client):
    response = admin_client.post(
        f"/notifications/settings/{KIND}/", form_data(subject_es="Nuevo contacto: {name}")
    )
    assert response.status_code == 302 and response["Location"] == "/notifications/settings/"
    setting = NotificationSetting.objects.get(kind=KIND)
    assert setting.subject_es == "Nuevo contacto: {name}"
    assert setting.subject_en == "" and setting.body_es == ""  # defaults stay defaults


def test_bad_placeholders_show_on_their_field_and_save_nothing(admin_client):
    response = admin_client.post(
        f"/notifications/settings/{KIND}/", form_data(body_en="Hi {recipient}, {nombre}")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="body_en"' in page and "{nombre}" in page
    assert not NotificationSetting.objects.exists()


def test_a_stale_version_shows_the_conflict(admin_client, admin_user):
    save_notification_setting(admin_user, KIND, {"subject_en": "Theirs {name}"})
    response = admin_client.post(f"/notifications/settings/{KIND}/", form_data(subject_en="Mine"))
    assert "changed by someone else" in response.content.decode()
    assert NotificationSetting.objects.get().subject_en == "Theirs {name}"


def test_the_preview_fills_sample_values_and_names_unknown_placeholders(admin_client):
    response = admin_client.post(
        f"/notifications/settings/{KIND}/preview/",
        form_data(subject_es="Hola {recipient}: {name}", body_es="{oops}"),
        HTTP_HX_REQUEST="true",
    )
    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment
    assert "Hola Ana García: Lucía Fernández" in fragment
    assert "{oops}" in fragment and "Unknown placeholder" in fragment
    assert not NotificationSetting.objects.exists()


# --- preferences -------------------------------------------------------------------------------


def test_preferences_need_login(db):
    assert "/accounts/login/" in Client().get("/notifications/preferences/")["Location"]


def test_a_user_opts_out_of_a_kind(client, user, admin_user):
    save_notification_setting(admin_user, "access_granted", {"email_enabled": False})
    client.force_login(user)
    page = client.get("/notifications/preferences/").content.decode()
    assert str(CONTACT_ASSIGNED.label) in page
    assert "The administrator sends no email of this kind." in page
    # Everything on but CONTACT_ASSIGNED; the admin's switched-off kind is not posted.
    others = [k for k in NOTIFICATION_KINDS if k not in (KIND, "access_granted")]
    response = client.post("/notifications/preferences/", {"email": others})
    assert response.status_code == 302
    assert list(NotificationOptOut.objects.values_list("kind", flat=True)) == [KIND]
    notify(user, KIND, {"name": "Eva"}, "/contacts/1/")
    assert not OutboxEmail.objects.exists()


def test_the_notifications_page_links_the_preferences(client, user):
    client.force_login(user)
    assert 'href="/notifications/preferences/"' in client.get("/notifications/").content.decode()


# --- API ---------------------------------------------------------------------------------------


def test_api_my_notifications_list_and_mark_read(user, other_user):
    mine = [notify(user, KIND, {"name": f"N{n}"}, "/contacts/1/", email=False) for n in range(3)]
    notify(other_user, KIND, {"name": "Not yours"}, email=False)
    api = api_client(user)
    body = api.get("/api/v1/notifications").json()
    assert [item["id"] for item in body["items"]] == [n.pk for n in reversed(mine)]
    assert body["items"][0]["text"] and body["items"][0]["read_at"] is None
    marked = api.post("/api/v1/notifications/read", {"ids": [mine[0].pk]}).json()
    assert marked == {"marked": 1}
    unread = api.get("/api/v1/notifications?unread=true").json()["items"]
    assert {item["id"] for item in unread} == {mine[1].pk, mine[2].pk}
    assert api.post("/api/v1/notifications/read", {}).json() == {"marked": 2}
    assert api.post("/api/v1/notifications/read", {"ids": ["x"]}).status_code == 422
    assert api_client().get("/api/v1/notifications").status_code == 401


def test_api_preferences_get_and_put(user):
    api = api_client(user)
    rows = api.get("/api/v1/notifications/preferences").json()
    assert {row["kind"] for row in rows} == set(NOTIFICATION_KINDS)
    response = api.put("/api/v1/notifications/preferences", {"emails": {KIND: False}})
    assert response.status_code == 200
    assert {r["kind"]: r["email"] for r in response.json()}[KIND] is False
    bad = api.put("/api/v1/notifications/preferences", {"emails": {"nope": False}})
    assert bad.status_code == 400 and "nope" in bad.json()["errors"]
    assert api.put("/api/v1/notifications/preferences", {"emails": {KIND: "x"}}).status_code == 422


def test_api_settings_are_for_admins(user):
    api = api_client(user)
    assert api.get("/api/v1/notification-settings").status_code == 403
    assert api.get(f"/api/v1/notification-settings/{KIND}").status_code == 403
    response = api.put(f"/api/v1/notification-settings/{KIND}", {"email_enabled": False})
    assert response.status_code == 403 and not NotificationSetting.objects.exists()


def test_api_settings_read_and_update(admin_user):
    api = api_client(admin_user)
    listed = api.get("/api/v1/notification-settings").json()
    assert {row["kind"] for row in listed} == set(NOTIFICATION_KINDS)
    response = api.get(f"/api/v1/notification-settings/{KIND}")
    body = response.json()
    assert response["ETag"] == '"1"' and body["subject_es"] == "Ahora eres gerente de {name}"
    assert {p["name"] for p in body["placeholders"]} == {"name", "recipient", "url"}
    assert body["customised"] == []

    response = api.put(
        f"/api/v1/notification-settings/{KIND}",
        {"subject_es": "Nuevo: {name}", "email_enabled": False},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200 and response["ETag"] == '"2"'
    body = response.json()
    assert body["subject_es"] == "Nuevo: {name}" and body["email_enabled"] is False
    assert body["customised"] == ["subject_es"]

    stale = api.put(
        f"/api/v1/notification-settings/{KIND}", {"subject_es": "x"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    bad = api.put(f"/api/v1/notification-settings/{KIND}", {"body_en": "{who}", "subject_es": None})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"body_en", "subject_es"}
    assert api.get("/api/v1/notification-settings/nope").status_code == 404
    assert api.put("/api/v1/notification-settings/nope", {}).status_code == 404
    assert NotificationSetting.objects.get().subject_es == "Nuevo: {name}"


def test_api_settings_list_query_budget(admin_user, django_assert_max_num_queries):
    api = api_client(admin_user)
    with django_assert_max_num_queries(6) as captured:
        api.get("/api/v1/notification-settings")
    few = len(captured)
    save_email_preferences(admin_user, {KIND: False})
    for key in NOTIFICATION_KINDS:
        save_notification_setting(admin_user, key, {"subject_en": "Hi"})
    with django_assert_max_num_queries(few):
        api.get("/api/v1/notification-settings")
