"""The import wizard's mapping form: a field for each column of the file, and the options of
the batch. It collects input; `imports.configure_import` validates it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.core.access import AccessLevel

from .forms import StyledForm
from .imports import field_choices
from .models import ContactImport


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.txt,text/csv,text/plain", "class": "form-control"}
        ),
    )


class ImportMappingForm(StyledForm):
    default_kind = forms.ChoiceField(
        label=_("Kind, when a row does not say"),
        choices=ContactImport.DefaultKind.choices,
        help_text=_(
            "Guessing makes a row with a company name but no first or last name a company."
        ),
    )
    access = forms.ChoiceField(label=_("Access of new contacts"), choices=AccessLevel.choices)
    tag = forms.CharField(
        label=_("Tag every imported contact with"),
        required=False,
        max_length=60,
        help_text=_("Find the imported contacts later by this tag. Leave it empty for none."),
    )
    duplicates = forms.ChoiceField(
        label=_("When a row has the email of one of your contacts"),
        choices=ContactImport.Duplicates.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Updating fills in the file's values, adds its emails, phones and tags to the "
            "contact's, and keeps its kind and access."
        ),
    )

    def __init__(self, *args, job: ContactImport, **kwargs):
        initial = {
            "default_kind": job.default_kind,
            "access": job.access,
            "tag": job.tag,
            "duplicates": job.duplicates,
            **{f"column_{i}": key for i, key in enumerate(job.mapping)},
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.job = job
        choices = field_choices()
        for index, header in enumerate(job.headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
            )
            self.fields[f"column_{index}"].widget.attrs["class"] = "form-select form-select-sm"

    def columns(self):
        """(header, sample values, bound field) of each column, in the file's order."""
        samples = self.job.samples or []
        return [
            (
                header,
                [row[index] for row in samples if index < len(row) and row[index]],
                self[f"column_{index}"],
            )
            for index, header in enumerate(self.job.headers)
        ]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"column_{i}") or "" for i in range(len(self.job.headers))]

    def options(self) -> dict:
        return {
            k: self.cleaned_data.get(k) for k in ("default_kind", "access", "tag", "duplicates")
        }

    def add_service_errors(self, messages: dict):
        """Put `configure_import`'s errors (keyed `mapping.<column>`, `mapping`, or an option)
        next to what they are about."""
        for key, errors in messages.items():
            name = key.replace("mapping.", "column_") if key.startswith("mapping.") else key
            for error in errors:
                self.add_error(name if name in self.fields else None, error)
