"""Contact pages. Thin: read through queries.py and the access querysets, write through services.

A contact out of the user's reach answers 404, exactly like one that does not exist."""

import mimetypes
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from clientela.core.access import Action, can
from clientela.core.changelog import changed_rows, history_of, readable
from clientela.core.custom_fields import shown_custom_values
from clientela.core.errors import ConflictError, ProtectedError, validation_messages
from clientela.core.pagination import capped_count, paginate
from clientela.core.pickers import as_ids
from clientela.core.record_tabs import RecordTab, chosen_tab, register_record_tab, tabs_for

from . import services
from .duplicates import likely_duplicates
from .exports import contacts_csv_response
from .filters import ContactFilter
from .forms import (
    ContactEditor,
    ContactFilterForm,
    PhotoForm,
    RoleForm,
    company_choices,
    split_tags,
)
from .models import Contact, Customer, Supplier
from .queries import contact_detail as load_contact
from .queries import contact_list as list_contacts
from .queries import contact_page, people_of

# --- the contact list and its preset variants --------------------------------------------


@dataclass(frozen=True)
class ListSection:
    title: str
    preset: dict = field(default_factory=dict)
    new_label: str = ""
    new_url: str = ""


LIST_SECTIONS = {
    "contacts": ListSection(gettext_lazy("Contacts")),
    "companies": ListSection(
        gettext_lazy("Companies"), {"kind": "company"}, gettext_lazy("New company"), "company"
    ),
    "customers": ListSection(
        gettext_lazy("Accounts and customers"),
        {"role": "customer"},
        gettext_lazy("New customer"),
        "customer",
    ),
    "suppliers": ListSection(
        gettext_lazy("Suppliers"), {"role": "supplier"}, gettext_lazy("New supplier"), "supplier"
    ),
    "leads": ListSection(gettext_lazy("Leads"), {"role": "lead"}, gettext_lazy("New lead"), "lead"),
}

NEW_URLS = {
    "person": ("contacts:create", "?kind=person"),
    "company": ("contacts:create", "?kind=company"),
    "lead": ("contacts:create", "?kind=person&lead=1"),
    "customer": ("contacts:create_customer", ""),
    "supplier": ("contacts:create_supplier", ""),
}


def _new_url(name: str) -> str:
    view, query = NEW_URLS[name]
    return reverse(view) + query


def _is_htmx_swap_of(request, target: str) -> bool:
    """An htmx request that swaps only `target` (history restores want the full page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and not request.headers.get("HX-History-Restore-Request")
    )


def _page_or_part(request, context, page: str, part: str, target: str):
    """The whole page, or only the part an htmx swap of `target` asks for."""
    template = part if _is_htmx_swap_of(request, target) else page
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _section_filters(request, section: str):
    """The list's filters from the query string, with the section's preset ones forced."""
    params = request.GET.copy()
    for key, value in LIST_SECTIONS[section].preset.items():
        params[key] = value
    return ContactFilter.from_query(params)


def _offset(request) -> int:
    try:
        return max(int(request.GET.get("offset") or 0), 0)
    except ValueError:
        return 0


@login_required
@require_GET
def contact_list(request, section="contacts"):
    listing = LIST_SECTIONS[section]
    filters, filter_errors = _section_filters(request, section)
    if _is_htmx_swap_of(request, "page-total"):
        # The total of a long list arrives after the rows, so the rows never wait for it.
        count, capped = capped_count(list_contacts(request.user, filters))
        return render(request, "contacts/_page_total.html", {"count": count, "capped": capped})
    page = paginate(list_contacts(request.user, filters), _offset(request), with_count=False)
    filter_form = ContactFilterForm(request.GET or None, preset=listing.preset)
    own_filters = {k for k in filters.active() if k not in listing.preset}
    context = {
        "active_section": section,
        "section": section,
        "listing": listing,
        "new_url": _new_url(listing.new_url or "person"),
        "page": page,
        "filters": filters,
        "filter_form": filter_form,
        "filter_errors": [
            str(filter_form[name].label) if name in filter_form.fields else name
            for name in filter_errors
        ],
        "is_filtered": bool(own_filters),
        "ordering": filters.sort,
        "bulk_tags": filter_form.tags,
        "bulk_users": filter_form.users,
        "bulk_types": filter_form.contact_types,
        "contact_actions": _contact_actions(),
        "bulk_contact_actions": _bulk_contact_actions(),
    }
    return _page_or_part(
        request, context, "contacts/list.html", "contacts/_results.html", "contact-results"
    )


@login_required
@require_GET
def contact_export(request, section="contacts"):
    """The list as it is filtered, as CSV: only the contacts the user may see."""
    filters, _errors = _section_filters(request, section)
    return contacts_csv_response(request, filters)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _ids(request) -> list[int]:
    ids = as_ids(request.POST.getlist("ids"))
    if ids is None:
        raise ValidationError(_("The selection is not valid."))
    return ids


BULK_ACTIONS = {"tag", "manager", "type", "delete"}


@login_required
@require_POST
def bulk_action(request):
    back = _safe_next(request, reverse("contacts:list"))
    action = request.POST.get("action")
    try:
        ids = _ids(request)
        if not ids:
            raise ValidationError(_("Select at least one contact."))
        if action not in BULK_ACTIONS:
            raise ValidationError(_("Choose an action for the selected contacts."))
        if action == "delete" and request.POST.get("confirmed") != "1":
            contacts = list(
                Contact.objects.visible_to(request.user)
                .filter(pk__in=ids)
                .only("id", "display_name")[:200]
            )
            if len(contacts) != len(ids):
                raise PermissionDenied(
                    _("Some of the selected contacts are out of your reach; nothing was changed.")
                )
            return render(
                request,
                "contacts/bulk_delete.html",
                {"contacts": contacts, "ids": ids, "next": back, "active_section": "contacts"},
            )
        if action == "tag":
            names = split_tags(request.POST.get("tag_name", ""))
            count = services.bulk_add_tags(request.user, ids, names)
            done = ngettext("Tagged %(count)d contact.", "Tagged %(count)d contacts.", count)
        elif action == "manager":
            count = services.bulk_assign_manager(
                request.user, ids, _int_or_none(request.POST.get("manager_id"))
            )
            done = ngettext(
                "Assigned the manager to %(count)d contact.",
                "Assigned the manager to %(count)d contacts.",
                count,
            )
        elif action == "type":
            count = services.bulk_set_type(
                request.user, ids, _int_or_none(request.POST.get("contact_type_id"))
            )
            done = ngettext(
                "Changed the type of %(count)d contact.",
                "Changed the type of %(count)d contacts.",
                count,
            )
        else:
            count = services.bulk_delete(request.user, ids)
            done = ngettext("Deleted %(count)d contact.", "Deleted %(count)d contacts.", count)
        messages.success(request, done % {"count": count})
    except ValidationError as exc:
        messages.error(request, " ".join(_flat_messages(exc)))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
    except ProtectedError as exc:
        messages.error(request, str(exc.message))
    return HttpResponseRedirect(back)


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return -1  # names no record: the service answers with a message naming the field


def _record_id(value) -> int | None:
    """An id from a query string, or None when it is not one a record could have."""
    number = _int_or_none(value)
    return number if number is not None and 0 < number < 2**63 else None


def _flat_messages(error: ValidationError) -> list[str]:
    return [m for texts in validation_messages(error).values() for m in texts]


@login_required
@require_GET
def company_options(request):
    """The company picker's options narrowed by what the user typed (htmx)."""
    return render(
        request,
        "contacts/_company_options.html",
        {"choices": company_choices(request.user, request.GET.get("company_search", ""))},
    )


@login_required
@require_GET
def contact_duplicates(request):
    """While a contact is being entered: the visible contacts with the same email or full name
    (htmx, a warning that never blocks saving)."""
    params = request.GET
    if params.get("kind") == Contact.Kind.COMPANY:
        name = params.get("company_name", "")
    else:
        name = f"{params.get('first_name', '')} {params.get('last_name', '')}"
    emails = [value for key, value in params.items() if key.endswith("-email")]
    return render(
        request,
        "contacts/_duplicates.html",
        {
            "duplicates": likely_duplicates(
                request.user,
                name=name[:300],
                emails=[e[:254] for e in emails],
                exclude_pk=_record_id(params.get("exclude")),
            )
        },
    )


# --- what other apps add to contacts: actions on one contact and on a selection ------------


@dataclass(frozen=True)
class ContactAction:
    """An entry of a contact's row menu in the lists and of its page's Actions menu, linking to
    another app's page with `?contact=<pk>` (e.g. "Add opportunity", "Create task")."""

    key: str
    label: str
    url_name: str
    icon: str


@dataclass(frozen=True)
class BulkContactAction:
    """A button of the lists' selection toolbar. It posts the selected `ids` (and `next`, the
    list's address) to another app's view, which answers with its own form or outcome."""

    key: str
    label: str
    url_name: str
    icon: str


CONTACT_ACTIONS: list[ContactAction] = []
BULK_CONTACT_ACTIONS: list[BulkContactAction] = []


def register_contact_action(action: ContactAction):
    CONTACT_ACTIONS[:] = [a for a in CONTACT_ACTIONS if a.key != action.key] + [action]


def register_bulk_contact_action(action: BulkContactAction):
    BULK_CONTACT_ACTIONS[:] = [a for a in BULK_CONTACT_ACTIONS if a.key != action.key] + [action]


def _contact_actions() -> list[dict]:
    return [
        {"key": a.key, "label": a.label, "url": reverse(a.url_name), "icon": a.icon}
        for a in CONTACT_ACTIONS
    ]


def _bulk_contact_actions() -> list[dict]:
    return [
        {"key": a.key, "label": a.label, "url": reverse(a.url_name), "icon": a.icon}
        for a in BULK_CONTACT_ACTIONS
    ]


# --- the contact page and its tabs -------------------------------------------------------


def _people_context(request, contact):
    if contact.is_company:
        return {"people": list(people_of(request.user, contact).select_related("company")[:500])}
    company = None
    if contact.company_id:
        company = Contact.objects.visible_to(request.user).filter(pk=contact.company_id).first()
    return {"company": company}


def _history_context(request, contact):
    entries = history_of(contact)
    for role in (getattr(contact, "customer", None), getattr(contact, "supplier", None)):
        if role is not None:
            entries = entries | history_of(role)
    rows = []
    for entry in readable(
        entries.select_related("actor").order_by("-at", "-id")[:100], request.user
    ):
        model = entry.logged_model
        rows.append(
            {
                "entry": entry,
                "what": model._meta.verbose_name,
                "is_contact": model is Contact,
                "changes": changed_rows(entry, model),
            }
        )
    return {"history": rows}


for _tab in (
    RecordTab(
        "information", gettext_lazy("Information"), "contacts/tabs/information.html", "info-circle"
    ),
    RecordTab(
        "people",
        gettext_lazy("People"),
        "contacts/tabs/people.html",
        "people",
        _people_context,
        lambda c: c.is_company,
    ),
    RecordTab(
        "company",
        gettext_lazy("Company"),
        "contacts/tabs/people.html",
        "building",
        _people_context,
        lambda c: not c.is_company,
    ),
    RecordTab("addresses", gettext_lazy("Addresses"), "contacts/tabs/addresses.html", "geo-alt"),
    # Other apps insert theirs before History (opportunities, tasks, notes, invoices…).
    RecordTab(
        "history",
        gettext_lazy("History"),
        "contacts/tabs/history.html",
        "clock-history",
        _history_context,
    ),
):
    register_record_tab(Contact, _tab)  # fmt: skip


def _visible_contact(request, pk) -> Contact:
    try:
        return load_contact(request.user, pk)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc


def _reachable_contact(request, pk, action: Action) -> Contact:
    """The contact with everything its page shows, if the user may perform `action` on it."""
    contact = _visible_contact(request, pk)
    if action != Action.VIEW and not can(request.user, action, contact):
        raise Http404
    return contact


# The tabs that show the contact's details (emails, phones, addresses, managers…); the others
# show only the page's header, so their page loads the contact without them.
DETAIL_TABS = frozenset({"information", "addresses"})


@login_required
@require_GET
def contact_detail(request, pk):
    requested = request.GET.get("tab")
    details = requested in (None, *DETAIL_TABS)
    try:
        contact = contact_page(request.user, pk, details=details)
        tabs = tabs_for(contact)
        tab = chosen_tab(tabs, requested)
        if tab.key in DETAIL_TABS and not details:  # an unknown tab falls back to Information
            contact = contact_page(request.user, pk, details=True)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc
    context = {
        "contact": contact,
        "active_section": "companies" if contact.is_company else "contacts",
        "tabs": tabs,
        "tab": tab,
        "customer": getattr(contact, "customer", None),
        "supplier": getattr(contact, "supplier", None),
        "can_change": contact.viewer_can_change,
        "can_delete": contact.viewer_can_delete,
        "custom_values": shown_custom_values(contact) if tab.key == "information" else [],
        "contact_actions": _contact_actions(),
    }
    if tab.context:
        context.update(tab.context(request, contact))
    return _page_or_part(
        request, context, "contacts/detail.html", "contacts/_tabs.html", "contact-tabs"
    )


@login_required
def contact_photo_file(request, pk):
    """Serve a contact's photo to those who may see the contact."""
    name = (
        Contact.objects.visible_to(request.user)
        .filter(pk=pk)
        .values_list("photo", flat=True)
        .first()
    )
    if not name:
        raise Http404
    storage = Contact._meta.get_field("photo").storage
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=mimetypes.guess_type(name)[0] or "image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- create and edit ---------------------------------------------------------------------

ROLE_MODELS = {"customer": Customer, "supplier": Supplier}


def _editor_page(request, editor, title, contact=None, role=None, status=200):
    return render(
        request,
        "contacts/form.html",
        {
            "editor": editor,
            "form": editor.form,
            "title": title,
            "contact": contact,
            "role": role,
            "active_section": {"customer": "customers", "supplier": "suppliers"}.get(
                role, "companies" if editor.kind == Contact.Kind.COMPANY else "contacts"
            ),
        },
        status=status,
    )


def _save_photo(request, editor, contact):
    upload = editor.form.cleaned_data.get("photo")
    if upload is False:  # "clear" ticked on the file input
        services.set_contact_photo(request.user, contact, None)
    elif upload:
        services.set_contact_photo(request.user, contact, upload)


def _after_save(request, contact, kind_or_role: str, new_form: str = ""):
    """The saved contact's page, or for "Save and create new" a blank form: `new_form` (the
    form just used, with what its address presets: a lead, a company) or one of the kind."""
    if "save_and_new" in request.POST:
        return redirect(new_form or _new_url(kind_or_role))
    return redirect(contact)


@login_required
def contact_create(request, role=None):
    kind = request.GET.get("kind") or request.POST.get("kind")
    if kind not in Contact.Kind.values:
        kind = Contact.Kind.COMPANY if role else Contact.Kind.PERSON
    titles = {
        (None, "person"): _("New person"),
        (None, "company"): _("New company"),
        ("customer", "person"): _("New customer"),
        ("customer", "company"): _("New customer"),
        ("supplier", "person"): _("New supplier"),
        ("supplier", "company"): _("New supplier"),
    }
    initial = {
        "is_lead": request.GET.get("lead") == "1",
        "company": _int_or_none(request.GET.get("company")),
    }
    if request.method != "POST":
        editor = ContactEditor(request.user, kind=kind, with_role=role is not None, initial=initial)
        return _editor_page(request, editor, titles[role, kind], role=role)
    editor = ContactEditor(
        request.user, request.POST, request.FILES, kind=kind, with_role=role is not None
    )
    if editor.is_valid():
        data = editor.service_data()
        try:
            with transaction.atomic():
                if role == "customer":
                    contact = services.create_customer(
                        request.user, data, editor.role_data()
                    ).contact
                elif role == "supplier":
                    contact = services.create_supplier(
                        request.user, data, editor.role_data()
                    ).contact
                else:
                    contact = services.create_contact(request.user, data)
                _save_photo(request, editor, contact)
        except ValidationError as exc:
            editor.add_service_errors(exc)
        else:
            messages.success(request, _("%(name)s was created.") % {"name": contact.display_name})
            again = request.get_full_path() if request.GET else ""
            return _after_save(request, contact, role or editor.kind, again)
    return _editor_page(request, editor, titles[role, editor.kind], role=role, status=400)


@login_required
def contact_edit(request, pk):
    contact = _reachable_contact(request, pk, Action.CHANGE)
    can_change_access = can(request.user, Action.DELETE, contact)
    title = _("Edit %(name)s") % {"name": contact.display_name}
    if request.method != "POST":
        editor = ContactEditor(request.user, contact=contact, can_change_access=can_change_access)
        return _editor_page(request, editor, title, contact)
    editor = ContactEditor(
        request.user,
        request.POST,
        request.FILES,
        contact=contact,
        can_change_access=can_change_access,
    )
    status = 400
    if editor.is_valid():
        data = editor.service_data()
        version = editor.form.cleaned_data.get("version")
        try:
            with transaction.atomic():
                contact = services.update_contact(request.user, contact, data, version)
                _save_photo(request, editor, contact)
        except ValidationError as exc:
            editor.add_service_errors(exc)
        except ConflictError as exc:
            editor.non_field_errors.append(str(exc))
            status = 409
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": contact.display_name})
            return _after_save(request, contact, contact.kind)
    return _editor_page(request, editor, title, contact, status=status)


@login_required
def contact_photo(request, pk):
    contact = _reachable_contact(request, pk, Action.CHANGE)
    form = PhotoForm(
        request.POST or None, request.FILES or None, initial={"version": contact.version}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.set_contact_photo(
                    request.user,
                    contact,
                    None if form.cleaned_data["remove"] else form.cleaned_data["photo"],
                    form.cleaned_data.get("version"),
                )
            except ValidationError as exc:
                for text in _flat_messages(exc):
                    form.add_error("photo", text)
            except ConflictError as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(request, _("The photo was saved."))
                return redirect(contact)
    return render(
        request,
        "contacts/photo.html",
        {"contact": contact, "form": form, "active_section": "contacts"},
        status=status,
    )


@login_required
def contact_delete(request, pk):
    contact = _reachable_contact(request, pk, Action.DELETE)
    references = services.references_to(contact)
    back = _safe_next(request, reverse("contacts:list"))
    if request.method == "POST" and not references:
        try:
            services.delete_contact(request.user, contact)
        except ProtectedError as exc:
            references = [str(exc.message)]
        else:
            messages.success(request, _("%(name)s was deleted.") % {"name": contact.display_name})
            return HttpResponseRedirect(back)
    return render(
        request,
        "contacts/delete.html",
        {"contact": contact, "references": references, "next": back, "active_section": "contacts"},
        status=409 if references else 200,
    )


# --- roles, leads, primary contact -------------------------------------------------------


def _post_action(request, contact, call, success: str):
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(_flat_messages(exc)))
    except ProtectedError as exc:
        messages.error(request, str(exc.message))
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect(_safe_next(request, contact.get_absolute_url()))


@login_required
@require_POST
def make_role(request, pk, role):
    contact = _reachable_contact(request, pk, Action.CHANGE)
    make = services.make_customer if role == "customer" else services.make_supplier
    success = {
        "customer": _("%(name)s is now a customer."),
        "supplier": _("%(name)s is now a supplier."),
    }[role] % {"name": contact.display_name}
    return _post_action(request, contact, lambda: make(request.user, contact), success)


@login_required
def edit_role(request, pk, role):
    contact = _reachable_contact(request, pk, Action.CHANGE)
    instance = getattr(contact, role, None)
    if instance is None:
        raise Http404
    fields = ("code", "tax_id", "payment_terms", "notes", "version")
    form = RoleForm(
        request.POST or None, initial={name: getattr(instance, name) for name in fields}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.update_role(
                    request.user, instance, form.service_data(), form.cleaned_data["version"]
                )
            except ValidationError as exc:
                for key, texts in validation_messages(exc).items():
                    for text in texts:
                        form.add_error(key if key in form.fields else None, text)
            except ConflictError as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(request, _("Saved."))
                return redirect(contact)
    return render(
        request,
        "contacts/role_form.html",
        {
            "contact": contact,
            "form": form,
            "role": role,
            "role_label": ROLE_MODELS[role]._meta.verbose_name,
            "active_section": f"{role}s",
        },
        status=status,
    )


@login_required
@require_POST
def remove_role(request, pk, role):
    contact = _reachable_contact(request, pk, Action.DELETE)
    instance = getattr(contact, role, None)
    if instance is None:
        raise Http404
    success = {
        "customer": _("%(name)s is no longer a customer."),
        "supplier": _("%(name)s is no longer a supplier."),
    }[role] % {"name": contact.display_name}
    return _post_action(
        request, contact, lambda: services.remove_role(request.user, instance), success
    )


@login_required
@require_POST
def set_lead(request, pk):
    contact = _reachable_contact(request, pk, Action.CHANGE)
    is_lead = request.POST.get("is_lead") == "1"
    success = (_("%(name)s is now a lead.") if is_lead else _("%(name)s is no longer a lead.")) % {
        "name": contact.display_name
    }
    return _post_action(
        request,
        contact,
        lambda: services.mark_lead(
            request.user, contact, is_lead, _int_or_none(request.POST.get("version"))
        ),
        success,
    )


@login_required
@require_POST
def convert_lead(request, pk):
    contact = _reachable_contact(request, pk, Action.CHANGE)
    success = _("%(name)s was converted into a customer.") % {"name": contact.display_name}
    return _post_action(
        request, contact, lambda: services.convert_lead(request.user, contact), success
    )


@login_required
@require_POST
def make_primary(request, pk):
    company = _reachable_contact(request, pk, Action.CHANGE)
    customer = getattr(company, "customer", None)
    if customer is None:
        raise Http404
    person_id = _int_or_none(request.POST.get("person_id"))
    person = people_of(request.user, company).filter(pk=person_id).first()
    if person is None:
        raise Http404
    success = _("%(name)s is now the primary contact.") % {"name": person.display_name}
    return _post_action(
        request,
        company,
        lambda: services.set_primary_contact(request.user, customer, person),
        success,
    )
