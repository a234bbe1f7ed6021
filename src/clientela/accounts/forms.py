"""Forms for log-in, the profile, API tokens, and the users and teams settings.

Forms parse and check input; the services in `accounts.services` do every write."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import User


class BootstrapFormMixin:
    """Give every widget the Bootstrap class its kind needs, so templates render fields plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


def style_widgets(form: forms.Form) -> forms.Form:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        elif getattr(widget, "input_type", "") == "color":
            css = "form-control form-control-color"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    return form


class EmailLoginForm(BootstrapFormMixin, auth_forms.AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong email or password."),
        "inactive": _("This account is inactive."),
    }

    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True})
    )

    def clean_username(self):
        # Emails are stored lower-cased; people type them however they like.
        return self.cleaned_data["username"].strip().lower()


class ProfileForm(BootstrapFormMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class NewPasswordForm(BootstrapFormMixin, forms.Form):
    """A new password, typed twice and checked by the configured validators: what the
    reset link asks for, and (with the current one) the profile's password change."""

    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_new_password(self):
        password = self.cleaned_data["new_password"]
        password_validation.validate_password(password, self.user)
        return password

    def clean(self):
        data = super().clean()
        new, again = data.get("new_password"), data.get("new_password_again")
        if new and again and new != again:
            self.add_error("new_password_again", _("The two passwords differ."))
        return data


class PasswordChangeForm(NewPasswordForm):
    field_order = ["old_password", "new_password", "new_password_again"]

    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_old_password(self):
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise forms.ValidationError(_("Your current password is not right."))
        return old


class PasswordResetRequestForm(BootstrapFormMixin, auth_forms.PasswordResetForm):
    """The address to send a reset link to. Sending is `services.request_password_reset`'s
    job, through the outbox, never this form's `save`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autofocus"] = True

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class ApiTokenForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Say what will use it, e.g. “accounting export”."),
    )


class UserForm(BootstrapFormMixin, forms.Form):
    """Create (with an initial password) or edit (new password optional) a user."""

    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, editing: User | None = None, **kwargs):
        self.editing = editing
        super().__init__(*args, **kwargs)
        if editing is not None:
            self.fields["password"].required = False
            self.fields["password"].label = _("New password")
            self.fields["password"].help_text = _("Leave empty to keep the current password.")

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            password_validation.validate_password(password, self.editing)
        return password

    def profile_changes(self) -> dict:
        """The user fields (all but the password) as the services take them."""
        names = ("email", "first_name", "last_name", "role", "language")
        return {name: self.cleaned_data[name] for name in names}


class TeamForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        if team is not None:
            # Deactivated members stay listed, so saving the team does not drop them unseen.
            self.fields["members"].queryset = User.objects.filter(
                Q(is_active=True) | Q(teams=team)
            ).distinct()
