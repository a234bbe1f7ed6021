"""Forms of the activity pages: they parse; the services validate and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.accounts.forms import BootstrapFormMixin

from .models import HistoryCategory
from .services import MAX_TEXT


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (the services check each one's size and type)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class NoteForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown: **bold**, *italics*, lists, [links](https://…)."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=HistoryCategory.objects.all(), required=False
    )
    follow_up = forms.DateField(
        label=_("Follow-up date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("You get a reminder that morning."),
    )
    files = MultipleFileField(label=_("Files"), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, categories=None, **kwargs):
        """`categories`: the history categories the page already read, to offer them without
        reading them again (the select's own query used a server-side cursor: three round
        trips). Validation still goes through the field's queryset."""
        super().__init__(*args, **kwargs)
        if categories is not None:
            field = self.fields["category"]
            field.choices = [
                ("", field.empty_label),
                *((category.pk, field.label_from_instance(category)) for category in categories),
            ]

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "text": data["text"],
            "category": data.get("category"),
            "follow_up": data.get("follow_up"),
        }


class CommentForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "data-mentions": "1"}),
        help_text=_("Type @ and a name to mention someone who can see this record."),
    )


class FileForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("File"))
