"""Log-in and password reset, profile and language, API tokens, and the users and teams
settings pages."""

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clientela.accounts import services
from clientela.accounts.forms import (
    ApiTokenForm,
    EmailLoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    ProfileForm,
    TeamForm,
    UserForm,
)
from clientela.accounts.models import Team, User
from clientela.core.settings_views import crm_admin_required, posted, show_service_errors

# Read by `accounts.middleware.UserLanguageMiddleware` on every request.
SESSION_LANGUAGE_KEY = "clientela_language"


def use_language(request, language: str):
    """Speak `language` from this response on, and on every later request of the session."""
    request.session[SESSION_LANGUAGE_KEY] = language
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        use_language(self.request, form.get_user().language)
        return response


# --- Password reset by email ------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a link to choose a new password. Every valid address gets the same answer, a
    page saying a link went out if the account exists, throttled or not."""

    template_name = "accounts/password_reset.html"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Not form.save(): Django's form sends the mail in the request, by the address typed.
        services.request_password_reset(
            form.cleaned_data["email"], get_client_ip_address(self.request)
        )
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(lifetime=services.reset_link_lifetime(), **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The emailed link: Django's view checks the token (and moves it from the address into
    the session before showing the form); a used, expired or altered link gets a page that
    says so and offers a new one."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:login")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # A link sent before the account was deactivated must not let anyone back in.
        return user if user is not None and user.is_active else None

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["new_password"].widget.attrs["autofocus"] = True
        return form

    def get_context_data(self, **kwargs):
        return super().get_context_data(lifetime=services.reset_link_lifetime(), **kwargs)

    def form_valid(self, form):
        # Not form.save(): the service logs the change and ends the user's sessions.
        try:
            services.reset_password(self.user, form.cleaned_data["new_password"])
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        # This browser's session holds the link's token (and maybe the user logged in with
        # the old password): it ends too, so the next step is a fresh log-in.
        logout(self.request)
        messages.success(self.request, _("Your password was changed. Log in with the new one."))
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- Profile -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    # The services log changes against the record's model: give them the User, not the
    # lazy wrapper the middleware puts on the request.
    user = User.objects.get(pk=request.user.pk)
    profile_form = ProfileForm(
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
        }
    )
    password_form = PasswordChangeForm(user)
    if request.method == "POST" and "change_password" in request.POST:
        password_form = PasswordChangeForm(user, request.POST)
        if password_form.is_valid():
            try:
                services.change_password(user, user, password_form.cleaned_data["new_password"])
            except ValidationError as exc:
                show_service_errors(password_form, exc)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, _("Your password was changed."))
                return redirect("accounts:profile")
    elif request.method == "POST":
        profile_form = ProfileForm(request.POST)
        if profile_form.is_valid():
            try:
                services.update_user(user, user, **profile_form.cleaned_data)
            except ValidationError as exc:
                show_service_errors(profile_form, exc)
            else:
                use_language(request, user.language)
                messages.success(request, _("Your profile was saved."))
                return redirect("accounts:profile")
    has_errors = profile_form.errors or password_form.errors
    return render(
        request,
        "accounts/profile.html",
        {"profile_form": profile_form, "password_form": password_form},
        status=400 if has_errors else 200,
    )


# --- API tokens --------------------------------------------------------------------------------


def _own_tokens(user):
    return user.api_tokens.filter(revoked_at__isnull=True)


# The new key rides in the session from the POST to the very next page, which pops it: a
# reload neither shows it again nor creates a second token.
NEW_TOKEN_SESSION_KEY = "clientela_new_api_token"


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """List the user's live tokens; a token just created shows its key this one time."""
    form = ApiTokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            token, raw_key = services.create_api_token(request.user, form.cleaned_data["name"])
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "key": raw_key}
            return redirect("accounts:tokens")
    tokens = list(_own_tokens(request.user))
    just_created = request.session.pop(NEW_TOKEN_SESSION_KEY, None) or {}
    new_token = next((t for t in tokens if t.pk == just_created.get("id")), None)
    response = render(
        request,
        "accounts/tokens.html",
        {
            "tokens": tokens,
            "form": form,
            "new_token": new_token,
            "new_key": just_created.get("key") if new_token else None,
        },
        status=400 if form.errors else 200,
    )
    # The key must never come back from a cache or the browser's history.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request, pk):
    token = get_object_or_404(_own_tokens(request.user), pk=pk)
    if request.method == "POST":
        services.revoke_api_token(request.user, token)
        messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
        return redirect("accounts:tokens")
    return render(request, "accounts/token_revoke.html", {"token": token})


# --- Users (settings) --------------------------------------------------------------------------


@crm_admin_required
def user_list(request):
    users = User.objects.prefetch_related(Prefetch("teams", queryset=Team.objects.only("name")))
    return render(
        request, "accounts/user_list.html", {"users": users, "active_section": "settings"}
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = UserForm(posted(request), initial={"role": User.Role.USER, "language": "es"})
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.create_user(
                request.user, password=form.cleaned_data["password"], **form.profile_changes()
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": new_user})
            return redirect("settings:users")
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "editing": None, "active_section": "settings"},
        status=400 if form.errors else 200,
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    editing = get_object_or_404(User, pk=pk)
    initial = {
        "email": editing.email,
        "first_name": editing.first_name,
        "last_name": editing.last_name,
        "role": editing.role,
        "language": editing.language,
    }
    form = UserForm(posted(request), initial=initial, editing=editing)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                changes = {
                    name: value
                    for name, value in form.profile_changes().items()
                    if getattr(editing, name) != value
                }
                if changes:
                    services.update_user(request.user, editing, **changes)
                if form.cleaned_data["password"]:
                    services.change_password(request.user, editing, form.cleaned_data["password"])
        except ValidationError as exc:
            editing.refresh_from_db()
            show_service_errors(form, exc)
        else:
            messages.success(request, _("User %(name)s saved.") % {"name": editing})
            return redirect("settings:users")
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "editing": editing, "active_section": "settings"},
        status=400 if form.errors else 200,
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def user_deactivate(request, pk):
    """Deactivating ends the user's sessions and API access at once."""
    target = get_object_or_404(User, pk=pk, is_active=True)
    error = None
    if request.method == "POST":
        try:
            services.deactivate_user(request.user, target)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("%(name)s can no longer log in.") % {"name": target})
            return redirect("settings:users")
    return render(
        request,
        "accounts/user_deactivate.html",
        {"target": target, "error": error, "active_section": "settings"},
        status=400 if error else 200,
    )


@crm_admin_required
@require_POST
def user_reactivate(request, pk):
    target = get_object_or_404(User, pk=pk, is_active=False)
    services.reactivate_user(request.user, target)
    messages.success(request, _("%(name)s can log in again.") % {"name": target})
    return redirect("settings:users")


# --- Teams (settings) --------------------------------------------------------------------------


@crm_admin_required
def team_list(request):
    teams = Team.objects.annotate(member_count=Count("members")).prefetch_related(
        Prefetch("members", queryset=User.objects.only("first_name", "last_name", "email"))
    )
    return render(
        request, "accounts/team_list.html", {"teams": teams, "active_section": "settings"}
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def team_edit(request, pk=None):
    team = get_object_or_404(Team, pk=pk) if pk else None
    initial = {"name": team.name, "members": list(team.members.all())} if team else {}
    form = TeamForm(posted(request), initial=initial, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.set_team(
                request.user,
                team,
                name=form.cleaned_data["name"],
                member_ids=[member.pk for member in form.cleaned_data["members"]],
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team})
            return redirect("settings:teams")
    return render(
        request,
        "accounts/team_form.html",
        {"form": form, "team": team, "active_section": "settings"},
        status=400 if form.errors else 200,
    )


@crm_admin_required
@require_http_methods(["GET", "POST"])
def team_delete(request, pk):
    team = get_object_or_404(Team, pk=pk)
    if request.method == "POST":
        services.delete_team(request.user, team)
        messages.success(request, _("Team %(name)s deleted.") % {"name": team})
        return redirect("settings:teams")
    return render(
        request,
        "core/confirm_delete.html",
        {"item": team, "back_url": reverse("settings:teams"), "active_section": "settings"},
    )
