from django.urls import path, re_path

from . import import_views, picker_views, views

app_name = "contacts"
ROLE = "(?P<role>customer|supplier)"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("companies/", views.contact_list, {"section": "companies"}, name="companies"),
    path("customers/", views.contact_list, {"section": "customers"}, name="customers"),
    path("suppliers/", views.contact_list, {"section": "suppliers"}, name="suppliers"),
    path("leads/", views.contact_list, {"section": "leads"}, name="leads"),
    path("bulk/", views.bulk_action, name="bulk"),
    path("export.csv", views.contact_export, name="export"),
    re_path(
        r"^(?P<section>companies|customers|suppliers|leads)/export\.csv$",
        views.contact_export,
        name="export_section",
    ),
    path("picker-options/", picker_views.contact_picker_options, name="picker_options"),
    path("import/", import_views.import_upload, name="import"),
    path("import/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("import/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("import/<int:pk>/failed-lines.csv", import_views.import_failures, name="import_failures"),
    re_path(
        r"^import/(?P<pk>[0-9]+)/(?P<action>check|run|remap|discard)/$",
        import_views.import_action,
        name="import_action",
    ),
    path("company-options/", views.company_options, name="company_options"),
    path("duplicates/", views.contact_duplicates, name="duplicates"),
    path("new/", views.contact_create, name="create"),
    path("new/customer/", views.contact_create, {"role": "customer"}, name="create_customer"),
    path("new/supplier/", views.contact_create, {"role": "supplier"}, name="create_supplier"),
    path("<int:pk>/", views.contact_detail, name="detail"),
    path("<int:pk>/edit/", views.contact_edit, name="edit"),
    path("<int:pk>/delete/", views.contact_delete, name="delete"),
    path("<int:pk>/photo/", views.contact_photo, name="photo"),
    path("<int:pk>/photo/file/", views.contact_photo_file, name="photo_file"),
    path("<int:pk>/lead/", views.set_lead, name="set_lead"),
    path("<int:pk>/convert/", views.convert_lead, name="convert_lead"),
    path("<int:pk>/primary/", views.make_primary, name="make_primary"),
    re_path(rf"^(?P<pk>[0-9]+)/{ROLE}/make/$", views.make_role, name="make_role"),
    re_path(rf"^(?P<pk>[0-9]+)/{ROLE}/edit/$", views.edit_role, name="edit_role"),
    re_path(rf"^(?P<pk>[0-9]+)/{ROLE}/remove/$", views.remove_role, name="remove_role"),
]
