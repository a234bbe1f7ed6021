"""Settings pages for CRM admins: the index, the admin-edited lists for contacts, tags and
custom fields. Thin views: a form parses, a service writes, the page shows the outcome."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods

from clientela.accounts.forms import BootstrapFormMixin, style_widgets
from clientela.core import services
from clientela.core.admin_lists import admin_list_model
from clientela.core.custom_fields import custom_field_model
from clientela.core.errors import ProtectedError
from clientela.core.models import CustomField, Tag
from clientela.core.navigation import settings_groups
from clientela.core.services import blocking_uses, delete_list_item, save_list_item


def crm_admin_required(view):
    """Anonymous visitors go to log-in; logged-in users who are not CRM admins get 403."""

    @wraps(view)
    @login_required
    def guarded(request, *args, **kwargs):
        if not request.user.is_crm_admin:
            raise PermissionDenied(_("Only CRM admins may open the settings."))
        return view(request, *args, **kwargs)

    return guarded


def show_service_errors(form: forms.Form, error: ValidationError):
    """Put a service's ValidationError on the form: on the field it names, else on the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields else None
        for message in (m for e in errors for m in e.messages):
            form.add_error(target, message)


def posted(request):
    """The submitted data on a POST (even an empty one, so it is validated), else None."""
    return request.POST if request.method == "POST" else None


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@crm_admin_required
def settings_index(request):
    return render(
        request,
        "core/settings_index.html",
        {"groups": settings_groups(), "active_section": "settings"},
    )


# --- Admin-edited lists (contact types, temperature levels, sources, interests) ----------------


def _list_model(slug):
    return admin_list_model(slug)


def _editable_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key]


def colour_field() -> forms.Field:
    return forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#6c757d",
        error_messages={"invalid": _("Give the colour as #rrggbb.")},
        widget=forms.TextInput(attrs={"type": "color"}),
    )


def admin_list_form(model, data=None, initial=None) -> forms.Form:
    """A plain form built from the model's fields, so the instance stays untouched until the
    service writes it (and its change log sees the true 'before')."""
    fields = forms.fields_for_model(model, fields=_editable_fields(model))
    if "color" in fields:
        fields["color"] = colour_field()
    form_class = type(f"{model.__name__}Form", (forms.Form,), fields)
    return style_widgets(form_class(data=data, initial=initial))


def _list_context(slug, model, **extra):
    return {
        "slug": slug,
        "model_meta": model._meta,
        "fields": _editable_fields(model),
        "items": model.objects.all(),
        "active_section": "settings",
        **extra,
    }


@crm_admin_required
@require_http_methods(["GET", "POST"])
def admin_list(request, slug):
    model = _list_model(slug)
    form = admin_list_form(model, data=posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            item = save_list_item(request.user, model, None, form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” added.") % {"name": item})
            return redirect("settings:admin_list", slug=slug)
    status = 400 if form.errors else 200
    return render(
        request, "core/admin_list.html", _list_context(slug, model, form=form), status=status
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def admin_list_edit(request, slug, pk):
    """Edit one row in place (htmx swaps the row) or, without JavaScript, on its own page."""
    model = _list_model(slug)
    item = get_object_or_404(model, pk=pk)
    initial = {name: getattr(item, name) for name in _editable_fields(model)}
    form = admin_list_form(model, data=posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = save_list_item(request.user, model, item, form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            if is_htmx(request):
                context = _list_context(slug, model, item=item)
                return render(request, "core/admin_list_row.html", context)
            messages.success(request, _("“%(name)s” saved.") % {"name": item})
            return redirect("settings:admin_list", slug=slug)
    # htmx swaps only 2xx answers: an inline form with errors must come back as 200.
    status = 400 if form.errors and not is_htmx(request) else 200
    context = _list_context(slug, model, item=item, form=form)
    template = "core/admin_list_row_form.html" if is_htmx(request) else "core/admin_list_edit.html"
    return render(request, template, context, status=status)


@crm_admin_required
def admin_list_row(request, slug, pk):
    """One row as shown in the list: what 'Cancel' on an inline edit swaps back in."""
    model = _list_model(slug)
    item = get_object_or_404(model, pk=pk)
    return render(request, "core/admin_list_row.html", _list_context(slug, model, item=item))


@crm_admin_required
@require_http_methods(["GET", "POST"])
def admin_list_delete(request, slug, pk):
    model = _list_model(slug)
    item = get_object_or_404(model, pk=pk)
    back = reverse("settings:admin_list", kwargs={"slug": slug})
    return _confirm_delete(
        request,
        item,
        lambda: delete_list_item(request.user, item),
        back,
        uses=blocking_uses(item) if request.method == "GET" else "",
    )


def _confirm_delete(request, item, delete, back_url, uses=""):
    """GET asks, or says beforehand what still uses the record; POST deletes, or explains what
    still uses it (409)."""
    error = None
    if uses:
        error = _("“%(name)s” is still used by %(uses)s: it can be deleted once none uses it.") % {
            "name": item,
            "uses": uses,
        }
    if request.method == "POST":
        try:
            delete()
        except ProtectedError as exc:
            error = exc.message
        else:
            messages.success(request, _("“%(name)s” deleted.") % {"name": item})
            return redirect(back_url)
    return render(
        request,
        "core/confirm_delete.html",
        {"item": item, "error": error, "back_url": back_url, "active_section": "settings"},
        status=409 if error and request.method == "POST" else 200,
    )


# --- Tags --------------------------------------------------------------------------------------


def tag_form(data=None, initial=None) -> forms.Form:
    fields = forms.fields_for_model(Tag, fields=["name", "color"])
    fields["color"] = colour_field()
    return style_widgets(type("TagForm", (forms.Form,), fields)(data=data, initial=initial))


@crm_admin_required
@require_http_methods(["GET", "POST"])
def tag_list(request):
    form = tag_form(data=posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.save_tag(request.user, None, form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Tag “%(name)s” added.") % {"name": tag})
            return redirect("settings:tags")
    return render(
        request,
        "core/tags.html",
        {"tags": Tag.objects.all(), "form": form, "active_section": "settings"},
        status=400 if form.errors else 200,
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def tag_edit(request, pk):
    tag = get_object_or_404(Tag, pk=pk)
    form = tag_form(data=posted(request), initial={"name": tag.name, "color": tag.color})
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.save_tag(request.user, tag, form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            if is_htmx(request):
                return render(request, "core/tag_row.html", {"tag": tag})
            messages.success(request, _("Tag “%(name)s” saved.") % {"name": tag})
            return redirect("settings:tags")
    template = "core/tag_row_form.html" if is_htmx(request) else "core/tag_edit.html"
    return render(
        request,
        template,
        {"tag": tag, "form": form, "active_section": "settings"},
        status=400 if form.errors and not is_htmx(request) else 200,
    )


@crm_admin_required
def tag_row(request, pk):
    return render(request, "core/tag_row.html", {"tag": get_object_or_404(Tag, pk=pk)})


@crm_admin_required
@require_http_methods(["GET", "POST"])
def tag_delete(request, pk):
    tag = get_object_or_404(Tag, pk=pk)
    return _confirm_delete(
        request, tag, lambda: services.delete_tag(request.user, tag), reverse("settings:tags")
    )


# --- Custom fields -----------------------------------------------------------------------------


class CustomFieldForm(BootstrapFormMixin, forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100)
    key = forms.SlugField(
        label=_("Key"),
        max_length=50,
        required=False,
        help_text=_("Used in the API. Made from the label when left empty."),
    )
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomField.FieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a choice field: one choice per line."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    position = forms.IntegerField(
        label=pgettext_lazy("sort order", "Position"), min_value=0, initial=0
    )

    def __init__(self, *args, editing: CustomField | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if editing is not None:
            # Stored values are keyed by it: renaming would orphan them.
            self.fields["key"].disabled = True
            self.fields["key"].help_text = _("The key cannot change once values are stored.")

    def clean_choices(self):
        lines = self.cleaned_data.get("choices", "").splitlines()
        return [line.strip() for line in lines if line.strip()]


def _custom_field_model(record_type):
    return custom_field_model(record_type)


@crm_admin_required
@require_http_methods(["GET", "POST"])
def custom_field_list(request, record_type="contacts"):
    model = _custom_field_model(record_type)
    form = CustomFieldForm(data=posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            field = services.save_custom_field(request.user, model, None, form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Custom field “%(name)s” added.") % {"name": field})
            return redirect("settings:custom_fields", record_type=record_type)
    content_type = ContentType.objects.get_for_model(model)
    return render(
        request,
        "core/custom_fields.html",
        {
            "record_type": record_type,
            "model_meta": model._meta,
            "fields": CustomField.objects.filter(content_type=content_type),
            "form": form,
            "active_section": "settings",
        },
        status=400 if form.errors else 200,
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def custom_field_edit(request, record_type, pk):
    model = _custom_field_model(record_type)
    content_type = ContentType.objects.get_for_model(model)
    field = get_object_or_404(CustomField, pk=pk, content_type=content_type)
    initial = {
        "label": field.label,
        "key": field.key,
        "field_type": field.field_type,
        "choices": "\n".join(map(str, field.choices)),
        "required": field.required,
        "position": field.position,
    }
    form = CustomFieldForm(data=posted(request), initial=initial, editing=field)
    if request.method == "POST" and form.is_valid():
        try:
            field = services.save_custom_field(request.user, model, field, form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Custom field “%(name)s” saved.") % {"name": field})
            return redirect("settings:custom_fields", record_type=record_type)
    return render(
        request,
        "core/custom_field_edit.html",
        {"record_type": record_type, "field": field, "form": form, "active_section": "settings"},
        status=400 if form.errors else 200,
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def custom_field_delete(request, record_type, pk):
    model = _custom_field_model(record_type)
    content_type = ContentType.objects.get_for_model(model)
    field = get_object_or_404(CustomField, pk=pk, content_type=content_type)
    back = reverse("settings:custom_fields", kwargs={"record_type": record_type})
    return _confirm_delete(
        request, field, lambda: services.delete_custom_field(request.user, field), back
    )
