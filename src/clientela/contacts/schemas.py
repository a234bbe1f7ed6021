"""What the contacts API reads and writes. Limits mirror the model so bad input is a 4xx."""

from datetime import datetime
from typing import Any, Literal

from django.contrib.contenttypes.models import ContentType
from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from clientela.core.api import MAX_VERSION, RecordId, text
from clientela.core.changelog import read_changes

from .models import ContactAddress, ContactEmail, ContactPhone, ContactWebsite

Name = text(100)
ShortText = text(250)
LongText = text(10_000)
CustomFieldKey = text(50, min_length=1)
CustomFieldValue = bool | int | float | text(1_000) | None


def _choices(model_choices) -> Any:
    return Literal[tuple(model_choices.values)]  # type: ignore[valid-type]


# --- references shown inside records -----------------------------------------------------------
# Plain pydantic models read by attribute: validated in pydantic's core, without the per-field
# Python of ninja's Schema, which a 50-row list would pay hundreds of times.


class PlainOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Ref(PlainOut):
    id: int
    name: str


class ContactRef(PlainOut):
    id: int
    display_name: str


class TagOut(PlainOut):
    id: int
    name: str
    color: str


class TemperatureRef(PlainOut):
    id: int
    name: str
    color: str


class UserRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(user) -> str:
        return user.get_full_name() or user.email


# --- repeated rows -------------------------------------------------------------------------


class EmailIn(Schema):
    email: text(254)
    kind: _choices(ContactEmail.Kind) = ContactEmail.Kind.WORK.value


class PhoneIn(Schema):
    number: text(40)
    kind: _choices(ContactPhone.Kind) = ContactPhone.Kind.MOBILE.value


class WebsiteIn(Schema):
    url: text(300)
    kind: _choices(ContactWebsite.Kind) = ContactWebsite.Kind.WEBSITE.value


class AddressIn(Schema):
    kind: _choices(ContactAddress.Kind) = ContactAddress.Kind.BILLING.value
    street: text(200) = ""
    city: text(100) = ""
    postal_code: text(20) = ""
    region: text(100) = ""
    country: text(100) = ""
    is_main: bool = False


class EmailOut(Schema):
    email: str
    kind: str


class PhoneOut(Schema):
    number: str
    kind: str


class WebsiteOut(Schema):
    url: str
    kind: str


class AddressOut(Schema):
    id: int
    kind: str
    street: str
    city: str
    postal_code: str
    region: str
    country: str
    is_main: bool


# --- customers and suppliers -----------------------------------------------------------------


class RoleIn(Schema):
    code: text(30) | None = Field(None, description="Left empty, the next free code is given.")
    tax_id: text(40) | None = None
    payment_terms: text(100) | None = None
    notes: LongText | None = None
    version: int | None = Field(
        None, ge=1, le=MAX_VERSION, description="On update: the version read (409 if stale)."
    )


class RoleOut(Schema):
    id: int
    contact_id: int
    code: str
    tax_id: str
    payment_terms: str
    notes: str
    created_at: datetime
    version: int


class CustomerOut(RoleOut):
    primary_contact_id: int | None


class SupplierOut(RoleOut):
    pass


class PrimaryContactIn(Schema):
    contact_id: RecordId


# --- contacts --------------------------------------------------------------------------------


class ContactWrite(Schema):
    """Fields shared by create and update; on update, only the fields sent change."""

    kind: Literal["person", "company"] = "person"
    first_name: Name = ""
    last_name: Name = ""
    company_name: text(200) = ""
    company_id: RecordId | None = Field(None, description="The company a person belongs to.")
    position: Name = ""
    description: LongText = ""
    currency: text(3) = Field("EUR", description="ISO 4217 code, e.g. EUR.")
    contact_type_id: RecordId | None = None
    temperature_id: RecordId | None = None
    source_id: RecordId | None = None
    interest_ids: list[RecordId] = Field(default_factory=list, max_length=200)
    tags: list[text(60)] = Field(
        default_factory=list, max_length=200, description="Tag names; missing ones are created."
    )
    is_lead: bool = False
    access: Literal["private", "public_read", "public_write"] = "private"
    manager_ids: list[RecordId] = Field(
        default_factory=list, max_length=200, description="Defaults to the creator."
    )
    shared_user_ids: list[RecordId] = Field(default_factory=list, max_length=200)
    shared_team_ids: list[RecordId] = Field(default_factory=list, max_length=200)
    emails: list[EmailIn] = Field(default_factory=list, max_length=50)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=50)
    websites: list[WebsiteIn] = Field(default_factory=list, max_length=50)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=50)
    custom_fields: dict[CustomFieldKey, CustomFieldValue] = Field(
        default_factory=dict, max_length=100
    )


class ContactIn(ContactWrite):
    pass


class ContactPatch(Schema):
    """Only the fields sent change. `version` (or an `If-Match` header) refuses stale edits."""

    version: int | None = Field(None, ge=1, le=MAX_VERSION)
    kind: Literal["person", "company"] | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    company_name: text(200) | None = None
    company_id: RecordId | None = None
    position: Name | None = None
    description: LongText | None = None
    currency: text(3) | None = None
    contact_type_id: RecordId | None = None
    temperature_id: RecordId | None = None
    source_id: RecordId | None = None
    interest_ids: list[RecordId] | None = Field(None, max_length=200)
    tags: list[text(60)] | None = Field(None, max_length=200)
    is_lead: bool | None = None
    access: Literal["private", "public_read", "public_write"] | None = None
    manager_ids: list[RecordId] | None = Field(None, max_length=200)
    shared_user_ids: list[RecordId] | None = Field(None, max_length=200)
    shared_team_ids: list[RecordId] | None = Field(None, max_length=200)
    emails: list[EmailIn] | None = Field(None, max_length=50)
    phones: list[PhoneIn] | None = Field(None, max_length=50)
    websites: list[WebsiteIn] | None = Field(None, max_length=50)
    addresses: list[AddressIn] | None = Field(None, max_length=50)
    custom_fields: dict[CustomFieldKey, CustomFieldValue] | None = Field(None, max_length=100)


class ContactRowOut(PlainOut):
    """A contact as a list row shows it."""

    id: int
    kind: str
    display_name: str
    primary_email: str
    primary_phone: str
    position: str
    access: str
    is_lead: bool
    photo_url: str | None
    contact_type: Ref | None
    temperature: TemperatureRef | None
    company: ContactRef | None
    tags: list[TagOut]
    customer_code: str | None
    supplier_code: str | None
    created_at: datetime
    version: int

    @staticmethod
    def row(contact) -> dict:
        """What the row shows of a contact loaded by `queries.contact_list`."""
        return {
            "id": contact.pk,
            "kind": contact.kind,
            "display_name": contact.display_name,
            "primary_email": contact.primary_email,
            "primary_phone": contact.primary_phone,
            "position": contact.position,
            "access": contact.access,
            "is_lead": contact.is_lead,
            "photo_url": contact.photo.url if contact.photo else None,
            "contact_type": contact.contact_type_id
            and {"id": contact.contact_type_id, "name": contact.type_name},
            "temperature": contact.temperature_id
            and {
                "id": contact.temperature_id,
                "name": contact.temperature_name,
                "color": contact.temperature_color,
            },
            "company": contact.company,
            "tags": contact.tag_list,
            "customer_code": contact.customer_code,
            "supplier_code": contact.supplier_code,
            "created_at": contact.created_at,
            "version": contact.version,
        }


class ContactOut(Schema):
    """A contact with everything its page shows."""

    id: int
    kind: str
    first_name: str
    last_name: str
    company_name: str
    display_name: str
    company: ContactRef | None
    position: str
    description: str
    photo_url: str | None
    currency: str
    contact_type: Ref | None
    temperature: TemperatureRef | None
    source: Ref | None
    interests: list[Ref]
    tags: list[TagOut]
    is_lead: bool
    access: str
    managers: list[UserRef]
    shared_users: list[UserRef]
    shared_teams: list[Ref]
    emails: list[EmailOut]
    phones: list[PhoneOut]
    websites: list[WebsiteOut]
    addresses: list[AddressOut]
    custom_fields: dict[str, Any]
    customer: CustomerOut | None
    supplier: SupplierOut | None
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_photo_url(contact) -> str | None:
        return contact.photo.url if contact.photo else None

    @staticmethod
    def resolve_customer(contact):
        return getattr(contact, "customer", None)

    @staticmethod
    def resolve_supplier(contact):
        return getattr(contact, "supplier", None)

    @staticmethod
    def resolve_interests(contact):
        return list(contact.interests.all())

    @staticmethod
    def resolve_tags(contact):
        return list(contact.tags.all())

    @staticmethod
    def resolve_managers(contact):
        return list(contact.managers.all())

    @staticmethod
    def resolve_shared_users(contact):
        return list(contact.shared_users.all())

    @staticmethod
    def resolve_shared_teams(contact):
        return list(contact.shared_teams.all())

    @staticmethod
    def resolve_emails(contact):
        return list(contact.emails.all())

    @staticmethod
    def resolve_phones(contact):
        return list(contact.phones.all())

    @staticmethod
    def resolve_websites(contact):
        return list(contact.websites.all())

    @staticmethod
    def resolve_addresses(contact):
        return list(contact.addresses.all())


class PersonRowOut(Schema):
    """One of a company's people."""

    id: int
    display_name: str
    position: str
    primary_email: str
    primary_phone: str
    access: str


class ChangeOut(Schema):
    field: str
    before: Any
    after: Any


class HistoryEntryOut(Schema):
    id: int
    record: str = Field(description="What changed: contact, customer or supplier.")
    action: str
    actor: UserRef | None
    at: datetime
    changes: list[ChangeOut]

    @staticmethod
    def resolve_record(entry) -> str:
        return ContentType.objects.get_for_id(entry.content_type_id).model

    @staticmethod
    def resolve_changes(entry):
        return [
            {"field": name, "before": before, "after": after}
            for name, before, after in read_changes(entry)
        ]


class CustomerCreateIn(Schema):
    contact: ContactIn
    customer: RoleIn = Field(default_factory=RoleIn)


class SupplierCreateIn(Schema):
    contact: ContactIn
    supplier: RoleIn = Field(default_factory=RoleIn)


# --- bulk actions ------------------------------------------------------------------------------


class BulkIn(Schema):
    action: Literal["tag", "assign_manager", "set_type", "delete"]
    ids: list[RecordId] = Field(min_length=1, max_length=1000)
    tags: list[text(60)] = Field(default_factory=list, max_length=50, description="For `tag`.")
    manager_id: RecordId | None = Field(None, description="For `assign_manager`.")
    contact_type_id: RecordId | None = Field(
        None, description="For `set_type`; null makes the type unspecified."
    )


class BulkOut(Schema):
    action: str
    count: int


# --- admin-edited lists ------------------------------------------------------------------------


class ListItemIn(Schema):
    name: text(100, min_length=1)
    position: int = Field(0, ge=0, le=MAX_VERSION)


class ListItemPatch(Schema):
    name: text(100, min_length=1) | None = None
    position: int | None = Field(None, ge=0, le=MAX_VERSION)


class ListItemOut(Schema):
    id: int
    name: str
    position: int


class TemperatureIn(ListItemIn):
    color: str = Field("#6c757d", pattern=r"^#[0-9a-fA-F]{6}$")


class TemperaturePatch(ListItemPatch):
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")


class TemperatureOut(ListItemOut):
    color: str


class DescribedItemIn(ListItemIn):
    description: text(250) = ""


class DescribedItemPatch(ListItemPatch):
    description: text(250) | None = None


class DescribedItemOut(ListItemOut):
    description: str


class TagIn(Schema):
    name: text(60, min_length=1)
    color: str = Field("#6c757d", pattern=r"^#[0-9a-fA-F]{6}$")


class TagPatch(Schema):
    name: text(60, min_length=1) | None = None
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")


class CustomFieldIn(Schema):
    key: str = Field(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    label: text(100, min_length=1)
    field_type: Literal["text", "number", "date", "boolean", "choice", "url"]
    choices: list[text(100, min_length=1)] = Field(default_factory=list, max_length=100)
    required: bool = False
    position: int = Field(0, ge=0, le=MAX_VERSION)


class CustomFieldPatch(Schema):
    label: text(100, min_length=1) | None = None
    choices: list[text(100, min_length=1)] | None = Field(None, max_length=100)
    required: bool | None = None
    position: int | None = Field(None, ge=0, le=MAX_VERSION)


class CustomFieldOut(Schema):
    id: int
    key: str
    label: str
    field_type: str
    choices: list[Any]
    required: bool
    position: int
