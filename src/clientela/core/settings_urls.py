from django.urls import path
from django.views.generic import TemplateView

app_name = "settings"
urlpatterns = [
    path("", TemplateView.as_view(template_name="core/settings_index.html"), name="index"),
]
