from django.urls import path

from clientela.accounts import views as accounts_views

from . import money_views
from . import settings_views as views

app_name = "settings"
urlpatterns = [
    path("", views.settings_index, name="index"),
    path("users/", accounts_views.user_list, name="users"),
    path("users/new/", accounts_views.user_create, name="user_create"),
    path("users/<int:pk>/", accounts_views.user_edit, name="user_edit"),
    path("users/<int:pk>/deactivate/", accounts_views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/reactivate/", accounts_views.user_reactivate, name="user_reactivate"),
    path("teams/", accounts_views.team_list, name="teams"),
    path("teams/new/", accounts_views.team_edit, name="team_create"),
    path("teams/<int:pk>/", accounts_views.team_edit, name="team_edit"),
    path("teams/<int:pk>/delete/", accounts_views.team_delete, name="team_delete"),
    path("lists/<slug:slug>/", views.admin_list, name="admin_list"),
    path("lists/<slug:slug>/<int:pk>/", views.admin_list_edit, name="admin_list_edit"),
    path("lists/<slug:slug>/<int:pk>/row/", views.admin_list_row, name="admin_list_row"),
    path("lists/<slug:slug>/<int:pk>/delete/", views.admin_list_delete, name="admin_list_delete"),
    path("tags/", views.tag_list, name="tags"),
    path("tags/<int:pk>/", views.tag_edit, name="tag_edit"),
    path("tags/<int:pk>/row/", views.tag_row, name="tag_row"),
    path("tags/<int:pk>/delete/", views.tag_delete, name="tag_delete"),
    path("custom-fields/<slug:record_type>/", views.custom_field_list, name="custom_fields"),
    path(
        "custom-fields/<slug:record_type>/<int:pk>/",
        views.custom_field_edit,
        name="custom_field_edit",
    ),
    path(
        "custom-fields/<slug:record_type>/<int:pk>/delete/",
        views.custom_field_delete,
        name="custom_field_delete",
    ),
    path("money/", money_views.money_settings, name="money"),
    path("money/currency/", money_views.default_currency_edit, name="default_currency"),
    path("money/rates/import/", money_views.exchange_rate_import, name="exchange_rate_import"),
    path("money/rates/missing/", money_views.missing_rate, name="missing_rate"),
    path("money/rates/<int:pk>/", money_views.exchange_rate_edit, name="exchange_rate_edit"),
    path(
        "money/rates/<int:pk>/delete/",
        money_views.exchange_rate_delete,
        name="exchange_rate_delete",
    ),
]
