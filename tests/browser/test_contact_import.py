"""Importing contacts from a CSV through the wizard, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from clientela.contacts import imports
from clientela.contacts.models import Contact
from clientela.contacts.tests.importing import upload

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    "Nombre;Apellidos;Correo electrónico;Teléfono;Empresa\r\n"
    "Lucía;Martín;lucia@example.com;+34 600 111 222;Acme S.L.\r\n"
    "Pablo;Ruiz;pablo@;;\r\n"
    "Elena;Sanz;elena@example.com;;Acme S.L.\r\n"
)


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"


def test_upload_map_check_and_import_a_small_csv(logged_in_page, tmp_path, user):
    page = logged_in_page
    path = tmp_path / "clientes.csv"
    path.write_bytes(CSV.encode("cp1252"))
    page.goto("/contacts/")
    page.click("#list-import")
    expect(page.locator("#page-title")).to_have_text("Import contacts")
    page.set_input_files("input[name=file]", str(path))
    page.click("#import-upload-submit")

    expect(page.locator("#page-title")).to_have_text("Map the columns")
    expect(page.locator("#import-file-facts")).to_contain_text("3 rows")
    expect(page.locator("#id_column_0")).to_have_value("first_name")
    expect(page.locator("#id_column_4")).to_have_value("company")
    page.fill("#id_tag", "Feria 2026")
    page.click("#import-check")

    expect(page.locator("#page-title")).to_have_text("Check the rows")
    expect(page.locator("#import-summary")).to_contain_text("2 new contacts will be created")
    expect(page.locator("#import-failures")).to_contain_text(
        "Line 3: Email (work) (column “Correo electrónico”): “pablo@” is not an email address."
    )
    expect(page.locator("#import-preview tbody tr")).to_have_count(3)
    assert not Contact.objects.exists()
    page.click("#import-run")

    expect(page.locator("#page-title")).to_have_text("Import finished")
    expect(page.locator("#count-created")).to_have_text("2")
    expect(page.locator("#count-failed")).to_have_text("1")
    with page.expect_download() as download:
        page.click("#download-failures")
    assert "pablo@" in download.value.path().read_text(encoding="utf-8-sig")
    page.click("#see-imported")
    expect(page).to_have_url(re.compile(r"/contacts/\?tag=\d+"))
    # The two people and the company created for them carry the batch's tag.
    expect(page.locator("#contact-table tbody tr")).to_have_count(3)
    expect(page.locator("#contact-table")).to_contain_text("Lucía Martín")
    expect(page.locator("#contact-table")).to_contain_text("Acme S.L.")
    lucia = Contact.objects.get(first_name="Lucía")
    assert lucia.company.display_name == "Acme S.L."
    assert list(lucia.managers.all()) == [user]


def test_no_step_of_the_wizard_scrolls_sideways_on_a_phone(logged_in_page, user):
    rows = CSV.replace("Pablo;Ruiz", "María Lucía;Fernández de la Fuente Larguísimo").encode()
    mapping = imports.upload_import(user, upload(rows))
    checked = imports.upload_import(user, upload(rows))
    imports.check_import(user, checked)
    done = imports.upload_import(user, upload(rows))
    imports.run_import(user, done)
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    for job in (None, mapping, checked, done):
        path = job.get_absolute_url() if job else "/contacts/import/"
        page.goto(path)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
