"""Currencies. Amounts are always Decimal, each with its own currency code."""

from django.utils.translation import gettext_lazy as _

CURRENCIES = {
    "EUR": _("Euro"),
    "USD": _("US dollar"),
    "GBP": _("Pound sterling"),
    "MXN": _("Mexican peso"),
    "ARS": _("Argentine peso"),
    "COP": _("Colombian peso"),
    "CLP": _("Chilean peso"),
    "PEN": _("Peruvian sol"),
    "UYU": _("Uruguayan peso"),
    "BRL": _("Brazilian real"),
    "CHF": _("Swiss franc"),
    "CAD": _("Canadian dollar"),
    "JPY": _("Japanese yen"),
    "CNY": _("Chinese yuan"),
}


def currency_choices():
    return [(code, f"{code} · {name}") for code, name in CURRENCIES.items()]
