from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from clientela.core.pagination import paginate

from .filters import ContactFilter
from .models import Contact
from .queries import contact_detail as load_contact
from .queries import contact_list as list_contacts


@login_required
def contact_list(request):
    filters, errors = ContactFilter.from_query(request.GET)
    page = paginate(list_contacts(request.user, filters), request.GET.get("offset", 0) or 0)
    return render(
        request, "contacts/list.html", {"page": page, "filters": filters, "filter_errors": errors}
    )


@login_required
def contact_detail(request, pk):
    try:
        contact = load_contact(request.user, pk)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "contacts/detail.html", {"contact": contact})
