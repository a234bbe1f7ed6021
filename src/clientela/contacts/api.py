"""The contacts API: thin endpoints that parse, call `services`, and serialise.

Reads go through `queries` and the access querysets, so a contact out of the caller's reach
answers 404 exactly like a missing one; writes the caller may not make answer 403."""

from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Path, Query, Router, Status, UploadedFile

from clientela.core import services as platform_services
from clientela.core.access import Action, get_for_user_or_404
from clientela.core.api import (
    MAX_ID,
    PageOut,
    PageParams,
    error_responses,
    if_match_version,
    page_out,
    set_etag,
)
from clientela.core.changelog import history_of, readable
from clientela.core.models import CustomField, Tag
from clientela.core.pagination import paginate

from . import services
from .exports import contacts_csv_response
from .filters import ContactFilter
from .models import CONTACT_ADMIN_LISTS, Contact, Customer, Supplier
from .queries import contact_detail, contact_list, people_of
from .schemas import (
    BulkIn,
    BulkOut,
    ContactIn,
    ContactOut,
    ContactPatch,
    ContactRowOut,
    CustomerCreateIn,
    CustomerOut,
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldPatch,
    DescribedItemIn,
    DescribedItemOut,
    DescribedItemPatch,
    HistoryEntryOut,
    ListItemIn,
    ListItemOut,
    ListItemPatch,
    PersonRowOut,
    PrimaryContactIn,
    RoleIn,
    SupplierCreateIn,
    SupplierOut,
    TagIn,
    TagOut,
    TagPatch,
    TemperatureIn,
    TemperatureOut,
    TemperaturePatch,
)

router = Router(tags=["contacts"])

# Fixed paths (export.csv, bulk) are declared before "/contacts/{contact_id}" so that they win;
# ids stay plain path segments so a malformed one is a JSON 422, not an HTML 404.

ContactId = Path(..., ge=1, le=MAX_ID, description="Contact id.")


def _visible_contact(request, contact_id: int) -> Contact:
    return get_for_user_or_404(Contact.objects, request.user, Action.VIEW, pk=contact_id)


def _contact_out(request, contact: Contact) -> Contact:
    """The contact as its detail representation loads it, in a fixed number of queries.

    After a write that took the contact out of the caller's reach (they removed themselves),
    the written instance is answered instead: the write did happen."""
    try:
        return contact_detail(request.user, contact.pk)
    except Contact.DoesNotExist:
        return contact


def _role_data(payload: RoleIn | None) -> dict:
    return payload.model_dump(exclude_none=True) if payload is not None else {}


# --- contacts ----------------------------------------------------------------------------------


@router.get(
    "/contacts",
    response={200: PageOut[ContactRowOut], **error_responses()},
    summary="List contacts",
)
def list_contacts(
    request: HttpRequest, filters: Query[ContactFilter], page: Query[PageParams]
) -> dict:
    """The contacts the caller may see, filtered and sorted. Follow `next_offset` to page on;
    ask `count=true` for the number of matches (it stops at a cap)."""
    result = paginate(contact_list(request.user, filters), page.offset, page.limit, page.count)
    return page_out(result, [ContactRowOut.row(contact) for contact in result.items])


@router.get(
    "/contacts/export.csv",
    response={200: None, **error_responses()},
    summary="Export contacts as CSV",
    openapi_extra={
        "responses": {200: {"description": "CSV", "content": {"text/csv": {"schema": {}}}}}
    },
)
def export_contacts(request: HttpRequest, filters: Query[ContactFilter]):
    """The same filters as the list; only contacts the caller may see."""
    return contacts_csv_response(request, filters)


@router.post(
    "/contacts/bulk",
    response={200: BulkOut, **error_responses(400, 403, 409)},
    summary="Act on many contacts at once",
)
def bulk_action(request: HttpRequest, payload: BulkIn) -> dict:
    """All or nothing: if any contact is out of reach or any input is bad, nothing changes."""
    user, ids = request.user, payload.ids
    if payload.action == "tag":
        count = services.bulk_add_tags(user, ids, payload.tags)
    elif payload.action == "assign_manager":
        count = services.bulk_assign_manager(user, ids, payload.manager_id)
    elif payload.action == "set_type":
        count = services.bulk_set_type(user, ids, payload.contact_type_id)
    else:
        count = services.bulk_delete(user, ids)
    return {"action": payload.action, "count": count}


@router.post(
    "/contacts",
    response={201: ContactOut, **error_responses(400)},
    summary="Create a contact",
)
def create_contact(request: HttpRequest, response: HttpResponse, payload: ContactIn):
    contact = services.create_contact(request.user, payload.model_dump(exclude_unset=True))
    set_etag(response, contact.version)
    return Status(201, _contact_out(request, contact))


@router.get(
    "/contacts/{contact_id}",
    response={200: ContactOut, **error_responses(404)},
    summary="Read a contact",
)
def read_contact(request: HttpRequest, response: HttpResponse, contact_id: int = ContactId):
    """The `ETag` header holds the version; send it back as `If-Match` when you update."""
    try:
        contact = contact_detail(request.user, contact_id)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc
    set_etag(response, contact.version)
    return contact


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, **error_responses(400, 403, 404, 409, 412)},
    summary="Update a contact",
)
def update_contact(
    request: HttpRequest, response: HttpResponse, payload: ContactPatch, contact_id: int = ContactId
):
    """Only the fields sent change. A stale `If-Match` answers 412, a stale `version` 409."""
    contact = _visible_contact(request, contact_id)
    data = payload.model_dump(exclude_unset=True)
    body_version = data.pop("version", None)
    expected = if_match_version(request)
    contact = services.update_contact(
        request.user, contact, data, expected if expected is not None else body_version
    )
    set_etag(response, contact.version)
    return _contact_out(request, contact)


@router.delete(
    "/contacts/{contact_id}",
    response={204: None, **error_responses(403, 404, 409)},
    summary="Delete a contact",
)
def delete_contact(request: HttpRequest, contact_id: int = ContactId):
    """409 with the reason when other records still refer to the contact."""
    services.delete_contact(request.user, _visible_contact(request, contact_id))
    return Status(204, None)


@router.put(
    "/contacts/{contact_id}/photo",
    response={200: ContactOut, **error_responses(400, 403, 404, 409, 412)},
    summary="Upload a contact's photo",
)
def set_photo(
    request: HttpRequest,
    response: HttpResponse,
    photo: File[UploadedFile],
    contact_id: int = ContactId,
):
    """Multipart upload in the `photo` field: JPEG, PNG or WebP, at most 1 MB."""
    contact = _visible_contact(request, contact_id)
    contact = services.set_contact_photo(request.user, contact, photo, if_match_version(request))
    set_etag(response, contact.version)
    return _contact_out(request, contact)


@router.delete(
    "/contacts/{contact_id}/photo",
    response={200: ContactOut, **error_responses(403, 404, 409, 412)},
    summary="Remove a contact's photo",
)
def remove_photo(request: HttpRequest, response: HttpResponse, contact_id: int = ContactId):
    contact = _visible_contact(request, contact_id)
    contact = services.set_contact_photo(request.user, contact, None, if_match_version(request))
    set_etag(response, contact.version)
    return _contact_out(request, contact)


@router.get(
    "/contacts/{contact_id}/history",
    response={200: PageOut[HistoryEntryOut], **error_responses(404)},
    summary="A contact's change history",
)
def contact_history(
    request: HttpRequest, page: Query[PageParams], contact_id: int = ContactId
) -> dict:
    """The contact's changes and those of its customer and supplier roles, newest first."""
    contact = _visible_contact(request, contact_id)
    entries = history_of(contact)
    for model in (Customer, Supplier):
        for role in model.objects.filter(contact=contact):
            entries = entries | history_of(role)
    result = paginate(entries.order_by("-at", "-id"), page.offset, page.limit, page.count)
    return page_out(result, readable(result.items, request.user))


@router.get(
    "/contacts/{contact_id}/people",
    response={200: PageOut[PersonRowOut], **error_responses(404)},
    summary="The people of a company",
)
def contact_people(
    request: HttpRequest, page: Query[PageParams], contact_id: int = ContactId
) -> dict:
    company = _visible_contact(request, contact_id)
    people = people_of(request.user, company).only(*PersonRowOut.model_fields)
    return page_out(paginate(people, page.offset, page.limit, page.count))


# --- customers, suppliers, leads -------------------------------------------------------------


def _role_of(request, model, contact_id: int):
    contact = _visible_contact(request, contact_id)
    role = model.objects.filter(contact=contact).select_related("contact").first()
    if role is None:
        raise Http404
    return role


@router.post(
    "/customers",
    response={201: ContactOut, **error_responses(400)},
    summary="Create a customer and its contact",
)
def create_customer(request: HttpRequest, response: HttpResponse, payload: CustomerCreateIn):
    """Creating a customer creates its contact, which holds its main address."""
    customer = services.create_customer(
        request.user,
        payload.contact.model_dump(exclude_unset=True),
        _role_data(payload.customer),
    )
    contact = _contact_out(request, customer.contact)
    set_etag(response, contact.version)
    return Status(201, contact)


@router.post(
    "/suppliers",
    response={201: ContactOut, **error_responses(400)},
    summary="Create a supplier and its contact",
)
def create_supplier(request: HttpRequest, response: HttpResponse, payload: SupplierCreateIn):
    supplier = services.create_supplier(
        request.user,
        payload.contact.model_dump(exclude_unset=True),
        _role_data(payload.supplier),
    )
    contact = _contact_out(request, supplier.contact)
    set_etag(response, contact.version)
    return Status(201, contact)


def _register_role_endpoints(name: str, model, out_schema):
    path = f"/contacts/{{contact_id}}/{name}"

    @router.get(
        path,
        response={200: out_schema, **error_responses(404)},
        summary=f"Read a contact's {name} data",
        operation_id=f"read_{name}",
    )
    def read_role(request: HttpRequest, response: HttpResponse, contact_id: int = ContactId):
        """The `ETag` header holds the version; send it back as `If-Match` when you update."""
        role = _role_of(request, model, contact_id)
        set_etag(response, role.version)
        return role

    @router.post(
        path,
        response={201: out_schema, **error_responses(400, 403, 404)},
        summary=f"Make a contact a {name}",
        operation_id=f"make_{name}",
    )
    def make_role(request: HttpRequest, payload: RoleIn, contact_id: int = ContactId):
        contact = _visible_contact(request, contact_id)
        make = services.make_customer if model is Customer else services.make_supplier
        return Status(201, make(request.user, contact, _role_data(payload)))

    @router.patch(
        path,
        response={200: out_schema, **error_responses(400, 403, 404, 409, 412)},
        summary=f"Change a contact's {name} data",
        operation_id=f"update_{name}",
    )
    def update_role(
        request: HttpRequest, response: HttpResponse, payload: RoleIn, contact_id: int = ContactId
    ):
        """Only the fields sent change. A stale `If-Match` answers 412, a stale `version` 409."""
        role = _role_of(request, model, contact_id)
        data = _role_data(payload)
        body_version = data.pop("version", None)
        expected = if_match_version(request)
        role = services.update_role(
            request.user, role, data, expected if expected is not None else body_version
        )
        set_etag(response, role.version)
        return role

    @router.delete(
        path,
        response={204: None, **error_responses(403, 404, 409)},
        summary=f"Remove the {name} role (the contact stays)",
        operation_id=f"remove_{name}",
    )
    def remove_role(request: HttpRequest, contact_id: int = ContactId):
        services.remove_role(request.user, _role_of(request, model, contact_id))
        return Status(204, None)


_register_role_endpoints("customer", Customer, CustomerOut)
_register_role_endpoints("supplier", Supplier, SupplierOut)


@router.post(
    "/contacts/{contact_id}/customer/primary-contact",
    response={200: CustomerOut, **error_responses(400, 403, 404)},
    summary="Make one of a customer's people its primary contact",
)
def set_primary_contact(
    request: HttpRequest, payload: PrimaryContactIn, contact_id: int = ContactId
):
    customer = _role_of(request, Customer, contact_id)
    person = _visible_contact(request, payload.contact_id)
    return services.set_primary_contact(request.user, customer, person)


@router.post(
    "/contacts/{contact_id}/convert-lead",
    response={201: CustomerOut, **error_responses(400, 403, 404)},
    summary="Convert a lead into a customer",
)
def convert_lead(request: HttpRequest, payload: RoleIn, contact_id: int = ContactId):
    contact = _visible_contact(request, contact_id)
    return Status(201, services.convert_lead(request.user, contact, _role_data(payload)))


# --- admin-edited lists ------------------------------------------------------------------------

ADMIN_LIST_SCHEMAS = {
    "contact-types": (ListItemIn, ListItemPatch, ListItemOut),
    "temperatures": (TemperatureIn, TemperaturePatch, TemperatureOut),
    "sources": (DescribedItemIn, DescribedItemPatch, DescribedItemOut),
    "interests": (DescribedItemIn, DescribedItemPatch, DescribedItemOut),
    "tags": (TagIn, TagPatch, TagOut),
    "custom-fields": (CustomFieldIn, CustomFieldPatch, CustomFieldOut),
}


LIST_MODELS = {**CONTACT_ADMIN_LISTS, "tags": Tag, "custom-fields": CustomField}


def _list_queryset(slug: str):
    if slug == "custom-fields":
        return CustomField.objects.filter(content_type=ContentType.objects.get_for_model(Contact))
    return LIST_MODELS[slug].objects.all()


def _register_admin_list(slug: str):
    in_schema, patch_schema, out_schema = ADMIN_LIST_SCHEMAS[slug]
    model = LIST_MODELS[slug]
    snake = slug.replace("-", "_")
    item_path = f"/{slug}/{{item_id}}"
    ItemId = Path(..., ge=1, le=MAX_ID)

    def item(item_id: int):
        return _list_item_or_404(_list_queryset(slug), item_id)

    def save(request, instance, data: dict):
        if slug == "tags":
            return platform_services.save_tag(request.user, instance, data)
        if slug == "custom-fields":
            return platform_services.save_custom_field(request.user, Contact, instance, data)
        return platform_services.save_list_item(request.user, model, instance, data)

    def delete(request, instance):
        if slug == "tags":
            return platform_services.delete_tag(request.user, instance)
        if slug == "custom-fields":
            return platform_services.delete_custom_field(request.user, instance)
        return platform_services.delete_list_item(request.user, instance)

    @router.get(
        f"/{slug}",
        response={200: list[out_schema], **error_responses()},
        summary=f"List {model._meta.verbose_name_plural}",
        operation_id=f"list_{snake}",
        tags=["settings"],
    )
    def list_items(request: HttpRequest):
        return list(_list_queryset(slug))

    @router.post(
        f"/{slug}",
        response={201: out_schema, **error_responses(400, 403)},
        summary=f"Create a {model._meta.verbose_name} (admins)",
        operation_id=f"create_{snake}",
        tags=["settings"],
    )
    def create_item(request: HttpRequest, payload: in_schema):
        return Status(201, save(request, None, payload.model_dump()))

    @router.get(
        item_path,
        response={200: out_schema, **error_responses(404)},
        summary=f"Read a {model._meta.verbose_name}",
        operation_id=f"read_{snake}",
        tags=["settings"],
    )
    def read_item(request: HttpRequest, item_id: int = ItemId):
        return item(item_id)

    @router.patch(
        item_path,
        response={200: out_schema, **error_responses(400, 403, 404)},
        summary=f"Change a {model._meta.verbose_name} (admins)",
        operation_id=f"update_{snake}",
        tags=["settings"],
    )
    def update_item(request: HttpRequest, payload: patch_schema, item_id: int = ItemId):
        # A field sent as null is left as it is: none of these may be empty.
        return save(
            request, item(item_id), payload.model_dump(exclude_unset=True, exclude_none=True)
        )

    @router.delete(
        item_path,
        response={204: None, **error_responses(403, 404, 409)},
        summary=f"Delete a {model._meta.verbose_name} (admins)",
        operation_id=f"delete_{snake}",
        tags=["settings"],
    )
    def delete_item(request: HttpRequest, item_id: int = ItemId):
        delete(request, item(item_id))
        return Status(204, None)


def _list_item_or_404(queryset, pk: int):
    """Admin lists are readable by every CRM user; only writes are restricted (by the service)."""
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


for _slug in ADMIN_LIST_SCHEMAS:
    _register_admin_list(_slug)
