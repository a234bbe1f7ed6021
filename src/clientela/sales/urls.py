from django.urls import path, re_path

from . import views
from .analytics_urls import urlpatterns as analytics_urlpatterns

app_name = "sales"
urlpatterns = [
    path("", views.opportunity_list, name="list"),
    path("export.csv", views.opportunity_export, name="export"),
    path("new/", views.opportunity_create, name="create"),
    path("<int:pk>/", views.opportunity_detail, name="detail"),
    path("<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("<int:pk>/delete/", views.opportunity_delete, name="delete"),
    path("<int:pk>/stage/", views.opportunity_stage, name="stage"),
    path("<int:pk>/lost/", views.opportunity_lost, name="lost"),
    path("pipelines/", views.pipeline_list, name="pipelines"),
    path("pipelines/<int:pk>/", views.pipeline_edit, name="pipeline"),
    path("pipelines/<int:pk>/delete/", views.pipeline_delete, name="pipeline_delete"),
    path("stages/<int:pk>/", views.stage_edit, name="stage_edit"),
    re_path(
        r"^stages/(?P<pk>[0-9]+)/(?P<direction>up|down)/$", views.stage_move, name="stage_move"
    ),
    path("stages/<int:pk>/delete/", views.stage_delete, name="stage_delete"),
    *analytics_urlpatterns,
]
