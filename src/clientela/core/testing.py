"""Reusable test machinery: API clients with tokens, the access world, and generic suites.

A model's test module declares its data and subclasses the suites (NetBox `utilities/testing`):

    class TestContactCrud(ApiCrudSuite):
        endpoint = "/api/v1/contacts"
        ...

Everything is built through the model's services, as users would build it."""

import json

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
