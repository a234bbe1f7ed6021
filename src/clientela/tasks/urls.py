from django.urls import path

from . import views

app_name = "tasks"
urlpatterns = [
    path("", views.task_list_view, name="list"),
    path("new/", views.task_create, name="create"),
    path("new/for-contacts/", views.task_bulk_create, name="bulk_create"),
    path("<int:pk>/", views.task_detail_view, name="detail"),
    path("<int:pk>/edit/", views.task_edit, name="edit"),
    path("<int:pk>/delete/", views.task_delete, name="delete"),
    path("<int:pk>/close/", views.task_close, name="close"),
    path("<int:pk>/reopen/", views.task_reopen, name="reopen"),
]
