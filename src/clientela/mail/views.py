from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def notification_list(request):
    notifications = request.user.notifications.all()[:50]
    return render(request, "mail/notifications.html", {"notifications": notifications})
