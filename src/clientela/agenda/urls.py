from django.urls import path, re_path

from . import views

app_name = "agenda"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("events/new/", views.event_create, name="create"),
    path("events/contact-search/", views.contact_search, name="contact_search"),
    path("events/<int:pk>/", views.event_detail, name="detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="edit"),
    path("events/<int:pk>/delete/", views.event_delete, name="delete"),
    path("settings/", views.feed_settings, name="feed_settings"),
    re_path(r"^feed/(?P<token>[A-Za-z0-9_-]{1,100})\.ics$", views.feed, name="feed"),
]
