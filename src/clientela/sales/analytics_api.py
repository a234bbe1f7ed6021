"""API of the board and the forecast, registered in `core.api.register_routers`."""

from ninja import Router

router = Router(tags=["sales"])
