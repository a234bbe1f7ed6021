"""Log-in and lock-out, profile and language, API tokens, users and teams pages."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from clientela.accounts import services
from clientela.accounts.models import ApiToken, Team, User
from clientela.core.models import ChangeLogEntry

PASSWORD = "s3cret-Pass!"


def log_in(client, email, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def sessions_of(user) -> int:
    return sum(
        1
        for session in Session.objects.all()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    )


# --- Log-in, lock-out, log-out -----------------------------------------------------------------


def test_production_settings_hash_passwords_with_argon2_first():
    import clientela.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    from django.contrib.auth.hashers import Argon2PasswordHasher

    Argon2PasswordHasher()._load_library()  # the argon2 library is installed


def test_login_with_email_and_password_lands_on_contacts(client, user):
    response = log_in(client, "ANA@example.com")
    assert response.status_code == 302 and response["Location"] == "/contacts/"
    assert client.get("/contacts/").wsgi_request.user == user


def test_wrong_password_says_so_and_does_not_log_in(client, user):
    response = log_in(client, user.email, "wrong")
    assert response.status_code == 200
    assert "Wrong email or password." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_log_in(client, user, admin_user):
    services.deactivate_user(admin_user, user)
    response = log_in(client, user.email)
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_five_failures_lock_the_account_out_even_with_the_right_password(client, user):
    for _attempt in range(5):
        response = log_in(client, user.email, "wrong")
    # The fifth failure already answers with the lock-out page.
    assert response.status_code == 429
    response = log_in(client, user.email)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not affected.
    other = User.objects.create_user("carla@example.com", PASSWORD)
    assert log_in(Client(), other.email).status_code == 302


def test_four_failures_then_success_resets_the_count(client, user):
    for _attempt in range(4):
        log_in(client, user.email, "wrong")
    assert log_in(client, user.email).status_code == 302
    client.logout()
    for _attempt in range(4):
        assert log_in(client, user.email, "wrong").status_code == 200


def test_login_stores_the_users_language_in_the_session(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    log_in(client, user.email, HTTP_ACCEPT_LANGUAGE="es")
    assert client.session["clientela_language"] == "en"
    response = client.get("/contacts/", HTTP_ACCEPT_LANGUAGE="es")
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


def test_login_redirects_only_to_local_next(client, user):
    response = client.post(
        "/accounts/login/",
        {"username": user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/contacts/"
    client.logout()
    response = client.post(
        "/accounts/login/",
        {"username": user.email, "password": PASSWORD, "next": "/accounts/profile/"},
    )
    assert response["Location"] == "/accounts/profile/"


def test_logout_is_a_post_and_ends_the_session(client, user):
    client.force_login(user)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/contacts/").status_code == 302


# --- Profile and language ----------------------------------------------------------------------


def test_profile_requires_login(client, db):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_profile_saves_names_and_switches_language_at_once(client, user):
    user.language = "es"
    user.save(update_fields=["language"])
    log_in(client, user.email)
    assert client.session["clientela_language"] == "es"
    response = client.post(
        "/accounts/profile/", {"first_name": "Ana María", "last_name": "García", "language": "en"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.language) == ("Ana María", "en")
    assert client.session["clientela_language"] == "en"
    page = client.get("/accounts/profile/")
    assert page["Content-Language"] == "en" and '<html lang="en">' in page.content.decode()
    entry = ChangeLogEntry.objects.filter(object_id=user.pk, action="update").first()
    assert entry.after["language"] == "en" and entry.actor == user


def test_profile_refuses_an_unknown_language(client, user):
    client.force_login(user)
    response = client.post("/accounts/profile/", {"first_name": "Ana", "language": "fr"})
    assert response.status_code == 400
    assert 'data-field-error="language"' in response.content.decode()
    user.refresh_from_db()
    assert user.language == "en"


def test_profile_password_change_keeps_the_session_and_checks_the_old_one(client, user):
    client.force_login(user)
    bad = client.post(
        "/accounts/profile/",
        {
            "change_password": "1",
            "old_password": "nope",
            "new_password": "An0ther-Secret!",
            "new_password_again": "An0ther-Secret!",
        },
    )
    assert bad.status_code == 400 and "current password is not right" in bad.content.decode()
    weak = client.post(
        "/accounts/profile/",
        {
            "change_password": "1",
            "old_password": PASSWORD,
            "new_password": "123",
            "new_password_again": "123",
        },
    )
    assert weak.status_code == 400 and 'data-field-error="new_password"' in weak.content.decode()
    good = client.post(
        "/accounts/profile/",
        {
            "change_password": "1",
            "old_password": PASSWORD,
            "new_password": "An0ther-Secret!",
            "new_password_again": "An0ther-Secret!",
        },
    )
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.check_password("An0ther-Secret!")
    assert client.get("/accounts/profile/").status_code == 200  # still logged in


@pytest.mark.parametrize(("language", "pattern"), [("es", "%d/%m/%Y"), ("en", "%Y-%m-%d")])
def test_dates_follow_the_users_language(client, user, language, pattern):
    token, _raw = services.create_api_token(user, "export")
    created = timezone.make_aware(datetime.datetime(2025, 3, 7, 10, 0))
    ApiToken.objects.filter(pk=token.pk).update(created_at=created)
    user.language = language
    user.save(update_fields=["language"])
    log_in(client, user.email)
    page = client.get("/accounts/tokens/").content.decode()
    assert created.strftime(pattern) in page
    if language == "es":
        assert "07/03/2025" in page


# --- API tokens --------------------------------------------------------------------------------


def test_tokens_page_creates_a_token_and_shows_its_key_only_once(client, user):
    client.force_login(user)
    created = client.post("/accounts/tokens/", {"name": "Accounting export"})
    assert created.status_code == 302 and created["Location"] == "/accounts/tokens/"
    response = client.get("/accounts/tokens/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = response.context["new_key"]
    assert key.startswith("clt_") and key in response.content.decode()
    token = ApiToken.objects.get(user=user)
    assert token.name == "Accounting export" and key.startswith(token.hint)
    again = client.get("/accounts/tokens/").content.decode()
    assert (
        key not in again
        and "clientela_new_api_token" not in client.session
        and "Accounting export" in again
        and token.hint in again
    )
    api = Client().get("/api/v1/contacts", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.status_code == 200


def test_token_needs_a_name(client, user):
    client.force_login(user)
    response = client.post("/accounts/tokens/", {"name": "  "})
    assert response.status_code == 400 and not ApiToken.objects.exists()
    assert 'data-field-error="name"' in response.content.decode()


def test_revoking_a_token_asks_first_then_the_api_refuses_it(client, user):
    token, key = services.create_api_token(user, "nightly-sync")
    client.force_login(user)
    confirm = client.get(f"/accounts/tokens/{token.pk}/revoke/")
    assert confirm.status_code == 200 and "nightly-sync" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    listed = client.get("/accounts/tokens/").context["tokens"]
    assert token not in listed
    api = Client().get("/api/v1/contacts", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.status_code == 401


def test_someone_elses_token_answers_404(client, user, other_user):
    token, _key = services.create_api_token(other_user, "theirs")
    client.force_login(user)
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# --- Users and teams (settings) ----------------------------------------------------------------

ADMIN_PAGES = [
    "/settings/users/",
    "/settings/users/new/",
    "/settings/teams/",
    "/settings/teams/new/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_users_and_teams_pages_are_for_admins_only(client, admin_user, user, url):
    assert Client().get(url)["Location"].startswith("/accounts/login/")
    client.force_login(user)
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_non_admin_cannot_post_to_user_pages(client, user, other_user):
    client.force_login(user)
    response = client.post(f"/settings/users/{other_user.pk}/deactivate/")
    assert response.status_code == 403
    other_user.refresh_from_db()
    assert other_user.is_active


def test_admin_creates_a_user_who_can_then_log_in(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/settings/users/new/",
        {
            "email": "Dora@Example.com",
            "first_name": "Dora",
            "last_name": "Ruiz",
            "role": "user",
            "language": "en",
            "password": "Welcome-2-Clientela",
        },
    )
    assert response.status_code == 302
    dora = User.objects.get(email="dora@example.com")
    assert (dora.role, dora.language, dora.is_active) == ("user", "en", True)
    assert log_in(Client(), "dora@example.com", "Welcome-2-Clientela").status_code == 302


def test_creating_a_user_with_a_taken_email_or_weak_password_says_which_field(
    client, admin_user, user
):
    client.force_login(admin_user)
    data = {
        "email": user.email,
        "first_name": "X",
        "last_name": "Y",
        "role": "user",
        "language": "es",
        "password": "Welcome-2-Clientela",
    }
    response = client.post("/settings/users/new/", data)
    assert response.status_code == 400
    assert 'data-field-error="email"' in response.content.decode()
    response = client.post(
        "/settings/users/new/", {**data, "email": "new@example.com", "password": "1"}
    )
    assert response.status_code == 400
    assert 'data-field-error="password"' in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


def test_admin_edits_a_user_and_may_set_a_new_password(client, admin_user, user):
    client.force_login(admin_user)
    response = client.post(
        f"/settings/users/{user.pk}/",
        {
            "email": user.email,
            "first_name": "Ana",
            "last_name": "García",
            "role": "admin",
            "language": "en",
            "password": "",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.role, user.language) == ("admin", "en") and user.check_password(PASSWORD)
    client.post(
        f"/settings/users/{user.pk}/",
        {
            "email": user.email,
            "role": "admin",
            "language": "en",
            "password": "Brand-New-Pass-9",
        },
    )
    user.refresh_from_db()
    assert user.check_password("Brand-New-Pass-9")


def test_a_failing_user_edit_writes_nothing(client, admin_user, user, other_user):
    client.force_login(admin_user)
    response = client.post(
        f"/settings/users/{user.pk}/",
        {
            "email": other_user.email,
            "first_name": "Changed",
            "role": "user",
            "language": "es",
            "password": "",
        },
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert (user.email, user.first_name) == ("ana@example.com", "Ana")


def test_deactivating_a_user_ends_their_session_at_once(client, admin_user, user):
    victim = Client()
    log_in(victim, user.email)
    assert victim.get("/contacts/").status_code == 200
    assert sessions_of(user) == 1
    client.force_login(admin_user)
    assert client.get(f"/settings/users/{user.pk}/deactivate/").status_code == 200
    response = client.post(f"/settings/users/{user.pk}/deactivate/")
    assert response.status_code == 302
    assert sessions_of(user) == 0
    response = victim.get("/contacts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    user.refresh_from_db()
    assert not user.is_active


def test_deactivated_users_tokens_stop_working(client, admin_user, user):
    _token, key = services.create_api_token(user, "script")
    client.force_login(admin_user)
    client.post(f"/settings/users/{user.pk}/deactivate/")
    assert Client().get("/api/v1/contacts", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_admin_cannot_deactivate_themselves(client, admin_user):
    client.force_login(admin_user)
    response = client.post(f"/settings/users/{admin_user.pk}/deactivate/")
    assert response.status_code == 400 and "cannot deactivate yourself" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_reactivated_user_can_log_in_again(client, admin_user, user):
    services.deactivate_user(admin_user, user)
    client.force_login(admin_user)
    assert client.get(f"/settings/users/{user.pk}/reactivate/").status_code == 405
    assert client.post(f"/settings/users/{user.pk}/reactivate/").status_code == 302
    user.refresh_from_db()
    assert user.is_active
    assert log_in(Client(), user.email).status_code == 302


def test_user_list_shows_roles_status_and_teams_within_a_query_budget(
    client, admin_user, make_user, django_assert_max_num_queries
):
    team = services.set_team(admin_user, None, name="Ventas", member_ids=[admin_user.pk])
    for _n in range(3):
        person = make_user("user")
        team.members.add(person)
    services.deactivate_user(admin_user, person)
    client.force_login(admin_user)
    with django_assert_max_num_queries(7) as captured:
        response = client.get("/settings/users/")
    few = len(captured)
    page = response.content.decode()
    assert "Deactivated" in page and "CRM admin" in page and "Ventas" in page
    for _n in range(10):
        team.members.add(make_user("user"))
    with django_assert_max_num_queries(few):
        client.get("/settings/users/")


def test_admin_creates_renames_and_deletes_a_team(client, admin_user, user, other_user):
    client.force_login(admin_user)
    response = client.post("/settings/teams/new/", {"name": "Ventas", "members": [user.pk]})
    assert response.status_code == 302
    team = Team.objects.get(name="Ventas")
    assert list(team.members.all()) == [user]
    client.post(
        f"/settings/teams/{team.pk}/", {"name": "Ventas norte", "members": [user.pk, other_user.pk]}
    )
    team.refresh_from_db()
    assert team.name == "Ventas norte" and team.members.count() == 2
    assert "Ventas norte" in client.get("/settings/teams/").content.decode()
    assert client.get(f"/settings/teams/{team.pk}/delete/").status_code == 200
    assert Team.objects.filter(pk=team.pk).exists()
    assert client.post(f"/settings/teams/{team.pk}/delete/").status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()


def test_team_names_are_unique_with_a_clear_error(client, admin_user):
    services.set_team(admin_user, None, name="Ventas", member_ids=[])
    client.force_login(admin_user)
    response = client.post("/settings/teams/new/", {"name": "Ventas"})
    assert response.status_code == 400 and 'data-field-error="name"' in response.content.decode()
    assert Team.objects.count() == 1


def test_team_list_query_count_does_not_grow_with_teams(
    client, admin_user, make_user, django_assert_max_num_queries
):
    client.force_login(admin_user)
    services.set_team(admin_user, None, name="A", member_ids=[make_user().pk])
    with django_assert_max_num_queries(10) as captured:
        client.get("/settings/teams/")
    few = len(captured)
    for n in range(5):
        services.set_team(admin_user, None, name=f"T{n}", member_ids=[make_user().pk])
    with django_assert_max_num_queries(few):
        response = client.get("/settings/teams/")
    assert "T4" in response.content.decode()


def test_saving_a_team_keeps_its_deactivated_members(client, admin_user, user, other_user):
    team = services.set_team(admin_user, None, name="Ventas", member_ids=[user.pk, other_user.pk])
    services.deactivate_user(admin_user, other_user)
    client.force_login(admin_user)
    form = client.get(f"/settings/teams/{team.pk}/").content.decode()
    assert f'value="{other_user.pk}"' in form and "checked" in form
    client.post(
        f"/settings/teams/{team.pk}/", {"name": "Ventas", "members": [user.pk, other_user.pk]}
    )
    assert set(team.members.all()) == {user, other_user}
