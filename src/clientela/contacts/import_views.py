"""The import wizard's pages: upload, map columns, check (preview), import, result.

Thin: `imports` does the work. An import is reached through `ContactImport.objects.
visible_to`, so another user's import answers 404 like a missing one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clientela.core.access import Action, get_for_user_or_404
from clientela.core.errors import validation_messages
from clientela.core.models import Tag

from . import imports
from .import_forms import ImportMappingForm, ImportUploadForm
from .models import ContactImport

RECENT_IMPORTS = 10
STEPS = (
    ("upload", gettext_lazy("Upload")),
    ("mapping", gettext_lazy("Map columns")),
    ("check", gettext_lazy("Check")),
    ("import", gettext_lazy("Import")),
)


def _job(request, pk: int) -> ContactImport:
    return get_for_user_or_404(
        ContactImport.objects.select_related("owner"), request.user, Action.VIEW, pk=pk
    )


def _steps(current: str) -> list[dict]:
    """Each step's state; past the last one ("finished"), every step is done."""
    names = [name for name, _label in STEPS] + ["finished"]
    return [
        {
            "label": label,
            "state": "done"
            if names.index(name) < names.index(current)
            else ("current" if name == current else "todo"),
        }
        for name, label in STEPS
    ]


def _error_messages(exc: ValidationError) -> list[str]:
    return [m for ms in validation_messages(exc).values() for m in ms]


@login_required
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.upload_import(request.user, form.cleaned_data["file"])
        except ValidationError as exc:
            for message in _error_messages(exc):
                form.add_error("file", message)
        else:
            return redirect(job)
    recent = ContactImport.objects.filter(owner=request.user).only(
        "id",
        "file_name",
        "created_at",
        "status",
        "row_count",
        "created_count",
        "updated_count",
        "skipped_count",
        "failed_count",
    )[:RECENT_IMPORTS]
    return render(
        request,
        "contacts/imports/upload.html",
        {
            "active_section": "contacts",
            "form": form,
            "recent": recent,
            "steps": _steps("upload"),
            "max_megabytes": imports.MAX_FILE_BYTES // 1024 // 1024,
            "max_rows": imports.MAX_ROWS,
        },
    )


@login_required
def import_detail(request, pk: int):
    """The import's current step: mapping, check under way, preview, import under way, result."""
    job = _job(request, pk)
    if request.method == "POST":
        return _save_mapping(request, job)
    if job.status == ContactImport.Status.MAPPING:
        return _mapping_page(request, job, ImportMappingForm(job=job))
    return _status_page(request, job)


def _save_mapping(request, job: ContactImport):
    if job.owner_id != request.user.pk:
        raise PermissionDenied
    form = ImportMappingForm(request.POST, job=job)
    if form.is_valid():
        try:
            imports.configure_import(request.user, job, form.mapping(), form.options())
            imports.check_import(request.user, job)
        except ValidationError as exc:
            form.add_service_errors(validation_messages(exc))
        else:
            return redirect(job)
    return _mapping_page(request, job, form, status=400)


def _mapping_page(request, job, form, status=200):
    return render(
        request,
        "contacts/imports/mapping.html",
        {
            "active_section": "contacts",
            "job": job,
            "form": form,
            "steps": _steps("mapping"),
            "encoding": imports.ENCODING_LABELS.get(job.encoding, job.encoding),
            "delimiter": imports.DELIMITER_LABELS.get(job.delimiter, job.delimiter),
            "is_owner": job.owner_id == request.user.pk,
        },
        status=status,
    )


def _status_page(request, job: ContactImport):
    finished = job.status in (ContactImport.Status.DONE, ContactImport.Status.FAILED)
    step = {
        ContactImport.Status.CHECKING: "check",
        ContactImport.Status.CHECKED: "check",
        ContactImport.Status.DONE: "finished",
    }.get(job.status, "import")
    tag = Tag.objects.filter(name__iexact=job.tag).first() if job.tag and finished else None
    context = {
        "active_section": "contacts",
        "job": job,
        "steps": _steps(step),
        "is_owner": job.owner_id == request.user.pk,
        "failures": imports.failures_shown(job) if job.failed_count else [],
        "shown_failures": imports.SHOWN_FAILURES,
        "can_resume": imports.can_resume(job),
        "is_stale": imports.is_stale(job),
        "importable": job.created_count + job.updated_count,
        "tag_url": f"{reverse('contacts:list')}?tag={tag.pk}" if tag else "",
    }
    return render(request, "contacts/imports/status.html", context)


@login_required
@require_GET
def import_progress(request, pk: int):
    """What the page polls while a check or an import runs; once it is over, the page reloads
    into its next step."""
    job = _job(request, pk)
    if not job.is_busy:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = job.get_absolute_url()
        return response
    return render(
        request,
        "contacts/imports/_progress.html",
        {
            "job": job,
            "is_stale": imports.is_stale(job),
            "is_owner": job.owner_id == request.user.pk,
        },
    )


ACTIONS = {
    "check": imports.check_import,
    "run": imports.run_import,
    "remap": imports.back_to_mapping,
}


@login_required
@require_POST
def import_action(request, pk: int, action: str):
    job = _job(request, pk)
    try:
        if action == "discard":
            imports.discard_import(request.user, job)
            messages.success(
                request, _("The import of %(name)s was discarded.") % {"name": job.file_name}
            )
            return redirect("contacts:import")
        ACTIONS[action](request.user, job)
    except ValidationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
    return redirect(job)


@login_required
@require_GET
def import_failures(request, pk: int):
    """The failed lines as a CSV to correct and import again."""
    return imports.failed_lines_response(_job(request, pk))
