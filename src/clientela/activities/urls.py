from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("<slug:target>/<int:pk>/notes/new/", views.note_create, name="note_create"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:pk>/delete/", views.note_delete, name="note_delete"),
    path("<slug:target>/<int:pk>/comments/new/", views.comment_create, name="comment_create"),
    path("comments/<int:pk>/delete/", views.comment_delete, name="comment_delete"),
    path("<slug:target>/<int:pk>/mentions/", views.mention_options, name="mention_options"),
    path("<slug:target>/<int:pk>/files/new/", views.file_upload, name="file_upload"),
    path("files/<int:pk>/", views.file_download, name="file_download"),
    path("files/<int:pk>/delete/", views.file_delete, name="file_delete"),
]
