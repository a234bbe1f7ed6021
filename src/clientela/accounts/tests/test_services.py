"""Services for users, teams and API tokens."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from clientela.accounts import services
from clientela.accounts.models import ApiToken, Team, User
from clientela.core.models import ChangeLogEntry


def test_create_user_lowercases_email_and_logs_without_the_password(admin_user):
    dora = services.create_user(
        admin_user, email=" Dora@Example.COM ", password="Welcome-2-Clientela", first_name="Dora"
    )
    assert dora.email == "dora@example.com" and dora.check_password("Welcome-2-Clientela")
    entry = ChangeLogEntry.objects.get(
        object_id=dora.pk, action="create", content_type__model="user"
    )
    assert "password" not in entry.after and entry.actor == admin_user


def test_create_user_refuses_a_taken_email_and_non_admins(admin_user, user):
    with pytest.raises(ValidationError) as caught:
        services.create_user(admin_user, email="ANA@example.com", password="x")
    assert "email" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.create_user(user, email="new@example.com", password="x")
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_user_may_edit_their_own_profile_but_not_their_role(user, other_user):
    services.update_user(user, user, first_name="Anita", language="en")
    user.refresh_from_db()
    assert (user.first_name, user.language) == ("Anita", "en")
    with pytest.raises(PermissionDenied):
        services.update_user(user, user, role=User.Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.update_user(user, other_user, first_name="Hacked")
    other_user.refresh_from_db()
    user.refresh_from_db()
    assert user.role == User.Role.USER and other_user.first_name == "Bruno"


def test_change_password_validates_and_records_no_secret(admin_user, user, other_user):
    with pytest.raises(ValidationError) as caught:
        services.change_password(user, user, "123")
    assert "password" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.change_password(user, other_user, "Perfectly-Fine-9")
    services.change_password(admin_user, user, "Perfectly-Fine-9")
    user.refresh_from_db()
    assert user.check_password("Perfectly-Fine-9")
    entry = ChangeLogEntry.objects.filter(object_id=user.pk, content_type__model="user").first()
    assert "Perfectly-Fine-9" not in str(entry.before) + str(entry.after)


def test_deactivate_ends_sessions_and_reactivate_restores_login(admin_user, user):
    victim = Client()
    victim.force_login(user)
    victim.force_login(user)  # a second browser
    assert services.end_sessions(user) >= 1
    victim.force_login(user)
    services.deactivate_user(admin_user, user)
    user.refresh_from_db()
    assert not user.is_active and services.end_sessions(user) == 0
    services.reactivate_user(admin_user, user)
    user.refresh_from_db()
    assert user.is_active


def test_nobody_deactivates_themselves_and_users_deactivate_nobody(admin_user, user, other_user):
    with pytest.raises(ValidationError):
        services.deactivate_user(admin_user, admin_user)
    with pytest.raises(PermissionDenied):
        services.deactivate_user(user, other_user)
    with pytest.raises(PermissionDenied):
        services.reactivate_user(user, other_user)


def test_set_team_creates_renames_and_sets_members(admin_user, user, other_user):
    team = services.set_team(admin_user, None, name="  Ventas ", member_ids=[user.pk])
    assert team.name == "Ventas" and list(team.members.all()) == [user]
    services.set_team(admin_user, team, name="Ventas norte", member_ids=[other_user.pk])
    team.refresh_from_db()
    assert team.name == "Ventas norte" and list(team.members.all()) == [other_user]
    actions = ChangeLogEntry.objects.filter(object_id=team.pk, content_type__model="team")
    assert sorted(actions.values_list("action", flat=True)) == ["create", "update"]
    services.delete_team(admin_user, team)
    assert not Team.objects.exists()


def test_team_services_are_for_admins(user):
    with pytest.raises(PermissionDenied):
        services.set_team(user, None, name="Mine", member_ids=[])
    assert not Team.objects.exists()


def test_api_tokens_are_stored_hashed_and_revocable(user, other_user):
    token, raw = services.create_api_token(user, " laptop ")
    assert token.name == "laptop" and raw.startswith("clt_") and raw not in token.key_hash
    assert services.user_for_token(raw) == user
    token.refresh_from_db()
    assert token.last_used_at is not None
    with pytest.raises(PermissionDenied):
        services.revoke_api_token(other_user, token)
    services.revoke_api_token(user, token)
    assert services.user_for_token(raw) is None
    assert services.user_for_token("clt_made-up") is None


def test_api_token_needs_a_name(user):
    with pytest.raises(ValidationError) as caught:
        services.create_api_token(user, "")
    assert "name" in caught.value.message_dict
    assert not ApiToken.objects.exists()
