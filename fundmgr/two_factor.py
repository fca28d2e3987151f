"""Two-factor authentication (TOTP with django-otp): who must use it, setting up an authenticator
app, recovery codes, and the checks that keep a session without its second factor out.

Required for administrators, superusers and finance officers (`two_factor_required`), offered to
everyone. A session is verified once the person has entered a code after their password
(django_otp.login keeps the device in the session). Until then `TwoFactorRequired` lets a person
with an authenticator reach only the code step, and a person in a required role without one only
the set-up pages; the API's session sign-in is refused the same way. API tokens, which
administrators issue to programs, are not affected.
"""

from __future__ import annotations

import re
import secrets
from binascii import unhexlify
from urllib.parse import quote

import django_otp
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from fundmgr.roles import Role, has_role

RECOVERY_CODES = 10
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def two_factor_required(user) -> bool:
    """Those who can move money or change who may do what must use a second factor."""
    return user.is_superuser or has_role(user, Role.ADMINISTRATOR, Role.FINANCE_OFFICER)


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(user) -> bool:
    """The session has passed the code step (OTPMiddleware sets `is_verified`)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def needs_code(user) -> str | None:
    """What a signed-in session lacks before it may go on: 'code' (enter a code), 'setup' (set
    up an authenticator first), or None."""
    if not user.is_authenticated or is_verified(user):
        return None
    # Asked twice a request (the middleware, then the page's header): once to the database.
    known = getattr(user, "_has_authenticator", None)
    if known is None:
        known = user._has_authenticator = has_authenticator(user)
    if known:
        return "code"
    if two_factor_required(user):
        return "setup"
    return None


# --- setting up ------------------------------------------------------------------------------


def new_secret() -> str:
    """A new TOTP key, hex as TOTPDevice keeps it (20 bytes, as RFC 4226 recommends)."""
    return secrets.token_hex(20)


def secret_for_typing(key: str) -> str:
    """The key as an authenticator app asks for it when typed: base32, in groups of four."""
    from base64 import b32encode

    text = b32encode(unhexlify(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otpauth_uri(user, key: str) -> str:
    """The address the QR code holds (TOTPDevice builds it with the issuer from settings)."""
    return TOTPDevice(user=user, key=key, name=APP_NAME).config_url


def qr_svg(text: str) -> str:
    """A QR code as inline SVG markup: no image file, no script, no inline style."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    # A fixed size on screen (the viewBox scales it), and a name for screen readers.
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg width="220" height="220"', svg)
    return svg.replace(
        "<svg ", '<svg role="img" aria-label="QR code to scan with your authenticator app" ', 1
    )


@transaction.atomic
def authenticator_set_up(*, user, key: str, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm a new authenticator from the first code it shows. It replaces any the person had,
    and comes with a new set of recovery codes. None when the code is wrong."""
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6)
    try:
        accepted = totp.verify(int(code), tolerance=1)
    except ValueError:
        accepted = False
    if not accepted:
        return None
    TOTPDevice.objects.filter(user=user).delete()
    user.__dict__.pop("_has_authenticator", None)
    device = TOTPDevice.objects.create(
        user=user, name=APP_NAME, key=key, confirmed=True, last_t=totp.t()
    )
    return device, recovery_codes_make(user=user)


@transaction.atomic
def recovery_codes_make(*, user) -> list[str]:
    """A new set of recovery codes, each usable once; the old ones stop working. The person is
    shown them once."""
    # The same device, new tokens: a session that signed in with a recovery code stays verified.
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_reset(*, users) -> None:
    """An administrator's reset (fundmgr/admin.py): the people's authenticators and recovery
    codes are removed. Sessions already past the code step lose it at their next request."""
    TOTPDevice.objects.filter(user__in=users).delete()
    StaticDevice.objects.filter(user__in=users).delete()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _device_for(user, code: str):
    """A 6-digit code is the app's; anything else can only be a recovery code. Trying one kind
    of code on the other device would count as a wrong code there and slow the person down."""
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    return model.objects.filter(user=user, confirmed=True).first()


def code_check(*, user, code: str):
    """The device that accepts the code (the authenticator, or a recovery code, used up), or
    None. django-otp slows down repeated wrong codes on each device."""
    device = _device_for(user, code)
    if device is not None and django_otp.verify_token(user, device.persistent_id, code):
        return device
    return None


def code_wait_seconds(user, code: str) -> int:
    """While django-otp refuses codes after wrong ones, how long the person must wait."""
    device = _device_for(user, code)
    if device is None:
        return 0
    allowed, details = device.verify_is_allowed()
    if allowed or not details:
        return 0
    until = details.get("locked_until")
    return max(1, int((until - timezone.now()).total_seconds())) if until else 0


# --- keeping sessions without a second factor out --------------------------------------------

# What a session without its second factor may still reach, by URL name.
ALLOWED_BEFORE_CODE = {"two_factor_code", "logout"}
ALLOWED_BEFORE_SETUP = {
    "two_factor",
    "two_factor_setup",
    "two_factor_recovery_codes",
    "logout",
}


class TwoFactorRequired:
    """Middleware: a signed-in person who has an authenticator goes to the code step, and one
    whose role requires it but has none goes to set one up, before any other page (`/admin/`
    included). The API (its own 401) is left to `VerifiedSessionAuthentication`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith("/api/"):
            return None
        lacking = needs_code(user)
        if lacking is None:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if lacking == "code":
            if name in ALLOWED_BEFORE_CODE:
                return None
            target = "two_factor_code"
        else:
            if name in ALLOWED_BEFORE_SETUP:
                return None
            target = "two_factor_setup"
        return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")


class VerifiedSessionAuthentication(SessionAuthentication):
    """The API's session sign-in (the pages' own scripts), refused until the session has passed
    the code step where the person has an authenticator or their role requires one."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = request._request.user
        if needs_code(user) is not None:
            raise exceptions.AuthenticationFailed(
                "Enter the code from your authenticator app at /account/two-factor/code/ first, "
                "or use an API token."
            )
        return result
