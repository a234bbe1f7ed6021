"""Fixtures shared by every test: users of each role and a world built through services."""

import os

import pytest

os.environ.setdefault("CLIENTELA_VAR_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))


@pytest.fixture(autouse=True)
def _fast_hashing_and_media(settings, tmp_path):
    # Argon2 is what production uses (tested in accounts); the suite hashes quickly instead.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HUEY = {**settings.HUEY, "immediate": True}


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
