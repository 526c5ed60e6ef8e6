"""Pages of the account's security: the second login step, enrolment, recovery codes, sessions.

Thin: each parses the form, calls one use case of ``portal.two_factor`` or
``portal.account_sessions``, and shows the result.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from . import account_sessions, two_factor
from .params import int_param


class VerifyForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=32,
        help_text=gettext_lazy(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
    remember = forms.BooleanField(label=gettext_lazy("Remember this browser"), required=False)


class EnrolForm(forms.Form):
    device = forms.IntegerField(widget=forms.HiddenInput)
    token = forms.CharField(
        label=gettext_lazy("Code from the app"),
        max_length=32,
        help_text=gettext_lazy("After scanning, type the 6-digit code the app shows."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second login step, asked right after the password."""
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(_next_url(request))
    if not two_factor.is_enrolled(request.user):
        return redirect("two-factor-setup")
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = two_factor.verify(request=request, token=form.cleaned_data["token"])
        except ValidationError as error:
            form.add_error("token", error)
        else:
            response = redirect(_next_url(request))
            if form.cleaned_data["remember"]:
                two_factor.remember(
                    response=response,
                    request=request,
                    device=request.user.otp_device,  # type: ignore[union-attr]
                )
            if method == "recovery_code":
                left = two_factor.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(left)d are left. Each works only once: "
                        "generate new ones on your security page when few are left."
                    )
                    % {"left": left},
                )
            return response
    return render(
        request,
        "registration/two_factor_verify.html",
        {
            "form": form,
            "next": _next_url(request),
            "remember_days": settings.PORTAL_OTP_REMEMBER_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app by scanning a QR code; the recovery codes are shown once."""
    user = request.user
    if two_factor.is_enrolled(user) and not user.is_verified():  # type: ignore[union-attr]
        return redirect("two-factor-verify")
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.two_factor_enrol(
                user=user,  # type: ignore[arg-type]
                device_id=form.cleaned_data["device"],
                token=form.cleaned_data["token"],
            )
        except ValidationError as error:
            form.add_error("token", error)
        else:
            otp_login(request, device)
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "just_enrolled": True},
            )
    device = two_factor.pending_authenticator(user=user)
    form.initial["device"] = device.pk
    if form.is_bound:
        form.data = form.data.copy()
        form.data["device"] = str(device.pk)
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.qr_code_svg(device),
            "secret": two_factor.secret_for_typing(device),
            "next": _next_url(request),
            "replacing": two_factor.is_enrolled(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_manage(request: HttpRequest) -> HttpResponse:
    """The account's second factor: status, new recovery codes, turning an optional one off."""
    user = request.user
    required = two_factor.is_required(user, request.visibility)  # type: ignore[attr-defined]
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "recovery_codes":
            codes = two_factor.recovery_codes_regenerate(user=user)  # type: ignore[arg-type]
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": "", "just_enrolled": False},
            )
        if action == "disable":
            two_factor.two_factor_disable(
                user=user,  # type: ignore[arg-type]
                visibility=request.visibility,  # type: ignore[attr-defined]
            )
            messages.success(request, _("Two-factor login is off for your account."))
            return redirect("two-factor")
        messages.error(request, _("Choose one of the actions on this page."))
        return redirect("two-factor")
    return render(
        request,
        "registration/two_factor.html",
        {
            "enrolled": two_factor.is_enrolled(user),
            "required": required,
            "codes_left": two_factor.recovery_codes_left(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_list(request: HttpRequest) -> HttpResponse:
    """The user's signed-in browsers; they end any other one, or all others at once."""
    current = request.session.session_key
    if request.method == "POST":
        if request.POST.get("all"):
            count = account_sessions.sessions_end_others(
                user=request.user, current_session_key=current, reason="user"
            )
            messages.success(request, _("%(count)d other sessions ended.") % {"count": count})
            return redirect("account-sessions")
        session_id = int_param(request.POST, "session")
        if session_id is None:
            messages.error(request, _("Choose a session to end."))
            return redirect("account-sessions")
        account_sessions.session_end(
            user=request.user, session_id=session_id, current_session_key=current
        )
        messages.success(request, _("The session has ended."))
        return redirect("account-sessions")
    return render(
        request,
        "registration/sessions.html",
        {"sessions": account_sessions.sessions_of(request.user), "current": current},
    )
