"""The notification bell, its polled fragment, and the notifications page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clientela.core.pagination import paginate
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
