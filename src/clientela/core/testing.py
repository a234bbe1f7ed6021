"""Reusable test machinery: API clients with tokens, the access world, and generic suites.

A model's test module declares its data and subclasses the suites (NetBox `utilities/testing`):

    class TestContactCrud(ApiCrudSuite):
        endpoint = "/api/v1/contacts"
        ...

Everything is built through the model's services, as users would build it."""

import csv
import io
import json
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from clientela.accounts.services import create_api_token

JSON = "application/json"


class ApiClient:
    """A Django test client that speaks JSON and, for a user, sends a Bearer token."""

    def __init__(self, user=None):
        self.user = user
        self.client = Client()
        self.headers = {}
        if user is not None:
            _, raw = create_api_token(user, "tests")
            self.headers["Authorization"] = f"Bearer {raw}"

    def _send(self, method: str, path: str, data=None, headers=None, **extra):
        call = getattr(self.client, method)
        all_headers = {**self.headers, **(headers or {})}
        if data is not None and method in ("post", "put", "patch") and "content_type" not in extra:
            if _is_multipart(data):
                if method == "post":
                    # Django's client encodes a POSTed dict with files as multipart itself.
                    return call(path, data, headers=all_headers)
                body = encode_multipart(BOUNDARY, data)
                return call(path, body, content_type=MULTIPART_CONTENT, headers=all_headers)
            return call(path, json.dumps(data), content_type=JSON, headers=all_headers)
        return call(path, data, headers=all_headers, **extra)

    def get(self, path, data=None, **kw):
        return self._send("get", path, data, **kw)

    def post(self, path, data=None, **kw):
        return self._send("post", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self._send("put", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self._send("patch", path, data, **kw)

    def delete(self, path, **kw):
        return self._send("delete", path, None, **kw)


def _is_multipart(data) -> bool:
    return isinstance(data, dict) and any(hasattr(v, "read") for v in data.values())


def api_client(user=None) -> ApiClient:
    return ApiClient(user)


# --- the access world ------------------------------------------------------------------------

ROLES = ("admin", "manager", "other_user", "team_member", "inactive", "anonymous")
ACTIONS = ("list", "read", "search", "update", "delete", "export")
RECORDS = ("private", "public_read", "public_write")

# What each outcome means for an API call.
ALLOWED, HIDDEN, FORBIDDEN, UNAUTHENTICATED = "allowed", "hidden", "forbidden", "unauthenticated"


def expected_outcome(role: str, action: str, record: str) -> str:
    """The access rules every `AccessControlled` model follows.

    Admins, managers and members of a team the record is shared with may do everything. Other
    users see public records, change public read/write ones and never delete; what they
    cannot see is hidden (404, left out of lists). Inactive and anonymous users get nothing."""
    if role in ("inactive", "anonymous"):
        return UNAUTHENTICATED
    if role in ("admin", "manager", "team_member"):
        return ALLOWED
    if record == "private":
        return HIDDEN
    if action in ("list", "read", "search", "export"):
        return ALLOWED
    if action == "update":
        return ALLOWED if record == "public_write" else FORBIDDEN
    return FORBIDDEN


@dataclass
class AccessWorld:
    """Users of every role and one record per access level, all built through services."""

    users: dict  # role -> User or None (anonymous)
    team: object
    records: dict  # "private" | "public_read" | "public_write" -> record
    clients: dict = field(default_factory=dict)

    def client(self, role: str) -> ApiClient:
        return self.clients[role]


def build_access_world(make_user, create_record) -> AccessWorld:
    """Create the admin, the manager, another user, a member of a team every record is shared
    with, an inactive user (with a token made while active) and anonymous; then one record per
    access level through `create_record(manager, access, team, label)`."""
    from clientela.accounts.services import deactivate_user, set_team
    from clientela.core.access import AccessLevel

    admin = make_user("admin", first_name="Adela", last_name="Admin")
    users = {
        "admin": admin,
        "manager": make_user("user", first_name="Manu", last_name="Manager"),
        "other_user": make_user("user", first_name="Otto", last_name="Other"),
        "team_member": make_user("user", first_name="Tea", last_name="Member"),
        "inactive": make_user("user", first_name="Iña", last_name="Inactive"),
        "anonymous": None,
    }
    team = set_team(admin, None, name="Shared team", member_ids=[users["team_member"].pk])
    levels = {
        "private": AccessLevel.PRIVATE,
        "public_read": AccessLevel.PUBLIC_READ,
        "public_write": AccessLevel.PUBLIC_WRITE,
    }
    records = {
        name: create_record(users["manager"], level, team, f"zz{name.replace('_', '')}")
        for name, level in levels.items()
    }
    clients = {role: ApiClient(user) for role, user in users.items()}
    deactivate_user(admin, users["inactive"])
    return AccessWorld(users=users, team=team, records=records, clients=clients)


class PermissionMatrixSuite:
    """Roles × actions × records through the API. A model's test module subclasses it:

        class TestContactPermissions(PermissionMatrixSuite):
            list_endpoint = "/api/v1/contacts"
            detail_endpoint = "/api/v1/contacts/{id}"
            export_endpoint = "/api/v1/contacts/export.csv"
            update_payload = {"position": "Changed"}

            def create_record(self, actor, access, team, label): ...

    Each record gets a label that is unique in the world and is used as the search term."""

    list_endpoint: str = ""
    detail_endpoint: str = ""
    export_endpoint: str | None = None
    search_param: str = "q"
    update_payload: dict = {}
    list_params: dict = {"limit": 200}

    def create_record(self, actor, access, team, label: str):
        raise NotImplementedError

    def exported_ids(self, response) -> set[int]:
        """Record ids in an export; by default the first column of a CSV with a header."""
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))[1:]
        return {int(row[0]) for row in rows if row}

    def listed_ids(self, response) -> set[int]:
        return {item["id"] for item in response.json()["items"]}

    @pytest.fixture
    def world(self, make_user) -> AccessWorld:
        return build_access_world(make_user, self.create_record)

    def outcome(self, world: AccessWorld, role: str, action: str, record_name: str) -> str:
        client = world.client(role)
        record = world.records[record_name]
        detail = self.detail_endpoint.format(id=record.pk)
        if action in ("list", "search", "export"):
            if action == "export":
                if self.export_endpoint is None:
                    pytest.skip("this model has no export")
                response = client.get(self.export_endpoint)
            else:
                params = dict(self.list_params)
                if action == "search":
                    params[self.search_param] = self.search_term(record_name)
                response = client.get(self.list_endpoint, params)
            if response.status_code == 401:
                return UNAUTHENTICATED
            assert response.status_code == 200, response.content
            ids = self.exported_ids(response) if action == "export" else self.listed_ids(response)
            if action == "search":
                assert ids <= {r.pk for r in world.records.values()}, "search matched others"
            return ALLOWED if record.pk in ids else HIDDEN
        if action == "read":
            response = client.get(detail)
        elif action == "update":
            response = client.patch(detail, self.update_payload)
        else:
            response = client.delete(detail)
        return {
            200: ALLOWED,
            204: ALLOWED,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: HIDDEN,
        }.get(response.status_code, f"HTTP {response.status_code}")

    def search_term(self, record_name: str) -> str:
        return f"zz{record_name.replace('_', '')}"

    @pytest.mark.parametrize("action", ACTIONS)
    @pytest.mark.parametrize("role", ROLES)
    def test_permission_matrix(self, world, role, action):
        wrong = {}
        for record_name in RECORDS:
            expected = expected_outcome(role, action, record_name)
            actual = self.outcome(world, role, action, record_name)
            if actual != expected:
                wrong[record_name] = f"expected {expected}, got {actual}"
        assert not wrong, f"{role} × {action}: {wrong}"

    def test_a_hidden_record_answers_exactly_like_a_missing_one(self, world):
        client = world.client("other_user")
        hidden = client.get(self.detail_endpoint.format(id=world.records["private"].pk))
        missing = client.get(self.detail_endpoint.format(id=10**12))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()

    def test_forbidden_writes_change_nothing(self, world):
        record = world.records["public_read"]
        before = type(record).objects.get(pk=record.pk)
        client = world.client("other_user")
        client.patch(self.detail_endpoint.format(id=record.pk), self.update_payload)
        client.delete(self.detail_endpoint.format(id=record.pk))
        after = type(record).objects.get(pk=record.pk)
        assert getattr(after, "version", None) == getattr(before, "version", None)
        assert all(getattr(after, k, None) == getattr(before, k, None) for k in self.update_payload)


# --- CRUD through the API ----------------------------------------------------------------------


class ApiCrudSuite:
    """Create, list, read, update and delete through the API, with bad input, conflicts and
    query budgets. A model's test module subclasses it and declares:

    - `list_endpoint`, `detail_endpoint` ("…/{id}"), `model`;
    - `create_payload`, `update_payload`, and `invalid_payload` with the field it names
      (`invalid_field`);
    - `create_record(actor, n)`: make the n-th record through the model's service, with the
      related rows a list or detail shows, for the query budgets;
    - `actor_role`: "user" or "admin", who does the writes; `versioned`: ETag/If-Match."""

    list_endpoint: str = ""
    detail_endpoint: str = ""
    model = None
    create_payload: dict = {}
    update_payload: dict = {}
    invalid_payload: dict = {}
    invalid_field: str = ""
    actor_role: str = "user"
    versioned: bool = True
    paginated: bool = True

    def create_record(self, actor, n: int):
        raise NotImplementedError

    @pytest.fixture
    def actor(self, make_user):
        return make_user(self.actor_role, first_name="Crud", last_name="Actor")

    @pytest.fixture
    def client_of(self, actor) -> ApiClient:
        return ApiClient(actor)

    def _items(self, response) -> list:
        body = response.json()
        return body["items"] if self.paginated else body

    def _assert_matches(self, body: dict, payload: dict):
        for key, value in payload.items():
            if key in body and not isinstance(value, (list, dict)):
                assert body[key] == value, f"{key}: sent {value!r}, got {body[key]!r}"

    def test_create(self, client_of):
        response = client_of.post(self.list_endpoint, self.create_payload)
        assert response.status_code == 201, response.content
        body = response.json()
        assert self.model.objects.filter(pk=body["id"]).exists()
        self._assert_matches(body, self.create_payload)

    def test_bad_input_names_the_field_and_writes_nothing(self, client_of):
        before = self.model.objects.count()
        response = client_of.post(self.list_endpoint, self.invalid_payload)
        assert response.status_code in (400, 422), response.content
        errors = response.json()["errors"]
        assert any(k.split(".")[0] == self.invalid_field for k in errors), errors
        assert self.model.objects.count() == before

    def test_list_and_read(self, client_of, actor):
        record = self.create_record(actor, 1)
        listed = client_of.get(self.list_endpoint)
        assert listed.status_code == 200
        assert record.pk in [item["id"] for item in self._items(listed)]
        response = client_of.get(self.detail_endpoint.format(id=record.pk))
        assert response.status_code == 200 and response.json()["id"] == record.pk
        if self.versioned:
            assert response["ETag"] == f'"{record.version}"'

    def test_missing_is_404(self, client_of, db):
        response = client_of.get(self.detail_endpoint.format(id=10**12))
        assert response.status_code == 404
        assert client_of.delete(self.detail_endpoint.format(id=10**12)).status_code == 404

    def test_update(self, client_of, actor):
        record = self.create_record(actor, 1)
        response = client_of.patch(self.detail_endpoint.format(id=record.pk), self.update_payload)
        assert response.status_code == 200, response.content
        self._assert_matches(response.json(), self.update_payload)
        record.refresh_from_db()
        for key, value in self.update_payload.items():
            if hasattr(record, key) and not isinstance(value, (list, dict)):
                assert getattr(record, key) == value
        if self.versioned:
            assert response["ETag"] == f'"{record.version}"'

    def test_stale_update_is_refused(self, client_of, actor):
        if not self.versioned:
            pytest.skip("not versioned")
        record = self.create_record(actor, 1)
        url = self.detail_endpoint.format(id=record.pk)
        stale = {"If-Match": f'"{record.version}"'}
        assert client_of.patch(url, self.update_payload, headers=stale).status_code == 200
        refused = client_of.patch(url, self.update_payload, headers=stale)
        assert refused.status_code == 412
        assert refused.json()["current_version"] == record.version + 1

    def test_delete(self, client_of, actor):
        record = self.create_record(actor, 1)
        url = self.detail_endpoint.format(id=record.pk)
        assert client_of.delete(url).status_code == 204
        assert not self.model.objects.filter(pk=record.pk).exists()
        assert client_of.get(url).status_code in (404, 405)

    def test_anonymous_gets_401_everywhere(self, actor):
        record = self.create_record(actor, 1)
        anonymous = ApiClient()
        url = self.detail_endpoint.format(id=record.pk)
        assert anonymous.get(self.list_endpoint).status_code == 401
        assert anonymous.post(self.list_endpoint, self.create_payload).status_code == 401
        assert anonymous.patch(url, self.update_payload).status_code == 401
        assert anonymous.delete(url).status_code == 401
        assert self.model.objects.filter(pk=record.pk).exists()

    def _queries(self, client_of, url, params=None) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client_of.get(url, params)  # warm caches (token "last used", content types)
        with CaptureQueriesContext(connection) as queries:
            response = client_of.get(url, params)
        assert response.status_code == 200
        return len(queries)

    def test_list_query_budget_does_not_grow_with_rows(self, client_of, actor):
        counts = []
        made = 0
        for total in (5, 30):
            while made < total:
                made += 1
                self.create_record(actor, made)
            counts.append(self._queries(client_of, self.list_endpoint, {"limit": 50}))
        assert counts[0] == counts[1], f"5 rows: {counts[0]} queries, 30 rows: {counts[1]}"

    def test_detail_query_budget_is_fixed(self, client_of, actor):
        counts = [
            self._queries(
                client_of, self.detail_endpoint.format(id=self.create_record(actor, n).pk)
            )
            for n in (1, 30)
        ]
        assert counts[0] == counts[1], f"{counts[0]} then {counts[1]} queries"
