from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView

from clientela.core.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="contacts:list", permanent=False), name="home"),
    path("api/v1/", api.urls),
    path("accounts/", include("clientela.accounts.urls")),
    path("contacts/", include("clientela.contacts.urls")),
    path("sales/", include("clientela.sales.urls")),
    path("activities/", include("clientela.activities.urls")),
    path("tasks/", include("clientela.tasks.urls")),
    path("calendar/", include("clientela.agenda.urls")),
    path("notifications/", include("clientela.mail.urls")),
    path("settings/", include("clientela.core.settings_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
