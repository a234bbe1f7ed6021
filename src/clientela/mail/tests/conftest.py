"""Fixtures for the mail tests that run Huey's real consumer against a loopback SMTP server."""

import pytest
from django.db import connections
from huey.contrib.djhuey import HUEY
from huey.storage import SqliteStorage


@pytest.fixture
def smtp_settings(settings):
    """Point Django's SMTP backend at a loopback port; returns a function to change the port."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5

    def use_port(port):
        settings.EMAIL_PORT = port

    return use_port


@pytest.fixture
def queue(tmp_path, monkeypatch):
    """A fresh, empty Huey queue in a temporary SQLite file, used by the real task wrappers."""
    monkeypatch.setattr(HUEY, "immediate", False)
    # Worker threads open their own connections; closing them after each task lets the test
    # database be dropped at the end of the run.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    monkeypatch.setattr(HUEY, "storage", SqliteStorage(HUEY.name, filename=str(tmp_path / "q.db")))
    return HUEY
