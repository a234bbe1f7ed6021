from django.urls import path

from . import views

app_name = "mail"
urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("bell/", views.notification_bell, name="bell"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("preferences/", views.notification_preferences, name="preferences"),
    path("settings/", views.notification_settings, name="settings"),
    path("settings/<slug:kind>/", views.notification_setting_edit, name="setting_edit"),
    path("settings/<slug:kind>/email/", views.notification_setting_switch, name="setting_switch"),
    path(
        "settings/<slug:kind>/preview/", views.notification_setting_preview, name="setting_preview"
    ),
]
