"""The event form. It collects input in the reader's formats (dd/mm/yyyy in Spanish); the
services validate and write it, and their errors are put back next to the fields they name."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import User
from clientela.contacts.forms import StyledForm
from clientela.contacts.models import Contact
from clientela.contacts.pickers import contact_search
from clientela.core.pickers import PICKER_LIMIT, as_id, name_order

from .models import Event, ReminderOffset

# How many contacts the contact search offers at a time: as many as a record picker.
CONTACT_OPTIONS_LIMIT = PICKER_LIMIT


class IdListField(forms.Field):
    """Ids posted as repeated values (the ticked contacts); the service checks they exist and
    that the user may see them."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return sorted({int(v) for v in value or [] if str(v).strip()})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("The selection is not valid.")) from exc


class EventForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Event.Kind.choices)
    all_day = forms.BooleanField(label=_("All day"), required=False)
    start_date = forms.DateField(label=_("Starts"), localize=True)
    start_time = forms.TimeField(label=_("Start time"), required=False)
    end_date = forms.DateField(label=_("Ends"), localize=True, required=False)
    end_time = forms.TimeField(label=_("End time"), required=False)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contacts = IdListField(label=_("Contacts"), required=False)
    reminder = forms.TypedChoiceField(
        label=_("Reminder"),
        choices=[("", _("Never")), *ReminderOffset.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    target_type = forms.CharField(widget=forms.HiddenInput, required=False)
    target_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, user, *args, organiser=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        users = User.objects.filter(is_active=True).exclude(pk=(organiser or user).pk)
        self.fields["attendees"].queryset = users
        for name in ("start_date", "end_date"):
            self.fields[name].widget.attrs["placeholder"] = _("dd/mm/yyyy")
        for name in ("start_time", "end_time"):
            self.fields[name].widget.input_type = "time"
        self.fields["description"].widget.attrs["rows"] = 3

    @classmethod
    def initial_for(cls, event: Event) -> dict:
        start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
        return {
            "title": event.title,
            "kind": event.kind,
            "all_day": event.all_day,
            "start_date": event.start_date,
            "start_time": None if event.all_day else start.time().strftime("%H:%M"),
            "end_date": event.end_date,
            "end_time": None if event.all_day else end.time().strftime("%H:%M"),
            "location": event.location,
            "description": event.description,
            "attendees": [u.pk for u in event.attendees.all()],
            "contacts": [c.pk for c in event.contacts.all()],
            "reminder": event.reminder,
            "target_type": event.target_type.model if event.target_type_id else "",
            "target_id": event.target_id,
            "version": event.version,
        }

    @staticmethod
    def initial_from_slot(params) -> dict:
        """What a click on a calendar slot (`?start=…&all_day=1`) or a record's "New event"
        (`?contact=…`, `?target_type=…&target_id=…`) fills in."""
        initial = {"kind": Event.Kind.MEETING, "reminder": ReminderOffset.MIN_15}
        raw = (params.get("start") or "")[:25]
        try:
            start = datetime.fromisoformat(raw) if raw else None
        except ValueError:
            start = None
        if start is not None:
            if timezone.is_aware(start):
                start = timezone.localtime(start).replace(tzinfo=None)
            all_day = params.get("all_day") == "1" or len(raw) <= 10
            initial.update(
                {"all_day": all_day, "start_date": start.date(), "end_date": start.date()}
            )
            if not all_day:
                end = start + timedelta(hours=1)
                initial.update(
                    {
                        "start_time": start.time().strftime("%H:%M"),
                        "end_date": end.date(),
                        "end_time": end.time().strftime("%H:%M"),
                    }
                )
        try:
            initial["contacts"] = [int(params["contact"])] if params.get("contact") else []
        except ValueError:
            initial["contacts"] = []
        if params.get("target_type") and (params.get("target_id") or "").isdigit():
            initial["target_type"] = params["target_type"][:50]
            initial["target_id"] = int(params["target_id"])
        return initial

    def clean(self):
        data = super().clean()
        if not data.get("all_day") and data.get("start_date") and not data.get("start_time"):
            self.add_error("start_time", _("Give the time the event starts, or tick All day."))
        return data

    def service_data(self) -> dict:
        """The form's values as the services take them."""
        data = self.cleaned_data
        all_day = bool(data.get("all_day"))
        values = {
            "title": data["title"],
            "kind": data["kind"],
            "all_day": all_day,
            "location": data.get("location") or "",
            "description": data.get("description") or "",
            "attendee_ids": [u.pk for u in data.get("attendees") or []],
            "contact_ids": data.get("contacts") or [],
            "reminder": data.get("reminder"),
            "target_type": data.get("target_type") or None,
            "target_id": data.get("target_id") or None,
        }
        if all_day:
            values["start_date"] = data["start_date"]
            values["end_date"] = data.get("end_date") or data["start_date"]
        else:
            start_time = data.get("start_time") or time.min
            values["starts_at"] = datetime.combine(data["start_date"], start_time)
            if data.get("end_time"):
                end_day = data.get("end_date") or data["start_date"]
                values["ends_at"] = datetime.combine(end_day, data["end_time"])
            else:
                values["ends_at"] = None
        return values

    # Errors the services key by field, shown next to the field of this form that shows it.
    SERVICE_FIELDS = {
        "starts_at": "start_time",
        "ends_at": "end_time",
        "attendee_ids": "attendees",
        "contact_ids": "contacts",
        "target_id": None,
    }

    def add_service_errors(self, messages: dict[str, list[str]]):
        for key, texts in messages.items():
            name = self.SERVICE_FIELDS.get(key, key)
            for text in texts:
                self.add_error(name if name in self.fields else None, text)

    def chosen_contacts(self):
        """The ticked contacts the user may see, to show them ticked again."""
        if self.is_bound:
            try:
                ids = self.fields["contacts"].to_python(self.data.getlist("contacts"))
            except forms.ValidationError:
                ids = []
        else:
            ids = self.initial.get("contacts") or []
        return list(
            Contact.objects.visible_to(self.user)
            .filter(pk__in=ids)
            .only("id", "kind", "display_name")
            .order_by("name_key", "id")
        )


def contact_options(user, query: str, exclude=()) -> list[Contact]:
    """Contacts `user` may link, narrowed by what they typed (the event form's search), found
    as the contact list and the record pickers find them."""
    if not query.split():
        return []
    contacts = contact_search(user, query).exclude(
        pk__in=[pk for pk in map(as_id, exclude) if pk is not None]
    )
    # The newest matches, shown by name: see core.pickers for why not the first by name.
    newest = contacts.only("id", "kind", "display_name").order_by("-pk")[:CONTACT_OPTIONS_LIMIT]
    return sorted(newest, key=lambda contact: name_order(contact.display_name))
