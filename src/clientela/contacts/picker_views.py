"""The options endpoint of the contact and customer pickers (core.pickers), asked by htmx as the
user types: `?q=<words>&selected=<id>[&role=customer]`."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from clientela.core.pickers import picker_options, render_options

from .pickers import SOURCES


@login_required
@require_GET
def contact_picker_options(request):
    source = SOURCES.get(request.GET.get("role", ""))
    if source is None:
        return HttpResponseBadRequest("Unknown role.")
    options = picker_options(
        source, request.user, request.GET.get("q", ""), request.GET.get("selected")
    )
    # Rendered without the request: the page shell's context (the bell's count) is not needed.
    return HttpResponse(render_options(options, request.headers.get("HX-Target", "")))
