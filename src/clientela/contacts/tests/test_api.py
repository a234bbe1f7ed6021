"""The contacts API: every endpoint with good and bad input, conflicts, and query budgets."""

import csv
import datetime
import io
import random

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from PIL import Image

from clientela.accounts.services import create_api_token, set_team
from clientela.contacts import services
from clientela.contacts.models import Contact, ContactType, Customer, Interest, Source, Temperature
from clientela.core import services as platform_services
from clientela.core.access import AccessLevel
from clientela.core.models import ChangeLogEntry, CustomField, Tag
from clientela.core.testing import ApiCrudSuite, api_client

API = "/api/v1"


def person(actor, first="Lucía", last="Martín", **extra):
    return services.create_contact(
        actor, {"kind": "person", "first_name": first, "last_name": last, **extra}
    )


def company(actor, name="Acme S.L.", **extra):
    return services.create_contact(actor, {"kind": "company", "company_name": name, **extra})


def png_bytes(size=(400, 400), fmt="PNG") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=fmt)
    buffer.seek(0)
    buffer.name = f"photo.{fmt.lower()}"
    return buffer


@pytest.fixture
def ana(user):
    return api_client(user)


@pytest.fixture
def bruno(other_user):
    return api_client(other_user)


@pytest.fixture
def admin(admin_user):
    return api_client(admin_user)


# --- schema and docs -----------------------------------------------------------------------


def test_openapi_and_docs_are_served(client, db):
    schema = client.get(f"{API}/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {f"{API}/contacts", f"{API}/contacts/{{contact_id}}", f"{API}/tokens"} <= set(paths)
    docs = client.get(f"{API}/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content
    # Served from our own static files: a self-hosted install may have no internet access.
    assert b"swagger-ui-bundle.js" in docs.content and b"cdn." not in docs.content


def test_anonymous_gets_401(db):
    response = api_client().get(f"{API}/contacts")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_bad_token_gets_401(db):
    client = Client(headers={"Authorization": "Bearer clt_not-a-token"})
    assert client.get(f"{API}/contacts").status_code == 401


def test_session_auth_works_and_needs_csrf_for_writes(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(f"{API}/contacts").status_code == 200
    response = client.post(
        f"{API}/contacts",
        {"first_name": "A", "last_name": "B"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Contact.objects.exists()


def test_a_write_without_session_or_token_is_401_not_a_csrf_failure(db):
    client = Client(enforce_csrf_checks=True, headers={"Authorization": "Bearer clt_revoked"})
    response = client.post(
        f"{API}/contacts", {"first_name": "A", "last_name": "B"}, content_type="application/json"
    )
    assert response.status_code == 401


# --- create --------------------------------------------------------------------------------


def test_create_a_person_with_everything(ana, user, other_user):
    ctype = ContactType.objects.create(name="Partner")
    temperature = Temperature.objects.create(name="Hot", color="#ff0000")
    source = Source.objects.create(name="Fair")
    interest = Interest.objects.create(name="Consulting")
    team = set_team(_admin(), None, name="Sales", member_ids=[])
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        key="birthday",
        label="Birthday",
        field_type="date",
    )
    acme = company(user)
    response = ana.post(
        f"{API}/contacts",
        {
            "kind": "person",
            "first_name": " Lucía ",
            "last_name": "Martín",
            "company_id": acme.pk,
            "position": "CTO",
            "description": "Met at the fair.",
            "currency": "usd",
            "contact_type_id": ctype.pk,
            "temperature_id": temperature.pk,
            "source_id": source.pk,
            "interest_ids": [interest.pk],
            "tags": ["VIP", "new one"],
            "is_lead": True,
            "access": "public_read",
            "manager_ids": [user.pk, other_user.pk],
            "shared_team_ids": [team.pk],
            "emails": [{"email": "Lucia@Example.com", "kind": "work"}],
            "phones": [{"number": "+34 600 11 22 33", "kind": "mobile"}],
            "websites": [{"url": "example.com", "kind": "website"}],
            "addresses": [{"street": "Gran Vía 1", "city": "Madrid", "country": "Spain"}],
            "custom_fields": {"birthday": "01/02/1990"},
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["ETag"] == '"1"'
    contact = Contact.objects.get(pk=body["id"])
    assert body["display_name"] == "Lucía Martín" == contact.display_name
    assert body["company"] == {"id": acme.pk, "display_name": "Acme S.L."}
    assert body["currency"] == "USD"
    assert body["contact_type"] == {"id": ctype.pk, "name": "Partner"}
    assert body["temperature"]["color"] == "#ff0000"
    assert {t["name"] for t in body["tags"]} == {"VIP", "new one"}
    assert Tag.objects.filter(name="VIP").exists()
    assert {m["id"] for m in body["managers"]} == {user.pk, other_user.pk}
    assert body["shared_teams"] == [{"id": team.pk, "name": "Sales"}]
    assert body["emails"] == [{"email": "lucia@example.com", "kind": "work"}]
    assert body["websites"][0]["url"] == "https://example.com"
    assert body["addresses"][0]["is_main"] is True
    assert body["custom_fields"] == {"birthday": "1990-02-01"}
    assert body["access"] == "public_read" and body["is_lead"] is True


def _admin():
    from clientela.accounts.models import User

    return User.objects.create_user("boss@example.com", "s3cret-Pass!", role="admin")


def test_create_without_managers_makes_the_creator_manager(ana, user):
    response = ana.post(f"{API}/contacts", {"first_name": "A", "last_name": "B"})
    assert response.status_code == 201
    assert response.json()["managers"] == [{"id": user.pk, "name": "Ana García"}]


def test_service_errors_are_400_naming_the_field_and_write_nothing(ana, user):
    response = ana.post(f"{API}/contacts", {"kind": "person", "first_name": "Solo"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"last_name"}
    response = ana.post(
        f"{API}/contacts",
        {
            "kind": "company",
            "company_name": "Acme",
            "emails": [{"email": "not-an-email"}],
            "currency": "XXX",
            "source_id": 999,
            "tags": ["ok"],
        },
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"emails.0.email", "currency", "source_id"} <= set(errors)
    assert not Contact.objects.exists()
    assert not Tag.objects.exists()


def test_unknown_custom_field_is_named(ana):
    response = ana.post(
        f"{API}/contacts", {"first_name": "A", "last_name": "B", "custom_fields": {"nope": "x"}}
    )
    assert response.status_code == 400
    assert "custom_fields.nope" in response.json()["errors"]


def test_a_company_out_of_reach_is_no_such_company(ana, other_user):
    hidden = company(other_user, "Hidden Co")
    response = ana.post(
        f"{API}/contacts", {"first_name": "A", "last_name": "B", "company_id": hidden.pk}
    )
    assert response.status_code == 400
    assert "company_id" in response.json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"first_name": "A", "last_name": "B", "kind": "robot"}, "kind"),
        ({"first_name": "A" * 101, "last_name": "B"}, "first_name"),
        ({"first_name": "A\x00", "last_name": "B"}, "first_name"),
        ({"first_name": "A", "last_name": "B", "company_id": 2**70}, "company_id"),
        ({"first_name": "A", "last_name": "B", "company_id": "abc"}, "company_id"),
        ({"first_name": "A", "last_name": "B", "manager_ids": [0]}, "manager_ids.0"),
        ({"first_name": "A", "last_name": "B", "emails": [{"email": "a" * 300}]}, "emails.0.email"),
        ({"first_name": "A", "last_name": "B", "emails": [{"kind": "x"}]}, "emails.0.email"),
        (
            {"first_name": "A", "last_name": "B", "addresses": [{"city": "x" * 101}]},
            "addresses.0.city",
        ),
        ({"first_name": "A", "last_name": "B", "description": "x" * 10_001}, "description"),
        ({"first_name": "A", "last_name": "B", "tags": "VIP"}, "tags"),
        ({"first_name": "A", "last_name": "B", "custom_fields": {"k": [1]}}, "custom_fields.k"),
    ],
)
def test_schema_errors_are_422_naming_the_field(ana, payload, field):
    response = ana.post(f"{API}/contacts", payload)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert any(key == field or key.startswith(field + ".") for key in errors), errors
    assert not Contact.objects.exists()


def test_a_body_that_is_not_json_is_a_4xx(ana):
    response = ana.client.post(
        f"{API}/contacts", "{not json", content_type="application/json", headers=ana.headers
    )
    assert 400 <= response.status_code < 500


# --- list and read -------------------------------------------------------------------------


def test_list_shows_only_visible_contacts_with_filters_and_pages(ana, user, other_user):
    mine = [person(user, f"P{i:02d}", "Mine", tags=["vip"] if i % 2 else []) for i in range(5)]
    company(user, "Mine Co")
    person(other_user, "Hidden", "Theirs")
    person(other_user, "Shown", "Public", access=AccessLevel.PUBLIC_READ)

    body = ana.get(f"{API}/contacts").json()
    names = [row["display_name"] for row in body["items"]]
    assert "Hidden Theirs" not in names and "Shown Public" in names
    # The last page knows the count without counting.
    assert body["count"] == 7 and body["count_is_capped"] is False
    assert body["next_offset"] is None
    first = ana.get(f"{API}/contacts?limit=3").json()
    assert first["count"] is None and first["next_offset"] == 3
    counted = ana.get(f"{API}/contacts?limit=3&count=true").json()
    assert counted["count"] == 7 and counted["count_is_capped"] is False

    page = ana.get(f"{API}/contacts", {"limit": 2, "offset": 2}).json()
    assert len(page["items"]) == 2 and page["next_offset"] == 4

    tag = Tag.objects.get(name="vip")
    tagged = ana.get(f"{API}/contacts", {"tag": tag.pk}).json()
    assert {row["id"] for row in tagged["items"]} == {mine[1].pk, mine[3].pk}
    companies = ana.get(f"{API}/contacts", {"kind": "company"}).json()
    assert [row["display_name"] for row in companies["items"]] == ["Mine Co"]
    found = ana.get(f"{API}/contacts", {"q": "p03 mine"}).json()
    assert [row["id"] for row in found["items"]] == [mine[3].pk]
    newest = ana.get(f"{API}/contacts", {"ordering": "-created", "limit": 1}).json()
    assert newest["items"][0]["display_name"] == "Shown Public"


@pytest.mark.parametrize(
    "params",
    [{"limit": 201}, {"limit": 0}, {"offset": -1}, {"ordering": "evil"}, {"tag": "x"}],
)
def test_bad_list_parameters_are_422(ana, params):
    response = ana.get(f"{API}/contacts", params)
    assert response.status_code == 422
    assert set(params) & set(response.json()["errors"])


def test_detail_has_an_etag_and_out_of_reach_is_404(ana, user, other_user):
    contact = person(user)
    response = ana.get(f"{API}/contacts/{contact.pk}")
    assert response.status_code == 200
    assert response["ETag"] == '"1"' and response.json()["version"] == 1
    hidden = person(other_user, "Hidden", "Theirs")
    out_of_reach = ana.get(f"{API}/contacts/{hidden.pk}")
    missing = ana.get(f"{API}/contacts/999999")
    assert out_of_reach.status_code == missing.status_code == 404
    assert out_of_reach.json() == missing.json()
    assert ana.get(f"{API}/contacts/{2**64}").status_code == 422


def test_list_query_budget_does_not_grow_with_rows(
    ana, user, other_user, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for rows in (5, 30):
        Contact.objects.all().delete()
        for i in range(rows):
            person(
                user,
                f"N{i}",
                "Budget",
                emails=[{"email": f"n{i}@example.com"}],
                tags=["a", f"t{i}"],
                manager_ids=[user.pk, other_user.pk],
            )
        ana.get(f"{API}/contacts")  # the token's "last used" stamp is written once a minute
        with CaptureQueriesContext(connection) as queries:
            response = ana.get(f"{API}/contacts", {"limit": 50})
        assert len(response.json()["items"]) == rows
        counts.append(len(queries))
    # The token, then the rows with their tags (counting is asked for separately).
    assert counts == [2, 2]
    with django_assert_max_num_queries(6):
        ana.get(f"{API}/contacts", {"limit": 50, "tag": Tag.objects.get(name="a").pk})


def test_detail_query_budget_does_not_grow_with_related_rows(
    ana, user, other_user, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (1, 10):
        contact = person(
            user,
            emails=[{"email": f"e{i}@example.com"} for i in range(size)],
            phones=[{"number": f"60000000{i}"} for i in range(size)],
            addresses=[{"city": f"City {i}"} for i in range(size)],
            tags=[f"tag {size} {i}" for i in range(size)],
            manager_ids=[user.pk, other_user.pk],
        )
        ana.get(f"{API}/contacts/{contact.pk}")
        with CaptureQueriesContext(connection) as queries:
            assert ana.get(f"{API}/contacts/{contact.pk}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        ana.get(f"{API}/contacts/{contact.pk}")


# --- update --------------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent(ana, user):
    contact = person(user, position="Dev", emails=[{"email": "a@example.com"}])
    response = ana.patch(f"{API}/contacts/{contact.pk}", {"position": "CTO"})
    assert response.status_code == 200
    body = response.json()
    assert body["position"] == "CTO" and body["emails"][0]["email"] == "a@example.com"
    assert response["ETag"] == '"2"' and body["version"] == 2


def test_stale_if_match_is_412_and_stale_version_409(ana, user):
    contact = person(user)
    url = f"{API}/contacts/{contact.pk}"
    assert ana.patch(url, {"position": "A"}, headers={"If-Match": '"1"'}).status_code == 200
    stale = ana.patch(url, {"position": "B"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    assert ana.patch(url, {"position": "B"}, headers={"If-Match": "garbage"}).status_code == 412
    conflict = ana.patch(url, {"position": "B", "version": 1})
    assert conflict.status_code == 409 and conflict.json()["current_version"] == 2
    contact.refresh_from_db()
    assert contact.position == "A" and contact.version == 2
    assert ana.patch(url, {"position": "C", "version": 2}).status_code == 200
    assert ana.patch(url, {"position": "D"}, headers={"If-Match": 'W/"3"'}).status_code == 200


def test_patch_permissions(ana, user, other_user):
    readable = person(other_user, "Read", "Only", access=AccessLevel.PUBLIC_READ)
    writable = person(other_user, "Write", "Able", access=AccessLevel.PUBLIC_WRITE)
    private = person(other_user, "Pri", "Vate")
    assert ana.patch(f"{API}/contacts/{readable.pk}", {"position": "x"}).status_code == 403
    assert ana.patch(f"{API}/contacts/{private.pk}", {"position": "x"}).status_code == 404
    assert ana.patch(f"{API}/contacts/{writable.pk}", {"position": "x"}).status_code == 200
    # Changing who has access is for the managers only.
    response = ana.patch(f"{API}/contacts/{writable.pk}", {"access": "private"})
    assert response.status_code == 403
    writable.refresh_from_db()
    assert writable.access == AccessLevel.PUBLIC_WRITE


def test_patch_with_invalid_data_changes_nothing(ana, user):
    contact = person(user)
    response = ana.patch(
        f"{API}/contacts/{contact.pk}", {"first_name": "", "emails": [{"email": "bad"}]}
    )
    assert response.status_code == 400
    assert {"first_name", "emails.0.email"} <= set(response.json()["errors"])
    contact.refresh_from_db()
    assert contact.first_name == "Lucía" and contact.version == 1


# --- delete --------------------------------------------------------------------------------


def test_delete(ana, bruno, user, other_user):
    contact = person(user, access=AccessLevel.PUBLIC_WRITE)
    assert bruno.delete(f"{API}/contacts/{contact.pk}").status_code == 403
    assert ana.delete(f"{API}/contacts/{contact.pk}").status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert ana.delete(f"{API}/contacts/{contact.pk}").status_code == 404


def test_delete_of_a_protected_contact_is_409_with_the_reason(ana, user, monkeypatch):
    contact = person(user)
    monkeypatch.setattr(services, "references_to", lambda c: ["invoices: F-0001"])
    response = ana.delete(f"{API}/contacts/{contact.pk}")
    assert response.status_code == 409
    assert "F-0001" in response.json()["detail"]
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_bulk_delete_with_a_protected_contact_is_a_documented_409(ana, user, monkeypatch):
    free, protected = person(user), person(user, "Protegida", "Persona")
    monkeypatch.setattr(
        services, "references_to", lambda c: ["invoices: F-0001"] if c.pk == protected.pk else []
    )
    response = ana.post(
        f"{API}/contacts/bulk",
        {"action": "delete", "ids": [free.pk, protected.pk]},
        content_type="application/json",
    )
    assert response.status_code == 409 and "F-0001" in response.json()["detail"]
    assert Contact.objects.filter(pk__in=[free.pk, protected.pk]).count() == 2
    schema = ana.get(f"{API}/openapi.json").json()
    assert "409" in schema["paths"][f"{API}/contacts/bulk"]["post"]["responses"]


# --- photo ---------------------------------------------------------------------------------


def test_photo_upload_resizes_and_remove(ana, user):
    contact = person(user)
    url = f"{API}/contacts/{contact.pk}/photo"
    response = ana.put(url, {"photo": png_bytes((800, 800))})
    assert response.status_code == 200, response.content
    assert response.json()["photo_url"]
    contact.refresh_from_db()
    with Image.open(contact.photo) as image:
        assert image.size[0] <= 200 and image.size[1] <= 300
    response = ana.delete(url)
    assert response.status_code == 200 and response.json()["photo_url"] is None


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", ".jpg"), ("WEBP", ".webp"), ("PNG", ".png")])
def test_jpeg_webp_and_png_photos_are_kept_in_their_format(ana, user, fmt, suffix):
    contact = person(user)
    response = ana.put(f"{API}/contacts/{contact.pk}/photo", {"photo": png_bytes((300, 900), fmt)})
    assert response.status_code == 200, response.content
    contact.refresh_from_db()
    assert contact.photo.name.endswith(suffix)
    with Image.open(contact.photo) as image:
        assert image.format == fmt and image.size == (100, 300)


def test_a_photo_over_1_mb_is_refused_before_it_is_read(ana, user):
    contact = person(user)
    noise = io.BytesIO()
    pixels = random.Random(7).randbytes(700 * 700 * 3)  # noise: PNG cannot compress it
    Image.frombytes("RGB", (700, 700), pixels).save(noise, "PNG")
    assert noise.tell() > 1_000_000
    noise.seek(0)
    noise.name = "big.png"
    response = ana.put(f"{API}/contacts/{contact.pk}/photo", {"photo": noise})
    assert response.status_code == 400
    assert response.json()["errors"]["photo"] == ["The photo is larger than 1 MB."]
    contact.refresh_from_db()
    assert not contact.photo


def test_photo_errors_name_the_field(ana, user):
    contact = person(user)
    url = f"{API}/contacts/{contact.pk}/photo"
    not_a_picture = io.BytesIO(b"GIF89a not really")
    not_a_picture.name = "x.png"
    response = ana.put(url, {"photo": not_a_picture})
    assert response.status_code == 400 and "photo" in response.json()["errors"]
    gif = png_bytes(fmt="GIF")
    assert "photo" in ana.put(url, {"photo": gif}).json()["errors"]
    missing = ana.put(url, {"other": png_bytes()})
    assert missing.status_code == 422 and "photo" in missing.json()["errors"]
    contact.refresh_from_db()
    assert not contact.photo


# --- history and people --------------------------------------------------------------------


def test_history_lists_the_changes(ana, user):
    contact = person(user)
    ana.patch(f"{API}/contacts/{contact.pk}", {"position": "CEO"})
    body = ana.get(f"{API}/contacts/{contact.pk}/history").json()
    assert [entry["action"] for entry in body["items"]] == ["update", "create"]
    assert {"field": "position", "before": "", "after": "CEO"} in body["items"][0]["changes"]
    assert body["items"][0]["actor"]["name"] == "Ana García"
    ana.post(f"{API}/contacts/{contact.pk}/customer", {"code": "C-HIST"})
    body = ana.get(f"{API}/contacts/{contact.pk}/history").json()
    assert [(e["record"], e["action"]) for e in body["items"]][:2] == [
        ("customer", "create"),
        ("contact", "update"),
    ]


def test_people_of_a_company_only_visible_ones(ana, user, other_user):
    acme = company(user, access=AccessLevel.PUBLIC_READ)
    visible = person(user, "Vi", "Sible", company_id=acme.pk)
    person(other_user, "Hid", "Den", company_id=acme.pk)
    body = ana.get(f"{API}/contacts/{acme.pk}/people").json()
    assert [row["id"] for row in body["items"]] == [visible.pk]


# --- bulk ----------------------------------------------------------------------------------


def test_bulk_actions(ana, user, other_user):
    contacts = [person(user, f"B{i}", "Ulk") for i in range(3)]
    ids = [c.pk for c in contacts]
    ctype = ContactType.objects.create(name="Partner")
    tagged = ana.post(f"{API}/contacts/bulk", {"action": "tag", "ids": ids, "tags": ["hot"]})
    assert tagged.json() == {"action": "tag", "count": 3}
    assert Contact.objects.filter(tags__name="hot").count() == 3
    typed = ana.post(
        f"{API}/contacts/bulk", {"action": "set_type", "ids": ids, "contact_type_id": ctype.pk}
    )
    assert typed.status_code == 200
    assert Contact.objects.filter(contact_type=ctype).count() == 3
    assigned = ana.post(
        f"{API}/contacts/bulk",
        {"action": "assign_manager", "ids": ids, "manager_id": other_user.pk},
    )
    assert assigned.status_code == 200
    assert Contact.objects.filter(managers=other_user).count() == 3
    deleted = ana.post(f"{API}/contacts/bulk", {"action": "delete", "ids": ids[:2]})
    assert deleted.json()["count"] == 2
    assert list(Contact.objects.values_list("pk", flat=True)) == [ids[2]]


def test_bulk_is_all_or_nothing(ana, user, other_user):
    mine = person(user)
    theirs = person(other_user, "Their", "S", access=AccessLevel.PUBLIC_READ)
    response = ana.post(
        f"{API}/contacts/bulk", {"action": "tag", "ids": [mine.pk, theirs.pk], "tags": ["x"]}
    )
    assert response.status_code == 403
    assert not Contact.objects.filter(tags__name="x").exists()
    response = ana.post(f"{API}/contacts/bulk", {"action": "tag", "ids": [mine.pk], "tags": []})
    assert response.status_code == 400 and "tags" in response.json()["errors"]
    response = ana.post(f"{API}/contacts/bulk", {"action": "assign_manager", "ids": [mine.pk]})
    assert response.status_code == 400 and "manager_id" in response.json()["errors"]
    assert ana.post(f"{API}/contacts/bulk", {"action": "zap", "ids": [1]}).status_code == 422
    assert ana.post(f"{API}/contacts/bulk", {"action": "delete", "ids": []}).status_code == 422
    assert Contact.objects.count() == 2


# --- customers, suppliers, leads -----------------------------------------------------------


def test_create_customer_creates_its_contact_with_main_address(ana):
    response = ana.post(
        f"{API}/customers",
        {
            "contact": {
                "kind": "company",
                "company_name": "Globex",
                "addresses": [{"street": "Main St 1", "city": "Springfield"}],
            },
            "customer": {"tax_id": "B12345678"},
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["customer"]["code"].startswith("C") and body["customer"]["tax_id"] == "B12345678"
    assert body["addresses"][0]["is_main"] is True


def test_create_supplier(ana):
    response = ana.post(
        f"{API}/suppliers", {"contact": {"kind": "company", "company_name": "Initech"}}
    )
    assert response.status_code == 201
    assert response.json()["supplier"]["code"].startswith("S")
    bad = ana.post(f"{API}/suppliers", {"contact": {"kind": "company"}})
    assert bad.status_code == 400 and "company_name" in bad.json()["errors"]


def test_customer_role_lifecycle(ana, bruno, user):
    acme = company(user)
    url = f"{API}/contacts/{acme.pk}/customer"
    assert ana.get(url).status_code == 404
    created = ana.post(url, {"code": "ACME", "payment_terms": "30 days"})
    assert created.status_code == 201 and created.json()["code"] == "ACME"
    again = ana.post(url, {})
    assert again.status_code == 400 and "contact_id" in again.json()["errors"]
    other = company(user, "Other")
    clash = ana.post(f"{API}/contacts/{other.pk}/customer", {"code": "ACME"})
    assert clash.status_code == 400 and "code" in clash.json()["errors"]
    assert ana.patch(url, {"notes": "Good payer"}).json()["notes"] == "Good payer"
    assert ana.get(url).json()["payment_terms"] == "30 days"
    assert bruno.get(url).status_code == 404
    assert ana.delete(url).status_code == 204
    assert not Customer.objects.filter(contact=acme).exists()
    assert Contact.objects.filter(pk=acme.pk).exists()


def test_a_stale_role_edit_is_refused_and_changes_nothing(ana, user):
    acme = company(user)
    url = f"{API}/contacts/{acme.pk}/supplier"
    assert ana.post(url, {"payment_terms": "30 days"}).json()["version"] == 1
    read = ana.get(url)
    assert read["ETag"] == '"1"'
    first = ana.patch(url, {"payment_terms": "60 days"}, headers={"If-Match": read["ETag"]})
    assert first.status_code == 200 and first.json()["version"] == 2 and first["ETag"] == '"2"'
    stale_header = ana.patch(url, {"payment_terms": "90 days"}, headers={"If-Match": '"1"'})
    assert stale_header.status_code == 412
    stale_body = ana.patch(url, {"payment_terms": "90 days", "version": 1})
    assert stale_body.status_code == 409 and stale_body.json()["current_version"] == 2
    assert ana.get(url).json()["payment_terms"] == "60 days"


def test_supplier_role(ana, user):
    acme = company(user)
    url = f"{API}/contacts/{acme.pk}/supplier"
    assert ana.post(url, {}).status_code == 201
    assert ana.patch(url, {"code": ""}).status_code == 400
    assert ana.delete(url).status_code == 204


def test_primary_contact(ana, user, other_user):
    acme = company(user)
    first = person(user, "First", "One", company_id=acme.pk)
    second = person(user, "Second", "Two", company_id=acme.pk)
    outsider = person(user, "Out", "Sider")
    hidden = person(other_user, "Hid", "Den")
    customer = ana.post(f"{API}/contacts/{acme.pk}/customer", {}).json()
    assert customer["primary_contact_id"] == first.pk
    url = f"{API}/contacts/{acme.pk}/customer/primary-contact"
    response = ana.post(url, {"contact_id": second.pk})
    assert response.status_code == 200 and response.json()["primary_contact_id"] == second.pk
    bad = ana.post(url, {"contact_id": outsider.pk})
    assert bad.status_code == 400 and "primary_contact_id" in bad.json()["errors"]
    assert ana.post(url, {"contact_id": hidden.pk}).status_code == 404


def test_convert_lead(ana, user):
    lead = person(user, is_lead=True)
    response = ana.post(f"{API}/contacts/{lead.pk}/convert-lead", {})
    assert response.status_code == 201
    lead.refresh_from_db()
    assert not lead.is_lead and Customer.objects.filter(contact=lead).exists()
    again = ana.post(f"{API}/contacts/{lead.pk}/convert-lead", {})
    assert again.status_code == 400 and "is_lead" in again.json()["errors"]


# --- admin-edited lists --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "payload", "change"),
    [
        ("contact-types", {"name": "Partner"}, {"position": 3}),
        ("temperatures", {"name": "Hot", "color": "#ff0000"}, {"color": "#00ff00"}),
        ("sources", {"name": "Fair", "description": "Trade fairs"}, {"name": "Fairs"}),
        ("interests", {"name": "Consulting"}, {"description": "Hours"}),
        ("tags", {"name": "VIP", "color": "#123456"}, {"name": "Very important"}),
        (
            "custom-fields",
            {"key": "size", "label": "Size", "field_type": "choice", "choices": ["S", "M"]},
            {"label": "T-shirt size"},
        ),
    ],
)
def test_admin_lists(ana, admin, slug, payload, change):
    url = f"{API}/{slug}"
    assert ana.post(url, payload).status_code == 403
    created = admin.post(url, payload)
    assert created.status_code == 201, created.json()
    item_id = created.json()["id"]
    duplicate = admin.post(url, payload)
    assert duplicate.status_code == 400 and duplicate.json()["errors"]
    assert [row["id"] for row in ana.get(url).json()] == [item_id]
    assert ana.patch(f"{url}/{item_id}", change).status_code == 403
    changed = admin.patch(f"{url}/{item_id}", change)
    assert changed.status_code == 200
    assert all(changed.json()[k] == v for k, v in change.items())
    assert ana.delete(f"{url}/{item_id}").status_code == 403
    assert admin.delete(f"{url}/{item_id}").status_code == 204
    assert admin.delete(f"{url}/{item_id}").status_code == 404
    assert ChangeLogEntry.objects.filter(object_id=item_id, action="delete").exists()


def test_an_admin_list_value_in_use_is_protected(admin, user):
    source = Source.objects.create(name="Fair")
    person(user, source_id=source.pk)
    response = admin.delete(f"{API}/sources/{source.pk}")
    assert response.status_code == 409 and "Fair" in response.json()["detail"]
    assert Source.objects.filter(pk=source.pk).exists()


def test_admin_list_bad_input(admin):
    assert admin.post(f"{API}/temperatures", {"name": "X", "color": "red"}).status_code == 422
    assert admin.post(f"{API}/contact-types", {"name": ""}).status_code == 422
    assert admin.patch(f"{API}/contact-types/{2**63}", {"name": "x"}).status_code == 422


# --- export --------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_holds_only_visible_filtered_contacts(ana, user, other_user):
    person(user, "Mine", "One", tags=["vip"], emails=[{"email": "mine@example.com"}])
    person(user, "Mine", "Two")
    person(other_user, "Hidden", "Theirs")
    person(other_user, "Public", "Theirs", access=AccessLevel.PUBLIC_READ)
    rows = _csv(ana.get(f"{API}/contacts/export.csv"))
    data = rows[1:]
    names = {row[2] for row in data}
    assert names == {"Mine One", "Mine Two", "Public Theirs"}
    tag = Tag.objects.get(name="vip")
    rows = _csv(ana.get(f"{API}/contacts/export.csv", {"tag": tag.pk}))
    assert len(rows) == 2 and "mine@example.com" in rows[1] and "vip" in rows[1]
    assert api_client().get(f"{API}/contacts/export.csv").status_code == 401
    assert ana.get(f"{API}/contacts/export.csv", {"kind": "robot"}).status_code == 422


def test_export_neutralises_formulas_but_keeps_phone_numbers(ana, user):
    person(user, "=HYPERLINK(1)", "X", phones=[{"number": "+34 600 11 22 33"}])
    rows = _csv(ana.get(f"{API}/contacts/export.csv"))
    row = rows[1]
    assert "'=HYPERLINK(1) X" in row
    assert "+34 600 11 22 33" in row


def test_write_contacts_csv_for_the_web_ui(user):
    from clientela.contacts.exports import write_contacts_csv
    from clientela.contacts.filters import ContactFilter

    person(user, "Ana", "Uno", kind="person")
    company(user, "Acme")
    out = io.StringIO()
    count = write_contacts_csv(user, ContactFilter(kind="company"), out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert count == 1 and len(rows) == 2 and "Acme" in rows[1]


def test_export_query_count_does_not_grow(ana, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for rows in (3, 20):
        Contact.objects.all().delete()
        for i in range(rows):
            person(user, f"E{i}", "Xport", tags=[f"t{i}"], emails=[{"email": f"e{i}@example.com"}])
        ana.get(f"{API}/contacts")
        with CaptureQueriesContext(connection) as queries:
            assert len(_csv(ana.get(f"{API}/contacts/export.csv"))) == rows + 1
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the generic suites, filled with contacts and with an admin list ----------------------


class TestContactApiCrud(ApiCrudSuite):
    list_endpoint = f"{API}/contacts"
    detail_endpoint = f"{API}/contacts/{{id}}"
    model = Contact
    create_payload = {
        "kind": "person",
        "first_name": "Crud",
        "last_name": "Person",
        "position": "CEO",
        "emails": [{"email": "crud@example.com"}],
        "tags": ["suite"],
    }
    update_payload = {"position": "CTO", "description": "Changed by the suite"}
    invalid_payload = {"kind": "person", "first_name": "Only"}
    invalid_field = "last_name"

    def create_record(self, actor, n):
        size = min(n, 10)
        return person(
            actor,
            f"P{n:03d}",
            "Crud",
            emails=[{"email": f"p{n}.{i}@example.com"} for i in range(size)],
            phones=[{"number": f"600 000 {i:03d}"} for i in range(size)],
            addresses=[{"city": f"City {i}"} for i in range(size)],
            tags=["shared", *[f"t{n}.{i}" for i in range(size)]],
            shared_user_ids=[actor.pk],
        )


class TestContactTypeApiCrud(ApiCrudSuite):
    list_endpoint = f"{API}/contact-types"
    detail_endpoint = f"{API}/contact-types/{{id}}"
    model = ContactType
    actor_role = "admin"
    versioned = False
    paginated = False
    create_payload = {"name": "Partner", "position": 2}
    update_payload = {"name": "Strategic partner"}
    invalid_payload = {"name": "x" * 101}
    invalid_field = "name"

    def create_record(self, actor, n):
        return platform_services.save_list_item(actor, ContactType, None, {"name": f"Type {n:03d}"})


def test_export_streams_in_batches_under_asgi(user, monkeypatch):
    """Under ASGI the export is an asynchronous stream, never read whole into memory first."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from clientela.contacts import exports

    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    for i in range(5):
        person(user, f"A{i}", "Sync")
    _, raw = create_api_token(user, "asgi")

    async def fetch():
        response = await AsyncClient().get(
            f"{API}/contacts/export.csv", headers={"Authorization": f"Bearer {raw}"}
        )
        assert response.status_code == 200 and response.is_async
        return [part async for part in response.streaming_content]

    parts = async_to_sync(fetch)()
    text = b"".join(parts).decode("utf-8-sig")
    assert len(parts) > 1
    assert len(list(csv.reader(io.StringIO(text)))) == 6


def test_a_customer_cannot_be_made_a_lead(ana, user):
    acme = company(user)
    services.make_customer(user, acme)
    response = ana.patch(f"{API}/contacts/{acme.pk}", {"is_lead": True})
    assert response.status_code == 400 and "is_lead" in response.json()["errors"]
    acme.refresh_from_db()
    assert not acme.is_lead


def test_custom_field_definitions_are_checked_by_their_service(admin):
    response = admin.post(
        f"{API}/custom-fields", {"key": "size", "label": "Size", "field_type": "choice"}
    )
    assert response.status_code == 400 and "choices" in response.json()["errors"]
    clash = admin.post(f"{API}/tags", {"name": "VIP"}), admin.post(f"{API}/tags", {"name": "vip"})
    assert clash[0].status_code == 201 and clash[1].status_code == 400


def test_search_by_email_start_matches_any_address_of_the_contact_and_nothing_hidden(
    ana, user, other_user
):
    maria = person(
        user,
        "María",
        "López",
        emails=[{"email": "info@lopez.es"}, {"email": "Maria.Lopez@acme.com"}],
    )
    person(user, "Ana", "Maria", emails=[{"email": "anamaria.lopez@acme.com"}])
    person(other_user, "Hidden", "Maria", emails=[{"email": "maria.lopez@hidden.com"}])

    def found(q):
        return [row["id"] for row in ana.get(f"{API}/contacts", {"q": q}).json()["items"]]

    # An address typed from its start matches the contact's second address too.
    assert found("maria.lopez@") == [maria.pk]
    assert found("MARIA.LOPEZ@ACME") == [maria.pk]
    assert found("info@lopez") == [maria.pk]
    # Other words still match anywhere in the name, emails and phones.
    assert len(found("lopez")) == 2
    assert found("maria.lopez@ López") == [maria.pk]


def test_export_dates_a_contact_by_the_local_day_it_was_created(ana, user):
    late = person(user, "Late", "Night")
    # 23:30 UTC on 31 December is 00:30 on 1 January in Madrid.
    Contact.objects.filter(pk=late.pk).update(
        created_at=datetime.datetime(2025, 12, 31, 23, 30, tzinfo=datetime.UTC)
    )
    header, row = _csv(ana.get(f"{API}/contacts/export.csv"))
    assert row[-1] == "2026-01-01"  # the last column, "Created"


def test_export_lists_a_search_in_the_order_of_the_list(ana, user):
    for first, last in [("Ana Lucía", "Abad"), ("Lucía", "Zapata"), ("Lucía", "Cano")]:
        person(user, first, last)
    header, *rows = _csv(ana.get(f"{API}/contacts/export.csv", {"q": "lucia"}))
    names = [row[2] for row in rows]  # the third column, "Full name"
    assert names == ["Lucía Cano", "Lucía Zapata", "Ana Lucía Abad"]
    header, *rows = _csv(ana.get(f"{API}/contacts/export.csv", {"q": "lucia", "ordering": "name"}))
    assert [row[2] for row in rows] == [
        "Ana Lucía Abad",
        "Lucía Cano",
        "Lucía Zapata",
    ]


def test_the_spanish_export_names_each_column_once(user):
    user.language = "es"
    user.save(update_fields=["language"])
    header, *_rows = _csv(
        api_client(user).get(f"{API}/contacts/export.csv", headers={"Accept-Language": "es"})
    )
    assert len(header) == len(set(header)) and header[2] == "Nombre completo"
