"""Services for an application's life: each runs one transition in one database transaction with
its ledger postings, its TransitionLog row and its notifications, or refuses and changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connections, router, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django_fsm import can_proceed

from applications import deadlines, rules, signals, transitions, uploads
from applications.models import (
    Application,
    Attachment,
    BudgetLine,
    MatchFunding,
    MonitoringReport,
    Organisation,
    TransitionLog,
    next_reference,
)
from applications.organisations import payable_bank_account
from applications.schedules import schedule_for_offer
from applications.workflow import Status
from budgets import ledger
from budgets.models import Councillor, FundYear, LedgerTransaction, Ward
from fundmgr import access, contention
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from fundmgr.models import User
from fundmgr.money import pounds
from fundmgr.notifications import notify
from fundmgr.roles import Role, holders


def lock_application(
    application: Application, *, facts_for: User | None = None, election: bool = False
) -> Application:
    """The application, re-read under a row lock: the first thing every service locks. Read
    with it, in the same query, so that the rules ask nothing more: `facts_for`, what
    separation of duties asks about this person (access.conflict_facts); `election`, whether a
    pre-election period holds it today (rules.election_fact)."""
    locking = Application.objects.select_for_update(of=("self",)).select_related(
        "fund_year__fund", "fund_year__year", "organisation"
    )
    if facts_for is not None or election:
        locking = locking.annotate(**_facts(locking.db, application, facts_for, election))
    return locking.get(pk=application.pk)


# --- SQL built once ---------------------------------------------------------------------------
# Building and compiling a query's subqueries can cost more Python time than running it: the
# locked read's facts cost an approval about 2.5 ms of its read's 3.4, the addresses of those
# told of a step 1.2 ms. What they ask is the same for every application and person, only the
# values differ: so each is built by its own code (access.conflict_facts, rules.election_fact,
# RECIPIENTS) once for each database, from stand-in values, and each use after that puts its
# own values in the stand-ins' places in the SQL they compiled to. Each is built twice, from
# two sets of stand-ins, so that any value it holds that is not one of these inputs is seen;
# then the ORM builds it on every use, as before. tests/applications/test_locked_facts.py.

Inputs = dict[str, Any]
# A parameter: (False, a constant) or (True, (the input it stands for, whether as text)).
Slot = tuple[bool, Any]
Compiled = dict[str, tuple[str, Sequence[Any]]]

_STAND_INS: tuple[Inputs, Inputs] = (
    {
        "user": 2_000_000_011,
        "app": 2_000_000_013,
        "organisation": 2_000_000_017,
        "council": 2_000_000_019,
        "day": datetime.date(1901, 2, 3),
    },
    {
        "user": 2_000_000_023,
        "app": 2_000_000_029,
        "organisation": 2_000_000_031,
        "council": 2_000_000_037,
        "day": datetime.date(1902, 4, 5),
    },
)
_FROZEN: dict[tuple, dict[str, tuple[str, list[Slot]]] | None] = {}
_OUTPUTS: dict[tuple[bool, bool], dict[str, Any]] = {}  # the facts' output fields


def _stand_in(inputs: Inputs) -> Application:
    """An application of these values (never saved), as the builders read one."""
    from budgets.models import Fund

    app = Application(
        pk=inputs["app"],
        organisation=Organisation(pk=inputs["organisation"]),
        council_id=inputs["council"],
    )
    app.fund_year = FundYear(fund=Fund(council_id=inputs["council"]))
    return app


def _frozen(
    key: tuple, build: Callable[[Inputs], Compiled]
) -> dict[str, tuple[str, list[Slot]]] | None:
    """`build`'s SQL, by name, each parameter a constant or the input it stands for; None if the
    two builds differ other than in the inputs (then the caller builds it every time). Kept per
    council scope: a council-owned table's rows are filtered to the council in scope as its SQL
    is made (fundmgr.models.CouncilQuery), a constant of that scope's SQL."""
    from fundmgr import councils

    key = (*key, councils.scope())
    if key in _FROZEN:
        return _FROZEN[key]
    first, second = (build(inputs) for inputs in _STAND_INS)
    frozen: dict[str, tuple[str, list[Slot]]] | None = {}
    for name, (sql, params) in first.items():
        sql2, params2 = second[name]
        slots = _slots(params, params2) if sql == sql2 else None
        if slots is None:
            frozen = None
            break
        frozen[name] = (sql, slots)  # type: ignore[index]
    _FROZEN[key] = frozen
    return frozen


def _slots(params: Sequence[Any], params2: Sequence[Any]) -> list[Slot] | None:
    if len(params) != len(params2):
        return None
    slots: list[Slot] = []
    for one, two in zip(params, params2, strict=True):
        if one == two and type(one) is type(two):
            slots.append((False, one))
            continue
        stands_for = [
            key
            for key, value in _STAND_INS[0].items()
            if (one, two) == (value, _STAND_INS[1][key])
            or (one, two) == (str(value), str(_STAND_INS[1][key]))
        ]
        if len(stands_for) != 1:
            return None
        slots.append((True, (stands_for[0], isinstance(one, str))))
    return slots


def _params(slots: list[Slot], values: Inputs) -> list[Any]:
    return [
        (str(values[slot[0]]) if slot[1] else values[slot[0]]) if stands else slot
        for stands, slot in slots
    ]


def _fact_expressions(app: Application, user: User | None, election: bool, day) -> dict:
    """The rules' own annotations: what separation of duties asks about `user` (when given) and
    whether a pre-election period holds the bid on `day` (when `election`)."""
    made: dict = {}
    if user is not None:
        made.update(access.conflict_facts(user, app))
    if election:
        made.update(rules.election_fact(app, day=day))
    return made


def _compiled_facts(alias: str, expressions: dict) -> Compiled:
    query = Application.objects.using(alias).annotate(**expressions).query
    compiler = query.get_compiler(alias)
    return {name: compiler.compile(query.annotations[name]) for name in expressions}


def _facts(alias: str, app: Application, user: User | None, election: bool) -> dict:
    """The annotations a locked read carries: `access.conflict_facts(user, app)` (when a user is
    given) and `rules.election_fact(app)` (when `election`), from their SQL built once."""
    day = rules.today()
    values: Inputs = {
        "user": getattr(user, "pk", 0),
        "app": app.pk,
        "organisation": app.organisation_id,
        "council": app.council_id,
        "day": day,
    }
    asks_user = user is not None

    def build(inputs: Inputs) -> Compiled:
        who = User(pk=inputs["user"]) if asks_user else None
        made = _fact_expressions(_stand_in(inputs), who, election, inputs["day"])
        return _compiled_facts(alias, made)

    frozen = _frozen(("facts", alias, asks_user, election), build)
    if frozen is None or None in values.values():
        return _fact_expressions(app, user, election, day)
    outputs = _OUTPUTS.get((asks_user, election))
    if outputs is None:  # not setdefault: its default would be built on every call
        outputs = _OUTPUTS[asks_user, election] = {
            name: made.output_field
            for name, made in _fact_expressions(
                _stand_in(_STAND_INS[0]),
                User(pk=_STAND_INS[0]["user"]) if asks_user else None,
                election,
                _STAND_INS[0]["day"],
            ).items()
        }
    return {
        name: RawSQL(sql, _params(slots, values), output_field=outputs[name])
        for name, (sql, slots) in frozen.items()
    }


def _permission(app: Application, name: str):
    """The transition's permission rule. Each transition of a name has one, whatever its
    source, so it can be checked before the state is: a person who may not act is told that,
    and learns nothing about where the application stands."""
    transitions = getattr(app, name)._django_fsm.transitions
    meta = transitions.get(app.status) or transitions.get("*") or next(iter(transitions.values()))
    return meta.permission


def permission_refusal(app: Application, name: str, by: User | None) -> str | None:
    """Why `by` may never take transition `name` on this application, whatever its state."""
    permission = _permission(app, name)
    return permission.refusal(app, by) if permission is not None else None


def transition_refusal(app: Application, name: str, by: User | None) -> str | None:
    """Why `by` may not take transition `name` now, or None if they may: first who may, then
    the state, then the rules."""
    return permission_refusal(app, name, by) or state_refusal(app, name)


def available_transitions(
    app: Application, by: User, among: Iterable[str] | None = None
) -> list[str]:
    """The transitions this person may take now (of `among`, when given): the pages and the API
    offer only these. Transitions sharing a permission rule ask it once."""
    every = app.get_all_status_transitions()  # type: ignore[attr-defined]  # made by django-fsm
    names = [t.name for t in every if t.source in (app.status, "*")]
    if among is not None:
        names = [n for n in names if n in set(among)]
    asked: dict[int, str | None] = {}

    def refusal(name: str) -> str | None:
        permission = _permission(app, name)
        key = id(permission)
        if key not in asked:
            asked[key] = permission.refusal(app, by) if permission is not None else None
        return asked[key] or state_refusal(app, name)

    return [n for n in dict.fromkeys(names) if refusal(n) is None]


def state_refusal(app: Application, name: str) -> str | None:
    """Why transition `name` may not be taken now, whoever asks: the state, then the rules."""
    method = getattr(app, name)
    if not can_proceed(method, check_conditions=False):
        return (
            f"{app.reference} is {app.get_status_display().lower()}: it cannot be "
            f"{transitions.get(name).refused_words} now."
        )
    meta = method._django_fsm.get_transition(app.status)
    reasons = rules.refusals(meta.conditions, app)
    return " ".join(reasons) if reasons else None


def _check(app: Application, name: str, by: User | None, *, permitted: bool = False) -> None:
    """Raise, in words the person understands, if they may not take transition `name` now.
    `permitted`: the caller has asked the transition's permission rule already, under the
    application's lock, and it let `by` act; only the state and the rules are asked."""
    if not permitted and (reason := permission_refusal(app, name, by)):
        raise NotPermitted(reason)
    if reason := state_refusal(app, name):
        raise Refused(reason)


def _run(
    app: Application,
    name: str,
    *,
    by: User | None,
    note: str = "",
    checked: bool = False,
    also: Callable[[TransitionLog], dict[str, object]] | None = None,
) -> TransitionLog:
    """Take one transition on a locked application and log it. Raises, changing nothing, if the
    person may not or a rule is not met (`checked`: the caller has just asked `_check` itself,
    under the lock). `also`: more fields to save with the new state, given
    the log row (an approval's award and its time), in the same UPDATE; with it, that UPDATE
    writes only the state, the version, the time and these (its caller changes nothing else on
    the row it locked), without it the whole row. The application in hand is what the database
    now holds: nothing is read again."""
    with rules.remembering(app):  # django-fsm asks the conditions _check has just asked
        if not checked:
            _check(app, name, by)
        before, version = app.status, app.version
        getattr(app, name)()
    log = TransitionLog.objects.create(
        application=app,
        transition=name,
        from_state=before,
        to_state=app.status,
        by=by if getattr(by, "pk", None) else None,
        note=note,
    )
    more = also(log) if also is not None else {}
    for field, value in more.items():
        setattr(app, field, value)
    app.version = F("version") + 1
    app._step_log = log  # type: ignore[attr-defined]  # applications.signals
    try:
        app.save(update_fields=["status", "version", "updated_at", *more] if also else None)
        app.version = version + 1  # the row is locked: nobody else moved it on
        signals.stepped.send(sender=Application, application=app, log=log)
    finally:
        del app._step_log  # type: ignore[attr-defined]
    return log


# --- who hears of each step -----------------------------------------------------------------


def _group_emails(app: Application, day: datetime.date) -> QuerySet:
    return User.objects.filter(organisations=app.organisation_id).values_list("email", flat=True)


def _councillor_emails(app: Application, day: datetime.date) -> QuerySet:
    from budgets.models import Councillor

    return (
        Councillor.objects.in_term_on(day)
        .filter(ward__in=app.wards.all())
        .values_list("user__email", flat=True)
    )


def _staff_emails(role: Role, app: Application) -> QuerySet:
    return holders(role, app.council_id).values_list("email", flat=True)


# The addresses of each audience a transition tells (applications.transitions says which), on
# `day`: a query of one column. The group's own address is known already (KNOWN).
RECIPIENTS: dict[transitions.Audience, Callable[[Application, datetime.date], QuerySet]] = {
    "group": _group_emails,
    "councillors": _councillor_emails,
    "officers": lambda app, day: _staff_emails(Role.GRANTS_OFFICER, app),
    "finance": lambda app, day: _staff_emails(Role.FINANCE_OFFICER, app),
}
KNOWN: dict[transitions.Audience, Callable[[Application], list[str]]] = {
    "group": lambda app: [app.organisation.email],
}


def _none(app: Application) -> list[str]:
    return []


def _addresses_asked(app: Application, audiences: tuple, day: datetime.date) -> QuerySet:
    asks = [RECIPIENTS[audience](app, day).order_by() for audience in audiences]
    return asks[0].union(*asks[1:], all=True)


def recipients(app: Application, audiences: Iterable[transitions.Audience]) -> list[str]:
    """Every address of these audiences, in one query however many they are (repeats are
    left for `notify` to drop); the query's SQL built once (see `_frozen`)."""
    audiences = tuple(audiences)
    known = [address for audience in audiences for address in KNOWN.get(audience, _none)(app)]
    if not audiences:
        return known
    alias = router.db_for_read(User)
    day = rules.today()

    def build(inputs: Inputs) -> Compiled:
        asked = _addresses_asked(_stand_in(inputs), audiences, inputs["day"])
        return {"": asked.query.get_compiler(alias).as_sql()}

    frozen = _frozen(("recipients", alias, audiences), build)
    values = {
        "app": app.pk,
        "organisation": app.organisation_id,
        "council": app.council_id,
        "day": day,
    }
    if frozen is None or None in values.values():
        return known + list(_addresses_asked(app, audiences, day))
    sql, slots = frozen[""]
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, _params(slots, values))
        return known + [address for (address,) in cursor.fetchall()]


def _tell(app: Application, log: TransitionLog) -> None:
    told = transitions.get(log.transition)
    addresses = recipients(app, told.audiences)
    body = (
        f"{app.reference}: {app.title}\n\n"
        f"The application from {app.organisation} is now: {app.get_status_display()}.\n"
        + (f"\n{log.note}\n" if log.note else "")
        + "\nSign in to see what happens next."
    )
    copy = None
    if log.transition == "submit":  # the group's copy of what they sent (answers_copy)
        from applications.answers_copy import answers_copy_for_email

        copy = answers_copy_for_email(app, log.by)
        body += "\n\nA copy of your answers is attached." if copy else ""
    notify(
        to=addresses,
        subject=f"{app.reference} {told.done}",
        body=body,
        reference=app.reference,
        attachment=copy,
        council=app,  # the bid's council's help contact, wherever the step is taken
    )


def _step(app: Application, name: str, *, by: User | None, note: str = "") -> TransitionLog:
    log = _run(app, name, by=by, note=note)
    _tell(app, log)
    return log


# --- drafting -------------------------------------------------------------------------------


EDITABLE = [
    "title",
    "purpose",
    "project_start",
    "project_end",
    "amount_requested",
    "total_cost",
    "people_benefiting",
]


@transaction.atomic
def application_create(
    *, fund_year: FundYear, organisation: Organisation, by: User, **fields
) -> Application:
    if not organisation.members.filter(pk=by.pk).exists():
        raise NotPermitted(f"Only members of {organisation} can apply for it.")
    unknown = set(fields) - set(EDITABLE) - {"wards"}
    if unknown:
        raise InvalidInput(f"Unknown application fields: {', '.join(sorted(unknown))}.")
    wards = fields.pop("wards", None)
    fund_year = (
        FundYear.objects.select_for_update().select_related("fund", "year").get(pk=fund_year.pk)
    )
    app = Application.objects.create(
        fund_year=fund_year,
        organisation=organisation,
        reference=next_reference(fund_year),
        created_by=by,
        **fields,
    )
    if wards is not None:
        app.wards.set(_own_wards(app, wards))
    elif organisation.ward_id is not None:  # the group's own ward, where it is this council's
        app.wards.set(
            Ward.objects.current().filter(pk=organisation.ward_id, council_id=app.council_id)
        )
    return app


def _own_wards(app: Application, wards) -> list:
    """The wards, each a current ward of the bid's council (or one the bid names already: a ward
    ended by a boundary review stays on the bids that named it), else InvalidInput naming the
    first that is not."""
    wards = list(wards)
    ids = [getattr(ward, "pk", ward) for ward in wards]
    own = dict(
        Ward.objects.filter(pk__in=ids, council_id=app.council_id).values_list("pk", "ended_on")
    )
    if foreign := [ward for ward, pk in zip(wards, ids, strict=True) if pk not in own]:
        raise InvalidInput(
            f"{foreign[0]} is not a ward of {app.fund_year.fund.council}: choose the wards of "
            "this council that the project benefits."
        )
    named = {pk for pk, ended in own.items() if ended is not None}
    named -= set(app.wards.filter(pk__in=named).values_list("pk", flat=True)) if named else set()
    if ended := [ward for ward, pk in zip(wards, ids, strict=True) if pk in named]:
        raise InvalidInput(
            f"{ended[0]} is a ward no longer: a boundary review ended it. Choose the wards the "
            "project benefits from today's wards."
        )
    return wards


@transaction.atomic
def application_update(
    *,
    application: Application,
    by: User,
    version: int | None = None,
    section: str | None = None,
    **fields,
) -> Application:
    """Save answers to a draft. `version` is the one the person started from: if someone else
    saved in between, nothing is overwritten and the person is told. `section` is the page the
    answers came from: what was kept of it unsaved (`application_draft_keep`) goes, as these
    answers replace it."""
    app = lock_application(application)
    if reason := rules.group_member.refusal(app, by):
        raise NotPermitted(reason)
    if app.status != Status.DRAFT:
        raise Refused(f"{app.reference} has been submitted; its answers can no longer be changed.")
    if version is not None and version != app.version:
        raise Refused(
            f"Someone else saved {app.reference} while you were editing it. Reload the page to "
            "see their changes, then make yours again."
        )
    unknown = set(fields) - set(EDITABLE) - {"wards"}
    if unknown:
        raise InvalidInput(f"Unknown application fields: {', '.join(sorted(unknown))}.")
    wards = fields.pop("wards", None)
    for name, value in fields.items():
        setattr(app, name, value)
    if section is not None and section in app.draft_answers:
        app.draft_answers = {k: v for k, v in app.draft_answers.items() if k != section}
    app.version = F("version") + 1
    app.save()
    if wards is not None:
        app.wards.set(_own_wards(app, wards))
    app.refresh_from_db()
    return app


# What a kept page may hold: the CSRF token and the buttons are not answers, files are never kept.
NOT_ANSWERS = {"csrfmiddlewaretoken", "version", "action", "submit", "return"}
DRAFT_LIMIT = 20_000  # characters of one section's typing, well above what its questions take


@transaction.atomic
def application_draft_keep(
    *, application: Application, by: User, section: str, answers: dict[str, list[str]]
) -> Application:
    """Keep what a group member typed on one section's page, valid or not, to show again when
    they come back ("Save and come back later"). Saves nothing into the answers themselves, so
    changes no version: someone else's open page is not made stale by it."""
    app = lock_draft(application, by)
    kept = {
        str(name): [str(value)[:DRAFT_LIMIT] for value in values][:200]
        for name, values in answers.items()
        if name not in NOT_ANSWERS
    }
    if sum(len(v) for values in kept.values() for v in values) > DRAFT_LIMIT:
        raise InvalidInput("That is too much to keep: shorten your answers, then save again.")
    drafts = dict(app.draft_answers or {})
    if any(value.strip() for values in kept.values() for value in values):
        drafts[section] = kept
    else:
        drafts.pop(section, None)  # nothing typed: nothing to keep
    Application.objects.filter(pk=app.pk).update(draft_answers=drafts)
    app.draft_answers = drafts
    return app


@transaction.atomic
def application_costs_settle(*, application: Application, by: User) -> Application:
    """The project's total cost is its costs added up: set it from the budget lines once the
    group has listed them (none listed: no total yet)."""
    app = lock_draft(application, by)
    lines = sum((line.cost for line in app.budget_lines.all()), Decimal("0.00"))
    total = lines or None
    if app.total_cost != total:
        app.total_cost = total
        app.version = F("version") + 1
        app.save(update_fields=["total_cost", "version", "updated_at"])
        app.refresh_from_db()
    return app


def lock_draft(application: Application, by: User) -> Application:
    """The application, locked, for one of its group's members to change while it is a draft;
    raises, changing nothing, for anyone else or once it has been submitted."""
    app = lock_application(application)
    if reason := rules.group_member.refusal(app, by):
        raise NotPermitted(reason)
    if app.status != Status.DRAFT:
        raise Refused(f"{app.reference} has been submitted; it can no longer be changed.")
    return app


@transaction.atomic
def budget_line_add(*, application: Application, by: User, item: str, cost: Decimal, quote=None):
    app = lock_draft(application, by)
    if not item.strip():
        raise InvalidInput("Enter what you will buy or pay for.", field="item")
    if not isinstance(cost, Decimal) or cost <= 0:
        raise InvalidInput("The cost must be more than £0.00.", field="cost")
    line = BudgetLine(application=app, item=item.strip(), cost=cost)
    if quote is not None:
        line.quote = quote
        line.full_clean(exclude=["application"])
    line.save()
    return line


@transaction.atomic
def budget_line_remove(*, line: BudgetLine, by: User) -> None:
    lock_draft(line.application, by)
    line.delete()


@transaction.atomic
def match_funding_add(
    *, application: Application, by: User, source: str, amount: Decimal, secured: bool
) -> MatchFunding:
    app = lock_draft(application, by)
    if not isinstance(amount, Decimal) or amount <= 0:
        raise InvalidInput("The amount of match funding must be more than £0.00.", field="amount")
    return MatchFunding.objects.create(
        application=app, source=source.strip(), amount=amount, secured=secured
    )


@transaction.atomic
def attachment_add(*, application: Application, by: User, description: str, file) -> Attachment:
    """A group adds files while it writes the application (or again once it is returned to them
    as a draft); after that only a grants officer adds one, as when they asked for more."""
    app = lock_application(application)
    if reason := rules.group_member_or_officer.refusal(app, by):
        raise NotPermitted(reason)
    if app.status != Status.DRAFT and rules.grants_officer.refusal(app, by):
        raise Refused(
            f"{app.reference} has been sent: the council keeps what it was sent. To add a "
            "document now, send it to the grants team, who can add it."
        )
    from django.core.exceptions import ValidationError

    attachment = Attachment(
        application=app,
        description=description.strip() or file.name,
        file=file,
        size=file.size,
        content_type=uploads.content_type(file),  # from its bytes, not the browser's word
        uploaded_by=by,
    )
    try:
        attachment.full_clean()
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), field="file") from None
    attachment.save()
    return attachment


# --- the lifecycle --------------------------------------------------------------------------


@transaction.atomic
def application_submit(*, application: Application, by: User) -> Application:
    app = lock_application(application)
    _step(app, "submit", by=by)
    Application.objects.filter(pk=app.pk).update(submitted_at=rules.timezone.now())
    app.refresh_from_db()
    return app


@transaction.atomic
def application_mark_eligible(*, application: Application, by: User, note: str = "") -> Application:
    app = lock_application(application)
    _step(app, "mark_eligible", by=by, note=note)
    # A bid returned and sent again may already hold the support it needs.
    application_endorse_if_supported(app, by=by)
    return app


@transaction.atomic
def application_mark_ineligible(*, application: Application, by: User, reason: str) -> Application:
    if not reason.strip():
        raise InvalidInput("Say why the application is not eligible: the group will be told.")
    app = lock_application(application)
    _step(app, "mark_ineligible", by=by, note=reason.strip())
    return app


@transaction.atomic
def application_return(*, application: Application, by: User, reason: str) -> Application:
    """Send back to the group for more information; their pledges stay for when it returns."""
    if not reason.strip():
        raise InvalidInput("Say what the group needs to change or add: they will be told.")
    app = lock_application(application)
    _step(app, "return_to_applicant", by=by, note=reason.strip())
    return app


def application_endorse_if_supported(app: Application, *, by: User) -> bool:
    """Move a bid on to assessment once its support is complete (called under the lock)."""
    if app.status != Status.AWAITING_SUPPORT or not rules.support_complete(app):
        return False
    _step(app, "endorse", by=by, note="Councillor support is complete.")
    return True


@transaction.atomic
def application_recommend(*, application: Application, by: User, note: str = "") -> Application:
    app = lock_application(application)
    _step(app, "recommend", by=by, note=note)
    return app


@contention.atomic
def application_approve(
    *, application: Application, by: User, amount: Decimal | None, authority: str, note: str = ""
) -> Application:
    """Approve and commit the award: from the pledging councillors' allocations (pro rata to
    their pledges) or from the central pot. `authority` is `delegated` or `panel`."""
    app = lock_application(application)
    return approve_locked(app, by=by, amount=amount, authority=authority, note=note)


def approve_locked(
    app: Application,
    *,
    by: User,
    amount: Decimal | None,
    authority: str,
    note: str = "",
    permitted: bool = False,
) -> Application:
    """`application_approve` for a caller that has locked the application itself, in the
    transaction it is in (`lock_application`): it is not read again. `permitted`: the caller
    has asked `approve`'s permission rule (access.may_decide) under that lock, and it let `by`
    decide. A constant number of queries, whatever the system holds."""
    fund_year = app.fund_year
    if not isinstance(amount, Decimal) or amount <= 0:
        raise InvalidInput("Enter an amount to award of more than £0.00", field="amount")
    if amount > app.amount_requested:
        asked = pounds(app.amount_requested)
        raise InvalidInput(
            f"You cannot award more than the {asked} asked for. Enter {asked} or less",
            field="amount",
        )
    if authority == "delegated" and (beyond := rules.beyond_delegated_limit(app, amount)):
        raise Refused(beyond, field="amount")
    # Its rules are asked here, before the pledges, and not again as it is taken.
    with rules.remembering(app):
        _check(app, "approve", by, permitted=permitted)
        shares = _award_shares(app, amount)
        expires = rules.today() + datetime.timedelta(days=fund_year.offer_acceptance_days)
        log = _run(
            app,
            "approve",
            by=by,
            note=note,
            checked=True,  # above, before the pledges were read
            also=lambda log: {
                "amount_awarded": amount,
                "awarded_at": log.at,
                "offer_expires_on": expires,
            },
        )
    ledger.commitment_in(  # no savepoint: a refusal undoes the approval whole
        fund_year=fund_year,
        reference=app.reference,
        shares=shares,
        by=by,
        memo=f"{pounds(amount)} awarded to {app.organisation} for {app.reference}",
    )
    _tell(app, log)
    return app


def _award_shares(app: Application, amount: Decimal) -> list[tuple[Councillor | None, Decimal]]:
    """Where an award of `amount` comes from: the pledging councillors' allocations, pro rata to
    their pledges (refused if they pledged less or one is out of office), or the central pot."""
    if not app.fund_year.uses_allocations:
        return [(None, amount)]
    pledges = list(app.pledges.filter(status="pledged").select_related("councillor").order_by("pk"))
    # Only a councillor in office commits their allocation (applications.terms withdraws a
    # departing councillor's pledges; this holds whatever way a term came to end).
    if gone := [p for p in pledges if not p.councillor.in_term_on(rules.today())]:
        raise Refused(" ".join(_pledge_out_of_term(p) for p in gone))
    pledged = sum((p.amount for p in pledges), Decimal("0.00"))
    if pledged < amount:
        raise Refused(
            f"Councillors have pledged {pounds(pledged)}; an award of {pounds(amount)} needs "
            f"{pounds(amount - pledged)} more."
            + (f" Enter {pounds(pledged)} or less" if pledged else ""),
            field="amount",
        )
    splits = ledger.split_pro_rata(amount, [p.amount for p in pledges])
    return [(p.councillor, s) for p, s in zip(pledges, splits, strict=True) if s]


def _pledge_out_of_term(pledge) -> str:
    councillor = pledge.councillor
    when = (
        f"ended on {rules.long_date(councillor.term_end)}"
        if councillor.term_end and councillor.term_end < rules.today()
        else f"starts on {rules.long_date(councillor.term_start)}"
    )
    return (
        f"{councillor}'s term of office {when}, so their pledge of {pounds(pledge.amount)} "
        "cannot be committed from their allocation: the bid needs that support again from "
        "the ward's councillors in office."
    )


@transaction.atomic
def application_reject(*, application: Application, by: User, reason: str) -> Application:
    app = lock_application(application)
    _step(app, "reject", by=by, note=reason)
    return app


@transaction.atomic
def application_accept_offer(*, application: Application, by: User) -> Application:
    app = lock_application(application)
    _step(app, "accept_offer", by=by, note=f"Offer of {pounds(app.amount_awarded)} accepted.")
    schedule_for_offer(app, by=by)
    return app


def _release(app: Application, *, by: User | None, why: str) -> None:
    ledger.commitment_release(
        reference=app.reference,
        by=by,
        key=f"release:{app.reference}:{why}",
        memo=f"Unpaid award for {app.reference} released: {why}",
    )


@contention.atomic
def application_lapse(*, application: Application, by: User | None = None) -> Application:
    app = lock_application(application)
    # Only an offer has a day it expires; lapsing anything else is refused by _step (a 4xx).
    by_when = rules.long_date(app.offer_expires_on) if app.offer_expires_on else "the day given"
    _step(app, "lapse", by=by, note=f"The offer was not accepted by the end of {by_when}.")
    _release(app, by=by, why="offer lapsed")
    return app


def lapse_due_offers() -> list[str]:
    """Lapse every offer not accepted in time. Safe to run daily: each is its own transaction,
    and an offer already lapsed is not found again."""
    due = Application.objects.filter(
        status=Status.APPROVED, offer_expires_on__lt=rules.today()
    ).order_by("pk")
    lapsed = []
    for app in due:
        application_lapse(application=app, by=None)
        lapsed.append(app.reference)
    return lapsed


@contention.atomic
def application_record_payment(
    *,
    application: Application,
    by: User,
    amount: Decimal,
    key: str,
    paid_on: datetime.date | None = None,
) -> Application:
    """A payment made to the group: posted to the ledger; the last one starts monitoring.
    `paid_on`: the day the money reaches the group (its payment run's pay date)."""
    app = lock_application(application)
    if LedgerTransaction.objects.filter(idempotency_key=key).exists():
        return app  # a retried request: this payment is already recorded
    _check(app, "pay", by)
    if payable_bank_account(app.organisation) is None:
        raise Refused(
            f"Payments to {app.organisation} are held: its bank details are missing, or have "
            "changed and a finance officer has not yet verified them."
        )
    outstanding = app.amount_awarded - app.paid_to_date
    if amount > outstanding:
        raise Refused(
            f"{app.reference} has {pounds(outstanding)} of its {pounds(app.amount_awarded)} award "
            f"left to pay; a payment of {pounds(amount)} is more than that."
        )
    ledger.payment_post(reference=app.reference, amount=amount, by=by, key=key)
    Application.objects.filter(pk=app.pk).update(paid_to_date=F("paid_to_date") + amount)
    app.refresh_from_db()
    when = f"; it reaches the bank account on {rules.long_date(paid_on)}" if paid_on else ""
    log = _run(app, "pay", by=by, note=f"{pounds(amount)} paid{when}.")
    if app.status == Status.MONITORING:
        due = deadlines.report_due_on(app)
        Application.objects.filter(pk=app.pk).update(monitoring_due_on=due)
        app.refresh_from_db()
    _tell(app, log)
    return app


@transaction.atomic
def monitoring_report_submit(
    *, application: Application, by: User, amount_spent: Decimal, outcomes: str, people_reached: int
) -> MonitoringReport:
    app = lock_application(application)
    if reason := rules.group_member.refusal(app, by):
        raise NotPermitted(reason)
    if app.status != Status.MONITORING:
        raise Refused(f"{app.reference} is not waiting for a monitoring report.")
    if amount_spent < 0 or people_reached < 0:
        raise InvalidInput("Spending and people reached cannot be negative.")
    return MonitoringReport.objects.create(
        application=app,
        amount_spent=amount_spent,
        outcomes=outcomes.strip(),
        people_reached=people_reached,
        submitted_by=by,
    )


@contention.atomic
def application_close(*, application: Application, by: User, note: str = "") -> Application:
    app = lock_application(application)
    _step(app, "close", by=by, note=note)
    _release(app, by=by, why="closed")
    return app


@contention.atomic
def application_withdraw(*, application: Application, by: User, reason: str = "") -> Application:
    app = lock_application(application)
    had_commitment = app.amount_awarded is not None
    _step(app, "withdraw", by=by, note=reason)
    app.pledges.filter(status="pledged").update(status="withdrawn")
    if had_commitment:
        _release(app, by=by, why="withdrawn")
    return app


@contention.atomic
def application_revoke(*, application: Application, by: User, reason: str) -> Application:
    """On a breach of the offer's conditions: stop further payments (the unpaid award is
    released); what was paid is owed back as clawback."""
    if not reason.strip():
        raise InvalidInput("Say which condition was breached: the group will be told.")
    app = lock_application(application)
    _step(
        app,
        "revoke",
        by=by,
        note=f"{reason.strip()} {pounds(app.paid_to_date)} paid is to be repaid.",
    )
    _release(app, by=by, why="revoked")
    return app
