"""“Forgot your password?”: a link by email, through the outbox, to a real SMTP server."""

import re
import time
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from clientela.accounts import services
from clientela.accounts.models import PasswordResetRequest, User
from clientela.core.models import ChangeLogEntry
from clientela.mail.models import OutboxEmail
from clientela.mail.tests.worker import SmtpServer, free_port, running_consumer, wait_until

PASSWORD = "s3cret-Pass!"
NEW_PASSWORD = "Tortilla-de-patatas-42"
SAME_ANSWER = "If an account exists for that address, we have sent it a link"
LINK = re.compile(r"https?://\S+/accounts/password-reset/[^/\s]+/[^/\s]+/")


def ask_for_link(client, email, **extra):
    return client.post("/accounts/password-reset/", {"email": email}, **extra)


def link_in(body: str) -> str:
    """The path of the reset link in an email's body."""
    return re.sub(r"^https?://[^/]+", "", LINK.search(body).group(0))


def emailed_link(user) -> str:
    """The link the email would carry now, made from the account as it is stored."""
    return link_in(services.password_reset_email(User.objects.get(pk=user.pk))[1])


def choose_password(client, link, password=NEW_PASSWORD, again=None):
    """Open the emailed link and submit the new password; returns the answer to the POST."""
    opened = client.get(link)
    assert opened.status_code == 302, opened.content.decode()[:500]
    form_url = opened["Location"]
    assert form_url.endswith("/set-password/")
    return client.post(
        form_url, {"new_password": password, "new_password_again": again or password}
    )


def log_in(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def sessions_of(user) -> int:
    return sum(
        1
        for session in Session.objects.all()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    )


@pytest.fixture
def smtp(smtp_settings, settings):
    """A real SMTP server on loopback that receives whatever the outbox delivers."""
    settings.CLIENTELA_BASE_URL = "http://testserver"
    with SmtpServer(free_port()) as server:
        smtp_settings(server.port)
        yield server


def received_by(smtp, address):
    return [message for recipients, message in smtp.messages if recipients == [address]]


# --- The way in ---------------------------------------------------------------------------------


def test_the_login_page_and_the_lock_out_page_offer_the_reset(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password-reset/"' in page and "Forgot your password?" in page
    form = client.get("/accounts/password-reset/")
    assert form.status_code == 200 and 'name="email"' in form.content.decode()


def test_a_badly_typed_address_is_shown_on_its_field_and_nothing_is_recorded(client, db):
    response = ask_for_link(client, "ana-at-example.com")
    assert response.status_code == 400
    assert 'data-field-error="email"' in response.content.decode()
    assert ask_for_link(client, "").status_code == 400
    assert not PasswordResetRequest.objects.exists()


# --- The whole journey, over SMTP -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_link_arrives_over_smtp_sets_the_password_once_and_then_says_it_is_used(
    client, user, smtp
):
    response = ask_for_link(client, "  ANA@example.com ")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert SAME_ANSWER in client.get(response["Location"]).content.decode()

    [message] = received_by(smtp, user.email)
    assert message["Subject"] == "Choose a new password for Clientela"
    body = message.get_content()
    assert "Hello Ana," in body and "expires in 1 hour" in body
    assert body.count("http://testserver/accounts/password-reset/") == 1
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT
    link = link_in(body)

    done = choose_password(client, link)
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    login_page = client.get("/accounts/login/").content.decode()
    assert "Your password was changed. Log in with the new one." in login_page
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    change = ChangeLogEntry.objects.filter(object_id=user.pk, content_type__model="user").last()
    assert change.actor == user and "password" in change.after
    assert NEW_PASSWORD not in str(change.after)

    # Used: the same link, from this browser or any other, now says so and offers a new one.
    for browser in (client, Client(HTTP_ACCEPT_LANGUAGE="en")):
        used = browser.get(link)
        page = used.content.decode()
        assert used.status_code == 200 and 'id="reset-link-invalid"' in page
        assert "This link no longer works" in page
        assert 'href="/accounts/password-reset/"' in page
        assert 'name="new_password"' not in page
    assert log_in(Client(), user.email, PASSWORD).status_code == 200
    assert log_in(Client(), user.email, NEW_PASSWORD).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_huey_s_own_worker_looks_the_address_up_and_delivers_through_the_outbox(
    client, user, smtp, queue
):
    ask_for_link(client, user.email)
    assert not smtp.messages and not OutboxEmail.objects.exists(), "nothing before the worker"
    with running_consumer(queue):

        def delivered():
            return OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).exists()

        wait_until(delivered)
        time.sleep(0.3)  # room for a duplicate delivery, which must not happen
    [message] = received_by(smtp, user.email)
    assert choose_password(client, link_in(message.get_content())).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_spanish_user_gets_the_email_in_spanish(client, make_user, smtp):
    carmen = make_user(email="carmen@example.com", first_name="Carmen", language="es")
    ask_for_link(client, carmen.email)  # the page is in English: the email follows the user
    [message] = received_by(smtp, carmen.email)
    body = message.get_content()
    # Django's own Spanish says how long the link lasts.
    assert "1 hora" in body and "1 hour" not in body
    with translation.override("es"):
        subject = gettext("Choose a new password for Clientela")
    if subject == "Choose a new password for Clientela":
        pytest.xfail("the Spanish catalogue does not have the password-reset strings yet")
    assert message["Subject"] == "Elige una nueva contraseña para Clientela"
    assert "Hola, Carmen:" in body and "caduca en 1 hora" in body
    assert choose_password(client, link_in(body)).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_user_gets_no_email_and_an_earlier_link_stops_working(
    client, user, admin_user, smtp
):
    ask_for_link(client, user.email)
    [message] = received_by(smtp, user.email)
    services.deactivate_user(admin_user, user)
    response = ask_for_link(client, user.email)
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(received_by(smtp, user.email)) == 1
    stale = client.get(link_in(message.get_content()))
    assert 'id="reset-link-invalid"' in stale.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- Expiry ------------------------------------------------------------------------------------


def travel(monkeypatch, minutes):
    """Move the token generator's clock, as the link is checked `minutes` after it was made."""
    later = datetime.now() + timedelta(minutes=minutes)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)


def test_the_link_works_for_an_hour_and_not_a_minute_more(client, user, monkeypatch):
    link = emailed_link(user)
    travel(monkeypatch, 61)
    expired = client.get(link)
    assert expired.status_code == 200
    assert 'id="reset-link-invalid"' in expired.content.decode()
    assert "expires in 1 hour" in expired.content.decode()
    travel(monkeypatch, 59)
    assert choose_password(client, link).status_code == 302


def test_an_altered_link_is_refused(client, user):
    link = emailed_link(user)
    uid, token = link.rstrip("/").split("/")[-2:]
    for altered in (
        f"/accounts/password-reset/{uid}/{token[:-1]}x/",
        f"/accounts/password-reset/MTIzNDU2/{token}/",
        f"/accounts/password-reset/{uid}/set-password/",
        "/accounts/password-reset/%%%/nope/",
    ):
        response = client.get(altered)
        assert 'id="reset-link-invalid"' in response.content.decode(), altered


# --- No account enumeration --------------------------------------------------------------------


def test_known_unknown_and_deactivated_addresses_get_the_same_answer_after_the_same_work(
    client, user, make_user, admin_user, django_capture_on_commit_callbacks
):
    gone = make_user(email="gone@example.com")
    services.deactivate_user(admin_user, gone)
    answers, work = {}, {}
    with django_capture_on_commit_callbacks(execute=True):
        for email in (user.email, "nobody@example.com", gone.email):
            with CaptureQueriesContext(connection) as queries:
                response = ask_for_link(Client(HTTP_ACCEPT_LANGUAGE="en"), email)
            answers[email] = (response.status_code, response["Location"], response.content)
            work[email] = [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in queries]
    assert len(set(answers.values())) == 1
    assert len({tuple(sql) for sql in work.values()}) == 1, work
    assert not any("accounts_user" in sql for sql in work[user.email])
    # The lookup happened afterwards, in the task: only the real account got a link.
    assert [message.to for message in mail.outbox] == [[user.email]]


# --- Throttling -------------------------------------------------------------------------------


def test_an_address_gets_at_most_three_links_an_hour_and_the_answer_does_not_change(
    client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answers = {ask_for_link(client, user.email)["Location"] for _ in range(5)}
    assert answers == {"/accounts/password-reset/sent/"}
    assert len(mail.outbox) == services.RESET_LINKS_PER_ADDRESS == 3
    # From another address the limit is the same: it is the mailbox that is protected.
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(Client(REMOTE_ADDR="203.0.113.9"), user.email)
    assert len(mail.outbox) == 3
    # An hour later the address may ask again.
    PasswordResetRequest.objects.update(requested_at=timezone.now() - timedelta(minutes=61))
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(client, user.email)
    assert len(mail.outbox) == 4


def test_one_ip_address_cannot_spray_addresses(user, django_capture_on_commit_callbacks):
    sprayer = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(services.RESET_REQUESTS_PER_IP):
        ask_for_link(sprayer, f"guess{n}@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_link(sprayer, user.email)
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(Client(REMOTE_ADDR="192.0.2.1"), user.email)
    assert [message.to for message in mail.outbox] == [[user.email]]


def test_old_requests_are_pruned(db):
    services.request_password_reset("a@example.com", "192.0.2.1")
    services.request_password_reset("b@example.com", "192.0.2.1")
    PasswordResetRequest.objects.filter(pk=PasswordResetRequest.objects.first().pk).update(
        requested_at=timezone.now() - timedelta(hours=2)
    )
    assert services.prune_password_reset_requests() == 1
    assert PasswordResetRequest.objects.count() == 1


def test_the_table_keeps_no_address_in_clear(db):
    services.request_password_reset("Someone@Example.com", "192.0.2.1")
    row = PasswordResetRequest.objects.get()
    assert "someone" not in row.email_digest.lower() and len(row.email_digest) == 64
    assert row.email_digest == services._address_digest("someone@example.com")


# --- Choosing the new password -----------------------------------------------------------------


def test_every_other_session_ends_and_the_lock_out_is_lifted(client, user):
    elsewhere, phone = Client(), Client()
    assert log_in(elsewhere, user.email, PASSWORD).status_code == 302
    assert log_in(phone, user.email, PASSWORD).status_code == 302
    assert sessions_of(user) == 2
    for _attempt in range(5):
        log_in(client, user.email, "forgotten")
    assert log_in(client, user.email, PASSWORD).status_code == 429  # locked out

    assert choose_password(client, emailed_link(user)).status_code
    assert sessions_of(user) == 0
    assert elsewhere.get("/contacts/").status_code == 302  # back to log-in
    assert phone.get("/accounts/profile/").status_code == 302
    assert log_in(client, user.email, NEW_PASSWORD).status_code == 302


def test_a_user_logged_in_here_who_resets_is_logged_out_cleanly(client, user):
    client.force_login(user)
    response = choose_password(client, emailed_link(user))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/contacts/").status_code == 302
    assert sessions_of(user) == 0


def test_mismatched_or_weak_passwords_are_shown_on_their_field_and_the_link_still_works(
    client, user
):
    link = emailed_link(user)
    form_url = client.get(link)["Location"]
    form = client.get(form_url).content.decode()
    assert 'name="new_password"' in form and 'name="new_password_again"' in form
    differ = client.post(
        form_url, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "x"}
    )
    page = differ.content.decode()
    assert differ.status_code == 400
    assert 'data-field-error="new_password_again"' in page
    assert "The two passwords differ." in page
    for weak in ("123", "password", "ana@example.com"):
        response = client.post(form_url, {"new_password": weak, "new_password_again": weak})
        page = response.content.decode()
        assert response.status_code == 400, weak
        assert 'data-field-error="new_password"' in page, weak
        assert 'data-field-error="new_password_again"' not in page, weak
    missing = client.post(form_url, {"new_password": "", "new_password_again": ""})
    assert missing.status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # Wrong input spends nothing: the same link still sets the password.
    assert choose_password(client, link).status_code == 302


def test_the_service_refuses_a_deactivated_user_and_a_weak_password(user, admin_user):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as caught:
        services.reset_password(user, "123")
    assert "password" in caught.value.message_dict
    services.deactivate_user(admin_user, user)
    user.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.reset_password(user, NEW_PASSWORD)
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_a_user_without_a_usable_password_gets_no_link(user):
    user.set_unusable_password()
    user.save(update_fields=["password"])
    assert services.send_password_reset_link(user.email) == 0
    assert not OutboxEmail.objects.exists()
