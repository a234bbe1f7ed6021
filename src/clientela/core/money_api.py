"""The money API: the default currency and the exchange rates. Every CRM user reads them
(totals are shown to everyone); only CRM admins change them."""

from datetime import date
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Path, Query, Router, Schema, Status, UploadedFile

from clientela.core import money
from clientela.core.api import (
    MAX_ID,
    PageOut,
    PageParams,
    error_responses,
    if_match_version,
    page_out,
    set_etag,
    text,
)
from clientela.core.errors import ValidationError
from clientela.core.models import ExchangeRate, OrganisationSettings
from clientela.core.pagination import paginate

router = Router(tags=["money"])

RateId = Path(..., ge=1, le=MAX_ID, description="Exchange rate id.")
# A rate is sent as a string ("1.0825" or "1,0825") or a number; the service parses it exactly.
RateValue = Decimal | text(40)


class DefaultCurrencyOut(Schema):
    default_currency: str = Field(description="ISO 4217 code totals are shown in.")
    version: int


class DefaultCurrencyIn(Schema):
    default_currency: text(3, 3)
    delete_rates: bool = Field(
        False,
        description="Needed when rates are stored: they are worth so much of the old currency "
        "and are deleted.",
    )


class ExchangeRateOut(Schema):
    id: int
    currency: str
    rate_date: date = Field(description="The rate is in force from this day on.")
    rate: str = Field(description="Units of the default currency one unit is worth, exactly.")
    version: int

    @staticmethod
    def resolve_rate(obj) -> str:
        return money.format_rate(obj.rate)


class ExchangeRateIn(Schema):
    currency: text(3, 3)
    rate_date: date
    rate: RateValue


class ExchangeRatePatch(Schema):
    currency: text(3, 3) | None = None
    rate_date: date | None = None
    rate: RateValue | None = None


class RateFilter(Schema):
    currency: text(3) | None = None
    date_from: date | None = None
    date_to: date | None = None

    def apply(self, queryset):
        if self.currency:
            queryset = queryset.filter(currency=self.currency.upper())
        if self.date_from:
            queryset = queryset.filter(rate_date__gte=self.date_from)
        if self.date_to:
            queryset = queryset.filter(rate_date__lte=self.date_to)
        return queryset


class ImportOut(Schema):
    created: int
    updated: int


def _settings_out() -> dict:
    version = (
        OrganisationSettings.objects.filter(pk=OrganisationSettings.SINGLETON_PK)
        .values_list("version", flat=True)
        .first()
    )
    return {"default_currency": money.default_currency(), "version": version or 1}


@router.get(
    "/money/default-currency",
    response={200: DefaultCurrencyOut, **error_responses()},
    summary="The default currency",
)
def get_default_currency(request: HttpRequest, response: HttpResponse) -> dict:
    out = _settings_out()
    set_etag(response, out["version"])
    return out


@router.put(
    "/money/default-currency",
    response={200: DefaultCurrencyOut, **error_responses(400, 409, 412)},
    summary="Change the default currency (CRM admins)",
)
def put_default_currency(
    request: HttpRequest, response: HttpResponse, payload: DefaultCurrencyIn
) -> dict:
    money.set_default_currency(
        request.user,
        payload.default_currency,
        delete_rates=payload.delete_rates,
        expected_version=if_match_version(request),
    )
    out = _settings_out()
    set_etag(response, out["version"])
    return out


@router.get(
    "/money/exchange-rates",
    response={200: PageOut[ExchangeRateOut], **error_responses()},
    summary="List exchange rates",
)
def list_rates(request: HttpRequest, filters: Query[RateFilter], page: Query[PageParams]) -> dict:
    """Newest first. A rate is in force from its date until the next rate of its currency."""
    rates = filters.apply(ExchangeRate.objects.all())
    return page_out(paginate(rates, page.offset, page.limit, page.count))


@router.post(
    "/money/exchange-rates",
    response={201: ExchangeRateOut, **error_responses(400)},
    summary="Add an exchange rate (CRM admins)",
)
def create_rate(request: HttpRequest, response: HttpResponse, payload: ExchangeRateIn):
    rate = money.save_exchange_rate(request.user, None, payload.model_dump())
    set_etag(response, rate.version)
    return Status(201, rate)


@router.post(
    "/money/exchange-rates/import",
    response={200: ImportOut, **error_responses(400)},
    summary="Import exchange rates from CSV (CRM admins)",
)
def import_rates(request: HttpRequest, file: File[UploadedFile]) -> dict:
    """Columns date, currency, rate (header optional); dd/mm/yyyy or yyyy-mm-dd; comma or dot
    decimals. All or nothing: a bad line answers 400 with an error per line and column. A
    line for a day that already has a rate replaces it."""
    if file.size > 2 * 1024 * 1024:
        raise ValidationError({"file": _("The file is larger than 2 MB.")})
    result = money.import_exchange_rates(request.user, file.read())
    return {"created": result.created, "updated": result.updated}


@router.get(
    "/money/exchange-rates/{rate_id}",
    response={200: ExchangeRateOut, **error_responses(404)},
    summary="One exchange rate",
)
def get_rate(request: HttpRequest, response: HttpResponse, rate_id: int = RateId):
    rate = get_object_or_404(ExchangeRate, pk=rate_id)
    set_etag(response, rate.version)
    return rate


@router.patch(
    "/money/exchange-rates/{rate_id}",
    response={200: ExchangeRateOut, **error_responses(400, 404, 409, 412)},
    summary="Change an exchange rate (CRM admins)",
)
def update_rate(
    request: HttpRequest, response: HttpResponse, payload: ExchangeRatePatch, rate_id: int = RateId
):
    rate = get_object_or_404(ExchangeRate, pk=rate_id)
    data = payload.model_dump(exclude_unset=True)
    rate = money.save_exchange_rate(request.user, rate, data, if_match_version(request))
    set_etag(response, rate.version)
    return rate


@router.delete(
    "/money/exchange-rates/{rate_id}",
    response={204: None, **error_responses(404)},
    summary="Delete an exchange rate (CRM admins)",
)
def delete_rate(request: HttpRequest, rate_id: int = RateId):
    rate = get_object_or_404(ExchangeRate, pk=rate_id)
    money.delete_exchange_rate(request.user, rate)
    return Status(204, None)
