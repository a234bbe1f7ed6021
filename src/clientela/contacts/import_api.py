"""The import API: upload a CSV with its mapping and options, then follow the import.

Registered before the contacts router (core.api) so that its fixed paths win over
`/contacts/{contact_id}`. Another user's import answers 404 like a missing one."""

import json
from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Path, Router, Schema, Status, UploadedFile

from clientela.core.access import Action, get_for_user_or_404
from clientela.core.api import MAX_ID, NO_NUL_PATTERN, error_responses

from . import imports
from .models import ContactImport, ContactImportFailure

router = Router(tags=["contacts"])

ImportId = Path(..., ge=1, le=MAX_ID, description="Import id.")
# Failures an answer lists; all of them are in the failed lines' CSV.
LISTED_FAILURES = 100


class ImportErrorOut(Schema):
    field: str = Field(description="The contact field, as in the mapping; empty for the row.")
    column: str = Field(description="The file's column the value came from; may be empty.")
    message: str


class ImportFailureOut(Schema):
    line: int = Field(description="Line in the file (the header is line 1).")
    errors: list[ImportErrorOut]


class ContactImportOut(Schema):
    id: int
    status: Literal["mapping", "checking", "checked", "importing", "done", "failed"]
    file_name: str
    created_at: datetime
    finished_at: datetime | None
    encoding: str
    delimiter: str
    headers: list[str]
    mapping: list[str] = Field(description="The field each column feeds; empty: left out.")
    default_kind: str
    access: str
    tag: str
    duplicates: str
    row_count: int
    processed_rows: int
    created: int = Field(description="After a check (dry run): rows that would be created.")
    updated: int
    skipped: int
    failed: int
    companies_created: int
    error: str = Field(description="Why the import stopped, when it did.")
    failures: list[ImportFailureOut] = Field(
        description=f"The first {LISTED_FAILURES} failed lines."
    )
    failed_lines_csv: str | None = Field(description="Where to download every failed line.")


class ImportOptionsIn(Schema):
    mapping: str | None = Field(
        None,
        description=(
            "JSON: a list with one field per column (empty string: leave it out), or an "
            'object of column header to field, e.g. {"Email": "email", "Nombre": '
            '"first_name"}. Fields: kind, full_name, first_name, last_name, company_name, '
            "company, position, email, email_home, email_other, phone, phone_mobile, "
            "phone_work, phone_home, phone_fax, phone_other, website, linkedin, x, facebook, "
            "instagram, street, city, postal_code, region, country, contact_type, temperature, "
            "source, interests, tags, is_lead, access, currency, description, customer_code, "
            "supplier_code, custom_fields.<key>. Without it, columns are mapped by their "
            "headers (English, Spanish, or the export's)."
        ),
        max_length=100_000,
    )
    duplicates: Literal["skip", "update", "create"] = Field(
        "skip", description="A row whose email one of your contacts has: skip, update or create."
    )
    default_kind: Literal["auto", "person", "company"] = Field(
        "auto",
        description="Kind of a row that does not say (auto: a company name alone means company).",
    )
    access: Literal["private", "public_read", "public_write"] = Field(
        "private", description="Access of new contacts when the row does not say."
    )
    tag: str = Field(
        "", max_length=60, pattern=NO_NUL_PATTERN, description="A tag for every imported contact."
    )
    dry_run: bool = Field(
        False,
        description="Only check: count what would happen and list the failing lines; import "
        "later with POST /contacts/imports/{id}/run.",
    )


def _out(job: ContactImport) -> dict:
    failures = (
        list(ContactImportFailure.objects.filter(job=job).only("line", "errors")[:LISTED_FAILURES])
        if job.failed_count
        else []
    )
    return {
        **{
            name: getattr(job, name)
            for name in (
                "id",
                "status",
                "file_name",
                "created_at",
                "finished_at",
                "encoding",
                "delimiter",
                "headers",
                "mapping",
                "default_kind",
                "access",
                "tag",
                "duplicates",
                "row_count",
                "processed_rows",
                "companies_created",
                "error",
            )
        },
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "failed": job.failed_count,
        "failures": [{"line": f.line, "errors": f.errors} for f in failures],
        "failed_lines_csv": reverse("api:contact_import_failures", args=[job.pk])
        if job.failed_count
        else None,
    }


def _mapping(raw: str | None, job: ContactImport):
    if raw is None or not raw.strip():
        return job.mapping
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ValidationError({"mapping": [_("The mapping is not valid JSON.")]}) from exc


@router.post(
    "/contacts/imports",
    response={202: ContactImportOut, **error_responses(400)},
    summary="Import contacts from a CSV file",
)
def create_contact_import(
    request: HttpRequest, file: File[UploadedFile], options: Form[ImportOptionsIn]
):
    """Multipart upload in the `file` field: CSV up to 5 MB, UTF-8 or Latin-1, separated by
    commas, semicolons or tabs, the first row naming the columns. Each row is created or
    updated on its own: a bad row is listed in `failures` and does not stop the others.
    Small files are done when this answers; larger ones run in the background: follow
    `GET /contacts/imports/{id}` until `status` is `done`."""
    job = imports.upload_import(request.user, file)
    try:
        chosen = options.model_dump(exclude={"mapping", "dry_run"})
        imports.configure_import(request.user, job, _mapping(options.mapping, job), chosen)
        job = (imports.check_import if options.dry_run else imports.run_import)(request.user, job)
    except ValidationError:
        imports.discard_import(request.user, job)
        raise
    return Status(202, _out(job))


def _job(request, import_id: int) -> ContactImport:
    return get_for_user_or_404(ContactImport.objects, request.user, Action.VIEW, pk=import_id)


@router.get(
    "/contacts/imports/{import_id}",
    response={200: ContactImportOut, **error_responses(404)},
    summary="An import's status and counts",
)
def read_contact_import(request: HttpRequest, import_id: int = ImportId):
    """Only the user who uploaded it (and CRM admins) may read it."""
    return _out(_job(request, import_id))


@router.post(
    "/contacts/imports/{import_id}/run",
    response={202: ContactImportOut, **error_responses(400, 404)},
    summary="Import a checked file, or resume a stopped import",
)
def run_contact_import(request: HttpRequest, import_id: int = ImportId):
    return Status(202, _out(imports.run_import(request.user, _job(request, import_id))))


@router.get(
    "/contacts/imports/{import_id}/failed-lines.csv",
    response={200: None, **error_responses(404)},
    summary="The lines that failed, as CSV",
    url_name="contact_import_failures",
    openapi_extra={
        "responses": {200: {"description": "CSV", "content": {"text/csv": {"schema": {}}}}}
    },
)
def contact_import_failures(request: HttpRequest, import_id: int = ImportId):
    """The file's own columns, then the line and what was wrong: correct and import again."""
    return imports.failed_lines_response(_job(request, import_id))
