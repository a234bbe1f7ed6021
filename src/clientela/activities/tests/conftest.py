import pytest


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    settings.ATTACHMENT_MAX_BYTES = 200 * 1024


@pytest.fixture(autouse=True)
def _english():
    """Texts read outside a request (timeline entries, notifications, validation messages) in
    English, as the assertions are; the default language is Spanish."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def make_contact(db):
    from clientela.contacts import services

    def make(actor, first="Lucía", last="Martín", **extra):
        return services.create_contact(
            actor, {"kind": "person", "first_name": first, "last_name": last, **extra}
        )

    return make
