"""The /account/ pages: a person's own sign-in, whatever their role. Password reset (Django's
views, with our forms and templates), confirming the address after sign-up, and two-factor
authentication: setting up an authenticator app, the code step after the password, and recovery
codes."""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from fundmgr import access, accounts, two_factor
from fundmgr.forms import NewPasswordForm, PasswordResetRequestForm, TwoFactorCodeForm

SIGN_IN_BACKEND = "fundmgr.sign_in.EmailOrUsernameBackend"
CHECK_EMAIL_SESSION_KEY = "fundmgr_check_email"
NEW_KEY_SESSION_KEY = "fundmgr_new_totp_key"
CODES_ONCE_SESSION_KEY = "fundmgr_recovery_codes_once"


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _with_next(name: str, target: str) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'next': target})}" if target else url


# --- password reset --------------------------------------------------------------------------

password_reset = access.public(writes=True)(
    auth_views.PasswordResetView.as_view(
        form_class=PasswordResetRequestForm,
        template_name="registration/forgotten_password.html",
        email_template_name="registration/forgotten_password_email.txt",
        subject_template_name="registration/forgotten_password_subject.txt",
    )
)
password_reset_done = access.public(
    auth_views.PasswordResetDoneView.as_view(
        template_name="registration/forgotten_password_sent.html"
    )
)
password_reset_complete = access.public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="registration/new_password_done.html"
    )
)


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """A new password from the link in the e-mail. The link proves the address, so the lockout
    on the account (by its address and its username) ends too."""

    form_class = NewPasswordForm
    template_name = "registration/new_password.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        for name in {form.user.get_username().lower(), (form.user.email or "").lower()} - {""}:
            axes_reset(username=name)
        return response


password_reset_confirm = access.public(writes=True)(PasswordResetConfirm.as_view())


# --- confirming the address after sign-up ----------------------------------------------------


@access.public
def check_email(request):
    """Where sign-up always ends, whether or not the address already had an account."""
    return render(
        request,
        "registration/check_email.html",
        {"email": request.session.get(CHECK_EMAIL_SESSION_KEY, "")},
    )


@access.public(writes=True)
@require_http_methods(["GET", "POST"])
def account_confirm(request, uidb64: str, token: str):
    """GET shows a button (mail scanners that open links do not switch accounts on); POST
    switches the account on and signs the person in."""
    if request.method == "POST":
        user = accounts.account_confirm(uidb64=uidb64, token=token)
        if user is not None:
            login(request, user, backend=SIGN_IN_BACKEND)
            request.session.pop(CHECK_EMAIL_SESSION_KEY, None)
            messages.success(request, "Your email address is confirmed and you are signed in.")
            return redirect("home")
        return render(request, "registration/confirm_address.html", {"valid": False})
    valid = accounts.confirmation_link_works(uidb64=uidb64, token=token)
    return render(request, "registration/confirm_address.html", {"valid": valid})


# --- two-factor authentication ---------------------------------------------------------------


@access.own_account
def two_factor_overview(request):
    user = request.user
    return render(
        request,
        "registration/two_factor.html",
        {
            "has_authenticator": two_factor.has_authenticator(user),
            "required": two_factor.two_factor_required(user),
            "codes_left": two_factor.recovery_codes_left(user),
        },
    )


@access.own_account
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Scan the QR code (or type the key), then enter the code the app shows."""
    user = request.user
    if two_factor.has_authenticator(user) and not two_factor.is_verified(user):
        return redirect("two_factor_code")  # a new app needs the current one first
    key = request.session.get(NEW_KEY_SESSION_KEY)
    if not key:
        key = request.session[NEW_KEY_SESSION_KEY] = two_factor.new_secret()
    form = TwoFactorCodeForm(request.POST or None, button="Turn on two-factor authentication")
    form.fields["code"].help_text = "The 6-digit code your authenticator app shows now."
    if request.method == "POST" and form.is_valid():
        done = two_factor.authenticator_set_up(user=user, key=key, code=form.cleaned_data["code"])
        if done is None:
            form.add_error(
                "code",
                "The code is not right: enter the 6-digit code your app shows now, for the "
                "account you have just added",
            )
        else:
            device, codes = done
            request.session.cycle_key()
            django_otp.login(request, device)
            del request.session[NEW_KEY_SESSION_KEY]
            request.session[CODES_ONCE_SESSION_KEY] = codes
            messages.success(request, "Two-factor authentication is on.")
            return redirect(_with_next("two_factor_recovery_codes", _next_url(request, "")))
    uri = two_factor.otpauth_uri(user, key)
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.qr_svg(uri),
            "secret": two_factor.secret_for_typing(key),
            "required": two_factor.two_factor_required(user),
            "next": _next_url(request, ""),
        },
    )


@access.own_account
@require_http_methods(["GET", "POST"])
def two_factor_code(request):
    """The step after the password for a person with an authenticator app."""
    user = request.user
    destination = _next_url(request, settings.LOGIN_REDIRECT_URL)
    if two_factor.is_verified(user) or not two_factor.has_authenticator(user):
        return redirect(destination)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        wait = two_factor.code_wait_seconds(user, code)
        device = None if wait else two_factor.code_check(user=user, code=code)
        if device is not None:
            request.session.cycle_key()
            django_otp.login(request, device)
            if device.name == two_factor.RECOVERY_NAME:
                left = two_factor.recovery_codes_left(user)
                messages.info(
                    request,
                    f"You used a recovery code. You have {left} left: make new ones on your "
                    "two-factor authentication page if you are running out.",
                )
            return redirect(destination)
        if wait:
            form.add_error(
                "code",
                f"Too many wrong codes. Wait {wait} second{'' if wait == 1 else 's'}, then enter "
                "the new code",
            )
        else:
            form.add_error(
                "code",
                "The code is not right: enter the code your app shows now, or a recovery code",
            )
    return render(
        request,
        "registration/two_factor_code.html",
        {"form": form, "next": _next_url(request, "")},
    )


@access.own_account
@require_http_methods(["GET", "POST"])
def two_factor_recovery_codes(request):
    """Shows a new set of recovery codes once; otherwise how many are left, and a button for a
    new set (which ends the old one)."""
    user = request.user
    if request.method == "POST":
        if not two_factor.has_authenticator(user):
            return redirect("two_factor_setup")
        request.session[CODES_ONCE_SESSION_KEY] = two_factor.recovery_codes_make(user=user)
        return redirect("two_factor_recovery_codes")
    codes = request.session.pop(CODES_ONCE_SESSION_KEY, None)
    return render(
        request,
        "registration/recovery_codes.html",
        {
            "codes": codes,
            "codes_left": two_factor.recovery_codes_left(user),
            "has_authenticator": two_factor.has_authenticator(user),
            "next": _next_url(request, ""),
        },
    )
