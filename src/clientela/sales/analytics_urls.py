"""Pages of the board and the forecast, included by `sales/urls.py` (namespace `sales`)."""

urlpatterns = []
