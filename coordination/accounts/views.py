"""Account pages that django.contrib.auth does not provide: organiser sign-up, and a login
that takes police and city to their desk."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.debug import sensitive_post_parameters

from coordination.accounts.forms import LanguageSettingForm, OrganiserSignUpForm
from coordination.languages import supported_language


@sensitive_post_parameters("password1", "password2")
def signup(request):
    """An organiser makes their own account, is logged in and lands on the list of events."""
    if request.user.is_authenticated:
        return redirect("events:list")
    form = OrganiserSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome, %(name)s. You can now register a demonstration.")
                         % {"name": user.display_name})
        return redirect("events:list")
    return render(request, "registration/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Django's login page; police and city land on the desk, everyone else on the list of
    demonstrations (``LOGIN_REDIRECT_URL``), unless ``?next=`` says where to go."""

    def get_default_redirect_url(self) -> str:
        if self.request.user.has_perm("desk.view_desk"):
            return reverse("desk")
        return super().get_default_redirect_url()


class LogoutView(auth_views.LogoutView):
    """Django's logout, which also empties this browser of what Parley kept in it: the
    service worker's caches, the channel's outbox and history (IndexedDB), local storage
    (``Clear-Site-Data``, honoured on https and on localhost). static/js/pwa.js clears the
    caches and databases too as the form is sent, for browsers that ignore the header
    (docs/phones.md)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response


def set_language(request):
    """Django's language switcher; for a signed-in user it also becomes their own setting, so
    that the API, the live channel and e-mails follow it too."""
    response = i18n.set_language(request)
    chosen = supported_language(request.POST.get("language")) if request.method == "POST" else None
    user = request.user
    if chosen and user.is_authenticated and user.language != chosen:
        user.language = chosen
        user.save(update_fields=["language"])
    return response


@login_required
def account_settings(request):
    """A person's own settings: the language they read Parley in, or their browser's."""
    form = LanguageSettingForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        response = redirect("account_settings")
        # The switcher's cookie would otherwise go on choosing for this browser.
        if user.language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language,
                                max_age=settings.LANGUAGE_COOKIE_AGE,
                                secure=settings.LANGUAGE_COOKIE_SECURE,
                                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                                samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        else:
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        messages.success(request, _("Your settings are saved."))
        return response
    return render(request, "registration/account_settings.html", {"form": form})
