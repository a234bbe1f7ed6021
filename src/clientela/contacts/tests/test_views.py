"""The contact pages: rendering, reach (404), forms and their errors, conflicts, bulk actions,
and query budgets that do not grow with the number of rows."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from clientela.contacts import services
from clientela.contacts.models import Contact, ContactType, Customer
from clientela.core.access import AccessLevel
from clientela.core.models import CustomField, Tag

pytestmark = pytest.mark.django_db


def person(actor, first="Lucía", last="Martín", **extra):
    return services.create_contact(
        actor, {"kind": "person", "first_name": first, "last_name": last, **extra}
    )


def company(actor, name="Acme S.L.", **extra):
    return services.create_contact(actor, {"kind": "company", "company_name": name, **extra})


def contact_form(kind="person", version=None, **fields):
    """POST data of the contact form: empty formsets plus the given fields."""
    data = {"kind": kind, "currency": "EUR", "access": "private"}
    if version is not None:
        data["version"] = version
    for prefix in ("emails", "phones", "websites", "addresses"):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    data.update(fields)
    return data


def with_rows(data, prefix, rows):
    data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def png_bytes(size=(400, 400)):
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


# --- pages render ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "user"])
@pytest.mark.parametrize(
    "url",
    [
        "/contacts/",
        "/contacts/companies/",
        "/contacts/customers/",
        "/contacts/suppliers/",
        "/contacts/leads/",
        "/contacts/new/?kind=person",
        "/contacts/new/?kind=company",
        "/contacts/new/customer/",
        "/contacts/new/supplier/",
    ],
)
def test_pages_render_for_every_role(client, make_user, role, url):
    actor = make_user(role)
    acme = company(actor)
    person(actor, company_id=acme.pk, emails=[{"email": "lucia@example.com"}])
    client.force_login(actor)
    response = client.get(url)
    assert response.status_code == 200
    assert b"</html>" in response.content


@pytest.mark.parametrize("role", ["admin", "user"])
@pytest.mark.parametrize("tab", ["information", "people", "company", "addresses", "history"])
def test_detail_tabs_render(client, make_user, role, tab):
    actor = make_user(role)
    acme = company(actor, addresses=[{"city": "Madrid", "country": "España"}])
    lucia = person(actor, company_id=acme.pk, tags=["vip"])
    services.make_customer(actor, acme)
    client.force_login(actor)
    for contact in (acme, lucia):
        response = client.get(f"/contacts/{contact.pk}/?tab={tab}")
        assert response.status_code == 200
        assert contact.display_name in response.content.decode()
        for url in (f"/contacts/{contact.pk}/edit/", f"/contacts/{contact.pk}/delete/"):
            assert client.get(url).status_code == 200


def test_preset_lists_show_only_their_contacts(logged_in, user):
    acme = company(user, name="Acme")
    supplier = company(user, name="Proveedora")
    lead = person(user, first="Leo", last="Lead", is_lead=True)
    plain = person(user, first="Pablo", last="Plain")
    services.make_customer(user, acme)
    services.make_supplier(user, supplier)
    expectations = {
        "/contacts/companies/": {"Acme", "Proveedora"},
        "/contacts/customers/": {"Acme"},
        "/contacts/suppliers/": {"Proveedora"},
        "/contacts/leads/": {"Leo Lead"},
        "/contacts/": {"Acme", "Proveedora", "Leo Lead", "Pablo Plain"},
    }
    for url, names in expectations.items():
        page = logged_in.get(url)
        shown = {c.display_name for c in page.context["page"].items}
        assert shown == names, url
        assert page.context["active_section"] in url or url == "/contacts/"
    assert lead.pk and plain.pk


def test_list_search_filter_and_sort(logged_in, user):
    vip = Tag.objects.create(name="vip")
    person(user, first="Ana", last="Zapata", tags=["vip"])
    person(user, first="Berta", last="Alonso", emails=[{"email": "berta@example.com"}])
    names = lambda r: [c.display_name for c in r.context["page"].items]  # noqa: E731
    assert names(logged_in.get("/contacts/?q=berta")) == ["Berta Alonso"]
    assert names(logged_in.get(f"/contacts/?tag={vip.pk}")) == ["Ana Zapata"]
    assert names(logged_in.get("/contacts/?ordering=name")) == ["Ana Zapata", "Berta Alonso"]
    assert names(logged_in.get("/contacts/?ordering=-name")) == ["Berta Alonso", "Ana Zapata"]
    assert names(logged_in.get("/contacts/?contact_type=0")) == ["Ana Zapata", "Berta Alonso"]


def test_invalid_filter_values_are_warned_not_fatal(logged_in, user):
    person(user)
    response = logged_in.get("/contacts/?tag=abc&kind=robot&ordering=sideways")
    assert response.status_code == 200
    warning = response.content.decode()
    assert 'id="filter-warning"' in warning and "Tag" in warning
    assert len(response.context["page"].items) == 1


def test_htmx_swap_returns_only_the_results(logged_in, user):
    person(user)
    response = logged_in.get(
        "/contacts/?q=luc", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="contact-results"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="contact-results"') and "<html" not in body
    assert "Lucía Martín" in body


def test_pagination_text_and_offset(logged_in, user):
    for i in range(55):
        person(user, first=f"P{i:02d}", last="X")
    first = logged_in.get("/contacts/")
    # A page with more after it leaves the total to a follow-up request, so rows come first.
    assert "1–50 " in first.content.decode() and "of 55" not in first.content.decode()
    assert 'id="page-total" hx-get="/contacts/"' in first.content.decode()
    total = logged_in.get("/contacts/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="page-total")
    assert total.content.decode().strip() == '<span id="page-total">of 55</span>'
    second = logged_in.get("/contacts/?offset=50")
    assert '51–55 <span id="page-total">of 55</span>' in second.content.decode()
    assert len(second.context["page"].items) == 5
    assert logged_in.get("/contacts/?offset=nonsense").status_code == 200


def test_empty_state_has_a_call_to_action(logged_in):
    body = logged_in.get("/contacts/").content.decode()
    assert 'id="empty-state"' in body and "/contacts/new/?kind=person" in body


def test_public_contacts_carry_the_public_mark(logged_in, user):
    person(user, first="Pública", last="Uno", access=AccessLevel.PUBLIC_READ)
    person(user, first="Privada", last="Dos")
    body = logged_in.get("/contacts/").content.decode()
    assert body.count("data-public-mark") == 1


# --- reach: out of reach answers 404 ----------------------------------------------------


@pytest.mark.parametrize(
    "method,suffix",
    [
        ("get", "/"),
        ("get", "/edit/"),
        ("post", "/edit/"),
        ("get", "/delete/"),
        ("post", "/delete/"),
        ("get", "/photo/"),
        ("post", "/photo/"),
        ("get", "/photo/file/"),
        ("post", "/customer/make/"),
        ("post", "/lead/"),
    ],
)
def test_private_contact_of_someone_else_is_404(client, user, other_user, method, suffix):
    hidden = person(other_user)
    client.force_login(user)
    response = getattr(client, method)(f"/contacts/{hidden.pk}{suffix}")
    assert response.status_code == 404
    assert Contact.objects.get(pk=hidden.pk).version == hidden.version
    assert not Customer.objects.exists()


def test_public_read_contact_is_visible_but_not_editable(client, user, other_user):
    shown = person(other_user, access=AccessLevel.PUBLIC_READ)
    client.force_login(user)
    assert client.get(f"/contacts/{shown.pk}/").status_code == 200
    assert client.get(f"/contacts/{shown.pk}/edit/").status_code == 404
    assert client.post(f"/contacts/{shown.pk}/delete/").status_code == 404
    assert Contact.objects.filter(pk=shown.pk).exists()


# --- create and edit -----------------------------------------------------------------------


def test_create_person_with_rows_tags_and_custom_fields(logged_in, user):
    ContactType.objects.create(name="Partner")
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        key="size",
        label="Size",
        field_type="number",
    )
    Tag.objects.create(name="vip")
    data = contact_form(
        first_name="Lucía",
        last_name="Martín",
        tags=["vip"],
        new_tags="madrid, prensa",
        cf_size="12",
        managers=[user.pk],
    )
    with_rows(data, "emails", [{"email": "lucia@example.com", "kind": "work"}])
    with_rows(data, "phones", [{"number": "+34 600 000 000", "kind": "mobile"}])
    with_rows(data, "addresses", [{"kind": "billing", "city": "Madrid", "country": "España"}])
    response = logged_in.post("/contacts/new/?kind=person", data)
    contact = Contact.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.pk}/"
    assert contact.display_name == "Lucía Martín"
    assert contact.primary_email == "lucia@example.com"
    assert sorted(t.name for t in contact.tags.all()) == ["madrid", "prensa", "vip"]
    assert contact.custom_fields == {"size": 12}
    assert contact.addresses.get().is_main


def test_save_and_create_new_redirects_to_a_blank_form(logged_in, user):
    data = contact_form("company", company_name="Acme", save_and_new="1", managers=[user.pk])
    response = logged_in.post("/contacts/new/?kind=company", data)
    assert response.status_code == 302
    assert response["Location"] == "/contacts/new/?kind=company"
    blank = logged_in.get(response["Location"])
    assert blank.context["form"]["company_name"].value() in (None, "")


def test_save_and_create_new_keeps_what_the_form_was_opened_for(logged_in, user):
    acme = company(user, name="Acme")
    data = contact_form(
        first_name="Lía", last_name="Nueva", is_lead="on", save_and_new="1", managers=[user.pk]
    )
    data["company"] = str(acme.pk)
    url = f"/contacts/new/?kind=person&lead=1&company={acme.pk}"
    response = logged_in.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    blank = logged_in.get(response["Location"]).context["form"]
    assert blank["is_lead"].value() is True and blank["company"].value() == acme.pk
    assert Contact.objects.get(last_name="Nueva").is_lead


def test_form_errors_name_fields_and_write_nothing(logged_in):
    data = contact_form(first_name="", last_name="Martín")
    with_rows(
        data,
        "emails",
        [{"email": "good@example.com", "kind": "work"}, {"email": "not-an-email", "kind": "work"}],
    )
    response = logged_in.post("/contacts/new/?kind=person", data)
    assert response.status_code == 400
    editor = response.context["editor"]
    assert "first_name" in editor.form.errors
    assert editor.formsets["emails"].forms[1].errors["email"]
    assert not editor.formsets["emails"].forms[0].errors
    body = response.content.decode()
    assert "not-an-email" in body  # the user's input is kept
    assert Contact.objects.count() == 0


def test_custom_field_error_shows_next_to_the_field(logged_in, user):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        key="size",
        label="Size",
        field_type="number",
    )
    data = contact_form("company", company_name="Acme", cf_size="lots", managers=[user.pk])
    response = logged_in.post("/contacts/new/?kind=company", data)
    assert response.status_code == 400
    assert response.context["form"].errors["cf_size"]
    assert Contact.objects.count() == 0


def test_bad_photo_is_refused_on_the_field_and_nothing_is_written(logged_in, user):
    data = contact_form("company", company_name="Acme", managers=[user.pk])
    data["photo"] = SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")
    response = logged_in.post("/contacts/new/?kind=company", data)
    assert response.status_code == 400
    assert response.context["form"].errors["photo"]
    assert Contact.objects.count() == 0


def test_photo_upload_and_serving(logged_in, user):
    contact = person(user)
    upload = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    response = logged_in.post(
        f"/contacts/{contact.pk}/photo/", {"photo": upload, "version": contact.version}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.photo
    served = logged_in.get(f"/contacts/{contact.pk}/photo/file/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert image.size[0] <= 200 and image.size[1] <= 300


def test_edit_saves_and_keeps_rows(logged_in, user):
    contact = person(user, emails=[{"email": "old@example.com"}])
    form = logged_in.get(f"/contacts/{contact.pk}/edit/").context["editor"]
    assert form.formsets["emails"].initial == [{"email": "old@example.com", "kind": "work"}]
    data = contact_form(
        version=contact.version,
        first_name="Lucía",
        last_name="Martín",
        position="CEO",
        managers=[user.pk],
    )
    with_rows(data, "emails", [{"email": "new@example.com", "kind": "home"}])
    response = logged_in.post(f"/contacts/{contact.pk}/edit/", data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.position == "CEO" and contact.primary_email == "new@example.com"


def test_stale_version_shows_a_conflict_and_overwrites_nothing(logged_in, user):
    contact = person(user)
    stale = contact.version
    services.update_contact(user, contact, {"position": "CTO"})
    data = contact_form(
        version=stale, first_name="Lucía", last_name="Martín", position="CEO", managers=[user.pk]
    )
    response = logged_in.post(f"/contacts/{contact.pk}/edit/", data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed by someone else" in body
    assert 'value="CEO"' in body  # the user's input is kept
    assert "Please correct the fields marked below." not in body  # no field is marked
    contact.refresh_from_db()
    assert contact.position == "CTO"


def test_non_manager_cannot_change_access(client, user, other_user):
    contact = person(other_user, access=AccessLevel.PUBLIC_WRITE)
    client.force_login(user)
    data = contact_form(
        version=contact.version,
        first_name="Lucía",
        last_name="Martín",
        position="Jefa",
        access="private",
        managers=[user.pk],
    )
    response = client.post(f"/contacts/{contact.pk}/edit/", data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.position == "Jefa"
    assert contact.access == AccessLevel.PUBLIC_WRITE
    assert list(contact.managers.all()) == [other_user]


def test_new_customer_creates_contact_and_role(logged_in, user):
    data = contact_form(
        "company",
        company_name="Acme",
        managers=[user.pk],
        **{"role-code": "ACME", "role-tax_id": "B123"},
    )
    with_rows(data, "addresses", [{"kind": "billing", "street": "Gran Vía 1", "city": "Madrid"}])
    response = logged_in.post("/contacts/new/customer/", data)
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert customer.code == "ACME" and customer.tax_id == "B123"
    assert customer.contact.addresses.get().is_main


def test_a_stale_role_edit_shows_a_conflict_and_overwrites_nothing(logged_in, user):
    acme = company(user)
    role = services.make_customer(user, acme, {"payment_terms": "30 days"})
    form = logged_in.get(f"/contacts/{acme.pk}/customer/edit/").content.decode()
    assert 'name="version" value="1"' in form
    services.update_role(user, role, {"payment_terms": "60 days"})
    data = {"code": role.code, "payment_terms": "90 days", "version": "1"}
    response = logged_in.post(f"/contacts/{acme.pk}/customer/edit/", data)
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    role.refresh_from_db()
    assert role.payment_terms == "60 days" and role.version == 2


def test_duplicate_customer_code_is_shown_on_the_role_field(logged_in, user):
    services.create_customer(user, {"kind": "company", "company_name": "A"}, {"code": "DUP"})
    data = contact_form("company", company_name="B", managers=[user.pk], **{"role-code": "DUP"})
    response = logged_in.post("/contacts/new/customer/", data)
    assert response.status_code == 400
    assert response.context["editor"].role_form.errors["code"]
    assert Contact.objects.count() == 1


# --- delete --------------------------------------------------------------------------------


def test_delete_asks_then_deletes(logged_in, user):
    contact = person(user)
    page = logged_in.get(f"/contacts/{contact.pk}/delete/")
    assert 'id="confirm-delete"' in page.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()
    response = logged_in.post(f"/contacts/{contact.pk}/delete/")
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_protected_contact_says_by_what(logged_in, user, monkeypatch):
    contact = person(user)
    monkeypatch.setattr(services, "references_to", lambda c: ["invoices: F-0001"])
    response = logged_in.post(f"/contacts/{contact.pk}/delete/")
    assert response.status_code == 409
    assert "invoices: F-0001" in response.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()


# --- roles, leads, primary contact ----------------------------------------------------------


def test_make_customer_and_supplier_from_the_page(logged_in, user):
    acme = company(user)
    assert logged_in.post(f"/contacts/{acme.pk}/customer/make/").status_code == 302
    assert logged_in.post(f"/contacts/{acme.pk}/supplier/make/").status_code == 302
    acme.refresh_from_db()
    assert acme.customer.code.startswith("C") and acme.supplier.code.startswith("S")
    response = logged_in.post(
        f"/contacts/{acme.pk}/customer/edit/", {"code": "ACME-1", "payment_terms": "30 días"}
    )
    assert response.status_code == 302
    acme.customer.refresh_from_db()
    assert acme.customer.payment_terms == "30 días"


def test_mark_and_convert_lead(logged_in, user):
    contact = person(user)
    logged_in.post(f"/contacts/{contact.pk}/lead/", {"is_lead": "1"})
    contact.refresh_from_db()
    assert contact.is_lead
    logged_in.post(f"/contacts/{contact.pk}/convert/")
    contact.refresh_from_db()
    assert not contact.is_lead and Customer.objects.filter(contact=contact).exists()


def test_make_primary_contact(logged_in, user):
    acme = company(user)
    services.make_customer(user, acme)
    first = person(user, first="Primera", last="P", company_id=acme.pk)
    second = person(user, first="Segunda", last="S", company_id=acme.pk)
    assert Customer.objects.get().primary_contact == first
    page = logged_in.get(f"/contacts/{acme.pk}/?tab=people").content.decode()
    assert "Primera P" in page and "Segunda S" in page and "primary-mark" in page
    logged_in.post(f"/contacts/{acme.pk}/primary/", {"person_id": second.pk})
    assert Customer.objects.get().primary_contact == second


def test_history_tab_shows_who_and_what_changed(logged_in, user):
    contact = person(user)
    services.update_contact(user, contact, {"position": "CEO"})
    body = logged_in.get(f"/contacts/{contact.pk}/?tab=history").content.decode()
    assert "Ana García" in body and "CEO" in body and "Position" in body


# --- bulk actions --------------------------------------------------------------------------


def test_bulk_tag_creates_the_tag_and_tags_all(logged_in, user):
    a, b = person(user, first="A", last="A"), person(user, first="B", last="B")
    response = logged_in.post(
        "/contacts/bulk/",
        {"ids": [a.pk, b.pk], "action": "tag", "tag_name": "Nueva", "next": "/contacts/?q=a"},
    )
    assert response.status_code == 302 and response["Location"] == "/contacts/?q=a"
    assert {c.pk for c in Contact.objects.filter(tags__name="Nueva")} == {a.pk, b.pk}


def test_bulk_assign_manager_and_type(logged_in, user, other_user):
    partner = ContactType.objects.create(name="Partner")
    a = person(user)
    logged_in.post(
        "/contacts/bulk/", {"ids": [a.pk], "action": "manager", "manager_id": other_user.pk}
    )
    logged_in.post(
        "/contacts/bulk/", {"ids": [a.pk], "action": "type", "contact_type_id": partner.pk}
    )
    a.refresh_from_db()
    assert set(a.managers.all()) == {user, other_user}
    assert a.contact_type == partner


def test_bulk_delete_needs_confirmation(logged_in, user):
    a, b = person(user, first="A", last="A"), person(user, first="B", last="B")
    confirm = logged_in.post("/contacts/bulk/", {"ids": [a.pk, b.pk], "action": "delete"})
    assert confirm.status_code == 200 and 'name="confirmed"' in confirm.content.decode()
    assert Contact.objects.count() == 2
    done = logged_in.post(
        "/contacts/bulk/", {"ids": [a.pk, b.pk], "action": "delete", "confirmed": "1"}
    )
    assert done.status_code == 302
    assert Contact.objects.count() == 0


def test_bulk_with_an_out_of_reach_contact_changes_nothing(logged_in, user, other_user):
    mine, hidden = person(user), person(other_user)
    response = logged_in.post(
        "/contacts/bulk/",
        {"ids": [mine.pk, hidden.pk], "action": "tag", "tag_name": "x"},
        follow=True,
    )
    assert "out of your reach" in response.content.decode()
    assert not Contact.objects.filter(tags__name="x").exists()


def test_bulk_bad_input_is_a_message_not_a_500(logged_in, user):
    mine = person(user)
    for data in (
        {"ids": ["abc"], "action": "tag", "tag_name": "x"},
        {"ids": [str(10**20)], "action": "tag", "tag_name": "x"},
        {"ids": [mine.pk], "action": "tag", "tag_name": "\x00"},
        {"ids": [mine.pk], "action": "tag", "tag_name": "a\x07b"},
        {"ids": [mine.pk, "-1"], "action": "delete"},
        {"ids": [mine.pk], "action": "explode"},
        {"ids": [mine.pk], "action": "manager", "manager_id": "zz"},
        {"action": "tag", "tag_name": "x"},
    ):
        response = logged_in.post("/contacts/bulk/", data)
        assert response.status_code == 302, data
    assert Contact.objects.get().version == mine.version
    assert not Tag.objects.exists()


# --- query budgets ----------------------------------------------------------------------------


def _world(actor, other, rows):
    types = [ContactType.objects.get_or_create(name=f"T{i}")[0] for i in range(2)]
    acme = company(actor, name="Acme")
    services.make_customer(actor, acme)
    for i in range(rows):
        someone = person(
            actor,
            first=f"P{i}",
            last="X",
            company_id=acme.pk,
            contact_type_id=types[i % 2].pk,
            tags=[f"tag{i % 3}", "common"],
            emails=[{"email": f"p{i}@example.com"}],
            manager_ids=[actor.pk, other.pk],
        )
        if i % 2:
            services.make_customer(actor, someone)
    return acme


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/contacts/", "/contacts/customers/", "/contacts/?q=p"])
def test_list_query_count_does_not_grow_with_rows(client, user, other_user, url):
    client.force_login(user)
    _world(user, other_user, 5)
    few = _queries(client, url)
    _world(user, other_user, 25)
    many = _queries(client, url)
    assert few == many
    assert many <= 12


@pytest.mark.parametrize(
    "suffix,budget",
    [("", 16), ("?tab=people", 16), ("?tab=addresses", 16), ("?tab=history", 16), ("edit/", 26)],
)
def test_detail_query_count_does_not_grow_with_rows(client, user, other_user, suffix, budget):
    client.force_login(user)
    small = _world(user, other_user, 5)
    few = _queries(client, f"/contacts/{small.pk}/{suffix}")
    big = _world(user, other_user, 30)
    for i in range(5):
        services.update_contact(user, big, {"position": "", "description": f"v{i}"})
    big.refresh_from_db()
    services.update_contact(
        user,
        big,
        {
            "emails": [{"email": f"e{i}@example.com"} for i in range(5)],
            "addresses": [{"city": f"City {i}"} for i in range(5)],
            "tags": [f"t{i}" for i in range(5)],
        },
    )
    many = _queries(client, f"/contacts/{big.pk}/{suffix}")
    assert few == many
    assert many <= budget


def test_history_shows_labels_in_the_readers_language_not_codes(client, user):
    contact = person(user, phones=[{"number": "+34 600 111 222", "kind": "work"}])
    services.update_contact(
        user,
        contact,
        {"access": "public_read", "phones": [{"number": "+34 600 111 222", "kind": "mobile"}]},
    )
    client.force_login(user)
    english = client.get(f"/contacts/{contact.pk}/?tab=history").content.decode()
    assert "Public, read only" in english and "+34 600 111 222 (Mobile)" in english
    assert "public_read" not in english and "mobile:" not in english
    user.language = "es"
    user.save(update_fields=["language"])
    spanish = client.get(f"/contacts/{contact.pk}/?tab=history").content.decode()
    assert "+34 600 111 222 (Móvil)" in spanish


def test_export_downloads_the_list_as_filtered_and_only_what_the_user_may_see(
    client, user, other_user
):
    person(user, "Visible", "Mía", is_lead=True)
    person(user, "Otra", "Mía")
    person(other_user, "Oculta", "Ajena")
    client.force_login(user)
    page = client.get("/contacts/leads/").content.decode()
    assert 'id="list-export" href="/contacts/leads/export.csv?' in page
    response = client.get("/contacts/leads/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert "Visible Mía" in body and "Otra Mía" not in body and "Oculta" not in body
    everything = b"".join(client.get("/contacts/export.csv?q=mía").streaming_content).decode()
    assert "Visible Mía" in everything and "Otra Mía" in everything and "Oculta" not in everything
    assert client.get("/contacts/nonsense/export.csv").status_code == 404


def test_a_page_past_the_end_of_a_search_leads_back_to_its_first_page(logged_in, user):
    person(user, "Marta", "Gil")
    html = logged_in.get("/contacts/", {"q": "marta", "offset": 50}).content.decode()
    assert "There are no more contacts past this point." in html
    assert 'href="/contacts/?q=marta" id="back-to-first-page"' in html
    assert "No contacts match these filters." not in html
