"""Browser journeys of accounts: log-in errors, language switch, API tokens, the bell."""

import pytest

from clientela.accounts.models import ApiToken, User
from clientela.mail.kinds import CONTACT_ASSIGNED
from clientela.mail.services import notify

pytestmark = pytest.mark.django_db(transaction=True)


def test_wrong_password_shows_a_message_and_stays_on_login(new_page, user):
    page = new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", "not-it")
    page.click("button[type=submit]")
    page.locator("#login-error").wait_for()
    assert "/accounts/login/" in page.url


def test_switch_language_to_spanish_and_back(logged_in_page, user):
    page = logged_in_page
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("#user-menu")
    page.click("a[href='/accounts/profile/']")
    page.select_option("select[name=language]", "es")
    page.click("button[name=save_profile]")
    page.wait_for_url("**/accounts/profile/")
    assert page.locator("html").get_attribute("lang") == "es"
    user.refresh_from_db()
    assert user.language == "es"
    # Still Spanish on the next page, without asking again.
    page.goto("/contacts/")
    assert page.locator("html").get_attribute("lang") == "es"
    page.goto("/accounts/profile/")
    page.select_option("select[name=language]", "en")
    page.click("button[name=save_profile]")
    page.wait_for_url("**/accounts/profile/")
    assert page.locator("html").get_attribute("lang") == "en"


def test_create_a_token_see_it_once_then_revoke_it(logged_in_page, user):
    page = logged_in_page
    page.goto("/accounts/tokens/")
    page.fill("input[name=name]", "Spreadsheet sync")
    page.click("text=Create token")
    key = page.locator("#new-token-key").input_value()
    assert key.startswith("clt_")
    token = ApiToken.objects.get(user=user)
    assert key.startswith(token.hint)
    page.reload()
    assert page.locator("#new-token-key").count() == 0
    assert key not in page.content()
    assert page.locator(f"#token-{token.pk}").is_visible()
    page.click(f"#token-{token.pk} >> text=Revoke")
    page.click("button:has-text('Revoke')")
    page.wait_for_url("**/accounts/tokens/")
    assert page.locator(f"#token-{token.pk}").count() == 0
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_bell_opens_the_latest_and_following_one_marks_it_read(logged_in_page, user):
    notification = notify(
        user,
        CONTACT_ASSIGNED.key,
        {"name": "Eva Sanz"},
        "/accounts/profile/",
        email=False,
    )
    page = logged_in_page
    page.goto("/accounts/tokens/")
    assert page.locator("#unread-count").inner_text().startswith("1")
    page.click("#notification-bell-button")
    item = page.locator(".notification-items >> text=You are now a manager of Eva Sanz")
    item.wait_for()
    item.click()
    page.wait_for_url("**/accounts/profile/")
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert page.locator("#unread-count").count() == 0


def test_admin_creates_a_user_in_settings(new_page, admin_user):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    page = new_page(admin_user)
    page.click("a[href='/settings/']")
    page.click("a[href='/settings/users/']")
    page.click("text=New user")
    page.fill("input[name=email]", "dora@example.com")
    page.fill("input[name=first_name]", "Dora")
    page.fill("input[name=last_name]", "Ruiz")
    page.select_option("select[name=role]", "user")
    page.fill("input[name=password]", "Welcome-2-Clientela")
    page.click("button:has-text('Create user')")
    page.wait_for_url("**/settings/users/")
    assert page.locator("#user-list >> text=dora@example.com").is_visible()
    assert User.objects.get(email="dora@example.com").check_password("Welcome-2-Clientela")


def test_admin_edits_a_list_value_in_place_and_sees_why_a_used_one_stays(new_page, admin_user):
    from clientela.contacts import services as contact_services
    from clientela.contacts.models import Source
    from clientela.core import services as platform_services

    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    web = platform_services.save_list_item(admin_user, Source, None, {"name": "Web"})
    contact_services.create_contact(
        admin_user,
        {"kind": "company", "company_name": "Acme", "source_id": web.pk},
    )
    page = new_page(admin_user)
    page.goto("/settings/lists/sources/")
    row = page.locator(f"#item-{web.pk}")
    row.locator("text=Edit").click()
    name_input = row.locator("input[name=name]")
    name_input.wait_for()
    url_before = page.url
    name_input.fill("Website")
    row.locator("button:has-text('Save')").click()
    page.locator(f"#item-{web.pk} >> text=Website").wait_for()
    assert page.url == url_before  # swapped in place, no page load
    web.refresh_from_db()
    assert web.name == "Website"
    page.locator(f"#item-{web.pk} >> text=Delete").click()
    # Said before anything is tried, and nothing to press but "Back".
    assert "still used by 1 contact" in page.locator("#delete-error").inner_text()
    assert page.locator("button:has-text('Delete')").count() == 0
    assert Source.objects.filter(pk=web.pk).exists()
