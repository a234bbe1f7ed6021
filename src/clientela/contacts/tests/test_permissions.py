"""The contacts permission matrix: roles × actions × records, through the API.

The matrix itself lives in `core.testing`; contacts only say how to make a record."""

import pytest

from clientela.contacts import services
from clientela.contacts.models import Contact
from clientela.core.testing import (
    ALLOWED,
    HIDDEN,
    UNAUTHENTICATED,
    PermissionMatrixSuite,
    build_access_world,
    expected_outcome,
)


class TestContactPermissions(PermissionMatrixSuite):
    list_endpoint = "/api/v1/contacts"
    detail_endpoint = "/api/v1/contacts/{id}"
    export_endpoint = "/api/v1/contacts/export.csv"
    update_payload = {"position": "Changed by the matrix"}

    def create_record(self, actor, access, team, label):
        return services.create_contact(
            actor,
            {
                "kind": "person",
                "first_name": label,
                "last_name": "Matrix",
                "access": access,
                "shared_team_ids": [team.pk],
            },
        )


def test_the_expected_matrix_says_what_the_brief_says():
    # A guard on the rules themselves, so a change to them is a deliberate one.
    assert {expected_outcome("other_user", a, "private") for a in ("read", "update")} == {HIDDEN}
    assert expected_outcome("other_user", "update", "public_write") == ALLOWED
    assert expected_outcome("other_user", "delete", "public_write") != ALLOWED
    assert expected_outcome("team_member", "delete", "private") == ALLOWED
    assert expected_outcome("inactive", "list", "public_read") == UNAUTHENTICATED


def test_sharing_with_a_user_grants_what_a_team_grants(make_user):
    world = build_access_world(
        make_user,
        lambda actor, access, team, label: services.create_contact(
            actor, {"kind": "company", "company_name": label, "access": access}
        ),
    )
    record = world.records["private"]
    other = world.client("other_user")
    assert other.get(f"/api/v1/contacts/{record.pk}").status_code == 404
    services.update_contact(
        world.users["manager"], record, {"shared_user_ids": [world.users["other_user"].pk]}
    )
    assert other.get(f"/api/v1/contacts/{record.pk}").status_code == 200
    assert other.patch(f"/api/v1/contacts/{record.pk}", {"position": "x"}).status_code == 200
    assert other.delete(f"/api/v1/contacts/{record.pk}").status_code == 204
    assert not Contact.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("role", ["other_user", "team_member"])
def test_only_managers_change_who_has_access(make_user, role):
    world = build_access_world(
        make_user,
        lambda actor, access, team, label: services.create_contact(
            actor,
            {
                "kind": "company",
                "company_name": label,
                "access": access,
                "shared_team_ids": [team.pk],
            },
        ),
    )
    record = world.records["public_write"]
    response = world.client(role).patch(f"/api/v1/contacts/{record.pk}", {"access": "private"})
    # A team the record is shared with acts as a manager; another user may not.
    assert response.status_code == (200 if role == "team_member" else 403)
