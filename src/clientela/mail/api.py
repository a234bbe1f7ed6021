"""The notifications API: the caller's notifications and email preferences, and (for CRM
admins) the notification settings: which kinds are emailed, and their wording."""

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Schema

from clientela.core.api import (
    PageOut,
    PageParams,
    error_responses,
    if_match_version,
    page_out,
    set_etag,
    text,
)
from clientela.core.pagination import paginate
from clientela.mail import queries, services, wording
from clientela.mail.schemas import (
    EmailPreferenceOut,
    EmailPreferencesIn,
    MarkReadIn,
    MarkReadOut,
    NotificationOut,
    NotificationSettingIn,
    NotificationSettingOut,
)

router = Router(tags=["notifications"])


class NotificationFilter(Schema):
    unread: bool = False


class KindPath(Schema):
    kind: text(40, 1)


@router.get(
    "/notifications",
    response={200: PageOut[NotificationOut], **error_responses()},
    summary="List my notifications",
)
def list_notifications(
    request: HttpRequest, filters: Query[NotificationFilter], page: Query[PageParams]
) -> dict:
    """Newest first; `unread=true` for the unread ones only."""
    notifications = request.user.notifications.all()
    if filters.unread:
        notifications = notifications.filter(read_at__isnull=True)
    return page_out(paginate(notifications, page.offset, page.limit, page.count))


@router.post(
    "/notifications/read",
    response={200: MarkReadOut, **error_responses(400)},
    summary="Mark my notifications read",
)
def mark_notifications_read(request: HttpRequest, payload: MarkReadIn) -> dict:
    """The ones given, or every unread one; others' notifications are never touched."""
    return {"marked": services.mark_read(request.user, payload.ids)}


@router.get(
    "/notifications/preferences",
    response={200: list[EmailPreferenceOut], **error_responses()},
    summary="My email preferences",
)
def read_email_preferences(request: HttpRequest):
    return queries.email_preferences(request.user)


@router.put(
    "/notifications/preferences",
    response={200: list[EmailPreferenceOut], **error_responses(400)},
    summary="Set my email preferences",
)
def set_email_preferences(request: HttpRequest, payload: EmailPreferencesIn):
    """Switch emails of some kinds on (true) or off (false) for me; the bell still shows
    every notification."""
    services.save_email_preferences(request.user, payload.emails)
    return queries.email_preferences(request.user)


def _setting_out(kind, setting) -> dict:
    texts = {}
    for code in wording.LANGUAGE_CODES:
        subject, body = queries.effective_wording(kind, setting, code)
        texts[f"subject_{code}"], texts[f"body_{code}"] = subject, body
    return {
        "kind": kind.key,
        "label": str(kind.label),
        "email_enabled": setting.email_enabled,
        "placeholders": [
            {"name": name, "description": str(description)}
            for name, description in wording.placeholders(kind).items()
        ],
        **texts,
        "customised": queries.customised_fields(setting),
        "version": setting.version,
    }


def _require_admin(request):
    services.require_admin(request.user)


@router.get(
    "/notification-settings",
    response={200: list[NotificationSettingOut], **error_responses()},
    summary="List the notification settings",
)
def list_notification_settings(request: HttpRequest):
    """Every kind of notification, whether it is emailed, and its wording (CRM admins)."""
    _require_admin(request)
    return [_setting_out(kind, setting) for kind, setting in queries.notification_settings()]


@router.get(
    "/notification-settings/{kind}",
    response={200: NotificationSettingOut, **error_responses(404)},
    summary="Read a kind's notification settings",
)
def read_notification_setting(request: HttpRequest, response: HttpResponse, path: Path[KindPath]):
    _require_admin(request)
    kind, setting = queries.notification_setting(path.kind)
    set_etag(response, setting.version)
    return _setting_out(kind, setting)


@router.put(
    "/notification-settings/{kind}",
    response={200: NotificationSettingOut, **error_responses(400, 404, 409, 412)},
    summary="Change a kind's notification settings",
)
def update_notification_setting(
    request: HttpRequest,
    response: HttpResponse,
    payload: NotificationSettingIn,
    path: Path[KindPath],
):
    """Only the fields sent change. Placeholders are written `{name}`; an unknown one is a 400
    naming it. `If-Match` with the ETag's version guards against overwriting another admin."""
    _require_admin(request)
    setting = services.save_notification_setting(
        request.user,
        path.kind,
        payload.model_dump(exclude_unset=True),
        if_match_version(request),
    )
    set_etag(response, setting.version)
    return _setting_out(services.registered_kind(path.kind), setting)
