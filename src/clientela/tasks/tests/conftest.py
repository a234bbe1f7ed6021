"""Shared builders for the tasks tests: contacts and tasks made through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clientela.contacts.services import create_contact
from clientela.tasks.services import create_task


@pytest.fixture
def make_contact():
    def make(actor, name="Lucía", access="private", **extra):
        return create_contact(
            actor,
            {
                "kind": "person",
                "first_name": name,
                "last_name": "Cliente",
                "access": access,
                **extra,
            },
        )

    return make


@pytest.fixture
def make_task():
    def make(actor, title="Call back", contact=None, due_in=timedelta(days=2), **data):
        payload = {"title": title, "due_at": timezone.now() + due_in, **data}
        if contact is not None:
            payload.update({"target_type": "contact", "target_id": contact.pk})
        return create_task(actor, payload)

    return make
