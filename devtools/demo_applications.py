"""The demo's community groups and their applications, each told as a story through the real
services, so that every row is one the product would have written.

A story is a fund, a year and the state its application ends in; `PATHS` lists the steps (each
one service call) that take an application there. Groups, amounts and projects are drawn in a
fixed order with `random.Random(2026)`: the same fixtures/demo.json gives the same data. Every
pledge is sized from what the councillor has left (`support.councillor_available`), and a bid
goes to a group whose ward's councillors can fund it, so the services never refuse one.
"""

from __future__ import annotations

import datetime
import itertools
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from applications import group_services, support
from applications import organisations as groups
from applications import services as lifecycle
from applications.models import Application, Membership, Organisation
from applications.rules import today
from applications.schedules import SECOND_STAGE
from budgets.models import Councillor, Fund, FundYear, Ward
from decisions import services as decide
from decisions.models import PanelMeeting
from finance import payments
from fundmgr.models import User

ZERO = Decimal("0.00")

# --- the road to each state ------------------------------------------------------------------

SUPPORTED = ["submit", "eligible", "support"]
DECIDED = [*SUPPORTED, "assess", "approve"]
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "ineligible": ["submit", "ineligible"],
    "awaiting_support": ["submit", "eligible", "some_support"],
    "under_assessment": SUPPORTED,
    "awaiting_decision": [*SUPPORTED, "assess"],
    "rejected": [*SUPPORTED, "assess", "reject"],
    "approved": DECIDED,
    "lapsed": [*DECIDED, "expire"],
    "offer_accepted": [*DECIDED, "accept", "pay_part"],
    "monitoring": [*DECIDED, "accept", "pay_rest"],
    "closed": [*DECIDED, "accept", "pay_rest", "report", "close"],
    "revoked": [*DECIDED, "accept", "pay_part", "revoke"],
    "withdrawn": ["submit", "withdraw"],
}
# The first story of some states takes another road there: (state, variant) -> steps.
VARIANTS = {
    ("draft", 0): ["submit", "return"],
    ("under_assessment", 1): [*SUPPORTED, "declare"],
    ("awaiting_decision", 0): [*SUPPORTED, "assess", "defer"],
    ("monitoring", 0): [*DECIDED, "accept", "pay_rest", "report"],
    ("withdrawn", 0): [*DECIDED, "withdraw"],
    ("withdrawn", 1): ["submit", "eligible", "some_support", "withdraw"],
}
PAID = {"offer_accepted", "monitoring", "closed", "revoked"}
SIZES = {  # pounds asked for; CAF's are split at its £5,000 delegated limit (panel above)
    "CCIF": [150, 200, 250, 300, 350, 400, 450, 500, 600, 650, 750, 800, 900, 1000, 1200, 1500],
    "CB": [250, 400, 500, 600, 750, 900, 1000, 1200, 1500, 1800, 2000, 2500, 3000],
    "CAF": [1500, 2000, 2500, 3500, 4000, 5000, 6500, 8000, 9500, 12000, 15000, 18000, 24000],
}
SMALL_LINES = ["Equipment and materials", "Hire, delivery and installation", "Publicity"]
ASSET_LINES = ["Contractor's quoted works", "Professional fees and permissions", "Contingency"]
MATCH = ["The group's reserves", "National Lottery Awards for All", "Local business sponsors"]
STATEMENTS = [
    "A well-run group that the whole ward uses; I am glad to support it.",
    "Residents have asked for this for years, and the group has the volunteers to deliver it.",
    "Good value, and it reaches people who are often left out.",
    "I have visited the group: the need is real and the plan is sensible.",
]
DECLINES = [
    "I support the group, but my allocation is promised to the ward's play areas this year.",
    "The project mostly serves people outside the ward; its own councillors are better placed.",
]
INELIGIBLE = [
    "The project has already taken place: the fund cannot pay for work done before a decision.",
    "The activity is outside Thornbury Vale and does not benefit the district's residents.",
    "The group's accounts show free reserves of more than a year's running costs.",
    "The bid is for a private event that is not open to the public.",
]
REJECTIONS = [
    "The fund was oversubscribed and other bids showed greater need in the ward.",
    "The project duplicates a service the council already funds in the ward.",
]
CONDITIONS = "Acknowledge the council's support in publicity.\nKeep every receipt for six years."
REVOCATIONS = [
    "The group dissolved before the project was finished.",
    "The grant was spent on equipment other than that agreed in the offer.",
]
RECEIPTS = "Receipts for the first half of the spending"
WITHDRAWALS = [
    "The group found the money elsewhere.",
    "The venue is no longer available, so the project cannot go ahead this year.",
]


@dataclass
class Story:
    fund: str
    year: str
    status: str
    variant: int | None = None  # None: a story named in the file, told the plain way
    serial: int = 0
    organisation: str | None = None
    title: str = ""
    purpose: str = ""
    amount: str | None = None
    total_cost: str | None = None
    pledges: dict[str, str] = field(default_factory=dict)
    incomplete: bool = False

    @property
    def steps(self) -> list[str]:
        return VARIANTS.get((self.status, self.variant), PATHS[self.status])


def plan(spec: dict) -> list[Story]:
    """The treasurer's stories named in the file, then `plan`'s count per year, fund and state."""
    stories = [Story(**entry) for entry in spec["treasurer_stories"]]
    for year, funds in spec["plan"].items():
        for fund, counts in funds.items():
            for status, count in counts.items():
                stories += [Story(fund, year, status, variant=n) for n in range(count)]
    for serial, story in enumerate(stories):
        story.serial = serial
    return stories


@dataclass
class Cast:
    spec: dict
    users: dict[str, User]
    councillors: dict[str, Councillor]
    fund_years: dict[tuple[str, str], FundYear]
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    by_name: dict[str, Organisation] = field(default_factory=dict)
    member: dict[int, User] = field(default_factory=dict)  # who acts for each group
    bank: dict[int, str] = field(default_factory=dict)  # verified, changed, unverified, none
    rotation: list[Organisation] = field(default_factory=list)
    cursor: int = 0
    meetings: dict[int, PanelMeeting] = field(default_factory=dict)
    ideas: dict[str, Iterator[dict]] = field(default_factory=dict)

    def staff(self, role: str) -> list[User]:
        return [self.users[p["username"]] for p in self.spec["staff"] if p["role"] == role]

    def __post_init__(self):
        self.officers = self.staff("Grants officer")
        self.finance = self.staff("Finance officer")
        self.panel = self.staff("Panel member") + [
            self.users[p["username"]] for p in self.spec["panel_members"]
        ]
        self.ward_councillors: dict[int, list[Councillor]] = {}
        for councillor in sorted(self.councillors.values(), key=lambda c: c.pk):
            self.ward_councillors.setdefault(councillor.ward_id, []).append(councillor)
        for kind, ideas in self.spec["projects"].items():
            ideas = list(ideas)
            self.rng.shuffle(ideas)
            self.ideas[kind] = itertools.cycle(ideas)


def build(spec: dict, *, users, councillors, fund_years) -> None:
    cast = Cast(spec, users, councillors, fund_years)
    _organisations(cast)
    with _windows_open_today(list(fund_years.values())):
        for story in plan(spec):
            tell(cast, story)
    # The offers `_expire` ran out yesterday; those made today stay open.
    lifecycle.lapse_due_offers()
    _conditions_met(cast)
    _bank_details_changed(cast)


@contextmanager
def _windows_open_today(fund_years: list[FundYear]):
    """Every story is told today, through services that refuse a submission outside the fund
    year's window. So that the 2025/26 history can be written on any day (and 2026/27's after
    it closes on 28 February), each window is widened to include today while the stories are
    told, then set back to the dates the loader gave it, which the pages show."""
    day = today()
    saved = [(fy.pk, fy.opens_on, fy.closes_on) for fy in fund_years]
    for pk, opens, closes in saved:
        FundYear.objects.filter(pk=pk).update(opens_on=min(opens, day), closes_on=max(closes, day))
    yield
    for pk, opens, closes in saved:
        FundYear.objects.filter(pk=pk).update(opens_on=opens, closes_on=closes)


# --- community groups ------------------------------------------------------------------------


def contact_username(entry: dict) -> str:
    """The group's own contact signs in as `firstname.lastname`."""
    return re.sub(r"[^a-z.]", "", entry["contact"].lower().replace(" ", "."))


def _organisations(cast: Cast) -> None:
    wards = {ward.name: ward for ward in Ward.objects.all()}
    treasurer = cast.users[cast.spec["applicants"][0]["username"]]
    profile = ("name", "kind", "charity_number", "company_number", "address", "postcode")
    for number, entry in enumerate(cast.spec["organisations"], start=1):
        contact = cast.users[contact_username(entry)]
        organisation = groups.organisation_create(
            by=contact,
            role=Membership.Role.SECRETARY,
            ward=wards[entry["ward"]],
            email=re.sub(r"[^a-z]+", "-", entry["name"].lower()).strip("-") + "@example.org",
            phone=f"01632 960{number:03d}",  # Ofcom's range for drama: never a real line
            **{key: entry[key] for key in profile if key in entry},
        )
        acting = contact
        if entry.get("treasurer"):
            # By invitation, as on the pages: the treasurer joins by accepting.
            _, token = group_services.member_invite(
                organisation=organisation,
                email=treasurer.email,
                role="treasurer",
                by=contact,
                site="http://localhost:8000",
            )
            group_services.invitation_accept(token=token, by=treasurer)
            acting = treasurer
        cast.member[organisation.pk] = acting
        cast.by_name[organisation.name] = organisation
        _bank_details(cast, organisation, entry, number)
    cast.rotation = [o for o in cast.by_name.values() if cast.member[o.pk] != treasurer]
    cast.rng.shuffle(cast.rotation)


def _bank_details(cast: Cast, organisation: Organisation, entry: dict, number: int) -> None:
    """Entered by a member of the group and verified by a finance officer who did not enter
    them (the service refuses otherwise). `bank` in the file: none or unverified are left so."""
    cast.bank[organisation.pk] = state = entry.get("bank", "verified")
    if state == "none":
        return
    entered_by = cast.member[organisation.pk]
    account = groups.bank_account_change(
        organisation=organisation,
        by=entered_by,
        account_name=organisation.name[:18],
        sort_code=f"{number * 7 % 90 + 10:02d}{number * 13 % 100:02d}{number * 29 % 100:02d}",
        account_number=f"{(number * 48271 + 10007) % 100_000_000:08d}",
    )
    if state == "unverified":
        return
    checkers = cast.finance[number % 2 :] + cast.finance[: number % 2]
    groups.bank_account_verify(
        bank_account=account,
        by=next(f for f in checkers if f.pk != entered_by.pk),
        approve=True,
        note="Checked against a bank statement and a call to the group's treasurer.",
    )


def _bank_details_changed(cast: Cast) -> None:
    """A group that changes its verified details after being paid: the new details wait for a
    finance officer's check, and the group's next instalment with them."""
    for number, entry in enumerate(cast.spec["organisations"], start=1):
        if entry.get("bank") == "changed":
            organisation = cast.by_name[entry["name"]]
            groups.bank_account_change(
                organisation=organisation,
                by=cast.member[organisation.pk],
                account_name=organisation.name[:18],
                sort_code=f"{number * 11 % 90 + 10:02d}0{number % 10}44",
                account_number=f"{(number * 69621 + 3) % 100_000_000:08d}",
            )


# --- a story, step by step -------------------------------------------------------------------


def tell(cast: Cast, story: Story) -> Application:
    """Each step's service locks and re-reads the application; a step that needs what changed
    since (the award, what was paid) reads it afresh."""
    app = _fresh(_draft(cast, story))
    for step in story.steps:
        STEPS[step](cast, app, story)
    return app


def _fresh(app: Application) -> Application:
    return Application.objects.select_related(
        "fund_year__fund", "fund_year__year", "organisation"
    ).get(pk=app.pk)


def _draft(cast: Cast, story: Story) -> Application:
    fund_year = cast.fund_years[(story.fund, story.year)]
    amount, total = _money(cast, story, fund_year)
    organisation = _organisation_for(cast, story, fund_year, amount)
    by = cast.member[organisation.pk]
    idea = next(
        cast.ideas["asset" if fund_year.fund.kind == Fund.Kind.COMMUNITY_ASSET else "small"]
    )
    fields = {
        "title": story.title or idea["title"],
        "purpose": story.purpose or idea["purpose"],
        "amount_requested": amount,
    }
    if not story.incomplete:
        start, end = _project_dates(fund_year, story)
        fields |= {"total_cost": total, "project_start": start, "project_end": end}
        fields["people_benefiting"] = cast.rng.randrange(20, 420, 10)
    app = lifecycle.application_create(
        fund_year=fund_year, organisation=organisation, by=by, **fields
    )
    if not story.incomplete:
        _budget(app, story, by)
    return app


def _money(cast: Cast, story: Story, fund_year: FundYear) -> tuple[Decimal, Decimal]:
    """What the group asks for and what the project costs, match funding included."""
    if story.amount:
        return Decimal(story.amount), Decimal(story.total_cost or story.amount)
    sizes = SIZES[story.fund]
    if any(size > fund_year.delegated_limit for size in sizes):  # every other one to a panel
        big = story.variant % 2 == 0
        sizes = [size for size in sizes if (size > fund_year.delegated_limit) == big]
    amount = Decimal(cast.rng.choice(sizes))
    share = fund_year.match_funding_share
    if share:
        factor = Decimal(cast.rng.choice(["1", "1.1", "1.3", "1.6", "2"]))
        total = amount * 100 / (100 - share) * factor
        return amount, (total / 50).to_integral_value(ROUND_UP) * 50
    return amount, amount + cast.rng.choice([0, 0, 0, 50, 100, 250])


def _organisation_for(cast: Cast, story: Story, fund_year: FundYear, amount) -> Organisation:
    """The next group in the (shuffled) rotation that can take the story: a verified bank
    account if it is to be paid, and ward councillors with the money to back it."""
    if story.organisation:
        return cast.by_name[story.organisation]
    count = len(cast.rotation)
    for offset in range(count):
        organisation = cast.rotation[(cast.cursor + offset) % count]
        if story.status in PAID and cast.bank[organisation.pk] in ("none", "unverified"):
            continue
        if "support" in story.steps and fund_year.uses_allocations:
            money = [left for _, left in _backers(cast, story, fund_year, organisation.ward_id)]
            if sum(money[:2]) < amount:
                continue
        cast.cursor = (cast.cursor + offset + 1) % count
        return organisation
    raise RuntimeError(f"No demo group can take {story}: the fixtures need more money or groups.")


def _project_dates(fund_year: FundYear, story: Story) -> tuple[datetime.date, datetime.date]:
    """Within the financial year: paid projects early in it, the rest later."""
    year = fund_year.year
    offset = 14 + story.serial * 7 % 90 + (0 if story.status in PAID else 120)
    start = year.start + datetime.timedelta(days=offset)
    end = start + datetime.timedelta(days=30 + story.serial * 13 % 120)
    return start, min(end, year.end)


def _budget(app: Application, story: Story, by: User) -> None:
    asset = app.fund_year.fund.kind == Fund.Kind.COMMUNITY_ASSET
    shares = [Decimal("0.7"), Decimal("0.2")][: story.serial % 3]
    costs = [(app.total_cost * share).quantize(Decimal("0.01")) for share in shares]
    costs.append(app.total_cost - sum(costs, ZERO))
    for item, cost in zip(ASSET_LINES if asset else SMALL_LINES, costs, strict=False):
        lifecycle.budget_line_add(application=app, by=by, item=item, cost=cost)
    match = app.total_cost - app.amount_requested
    if match > 0:
        first = (match * Decimal("0.6")).quantize(Decimal("1")) if asset else match
        for n, amount in enumerate([first, match - first]):
            if amount > 0:
                lifecycle.match_funding_add(
                    application=app, by=by, source=MATCH[n], amount=amount, secured=n == 0
                )


def _backers(cast: Cast, story: Story, fund_year: FundYear, ward_id: int):
    """The ward's councillors in office today, most money left first. Those in `keep_balances`
    back only bids that are never approved, so their allocations stay whole: Cllr Shaw is the
    councillor login the demo prints, and tests/devtools/demo/test_demo.py checks his year-end
    balances."""
    kept = set(cast.spec.get("keep_balances", [])) if "approve" in story.steps else set()
    backers = [
        (c, support.councillor_available(c, fund_year) if fund_year.uses_allocations else ZERO)
        for c in cast.ward_councillors[ward_id]
        if c.in_term_on(today()) and c.user.username not in kept
    ]
    return sorted(backers, key=lambda pair: (-pair[1], pair[0].pk))


def _pledge(app: Application, councillor: Councillor, amount: Decimal, story: Story) -> None:
    support.pledge_make(
        application=app,
        councillor=councillor,
        amount=amount,
        statement=STATEMENTS[(story.serial + len(councillor.name)) % len(STATEMENTS)],
        by=councillor.user,
    )


# --- the steps: one service call each --------------------------------------------------------


def _assessor(cast: Cast, story: Story) -> User:
    return cast.officers[story.serial % 2]


def _decider(cast: Cast, story: Story) -> User:
    """Never the officer who assessed: the services refuse that."""
    return cast.officers[(story.serial + 1) % 2]


def _submit(cast, app, story):
    lifecycle.application_submit(application=app, by=cast.member[app.organisation_id])


def _return(cast, app, story):
    lifecycle.application_return(
        application=app,
        by=_assessor(cast, story),
        reason="Please attach a quote for the main item and the group's latest accounts.",
    )


def _ineligible(cast, app, story):
    reason = INELIGIBLE[story.serial % len(INELIGIBLE)]
    lifecycle.application_mark_ineligible(application=app, by=_assessor(cast, story), reason=reason)


def _eligible(cast, app, story):
    lifecycle.application_mark_eligible(
        application=app, by=_assessor(cast, story), note="Eligible group, project and costs."
    )


def _support(cast, app, story):
    """Enough support to move the bid on to assessment: pledges from allocations (pooled
    between two of the ward's councillors for every third bid, or when one has too little
    left), or one councillor's endorsement where the central pot pays."""
    backers = _backers(cast, story, app.fund_year, app.organisation.ward_id)
    if not app.fund_year.uses_allocations:
        _pledge(app, backers[story.serial % len(backers)][0], ZERO, story)
        return
    (first, left), *others = backers
    amount = app.amount_requested
    shares = [(first, amount)]
    if others and (left < amount or story.serial % 3 == 0):
        second, second_left = others[0]
        mine = min(left, max(amount - second_left, (amount / 2).quantize(Decimal("1"))))
        shares = [(first, mine), (second, amount - mine)]
    for councillor, share in shares:
        if share > 0:
            _pledge(app, councillor, share, story)


def _some_support(cast, app, story):
    """Support begun, not complete: named pledges, a part pledge, a decline, or none yet."""
    for username, amount in story.pledges.items():
        _pledge(app, cast.councillors[username], Decimal(amount), story)
    if story.pledges or not story.variant or story.variant % 3 == 0:
        return
    backers = _backers(cast, story, app.fund_year, app.organisation.ward_id)
    part = (app.amount_requested * Decimal("0.4")).quantize(Decimal("1"), ROUND_DOWN)
    if app.fund_year.uses_allocations and 0 < part <= backers[0][1]:
        _pledge(app, backers.pop(0)[0], part, story)  # a central-pot pledge would complete it
    if backers and (story.variant % 3 == 2 or not app.fund_year.uses_allocations):
        councillor = backers[-1][0]
        support.pledge_decline(
            application=app,
            councillor=councillor,
            reason=DECLINES[story.serial % len(DECLINES)],
            by=councillor.user,
        )


def _declare(cast, app, story):
    """A ward councillor who has not pledged declares an interest in the bid."""
    pledged = set(app.pledges.values_list("councillor_id", flat=True))
    for councillor in cast.ward_councillors[app.organisation.ward_id]:
        if councillor.in_term_on(today()) and councillor.pk not in pledged:
            support.interest_declare(
                application=app,
                by=councillor.user,
                kind="other_registrable",
                details=f"I am a trustee of {app.organisation}.",
            )
            return


def _assess(cast, app, story):
    against = story.status == "rejected" and story.variant == 0
    decide.assessment_record(
        application=app,
        by=_assessor(cast, story),
        recommendation="reject" if against else "approve",
        recommended_amount=None if against else app.amount_requested,
        notes="Quotes missing and similar activity already funded."
        if against
        else "Meets the criteria: a clear need, a capable group and costs backed by quotes.",
    )


def _decide(cast, app, story, **decision) -> None:
    """By the other grants officer under delegated authority, or by the panel above it."""
    if app.amount_requested > app.fund_year.delegated_limit:
        item = decide.panel_item_add(
            meeting=_panel(cast, app.fund_year), application=app, by=cast.officers[0]
        )
        if not item.meeting.declarations.exists():
            support.interest_declare(
                application=app,
                by=cast.panel[-1],
                kind="pecuniary",
                details=f"My partner's firm has quoted for the work for {app.organisation}.",
                panel_meeting=item.meeting,
            )
        decide.panel_decision_record(item=item, by=decide.voting_members(item)[0], **decision)
    else:
        decide.decision_record(application=app, by=_decider(cast, story), **decision)


def _panel(cast: Cast, fund_year: FundYear) -> PanelMeeting:
    """One panel meeting per fund year: three members, quorum two, all present."""
    if fund_year.pk not in cast.meetings:
        day = min(today(), datetime.date(fund_year.year.start.year + 1, 2, 12))
        meeting = decide.panel_meeting_create(
            title=f"{fund_year.fund.name} panel {fund_year.year.label}",
            fund=fund_year.fund,
            date=day,
            quorum=2,
            members=cast.panel,
            by=cast.officers[0],
        )
        decide.attendance_record(meeting=meeting, attended=cast.panel, by=cast.officers[0])
        cast.meetings[fund_year.pk] = meeting
    return cast.meetings[fund_year.pk]


def _approve(cast, app, story):
    amount = app.amount_requested
    if story.variant is not None and story.serial % 5 == 4:  # part-funded
        floor = app.fund_year.min_award
        amount = max(floor, (amount * Decimal("0.8") / 10).quantize(Decimal("1"), ROUND_DOWN) * 10)
    reasons = "Meets the criteria and is good value for the ward."
    if amount < app.amount_requested:
        reasons = "Part-funded: the contingency and publicity lines are not eligible."
    _decide(
        cast, app, story, outcome="approve", amount=amount, reasons=reasons, conditions=CONDITIONS
    )


def _reject(cast, app, story):
    _decide(cast, app, story, outcome="reject", reasons=REJECTIONS[story.serial % 2])


def _defer(cast, app, story):
    reasons = "A second quote and confirmation of the match funding are needed."
    _decide(cast, app, story, outcome="defer", reasons=reasons)


def _expire(cast, app, story):
    """The one application field the demo writes directly: the demo is built in a moment, so an
    offer made "weeks ago" is dated by moving its expiry to yesterday; `build` then lapses it
    with `lapse_due_offers()`, which releases the money through the ledger like any lapse."""
    Application.objects.filter(pk=app.pk).update(
        offer_expires_on=today() - datetime.timedelta(days=1)
    )


def _accept(cast, app, story):
    lifecycle.application_accept_offer(application=app, by=cast.member[app.organisation_id])


def _run(cast, story) -> None:
    """Pay what is due through a payment run: one finance officer prepares it and the other
    authorises it (the services refuse one person doing both)."""
    first, second = cast.finance[story.serial % 2], cast.finance[(story.serial + 1) % 2]
    run = payments.payment_run_prepare(by=first, pay_date=_processing_day())
    payments.payment_run_authorise(run=run, by=second)


def _processing_day() -> datetime.date:
    day = today()
    while day.weekday() >= 5:  # BACS pays on weekdays
        day += datetime.timedelta(days=1)
    return day


def _first_instalment(app: Application) -> Decimal:
    return (app.amount_awarded / 2).quantize(Decimal("0.01"), ROUND_DOWN)


def _halves(cast, app, story, *, condition: str) -> None:
    """Two instalments set by a grants officer: half now, the rest on the condition (if any)."""
    app = _fresh(app)
    first = _first_instalment(app)
    payments.instalments_set(
        application=app,
        by=cast.officers[0],
        instalments=[
            payments.Instalment(first, today()),
            payments.Instalment(app.amount_awarded - first, today(), condition),
        ],
    )


def _pay_part(cast, app, story):
    """The first of two instalments paid; the second waits for evidence of the first stage."""
    asset = app.fund_year.fund.kind == Fund.Kind.COMMUNITY_ASSET
    _halves(cast, app, story, condition=SECOND_STAGE if asset else RECEIPTS)
    _run(cast, story)


def _pay_rest(cast, app, story):
    """Asset grants and every other small grant in two instalments (paid in one run); the
    rest at once."""
    asset = app.fund_year.fund.kind == Fund.Kind.COMMUNITY_ASSET
    if asset or story.serial % 2:
        _halves(cast, app, story, condition="")
    _run(cast, story)


def _conditions_met(cast) -> None:
    """Receipts have come in for every other part-paid grant of the open year, and for the
    group about to change its bank details: those second instalments are due, for the demo's
    finance officers to pay in a run of their own (the changed group's is held)."""
    waiting = payments.payable(today()).waiting
    for number, row in enumerate(waiting):
        app = row.application
        changing = app is not None and cast.bank[app.organisation_id] == "changed"
        if app and not app.fund_year.is_closed and (number % 2 == 0 or changing):
            payments.condition_met(
                payment=row.payment,
                by=cast.officers[1],
                note="Receipts for the first half checked against the budget.",
            )


def _report(cast, app, story):
    app = _fresh(app)
    lifecycle.monitoring_report_submit(
        application=app,
        by=cast.member[app.organisation_id],
        amount_spent=app.paid_to_date,
        outcomes="Delivered as planned; photographs and receipts are attached.",
        people_reached=app.people_benefiting or 0,
    )


def _close(cast, app, story):
    lifecycle.application_close(application=app, by=_decider(cast, story), note="Report accepted.")


def _revoke(cast, app, story):
    reason = REVOCATIONS[story.serial % len(REVOCATIONS)]
    lifecycle.application_revoke(application=app, by=_assessor(cast, story), reason=reason)


def _withdraw(cast, app, story):
    reason = WITHDRAWALS[story.serial % len(WITHDRAWALS)]
    lifecycle.application_withdraw(
        application=app, by=cast.member[app.organisation_id], reason=reason
    )


STEPS = {
    "submit": _submit,
    "return": _return,
    "ineligible": _ineligible,
    "eligible": _eligible,
    "support": _support,
    "some_support": _some_support,
    "declare": _declare,
    "assess": _assess,
    "approve": _approve,
    "reject": _reject,
    "defer": _defer,
    "expire": _expire,
    "accept": _accept,
    "pay_part": _pay_part,
    "pay_rest": _pay_rest,
    "report": _report,
    "close": _close,
    "revoke": _revoke,
    "withdraw": _withdraw,
}
