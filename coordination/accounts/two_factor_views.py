"""The two-factor pages: set up an authenticator (with recovery codes, shown once) and enter
a code after logging in. Everything else is in coordination/accounts/two_factor.py."""

from __future__ import annotations

import logging

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from coordination.accounts import two_factor
from coordination.accounts.security_log import log_two_factor

logger = logging.getLogger("parley.security")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "inputmode": "text", "autocapitalize": "off"}),
    )


def _next_url(request: HttpRequest) -> str:
    """Where to go afterwards: a safe ``next``, else the user's start page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    if request.user.has_perm("desk.view_desk"):
        return reverse("desk")
    return reverse("events:list")


@sensitive_post_parameters("code")
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Show the secret as a QR code and as text; a right code confirms it, verifies this
    session and shows the recovery codes once."""
    if two_factor.has_second_factor(request.user) and not request.user.is_verified():
        # Replacing the authenticator takes the current one: a password alone must not do.
        return redirect(f"{reverse('two_factor_verify')}?{request.GET.urlencode()}")
    device = two_factor.pending_totp_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_totp_device(request.user, device, form.cleaned_data["code"])
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            log_two_factor(request, request.user, success=True, reason="setup")
            return render(request, "registration/two_factor_codes.html",
                          {"codes": codes, "next": _next_url(request)})
        log_two_factor(request, request.user, success=False, reason="setup_wrong_code")
        form.add_error("code", _("That code is not right. Check the time on your phone and "
                                 "type the code your app shows now."))
    uri = device.config_url
    return render(request, "registration/two_factor_setup.html", {
        "form": form, "qr_svg": two_factor.qr_code_svg(uri), "secret": two_factor.secret_of(device),
        "uri": uri, "required": two_factor.requires_two_factor(request.user),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    })


@sensitive_post_parameters("code")
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator's code (or a recovery code) once per session."""
    if not two_factor.has_second_factor(request.user):
        return redirect(f"{reverse('two_factor_setup')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify_code(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            reason = "recovery_code" if device.__class__.__name__ == "StaticDevice" else "totp"
            log_two_factor(request, request.user, success=True, reason=reason)
            return redirect(_next_url(request))
        log_two_factor(request, request.user, success=False, reason="wrong_code")
        form.add_error("code", _("That code is not right, or was tried too soon after a "
                                 "wrong one. Wait a moment and type the code your app shows "
                                 "now, or one of your recovery codes."))
    return render(request, "registration/two_factor_verify.html", {
        "form": form, "next": request.POST.get("next") or request.GET.get("next", ""),
    })
