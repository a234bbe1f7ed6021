from .analytics_urls import urlpatterns as analytics_urlpatterns

app_name = "sales"
urlpatterns = [
    *analytics_urlpatterns,
]
