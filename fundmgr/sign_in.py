"""Signing in: with an e-mail address or a username, the lockout after repeated wrong passwords
(django-axes, configured in settings), and staff signed out when they leave a session idle.

The messages a person reads are here too, so that the sign-in page, the lockout and the idle
sign-out say the same things in the same words.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.forms.utils import ErrorDict
from django.shortcuts import render
from django.urls import reverse

from fundmgr import councils
from fundmgr.forms import SignInForm
from fundmgr.models import User
from fundmgr.roles import Role, has_role, role_names

STAFF_ROLES = (
    Role.GRANTS_OFFICER,
    Role.FINANCE_OFFICER,
    Role.PANEL_MEMBER,
    Role.AUDITOR,
    Role.ADMINISTRATOR,
)


def is_council_staff(user) -> bool:
    """Council staff, whose sessions end when idle: the officer roles, panel members, and anyone
    who may use /admin/."""
    return user.is_superuser or user.is_staff or has_role(user, *STAFF_ROLES)


class EmailOrUsernameBackend(ModelBackend):
    """A person signs in with their e-mail address (in any case) or, for staff accounts made
    without one, their username.

    An account not yet switched on (its address is not confirmed, or the council switched it
    off) is returned when the password is right, so the sign-in form can say why it refuses it;
    `get_user` still gives no session to such an account."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        tried = username.strip()
        candidates = list(User.objects.filter(username=tried)) or list(
            User.objects.filter(Q(email__iexact=tried) & ~Q(email="")).order_by("pk")
        )
        if not candidates:
            User().set_password(password)  # as long as a real check: no timing difference
            return None
        for user in candidates:
            if user.check_password(password):
                return user
        return None

    def get_user(self, user_id):
        """The session's person, read with what every signed-in page asks of them next: their
        roles at the council in scope (fundmgr.roles.role_names) and whether they have
        confirmed an authenticator (fundmgr.two_factor.needs_code). On PostgreSQL one query,
        from SQL compiled once for each council scope; elsewhere Django's own read."""
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        sql, slots, names = _session_user_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk if slot is _USER else slot for slot in slots])
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(connection.alias, names, row[: len(names)])
        staff, applicant, authenticator = row[len(names) :]
        user.__dict__["_role_names"] = {
            councils.scope(): {*staff, *([str(Role.APPLICANT)] if applicant else [])}
        }
        user._has_authenticator = authenticator
        return user if self.user_can_authenticate(user) else None

    def _get_group_permissions(self, user_obj):
        """The permissions of the roles the person holds at the council in scope (their groups'
        permissions: each role is a group holding its permissions, fundmgr.roles)."""
        from django.contrib.auth.models import Permission

        return Permission.objects.filter(group__name__in=sorted(role_names(user_obj)))


_USER = object()  # where the person's id goes in the compiled SQL's parameters
_STAND_IN = -2_000_000_011  # the id the SQL is compiled with
_COMPILED: dict[tuple, tuple[str, list, list[str]]] = {}


def _session_user_sql() -> tuple[str, list, list[str]]:
    """The session person's read (EmailOrUsernameBackend.get_user) as SQL, its parameters (the
    person's id as _USER) and the user's fields it reads, compiled once for each council scope:
    the staff roles it reads are that council's (fundmgr.models.CouncilQuery filters them as
    the SQL is made; row-level security keeps to it as well)."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from fundmgr.models import StaffRole

    key = (connection.alias, councils.scope())
    if key not in _COMPILED:
        names = [f.attname for f in User._meta.concrete_fields]
        person = OuterRef("pk")
        read = (
            User._default_manager.filter(pk=_STAND_IN)
            .annotate(
                staff_roles=ArraySubquery(
                    StaffRole.objects.filter(user=person).order_by("role").values("role")
                ),
                applicant=Exists(
                    User.groups.through.objects.filter(user=person, group__name=str(Role.APPLICANT))
                ),
                authenticator=Exists(TOTPDevice.objects.filter(user=person, confirmed=True)),
            )
            .values_list(*names, "staff_roles", "applicant", "authenticator")
        )
        sql, params = read.query.sql_with_params()
        if list(params).count(_STAND_IN) != 1:
            raise ImproperlyConfigured(f"The session's read does not name its person once: {sql}")
        _COMPILED[key] = (sql, [_USER if p == _STAND_IN else p for p in params], names)
    return _COMPILED[key]


def username_tried(request, credentials: dict | None) -> str:
    """What axes counts failures against: the address or username typed, in lower case, so
    that ROWAN@example.org and rowan@example.org are one account's attempts."""
    typed = (credentials or {}).get("username")
    if typed is None:
        typed = request.POST.get("username", "")
    return (typed or "").strip().lower()


def client_address(request) -> str:
    """The caller's address, as the API throttles see it: REMOTE_ADDR, or with PROXY_COUNT
    proxies in front, the address the outermost trusted proxy saw (a client can put anything
    in X-Forwarded-For, but not past the proxies)."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    """Why signing in is locked, and who to ask: the help contact of the council the sign-in
    page is for (or the service's own)."""
    from fundmgr import council_settings

    help = council_settings.help_contact(council_settings.council_for())
    how = " or on ".join(part for part in (help["email"], help["phone"]) if part)
    return (
        "There have been too many attempts to sign in with the wrong password, so signing in "
        f"is locked for {lockout_minutes()} minutes. Wait {lockout_minutes()} minutes and try "
        "again, or reset your password."
        + (f" If you need help, contact the {help['name']} at {how}." if how else "")
    )


def locked_out(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, saying why and what to do, rather than
    axes's bare page. 429: the person (or someone at their address) tried too often."""
    form = SignInForm(request, data=request.POST or None)
    # Shown as it was sent, with this one error: cleaning it would try the password again.
    form._errors = ErrorDict()
    form.cleaned_data = {}
    form.add_error(None, lockout_message())
    return render(
        request,
        "registration/login.html",
        {"form": form, "next": request.POST.get("next", ""), "locked": True},
        status=429,
    )


LAST_SEEN_SESSION_KEY = "fundmgr_last_seen"


def idle_message() -> str:
    minutes = settings.STAFF_SESSION_IDLE_SECONDS // 60
    return (
        f"You were signed out because you had not used the service for {minutes} minutes. "
        "Sign in again to carry on."
    )


class StaffIdleSignOut:
    """Middleware: signs staff out after STAFF_SESSION_IDLE_SECONDS without a request, so an
    officer's unattended screen does not stay signed in. Applicants keep Django's session age."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_council_staff(user):
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
            if last_seen is not None and now - last_seen > settings.STAFF_SESSION_IDLE_SECONDS:
                logout(request)
                # The API answers 401 by itself; signing out needs no second sign-in first.
                if not request.path.startswith(("/api/", reverse("logout"))):
                    messages.info(request, idle_message())
                    return redirect_to_login(request.get_full_path())
            elif last_seen is None or now - last_seen >= _record_every():
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


def _record_every() -> int:
    """How often the last request's time is written to the session: not on every request (a
    write to the database each time), at most a tenth of the idle time and a minute apart. A
    session may so end up to that much sooner than the idle time, never later."""
    return max(1, min(60, settings.STAFF_SESSION_IDLE_SECONDS // 10))
