"""Importing a council's councillors and their terms from its own file: `manage.py
import_councillors FILE` and the administrator's import page (fundmgr.imports).

Each row is one term: name, e-mail, ward (its GSS code or its name, in any case), party, term
start and end. A person is known by their e-mail address across the service: someone who already
has an account (a councillor re-elected, or one who also sits on another council) gets a new term
on it, never a second account. A new person gets an account with no usable password and an
e-mail with a link to choose one (Django's password-reset tokens, sent after the import commits
and not kept in the outbox); no password is ever in a file, on screen or in an e-mail.

A term already held (same person, ward and start) is "unchanged"; one overlapping another term of
the same person at this council is refused. Ending a term early has consequences (pledges
withdrawn, the allocation moved), so an import never ends a term: it refuses to change an end.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from budgets.models import Councillor, Ward
from budgets.ward_imports import code_of
from fundmgr import councils
from fundmgr.accounts import awaiting_confirmation, send_private_mail
from fundmgr.imports import Column, Importer, Report, Row, Table, parse_date, register
from fundmgr.models import User
from fundmgr.roles import Role, give_role


@dataclass
class Term:
    row: int
    email: str
    name: str
    ward: Ward
    party: str
    start: datetime.date
    end: datetime.date | None
    existing: Councillor | None = None  # a term held already, whose name or party changes

    @property
    def serving(self) -> bool:
        """In office today or later: the account gets the role and an invitation."""
        return self.end is None or self.end >= timezone.localdate()


@dataclass
class CouncillorPlan:
    terms: list[Term] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


def _date(values: dict[str, str], column: str) -> datetime.date | None:
    if not values.get(column):
        return None
    try:
        return parse_date(values[column])
    except ValueError as error:
        raise _Refused(column, str(error)) from None


def _day(day: datetime.date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "no end"


def _overlap(a_start, a_end, b_start, b_end) -> bool:
    return a_start <= (b_end or datetime.date.max) and b_start <= (a_end or datetime.date.max)


@register
class CouncillorsImporter(Importer):
    kind = "councillors"
    title = "Councillors"
    description = (
        "One row per councillor's term. New people get an account and an e-mail inviting them "
        "to choose a password; people with an account get the new term on it."
    )
    columns = (
        Column("name", aliases=("Councillor", "Full name", "Councillor name")),
        Column("email", aliases=("E-mail", "Email address", "E-mail address")),
        Column(
            "ward",
            aliases=("Ward name", "Ward code", "GSS code"),
            help="The ward's GSS code or its name.",
        ),
        Column("party", required=False, aliases=("Political party", "Party name", "Group")),
        Column(
            "term_start",
            aliases=("Term start", "Start", "Elected", "Elected on", "From"),
            help="The first day of the term: 4/5/2023 or 4 May 2023.",
        ),
        Column(
            "term_end",
            required=False,
            aliases=("Term end", "End", "Until", "To"),
            help="Blank while serving.",
        ),
    )
    sample = (
        {
            "name": "Sam Shaw",
            "email": "sam.shaw@example.gov.uk",
            "ward": "E05012345",
            "party": "Independent",
            "term_start": "4/5/2023",
        },
    )

    def plan(self, table: Table, report: Report) -> CouncillorPlan:
        plan = CouncillorPlan()
        wards = list(Ward.objects.order_by("pk"))
        by_code = {ward.gss_code: ward for ward in wards}
        by_name = {" ".join(ward.name.split()).casefold(): ward for ward in wards}
        for ward in wards:  # a current ward wins the name over an ended one
            if ward.ended_on is None:
                by_name[" ".join(ward.name.split()).casefold()] = ward
        emails = {r.values["email"].lower() for r in table.rows if r.values["email"]}
        users: dict[str, User] = {}
        for user in (
            User.objects.annotate(address=Lower("email"), login=Lower("username"))
            .filter(Q(address__in=emails) | Q(login__in=emails))
            .order_by("-pk")  # the oldest account wins, as in apply
        ):
            users[user.email.lower() if user.email.lower() in emails else user.username.lower()] = (
                user
            )
        held: dict[int, list[Councillor]] = {}
        for term in Councillor.objects.filter(user__in=users.values()).select_related("ward"):
            held.setdefault(term.user_id, []).append(term)
        in_file: dict[str, list[Term]] = {}

        for row in table.rows:
            term = self._term(row, by_code, by_name, report)
            if term is None:
                continue
            record = f"Cllr {term.name} ({term.ward})"
            user = users.get(term.email)
            same = None
            clash = None
            for other in held.get(user.pk, []) if user else []:
                if other.ward_id == term.ward.pk and other.term_start == term.start:
                    same = other
                elif _overlap(term.start, term.end, other.term_start, other.term_end):
                    clash = f"their term for {other.ward} from {_day(other.term_start)}"
            for other_term in in_file.get(term.email, []):
                if _overlap(term.start, term.end, other_term.start, other_term.end):
                    clash = f"their term on row {other_term.row}"
            if clash:
                report.add(
                    row.number,
                    "refuse",
                    column="term_start",
                    value=row.values["term_start"],
                    reason=f"The term overlaps {clash}: a person holds one term at a time.",
                    record=record,
                )
                continue
            in_file.setdefault(term.email, []).append(term)
            if same is not None:
                self._compare(row, term, same, report, plan, record)
                continue
            plan.terms.append(term)
            report.add(row.number, "create", reason=self._why(term, user, plan), record=record)
        return plan

    def _why(self, term: Term, user: User | None, plan: CouncillorPlan) -> str:
        earlier = [t for t in plan.terms[:-1] if t.email == term.email]
        if user is None and earlier:
            return f"A new term on the account made on row {earlier[0].row}."
        if not term.serving:
            what = "A new account" if user is None else f"A term on the account of {user.email}"
            return f"{what}, for the record of a past term: no e-mail is sent."
        if user is None:
            return "A new account, with an e-mail inviting them to choose a password."
        if awaiting_confirmation(user):
            return (
                f"A new term on the account of {user.email}, which was signed up for and never "
                "confirmed: its password is removed, and an e-mail invites them to choose one."
            )
        return f"A new term on the existing account of {user.email}."

    def _term(self, row: Row, by_code, by_name, report: Report) -> Term | None:
        """The row's term, or None after adding its refusal."""
        values = row.values
        try:
            return self._read_term(row, by_code, by_name)
        except _Refused as refused:
            name = values["name"]
            report.add(
                row.number,
                "refuse",
                column=refused.column,
                value=values.get(refused.column, ""),
                reason=refused.reason,
                record=f"Cllr {name}" if name else "",
            )
            return None

    def _read_term(self, row: Row, by_code, by_name) -> Term:
        values = row.values
        name, email = values["name"], values["email"].lower()
        if not name:
            raise _Refused("name", "A councillor needs a name.")
        if len(name) > 120:
            raise _Refused("name", "A name has at most 120 characters.")
        try:
            validate_email(email)
        except ValidationError:
            raise _Refused("email", "Not an e-mail address: name@example.gov.uk.") from None
        text = values["ward"]
        ward = by_code.get(code_of(text)) or by_name.get(" ".join(text.split()).casefold())
        if ward is None:
            raise _Refused("ward", "No ward of the council has this GSS code or name.")
        start = _date(values, "term_start")
        if start is None:
            raise _Refused("term_start", "A term needs the day it starts.")
        end = _date(values, "term_end")
        if end is not None and end < start:
            raise _Refused("term_end", f"The term ends before it starts ({_day(start)}).")
        if ward.ended_on is not None and (end is None or end > ward.ended_on):
            raise _Refused(
                "ward",
                f"{ward} ended on {_day(ward.ended_on)}: a term after that is for the ward "
                "that replaced it.",
            )
        party = values.get("party", "")
        if len(party) > 120:
            raise _Refused("party", "A party has at most 120 characters.")
        return Term(row.number, email, name, ward, party, start, end)

    def _compare(self, row, term: Term, same: Councillor, report, plan, record) -> None:
        if term.end != same.term_end:
            report.add(
                row.number,
                "refuse",
                column="term_end",
                value=row.values.get("term_end", ""),
                reason=(
                    f"The term held ends {_day(same.term_end)}: an import does not end or "
                    "change a term. Use 'End this term…' in the list of councillors."
                ),
                record=record,
            )
            return
        changes = [
            f"{what} {old or '(blank)'} -> {new or '(blank)'}"
            for what, old, new in (
                ("name", same.name, term.name),
                ("party", same.party, term.party),
            )
            if old != new
        ]
        if changes:
            term.existing = same
            plan.terms.append(term)
            report.add(row.number, "change", reason="; ".join(changes) + ".", record=record)
        else:
            report.add(row.number, "unchanged", record=record)

    def apply(self, plan: CouncillorPlan, report: Report) -> None:
        council = self.council
        invited: set[int] = set()
        for term in plan.terms:
            if term.existing is not None:
                term.existing.name, term.existing.party = term.name, term.party
                term.existing.save(update_fields=["name", "party"])
                continue
            user = (
                User.objects.filter(Q(email__iexact=term.email) | Q(username__iexact=term.email))
                .order_by("pk")
                .first()
            )
            if user is None:
                first, _, last = term.name.rpartition(" ")
                user = User(
                    username=term.email,
                    email=term.email,
                    first_name=first[:150],
                    last_name=last[:150],
                )
                user.set_unusable_password()
                user.save()
            Councillor.objects.create(
                user=user,
                ward=term.ward,
                name=term.name,
                party=term.party,
                term_start=term.start,
                term_end=term.end,
            )
            if not term.serving:
                continue
            unconfirmed = awaiting_confirmation(user)
            give_role(user, Role.COUNCILLOR, council)
            if unconfirmed and user.pk not in invited:
                # Someone signed up with the address and never proved it is theirs: the owner
                # of the address chooses the password, not whoever signed up.
                user.set_unusable_password()
                user.is_active = True
                user.save(update_fields=["password", "is_active"])
            if user.pk not in invited and not user.has_usable_password() and not user.last_login:
                invited.add(user.pk)
                invite(user, council=council)


def invite(user: User, *, council) -> None:
    """The e-mail that lets a new councillor choose their password: a password-reset link
    (single use, for PASSWORD_RESET_TIMEOUT), sent after commit and not kept in the outbox."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "password_reset_confirm",
        kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
    )
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    forgotten = f"{councils.base_url(council)}{reverse('password_reset')}"
    send_private_mail(
        to=user.email,
        subject=f"Your councillor account for {council.name}'s community grants",
        body=(
            f"Dear {user.get_full_name() or user.email},\n\n"
            f"{council.name} has made you an account for its community grants service, where "
            "you support bids from groups in your ward and see your ward budget.\n\n"
            "To start, choose your password by opening this link:\n\n"
            f"{councils.base_url(council)}{path}\n\n"
            f"The link works once, for {hours} hours. If it has run out, ask for a new one at "
            f"{forgotten} with this email address.\n\n"
            + "\n".join(part for part in (council.name, council.email) if part)
            + "\n"
        ),
    )
