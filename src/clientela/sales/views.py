"""Opportunity pages and the pipeline editor. Thin: read through queries.py and the access
querysets, write through services. An opportunity out of reach answers 404 like a missing one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clientela.contacts.models import Contact
from clientela.contacts.views import ContactAction, register_contact_action
from clientela.core.access import Action, can
from clientela.core.changelog import changed_rows, history_of, readable
from clientela.core.custom_fields import shown_custom_values
from clientela.core.errors import ConflictError, ProtectedError, validation_messages
from clientela.core.navigation import (
    CreateEntry,
    MenuEntry,
    register_create_entry,
    register_menu_entry,
)
from clientela.core.pagination import capped_count, paginate
from clientela.core.record_tabs import RecordTab, chosen_tab, register_record_tab, tabs_for
from clientela.core.settings_views import crm_admin_required

from . import services
from .exports import opportunities_csv_response
from .filters import OpportunityFilter
from .forms import (
    OpportunityFilterForm,
    OpportunityForm,
    PipelineForm,
    StageForm,
    StageMoveForm,
)
from .models import LostReason, Opportunity, Pipeline, Stage
from .queries import opportunity_detail as load_opportunity
from .queries import opportunity_list as list_opportunities
from .queries import pipelines_with_stages, stage_history


def _is_htmx_swap_of(request, target: str) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and not request.headers.get("HX-History-Restore-Request")
    )


def _page_or_part(request, context, page: str, part: str, target: str, status=200):
    template = part if _is_htmx_swap_of(request, target) else page
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _offset(request) -> int:
    try:
        return max(int(request.GET.get("offset") or 0), 0)
    except ValueError:
        return 0


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return -1  # names no record: the service answers with a message naming the field


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _flat(error: ValidationError) -> list[str]:
    return [m for texts in validation_messages(error).values() for m in texts]


# --- the list ----------------------------------------------------------------------------


@login_required
@require_GET
def opportunity_list(request):
    filters, filter_errors = OpportunityFilter.from_query(request.GET)
    if _is_htmx_swap_of(request, "page-total"):
        count, capped = capped_count(list_opportunities(request.user, filters))
        return render(request, "contacts/_page_total.html", {"count": count, "capped": capped})
    page = paginate(list_opportunities(request.user, filters), _offset(request), with_count=False)
    filter_form = OpportunityFilterForm(request.GET or None, user=request.user)
    context = {
        "active_section": "opportunities",
        "page": page,
        "filters": filters,
        "filter_form": filter_form,
        "filter_errors": [
            str(filter_form[name].label) if name in filter_form.fields else name
            for name in filter_errors
        ],
        "is_filtered": bool(filters.active()),
        "ordering": filters.ordering,
    }
    return _page_or_part(
        request, context, "sales/list.html", "sales/_results.html", "opportunity-results"
    )


@login_required
@require_GET
def opportunity_export(request):
    """The list as it is filtered and sorted, as CSV: only the opportunities the user may see."""
    filters, _errors = OpportunityFilter.from_query(request.GET)
    return opportunities_csv_response(request, filters)


# --- the opportunity page and its tabs --------------------------------------------------


def _history_context(request, opportunity):
    rows = [
        {
            "entry": entry,
            "what": Opportunity._meta.verbose_name,
            "changes": changed_rows(entry, Opportunity),
        }
        for entry in readable(history_of(opportunity)[:100], request.user)
    ]
    return {"history": rows}


def _stage_history_context(request, opportunity):
    return {"stage_history": list(stage_history(opportunity))}


for _tab in (
    RecordTab(
        "information", gettext_lazy("Information"), "sales/tabs/information.html", "info-circle"
    ),
    RecordTab(
        "stages",
        gettext_lazy("Stage history"),
        "sales/tabs/stages.html",
        "signpost-split",
        _stage_history_context,
    ),
    RecordTab(
        "history",
        gettext_lazy("History"),
        "sales/tabs/history.html",
        "clock-history",
        _history_context,
    ),
):
    register_record_tab(Opportunity, _tab)


def _visible_opportunity(request, pk) -> Opportunity:
    try:
        return load_opportunity(request.user, pk)
    except Opportunity.DoesNotExist as exc:
        raise Http404 from exc


def _reachable(request, pk, action: Action) -> Opportunity:
    opportunity = _visible_opportunity(request, pk)
    if action != Action.VIEW and not can(request.user, action, opportunity):
        raise Http404
    return opportunity


def _detail_context(request, opportunity, **extra):
    tabs = tabs_for(opportunity)
    tab = chosen_tab(tabs, request.GET.get("tab"))
    can_change = can(request.user, Action.CHANGE, opportunity)
    stages = list(opportunity.pipeline.stages.all())
    context = {
        "opportunity": opportunity,
        "active_section": "opportunities",
        "tabs": tabs,
        "tab": tab,
        "stages": stages,
        "won_stage": next((s for s in stages if s.kind == Stage.Kind.WON), None),
        "lost_stage": next((s for s in stages if s.kind == Stage.Kind.LOST), None),
        "lost_reasons": list(LostReason.objects.all()),
        "can_change": can_change,
        "can_delete": can(request.user, Action.DELETE, opportunity),
        "custom_values": shown_custom_values(opportunity) if tab.key == "information" else [],
        **extra,
    }
    if tab.context:
        context.update(tab.context(request, opportunity))
    return context


@login_required
@require_GET
def opportunity_detail(request, pk):
    opportunity = _visible_opportunity(request, pk)
    context = _detail_context(request, opportunity)
    return _page_or_part(
        request, context, "sales/detail.html", "sales/_tabs.html", "opportunity-tabs"
    )


@login_required
@require_POST
def opportunity_stage(request, pk):
    """The stage selector and "Mark won" / "Mark lost" (S2.29). A lost stage without a reason
    comes back as the reason form, with the message."""
    opportunity = _reachable(request, pk, Action.CHANGE)
    form = StageMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a stage."))
        return redirect(opportunity)
    stage_id = form.cleaned_data["stage"]
    try:
        opportunity = services.change_stage(
            request.user,
            opportunity,
            stage_id,
            form.cleaned_data.get("version"),
            lost_reason=form.cleaned_data.get("lost_reason"),
        )
    except ValidationError as exc:
        stage = Stage.objects.filter(pk=stage_id, pipeline=opportunity.pipeline).first()
        if stage is not None and stage.kind == Stage.Kind.LOST:
            return render(
                request,
                "sales/lost.html",
                {
                    "opportunity": opportunity,
                    "stage": stage,
                    "stages": list(opportunity.pipeline.stages.all()),
                    "lost_reasons": LostReason.objects.all(),
                    "errors": _flat(exc),
                    "active_section": "opportunities",
                },
                status=400,
            )
        messages.error(request, " ".join(_flat(exc)))
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(title)s is now in the stage %(stage)s.")
            % {"title": opportunity.title, "stage": opportunity.stage.name},
        )
    return redirect(opportunity)


@login_required
@require_GET
def opportunity_lost(request, pk):
    """The "Mark lost" form on a page of its own (the page's dialog without JavaScript)."""
    opportunity = _reachable(request, pk, Action.CHANGE)
    stage = opportunity.pipeline.stages.filter(kind=Stage.Kind.LOST).first()
    if stage is None:
        raise Http404
    return render(
        request,
        "sales/lost.html",
        {
            "opportunity": opportunity,
            "stage": stage,
            "stages": list(opportunity.pipeline.stages.all()),
            "lost_reasons": LostReason.objects.all(),
            "active_section": "opportunities",
        },
    )


# --- create, edit, delete -----------------------------------------------------------------


def _form_page(request, form, title, opportunity=None, status=200, conflict=None):
    return render(
        request,
        "sales/form.html",
        {
            "form": form,
            "title": title,
            "opportunity": opportunity,
            "conflict": conflict,
            "active_section": "opportunities",
        },
        status=status,
    )


def _prefill(request, fixed_contact: Contact | None) -> dict:
    """What a new opportunity's form starts with: from the contact it was opened from (its
    customer, its currency), the default pipeline's first open stage, the user responsible."""
    initial = {"responsible": request.user.pk, "budget_periods": 1, "currency": "EUR"}
    pipeline = services.default_pipeline()
    stage = services.first_open_stage(pipeline) if pipeline else None
    if stage is not None:
        initial.update(stage=stage.pk, probability=stage.probability)
    if fixed_contact is not None:
        initial["currency"] = fixed_contact.currency
        customer = services.customer_for_contact(request.user, fixed_contact)
        if customer is not None:
            initial["customer"] = customer.pk
    return initial


def _fixed_contact(request) -> Contact | None:
    contact_id = request.GET.get("contact") or request.POST.get("fixed_contact")
    if not contact_id:
        return None
    contact = Contact.objects.visible_to(request.user).filter(pk=_int_or_none(contact_id)).first()
    if contact is None:
        raise Http404
    return contact


@login_required
def opportunity_create(request):
    fixed_contact = _fixed_contact(request)
    title = _("New opportunity")
    if request.method != "POST":
        form = OpportunityForm(
            user=request.user, fixed_contact=fixed_contact, initial=_prefill(request, fixed_contact)
        )
        return _form_page(request, form, title)
    form = OpportunityForm(request.POST, user=request.user, fixed_contact=fixed_contact)
    if form.is_valid():
        try:
            opportunity = services.create_opportunity(request.user, form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("%(title)s was created.") % {"title": opportunity.title})
            if "save_and_new" in request.POST:
                query = f"?contact={fixed_contact.pk}" if fixed_contact else ""
                return redirect(reverse("sales:create") + query)
            return redirect(opportunity)
    return _form_page(request, form, title, status=400)


@login_required
def opportunity_edit(request, pk):
    opportunity = _reachable(request, pk, Action.CHANGE)
    can_change_access = can(request.user, Action.DELETE, opportunity)
    title = _("Edit %(title)s") % {"title": opportunity.title}
    form = OpportunityForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        opportunity=opportunity,
        can_change_access=can_change_access,
    )
    if request.method != "POST":
        return _form_page(request, form, title, opportunity)
    status, conflict = 400, None
    if form.is_valid():
        try:
            opportunity = services.update_opportunity(
                request.user, opportunity, form.service_data(), form.cleaned_data.get("version")
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            conflict, status = str(exc), 409
        else:
            messages.success(request, _("%(title)s was saved.") % {"title": opportunity.title})
            if "save_and_new" in request.POST:
                return redirect("sales:create")
            return redirect(opportunity)
    return _form_page(request, form, title, opportunity, status=status, conflict=conflict)


@login_required
def opportunity_delete(request, pk):
    opportunity = _reachable(request, pk, Action.DELETE)
    back = _safe_next(request, reverse("sales:list"))
    if request.method == "POST":
        services.delete_opportunity(request.user, opportunity)
        messages.success(request, _("%(title)s was deleted.") % {"title": opportunity.title})
        return HttpResponseRedirect(back)
    return render(
        request,
        "sales/delete.html",
        {"opportunity": opportunity, "next": back, "active_section": "opportunities"},
    )


# --- the contact's Opportunities tab (S2.27) and its "Add opportunity" action (S4.2) -------

CONTACT_TAB_LIMIT = 50


def _contact_opportunities_context(request, contact):
    """The opportunities of the contact, or of which it is the customer (a company's
    opportunities include those opened with its people)."""
    rows = list(
        list_opportunities(request.user, OpportunityFilter(ordering="close")).filter(
            Q(contact=contact) | Q(customer__contact=contact)
        )[: CONTACT_TAB_LIMIT + 1]
    )
    return {
        "opportunities": rows[:CONTACT_TAB_LIMIT],
        "more_opportunities": len(rows) > CONTACT_TAB_LIMIT,
    }


register_record_tab(
    Contact,
    RecordTab(
        "opportunities",
        gettext_lazy("Opportunities"),
        "sales/tabs/contact_opportunities.html",
        "graph-up-arrow",
        _contact_opportunities_context,
    ),
)
register_contact_action(
    ContactAction(
        "add-opportunity", gettext_lazy("Add opportunity"), "sales:create", "graph-up-arrow"
    )
)
register_menu_entry(
    MenuEntry(
        "opportunities", gettext_lazy("Opportunities"), "sales:list", "graph-up-arrow", order=20
    )
)
register_create_entry(
    CreateEntry(
        "opportunity", gettext_lazy("Opportunity"), "sales:create", "graph-up-arrow", order=20
    )
)


# --- pipelines and stages (CRM admins) ----------------------------------------------------


def _pipeline_page(
    request, pipeline=None, pipeline_form=None, stage_form=None, new_form=None, status=200
):
    if pipeline is not None and pipeline_form is None:
        pipeline_form = PipelineForm(
            initial={"name": pipeline.name, "is_default": pipeline.is_default}
        )
    return render(
        request,
        "sales/pipelines.html",
        {
            "pipelines": list(pipelines_with_stages()),
            "current": pipeline,
            "pipeline_form": pipeline_form or PipelineForm(),
            # Its own ids, so its label and errors never land on the edit form's fields.
            "new_pipeline_form": new_form or PipelineForm(auto_id="new_%s"),
            "stage_form": stage_form or StageForm(),
            "stage_counts": _stage_counts(pipeline),
            "active_section": "settings",
        },
        status=status,
    )


def _stage_counts(pipeline) -> dict:
    if pipeline is None:
        return {}
    from django.db.models import Count

    return dict(
        Opportunity.objects.filter(pipeline=pipeline)
        .values("stage_id")
        .annotate(n=Count("id"))
        .values_list("stage_id", "n")
    )


def _show_errors(form, error: ValidationError):
    for key, texts in validation_messages(error).items():
        for text in texts:
            form.add_error(key if key in form.fields else None, text)


@crm_admin_required
def pipeline_list(request):
    """The pipelines; POST creates one (with an open, a won and a lost stage to start from)."""
    if request.method == "POST":
        form = PipelineForm(request.POST, auto_id="new_%s")
        if form.is_valid():
            try:
                pipeline = services.save_pipeline(request.user, None, form.cleaned_data)
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, _("“%(name)s” added.") % {"name": pipeline})
                return redirect("sales:pipeline", pk=pipeline.pk)
        return _pipeline_page(request, Pipeline.default(), new_form=form, status=400)
    default = Pipeline.default()
    if default is not None:
        return redirect("sales:pipeline", pk=default.pk)
    return _pipeline_page(request)


@crm_admin_required
def pipeline_edit(request, pk):
    """One pipeline and its stages: rename it, make it the default, add a stage (POST)."""
    pipeline = get_object_or_404(Pipeline, pk=pk)
    if request.method != "POST":
        return _pipeline_page(request, pipeline)
    if request.POST.get("form") == "stage":
        stage_form = StageForm(request.POST)
        if stage_form.is_valid():
            try:
                stage = services.save_stage(request.user, pipeline, None, stage_form.cleaned_data)
            except ValidationError as exc:
                _show_errors(stage_form, exc)
            else:
                messages.success(request, _("“%(name)s” added.") % {"name": stage})
                return redirect("sales:pipeline", pk=pipeline.pk)
        return _pipeline_page(request, pipeline, stage_form=stage_form, status=400)
    form = PipelineForm(request.POST)
    if form.is_valid():
        try:
            pipeline = services.save_pipeline(request.user, pipeline, form.cleaned_data)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": pipeline})
            return redirect("sales:pipeline", pk=pipeline.pk)
    return _pipeline_page(request, pipeline, pipeline_form=form, status=400)


@crm_admin_required
def pipeline_delete(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    back = reverse("sales:pipeline", args=[pipeline.pk])
    return _confirm_delete(
        request,
        pipeline,
        lambda: services.delete_pipeline(request.user, pipeline),
        back,
        reverse("sales:pipelines"),
    )


@crm_admin_required
def stage_edit(request, pk):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = StageForm(
        request.POST if request.method == "POST" else None,
        initial={
            "name": stage.name,
            "probability": stage.probability,
            "kind": stage.kind,
            "color": stage.color,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            stage = services.save_stage(request.user, stage.pipeline, stage, form.cleaned_data)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": stage})
            return redirect("sales:pipeline", pk=stage.pipeline_id)
    return render(
        request,
        "sales/stage_form.html",
        {"stage": stage, "form": form, "active_section": "settings"},
        status=400 if form.errors else 200,
    )


@crm_admin_required
@require_POST
def stage_move(request, pk, direction):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    services.move_stage(request.user, stage, -1 if direction == "up" else 1)
    return redirect("sales:pipeline", pk=stage.pipeline_id)


@crm_admin_required
def stage_delete(request, pk):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    back = reverse("sales:pipeline", args=[stage.pipeline_id])
    return _confirm_delete(
        request, stage, lambda: services.delete_stage(request.user, stage), back, back
    )


def _confirm_delete(request, item, delete, back_url, done_url):
    """GET asks; POST deletes, or explains what still uses the record (409)."""
    error = None
    if request.method == "POST":
        try:
            delete()
        except ProtectedError as exc:
            error = exc.message
        except PermissionDenied:
            raise
        else:
            messages.success(request, _("“%(name)s” deleted.") % {"name": item})
            return redirect(done_url)
    return render(
        request,
        "core/confirm_delete.html",
        {"item": item, "error": error, "back_url": back_url, "active_section": "settings"},
        status=409 if error else 200,
    )
