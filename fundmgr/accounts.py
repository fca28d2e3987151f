"""Accounts: signing up with an e-mail address that must be confirmed, without ever telling the
person signing up whether the address already has an account.

Sign-up always ends on the same "check your email" page. A new address gets an account that is
switched off (`is_active=False`) and an e-mail with a signed link; following the link switches
it on. An address that already has an account gets an e-mail to its owner instead, and nothing
else changes.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from fundmgr import council_settings
from fundmgr.errors import InvalidInput
from fundmgr.models import StaffRole, User
from fundmgr.notifications import notify, with_help_footer
from fundmgr.roles import Role


class AddressConfirmationTokens(PasswordResetTokenGenerator):
    """Signed, expiring (PASSWORD_RESET_TIMEOUT) and single-use: the token covers the account's
    state, which switching it on changes."""

    key_salt = "fundmgr.accounts.AddressConfirmationTokens"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.is_active}{user.password}{timestamp}"


confirmation_tokens = AddressConfirmationTokens()


def send_private_mail(*, to: str, subject: str, body: str) -> None:
    """An e-mail with a link that lets someone into an account (a password reset, an address
    confirmation): sent after the transaction commits, like the outbox's, but not kept in it,
    where administrators and auditors read every message in /admin/."""
    body = with_help_footer(body)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    )


def awaiting_confirmation(user: User) -> bool:
    """Signed up and never confirmed the address: switched off, never signed in, and no role but
    Applicant (an account the council switched off has been signed in to, or has a staff role)."""
    return (
        not user.is_active
        and user.last_login is None
        and not StaffRole._base_manager.filter(user=user).exists()
    )


def confirmation_link(user: User, *, site: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "account_confirm", kwargs={"uidb64": uid, "token": confirmation_tokens.make_token(user)}
    )
    return f"{site.rstrip('/')}{path}"


def _signed_by() -> tuple[str, str, str]:
    """What the account e-mails are for and who signs them: the council the person signs up
    at ("Thornbury Vale District Council's community grants", its name and e-mail), or the
    service on its own pages."""
    council = council_settings.council_for()
    if council is None:
        contact = council_settings.help_contact(None)
        return settings.SERVICE_NAME, settings.SERVICE_NAME, contact["email"]
    return f"{council.name}'s community grants", council.name, council.email


def _confirmation_mail(user: User, *, site: str) -> None:
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    what, name, email = _signed_by()
    send_private_mail(
        to=user.email,
        subject="Confirm your email address to finish creating your account",
        body=(
            f"Dear {user.get_full_name() or user.email},\n\n"
            f"To finish creating your account for {what}, "
            "confirm your email address by opening this link:\n\n"
            f"{confirmation_link(user, site=site)}\n\n"
            f"The link works once, for {hours} hours. If you did not create an account, ignore "
            "this email: without the link nobody can use the account.\n\n"
            + "\n".join(part for part in (name, email) if part)
            + "\n"
        ),
    )


def _someone_tried_mail(user: User, *, site: str) -> None:
    sign_in = f"{site.rstrip('/')}{reverse('login')}"
    reset = f"{site.rstrip('/')}{reverse('password_reset')}"
    _what, name, _email = _signed_by()
    contact = council_settings.help_contact(council_settings.council_for())
    how = " or on ".join(part for part in (contact["email"], contact["phone"]) if part)
    notify(
        to=[user.email],
        subject="Someone tried to create an account with your email address",
        body=(
            f"Dear {user.get_full_name() or user.email},\n\n"
            "Someone tried to create a community grants account with this email address, which "
            "already has an account. Nothing has changed.\n\n"
            f"If it was you, sign in instead: {sign_in}\n"
            f"If you have forgotten your password, reset it: {reset}\n\n"
            "If it was not you, you need do nothing."
            + (f" If you are worried, contact the {contact['name']} at {how}." if how else "")
            + f"\n\n{name}\n"
        ),
        reference="account",
    )


@transaction.atomic
def account_sign_up(
    *, first_name: str, last_name: str, email: str, password: str, site: str
) -> None:
    """Someone signs up (the form has checked the fields and the password). Returns nothing:
    the caller must answer the same whichever happened. `site` is the service's address for
    the links in the e-mail (`https://grants.example.gov.uk`)."""
    email = email.strip().lower()
    if not email or not first_name.strip() or not last_name.strip():
        raise InvalidInput("Enter your first name, last name and email address.")
    person = User(username=email, email=email, first_name=first_name, last_name=last_name)
    try:
        password_validation.validate_password(password, user=person)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages)) from None
    existing = (
        User.objects.select_for_update()
        .filter(Q(username__iexact=email) | Q(email__iexact=email))
        .order_by("pk")
        .first()
    )
    if existing is not None:
        if awaiting_confirmation(existing) and existing.email:
            _confirmation_mail(existing, site=site)  # a second try: the link again
        else:
            _someone_tried_mail(existing, site=site)
        return
    user = User(
        username=email,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_active=False,
    )
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=str(Role.APPLICANT))[0])
    _confirmation_mail(user, site=site)


def _account_for_link(uidb64: str, token: str, *, lock: bool = False) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    users = User.objects.select_for_update() if lock else User.objects.all()
    user = users.filter(pk=pk).first()
    if user is None or not awaiting_confirmation(user):
        return None
    return user if confirmation_tokens.check_token(user, token) else None


def confirmation_link_works(*, uidb64: str, token: str) -> bool:
    return _account_for_link(uidb64, token) is not None


@transaction.atomic
def account_confirm(*, uidb64: str, token: str) -> User | None:
    """Switch on the account the link was made for; None when the link is wrong, used or
    expired."""
    user = _account_for_link(uidb64, token, lock=True)
    if user is None:
        return None
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user
