"""Forms of the sales pages. They collect input; the services validate and write it, and their
ValidationErrors (keyed like `contact_id` or `custom_fields.size`) come back next to the field."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import Team, User
from clientela.contacts.forms import (
    PlainSelect,
    StyledForm,
    custom_field_initial,
    custom_form_field,
    split_tags,
)
from clientela.contacts.models import Contact, Customer, Interest
from clientela.contacts.pickers import ContactSource, CustomerSource
from clientela.core.access import AccessLevel
from clientela.core.custom_fields import definitions_for
from clientela.core.errors import validation_messages
from clientela.core.models import Tag
from clientela.core.money import currency_choices
from clientela.core.pickers import RecordField, bind_pickers

from .filters import ORDERINGS
from .models import LeadSource, LostReason, Opportunity, Pipeline, Stage
from .queries import visible_related

# How many customers the list's filter bar offers; the current one is always kept.
PICKER_LIMIT = 200


def _choices(rows, blank=None):
    choices = [(item.pk, str(item)) for item in rows]
    return [("", blank), *choices] if blank is not None else choices


def stage_choices(pipelines) -> list:
    """Stages grouped by pipeline (one group when there is one pipeline)."""
    pipelines = list(pipelines)
    if len(pipelines) == 1:
        return [(s.pk, s.name) for s in pipelines[0].stages.all()]
    return [(p.name, [(s.pk, s.name) for s in p.stages.all()]) for p in pipelines]


def customer_choices(user, current: Customer | None = None):
    rows = list(
        Customer.objects.filter(contact__in=Contact.objects.visible_to(user).values("pk"))
        .select_related("contact")
        .order_by("contact__name_key", "id")[:PICKER_LIMIT]
    )
    if current is not None and current.pk not in {c.pk for c in rows}:
        rows.insert(0, current)
    return [("", "—"), *[(c.pk, c.contact.display_name) for c in rows]]


class OpportunityFilterForm(StyledForm):
    """The filter bar of the opportunity list; OpportunityFilter (filters.py) does the work."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        widget=PlainSelect,
        choices=[("", _("Open, won and lost")), *Stage.Kind.choices],
    )
    pipeline = forms.ChoiceField(label=_("Pipeline"), required=False, widget=PlainSelect)
    stage = forms.ChoiceField(label=_("Stage"), required=False, widget=PlainSelect)
    responsible = forms.ChoiceField(label=_("Responsible"), required=False, widget=PlainSelect)
    customer = forms.ChoiceField(label=_("Customer"), required=False, widget=PlainSelect)
    source = forms.ChoiceField(label=_("Lead source"), required=False, widget=PlainSelect)
    interest = forms.ChoiceField(label=_("Interest"), required=False, widget=PlainSelect)
    tag = forms.ChoiceField(label=_("Tag"), required=False, widget=PlainSelect)
    close_from = forms.DateField(
        label=_("Closing from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    close_to = forms.DateField(
        label=_("Closing until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    amount_min = forms.DecimalField(label=_("Total from"), required=False, min_value=0)
    amount_max = forms.DecimalField(label=_("Total up to"), required=False, min_value=0)
    ordering = forms.ChoiceField(
        required=False, choices=[(k, k) for k in ORDERINGS], widget=forms.HiddenInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        pipelines = list(Pipeline.objects.prefetch_related("stages"))
        self.fields["pipeline"].choices = [("", _("Any pipeline")), *_choices(pipelines)]
        self.fields["stage"].choices = [("", _("Any stage")), *stage_choices(pipelines)]
        self.fields["responsible"].choices = [
            ("", _("Anyone responsible")),
            *_choices(User.objects.filter(is_active=True)),
        ]
        customers = customer_choices(user)
        self.fields["customer"].choices = [("", _("Any customer")), *customers[1:]]
        self.fields["source"].choices = [("", _("Any source")), *_choices(LeadSource.objects.all())]
        self.fields["interest"].choices = [
            ("", _("Any interest")),
            *_choices(Interest.objects.all()),
        ]
        self.fields["tag"].choices = [("", _("Any tag")), *_choices(Tag.objects.all())]

    def visible_filters(self):
        return [self[name] for name in self.fields if name not in ("q", "ordering")]


class OpportunityForm(StyledForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    contact = RecordField(ContactSource(), label=_("Contact"))
    customer = RecordField(
        CustomerSource(),
        label=_("Customer"),
        required=False,
        help_text=_("Left empty, the contact's customer (or its company's) is used."),
    )
    amount = forms.DecimalField(
        label=_("Amount"), min_value=0, max_digits=14, decimal_places=2, localize=True
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)
    budget_type = forms.ChoiceField(label=_("Budget type"), choices=Opportunity.BudgetType.choices)
    budget_periods = forms.IntegerField(
        label=_("Number of periods"), min_value=1, max_value=10_000, initial=1
    )
    expected_close = forms.DateField(
        label=_("Expected close date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int)
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Left empty, the stage's probability is used."),
    )
    lost_reason = forms.TypedChoiceField(
        label=_("Lost reason"), required=False, coerce=int, empty_value=None
    )
    responsible = forms.TypedChoiceField(
        label=_("Responsible"), required=False, coerce=int, empty_value=None
    )
    lead_source = forms.TypedChoiceField(
        label=_("Lead source"), required=False, coerce=int, empty_value=None
    )
    interests = forms.TypedMultipleChoiceField(
        label=_("Interests (products or services)"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=250)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
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
        choices=[
            (AccessLevel.PUBLIC_WRITE, _("Open to every CRM user")),
            (AccessLevel.PUBLIC_READ, _("Every CRM user may see it; only the chosen may edit")),
            (AccessLevel.PRIVATE, _("Restricted to the chosen users and teams")),
        ],
        initial=AccessLevel.PUBLIC_WRITE,
        widget=forms.RadioSelect,
    )
    shared_users = forms.TypedMultipleChoiceField(
        label=_("Shared with users"), required=False, coerce=int
    )
    shared_teams = forms.TypedMultipleChoiceField(
        label=_("Shared with teams"), required=False, coerce=int
    )

    ACCESS_FIELDS = ("access", "shared_users", "shared_teams")
    # Service error keys → form field names.
    ERROR_FIELDS = {
        "contact_id": "contact",
        "customer_id": "customer",
        "stage_id": "stage",
        "pipeline_id": "stage",
        "stage": "stage",
        "lost_reason_id": "lost_reason",
        "lost_reason": "lost_reason",
        "responsible_id": "responsible",
        "lead_source_id": "lead_source",
        "interest_ids": "interests",
        "shared_user_ids": "shared_users",
        "shared_team_ids": "shared_teams",
    }

    def __init__(
        self,
        *args,
        user,
        opportunity: Opportunity | None = None,
        fixed_contact: Contact | None = None,
        can_change_access=True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.user = user
        self.opportunity = opportunity
        self.fixed_contact = fixed_contact
        bind_pickers(self, user, known=self._known_records(opportunity, fixed_contact))
        if fixed_contact is not None:
            # Opened from a contact (S4.2): the contact is fixed, not editable.
            self.fields["contact"].widget = forms.HiddenInput()
            self.fields["contact"].disabled = True
            self.initial["contact"] = fixed_contact.pk
        pipelines = list(Pipeline.objects.prefetch_related("stages"))
        self.fields["stage"].choices = stage_choices(pipelines)
        self.fields["lost_reason"].choices = _choices(LostReason.objects.all(), "—")
        users = list(User.objects.filter(is_active=True))
        self.fields["responsible"].choices = _choices(users, "—")
        self.fields["lead_source"].choices = _choices(LeadSource.objects.all(), "—")
        self.fields["interests"].choices = _choices(Interest.objects.all())
        self.fields["tags"].choices = [(t.name, t.name) for t in Tag.objects.all()]
        self.fields["shared_users"].choices = _choices(users)
        self.fields["shared_teams"].choices = _choices(Team.objects.all())
        self.custom_field_definitions = definitions_for(Opportunity)
        for definition in self.custom_field_definitions:
            self.fields[f"cf_{definition.key}"] = custom_form_field(definition)
        if not can_change_access:
            for name in self.ACCESS_FIELDS:
                self.fields.pop(name)
        if opportunity is not None and not self.is_bound:
            self.initial.update(self._initial_from(opportunity))
        # Re-style: replaced widgets and added fields get Bootstrap's classes too.
        from clientela.contacts.forms import style_fields

        style_fields(self)

    @staticmethod
    def _known_records(opportunity, fixed_contact) -> dict:
        """The contact and customer already read through the access point, which the pickers
        then show and accept without reading them again."""
        contact = fixed_contact or (
            visible_related(opportunity, "contact") if opportunity else None
        )
        customer = visible_related(opportunity, "customer") if opportunity else None
        return {
            "contact": (contact.pk, contact.display_name) if contact else None,
            "customer": (customer.pk, customer.contact.display_name) if customer else None,
        }

    def _initial_from(self, opportunity: Opportunity) -> dict:
        initial = {
            "version": opportunity.version,
            "title": opportunity.title,
            "contact": opportunity.contact_id,
            "customer": opportunity.customer_id,
            "amount": opportunity.amount,
            "currency": opportunity.currency,
            "budget_type": opportunity.budget_type,
            "budget_periods": opportunity.budget_periods,
            "expected_close": opportunity.expected_close,
            "stage": opportunity.stage_id,
            "probability": opportunity.probability,
            "lost_reason": opportunity.lost_reason_id,
            "responsible": opportunity.responsible_id,
            "lead_source": opportunity.lead_source_id,
            "interests": [i.pk for i in opportunity.interests.all()],
            "next_step": opportunity.next_step,
            "description": opportunity.description,
            "tags": [t.name for t in opportunity.tags.all()],
            "access": opportunity.access,
            "shared_users": [u.pk for u in opportunity.shared_users.all()],
            "shared_teams": [t.pk for t in opportunity.shared_teams.all()],
        }
        for definition in self.custom_field_definitions:
            initial[f"cf_{definition.key}"] = custom_field_initial(
                definition, opportunity.custom_fields.get(definition.key)
            )
        return initial

    @property
    def custom_field_bound(self):
        return [self[f"cf_{d.key}"] for d in self.custom_field_definitions]

    def service_data(self) -> dict:
        data = self.cleaned_data
        result = {
            "title": data["title"],
            "contact_id": self.fixed_contact.pk if self.fixed_contact else data["contact"],
            "customer_id": data.get("customer"),
            "amount": data["amount"],
            "currency": data["currency"],
            "budget_type": data["budget_type"],
            "budget_periods": data.get("budget_periods") or 1,
            "expected_close": data["expected_close"],
            "stage_id": data["stage"],
            "probability": data.get("probability"),
            "lost_reason_id": data.get("lost_reason"),
            "responsible_id": data.get("responsible"),
            "lead_source_id": data.get("lead_source"),
            "interest_ids": data.get("interests") or [],
            "next_step": data.get("next_step") or "",
            "description": data.get("description") or "",
            "tags": [*(data.get("tags") or []), *split_tags(data.get("new_tags") or "")],
            "custom_fields": {
                d.key: data.get(f"cf_{d.key}") for d in self.custom_field_definitions
            },
        }
        if self.opportunity is not None and result["customer_id"] is None:
            result.pop("customer_id")
        for name in self.ACCESS_FIELDS:
            if name in self.fields:
                key = {"shared_users": "shared_user_ids", "shared_teams": "shared_team_ids"}
                result[key.get(name, name)] = data.get(name) or (
                    [] if name != "access" else AccessLevel.PUBLIC_WRITE
                )
        return result

    def add_service_errors(self, error: ValidationError):
        for key, texts in validation_messages(error).items():
            name = self.ERROR_FIELDS.get(key, key)
            if name.startswith("custom_fields."):
                name = f"cf_{name.split('.', 1)[1]}"
            target = name if name in self.fields else None
            for text in texts:
                self.add_error(target, text)


class StageMoveForm(forms.Form):
    """The stage selector of the opportunity page (and the "Mark lost" dialog)."""

    stage = forms.IntegerField()
    lost_reason = forms.IntegerField(required=False)
    version = forms.IntegerField(required=False)


class PipelineForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_default = forms.BooleanField(label=_("Default pipeline"), required=False)


class StageForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    probability = forms.IntegerField(
        label=_("Default probability (%)"), min_value=0, max_value=100, initial=0
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Stage.Kind.choices)
    color = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#6c757d",
        error_messages={"invalid": _("Give the colour as #rrggbb.")},
        widget=forms.TextInput(attrs={"type": "color"}),
    )
