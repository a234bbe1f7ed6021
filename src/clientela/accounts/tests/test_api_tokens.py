"""Personal API tokens over the API, and the user and team pickers."""

from django.test import Client

from clientela.accounts.models import ApiToken
from clientela.accounts.services import deactivate_user, set_team
from clientela.core.testing import api_client

API = "/api/v1"


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_raw_key_is_shown_once_and_works(user):
    ana = api_client(user)
    created = ana.post(f"{API}/tokens", {"name": "Zapier"})
    assert created.status_code == 201
    raw = created.json()["key"]
    assert raw.startswith("clt_") and created.json()["hint"] == raw[:8]
    listed = ana.get(f"{API}/tokens").json()
    assert "Zapier" in [t["name"] for t in listed]
    assert all("key" not in t for t in listed)
    assert raw not in str(listed)
    assert not ApiToken.objects.filter(key_hash=raw).exists()  # only the hash is stored
    assert bearer(raw).get(f"{API}/contacts").status_code == 200


def test_a_token_needs_a_name(user):
    ana = api_client(user)
    assert ana.post(f"{API}/tokens", {"name": ""}).status_code == 422
    blank = ana.post(f"{API}/tokens", {"name": "   "})
    assert blank.status_code == 400 and "name" in blank.json()["errors"]
    assert ana.post(f"{API}/tokens", {}).status_code == 422


def test_revoked_token_is_401(user):
    ana = api_client(user)
    created = ana.post(f"{API}/tokens", {"name": "Old"}).json()
    assert ana.delete(f"{API}/tokens/{created['id']}").status_code == 204
    assert bearer(created["key"]).get(f"{API}/contacts").status_code == 401
    listed = {t["id"]: t for t in ana.get(f"{API}/tokens").json()}
    assert listed[created["id"]]["revoked_at"] is not None


def test_someone_elses_token_is_404_and_stays(user, other_user):
    theirs = api_client(other_user).post(f"{API}/tokens", {"name": "Theirs"}).json()
    ana = api_client(user)
    assert ana.delete(f"{API}/tokens/{theirs['id']}").status_code == 404
    assert theirs["id"] not in [t["id"] for t in ana.get(f"{API}/tokens").json()]
    assert bearer(theirs["key"]).get(f"{API}/contacts").status_code == 200


def test_a_deactivated_users_token_is_401(user, admin_user):
    raw = api_client(user).post(f"{API}/tokens", {"name": "T"}).json()["key"]
    deactivate_user(admin_user, user)
    assert bearer(raw).get(f"{API}/contacts").status_code == 401


def test_anonymous_cannot_use_token_endpoints(db):
    anonymous = api_client()
    assert anonymous.get(f"{API}/tokens").status_code == 401
    assert anonymous.post(f"{API}/tokens", {"name": "x"}).status_code == 401
    assert anonymous.get(f"{API}/users").status_code == 401
    assert anonymous.get(f"{API}/teams").status_code == 401


def test_user_picker_lists_active_users_only(user, other_user, make_user, admin_user):
    gone = make_user("user", first_name="Gone", last_name="Away")
    deactivate_user(admin_user, gone)
    ana = api_client(user)
    users = ana.get(f"{API}/users").json()
    names = {u["name"] for u in users}
    assert {"Ana García", "Bruno Pérez"} <= names and "Gone Away" not in names
    assert set(users[0]) == {"id", "name"}
    found = ana.get(f"{API}/users", {"q": "bru"}).json()
    assert [u["id"] for u in found] == [other_user.pk]


def test_team_picker(user, admin_user):
    set_team(admin_user, None, name="Sales", member_ids=[user.pk])
    set_team(admin_user, None, name="Support", member_ids=[])
    ana = api_client(user)
    assert [t["name"] for t in ana.get(f"{API}/teams").json()] == ["Sales", "Support"]
    assert [t["name"] for t in ana.get(f"{API}/teams", {"q": "sup"}).json()] == ["Support"]
    assert ana.get(f"{API}/teams", {"q": "x\x00"}).status_code == 422
