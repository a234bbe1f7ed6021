"""Every write about users, teams and tokens."""

from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import ApiToken, Team, User, hash_token
from clientela.core.changelog import record_change, snapshot


def _require_admin(actor):
    if not (actor and actor.is_authenticated and actor.is_crm_admin):
        raise PermissionDenied(_("Only CRM admins may do this."))


@transaction.atomic
def create_user(
    actor, *, email, password, first_name="", last_name="", role=User.Role.USER, language="es"
) -> User:
    if actor is not None:
        _require_admin(actor)
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this email already exists.")})
    user = User(
        email=email, first_name=first_name, last_name=last_name, role=role, language=language
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_change(actor, user, "create", None, _user_snapshot(user))
    return user


def _user_snapshot(user):
    data = snapshot(user)
    data.pop("password", None)
    data.pop("last_login", None)
    return data


@transaction.atomic
def update_user(actor, user: User, **changes) -> User:
    if actor != user or {"role", "is_active"} & set(changes):
        _require_admin(actor)
    before = _user_snapshot(user)
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changes))
    record_change(actor, user, "update", before, _user_snapshot(user))
    return user


@transaction.atomic
def change_password(actor, user: User, password: str) -> User:
    """Set a new password, checked by the configured validators. A user may change their own;
    an admin may set anyone's. The change log records that it changed, never the password."""
    if actor != user:
        _require_admin(actor)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    record_change(actor, user, "update", {"password": "…"}, {"password": _("(changed)")})
    return user


@transaction.atomic
def reactivate_user(actor, user: User) -> User:
    _require_admin(actor)
    return update_user(actor, user, is_active=True)


@transaction.atomic
def deactivate_user(actor, user: User) -> User:
    """Deactivate a user and end their sessions and API access at once."""
    _require_admin(actor)
    if actor.pk == user.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    update_user(actor, user, is_active=False)
    end_sessions(user)
    return user


def end_sessions(user: User) -> int:
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def set_team(actor, team: Team | None, *, name: str, member_ids: list[int]) -> Team:
    _require_admin(actor)
    before = snapshot(team) if team else None
    team = team or Team()
    team.name = name.strip()
    team.full_clean()
    team.save()
    team.members.set(User.objects.filter(pk__in=member_ids))
    record_change(actor, team, "update" if before else "create", before, snapshot(team))
    return team


@transaction.atomic
def delete_team(actor, team: Team):
    _require_admin(actor)
    record_change(actor, team, "delete", snapshot(team), None)
    team.delete()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it with the raw key, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    raw = ApiToken.generate_raw()
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=hash_token(raw), hint=raw[:8]
    )
    return token, raw


def revoke_api_token(user: User, token: ApiToken):
    if token.user_id != user.pk:
        raise PermissionDenied
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


def user_for_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
