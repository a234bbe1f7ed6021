"""Fixtures shared by every test: users of each role and a world built through services."""

import pytest


@pytest.fixture(autouse=True)
def _fast_hashing_and_media(settings, tmp_path):
    # Argon2 is what production uses (tested in accounts); the suite hashes quickly instead.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_in_process():
    """Tasks queued by a test run at once, in memory, instead of landing in the real queue.

    Tests of the worker itself build a queue of their own."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture
def client():
    """A test client whose browser asks for English, as the assertions are in English."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def make_user(db):
    from clientela.accounts.models import User

    counter = {"n": 0}

    def make(role="user", **extra):
        counter["n"] += 1
        n = counter["n"]
        extra.setdefault("email", f"{role}{n}@example.com")
        extra.setdefault("first_name", role.capitalize())
        extra.setdefault("last_name", f"N{n}")
        # Tests assert English text; those about Spanish ask for it.
        extra.setdefault("language", "en")
        return User.objects.create_user(password="s3cret-Pass!", role=role, **extra)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", email="admin@example.com")


@pytest.fixture
def user(make_user):
    return make_user("user", email="ana@example.com", first_name="Ana", last_name="García")


@pytest.fixture
def other_user(make_user):
    return make_user("user", email="bruno@example.com", first_name="Bruno", last_name="Pérez")
