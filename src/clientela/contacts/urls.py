from django.urls import path

from . import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("new/", views.contact_list, name="create"),
    path("<int:pk>/", views.contact_detail, name="detail"),
]
