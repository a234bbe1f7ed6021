"""The board's money and date filters write exactly what Django's `floatformat:"2g"` and
`date:"SHORT_DATE_FORMAT"` write, in every language."""

import datetime
import random
from decimal import Decimal

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils import translation

from clientela.sales.templatetags.sales_format import amount, short_date

AMOUNTS = [
    Decimal("0"),
    Decimal("0.00"),
    Decimal("-0.001"),
    Decimal("0.005"),
    Decimal("1.005"),
    Decimal("-1.005"),
    Decimal("2.675"),
    Decimal("999.995"),
    Decimal("1000"),
    Decimal("1E+3"),
    Decimal("1234.5"),
    Decimal("-1234567.89"),
    Decimal("199983.00"),
    Decimal("99999999999999.99"),
    Decimal("12345678901234567890.123"),
]


@pytest.mark.parametrize("language", ["en", "es"])
def test_amount_is_floatformat_2g(language):
    rng = random.Random(7)
    samples = AMOUNTS + [
        Decimal(rng.randrange(-(10**12), 10**12)) / Decimal(10 ** rng.randrange(0, 4))
        for _ in range(500)
    ]
    with translation.override(language):
        for value in samples:
            assert amount(value) == floatformat(value, "2g"), value
        for other in (None, "", "abc", 12, 3.5, "1234.5"):
            assert amount(other) == floatformat(other, "2g")
        assert amount(Decimal("1234.5")) == ("1,234.50" if language == "en" else "1.234,50")


@pytest.mark.parametrize("language", ["en", "es"])
def test_short_date_is_the_date_filter_with_short_date_format(language):
    days = [datetime.date(2030, 1, 1) + datetime.timedelta(days=n * 37) for n in range(60)]
    days += [datetime.date(5, 3, 9), datetime.date(9999, 12, 31)]
    with translation.override(language):
        for day in days:
            assert short_date(day) == date_filter(day, "SHORT_DATE_FORMAT"), day
        moment = datetime.datetime(2030, 6, 30, 23, 30, tzinfo=datetime.UTC)
        for other in (None, "", moment):
            assert short_date(other) == date_filter(other, "SHORT_DATE_FORMAT")
        expected = {"en": "2030-06-30", "es": "30/06/2030"}[language]
        assert short_date(datetime.date(2030, 6, 30)) == expected
