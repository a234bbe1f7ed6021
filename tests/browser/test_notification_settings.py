"""An admin rewords a notification's Spanish email and sees the preview; a user opts out."""

import pytest

from clientela.mail.kinds import CONTACT_ASSIGNED
from clientela.mail.models import NotificationOptOut, NotificationSetting

pytestmark = pytest.mark.django_db(transaction=True)

KIND = CONTACT_ASSIGNED.key


def test_admin_edits_the_spanish_subject_and_sees_the_preview(new_page, admin_user):
    page = new_page(admin_user)
    page.goto("/settings/")
    page.click("a[href='/notifications/settings/']")
    page.locator(f"#kind-{KIND}").get_by_role("link", name="Edit").click()
    page.wait_for_url(f"**/notifications/settings/{KIND}/")

    page.fill("#id_subject_es", "Nuevo contacto para {recipient}: {name}")
    preview = page.locator("#setting-preview [data-language=es] .preview-subject")
    preview.filter(has_text="Nuevo contacto para Ana García: Lucía Fernández").wait_for()

    page.fill("#id_subject_es", "Nuevo contacto: {nombre}")
    page.locator("#setting-preview [data-language=es] .alert").get_by_text("{nombre}").wait_for()

    page.fill("#id_subject_es", "Nuevo contacto: {name}")
    preview.filter(has_text="Nuevo contacto: Lucía Fernández").wait_for()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/notifications/settings/")
    assert page.locator(f"#kind-{KIND}").get_by_text("Edited").is_visible()
    assert NotificationSetting.objects.get(kind=KIND).subject_es == "Nuevo contacto: {name}"


def test_admin_switches_a_kinds_email_off_from_the_list(new_page, admin_user):
    page = new_page(admin_user)
    page.goto("/notifications/settings/")
    page.locator(f"#email-{KIND}").click()
    page.locator(f"#kind-{KIND}").get_by_text("Off: bell only").wait_for()
    assert NotificationSetting.objects.get(kind=KIND).email_enabled is False


def test_a_user_opts_out_of_a_kind(new_page, user):
    page = new_page(user)
    page.goto("/notifications/")
    page.click("#email-preferences")
    page.wait_for_url("**/notifications/preferences/")
    switch = page.locator(f"#email-{KIND}")
    assert switch.is_checked()
    switch.uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your notification preferences were saved.").wait_for()
    assert not page.locator(f"#email-{KIND}").is_checked()
    assert list(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True)) == [
        KIND
    ]
