"""The notification bell, its polled fragment, the notifications page, each user's email
preferences, and the admin's notification settings."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.core.errors import ConflictError
from clientela.core.pagination import paginate
from clientela.core.settings_views import crm_admin_required, is_htmx, posted, show_service_errors
from clientela.mail import queries, services, wording
from clientela.mail.forms import NotificationSettingForm
from clientela.mail.models import Notification
from clientela.mail.services import mark_read

BELL_SIZE = 8


@login_required
def notification_list(request):
    try:
        offset = int(request.GET.get("offset") or 0)
    except ValueError:
        offset = 0
    page = paginate(request.user.notifications.all(), offset, limit=50)
    return render(request, "mail/notifications.html", {"page": page})


@login_required
def notification_bell(request):
    """The bell with its unread count and the latest notifications: htmx polls this.
    The count comes from the shell context processor (`core.context_processors.shell`)."""
    latest = list(request.user.notifications.all()[:BELL_SIZE])
    return render(request, "mail/bell.html", {"latest_notifications": latest})


@login_required
@require_POST
def mark_all_read(request):
    mark_read(request.user)
    if request.headers.get("HX-Request") == "true":
        return notification_bell(request)
    return redirect("mail:notifications")


@login_required
def open_notification(request, pk):
    """Mark one notification read and follow it to what it is about."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    mark_read(request.user, [notification.pk])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("mail:notifications")


# --- Notification preferences (every user) and settings (CRM admins) -------------------------


@login_required
def notification_preferences(request):
    """Each user switches off the emails of the kinds they do not want; the bell stays."""
    if request.method == "POST":
        chosen = set(request.POST.getlist("email"))
        rows = queries.email_preferences(request.user)
        # Kinds the admin switched off show a disabled box, which is never posted: they keep
        # the user's own choice for when the admin switches them on again.
        services.save_email_preferences(
            request.user,
            {
                row["kind"]: row["kind"] in chosen
                for row in rows
                if not row["switched_off_by_admin"]
            },
        )
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("mail:preferences")
    return render(
        request,
        "mail/preferences.html",
        {"rows": queries.email_preferences(request.user)},
    )


@crm_admin_required
def notification_settings(request):
    rows = [
        {"kind": kind, "setting": setting, "customised": queries.customised_fields(setting)}
        for kind, setting in queries.notification_settings()
    ]
    return render(request, "mail/settings.html", {"rows": rows, "active_section": "settings"})


@crm_admin_required
@require_POST
def notification_setting_switch(request, kind):
    """Switch a kind's emails on or off from the list."""
    enabled = request.POST.get("email_enabled") == "on"
    setting = services.save_notification_setting(request.user, kind, {"email_enabled": enabled})
    if is_htmx(request):
        kind_ = services.registered_kind(kind)
        return render(
            request,
            "mail/settings_row.html",
            {
                "row": {
                    "kind": kind_,
                    "setting": setting,
                    "customised": queries.customised_fields(setting),
                }
            },
        )
    return redirect("mail:settings")


@crm_admin_required
def notification_setting_edit(request, kind):
    kind, setting = queries.notification_setting(kind)
    initial = {"email_enabled": setting.email_enabled, "version": setting.version}
    for code in wording.LANGUAGE_CODES:
        initial[f"subject_{code}"], initial[f"body_{code}"] = queries.effective_wording(
            kind, setting, code
        )
    form = NotificationSettingForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {"email_enabled": form.cleaned_data["email_enabled"], **form.texts()}
        try:
            services.save_notification_setting(
                request.user, kind.key, data, form.cleaned_data["version"]
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("The settings of “%(kind)s” were saved.") % {"kind": kind.label}
            )
            return redirect("mail:settings")
    if form.is_bound:
        texts = {name: form.data.get(name, "") for name in wording.fields()}
    else:
        texts = {name: initial[name] for name in wording.fields()}
    return render(
        request,
        "mail/setting_edit.html",
        {
            "kind": kind,
            "form": form,
            "placeholders": wording.placeholders(kind),
            "preview": preview(kind, texts),
            "active_section": "settings",
        },
    )


@crm_admin_required
@require_POST
def notification_setting_preview(request, kind):
    """The htmx preview of the texts being edited, filled with sample values; not saved."""
    kind = services.registered_kind(kind)
    texts = {name: request.POST.get(name, "") for name in wording.fields()}
    return render(request, "mail/setting_preview.html", {"preview": preview(kind, texts)})


def preview(kind, texts: dict) -> list[dict]:
    """Each language's subject and body as an email would read, or what is wrong with them."""
    errors = services.wording_errors(kind, texts)
    values = wording.sample_values(kind, f"{settings.CLIENTELA_BASE_URL}/notifications/")
    languages = []
    for code, label in settings.LANGUAGES:
        subject = texts.get(f"subject_{code}") or wording.default_subject(kind, code)
        body = texts.get(f"body_{code}") or wording.default_body(kind, code)
        languages.append(
            {
                "code": code,
                "label": label,
                "subject": wording.one_line(wording.fill(subject, values)),
                "body": wording.fill(body, values),
                "errors": [
                    message
                    for name in (f"subject_{code}", f"body_{code}")
                    for message in errors.get(name, [])
                ],
            }
        )
    return languages
