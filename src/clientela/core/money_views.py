"""Settings pages for money (CRM admins): the default currency, exchange rates (list, add,
edit, delete, CSV import), and the inline form pages show where a total needs a missing rate.
Thin views: a form parses, `core.money` writes, the page shows the outcome."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from clientela.accounts.forms import BootstrapFormMixin
from clientela.core import money
from clientela.core.errors import ConflictError
from clientela.core.models import ExchangeRate
from clientela.core.pagination import paginate
from clientela.core.settings_views import (
    crm_admin_required,
    is_htmx,
    posted,
    show_service_errors,
)

RATES_PER_PAGE = 50


class DefaultCurrencyForm(BootstrapFormMixin, forms.Form):
    default_currency = forms.ChoiceField(label=gettext_lazy("Default currency"), choices=())
    delete_rates = forms.BooleanField(
        label=gettext_lazy(
            "Delete the stored exchange rates (they are worth so much of the old currency)"
        ),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_currency"].choices = money.currency_choices()


class ExchangeRateForm(BootstrapFormMixin, forms.Form):
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=())
    rate_date = forms.DateField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # Text, not a number field: people type "1,0825" as often as "1.0825"; the service parses.
    rate = forms.CharField(label=gettext_lazy("Rate"), max_length=40)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, default: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default
        self.fields["currency"].choices = [
            choice for choice in money.currency_choices() if choice[0] != default
        ]
        self.fields["rate"].help_text = _(
            "How many %(default)s one unit of the currency is worth from that day on."
        ) % {"default": default}
        self.fields["rate"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})


class RateImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "Columns date, currency, rate (a header row is optional). Dates as dd/mm/yyyy or "
            "yyyy-mm-dd; decimals with a comma or a dot. Nothing is imported unless every line "
            "is right."
        ),
    )

    MAX_BYTES = 2 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("The file is larger than 2 MB."))
        return upload


def _rate_data(form: forms.Form) -> dict:
    return {name: form.cleaned_data[name] for name in ("currency", "rate_date", "rate")}


def _money_context(request, **extra) -> dict:
    default = money.default_currency()
    rates = ExchangeRate.objects.all()
    currency = request.GET.get("currency", "")
    if currency in money.CURRENCIES:
        rates = rates.filter(currency=currency)
    try:
        offset = max(int(request.GET.get("offset") or 0), 0)
    except ValueError:
        offset = 0
    from clientela.core.models import OrganisationSettings

    version = (
        OrganisationSettings.objects.filter(pk=OrganisationSettings.SINGLETON_PK)
        .values_list("version", flat=True)
        .first()
    )
    context = {
        "default_currency": default,
        "page": paginate(rates, offset, RATES_PER_PAGE, with_count=True),
        "currency_filter": currency,
        "rate_currencies": [c for c in money.currency_choices() if c[0] != default],
        "currency_form": DefaultCurrencyForm(
            initial={"default_currency": default, "version": version}
        ),
        "rate_form": ExchangeRateForm(default=default, initial={"rate_date": date.today()}),
        "import_form": RateImportForm(),
        "active_section": "settings",
    }
    context.update(extra)
    return context


@crm_admin_required
@require_http_methods(["GET", "POST"])
def money_settings(request):
    """The default currency and the exchange rates; POST adds a rate."""
    default = money.default_currency()
    form = ExchangeRateForm(data=posted(request), default=default)
    if request.method == "POST" and form.is_valid():
        try:
            rate = money.save_exchange_rate(request.user, None, _rate_data(form))
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Rate “%(name)s” added.") % {"name": rate})
            return redirect("settings:money")
    extra = {"rate_form": form} if request.method == "POST" else {}
    return render(
        request,
        "core/money.html",
        _money_context(request, **extra),
        status=400 if form.errors else 200,
    )


@crm_admin_required
@require_POST
def default_currency_edit(request):
    form = DefaultCurrencyForm(data=request.POST)
    if form.is_valid():
        try:
            money.set_default_currency(
                request.user,
                form.cleaned_data["default_currency"],
                delete_rates=form.cleaned_data["delete_rates"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("The default currency is now %(code)s.")
                % {"code": form.cleaned_data["default_currency"]},
            )
            return redirect("settings:money")
    return render(
        request, "core/money.html", _money_context(request, currency_form=form), status=400
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def exchange_rate_edit(request, pk):
    rate = get_object_or_404(ExchangeRate, pk=pk)
    default = money.default_currency()
    initial = {
        "currency": rate.currency,
        "rate_date": rate.rate_date,
        "rate": money.format_rate(rate.rate),
        "version": rate.version,
    }
    form = ExchangeRateForm(data=posted(request), initial=initial, default=default)
    if request.method == "POST" and form.is_valid():
        try:
            rate = money.save_exchange_rate(
                request.user, rate, _rate_data(form), form.cleaned_data["version"]
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Rate “%(name)s” saved.") % {"name": rate})
            return redirect("settings:money")
    return render(
        request,
        "core/exchange_rate_edit.html",
        {"rate": rate, "form": form, "active_section": "settings"},
        status=400 if form.errors else 200,
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def exchange_rate_delete(request, pk):
    rate = get_object_or_404(ExchangeRate, pk=pk)
    back = reverse("settings:money")
    if request.method == "POST":
        money.delete_exchange_rate(request.user, rate)
        messages.success(request, _("“%(name)s” deleted.") % {"name": rate})
        return redirect(back)
    return render(
        request,
        "core/confirm_delete.html",
        {"item": rate, "error": None, "back_url": back, "active_section": "settings"},
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def exchange_rate_import(request):
    form = RateImportForm(data=posted(request), files=request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = money.import_exchange_rates(request.user, form.cleaned_data["file"].read())
        except ValidationError as exc:
            errors = [m for messages_ in exc.message_dict.values() for m in messages_]
        else:
            messages.success(
                request,
                _("%(created)s rates added and %(updated)s changed.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("settings:money")
    return render(
        request,
        "core/exchange_rate_import.html",
        {"form": form, "import_errors": errors, "active_section": "settings"},
        status=400 if form.errors or errors else 200,
    )


# --- the missing-rate form pages show next to a total they could not compute -------------------


class MissingRateForm(ExchangeRateForm):
    needed_on = forms.DateField(widget=forms.HiddenInput)
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        cleaned = super().clean()
        day, needed = cleaned.get("rate_date"), cleaned.get("needed_on")
        if day and needed and day > needed:
            self.add_error(
                "rate_date",
                _("Give a date on or before %(date)s, so that the total can use it.")
                % {"date": date_format(needed, "SHORT_DATE_FORMAT")},
            )
        return cleaned


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("settings:money")


@crm_admin_required
@require_POST
def missing_rate(request):
    """Enter the rate a total needs, from the page that shows the total. With htmx the page
    reloads on success (every total on it may change); on error the form comes back."""
    form = MissingRateForm(data=request.POST, default=money.default_currency())
    if form.is_valid():
        try:
            rate = money.save_exchange_rate(request.user, None, _rate_data(form))
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Rate “%(name)s” added.") % {"name": rate})
            if is_htmx(request):
                return HttpResponse(status=204, headers={"HX-Refresh": "true"})
            return redirect(_safe_next(request, form.cleaned_data.get("next") or ""))
    missing = money.MissingRate(
        request.POST.get("currency", "")[:3],
        money.default_currency(),
        form.cleaned_data.get("needed_on") or date.today(),
    )
    context = {
        "missing_rates": [missing],
        "rate_errors": [m for errors in form.errors.values() for m in errors],
        "rate_values": {
            "rate_date": request.POST.get("rate_date", ""),
            "rate": request.POST.get("rate", ""),
        },
        "next": _safe_next(request, request.POST.get("next", "")),
    }
    if is_htmx(request):
        # htmx swaps 2xx answers only: the form with its errors comes back as 200.
        return render(request, "core/_missing_rate.html", context)
    return render(
        request,
        "core/money_missing_rate.html",
        {**context, "active_section": "settings"},
        status=400,
    )
