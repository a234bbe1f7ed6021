"""Forms of the contact pages. They collect input; the services validate and write it.

`ContactEditor` bundles the contact form, the row formsets (emails, phones, websites,
addresses) and, for a new customer or supplier, the role form. It turns them into the dict
the services take, and puts the services' ValidationErrors (keyed like `emails.1.email` or
`custom_fields.size`) back next to the field they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import Team, User
from clientela.core.access import AccessLevel
from clientela.core.custom_fields import definitions_for
from clientela.core.folding import fold
from clientela.core.models import CustomField, Tag
from clientela.core.money import currency_choices

from .filters import ORDERINGS
from .models import (
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactType,
    ContactWebsite,
    Interest,
    Source,
    Temperature,
)

# How many companies the company picker lists before the user types to narrow it down.
COMPANY_CHOICES_LIMIT = 200
# The company choice that keeps a person's company the editor may not see (no company has id 0).
HIDDEN_COMPANY = 0


def style_fields(form: forms.Form):
    """Give every widget Bootstrap's class (templates mark the fields with errors)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = css
        if getattr(form, "labels_as_placeholders", False) and css == "form-control":
            widget.attrs["placeholder"] = field.label


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


def _choices(queryset, blank=None):
    choices = [(item.pk, str(item)) for item in queryset]
    return [("", blank or "—"), *choices] if blank is not False else choices


def _user_choices():
    return [(u.pk, str(u)) for u in User.objects.filter(is_active=True)]


def company_choices(user, query: str = "", current: Contact | None = None):
    """Companies `user` may link a person to, narrowed by `query`, keeping the current one."""
    companies = Contact.objects.visible_to(user).filter(kind=Contact.Kind.COMPANY)
    for word in fold(query).split()[:5]:
        companies = companies.filter(search_text__contains=word)
    rows = list(
        companies.order_by("name_key", "id").values_list("pk", "display_name")[
            :COMPANY_CHOICES_LIMIT
        ]
    )
    if current is not None and current.pk not in {pk for pk, _name in rows}:
        rows.insert(0, (current.pk, current.display_name))
    return [("", _("No company")), *rows]


class PlainSelect(forms.Select):
    """A single-choice select written out directly: the template-based widget renders every
    option through a template, which made the filter bar a sixth of the list page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        selected = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) == selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


class ContactFilterForm(StyledForm):
    """The filter bar of the contact list; ContactFilter (filters.py) does the filtering."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("People and companies"))],
        widget=PlainSelect,
    )
    contact_type = forms.ChoiceField(label=_("Type"), required=False, widget=PlainSelect)
    tag = forms.ChoiceField(label=_("Tag"), required=False, widget=PlainSelect)
    temperature = forms.ChoiceField(label=_("Temperature"), required=False, widget=PlainSelect)
    source = forms.ChoiceField(label=_("Source"), required=False, widget=PlainSelect)
    interest = forms.ChoiceField(label=_("Interest"), required=False, widget=PlainSelect)
    manager = forms.ChoiceField(label=_("Manager"), required=False, widget=PlainSelect)
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        widget=PlainSelect,
        choices=[
            ("", _("Any role")),
            ("customer", _("Customers")),
            ("supplier", _("Suppliers")),
            ("lead", _("Leads")),
            ("none", _("Neither customer, supplier nor lead")),
        ],
    )
    access = forms.ChoiceField(
        label=_("Access"),
        required=False,
        widget=PlainSelect,
        choices=[("", _("Any access")), ("private", _("Private")), ("public", _("Public"))],
    )
    ordering = forms.ChoiceField(
        required=False, choices=[(k, k) for k in ORDERINGS], widget=forms.HiddenInput
    )

    def __init__(self, *args, preset: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            ("", _("People and companies")),
            *Contact.Kind.choices,
        ]
        # Kept for the bulk toolbar, which offers the same lists.
        self.contact_types = list(ContactType.objects.all())
        self.tags = list(Tag.objects.all())
        self.users = list(User.objects.filter(is_active=True))
        self.fields["contact_type"].choices = [
            ("", _("Any type")),
            ("0", _("Unspecified")),
            *_choices(self.contact_types, blank=False),
        ]
        self.fields["tag"].choices = [("", _("Any tag")), *_choices(self.tags, False)]
        self.fields["temperature"].choices = [
            ("", _("Any temperature")),
            *_choices(Temperature.objects.all(), False),
        ]
        self.fields["source"].choices = [
            ("", _("Any source")),
            *_choices(Source.objects.all(), False),
        ]
        self.fields["interest"].choices = [
            ("", _("Any interest")),
            *_choices(Interest.objects.all(), False),
        ]
        self.fields["manager"].choices = [("", _("Any manager")), *_choices(self.users, False)]
        # A preset list (Companies, Customers…) fixes some filters: they are not offered.
        for name in preset or {}:
            self.fields.pop(name, None)

    def visible_filters(self):
        return [self[name] for name in self.fields if name not in ("q", "ordering")]


class ContactForm(StyledForm):
    kind = forms.ChoiceField(choices=Contact.Kind.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    company_name = forms.CharField(label=_("Company name"), required=False, max_length=200)
    # An id the service checks against what the user may see; the picker lists the first ones.
    company = forms.IntegerField(label=_("Company"), required=False, widget=forms.Select)
    position = forms.CharField(label=_("Position"), required=False, max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    contact_type = forms.TypedChoiceField(
        label=_("Type"), required=False, coerce=int, empty_value=None
    )
    temperature = forms.TypedChoiceField(
        label=_("Temperature"), required=False, coerce=int, empty_value=None
    )
    source = forms.TypedChoiceField(label=_("Source"), required=False, coerce=int, empty_value=None)
    interests = forms.TypedMultipleChoiceField(
        label=_("Interests"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices, initial="EUR")
    is_lead = forms.BooleanField(label=_("Lead (a potential customer)"), required=False)
    tags = forms.MultipleChoiceField(
        label=_("Tags"), required=False, widget=forms.CheckboxSelectMultiple
    )
    new_tags = forms.CharField(
        label=_("New tags"),
        required=False,
        max_length=500,
        help_text=_("Type new tags separated by commas; they are created on saving."),
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=AccessLevel.choices,
        initial=AccessLevel.PRIVATE,
        widget=forms.RadioSelect,
    )
    managers = forms.TypedMultipleChoiceField(
        label=_("Managers"), required=False, coerce=int, widget=forms.SelectMultiple
    )
    shared_users = forms.TypedMultipleChoiceField(
        label=_("Shared with users"), required=False, coerce=int
    )
    shared_teams = forms.TypedMultipleChoiceField(
        label=_("Shared with teams"), required=False, coerce=int
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 1 MB."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    ACCESS_FIELDS = ("access", "managers", "shared_users", "shared_teams")

    def __init__(self, *args, user, contact=None, can_change_access=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.contact = contact
        current = contact.company if contact and contact.company_id else None
        choices = company_choices(user, current=current)
        if contact is not None and contact.company_id and current is None:
            # The person's company is out of the editor's reach (`company` came back None
            # through the access point): offer to keep it, unnamed, rather than lose it.
            choices.insert(1, (HIDDEN_COMPANY, _("A company you cannot see (kept)")))
            self.initial["company"] = HIDDEN_COMPANY
        self.fields["company"].widget.choices = choices
        self.fields["contact_type"].choices = _choices(ContactType.objects.all(), _("Unspecified"))
        self.fields["temperature"].choices = _choices(Temperature.objects.all())
        self.fields["source"].choices = _choices(Source.objects.all())
        self.fields["interests"].choices = _choices(Interest.objects.all(), blank=False)
        self.fields["tags"].choices = [(t.name, t.name) for t in Tag.objects.all()]
        users = _user_choices()
        self.fields["managers"].choices = users
        self.fields["shared_users"].choices = users
        self.fields["shared_teams"].choices = _choices(Team.objects.all(), blank=False)
        self.can_change_access = can_change_access
        if not can_change_access:
            for name in self.ACCESS_FIELDS:
                self.fields[name].disabled = True
        self.custom_field_definitions = definitions_for(Contact)
        for definition in self.custom_field_definitions:
            self.fields[f"cf_{definition.key}"] = custom_form_field(definition)
        style_fields(self)

    @property
    def custom_field_names(self):
        return [f"cf_{d.key}" for d in self.custom_field_definitions]

    def custom_field_bound(self):
        return [self[name] for name in self.custom_field_names]

    def _company_id(self, data) -> int | None:
        if data["company"] == HIDDEN_COMPANY and self.contact is not None:
            return self.contact.company_id
        return data["company"]

    def service_data(self) -> dict:
        data = self.cleaned_data
        values = {
            "kind": data["kind"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "company_name": data["company_name"],
            "company_id": self._company_id(data) if data["kind"] == Contact.Kind.PERSON else None,
            "position": data["position"],
            "description": data["description"],
            "contact_type_id": data["contact_type"],
            "temperature_id": data["temperature"],
            "source_id": data["source"],
            "interest_ids": data["interests"],
            "currency": data["currency"],
            "is_lead": data["is_lead"],
            "tags": [*data["tags"], *split_tags(data["new_tags"])],
            "custom_fields": {
                d.key: data.get(f"cf_{d.key}") for d in self.custom_field_definitions
            },
        }
        if self.can_change_access:
            values.update(
                access=data["access"],
                manager_ids=data["managers"],
                shared_user_ids=data["shared_users"],
                shared_team_ids=data["shared_teams"],
            )
        return values


def split_tags(text: str) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def custom_form_field(definition: CustomField) -> forms.Field:
    """A form field with the input that suits the custom field's type; the service validates."""
    kind = CustomField.FieldType
    common = {"label": definition.label, "required": False}
    if definition.field_type == kind.NUMBER:
        return forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
    if definition.field_type == kind.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if definition.field_type == kind.BOOLEAN:
        return forms.ChoiceField(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **common
        )
    if definition.field_type == kind.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *[(str(c), str(c)) for c in definition.choices]], **common
        )
    if definition.field_type == kind.URL:
        return forms.CharField(widget=forms.URLInput, max_length=500, **common)
    return forms.CharField(max_length=1000, **common)


def custom_field_initial(definition: CustomField, value):
    if definition.field_type == CustomField.FieldType.BOOLEAN and isinstance(value, bool):
        return "true" if value else "false"
    return value


class RowForm(StyledForm):
    """One row of a repeated group: compact, its labels shown as placeholders."""

    labels_as_placeholders = True
    main_fields: tuple[str, ...] = ()
    # Bootstrap column classes per field; the rest share the row equally.
    layout: dict[str, str] = {"kind": "col-md-3"}


class EmailRowForm(RowForm):
    email = forms.CharField(
        label=_("Email"), required=False, max_length=254, widget=forms.EmailInput
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactEmail.Kind.choices)
    main_fields = ("email",)


class PhoneRowForm(RowForm):
    number = forms.CharField(label=_("Number"), required=False, max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactPhone.Kind.choices)
    main_fields = ("number",)


class WebsiteRowForm(RowForm):
    url = forms.CharField(label=_("Address"), required=False, max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactWebsite.Kind.choices)
    main_fields = ("url",)


class AddressRowForm(RowForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactAddress.Kind.choices)
    street = forms.CharField(label=_("Street"), required=False, max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    country = forms.CharField(label=_("Country"), required=False, max_length=100)
    is_main = forms.BooleanField(label=_("Main address"), required=False)
    main_fields = ("street", "postal_code", "city", "region", "country")
    layout = {
        "kind": "col-md-3",
        "street": "col-md-9",
        "postal_code": "col-md-3",
        "city": "col-md-5",
        "region": "col-md-4",
        "country": "col-md-6",
        "is_main": "col-md-4 pt-2",
    }


ROW_FORMS = {
    "emails": (EmailRowForm, _("Emails"), _("Add an email")),
    "phones": (PhoneRowForm, _("Phones"), _("Add a phone")),
    "websites": (WebsiteRowForm, _("Websites and social profiles"), _("Add a website")),
    "addresses": (AddressRowForm, _("Addresses"), _("Add an address")),
}


class RoleForm(StyledForm):
    """A customer's or supplier's own data."""

    code = forms.CharField(
        label=_("Code"),
        required=False,
        max_length=30,
        help_text=_("Leave empty to number it automatically."),
    )
    tax_id = forms.CharField(label=_("Tax id"), required=False, max_length=40)
    payment_terms = forms.CharField(label=_("Payment terms"), required=False, max_length=100)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The version edited, so that a stale save is refused (not used when the role is created).
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class PhotoForm(StyledForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 1 MB."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove = forms.BooleanField(label=_("Remove the photo"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("photo") and not data.get("remove"):
            self.add_error("photo", _("Choose a picture, or tick “Remove the photo”."))
        return data


# Service error keys that name a form field under another name.
SERVICE_KEY_TO_FIELD = {
    "contact_type_id": "contact_type",
    "temperature_id": "temperature",
    "source_id": "source",
    "company_id": "company",
    "interest_ids": "interests",
    "manager_ids": "managers",
    "shared_user_ids": "shared_users",
    "shared_team_ids": "shared_teams",
    "tags": "new_tags",
}


class ContactEditor:
    """The contact form, its row formsets and an optional role form, handled as one."""

    def __init__(
        self,
        user,
        data=None,
        files=None,
        contact: Contact | None = None,
        kind: str = Contact.Kind.PERSON,
        with_role: bool = False,
        can_change_access: bool = True,
        initial: dict | None = None,
    ):
        self.contact = contact
        self.form = ContactForm(
            data,
            files,
            user=user,
            contact=contact,
            can_change_access=can_change_access,
            initial=contact_initial(contact) if contact else {"kind": kind, **(initial or {})},
        )
        if contact is None:
            self.form.initial.setdefault("managers", [user.pk])
        self.formsets = {}
        for name, (row_form, title, add_label) in ROW_FORMS.items():
            formset_class = forms.formset_factory(row_form, extra=0, can_delete=True)
            rows = row_initial(contact, name) if contact else []
            if not rows and name in ("emails", "phones"):
                rows = [{}]
            formset = formset_class(data, prefix=name, initial=rows)
            formset.title, formset.add_label, formset.service_errors = title, add_label, []
            self.formsets[name] = formset
        self.role_form = RoleForm(data, prefix="role") if with_role else None
        self._sent_rows: dict[str, list] = {}
        self.non_field_errors: list[str] = []

    @property
    def kind(self):
        if self.form.is_bound:
            value = self.form.data.get("kind")
            return value if value in Contact.Kind.values else Contact.Kind.PERSON
        return self.form.initial.get("kind", Contact.Kind.PERSON)

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        if self.role_form is not None:
            valid = self.role_form.is_valid() and valid
        return valid

    def service_data(self) -> dict:
        data = self.form.service_data()
        for name, formset in self.formsets.items():
            sent = []
            for row in formset.forms:
                values = row.cleaned_data
                if not values or values.get("DELETE"):
                    continue
                if not any((values.get(f) or "").strip() for f in row.main_fields):
                    continue
                sent.append(row)
            self._sent_rows[name] = sent
            data[name] = [
                {k: v for k, v in row.cleaned_data.items() if k != "DELETE"} for row in sent
            ]
        return data

    def role_data(self) -> dict:
        return self.role_form.service_data() if self.role_form is not None else {}

    def add_service_errors(self, error: ValidationError):
        """Show each of the service's messages next to the field it names."""
        messages = (
            error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        )
        for key, texts in messages.items():
            for text in texts:
                self._add_error(key, text)

    def _add_error(self, key: str, text: str):
        head, _dot, rest = key.partition(".")
        if head in self.formsets:
            index, _dot, field = rest.partition(".")
            rows = self._sent_rows.get(head, [])
            if index.isdigit() and int(index) < len(rows):
                row = rows[int(index)]
                row.add_error(field if field in row.fields else None, text)
            else:
                self.formsets[head].service_errors.append(text)
            return
        if head == "custom_fields" and f"cf_{rest}" in self.form.fields:
            self.form.add_error(f"cf_{rest}", text)
            return
        if self.role_form is not None and key in self.role_form.fields:
            self.role_form.add_error(key, text)
            return
        field = SERVICE_KEY_TO_FIELD.get(key, key)
        if field in self.form.fields:
            self.form.add_error(field, text)
        else:
            self.non_field_errors.append(text)

    @property
    def has_errors(self) -> bool:
        return bool(self.non_field_errors or self.has_field_errors)

    @property
    def has_field_errors(self) -> bool:
        """Errors shown next to fields (an edit conflict, say, has none)."""
        return bool(
            self.form.errors
            or any(f.total_error_count() or f.service_errors for f in self.formsets.values())
            or (self.role_form is not None and self.role_form.errors)
        )


def contact_initial(contact: Contact) -> dict:
    definitions = definitions_for(Contact)
    return {
        "kind": contact.kind,
        "version": contact.version,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "company_name": contact.company_name,
        "company": contact.company_id,
        "position": contact.position,
        "description": contact.description,
        "contact_type": contact.contact_type_id,
        "temperature": contact.temperature_id,
        "source": contact.source_id,
        "interests": [i.pk for i in contact.interests.all()],
        "currency": contact.currency,
        "is_lead": contact.is_lead,
        "tags": [t.name for t in contact.tags.all()],
        "access": contact.access,
        "managers": [u.pk for u in contact.managers.all()],
        "shared_users": [u.pk for u in contact.shared_users.all()],
        "shared_teams": [t.pk for t in contact.shared_teams.all()],
        **{
            f"cf_{d.key}": custom_field_initial(d, contact.custom_fields.get(d.key))
            for d in definitions
        },
    }


def row_initial(contact: Contact, name: str) -> list[dict]:
    row_form = ROW_FORMS[name][0]
    return [
        {field: getattr(item, field) for field in row_form.base_fields}
        for item in getattr(contact, name).all()
    ]
