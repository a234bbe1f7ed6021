"""Money settings pages, the inline missing-rate form and the money API."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clientela.core import money
from clientela.core.models import ExchangeRate
from clientela.core.testing import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def add_rate(admin, currency, day, rate):
    return money.save_exchange_rate(
        admin, None, {"currency": currency, "rate_date": day, "rate": rate}
    )


# --- pages -------------------------------------------------------------------------------------


def test_money_settings_are_for_admins_only(client, user):
    url = reverse("settings:money")
    assert client.get(url).status_code == 302  # to log-in
    client.force_login(user)
    assert client.get(url).status_code == 403
    assert client.post(reverse("settings:missing_rate"), {}).status_code == 403
    assert client.post(reverse("settings:default_currency"), {}).status_code == 403


def test_the_settings_index_links_to_money(admin_client):
    page = admin_client.get(reverse("settings:index")).content.decode()
    assert reverse("settings:money") in page


def test_the_money_page_shows_an_empty_state_then_the_rates(admin_client, admin_user):
    page = admin_client.get(reverse("settings:money")).content.decode()
    assert 'id="empty-state"' in page
    add_rate(admin_user, "USD", date(2026, 3, 1), "0.9214")
    page = admin_client.get(reverse("settings:money")).content.decode()
    assert "0.9214" in page and 'id="rate-table"' in page
    assert reverse("settings:exchange_rate_edit", args=[ExchangeRate.objects.get().pk]) in page


def test_the_rates_are_paginated_and_filtered_by_currency(admin_client, admin_user):
    for day in range(1, 29):
        add_rate(admin_user, "USD", date(2026, 2, day), "1")
        add_rate(admin_user, "GBP", date(2026, 2, day), "1")
    page = admin_client.get(reverse("settings:money")).content.decode()
    assert page.count("data-rate-id=") == 50 and 'id="page-next"' in page
    page = admin_client.get(reverse("settings:money") + "?offset=50").content.decode()
    assert page.count("data-rate-id=") == 6 and 'id="page-previous"' in page
    page = admin_client.get(reverse("settings:money") + "?currency=GBP").content.decode()
    assert page.count("data-rate-id=") == 28


def test_adding_a_rate_from_the_page(admin_client):
    url = reverse("settings:money")
    response = admin_client.post(url, {"currency": "USD", "rate_date": "2026-03-01", "rate": "0,9"})
    assert response.status_code == 302
    assert ExchangeRate.objects.get().rate == Decimal("0.9")
    response = admin_client.post(url, {"currency": "USD", "rate_date": "2026-03-01", "rate": "x"})
    assert response.status_code == 400
    assert 'data-field-error="rate"' in response.content.decode()


def test_editing_and_deleting_a_rate_with_confirmation(admin_client, admin_user):
    rate = add_rate(admin_user, "USD", date(2026, 3, 1), "0.9")
    url = reverse("settings:exchange_rate_edit", args=[rate.pk])
    assert admin_client.get(url).status_code == 200
    data = {"currency": "USD", "rate_date": "2026-03-01", "rate": "0.8", "version": 1}
    assert admin_client.post(url, data).status_code == 302
    assert admin_client.post(url, data).status_code == 400  # stale version
    assert ExchangeRate.objects.get().rate == Decimal("0.8")
    delete_url = reverse("settings:exchange_rate_delete", args=[rate.pk])
    assert "This cannot be undone" in admin_client.get(delete_url).content.decode()
    assert ExchangeRate.objects.exists()
    assert admin_client.post(delete_url).status_code == 302
    assert not ExchangeRate.objects.exists()


def test_changing_the_default_currency_from_the_page(admin_client, admin_user):
    url = reverse("settings:default_currency")
    add_rate(admin_user, "USD", date(2026, 3, 1), "0.9")
    response = admin_client.post(url, {"default_currency": "USD", "version": 1})
    assert response.status_code == 400 and money.default_currency() == "EUR"
    response = admin_client.post(url, {"default_currency": "USD", "delete_rates": "on"})
    assert response.status_code == 302 and money.default_currency() == "USD"


def test_importing_a_csv_from_the_page(admin_client):
    url = reverse("settings:exchange_rate_import")
    assert admin_client.get(url).status_code == 200
    bad = SimpleUploadedFile("rates.csv", b"date,currency,rate\n2026-03-01,USD,zero\n")
    response = admin_client.post(url, {"file": bad})
    assert response.status_code == 400
    assert "Line 2, column “rate”" in response.content.decode()
    good = SimpleUploadedFile("rates.csv", b'date,currency,rate\n01/03/2026,USD,"0,9"\n')
    assert admin_client.post(url, {"file": good}).status_code == 302
    assert ExchangeRate.objects.get().rate == Decimal("0.9")


def test_the_missing_rate_form_saves_and_reloads_the_page(admin_client):
    url = reverse("settings:missing_rate")
    data = {
        "currency": "USD",
        "needed_on": "2026-03-12",
        "rate_date": "2026-03-12",
        "rate": "0.9",
        "next": "/sales/board/",
    }
    response = admin_client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert money.convert(Decimal(10), "USD", date(2026, 3, 12)) == Decimal("9.00")
    data["rate_date"] = "2026-03-11"
    assert admin_client.post(url, data).url == "/sales/board/"


def test_the_missing_rate_form_shows_its_errors_in_place(admin_client):
    url = reverse("settings:missing_rate")
    data = {"currency": "USD", "needed_on": "2026-03-12", "rate_date": "2026-03-13", "rate": "0"}
    response = admin_client.post(url, data, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-missing-rate="USD"' in page
    assert "on or before 2026-03-12" in page
    assert not ExchangeRate.objects.exists()
    data["next"] = "https://evil.example.com/"
    response = admin_client.post(url, data)
    assert response.status_code == 400 and "evil.example.com" not in response.content.decode()


def test_the_missing_rate_include_offers_the_form_to_admins_only(rf, admin_user, user):
    from django.template.loader import render_to_string

    missing = [money.MissingRate("USD", "EUR", date(2026, 3, 12))]
    request = rf.get("/sales/board/")
    for person, has_form in ((admin_user, True), (user, False)):
        request.user = person
        html = render_to_string(
            "core/_missing_rate.html", {"missing_rates": missing, "user": person}, request
        )
        assert "No USD → EUR rate on or before" in html
        assert ("missing-rate-form" in html) is has_form


# --- API ---------------------------------------------------------------------------------------


def test_api_default_currency(admin_user, user):
    api = api_client(user)
    response = api.get("/api/v1/money/default-currency")
    assert response.json() == {"default_currency": "EUR", "version": 1}
    assert api.put("/api/v1/money/default-currency", {"default_currency": "USD"}).status_code == 403
    admin = api_client(admin_user)
    response = admin.put("/api/v1/money/default-currency", {"default_currency": "ZZZ"})
    assert response.status_code == 400 and "default_currency" in response.json()["errors"]
    response = admin.put("/api/v1/money/default-currency", {"default_currency": "USD"})
    assert response.status_code == 200 and response.json()["default_currency"] == "USD"
    assert response["ETag"] == '"2"'
    response = admin.put(
        "/api/v1/money/default-currency",
        {"default_currency": "GBP"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 412 and money.default_currency() == "USD"


def test_api_exchange_rates_crud(admin_user, user):
    admin, reader = api_client(admin_user), api_client(user)
    body = {"currency": "USD", "rate_date": "2026-03-01", "rate": "0,9214"}
    assert reader.post("/api/v1/money/exchange-rates", body).status_code == 403
    response = admin.post("/api/v1/money/exchange-rates", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["rate"] == "0.9214" and created["currency"] == "USD"
    rate_url = f"/api/v1/money/exchange-rates/{created['id']}"
    assert admin.post("/api/v1/money/exchange-rates", body).status_code == 400  # same day
    response = admin.post("/api/v1/money/exchange-rates", {**body, "rate": 1.5})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"rate_date"}
    response = reader.get("/api/v1/money/exchange-rates?currency=usd")
    assert [row["id"] for row in response.json()["items"]] == [created["id"]]
    assert reader.get(rate_url)["ETag"] == '"1"'
    response = admin.patch(rate_url, {"rate": "0.95"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200 and response.json()["rate"] == "0.95"
    response = admin.patch(rate_url, {"rate": "0.96"}, headers={"If-Match": '"1"'})
    assert response.status_code == 412
    response = admin.patch(rate_url, {"rate": "-3"})
    assert response.status_code == 400 and "rate" in response.json()["errors"]
    assert reader.delete(rate_url).status_code == 403
    assert admin.delete(rate_url).status_code == 204
    assert admin.get(rate_url).status_code == 404
    assert admin.get("/api/v1/money/exchange-rates/99999999999999999999").status_code == 422


def test_api_csv_import(client, admin_user, user):
    # A browser session (the test client skips CSRF): ApiClient cannot send files yet.
    url = "/api/v1/money/exchange-rates/import"
    client.force_login(user)
    good = SimpleUploadedFile("r.csv", b"date;currency;rate\n01/03/2026;USD;0,9\n")
    assert client.post(url, {"file": good}).status_code == 403
    client.force_login(admin_user)
    good.seek(0)
    response = client.post(url, {"file": good})
    assert response.json() == {"created": 1, "updated": 0}
    bad = SimpleUploadedFile("r.csv", b"date;currency;rate\n01/03/2026;USD;0,9\n2026-13-01;USD;1\n")
    response = client.post(url, {"file": bad})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["line 3, date"]
    assert ExchangeRate.objects.count() == 1
