"""Pages of the pipeline board and the forecast. Thin: `board`/`forecast` read through the
access point, `services.change_stage` writes; an opportunity out of reach answers 404."""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clientela.accounts.forms import BootstrapFormMixin
from clientela.accounts.models import User
from clientela.contacts.forms import PlainSelect
from clientela.contacts.models import Interest
from clientela.core.access import Action, get_for_user_or_404
from clientela.core.errors import ConflictError, validation_messages
from clientela.core.models import Tag

from . import board as board_queries
from . import forecast as forecast_queries
from . import services
from .filters import OpportunityFilter
from .models import LeadSource, LostReason, Opportunity, Pipeline, Stage

# --- the filter bar, shared by the board and the forecast ------------------------------------


def _choices(rows, any_label):
    return [("", any_label), *((str(row.pk), str(row)) for row in rows)]


class OpportunityFilterBar(BootstrapFormMixin, forms.Form):
    """The filter bar of the board and the forecast; `OpportunityFilter` does the filtering,
    so they narrow the opportunities exactly as the list does."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    responsible = forms.ChoiceField(
        label=gettext_lazy("Responsible"), required=False, widget=PlainSelect
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Lead source"), required=False, widget=PlainSelect
    )
    interest = forms.ChoiceField(label=gettext_lazy("Interest"), required=False, widget=PlainSelect)
    tag = forms.ChoiceField(label=gettext_lazy("Tag"), required=False, widget=PlainSelect)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, widget=PlainSelect)
    close_from = forms.DateField(
        label=gettext_lazy("Closing from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    close_to = forms.DateField(
        label=gettext_lazy("Closing until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    amount_min = forms.DecimalField(label=gettext_lazy("Amount from"), required=False)
    amount_max = forms.DecimalField(label=gettext_lazy("Amount up to"), required=False)

    def __init__(self, *args, fields=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].choices = _choices(
            User.objects.filter(is_active=True).only("id", "first_name", "last_name", "email"),
            _("Anyone"),
        )
        self.fields["source"].choices = _choices(LeadSource.objects.all(), _("Any source"))
        self.fields["interest"].choices = _choices(Interest.objects.all(), _("Any interest"))
        self.fields["tag"].choices = _choices(Tag.objects.all(), _("Any tag"))
        self.fields["status"].choices = [
            ("", _("Open, won and lost")),
            *Stage.Kind.choices,
        ]
        for name in list(self.fields):
            if fields is not None and name not in fields:
                del self.fields[name]
        for field in self.fields.values():
            css = field.widget.attrs["class"]
            field.widget.attrs["class"] = css.replace(
                "form-control", "form-control form-control-sm"
            ).replace("form-select", "form-select form-select-sm")


def _filters(request) -> tuple[OpportunityFilter, list[str]]:
    filters, errors = OpportunityFilter.from_query(request.GET)
    return filters, sorted(errors)


def _pipeline_pk(request) -> int | None:
    value = request.GET.get("pipeline", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _is_htmx_swap_of(request, target: str) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and not request.headers.get("HX-History-Restore-Request")
    )


# --- the board ----------------------------------------------------------------------------------


def _board_context(request):
    filters, filter_errors = _filters(request)
    board = board_queries.build_board(request.user, filters, _pipeline_pk(request))
    query = request.GET.copy()
    query.pop("pipeline", None)
    return {
        "active_section": "pipeline-board",
        "board": board,
        "filter_form": OpportunityFilterBar(request.GET or None),
        "filter_errors": filter_errors,
        "is_filtered": bool({k for k in filters.active() if k != "pipeline"}),
        "filter_query": query.urlencode(),
        "lost_reasons": list(LostReason.objects.all()),
    }


@login_required
@require_GET
def board(request):
    context = _board_context(request)
    template = "sales/_board.html" if _is_htmx_swap_of(request, "board") else "sales/board.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_GET
def board_column(request, stage_pk):
    """More cards of one column (htmx "more…")."""
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_pk)
    filters, _errors = _filters(request)
    filters = filters.model_copy(update={"pipeline": None})
    try:
        offset = max(int(request.GET.get("offset") or 0), 0)
    except ValueError:
        offset = 0
    cards, has_more = board_queries.column_cards(
        request.user, filters, stage.pipeline, stage, offset=offset
    )
    query = request.GET.copy()
    query.pop("offset", None)
    return render(
        request,
        "sales/_board_cards.html",
        {
            "cards": cards,
            "has_more": has_more,
            "stage": stage,
            "next_offset": offset + len(cards),
            "filter_query": query.urlencode(),
        },
    )


@login_required
@require_POST
def board_move(request, pk):
    """A card dropped on another column: `services.change_stage` with the version the card
    was shown with. Answers JSON; on success also the card's new version."""
    opportunity = get_for_user_or_404(Opportunity.objects, request.user, Action.VIEW, pk=pk)
    try:
        version = int(request.POST.get("version") or 0) or None
    except ValueError:
        version = None
    try:
        # The service reads ids from form values and refuses ones that name nothing.
        moved = services.change_stage(
            request.user,
            opportunity,
            request.POST.get("stage", ""),
            expected_version=version,
            lost_reason=request.POST.get("lost_reason") or None,
        )
    except ConflictError as exc:
        return JsonResponse({"detail": str(exc)}, status=409)
    except PermissionDenied as exc:
        return JsonResponse({"detail": str(exc) or _("You may not do this.")}, status=403)
    except ValidationError as exc:
        errors = validation_messages(exc)
        return JsonResponse(
            {
                "detail": " ".join(m for messages in errors.values() for m in messages),
                "errors": errors,
                "needs_lost_reason": "lost_reason" in errors,
            },
            status=400,
        )
    return JsonResponse(
        {
            "id": moved.pk,
            "version": moved.version,
            "stage": moved.stage_id,
            "probability": moved.probability,
            "detail": _("“%(title)s” moved to %(stage)s.")
            % {"title": moved.title, "stage": moved.stage.name},
        }
    )


# --- the forecast ---------------------------------------------------------------------------


class PeriodForm(BootstrapFormMixin, forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def chosen_period(params) -> tuple[datetime.date, datetime.date, bool]:
    """The period asked for (start, end, valid); this calendar year by default."""
    today = timezone.localdate()
    form = PeriodForm(params)
    start = datetime.date(today.year, 1, 1)
    end = datetime.date(today.year, 12, 31)
    if not form.is_valid():
        return start, end, False
    start = form.cleaned_data["start"] or start
    end = form.cleaned_data["end"] or end
    if end < start or (end - start).days > forecast_queries.MAX_PERIOD_DAYS:
        return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31), False
    return start, end, True


@login_required
@require_GET
def forecast(request):
    filters, filter_errors = _filters(request)
    start, end, period_ok = chosen_period(request.GET)
    if not period_ok:
        filter_errors.append(_("period"))
    pipelines = list(Pipeline.objects.all())
    funnel_pipeline = board_queries.chosen_pipeline(pipelines, _pipeline_pk(request))
    result = forecast_queries.build_forecast(request.user, filters, start, end, funnel_pipeline)
    return render(
        request,
        "sales/forecast.html",
        {
            "active_section": "forecast",
            "forecast": result,
            "pipelines": pipelines,
            "funnel_pipeline": funnel_pipeline,
            "period_form": PeriodForm(initial={"start": start, "end": end}),
            "filter_form": OpportunityFilterBar(
                request.GET or None, fields=("q", "responsible", "source", "interest", "tag")
            ),
            "filter_errors": filter_errors,
            "charts": forecast_charts(result),
        },
    )


def _number(value) -> str | None:
    """A chart value: the exact decimal as text (charts draw it; tables show it)."""
    return None if value is None else str(value)


def forecast_charts(result: forecast_queries.Forecast) -> dict:
    """The data each chart of the forecast page draws, next to the table with the numbers."""
    month_labels = [date_format(m, "M Y") for m in result.months]

    def by_month(amounts: dict, attr: str):
        return [_number(getattr(amounts.get(m), attr, 0)) for m in result.months]

    def rows(rows, attr):
        return {
            "labels": [row.label or str(_("Nobody")) for row in rows],
            "values": [_number(getattr(row.amounts, attr)) for row in rows],
        }

    return {
        "forecast": {
            "type": "bar",
            "labels": month_labels,
            "datasets": [
                {"label": str(_("Weighted")), "data": by_month(result.forecast, "weighted")},
                {"label": str(_("Total")), "data": by_month(result.forecast, "total")},
            ],
        },
        "won": {
            "type": "bar",
            "labels": month_labels,
            "datasets": [{"label": str(_("Won")), "data": by_month(result.won, "total")}],
        },
        "responsible": _horizontal(rows(result.by_responsible, "weighted"), _("Weighted")),
        "pipeline": _horizontal(rows(result.by_pipeline, "weighted"), _("Weighted")),
        "funnel": _horizontal(
            {
                "labels": [step.stage.name for step in result.funnel],
                "values": [step.reached for step in result.funnel],
            },
            _("Reached"),
        ),
    }


def _horizontal(data: dict, label) -> dict:
    return {
        "type": "bar",
        "horizontal": True,
        "labels": data["labels"],
        "datasets": [{"label": str(label), "data": data["values"]}],
    }
