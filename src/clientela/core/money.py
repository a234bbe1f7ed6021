"""Currencies, the organisation's default currency and exchange rates by date.

Amounts are always Decimal, each with its own currency code. A total in the default currency
converts every amount at the rate in force on its date: the latest rate of that currency on or
before the date. Where no rate is in force, nothing is guessed: `MissingRate` says which rate
is needed, and pages offer admins to enter it there and then.

Reads: `default_currency`, `convert`, `RateBook` (many conversions, one query).
Writes (CRM admins only): `set_default_currency`, `save_exchange_rate`,
`delete_exchange_rate`, `import_exchange_rates`."""

import csv
import io
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.changelog import record_change, snapshot
from clientela.core.versioning import bump_version

CURRENCIES = {
    "EUR": gettext_lazy("Euro"),
    "USD": gettext_lazy("US dollar"),
    "GBP": gettext_lazy("Pound sterling"),
    "MXN": gettext_lazy("Mexican peso"),
    "ARS": gettext_lazy("Argentine peso"),
    "COP": gettext_lazy("Colombian peso"),
    "CLP": gettext_lazy("Chilean peso"),
    "PEN": gettext_lazy("Peruvian sol"),
    "UYU": gettext_lazy("Uruguayan peso"),
    "BRL": gettext_lazy("Brazilian real"),
    "CHF": gettext_lazy("Swiss franc"),
    "CAD": gettext_lazy("Canadian dollar"),
    "JPY": gettext_lazy("Japanese yen"),
    "CNY": gettext_lazy("Chinese yuan"),
}

FALLBACK_CURRENCY = "EUR"
CENT = Decimal("0.01")
# The rate column: 22 digits, 10 of them decimals.
RATE_MAX = Decimal("999999999999")
RATE_PLACES = 10


def currency_choices():
    return [(code, f"{code} · {name}") for code, name in CURRENCIES.items()]


def format_rate(rate: Decimal) -> str:
    """A rate as typed: no trailing zeros, no exponent ("1.0825", "160")."""
    return format(Decimal(rate).normalize(), "f")


def round_money(amount: Decimal) -> Decimal:
    """Two decimals, half to even: applied once, to a final total, never to its parts."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


# --- reads -------------------------------------------------------------------------------------


def default_currency() -> str:
    """The organisation's currency, the one totals are shown in ("EUR" until an admin sets it)."""
    from clientela.core.models import OrganisationSettings

    code = (
        OrganisationSettings.objects.filter(pk=OrganisationSettings.SINGLETON_PK)
        .values_list("default_currency", flat=True)
        .first()
    )
    return code or FALLBACK_CURRENCY


class MissingRate(Exception):
    """No rate of `currency` against `to` is in force on `on` (none on or before that day)."""

    def __init__(self, currency: str, to: str, on: date):
        self.currency, self.to, self.on = currency, to, on
        super().__init__(currency, to, on)

    def __str__(self):
        return _("No %(currency)s → %(to)s rate on or before %(date)s") % {
            "currency": self.currency,
            "to": self.to,
            "date": date_format(self.on, "SHORT_DATE_FORMAT"),
        }

    def __eq__(self, other):
        return isinstance(other, MissingRate) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    @property
    def key(self):
        return (self.currency, self.to, self.on)


class RateBook:
    """Every rate needed for many conversions, loaded in one query.

    `currencies` limits the load to those currencies (all when None); `until` leaves out rates
    dated after the last day that will be converted. Conversions then cost no query. It also
    remembers the rates it found missing (`missing`), earliest day first per currency: entering
    a rate on or before that day makes every conversion of the currency work."""

    def __init__(self, currencies: Iterable[str] | None = None, until: date | None = None):
        from clientela.core.models import ExchangeRate

        self.default = default_currency()
        rows = ExchangeRate.objects.order_by("currency", "rate_date")
        if currencies is not None:
            wanted = {c for c in currencies if c and c != self.default}
            rows = rows.filter(currency__in=wanted)
            if not wanted:
                rows = rows.none()
        if until is not None:
            rows = rows.filter(rate_date__lte=until)
        self._dates: dict[str, list[date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, rate_date, rate in rows.values_list("currency", "rate_date", "rate"):
            self._dates.setdefault(currency, []).append(rate_date)
            self._rates.setdefault(currency, []).append(rate)
        self._missing: dict[tuple[str, str], date] = {}

    def rate(self, currency: str, on: date) -> Decimal | None:
        """Units of the default currency one unit of `currency` is worth on `on`, or None."""
        if currency == self.default:
            return Decimal(1)
        dates = self._dates.get(currency, ())
        index = bisect_right(dates, on)
        return self._rates[currency][index - 1] if index else None

    def same_rate(self, currency: str, first: date, last: date) -> bool:
        """Whether the same rate of `currency` (or the same lack of one) is in force on every
        day from `first` to `last`: then one conversion of their summed amounts gives exactly
        the sum of their conversions."""
        if currency == self.default:
            return True
        dates = self._dates.get(currency, ())
        return bisect_right(dates, first) == bisect_right(dates, last)

    def convert(
        self, amount: Decimal, currency: str, on: date, to: str | None = None, exact=False
    ) -> Decimal:
        """`amount` of `currency` in `to` (the default currency when None) at the rates in force
        on `on`. `exact=True` leaves the result unrounded, for sums rounded once at the end."""
        to = to or self.default
        amount = Decimal(amount)
        if currency == to:
            return amount if exact else round_money(amount)
        source, target = self.rate(currency, on), self.rate(to, on)
        if source is None or target is None:
            # Name the leg an admin can enter: rates are stored against the default currency.
            missing = currency if source is None else to
            self._remember_missing(missing, on)
            if to == self.default or currency == self.default:
                raise MissingRate(currency, to, on)
            raise MissingRate(missing, self.default, on)
        converted = amount * source / target
        return converted if exact else round_money(converted)

    def _remember_missing(self, currency: str, on: date):
        key = (currency, self.default)
        if key not in self._missing or on < self._missing[key]:
            self._missing[key] = on

    @property
    def missing(self) -> list[MissingRate]:
        """The rates conversions found missing: per currency, the earliest day needed."""
        return [
            MissingRate(currency, to, on) for (currency, to), on in sorted(self._missing.items())
        ]


def convert(amount: Decimal, currency: str, on: date, to: str | None = None) -> Decimal:
    """One conversion at the rate in force on `on`, rounded to cents (half to even).

    Raises `MissingRate` when no rate is in force. For many amounts use a `RateBook`."""
    currencies = {currency, to} if to else {currency}
    return RateBook(currencies, until=on).convert(amount, currency, on, to)


# --- writes (CRM admins) -------------------------------------------------------------------------


def _require_admin(actor):
    if not (actor and actor.is_authenticated and actor.is_crm_admin):
        raise PermissionDenied(_("Only CRM admins may do this."))


def _organisation_settings():
    from clientela.core.models import OrganisationSettings

    settings, _created = OrganisationSettings.objects.get_or_create(
        pk=OrganisationSettings.SINGLETON_PK
    )
    return settings


def _currency_error(code: str, default: str | None = None) -> str | None:
    if code not in CURRENCIES:
        return _("Unknown currency “%(code)s”.") % {"code": code}
    if default is not None and code == default:
        return _(
            "%(code)s is the default currency: its amounts need no rate (they are worth 1)."
        ) % {"code": code}
    return None


@transaction.atomic
def set_default_currency(actor, code: str, delete_rates: bool = False, expected_version=None):
    """Change the organisation's default currency.

    Stored rates are worth so much of the *current* default currency: under another default
    they would give wrong totals. So while rates exist the change needs `delete_rates=True`,
    which deletes them (the admin enters or imports rates against the new currency)."""
    from clientela.core.models import ExchangeRate

    _require_admin(actor)
    code = (code or "").strip().upper()
    settings = _organisation_settings()
    if error := _currency_error(code):
        raise ValidationError({"default_currency": error})
    if code == settings.default_currency:
        return settings
    rate_count = ExchangeRate.objects.count()
    if rate_count and not delete_rates:
        raise ValidationError(
            {
                "delete_rates": _(
                    "The %(count)s stored exchange rates are worth so much %(old)s; confirm "
                    "that they are deleted to change the default currency."
                )
                % {"count": rate_count, "old": settings.default_currency}
            }
        )
    before = snapshot(settings)
    settings.default_currency = code
    bump_version(settings, expected_version, ["default_currency"])
    if rate_count:
        for rate in ExchangeRate.objects.all():
            record_change(actor, rate, "delete", snapshot(rate), None)
        ExchangeRate.objects.all().delete()
    record_change(actor, settings, "update", before, snapshot(settings))
    return settings


def parse_rate(value) -> Decimal:
    """A positive rate from a number or a text with a dot or a comma as decimal separator."""
    if isinstance(value, Decimal | int):
        rate = Decimal(value)
    else:
        text = str(value or "").strip().replace(" ", "")
        if "," in text and "." in text:
            raise ValueError(_("Use either a comma or a dot as decimal separator, not both."))
        if re.fullmatch(r"-[0-9]+([.,][0-9]+)?", text):
            raise ValueError(_("The rate must be greater than zero."))
        if not re.fullmatch(r"[0-9]+([.,][0-9]+)?", text):
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
        rate = Decimal(text.replace(",", "."))
    if not rate.is_finite() or rate <= 0:
        raise ValueError(_("The rate must be greater than zero."))
    if rate > RATE_MAX:
        raise ValueError(_("The rate is too large."))
    if rate.as_tuple().exponent < -RATE_PLACES:
        raise ValueError(
            _("Give the rate with at most %(places)s decimals.") % {"places": RATE_PLACES}
        )
    return rate


DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def parse_rate_date(value) -> date:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a date (dd/mm/yyyy or yyyy-mm-dd).") % {"value": value})


def _clean_rate_fields(data: dict, default: str) -> tuple[dict, dict]:
    """Check currency, rate_date and rate: (clean values, errors keyed by field)."""
    errors, clean = {}, {}
    if "currency" in data:
        clean["currency"] = str(data["currency"] or "").strip().upper()
        if error := _currency_error(clean["currency"], default):
            errors["currency"] = error
    if "rate_date" in data:
        try:
            clean["rate_date"] = parse_rate_date(data["rate_date"])
        except ValueError as exc:
            errors["rate_date"] = str(exc)
    if "rate" in data:
        try:
            clean["rate"] = parse_rate(data["rate"])
        except (ValueError, InvalidOperation) as exc:
            errors["rate"] = str(exc)
    return clean, errors


@transaction.atomic
def save_exchange_rate(actor, rate, data: dict, expected_version=None):
    """Create a rate (`rate=None`) or change one; one rate per currency and day."""
    from clientela.core.models import ExchangeRate

    _require_admin(actor)
    default = default_currency()
    creating = rate is None
    if creating:
        missing = [
            name for name in ("currency", "rate_date", "rate") if data.get(name) in ("", None)
        ]
        if missing:
            raise ValidationError({name: _("This field is required.") for name in missing})
    clean, errors = _clean_rate_fields(data, default)
    before = None if creating else snapshot(rate)
    rate = rate or ExchangeRate()
    for name, value in clean.items():
        setattr(rate, name, value)
    if "currency" not in errors and "rate_date" not in errors:
        clash = ExchangeRate.objects.filter(currency=rate.currency, rate_date=rate.rate_date)
        if clash.exclude(pk=rate.pk).exists():
            errors["rate_date"] = _(
                "There is already a %(currency)s rate on %(date)s: change that one."
            ) % {
                "currency": rate.currency,
                "date": date_format(rate.rate_date, "SHORT_DATE_FORMAT"),
            }
    if errors:
        raise ValidationError(errors)
    if creating:
        rate.save()
        record_change(actor, rate, "create", None, snapshot(rate))
    else:
        bump_version(rate, expected_version, ["currency", "rate_date", "rate"])
        record_change(actor, rate, "update", before, snapshot(rate))
    return rate


@transaction.atomic
def delete_exchange_rate(actor, rate):
    _require_admin(actor)
    record_change(actor, rate, "delete", snapshot(rate), None)
    rate.delete()


@dataclass
class ImportResult:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


COLUMNS = ("date", "currency", "rate")
MAX_IMPORT_LINES = 50_000
MAX_REPORTED_LINES = 50


def _csv_rows(text: str) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _column_order(first_row: list[str]) -> tuple[list[str], bool]:
    """The columns' order, and whether the first row is a header naming them."""
    names = [cell.strip().lower() for cell in first_row]
    if sorted(names) == sorted(COLUMNS):
        return names, True
    return list(COLUMNS), False


def read_rates_csv(content: bytes | str) -> list[tuple[int, str, date, Decimal]]:
    """Parse a CSV of rates (date, currency, rate; a header row is optional; comma, semicolon or
    tab separated; dd/mm/yyyy or yyyy-mm-dd; comma or dot decimals) into (line, currency, date,
    rate). Raises one ValidationError listing every bad line and column."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError({"file": _("The file is not UTF-8 text.")}) from exc
    rows = _csv_rows(content)
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise ValidationError({"file": _("The file has no rates.")})
    order, has_header = _column_order(rows[0])
    default = default_currency()
    errors: dict[str, str] = {}
    parsed, seen = [], {}
    for line, row in enumerate(rows, start=1):
        if (line == 1 and has_header) or not any(cell.strip() for cell in row):
            continue
        if len(parsed) >= MAX_IMPORT_LINES:
            errors["file"] = _("Import at most %(count)s rates at a time.") % {
                "count": MAX_IMPORT_LINES
            }
            break
        if len(row) != len(COLUMNS):
            errors[f"line {line}"] = _(
                "Line %(line)s: expected 3 columns (date, currency, rate), found %(found)s."
            ) % {"line": line, "found": len(row)}
            continue
        values = dict(zip(order, row, strict=True))
        clean, line_errors = _clean_rate_fields(
            {"currency": values["currency"], "rate_date": values["date"], "rate": values["rate"]},
            default,
        )
        for field, message in line_errors.items():
            column = "date" if field == "rate_date" else field
            errors[f"line {line}, {column}"] = _(
                "Line %(line)s, column “%(column)s”: %(message)s"
            ) % {"line": line, "column": column, "message": message}
        if line_errors:
            continue
        key = (clean["currency"], clean["rate_date"])
        if key in seen:
            errors[f"line {line}, date"] = _(
                "Line %(line)s, column “date”: the %(currency)s rate of this day is already on "
                "line %(first)s."
            ) % {"line": line, "currency": key[0], "first": seen[key]}
            continue
        seen[key] = line
        parsed.append((line, clean["currency"], clean["rate_date"], clean["rate"]))
    if errors:
        shown = dict(list(errors.items())[:MAX_REPORTED_LINES])
        if len(errors) > MAX_REPORTED_LINES:
            shown["more"] = _("…and %(count)s more errors.") % {
                "count": len(errors) - MAX_REPORTED_LINES
            }
        raise ValidationError(shown)
    return parsed


@transaction.atomic
def import_exchange_rates(actor, content: bytes | str) -> ImportResult:
    """All or nothing: every line is checked before anything is written. A line for a day
    that already has a rate of that currency replaces it."""
    from clientela.core.models import ExchangeRate

    _require_admin(actor)
    parsed = read_rates_csv(content)
    existing = {
        (r.currency, r.rate_date): r
        for r in ExchangeRate.objects.filter(currency__in={p[1] for p in parsed}).filter(
            rate_date__in={p[2] for p in parsed}
        )
    }
    created = updated = 0
    for _line, currency, rate_date, value in parsed:
        rate = existing.get((currency, rate_date))
        if rate is None:
            rate = ExchangeRate.objects.create(currency=currency, rate_date=rate_date, rate=value)
            record_change(actor, rate, "create", None, snapshot(rate))
            created += 1
        elif rate.rate != value:
            before = snapshot(rate)
            rate.rate = value
            bump_version(rate, None, ["rate"])
            record_change(actor, rate, "update", before, snapshot(rate))
            updated += 1
    return ImportResult(created, updated)
