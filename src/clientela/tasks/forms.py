"""Forms of the task pages. They collect input; the services validate and write it.

The deadline is a date (typed in the language's format, dd/mm/yyyy in Spanish, picked from a
calendar, or filled by the Today / in 3 days / in a week buttons) and an optional time: with
no time, the task is due all day."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import User
from clientela.contacts.forms import StyledForm
from clientela.core.errors import validation_messages

from .filters import TaskFilter
from .models import Reminder, TaskCategory

# Service error keys -> the form field that shows them.
ERROR_FIELDS = {
    "title": "title",
    "category_id": "category",
    "due_at": "due_date",
    "reminder": "reminder",
    "responsible_id": "responsible",
    "description": "description",
}


def category_choices():
    return [("", _("No category")), *((c.pk, c.name) for c in TaskCategory.objects.all())]


def user_choices():
    return [(u.pk, str(u)) for u in User.objects.filter(is_active=True).only(*USER_FIELDS)]


USER_FIELDS = ("id", "first_name", "last_name", "email")


class DeadlineDateInput(forms.DateInput):
    """A text input for the date in the language's first input format, which the page's
    shortcut buttons and calendar fill in the same format (`data-date-format`)."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        fmt = get_format("DATE_INPUT_FORMATS")[0]
        context["widget"]["attrs"].update(
            {
                "data-date-format": fmt,
                "placeholder": fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy"),
                "autocomplete": "off",
            }
        )
        return context


class TaskForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    due_date = forms.DateField(label=_("Deadline"), widget=DeadlineDateInput)
    due_time = forms.TimeField(
        label=_("Time"),
        required=False,
        help_text=_("Leave empty for a task due all day."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    reminder = forms.ChoiceField(label=_("Reminder"), choices=Reminder.choices)
    responsible = forms.TypedChoiceField(
        label=_("Assign to"), coerce=int, required=False, empty_value=None
    )
    notify = forms.BooleanField(
        label=_("Notify the responsible"),
        required=False,
        initial=True,
        help_text=_("They get a notification when you assign them the task."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, task=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if task is not None:
            local = timezone.localtime(task.due_at)
            initial.update(
                {
                    "title": task.title,
                    "category": task.category_id,
                    "due_date": local.date(),
                    "due_time": None if task.all_day else local.time().replace(second=0),
                    "reminder": task.reminder,
                    "responsible": task.responsible_id,
                    "description": task.description,
                    "version": task.version,
                }
            )
        else:
            initial.setdefault("reminder", Reminder.DAY_1)
            initial.setdefault("responsible", user.pk)
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["responsible"].choices = user_choices()
        self.fields["due_date"].widget.attrs["class"] += " deadline-date"

    def service_data(self) -> dict:
        data = self.cleaned_data
        due_time = data.get("due_time")
        if due_time is None:
            due_at = datetime.combine(data["due_date"], datetime.min.time())
        else:
            due_at = datetime.combine(data["due_date"], due_time)
        return {
            "title": data["title"],
            "category_id": data.get("category"),
            "due_at": timezone.make_aware(due_at),
            "all_day": due_time is None,
            "reminder": data["reminder"],
            "responsible_id": data["responsible"],
            "notify": bool(data.get("notify")),
            "description": data.get("description", ""),
        }

    def add_service_errors(self, error: ValidationError):
        for key, texts in validation_messages(error).items():
            for text in texts:
                self.add_error(ERROR_FIELDS.get(key), text)


class TaskFilterForm(StyledForm):
    """The filters of "Tasks at a glance"; `TaskFilter` parses them (shared with the API)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    scope = forms.ChoiceField(
        label=_("Whose"),
        required=False,
        choices=[("mine", _("Mine")), ("team", _("My team's")), ("all", _("All I can see"))],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open")), ("closed", _("Closed")), ("all", _("Open and closed"))],
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    responsible = forms.ChoiceField(label=_("Responsible"), required=False)
    target_type = forms.ChoiceField(label=_("Linked to"), required=False)

    def __init__(self, *args, **kwargs):
        from clientela.activities.targets import ACTIVITY_TARGETS

        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("Any category")),
            ("0", _("No category")),
            *((str(c.pk), c.name) for c in TaskCategory.objects.all()),
        ]
        self.fields["responsible"].choices = [("", _("Anyone")), *user_choices()]
        self.fields["target_type"].choices = [
            ("", _("Any record")),
            ("none", _("No record")),
            *(
                (key, str(model._meta.verbose_name).capitalize())
                for key, model in ACTIVITY_TARGETS.items()
            ),
        ]


def filters_from_request(request) -> tuple[TaskFilter, dict]:
    """The page's filters: "mine" unless the query string says whose tasks to show."""
    params = request.GET.copy()
    if not params.get("scope"):
        params["scope"] = "mine"
    return TaskFilter.from_query(params)


class BulkTaskForm(TaskForm):
    """The task form of the group operation: the same task for each selected contact."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Assigning many tasks at once notifies the responsible once, not per contact.
        self.fields["notify"].help_text = _("They get one notification for the whole group.")
