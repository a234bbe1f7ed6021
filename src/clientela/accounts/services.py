"""Every write about users, teams and tokens, and password resets by email."""

from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from clientela.accounts.models import ApiToken, PasswordResetRequest, Team, User, hash_token
from clientela.core.changelog import record_change, snapshot
from clientela.mail.services import queue_email


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


# --- Password reset by email ---------------------------------------------------------------

# Enough for someone whose first email went astray; too few to turn the form into a way of
# flooding an inbox, or to spray a list of addresses from one machine.
RESET_LINKS_PER_ADDRESS = 3
RESET_REQUESTS_PER_IP = 20
RESET_WINDOW = timedelta(hours=1)


def _address_digest(email: str) -> str:
    return salted_hmac("clientela.accounts.password_reset", email, algorithm="sha256").hexdigest()


def request_password_reset(email: str, ip_address: str | None) -> bool:
    """Have a link to choose a new password sent to `email`, if an account may reset by it,
    unless the address or the IP address asked too often in the last `RESET_WINDOW`.

    Whether an account has the address is looked up by the worker, after the request: the
    request itself does the same work for any address, so neither its answer nor its timing
    tells who has an account. Returns False when throttled; callers answer the same anyway."""
    email = email.strip().lower()
    digest = _address_digest(email)
    recent = PasswordResetRequest.objects.filter(requested_at__gte=timezone.now() - RESET_WINDOW)
    if (
        recent.filter(email_digest=digest).count() >= RESET_LINKS_PER_ADDRESS
        or recent.filter(ip_address=ip_address).count() >= RESET_REQUESTS_PER_IP
    ):
        return False
    with transaction.atomic():
        PasswordResetRequest.objects.create(email_digest=digest, ip_address=ip_address)
        transaction.on_commit(lambda: _schedule_reset_link(email))
    return True


def _schedule_reset_link(email: str):
    from clientela.accounts.tasks import send_password_reset_link_task

    send_password_reset_link_task(email)


@transaction.atomic
def send_password_reset_link(email: str) -> int:
    """Queue in the outbox a reset link for each account Django lets reset by `email` (active,
    with a usable password): none for an unknown or deactivated address. Returns how many."""
    users = list(PasswordResetForm().get_users(email))
    for user in users:
        subject, body = password_reset_email(user)
        queue_email(to=user.email, subject=subject, body=body)
    return len(users)


def reset_link_lifetime() -> str:
    """How long a link works, in words of the active language: “1 hour”."""
    now = timezone.now()
    lifetime = timeuntil(now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT), now)
    return lifetime.replace("\xa0", " ")


def password_reset_email(user: User) -> tuple[str, str]:
    """Subject and body of the reset email, in the user's language, with a fresh link."""
    with translation.override(user.language):
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context = {
            "name": user.first_name or user.email,
            "email": user.email,
            "link": settings.CLIENTELA_BASE_URL + path,
            "lifetime": reset_link_lifetime(),
        }
        return _("Choose a new password for Clientela"), render_to_string(
            "accounts/password_reset_email.txt", context
        )


@transaction.atomic
def reset_password(user: User, password: str) -> User:
    """Set the password chosen through an emailed link. The user is logged out everywhere
    (whoever knew the old password is out), and the log-in lock-out that forgetting it may
    have earned is lifted. The link stops working: its token hashes the old password."""
    if not user.is_active:
        raise PermissionDenied(_("This account is inactive."))
    change_password(user, user, password)
    end_sessions(user)
    AxesProxyHandler.reset_attempts(username=user.email)
    return user


def prune_password_reset_requests(now=None) -> int:
    """Forget the requests too old to count for the throttle."""
    cutoff = (now or timezone.now()) - RESET_WINDOW
    return PasswordResetRequest.objects.filter(requested_at__lt=cutoff).delete()[0]
