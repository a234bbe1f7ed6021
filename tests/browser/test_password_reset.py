"""Forgot the password: from the log-in page, through the emailed link, to logging in anew."""

import re

import pytest

from clientela.mail.tests.conftest import smtp_settings  # noqa: F401 - the SMTP fixture
from clientela.mail.tests.worker import SmtpServer, free_port, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Paella-Valenciana-77"


def test_forgot_password_to_logging_in_with_the_new_one_through_the_emailed_link(
    new_page,
    user,
    smtp_settings,  # noqa: F811 - the fixture imported above
    settings,
    live_server,
):
    settings.CLIENTELA_BASE_URL = live_server.url
    page = new_page()
    with SmtpServer(free_port()) as smtp:
        smtp_settings(smtp.port)
        page.goto("/accounts/login/")
        page.click("#forgot-password")
        page.fill("input[name=email]", user.email)
        page.click("button[type=submit]")
        page.locator("#reset-link-sent").wait_for()
        wait_until(lambda: smtp.messages)
        [(recipients, message)] = smtp.messages
    assert recipients == [user.email]
    link = re.search(r"http://\S+/accounts/password-reset/\S+/", message.get_content()).group(0)
    assert link.startswith(live_server.url)

    page.goto(link)
    page.wait_for_url("**/set-password/")
    assert "set-password" in page.url and link not in page.url  # the token left the address
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=new_password_again]", NEW_PASSWORD + "?")
    page.click("button[type=submit]")
    assert page.locator("[data-field-error=new_password_again]").is_visible()
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=new_password_again]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/login/")
    assert "Your password was changed" in page.locator(".alert-success").inner_text()

    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/contacts/**")

    page.goto(link)
    assert page.locator("#reset-link-invalid").is_visible()
    page.click("#ask-again")
    page.wait_for_url("**/accounts/password-reset/")
