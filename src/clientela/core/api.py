"""The HTTP API under /api/v1/: authentication, error shapes, shared schema pieces (ids,
safe strings, pages, errors), ETag/If-Match handling, and the routers of every app."""

from typing import Annotated, Generic, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from clientela.accounts.services import user_for_token
from clientela.core.errors import ConflictError, ProtectedError, validation_messages
from clientela.core.pagination import Page

# Ids are 64-bit in every database; a larger number is refused by the schema (422) instead of
# overflowing inside the database driver.
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
# PostgreSQL cannot store NUL characters in text; the schema refuses them up front.
NO_NUL_PATTERN = r"^[^\x00]*$"


def text(max_length: int, min_length: int = 0):
    """A string type with a length limit that never reaches the database with a NUL in it."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length, pattern=NO_NUL_PATTERN)
    ]


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = Field(
        None, description="Messages per field; `__all__` for the record as a whole."
    )
    current_version: int | None = Field(None, description="On a conflict: the record's version.")


def error_responses(*codes: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation documents: always 401, 403 (CSRF of a browser session,
    or not allowed) and 422, plus `codes`."""
    return {code: ErrorOut for code in sorted({401, 403, 422, *codes})}


ItemT = TypeVar("ItemT")


class PageOut(Schema, Generic[ItemT]):
    items: list[ItemT]
    count: int | None = Field(
        description="Number of matching records, up to the cap; null unless `count=true` was asked."
    )
    count_is_capped: bool | None = Field(
        description="True when there are more than `count` records; null unless counted."
    )
    next_offset: int | None = Field(description="Offset of the next page; null on the last page.")


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)
    # Counting thousands of matches costs more than fetching a page, so it is asked for.
    count: bool = Field(
        False, description="Also count the matching records (up to 10,000). Slower on big results."
    )


def page_out(page: Page, items=None) -> dict:
    return {
        "items": page.items if items is None else items,
        "count": page.count if page.counted else None,
        "count_is_capped": page.count_is_capped if page.counted else None,
        "next_offset": page.next_offset if page.has_next else None,
    }


def set_etag(response, version: int):
    response["ETag"] = f'"{version}"'


def if_match_version(request: HttpRequest) -> int | None:
    """The version an `If-Match` header names; None without the header or with `*`.

    A header that names no version we could ever have is a failed precondition (412)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or not 1 <= int(value) <= MAX_VERSION:
        raise ConflictError(None)
    return int(value)


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
            # The language middleware ran before the token was read: a client that names no
            # language gets its user's, as the browser does.
            if not request.headers.get("Accept-Language"):
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
        return user


class BrowserSessionAuth(SessionAuth):
    """The browser's session, with CSRF checked for a logged-in session only: a request with
    no session (say, with a revoked token) is unauthenticated, 401, not a CSRF failure."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


api = NinjaAPI(
    title="Clientela API",
    version="1",
    description="The Clientela CRM. Authenticate with a personal token: `Authorization: Bearer …`.",
    auth=[TokenAuth(), BrowserSessionAuth()],
    urls_namespace="api",
)


def _error(request, status: int, detail, **extra):
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return _error(request, 400, _("Invalid input."), errors=validation_messages(exc))


# Where a parameter came from is not part of its name in the errors we answer.
LOCATION_PARTS = {"body", "query", "path", "payload", "file", "form", "header", "cookie"}


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in LOCATION_PARTS]
        message = err.get("msg", "invalid")
        if err.get("ctx", {}).get("pattern") == NO_NUL_PATTERN:
            message = _("Contains characters that are not allowed.")
        errors.setdefault(".".join(loc) or "__all__", []).append(message)
    return _error(request, 422, _("Invalid input."), errors=errors)


@api.exception_handler(ConflictError)
def on_conflict(request, exc):
    status = 412 if request.headers.get("If-Match") else 409
    return _error(request, status, str(exc), current_version=exc.current_version)


@api.exception_handler(ProtectedError)
def on_protected(request, exc):
    return _error(request, 409, str(exc.message))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return _error(request, 403, str(exc) or _("You may not do this."))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, _("Not found."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return _error(request, 401, _("Authentication required."))


def register_routers():
    from clientela.accounts.api import router as accounts_router
    from clientela.activities.api import router as activities_router
    from clientela.agenda.api import router as agenda_router
    from clientela.contacts.api import router as contacts_router
    from clientela.contacts.import_api import router as contacts_import_router
    from clientela.core.money_api import router as money_router
    from clientela.mail.api import router as mail_router
    from clientela.sales.analytics_api import router as sales_analytics_router
    from clientela.sales.api import router as sales_router
    from clientela.tasks.api import router as tasks_router

    # Before the contacts router: its fixed /contacts/imports paths win over /contacts/{id}.
    api.add_router("/", contacts_import_router)
    api.add_router("/", contacts_router)
    api.add_router("/", accounts_router)
    api.add_router("/", money_router)
    api.add_router("/", sales_router)
    api.add_router("/", sales_analytics_router)
    api.add_router("/", activities_router)
    api.add_router("/", tasks_router)
    api.add_router("/", agenda_router)
    api.add_router("/", mail_router)


register_routers()
