"""Money: the default currency, exchange rates by date, conversion at the rate in force."""

import contextlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from clientela.core import money
from clientela.core.errors import ConflictError
from clientela.core.models import ChangeLogEntry, ExchangeRate

pytestmark = pytest.mark.django_db


def add_rate(admin, currency, day, rate):
    return money.save_exchange_rate(
        admin, None, {"currency": currency, "rate_date": day, "rate": rate}
    )


# --- conversion -------------------------------------------------------------------------------


def test_the_default_currency_is_euro_until_an_admin_sets_it(admin_user):
    assert money.default_currency() == "EUR"
    money.set_default_currency(admin_user, "usd")
    assert money.default_currency() == "USD"


def test_an_amount_in_the_default_currency_converts_to_itself_without_a_rate():
    assert money.convert(Decimal("10.005"), "EUR", date(2026, 1, 1)) == Decimal("10.00")


def test_the_rate_in_force_is_the_latest_on_or_before_the_day(admin_user):
    add_rate(admin_user, "USD", date(2026, 3, 1), "0.90")
    add_rate(admin_user, "USD", date(2026, 3, 10), "0.80")
    assert money.convert(Decimal("100"), "USD", date(2026, 3, 1)) == Decimal("90.00")
    assert money.convert(Decimal("100"), "USD", date(2026, 3, 9)) == Decimal("90.00")
    assert money.convert(Decimal("100"), "USD", date(2026, 3, 10)) == Decimal("80.00")
    assert money.convert(Decimal("100"), "USD", date(2027, 1, 1)) == Decimal("80.00")


def test_no_rate_before_the_day_is_a_missing_rate_not_a_guess(admin_user):
    add_rate(admin_user, "USD", date(2026, 3, 10), "0.80")
    with pytest.raises(money.MissingRate) as caught:
        money.convert(Decimal("100"), "USD", date(2026, 3, 9))
    assert (caught.value.currency, caught.value.to, caught.value.on) == (
        "USD",
        "EUR",
        date(2026, 3, 9),
    )
    with translation.override("en"):
        assert str(caught.value) == "No USD → EUR rate on or before 2026-03-09"
    with translation.override("es"):
        assert "09/03/2026" in str(caught.value)


def test_conversion_between_two_foreign_currencies_goes_through_the_default(admin_user):
    add_rate(admin_user, "USD", date(2026, 1, 1), "0.5")
    add_rate(admin_user, "GBP", date(2026, 1, 1), "1.25")
    # 100 USD = 50 EUR = 40 GBP
    assert money.convert(Decimal("100"), "USD", date(2026, 2, 1), to="GBP") == Decimal("40.00")
    assert money.convert(Decimal("40"), "EUR", date(2026, 2, 1), to="GBP") == Decimal("32.00")
    with pytest.raises(money.MissingRate) as caught:
        money.convert(Decimal("1"), "USD", date(2026, 2, 1), to="CHF")
    assert caught.value.currency == "CHF"


def test_results_round_once_half_to_even(admin_user):
    add_rate(admin_user, "USD", date(2026, 1, 1), "0.5")
    assert money.convert(Decimal("0.05"), "USD", date(2026, 1, 1)) == Decimal("0.02")
    assert money.convert(Decimal("0.07"), "USD", date(2026, 1, 1)) == Decimal("0.04")
    book = money.RateBook()
    parts = [book.convert(Decimal("0.01"), "USD", date(2026, 1, 1), exact=True)] * 3
    assert money.round_money(sum(parts)) == Decimal("0.02")  # 0.015 → 0.02, not 3 × 0.01


def test_a_rate_book_converts_many_amounts_with_one_query_for_the_rates(admin_user):
    for day in range(1, 28):
        add_rate(admin_user, "USD", date(2026, 2, day), Decimal("0.9") + Decimal(day) / 1000)
    with CaptureQueriesContext(connection) as queries:
        book = money.RateBook(["USD", "EUR"], until=date(2026, 12, 31))
        results = [book.convert(Decimal("100"), "USD", date(2026, 2, day)) for day in range(1, 28)]
    assert len(queries) == 2  # the default currency and the rates
    assert results[0] == Decimal("90.10") and results[-1] == Decimal("92.70")


def test_a_rate_book_reports_the_earliest_missing_day_per_currency(admin_user):
    add_rate(admin_user, "USD", date(2026, 6, 1), "0.9")
    book = money.RateBook()
    for day in (date(2026, 5, 20), date(2026, 3, 2), date(2026, 7, 1)):
        with contextlib.suppress(money.MissingRate):
            book.convert(Decimal(1), "USD", day)
    for day in (date(2026, 4, 1), date(2026, 4, 2)):
        with pytest.raises(money.MissingRate):
            book.convert(Decimal(1), "GBP", day)
    assert book.missing == [
        money.MissingRate("GBP", "EUR", date(2026, 4, 1)),
        money.MissingRate("USD", "EUR", date(2026, 3, 2)),
    ]


# --- writes ----------------------------------------------------------------------------------


def test_only_admins_write_money_settings(user, admin_user):
    with pytest.raises(PermissionDenied):
        money.set_default_currency(user, "USD")
    with pytest.raises(PermissionDenied):
        add_rate(user, "USD", date(2026, 1, 1), "1")
    rate = add_rate(admin_user, "USD", date(2026, 1, 1), "1")
    with pytest.raises(PermissionDenied):
        money.save_exchange_rate(user, rate, {"rate": "2"})
    with pytest.raises(PermissionDenied):
        money.delete_exchange_rate(user, rate)
    with pytest.raises(PermissionDenied):
        money.import_exchange_rates(user, "2026-01-01,USD,1")
    assert ExchangeRate.objects.get().rate == 1


def test_a_rate_is_validated_field_by_field(admin_user):
    with pytest.raises(ValidationError) as caught:
        add_rate(admin_user, "XXX", "31/02/2026", "-1")
    assert set(caught.value.message_dict) == {"currency", "rate_date", "rate"}
    with pytest.raises(ValidationError) as caught:
        add_rate(admin_user, "EUR", date(2026, 1, 1), "1")
    assert "default currency" in caught.value.message_dict["currency"][0]
    with pytest.raises(ValidationError) as caught:
        add_rate(admin_user, "USD", date(2026, 1, 1), "1.2.3")
    assert "rate" in caught.value.message_dict
    assert not ExchangeRate.objects.exists()


def test_a_rate_accepts_a_comma_and_keeps_every_decimal(admin_user):
    rate = add_rate(admin_user, "cop", "01/03/2026", "0,0002345678")
    rate.refresh_from_db()
    assert (rate.currency, rate.rate_date, rate.rate) == (
        "COP",
        date(2026, 3, 1),
        Decimal("0.0002345678"),
    )
    assert ChangeLogEntry.objects.filter(object_id=rate.pk, action="create").exists()


def test_one_rate_per_currency_and_day(admin_user):
    add_rate(admin_user, "USD", date(2026, 1, 1), "1")
    with pytest.raises(ValidationError) as caught:
        add_rate(admin_user, "USD", date(2026, 1, 1), "2")
    assert "rate_date" in caught.value.message_dict


def test_a_stale_version_is_refused(admin_user):
    rate = add_rate(admin_user, "USD", date(2026, 1, 1), "1")
    money.save_exchange_rate(admin_user, rate, {"rate": "2"}, expected_version=1)
    with pytest.raises(ConflictError):
        money.save_exchange_rate(admin_user, rate, {"rate": "3"}, expected_version=1)
    assert ExchangeRate.objects.get().rate == 2


def test_changing_the_default_currency_asks_to_delete_the_rates(admin_user):
    add_rate(admin_user, "USD", date(2026, 1, 1), "0.9")
    with pytest.raises(ValidationError) as caught:
        money.set_default_currency(admin_user, "USD")
    assert "delete_rates" in caught.value.message_dict
    assert money.default_currency() == "EUR"
    money.set_default_currency(admin_user, "USD", delete_rates=True)
    assert money.default_currency() == "USD" and not ExchangeRate.objects.exists()
    with pytest.raises(ValidationError):
        money.set_default_currency(admin_user, "ZZZ")


# --- CSV import --------------------------------------------------------------------------------

GOOD_CSV = """date;currency;rate
01/03/2026;USD;0,9214
2026-03-02;gbp;1.1702

2026-03-03;USD;0.95
"""


def test_import_reads_both_date_formats_and_both_decimal_separators(admin_user):
    add_rate(admin_user, "USD", date(2026, 3, 3), "0.5")
    result = money.import_exchange_rates(admin_user, GOOD_CSV.encode("utf-8-sig"))
    assert (result.created, result.updated) == (2, 1)
    rates = {(r.currency, r.rate_date): r.rate for r in ExchangeRate.objects.all()}
    assert rates == {
        ("USD", date(2026, 3, 1)): Decimal("0.9214"),
        ("GBP", date(2026, 3, 2)): Decimal("1.1702"),
        ("USD", date(2026, 3, 3)): Decimal("0.95"),
    }


def test_import_without_a_header_and_with_comma_separated_columns(admin_user):
    result = money.import_exchange_rates(admin_user, '2026-03-01,USD,"0,9"\n2026-03-02,USD,0.8\n')
    assert result.created == 2


def test_a_bad_line_imports_nothing_and_names_line_and_column(admin_user):
    content = """date,currency,rate
2026-03-01,USD,0.9
32/01/2026,USD,0.9
2026-03-02,XYZ,abc
2026-03-01,USD,0.8
2026-03-04,USD
"""
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        money.import_exchange_rates(admin_user, content)
    errors = caught.value.message_dict
    assert set(errors) == {
        "line 3, date",
        "line 4, currency",
        "line 4, rate",
        "line 5, date",
        "line 6",
    }
    assert errors["line 4, rate"] == ["Line 4, column “rate”: “abc” is not a number."]
    assert "line 2" in errors["line 5, date"][0]
    assert not ExchangeRate.objects.exists()


def test_an_empty_or_binary_file_is_refused(admin_user):
    with pytest.raises(ValidationError):
        money.import_exchange_rates(admin_user, "\n\n")
    with pytest.raises(ValidationError):
        money.import_exchange_rates(admin_user, b"\xff\xfe\x00bad")


@pytest.mark.parametrize("text", ["-1", "-0,5", "0"])
def test_a_rate_that_is_not_positive_is_refused_as_such(text):
    from clientela.core.money import parse_rate

    with pytest.raises(ValueError, match="greater than zero"):
        parse_rate(text)
