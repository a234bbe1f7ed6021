from django.conf import settings

from clientela.core.navigation import create_entries, menu_entries


def shell(request):
    """What the page shell needs on every page: the unread notification count and languages."""
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "unread_notifications": unread,
        "available_languages": settings.LANGUAGES,
        "menu_entries": menu_entries(),
        "create_entries": create_entries(),
    }
