"""The admin's notification settings and each user's email opt-outs, as notify() honours them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from clientela.core.errors import ConflictError
from clientela.core.models import ChangeLogEntry
from clientela.mail import wording
from clientela.mail.kinds import CONTACT_ASSIGNED, NOTIFICATION_KINDS
from clientela.mail.models import Notification, NotificationSetting, OutboxEmail
from clientela.mail.queries import email_preferences, notification_setting, notification_settings
from clientela.mail.services import notify, save_email_preferences, save_notification_setting

KIND = CONTACT_ASSIGNED.key


def assign(recipient, name="Eva Sanz"):
    return notify(recipient, KIND, {"name": name}, "/contacts/7/")


# --- wording -----------------------------------------------------------------------------------


def test_defaults_are_the_kinds_text_with_braces_and_the_link():
    assert wording.default_subject(CONTACT_ASSIGNED, "en") == "You are now a manager of {name}"
    assert wording.default_subject(CONTACT_ASSIGNED, "es") == "Ahora eres gerente de {name}"
    assert wording.default_body(CONTACT_ASSIGNED, "en") == (
        "You are now a manager of {name}\n\n{url}\n"
    )


def test_unknown_placeholders_are_found_once_each_in_order():
    allowed = {"name", "url"}
    text = "{name} {who} {url} {name.__class__} {who} {}"
    assert wording.unknown_placeholders(text, allowed) == ["who", "name.__class__", ""]


def test_filling_replaces_known_names_only_and_never_formats():
    assert wording.fill("{name} {x} {name.__class__}", {"name": "Eva"}) == (
        "Eva {x} {name.__class__}"
    )


# --- the admin's settings ----------------------------------------------------------------------


def test_only_admins_change_notification_settings(user):
    with pytest.raises(PermissionDenied):
        save_notification_setting(user, KIND, {"email_enabled": False})
    assert not NotificationSetting.objects.exists()


def test_an_unknown_kind_is_not_found(admin_user):
    with pytest.raises(Http404):
        save_notification_setting(admin_user, "no_such_kind", {"email_enabled": False})


def test_saving_records_the_change_and_bumps_the_version(admin_user):
    setting = save_notification_setting(
        admin_user, KIND, {"subject_es": "Te asignaron {name}"}, expected_version=1
    )
    assert setting.subject_es == "Te asignaron {name}" and setting.version == 2
    entry = ChangeLogEntry.objects.get()
    assert entry.actor == admin_user and entry.after["subject_es"] == "Te asignaron {name}"
    with pytest.raises(ConflictError):
        save_notification_setting(admin_user, KIND, {"subject_es": "x"}, expected_version=1)


def test_bad_wording_is_refused_by_field_naming_the_placeholders(admin_user):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        save_notification_setting(
            admin_user,
            KIND,
            {
                "subject_es": "Hola {nombre}\ny más",
                "body_en": "{name} {when} {url} {when}",
                "subject_en": "x" * 201,
            },
        )
    errors = caught.value.message_dict
    assert set(errors) == {"subject_es", "body_en", "subject_en"}
    assert any("{nombre}" in m for m in errors["subject_es"])
    assert any("one line" in m for m in errors["subject_es"])
    assert any("{when}" in m and "{recipient}" in m for m in errors["body_en"])
    assert any("200" in m for m in errors["subject_en"])
    assert not NotificationSetting.objects.exists()


def test_a_text_equal_to_the_default_is_stored_blank(admin_user):
    setting = save_notification_setting(
        admin_user,
        KIND,
        {
            "subject_en": wording.default_subject(CONTACT_ASSIGNED, "en"),
            "body_en": wording.default_body(CONTACT_ASSIGNED, "en") + "\n",
        },
    )
    assert setting.subject_en == "" and setting.body_en == ""


def test_every_registered_kind_is_listed_with_its_settings(admin_user, django_assert_num_queries):
    save_notification_setting(admin_user, KIND, {"email_enabled": False})
    with django_assert_num_queries(1):
        rows = notification_settings()
    assert {kind.key for kind, _s in rows} == set(NOTIFICATION_KINDS)
    settings = {kind.key: s for kind, s in rows}
    assert settings[KIND].email_enabled is False
    assert (
        settings["access_granted"].email_enabled is True and settings["access_granted"].pk is None
    )


# --- notify() honours them ---------------------------------------------------------------------


def test_without_settings_the_email_is_the_kinds_text_and_the_link(user, settings):
    assign(user)
    email = OutboxEmail.objects.get()
    assert email.subject == "You are now a manager of Eva Sanz"
    assert (
        email.body
        == f"You are now a manager of Eva Sanz\n\n{settings.CLIENTELA_BASE_URL}/contacts/7/\n"
    )


def test_the_admins_wording_in_the_recipients_language(admin_user, user, other_user, settings):
    save_notification_setting(
        admin_user,
        KIND,
        {
            "subject_es": "Te asignaron {name}",
            "body_es": "Hola {recipient}:\n\n{name} es tuyo: {url}",
        },
    )
    other_user.language = "es"
    other_user.save(update_fields=["language"])
    assign(other_user)
    assign(user)  # English: nothing set for it, so the default
    spanish, english = OutboxEmail.objects.order_by("pk")
    assert spanish.subject == "Te asignaron Eva Sanz"
    assert spanish.body == (
        f"Hola Bruno Pérez:\n\nEva Sanz es tuyo: {settings.CLIENTELA_BASE_URL}/contacts/7/"
    )
    assert english.subject == "You are now a manager of Eva Sanz"


def test_line_breaks_in_values_never_reach_the_subject(admin_user, user):
    save_notification_setting(admin_user, KIND, {"subject_en": "New: {name}"})
    assign(user, "Eva\r\nBcc: x@example.com")
    assert OutboxEmail.objects.get().subject == "New: Eva Bcc: x@example.com"


def test_a_kind_switched_off_sends_no_email_but_rings_the_bell(admin_user, user):
    save_notification_setting(admin_user, KIND, {"email_enabled": False})
    assign(user)
    assert Notification.objects.filter(recipient=user).count() == 1
    assert not OutboxEmail.objects.exists()
    save_notification_setting(admin_user, KIND, {"email_enabled": True})
    assign(user)
    assert OutboxEmail.objects.count() == 1


def test_a_user_who_opted_out_gets_no_email_others_still_do(user, other_user):
    save_email_preferences(user, {KIND: False})
    assign(user)
    assign(other_user)
    assert Notification.objects.count() == 2
    assert [e.to for e in OutboxEmail.objects.all()] == [other_user.email]
    save_email_preferences(user, {KIND: True})
    assign(user)
    assert OutboxEmail.objects.filter(to=user.email).count() == 1


def test_preferences_list_every_kind_and_what_the_admin_switched_off(admin_user, user):
    save_notification_setting(admin_user, "access_granted", {"email_enabled": False})
    save_email_preferences(user, {KIND: False})
    save_email_preferences(user, {KIND: False})  # idempotent
    rows = {row["kind"]: row for row in email_preferences(user)}
    assert set(rows) == set(NOTIFICATION_KINDS)
    assert rows[KIND]["email"] is False and rows[KIND]["switched_off_by_admin"] is False
    assert rows["access_granted"]["email"] is True
    assert rows["access_granted"]["switched_off_by_admin"] is True


def test_bad_preferences_are_refused_by_kind_and_change_nothing(user):
    with pytest.raises(ValidationError) as caught:
        save_email_preferences(user, {KIND: False, "nope": False, "access_granted": "yes"})
    assert set(caught.value.message_dict) == {"nope", "access_granted"}
    assert all(row["email"] for row in email_preferences(user))


def test_an_unsaved_kind_reads_as_its_defaults_with_version_one(db):
    kind, setting = notification_setting(KIND)
    assert kind is CONTACT_ASSIGNED and setting.pk is None and setting.version == 1
    assert setting.email_enabled is True


def test_every_registered_kinds_default_wording_saves_back_unchanged(admin_user):
    """Whatever the apps registered, the admin can save the defaults as they are shown."""
    for key, kind in NOTIFICATION_KINDS.items():
        texts = {}
        for code in wording.LANGUAGE_CODES:
            texts[f"subject_{code}"] = wording.default_subject(kind, code)
            texts[f"body_{code}"] = wording.default_body(kind, code)
        setting = save_notification_setting(admin_user, key, texts)
        assert all(getattr(setting, name) == "" for name in texts), key


def test_a_kind_whose_text_uses_an_unlisted_placeholder_still_offers_it():
    from clientela.mail.kinds import NotificationKind

    kind = NotificationKind("x", "X", "%(title)s by %(actor)s", ("title",))
    assert list(wording.placeholders(kind)) == ["title", "actor", "recipient", "url"]
