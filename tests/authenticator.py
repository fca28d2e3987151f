"""An authenticator app for the tests: a person's TOTP device, and the code it shows now."""

from __future__ import annotations

import time

from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice


def authenticator_for(user) -> TOTPDevice:
    """The person's confirmed authenticator, set up now if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_now(key: bytes, *, after_t: int = -1, step: int = 30, drift: int = 0) -> str:
    """The code an app with this key shows, for the first time step after `after_t` that the
    server still accepts (django-otp takes a code once, and one step either side of now)."""
    totp = TOTP(key, step=step, drift=drift)
    now_t = totp.t()
    wanted = max(now_t, after_t + 1)
    if wanted > now_t + 1:  # both codes near now are used: wait for the next step
        time.sleep(step - time.time() % step + 0.1)
        return code_now(key, after_t=after_t, step=step, drift=drift)
    return f"{hotp(key, wanted, digits=6):06d}"


def code_for(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return code_now(device.bin_key, after_t=device.last_t, step=device.step, drift=device.drift)
