"""The HTTP API under /api/v1/: authentication, error shapes, and the routers of every app."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from clientela.accounts.services import user_for_token
from clientela.core.errors import ConflictError, ProtectedError, validation_messages


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Clientela API",
    version="1",
    description="The Clientela CRM. Authenticate with a personal token: `Authorization: Bearer …`.",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


def _error(request, status: int, detail, **extra):
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return _error(request, 400, "invalid input", errors=validation_messages(exc))


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        errors.setdefault(".".join(loc) or "__all__", []).append(err.get("msg", "invalid"))
    return _error(request, 422, "invalid input", errors=errors)


@api.exception_handler(ConflictError)
def on_conflict(request, exc):
    status = 412 if request.headers.get("If-Match") else 409
    return _error(request, status, str(exc), current_version=exc.current_version)


@api.exception_handler(ProtectedError)
def on_protected(request, exc):
    return _error(request, 409, str(exc.message))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return _error(request, 403, str(exc) or "forbidden")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "not found")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return _error(request, 401, "authentication required")


def register_routers():
    from clientela.contacts.api import router as contacts_router

    api.add_router("/", contacts_router)


register_routers()
