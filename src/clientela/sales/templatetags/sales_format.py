"""Money and dates as the board writes them on every card: the same text as Django's
`floatformat:"2g"` and `date:"SHORT_DATE_FORMAT"`, at a tenth of their cost. Each of those
looks up the reader's formats and walks the value digit by digit; here the formats are read
once per language and Python's own formatting does the rest. Anything they do not cover (a
value that is not a Decimal or a date, a format other than plain day, month and year) goes to
Django's filter."""

import datetime
import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils.formats import get_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

CENT = Decimal("0.01")
# Django's date format characters that need nothing but the date's day, month and year.
DATE_PARTS = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
}
# Every other letter is a format character in Django's date formats.
OTHER_DATE_CHARACTERS = frozenset("aAbcDeEfFgGhHiIlLMNoOPrsStTUuwWyzZ\\")


@register.filter(is_safe=True)
def amount(value):
    """`value` with two decimals and the reader's decimal and thousands separators."""
    separators = _separators(get_language())
    if separators is None or not isinstance(value, Decimal) or not value.is_finite():
        return floatformat(value, "2g")
    try:
        rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return floatformat(value, "2g")
    if not rounded:
        rounded = abs(rounded)  # floatformat writes no minus sign before a zero
    return mark_safe(format(rounded, ",.2f").translate(separators))


@register.filter(expects_localtime=True)
def short_date(value):
    """A date in the reader's SHORT_DATE_FORMAT."""
    pattern = _short_date_pattern(get_language())
    if pattern is None or type(value) is not datetime.date:
        return date_filter(value, "SHORT_DATE_FORMAT")
    return pattern.format(value)


@functools.lru_cache(maxsize=32)
def _separators(language: str) -> dict | None:
    """Python's `,` and `.` turned into the language's separators; None when the language does
    not group digits by three (Python cannot write that)."""
    if get_format("NUMBER_GROUPING") != 3:
        return None
    return str.maketrans(
        {",": get_format("THOUSAND_SEPARATOR"), ".": get_format("DECIMAL_SEPARATOR")}
    )


@functools.lru_cache(maxsize=32)
def _short_date_pattern(language: str) -> str | None:
    """The language's SHORT_DATE_FORMAT as a `str.format` pattern, or None when it uses more
    than the day, month and year."""
    pattern = []
    for character in get_format("SHORT_DATE_FORMAT"):
        if character in DATE_PARTS:
            pattern.append(DATE_PARTS[character])
        elif character in OTHER_DATE_CHARACTERS:
            return None
        else:
            pattern.append(character.replace("{", "{{").replace("}", "}}"))
    return "".join(pattern)
