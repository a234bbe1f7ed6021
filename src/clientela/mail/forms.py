"""Forms of the notification settings (admins) and of a user's email preferences.

They only parse; `mail.services` checks the wording (placeholders, lengths) and writes."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clientela.accounts.forms import BootstrapFormMixin


class NotificationSettingForm(BootstrapFormMixin, forms.Form):
    email_enabled = forms.BooleanField(label=_("Send by email"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, _language in settings.LANGUAGES:
            self.fields[f"subject_{code}"] = forms.CharField(label=_("Subject"), required=False)
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Body"),
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 6}),
            )
        self.fields["version"] = self.fields.pop("version")
        for name, field in self.fields.items():
            if name.startswith(("subject_", "body_")):
                field.widget.attrs["class"] = "form-control font-monospace"

    def languages(self) -> list[dict]:
        """The subject and body fields of each language, for the template."""
        return [
            {
                "code": code,
                "label": label,
                "subject": self[f"subject_{code}"],
                "body": self[f"body_{code}"],
            }
            for code, label in settings.LANGUAGES
        ]

    def texts(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name.startswith(("subject_", "body_"))
        }
