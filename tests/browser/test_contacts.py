"""The main contact journeys in a real Chromium: create, edit, tag, search, bulk, delete."""

import re

import pytest
from playwright.sync_api import expect

from clientela.contacts import services
from clientela.contacts.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)


def people(user, *rows):
    """People created through the services: (first name, last name[, email]) each."""
    for first, last, *email in rows:
        data = {"kind": "person", "first_name": first, "last_name": last}
        if email:
            data["emails"] = [{"email": email[0]}]
        services.create_contact(user, data)


def test_create_a_person_with_an_email_and_a_new_tag(logged_in_page, user):
    page = logged_in_page
    page.click("#create-new-menu")
    page.click("#create-person")
    page.fill("#id_first_name", "Lucía")
    page.fill("#id_last_name", "Martín")
    page.fill("input[name=emails-0-email]", "lucia@example.com")
    page.click("#add-phones")
    page.fill("input[name=phones-1-number]", "+34 600 111 222")
    page.fill("#id_new_tags", "Prensa")
    page.click("#save")
    expect(page.locator("#contact-name")).to_contain_text("Lucía Martín")
    expect(page.locator("#contact-tags")).to_contain_text("Prensa")
    expect(page.locator("#info-emails")).to_contain_text("lucia@example.com")
    expect(page.locator("#info-phones")).to_contain_text("+34 600 111 222")
    contact = Contact.objects.get()
    assert [t.name for t in contact.tags.all()] == ["Prensa"]


def test_create_a_company_with_an_address_then_save_and_create_new(logged_in_page):
    page = logged_in_page
    page.click("#create-new-menu")
    page.click("#create-company")
    page.fill("#id_company_name", "Acme S.L.")
    page.click("#add-addresses")
    page.fill("input[name=addresses-0-street]", "Gran Vía 1")
    page.fill("input[name=addresses-0-city]", "Madrid")
    page.click("#save-and-new")
    page.wait_for_url(re.compile(r"/contacts/new/\?kind=company$"))
    expect(page.locator("#id_company_name")).to_have_value("")
    company = Contact.objects.get(company_name="Acme S.L.")
    assert company.addresses.get().city == "Madrid"


def test_edit_shows_errors_then_saves(logged_in_page, user):
    contact = services.create_contact(
        user, {"kind": "person", "first_name": "Pablo", "last_name": "Ruiz"}
    )
    page = logged_in_page
    page.goto(f"/contacts/{contact.pk}/")
    page.click("#edit-contact")
    page.fill("#id_last_name", "")
    page.fill("#id_position", "Director")
    page.click("#save")
    expect(page.locator("#field-last_name .field-error")).to_be_visible()
    expect(page.locator("#id_position")).to_have_value("Director")
    page.fill("#id_last_name", "Ruiz Gómez")
    page.click("#save")
    expect(page.locator("#contact-name")).to_contain_text("Pablo Ruiz Gómez")
    contact.refresh_from_db()
    assert contact.position == "Director"


def test_search_narrows_the_list_without_reloading(logged_in_page, user):
    people(user, ("Ana", "Zapata"), ("Berta", "Alonso"), ("Carlos", "Núñez"))
    page = logged_in_page
    page.goto("/contacts/")
    expect(page.locator("#contact-table tbody tr")).to_have_count(3)
    page.fill("#filter-q", "berta")
    expect(page.locator("#contact-table tbody tr")).to_have_count(1)
    expect(page.locator("#contact-table")).to_contain_text("Berta Alonso")
    expect(page).to_have_url(re.compile(r"q=berta"))
    page.reload()  # the pushed URL works as a full page
    expect(page.locator("#contact-table tbody tr")).to_have_count(1)


def test_bulk_tag_with_a_new_tag(logged_in_page, user):
    for first in ("Ana", "Berta", "Carlos"):
        services.create_contact(user, {"kind": "person", "first_name": first, "last_name": "X"})
    page = logged_in_page
    page.goto("/contacts/")
    add_tag = page.locator("button[name=action][value=tag]")
    expect(add_tag).to_be_disabled()
    page.check("#select-all")
    expect(add_tag).to_be_enabled()
    page.uncheck("tr:has-text('Carlos X') .row-select")
    page.fill("#bulk-tag-name", "Feria 2025")
    add_tag.click()
    expect(page.locator(".alert-success")).to_contain_text("2")
    tagged = sorted(c.first_name for c in Contact.objects.filter(tags__name="Feria 2025"))
    assert tagged == ["Ana", "Berta"]


def test_delete_from_the_row_menu_with_confirmation(logged_in_page, user):
    services.create_contact(user, {"kind": "person", "first_name": "Borrar", "last_name": "Me"})
    page = logged_in_page
    page.goto("/contacts/")
    row = page.locator("tr:has-text('Borrar Me')")
    row.locator("[data-bs-toggle=dropdown]").click()
    row.get_by_role("link", name="Delete").click()
    expect(page.locator("#delete-confirm")).to_be_visible()
    assert Contact.objects.count() == 1
    page.click("#confirm-delete")
    expect(page.locator("#empty-state")).to_be_visible()
    assert Contact.objects.count() == 0


def test_bulk_delete_asks_first(logged_in_page, user):
    for first in ("Ana", "Berta"):
        services.create_contact(user, {"kind": "person", "first_name": first, "last_name": "X"})
    page = logged_in_page
    page.goto("/contacts/")
    page.check("#select-all")
    page.click("#bulk-delete")
    expect(page.locator("#bulk-delete-confirm")).to_contain_text("Ana X")
    assert Contact.objects.count() == 2
    page.click("#confirm-delete")
    expect(page.locator("#empty-state")).to_be_visible()
    assert Contact.objects.count() == 0


def test_pages_speak_spanish(new_page, user):
    user.language = "es"
    user.save(update_fields=["language"])
    services.create_contact(user, {"kind": "company", "company_name": "Acme"})
    page = new_page(user, language="es")
    page.goto("/contacts/companies/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#contact-table")).to_contain_text("Acme")


def test_a_long_list_shows_its_rows_then_its_total(logged_in_page, user):
    for i in range(52):
        services.create_contact(
            user, {"kind": "person", "first_name": f"P{i:02d}", "last_name": "Lista"}
        )
    page = logged_in_page
    page.goto("/contacts/")
    expect(page.locator("#contact-table tbody tr")).to_have_count(50)
    expect(page.locator("#page-range")).to_contain_text("1–50 of 52")


def test_on_a_phone_the_menu_opens_from_the_top_bar(new_page, user):
    user.language = "en"
    user.save(update_fields=["language"])
    page = new_page(user)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/contacts/")
    sidebar = page.locator("#app-sidebar")
    assert sidebar.bounding_box()["x"] < 0  # off screen
    page.click("#menu-toggle")
    page.wait_for_function("document.getElementById('app-sidebar').getBoundingClientRect().x >= 0")
    expect(sidebar.get_by_role("link", name="Leads")).to_be_visible()
    page.mouse.click(370, 600)  # outside the open menu
    page.wait_for_function(
        "document.getElementById('app-sidebar').getBoundingClientRect().right <= 0"
    )


def test_entering_a_contact_that_exists_warns_and_still_saves(logged_in_page, user):
    existing = services.create_contact(
        user,
        {
            "kind": "person",
            "first_name": "Lucía",
            "last_name": "Ortega",
            "emails": [{"email": "lucia@aranda.example"}],
        },
    )
    page = logged_in_page
    page.goto("/contacts/new/?kind=person")
    page.fill("#id_first_name", "lucía")
    page.fill("#id_last_name", "ortega")
    page.press("#id_last_name", "Tab")
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("Maybe already here")
    expect(warning.locator("a.duplicate-link")).to_have_attribute(
        "href", f"/contacts/{existing.pk}/"
    )
    page.click("#save")
    expect(page.locator("#contact-name")).to_contain_text("lucía ortega")
    assert Contact.objects.count() == 2


def test_export_follows_the_filters_changed_without_a_reload(logged_in_page, user):
    import csv
    import io
    from pathlib import Path

    people(user, ("Lucía", "Ortega"), ("Lucía", "Sanz"), ("Pedro", "Gil"))
    page = logged_in_page
    page.goto("/contacts/")
    expect(page.locator("#contact-table tbody tr")).to_have_count(3)
    page.fill("#filter-q", "lucía")
    expect(page.locator("#contact-table tbody tr")).to_have_count(2)
    page.wait_for_url(re.compile(r"q=luc"))
    with page.expect_download() as download_info:
        page.click("#list-export")
    text = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    _header, *rows = csv.reader(io.StringIO(text))
    assert len(rows) == 2 and all("Lucía" in ",".join(row) for row in rows)


def test_a_sort_by_column_survives_a_change_of_filter(logged_in_page, user):
    people(
        user,
        ("Lucía", "Ortega", "zeta@example.com"),
        ("Ana Lucía", "Sanz", "alfa@example.com"),
        ("Pedro", "Gil", "beta@example.com"),
    )
    page = logged_in_page
    page.goto("/contacts/")
    page.fill("#filter-q", "lucia")
    page.wait_for_url(re.compile(r"q=lucia"))
    # A search lists the names that begin with it first.
    expect(page.locator("#contact-table tbody tr").first).to_contain_text("Lucía Ortega")
    expect(page.locator("#contact-table caption")).to_contain_text("Best matches first")
    page.click("#contact-table thead a:has-text('Email')")
    page.wait_for_url(re.compile(r"ordering=email"))
    expect(page.locator("#contact-table tbody tr").first).to_contain_text("Ana Lucía Sanz")
    page.select_option("#id_kind", "person")
    page.wait_for_url(re.compile(r"kind=person"))
    assert "ordering=email" in page.url and "q=lucia" in page.url
    expect(page.locator("#contact-table tbody tr").first).to_contain_text("Ana Lucía Sanz")
    expect(page.locator("#filter-warning")).to_have_count(0)
    # Back to the best matches, keeping the search and the filter.
    page.click("#sort-best")
    page.wait_for_url(lambda url: "ordering=email" not in url)
    expect(page.locator("#contact-table tbody tr").first).to_contain_text("Lucía Ortega")
    assert "q=lucia" in page.url and "kind=person" in page.url


def test_a_sort_clicked_just_after_typing_sorts_what_was_typed(logged_in_page, user):
    people(
        user,
        ("Marta", "Ruiz", "b@example.com"),
        ("Mario", "Gil", "a@example.com"),
        ("José", "Vega", "d@example.com"),
        ("José", "Abad", "c@example.com"),
    )
    page = logged_in_page
    page.goto("/contacts/?q=mar")
    expect(page.locator("#contact-table tbody tr")).to_have_count(2)
    page.fill("#filter-q", "jose")
    page.click("#contact-table thead a:has-text('Email')")  # before the search's own request
    page.wait_for_url(re.compile(r"q=jose.*ordering=email|ordering=email.*q=jose"))
    expect(page.locator("#contact-table tbody tr")).to_have_count(2)
    expect(page.locator("#contact-table tbody tr").first).to_contain_text("José Abad")
    expect(page.locator("#filter-q")).to_have_value("jose")
