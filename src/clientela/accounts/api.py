"""The caller's own API tokens, and users and teams for pickers."""

from datetime import datetime

from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from clientela.core.api import MAX_ID, error_responses, text

from .models import ApiToken, Team, User
from .services import create_api_token, revoke_api_token

router = Router(tags=["accounts"])


class TokenIn(Schema):
    name: text(100, min_length=1)


class TokenOut(Schema):
    id: int
    name: str
    hint: str = Field(description="The first characters of the key, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    key: str = Field(description="The token itself. It is shown only this once.")


class PickerOut(Schema):
    id: int
    name: str


class PickerQuery(Schema):
    q: text(100) | None = Field(None, description="Words in the name (or the user's email).")


@router.get("/tokens", response={200: list[TokenOut], **error_responses()}, summary="My tokens")
def list_tokens(request: HttpRequest):
    return list(ApiToken.objects.filter(user=request.user))


@router.post(
    "/tokens", response={201: NewTokenOut, **error_responses(400)}, summary="Create a token"
)
def create_token(request: HttpRequest, payload: TokenIn):
    token, raw = create_api_token(request.user, payload.name)
    token.key = raw
    return Status(201, token)


@router.delete(
    "/tokens/{token_id}",
    response={204: None, **error_responses(404)},
    summary="Revoke one of my tokens",
)
def revoke_token(request: HttpRequest, token_id: int = Path(..., ge=1, le=MAX_ID)):
    # Another user's token is answered like a missing one.
    token = ApiToken.objects.filter(user=request.user, pk=token_id).first()
    if token is None:
        raise Http404
    revoke_api_token(request.user, token)
    return Status(204, None)


@router.get(
    "/users",
    response={200: list[PickerOut], **error_responses()},
    summary="Active users, for pickers",
)
def list_users(request: HttpRequest, query: Query[PickerQuery]):
    users = User.objects.filter(is_active=True).only("id", "first_name", "last_name", "email")
    for word in (query.q or "").split()[:5]:
        users = users.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return [{"id": u.pk, "name": u.get_full_name() or u.email} for u in users[:500]]


@router.get(
    "/teams",
    response={200: list[PickerOut], **error_responses()},
    summary="Teams, for pickers",
)
def list_teams(request: HttpRequest, query: Query[PickerQuery]):
    teams = Team.objects.only("id", "name")
    for word in (query.q or "").split()[:5]:
        teams = teams.filter(name__icontains=word)
    return list(teams[:500])
