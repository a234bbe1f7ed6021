"""Export the opportunity list in a real Chromium: filter it (htmx, no reload), click "Export
CSV", and the download holds the translated header and the rows of the list as filtered."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from clientela.contacts import services as contact_services
from clientela.sales import services
from clientela.sales.models import Pipeline

pytestmark = pytest.mark.django_db(transaction=True)


def _opportunity(user, contact, title, amount):
    return services.create_opportunity(
        user,
        {
            "title": title,
            "contact_id": contact.pk,
            "amount": amount,
            "expected_close": "2030-03-31",
        },
    )


def test_export_the_list_as_filtered(logged_in_page, user):
    company = contact_services.create_customer(
        user, {"kind": "company", "company_name": "Aranda S.L.", "access": "public_write"}
    ).contact
    # Browser tests flush the database between tests: the first opportunity sets the default
    # pipeline up again when the seeded one is gone.
    _opportunity(user, company, "Fachada", "800")
    won_stage = Pipeline.default().stages.filter(kind="won").first()
    for title in ("Tejado", "Ventanas"):
        services.change_stage(user, _opportunity(user, company, title, "1200"), won_stage)
    page = logged_in_page
    page.goto("/sales/")
    expect(page.locator("#opportunity-table tbody tr")).to_have_count(3)
    page.select_option("#id_status", "won")
    expect(page.locator("#opportunity-table tbody tr")).to_have_count(2)
    page.wait_for_url(re.compile(r"status=won"))
    with page.expect_download() as download_info:
        page.click("#list-export")
    download = download_info.value
    assert re.fullmatch(r"opportunities-\d{8}-\d{4}\.csv", download.suggested_filename)
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    header, *rows = csv.reader(io.StringIO(text))
    assert header[:7] == ["Id", "Title", "Contact", "Customer", "Pipeline", "Stage", "Status"]
    assert header[-1] == "Created" and len(header) == 21
    assert sorted(row[1] for row in rows) == ["Tejado", "Ventanas"]
    assert {(row[3], row[6], row[11]) for row in rows} == {("Aranda S.L.", "Won", "1200.00")}
