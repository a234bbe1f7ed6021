"""Pages of the board and the forecast, included by `sales/urls.py` (namespace `sales`)."""

from django.urls import path

from . import analytics_views as views

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/move/<int:pk>/", views.board_move, name="board_move"),
    path("board/column/<int:stage_pk>/", views.board_column, name="board_column"),
    path("forecast/", views.forecast, name="forecast"),
]
