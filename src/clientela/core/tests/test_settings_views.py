"""Settings pages: admin-edited lists, tags and custom fields (and their services)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from clientela.contacts import services as contact_services
from clientela.contacts.models import Contact, ContactType, Interest, Source, Temperature
from clientela.core import services
from clientela.core.models import ChangeLogEntry, CustomField, Tag

HTMX = {"HTTP_HX_REQUEST": "true"}

SETTINGS_PAGES = [
    "/settings/",
    "/settings/lists/contact-types/",
    "/settings/lists/temperatures/",
    "/settings/lists/sources/",
    "/settings/lists/interests/",
    "/settings/tags/",
    "/settings/custom-fields/contacts/",
]


@pytest.mark.parametrize("url", SETTINGS_PAGES)
def test_settings_pages_admin_200_user_403_anonymous_login(client, admin_user, user, url):
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(user)
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_settings_menu_entry_only_for_admins(client, admin_user, user):
    client.force_login(user)
    assert 'href="/settings/"' not in client.get("/accounts/profile/").content.decode()
    client.force_login(admin_user)
    assert 'href="/settings/"' in client.get("/accounts/profile/").content.decode()


def test_settings_index_links_every_section(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/settings/").content.decode()
    for url in [*SETTINGS_PAGES[1:], "/settings/users/", "/settings/teams/"]:
        assert f'href="{url}"' in page


def test_unknown_list_or_record_type_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/settings/lists/nonsense/").status_code == 404
    assert client.get("/settings/custom-fields/nonsense/").status_code == 404


def test_non_admin_cannot_write_through_settings(client, user):
    client.force_login(user)
    assert (
        client.post("/settings/lists/sources/", {"name": "Web", "position": 0}).status_code == 403
    )
    assert client.post("/settings/tags/", {"name": "vip", "color": "#ff0000"}).status_code == 403
    assert not Source.objects.exists() and not Tag.objects.exists()


# --- Admin-edited lists ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "model", "extra"),
    [
        ("contact-types", ContactType, {}),
        ("temperatures", Temperature, {"color": "#ff0000"}),
        ("sources", Source, {"description": "Our website"}),
        ("interests", Interest, {"description": "Annual support"}),
    ],
)
def test_admin_list_create_edit_delete(client, admin_user, slug, model, extra):
    client.force_login(admin_user)
    response = client.post(f"/settings/lists/{slug}/", {"name": "Alpha", "position": 2, **extra})
    assert response.status_code == 302
    item = model.objects.get(name="Alpha")
    for name, value in extra.items():
        assert getattr(item, name) == value
    assert "Alpha" in client.get(f"/settings/lists/{slug}/").content.decode()

    # Inline edit: htmx fetches the row form, posts it, and gets the row back.
    form = client.get(f"/settings/lists/{slug}/{item.pk}/", **HTMX)
    assert form.status_code == 200 and 'hx-post="' in form.content.decode()
    row = client.post(
        f"/settings/lists/{slug}/{item.pk}/", {"name": "Beta", "position": 1, **extra}, **HTMX
    )
    assert row.status_code == 200 and "Beta" in row.content.decode()
    assert "<html" not in row.content.decode()
    item.refresh_from_db()
    assert (item.name, item.position) == ("Beta", 1)
    entry = ChangeLogEntry.objects.filter(object_id=item.pk, action="update").first()
    assert (entry.before["name"], entry.after["name"]) == ("Alpha", "Beta")

    assert client.get(f"/settings/lists/{slug}/{item.pk}/delete/").status_code == 200
    assert model.objects.filter(pk=item.pk).exists()
    assert client.post(f"/settings/lists/{slug}/{item.pk}/delete/").status_code == 302
    assert not model.objects.filter(pk=item.pk).exists()


def test_admin_list_duplicate_name_is_refused_naming_the_field(client, admin_user):
    services.save_list_item(admin_user, Source, None, {"name": "Web"})
    client.force_login(admin_user)
    response = client.post("/settings/lists/sources/", {"name": "Web", "position": 0})
    assert response.status_code == 400
    assert 'data-field-error="name"' in response.content.decode()
    assert Source.objects.count() == 1


def test_inline_edit_with_errors_comes_back_as_a_swappable_form(client, admin_user):
    web = services.save_list_item(admin_user, Source, None, {"name": "Web"})
    fair = services.save_list_item(admin_user, Source, None, {"name": "Fair"})
    client.force_login(admin_user)
    response = client.post(
        f"/settings/lists/sources/{fair.pk}/", {"name": "Web", "position": 0}, **HTMX
    )
    # htmx only swaps 2xx answers, so the form with its error comes back as 200.
    assert response.status_code == 200
    assert 'data-field-error="name"' in response.content.decode()
    fair.refresh_from_db()
    assert fair.name == "Fair" and web.name == "Web"
    # Without htmx, the same mistake is a plain 400 page.
    assert client.post(f"/settings/lists/sources/{fair.pk}/", {"name": "Web"}).status_code == 400


def test_bad_colour_is_refused(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/settings/lists/temperatures/", {"name": "Hot", "position": 0, "color": "red-ish"}
    )
    assert response.status_code == 400 and not Temperature.objects.exists()


def test_deleting_a_value_in_use_explains_why_and_keeps_it(client, admin_user):
    hot = services.save_list_item(
        admin_user, Temperature, None, {"name": "Hot", "color": "#dc3545"}
    )
    contact_services.create_contact(
        admin_user,
        {"kind": "person", "first_name": "Eva", "last_name": "Sanz", "temperature_id": hot.pk},
    )
    client.force_login(admin_user)
    response = client.post(f"/settings/lists/temperatures/{hot.pk}/delete/")
    assert response.status_code == 409
    page = response.content.decode()
    assert "still used by 1 contact." in page and 'id="delete-error"' in page
    assert Temperature.objects.filter(pk=hot.pk).exists()


def test_the_confirmation_says_beforehand_what_uses_a_value(
    client, admin_user, django_assert_max_num_queries
):
    hot = services.save_list_item(
        admin_user, Temperature, None, {"name": "Hot", "color": "#dc3545"}
    )
    cold = services.save_list_item(
        admin_user, Temperature, None, {"name": "Cold", "color": "#0d6efd"}
    )
    for first_name in ("Eva", "Luis", "Ana"):
        contact_services.create_contact(
            admin_user,
            {
                "kind": "person",
                "first_name": first_name,
                "last_name": "Sanz",
                "temperature_id": hot.pk,
            },
        )
    client.force_login(admin_user)
    # Counted in SQL, not loaded: the same queries however many contacts use it.
    with django_assert_max_num_queries(12):
        response = client.get(f"/settings/lists/temperatures/{hot.pk}/delete/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "still used by 3 contacts: it can be deleted once none uses it." in page
    assert 'type="submit"' not in page.split('id="delete-error"')[1]
    free = client.get(f"/settings/lists/temperatures/{cold.pk}/delete/").content.decode()
    assert 'id="delete-error"' not in free and "This cannot be undone." in free


def test_admin_list_page_query_count_does_not_grow(
    client, admin_user, django_assert_max_num_queries
):
    client.force_login(admin_user)
    services.save_list_item(admin_user, Interest, None, {"name": "I0"})
    with django_assert_max_num_queries(10) as captured:
        client.get("/settings/lists/interests/")
    few = len(captured)
    for n in range(1, 15):
        services.save_list_item(admin_user, Interest, None, {"name": f"I{n}"})
    with django_assert_max_num_queries(few):
        response = client.get("/settings/lists/interests/")
    assert "I14" in response.content.decode()


# --- Tags --------------------------------------------------------------------------------------


def test_tag_services_rename_recolour_delete_with_change_log(admin_user):
    tag = services.save_tag(admin_user, None, {"name": "  vip   client ", "color": "#FF0000"})
    assert (tag.name, tag.color) == ("vip client", "#ff0000")
    services.save_tag(admin_user, tag, {"name": "VIP", "color": "#00ff00"})
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("VIP", "#00ff00")
    entries = ChangeLogEntry.objects.filter(object_id=tag.pk, content_type__model="tag")
    assert [e.action for e in entries.order_by("id")] == ["create", "update"]
    services.delete_tag(admin_user, tag)
    assert not Tag.objects.exists()
    assert entries.filter(action="delete").exists()


def test_tag_names_are_unique_regardless_of_case(admin_user):
    services.save_tag(admin_user, None, {"name": "VIP", "color": "#ff0000"})
    with pytest.raises(ValidationError) as caught:
        services.save_tag(admin_user, None, {"name": "vip", "color": "#ff0000"})
    assert "name" in caught.value.message_dict


def test_tag_services_are_for_admins(user):
    with pytest.raises(PermissionDenied):
        services.save_tag(user, None, {"name": "x", "color": "#000000"})


def test_tag_pages_add_edit_inline_and_delete(client, admin_user):
    client.force_login(admin_user)
    assert client.post("/settings/tags/", {"name": "vip", "color": "#ff0000"}).status_code == 302
    tag = Tag.objects.get(name="vip")
    row = client.post(f"/settings/tags/{tag.pk}/", {"name": "gold", "color": "#ffd700"}, **HTMX)
    assert row.status_code == 200 and "gold" in row.content.decode()
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("gold", "#ffd700")
    assert client.get(f"/settings/tags/{tag.pk}/row/").status_code == 200
    assert client.post(f"/settings/tags/{tag.pk}/delete/").status_code == 302
    assert not Tag.objects.exists()


def test_deleting_a_tag_removes_it_from_contacts(client, admin_user):
    contact = contact_services.create_contact(
        admin_user, {"kind": "company", "company_name": "Acme", "tags": ["vip"]}
    )
    tag = Tag.objects.get(name="vip")
    client.force_login(admin_user)
    client.post(f"/settings/tags/{tag.pk}/delete/")
    contact.refresh_from_db()
    assert contact.tags.count() == 0


def test_tag_page_query_count_does_not_grow(client, admin_user, django_assert_max_num_queries):
    client.force_login(admin_user)
    services.save_tag(admin_user, None, {"name": "t0", "color": "#000000"})
    with django_assert_max_num_queries(10) as captured:
        client.get("/settings/tags/")
    few = len(captured)
    for n in range(1, 12):
        services.save_tag(admin_user, None, {"name": f"t{n}", "color": "#000000"})
    with django_assert_max_num_queries(few):
        assert "t11" in client.get("/settings/tags/").content.decode()


# --- Custom fields -----------------------------------------------------------------------------


def test_custom_field_service_makes_a_key_and_logs_the_change(admin_user):
    field = services.save_custom_field(
        admin_user, Contact, None, {"label": "Número de socio", "field_type": "number"}
    )
    assert field.key == "numero_de_socio"
    assert field.content_type == ContentType.objects.get_for_model(Contact)
    assert ChangeLogEntry.objects.filter(object_id=field.pk, action="create").exists()


def test_choice_field_needs_choices_and_others_drop_them(admin_user):
    with pytest.raises(ValidationError) as caught:
        services.save_custom_field(
            admin_user, Contact, None, {"label": "Size", "field_type": "choice", "choices": []}
        )
    assert "choices" in caught.value.message_dict
    text = services.save_custom_field(
        admin_user, Contact, None, {"label": "Notes", "field_type": "text", "choices": ["a"]}
    )
    assert text.choices == []


def test_custom_field_pages_create_edit_delete(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/settings/custom-fields/contacts/",
        {
            "label": "Size",
            "key": "size",
            "field_type": "choice",
            "choices": "S\nM\n\nL\n",
            "required": "on",
            "position": 3,
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.get(key="size")
    assert (field.choices, field.required, field.position) == (["S", "M", "L"], True, 3)

    # The key is fixed once values may be stored under it: a posted key is ignored.
    client.post(
        f"/settings/custom-fields/contacts/{field.pk}/",
        {
            "label": "T-shirt size",
            "key": "other",
            "field_type": "choice",
            "choices": "S\nM",
            "position": 1,
        },
    )
    field.refresh_from_db()
    assert (field.label, field.key, field.choices, field.required) == (
        "T-shirt size",
        "size",
        ["S", "M"],
        False,
    )
    # The definition is live: a contact with a bad value is refused naming the field.
    with pytest.raises(ValidationError) as caught:
        contact_services.create_contact(
            admin_user,
            {"kind": "company", "company_name": "Acme", "custom_fields": {"size": "XXL"}},
        )
    assert "custom_fields.size" in caught.value.message_dict

    assert client.post(f"/settings/custom-fields/contacts/{field.pk}/delete/").status_code == 302
    assert not CustomField.objects.exists()


def test_custom_field_duplicate_key_and_bad_input_name_the_field(client, admin_user):
    services.save_custom_field(admin_user, Contact, None, {"label": "Size", "field_type": "text"})
    client.force_login(admin_user)
    response = client.post(
        "/settings/custom-fields/contacts/",
        {"label": "Size again", "key": "size", "field_type": "text", "position": 0},
    )
    assert response.status_code == 400 and 'data-field-error="key"' in response.content.decode()
    response = client.post(
        "/settings/custom-fields/contacts/",
        {"label": "Colour", "field_type": "choice", "choices": "", "position": 0},
    )
    assert response.status_code == 400
    assert 'data-field-error="choices"' in response.content.decode()
    response = client.post(
        "/settings/custom-fields/contacts/",
        {"label": "Odd", "field_type": "spreadsheet", "position": 0},
    )
    assert response.status_code == 400
    assert 'data-field-error="field_type"' in response.content.decode()
    assert CustomField.objects.count() == 1


def test_custom_field_page_query_count_does_not_grow(
    client, admin_user, django_assert_max_num_queries
):
    client.force_login(admin_user)
    services.save_custom_field(admin_user, Contact, None, {"label": "F0", "field_type": "text"})
    with django_assert_max_num_queries(10) as captured:
        client.get("/settings/custom-fields/contacts/")
    few = len(captured)
    for n in range(1, 10):
        services.save_custom_field(
            admin_user, Contact, None, {"label": f"F{n}", "field_type": "text"}
        )
    with django_assert_max_num_queries(few):
        assert "F9" in client.get("/settings/custom-fields/contacts/").content.decode()


def test_an_empty_post_is_validated_not_ignored(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/settings/lists/sources/", {})
    assert response.status_code == 400 and 'data-field-error="name"' in response.content.decode()
    assert not Source.objects.exists()
