"""Every write to contacts, customers, suppliers and their lists goes through here.

A service validates, saves, writes the change log and schedules side effects after commit.
Errors are `ValidationError` keyed by field name, `ConflictError` for a stale version,
`ProtectedError` when other records still refer to the contact, or `Http404` when the actor
may not reach a record it names."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.db.models.deletion import Collector, RestrictedError
from django.db.models.deletion import ProtectedError as DjangoProtectedError
from django.utils.translation import gettext as _

from clientela.accounts.models import Team, User
from clientela.core.access import AccessLevel, Action, can
from clientela.core.changelog import record_change, snapshot
from clientela.core.custom_fields import clean_custom_fields
from clientela.core.errors import ProtectedError
from clientela.core.folding import fold
from clientela.core.money import CURRENCIES
from clientela.core.tags import tags_by_name
from clientela.core.versioning import bump_version
from clientela.mail.kinds import ACCESS_GRANTED, CONTACT_ASSIGNED
from clientela.mail.services import notify

from .models import (
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactType,
    ContactWebsite,
    Customer,
    Interest,
    Source,
    Supplier,
    Temperature,
)
from .photos import prepare_photo

SCALAR_FIELDS = (
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "position",
    "description",
    "currency",
    "is_lead",
    "access",
)
LIST_FIELDS = {
    "contact_type_id": ContactType,
    "temperature_id": Temperature,
    "source_id": Source,
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _check_choices(errors, field, value, choices):
    if value not in dict(choices):
        errors[field] = [_("“%(value)s” is not a valid choice.") % {"value": value}]


def _clean_scalars(actor, contact: Contact, data: dict, errors: dict):
    for name in SCALAR_FIELDS:
        if name in data:
            setattr(contact, name, _strip(data[name]) if data[name] is not None else "")
    if "is_lead" in data:
        contact.is_lead = bool(data["is_lead"])
    _check_choices(errors, "kind", contact.kind, Contact.Kind.choices)
    _check_choices(errors, "access", contact.access, AccessLevel.choices)
    contact.currency = (contact.currency or "").upper()
    if contact.currency not in CURRENCIES:
        errors["currency"] = [_("Unknown currency “%(code)s”.") % {"code": contact.currency}]
    if contact.kind == Contact.Kind.PERSON:
        if not contact.first_name:
            errors["first_name"] = [_("A person needs a first name.")]
        if not contact.last_name:
            errors["last_name"] = [_("A person needs a last name.")]
    elif contact.kind == Contact.Kind.COMPANY and not contact.company_name:
        errors["company_name"] = [_("A company needs a name.")]
    for name, model in LIST_FIELDS.items():
        if name in data:
            value = data[name] or None
            if value is not None and not model.objects.filter(pk=value).exists():
                errors[name] = [
                    _("There is no such %(what)s.") % {"what": model._meta.verbose_name}
                ]
            setattr(contact, name, value)
    if "company_id" in data:
        company_id = data["company_id"] or None
        if company_id is not None:
            if contact.kind == Contact.Kind.COMPANY:
                errors["company_id"] = [_("A company cannot belong to another company.")]
            elif (contact.pk and int(company_id) == contact.pk) or (
                # A person keeps their company as it was even if the actor may not see it.
                int(company_id) != contact.company_id
                and not Contact.objects.filter(pk=company_id, kind=Contact.Kind.COMPANY)
                .visible_to(actor)
                .exists()
            ):
                errors["company_id"] = [_("There is no such company.")]
        contact.company_id = company_id
    for field in ("first_name", "last_name", "company_name", "position"):
        max_length = Contact._meta.get_field(field).max_length
        if len(getattr(contact, field) or "") > max_length:
            errors[field] = [_("At most %(n)d characters.") % {"n": max_length}]


def _clean_rows(data: dict, errors: dict) -> dict:
    """Validate the repeated rows (emails, phones, websites, addresses) that `data` replaces."""
    rows = {}
    email_validator, url_validator = EmailValidator(), URLValidator()
    if "emails" in data:
        rows["emails"] = []
        for i, item in enumerate(data["emails"] or []):
            email = (item.get("email") or "").strip().lower()
            kind = item.get("kind") or ContactEmail.Kind.WORK
            try:
                email_validator(email)
            except ValidationError:
                errors[f"emails.{i}.email"] = [
                    _("“%(value)s” is not an email address.") % {"value": email}
                ]
            _check_choices(errors, f"emails.{i}.kind", kind, ContactEmail.Kind.choices)
            rows["emails"].append(ContactEmail(email=email, kind=kind, position=i))
    if "phones" in data:
        rows["phones"] = []
        for i, item in enumerate(data["phones"] or []):
            number = " ".join((item.get("number") or "").split())
            kind = item.get("kind") or ContactPhone.Kind.MOBILE
            if not number or len(number) > 40 or not any(c.isdigit() for c in number):
                errors[f"phones.{i}.number"] = [
                    _("“%(value)s” is not a phone number.") % {"value": number}
                ]
            _check_choices(errors, f"phones.{i}.kind", kind, ContactPhone.Kind.choices)
            rows["phones"].append(ContactPhone(number=number, kind=kind, position=i))
    if "websites" in data:
        rows["websites"] = []
        for i, item in enumerate(data["websites"] or []):
            url = (item.get("url") or "").strip()
            if url and "://" not in url:
                url = "https://" + url
            kind = item.get("kind") or ContactWebsite.Kind.WEBSITE
            try:
                url_validator(url)
            except ValidationError:
                errors[f"websites.{i}.url"] = [
                    _("“%(value)s” is not a web address.") % {"value": url}
                ]
            _check_choices(errors, f"websites.{i}.kind", kind, ContactWebsite.Kind.choices)
            rows["websites"].append(ContactWebsite(url=url, kind=kind, position=i))
    if "addresses" in data:
        rows["addresses"] = []
        for i, item in enumerate(data["addresses"] or []):
            address = ContactAddress(
                kind=item.get("kind") or ContactAddress.Kind.BILLING,
                **{
                    f: _strip(item.get(f) or "")
                    for f in ("street", "city", "postal_code", "region", "country")
                },
                is_main=bool(item.get("is_main")),
            )
            _check_choices(errors, f"addresses.{i}.kind", address.kind, ContactAddress.Kind.choices)
            if not any([address.street, address.city, address.postal_code, address.country]):
                errors[f"addresses.{i}"] = [
                    _("An address needs at least a street, city, postal code or country.")
                ]
            rows["addresses"].append(address)
        if rows["addresses"] and not any(a.is_main for a in rows["addresses"]):
            rows["addresses"][0].is_main = True
        if sum(a.is_main for a in rows["addresses"]) > 1:
            errors["addresses"] = [_("Only one address can be the main one.")]
    return rows


def _save_rows(contact: Contact, rows: dict):
    related = {
        "emails": ContactEmail,
        "phones": ContactPhone,
        "websites": ContactWebsite,
        "addresses": ContactAddress,
    }
    for name, items in rows.items():
        model = related[name]
        model.objects.filter(contact=contact).delete()
        for item in items:
            item.contact = contact
        model.objects.bulk_create(items)


def _refresh_denormalised(contact: Contact) -> list[str]:
    """Recompute the name, primary email/phone and search text; return the changed fields."""
    emails = list(contact.emails.values_list("email", flat=True)) if contact.pk else []
    phones = list(contact.phones.values_list("number", flat=True)) if contact.pk else []
    values = {
        "display_name": contact.compute_display_name(),
        "primary_email": emails[0] if emails else "",
        "primary_phone": phones[0] if phones else "",
    }
    values["name_key"] = Contact.name_key_of(values["display_name"])
    # A person's company is left out: it may be a company the searcher may not see.
    values["search_text"] = fold(
        " ".join(
            [
                values["display_name"],
                *emails,
                *phones,
                *["".join(c for c in p if c.isdigit()) for p in phones],
            ]
        )
    )
    changed = [k for k, v in values.items() if getattr(contact, k) != v]
    for key in changed:
        setattr(contact, key, values[key])
    return changed


def _users(ids, field, errors) -> list[User]:
    ids = [int(i) for i in ids or []]
    users = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(users) != len(set(ids)):
        errors[field] = [_("One of the chosen users does not exist or is inactive.")]
    return users


def _teams(ids, errors) -> list[Team]:
    ids = [int(i) for i in ids or []]
    teams = list(Team.objects.filter(pk__in=ids))
    if len(teams) != len(set(ids)):
        errors["shared_team_ids"] = [_("One of the chosen teams does not exist.")]
    return teams


def _apply_relations(actor, contact: Contact, data: dict, errors: dict) -> dict:
    """Validate the many-to-many parts of `data`; return what to set once the contact is saved."""
    relations = {}
    if "manager_ids" in data:
        relations["managers"] = _users(data["manager_ids"], "manager_ids", errors)
        if not relations["managers"]:
            errors["manager_ids"] = [_("A contact needs at least one manager.")]
    if "shared_user_ids" in data:
        relations["shared_users"] = _users(data["shared_user_ids"], "shared_user_ids", errors)
    if "shared_team_ids" in data:
        relations["shared_teams"] = _teams(data["shared_team_ids"], errors)
    if "interest_ids" in data:
        ids = {int(i) for i in data["interest_ids"] or []}
        relations["interests"] = list(Interest.objects.filter(pk__in=ids))
        if len(relations["interests"]) != len(ids):
            errors["interest_ids"] = [_("One of the chosen interests does not exist.")]
    if "tags" in data:
        try:
            relations["tags"] = tags_by_name(data["tags"])
        except ValidationError as exc:
            errors.update({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    return relations


def _notify_new_managers(actor, contact: Contact, users):
    for user in users:
        if user.pk == getattr(actor, "pk", None):
            continue
        notify(
            user,
            CONTACT_ASSIGNED.key,
            {"name": contact.display_name},
            url=contact.get_absolute_url(),
        )


def _notify_shared(actor, contact: Contact, users):
    for user in users:
        if user.pk == getattr(actor, "pk", None):
            continue
        notify(
            user,
            ACCESS_GRANTED.key,
            {"name": contact.display_name},
            url=contact.get_absolute_url(),
        )


def _require_user(actor):
    if not (actor and actor.is_authenticated and actor.is_active):
        raise PermissionDenied


@transaction.atomic
def create_contact(actor, data: dict) -> Contact:
    """Create a person or a company. Managers default to the creator."""
    _require_user(actor)
    data.setdefault("manager_ids", [actor.pk])
    contact = Contact(created_by=actor)
    errors: dict = {}
    _clean_scalars(actor, contact, data, errors)
    rows = _clean_rows(data, errors)
    relations = _apply_relations(actor, contact, data, errors)
    try:
        contact.custom_fields = clean_custom_fields(Contact, data.get("custom_fields"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    _refresh_denormalised(contact)
    contact.save()
    _save_rows(contact, rows)
    for name, values in relations.items():
        getattr(contact, name).set(values)
    if _refresh_denormalised(contact):
        contact.save(
            update_fields=[
                "display_name",
                "name_key",
                "primary_email",
                "primary_phone",
                "search_text",
            ]
        )
    if contact.company_id:
        ensure_primary_contact(contact.company)
    record_change(actor, contact, "create", None, snapshot(contact))
    _notify_new_managers(actor, contact, relations.get("managers", []))
    _notify_shared(actor, contact, relations.get("shared_users", []))
    return contact


@transaction.atomic
def update_contact(
    actor, contact: Contact, data: dict, expected_version: int | None = None
) -> Contact:
    """Change the fields present in `data`; refuse a stale `expected_version`."""
    _require_user(actor)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if not can(actor, Action.CHANGE, contact):
        raise PermissionDenied(_("You may not change this contact."))
    if {"manager_ids", "shared_user_ids", "shared_team_ids", "access"} & set(data) and not can(
        actor, Action.DELETE, contact
    ):
        raise PermissionDenied(_("Only the contact's managers can change who has access."))
    before = snapshot(contact)
    old_company_id = contact.company_id
    old_managers = set(contact.managers.values_list("pk", flat=True))
    old_shared = set(contact.shared_users.values_list("pk", flat=True))
    errors: dict = {}
    _clean_scalars(actor, contact, data, errors)
    rows = _clean_rows(data, errors)
    relations = _apply_relations(actor, contact, data, errors)
    if "custom_fields" in data:
        try:
            contact.custom_fields = clean_custom_fields(
                Contact, data["custom_fields"], existing=contact.custom_fields
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if contact.kind == Contact.Kind.COMPANY and contact.company_id:
        errors["kind"] = [_("A person who belongs to a company cannot become a company.")]
    if contact.kind == Contact.Kind.PERSON and contact.people.exists():
        errors["kind"] = [_("A company with people cannot become a person.")]
    if data.get("is_lead") and Customer.objects.filter(contact=contact).exists():
        errors["is_lead"] = [_("A customer cannot be a lead.")]
    if errors:
        raise ValidationError(errors)
    _save_rows(contact, rows)
    for name, values in relations.items():
        getattr(contact, name).set(values)
    _refresh_denormalised(contact)
    fields = [
        f.name
        for f in Contact._meta.concrete_fields
        if not f.primary_key
        and f.name not in ("created_at", "created_by", "version", "updated_at", "photo")
    ]
    bump_version(contact, expected_version, fields)
    if old_company_id != contact.company_id:
        for company in Contact.objects.filter(pk__in=[old_company_id, contact.company_id]):
            ensure_primary_contact(company)
    record_change(actor, contact, "update", before, snapshot(contact))
    if "managers" in relations:
        _notify_new_managers(
            actor, contact, [u for u in relations["managers"] if u.pk not in old_managers]
        )
    if "shared_users" in relations:
        _notify_shared(
            actor, contact, [u for u in relations["shared_users"] if u.pk not in old_shared]
        )
    return contact


@transaction.atomic
def set_contact_photo(
    actor, contact: Contact, upload, expected_version: int | None = None
) -> Contact:
    _require_user(actor)
    if not can(actor, Action.CHANGE, contact):
        raise PermissionDenied
    before = snapshot(contact)
    old = contact.photo.name if contact.photo else None
    if upload is None:
        contact.photo = ""
    else:
        photo = prepare_photo(upload)
        contact.photo.save(photo.name, photo, save=False)
    bump_version(contact, expected_version, ["photo"])
    record_change(actor, contact, "update", before, snapshot(contact))
    if old:
        storage = contact.photo.storage
        transaction.on_commit(lambda: storage.delete(old))
    return contact


def references_to(contact: Contact) -> list[str]:
    """What still refers to `contact` and protects it from deletion, as readable phrases."""
    collector = Collector(using="default")
    try:
        collector.collect([contact])
    except (DjangoProtectedError, RestrictedError) as exc:
        by_model: dict = {}
        objects = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", [])
        for obj in objects:
            by_model.setdefault(obj._meta.verbose_name_plural, []).append(str(obj))
        return [f"{label}: {', '.join(sorted(names)[:5])}" for label, names in by_model.items()]
    return []


@transaction.atomic
def delete_contact(actor, contact: Contact):
    _require_user(actor)
    if not can(actor, Action.DELETE, contact):
        raise PermissionDenied(_("Only the contact's managers can delete it."))
    references = references_to(contact)
    if references:
        raise ProtectedError(
            _("%(name)s cannot be deleted while other records refer to it: %(refs)s.")
            % {"name": contact.display_name, "refs": "; ".join(references)}
        )
    record_change(actor, contact, "delete", snapshot(contact), None)
    photo = contact.photo.name if contact.photo else None
    storage = contact.photo.storage
    company = contact.company
    contact.delete()
    if company is not None:
        ensure_primary_contact(company)
    if photo:
        transaction.on_commit(lambda: storage.delete(photo))


# --- bulk actions: all or nothing --------------------------------------------------------


def _bulk_targets(actor, contact_ids, action=Action.CHANGE):
    ids = {int(i) for i in contact_ids}
    contacts = list(Contact.objects.filter(pk__in=ids).restrict(actor, action))
    if len(contacts) != len(ids):
        raise PermissionDenied(
            _("Some of the selected contacts are out of your reach; nothing was changed.")
        )
    return contacts


@transaction.atomic
def bulk_add_tags(actor, contact_ids, tag_names) -> int:
    _require_user(actor)
    tags = tags_by_name(tag_names)
    if not tags:
        raise ValidationError({"tags": _("Choose at least one tag.")})
    contacts = _bulk_targets(actor, contact_ids)
    for contact in contacts:
        before = snapshot(contact)
        contact.tags.add(*tags)
        bump_version(contact, None, [])
        record_change(actor, contact, "update", before, snapshot(contact))
    return len(contacts)


@transaction.atomic
def bulk_assign_manager(actor, contact_ids, manager_id) -> int:
    _require_user(actor)
    manager = User.objects.filter(pk=manager_id, is_active=True).first()
    if manager is None:
        raise ValidationError({"manager_id": _("Choose an active user.")})
    contacts = _bulk_targets(actor, contact_ids, Action.DELETE)
    for contact in contacts:
        before = snapshot(contact)
        already = contact.managers.filter(pk=manager.pk).exists()
        contact.managers.add(manager)
        bump_version(contact, None, [])
        record_change(actor, contact, "update", before, snapshot(contact))
        if not already:
            _notify_new_managers(actor, contact, [manager])
    return len(contacts)


@transaction.atomic
def bulk_set_type(actor, contact_ids, contact_type_id) -> int:
    _require_user(actor)
    if contact_type_id and not ContactType.objects.filter(pk=contact_type_id).exists():
        raise ValidationError({"contact_type_id": _("There is no such contact type.")})
    contacts = _bulk_targets(actor, contact_ids)
    for contact in contacts:
        before = snapshot(contact)
        contact.contact_type_id = contact_type_id or None
        bump_version(contact, None, ["contact_type"])
        record_change(actor, contact, "update", before, snapshot(contact))
    return len(contacts)


@transaction.atomic
def bulk_delete(actor, contact_ids) -> int:
    _require_user(actor)
    contacts = _bulk_targets(actor, contact_ids, Action.DELETE)
    for contact in contacts:
        delete_contact(actor, contact)
    return len(contacts)


# --- customers, suppliers, leads -----------------------------------------------------------


def _next_code(model, prefix: str) -> str:
    last = (
        model.objects.filter(code__startswith=prefix)
        .order_by("-id")
        .values_list("code", flat=True)
        .first()
    )
    number = 1
    if last and last[len(prefix) :].isdigit():
        number = int(last[len(prefix) :]) + 1
    while model.objects.filter(code=f"{prefix}{number:05d}").exists():
        number += 1
    return f"{prefix}{number:05d}"


def _role_fields(role, data: dict, errors: dict):
    for name in ("code", "tax_id", "payment_terms", "notes"):
        if name in data and data[name] is not None:
            setattr(role, name, _strip(data[name]))
    for name in ("code", "tax_id", "payment_terms"):
        max_length = type(role)._meta.get_field(name).max_length
        if len(getattr(role, name) or "") > max_length:
            errors[name] = [_("At most %(n)d characters.") % {"n": max_length}]


@transaction.atomic
def make_customer(actor, contact: Contact, data: dict | None = None) -> Customer:
    """Give `contact` the customer role; a lead stops being a lead (it has been converted)."""
    _require_user(actor)
    if not can(actor, Action.CHANGE, contact):
        raise PermissionDenied
    if Customer.objects.filter(contact=contact).exists():
        raise ValidationError(
            {"contact_id": _("%(name)s is already a customer.") % {"name": contact}}
        )
    data = data or {}
    errors: dict = {}
    customer = Customer(contact=contact)
    _role_fields(customer, data, errors)
    if not customer.code:
        customer.code = _next_code(Customer, "C")
    elif Customer.objects.filter(code=customer.code).exists():
        errors["code"] = [_("Another customer has the code %(code)s.") % {"code": customer.code}]
    if errors:
        raise ValidationError(errors)
    if contact.is_company:
        customer.primary_contact = contact.people.order_by("created_at", "id").first()
    customer.save()
    record_change(actor, customer, "create", None, snapshot(customer))
    if contact.is_lead:
        before = snapshot(contact)
        contact.is_lead = False
        bump_version(contact, None, ["is_lead"])
        record_change(actor, contact, "update", before, snapshot(contact))
    return customer


@transaction.atomic
def make_supplier(actor, contact: Contact, data: dict | None = None) -> Supplier:
    _require_user(actor)
    if not can(actor, Action.CHANGE, contact):
        raise PermissionDenied
    if Supplier.objects.filter(contact=contact).exists():
        raise ValidationError(
            {"contact_id": _("%(name)s is already a supplier.") % {"name": contact}}
        )
    data = data or {}
    errors: dict = {}
    supplier = Supplier(contact=contact)
    _role_fields(supplier, data, errors)
    if not supplier.code:
        supplier.code = _next_code(Supplier, "S")
    elif Supplier.objects.filter(code=supplier.code).exists():
        errors["code"] = [_("Another supplier has the code %(code)s.") % {"code": supplier.code}]
    if errors:
        raise ValidationError(errors)
    supplier.save()
    record_change(actor, supplier, "create", None, snapshot(supplier))
    return supplier


@transaction.atomic
def create_customer(actor, contact_data: dict, role_data: dict | None = None) -> Customer:
    """Creating a customer creates its contact, which holds its main address (S0.1)."""
    contact = create_contact(actor, {**contact_data, "is_lead": False})
    return make_customer(actor, contact, role_data)


@transaction.atomic
def create_supplier(actor, contact_data: dict, role_data: dict | None = None) -> Supplier:
    contact = create_contact(actor, contact_data)
    return make_supplier(actor, contact, role_data)


@transaction.atomic
def update_role(actor, role: Customer | Supplier, data: dict, expected_version: int | None = None):
    """Change a role's own data; with `expected_version`, only if nobody saved it since
    (ConflictError otherwise, and nothing changes)."""
    _require_user(actor)
    if not can(actor, Action.CHANGE, role.contact):
        raise PermissionDenied
    before = snapshot(role)
    errors: dict = {}
    _role_fields(role, data, errors)
    if not role.code:
        errors["code"] = [_("The code cannot be empty.")]
    elif type(role).objects.filter(code=role.code).exclude(pk=role.pk).exists():
        errors["code"] = [_("Another record has the code %(code)s.") % {"code": role.code}]
    if errors:
        raise ValidationError(errors)
    bump_version(role, expected_version, ["code", "tax_id", "payment_terms", "notes"])
    record_change(actor, role, "update", before, snapshot(role))
    return role


@transaction.atomic
def remove_role(actor, role: Customer | Supplier):
    _require_user(actor)
    if not can(actor, Action.DELETE, role.contact):
        raise PermissionDenied
    record_change(actor, role, "delete", snapshot(role), None)
    try:
        with transaction.atomic():
            role.delete()
    except (DjangoProtectedError, RestrictedError, IntegrityError) as exc:
        raise ProtectedError(_("Other records still refer to this role.")) from exc


@transaction.atomic
def set_primary_contact(actor, customer: Customer, person: Contact) -> Customer:
    """Make `person` the primary contact: the only way to unset the previous one (S3.1)."""
    _require_user(actor)
    if not can(actor, Action.CHANGE, customer.contact):
        raise PermissionDenied
    if person.company_id != customer.contact_id:
        raise ValidationError(
            {"primary_contact_id": _("The primary contact must be one of the customer's people.")}
        )
    before = snapshot(customer)
    customer.primary_contact = person
    customer.save(update_fields=["primary_contact"])
    record_change(actor, customer, "update", before, snapshot(customer))
    return customer


def ensure_primary_contact(company: Contact):
    """The first person of a customer company becomes its primary contact automatically."""
    customer = Customer.objects.filter(contact=company).first()
    if customer is None:
        return
    if customer.primary_contact_id and customer.primary_contact.company_id == company.pk:
        return
    first = company.people.order_by("created_at", "id").first()
    if customer.primary_contact_id != (first.pk if first else None):
        customer.primary_contact = first
        customer.save(update_fields=["primary_contact"])


@transaction.atomic
def mark_lead(actor, contact: Contact, is_lead: bool = True, expected_version=None) -> Contact:
    if is_lead and Customer.objects.filter(contact=contact).exists():
        raise ValidationError({"is_lead": _("A customer cannot be a lead.")})
    return update_contact(actor, contact, {"is_lead": is_lead}, expected_version)


@transaction.atomic
def convert_lead(actor, contact: Contact, role_data: dict | None = None) -> Customer:
    if not contact.is_lead:
        raise ValidationError({"is_lead": _("%(name)s is not a lead.") % {"name": contact}})
    return make_customer(actor, contact, role_data)
