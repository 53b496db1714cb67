"""Account pages that django.contrib.auth does not provide: organiser sign-up."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from coordination.forms import OrganiserSignUpForm


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
