"""Build the demo's councils through the real services, so the demo's ledger is exactly what
the product would have written. Deterministic: same files, same data.

The service holds two councils: Thornbury Vale (fixtures/demo.json, the bigger, at the bare
address: settings.DEFAULT_COUNCIL) and Ashcombe (fixtures/demo-ashcombe.json, smaller, at
/ashcombe/). Each is built inside its own scope (`councils.acting_for`), as its own staff would
build it; its staff have roles at it alone. Applicants are the whole service's.

This module sets up the council: people, wards, councillors, funds, budgets and allocations.
`devtools.demo_applications` then tells the stories of the community groups and their
applications, and the earlier financial year is closed last.

What is written without a service: the reference data no service makes (users, the council,
wards, councillors, funds, fund years, election periods), and two dates, because every story is
told today (no clock is moved at run time): each fund year's window is widened to take in today
while the stories are told and then set back, and an offer that is to lapse has its expiry moved
to yesterday. Everything that posts to the ledger or moves an application between states is a
service call: budgets, allocations, transfers, groups and bank details, applications, pledges,
assessments, decisions, offers, payment runs, lapses, reports, closures and the year-end close.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from applications.models import Application
from applications.workflow import Status
from budgets import ledger
from budgets.models import (
    Council,
    Councillor,
    ElectionPeriod,
    FinancialYear,
    Fund,
    FundYear,
    Ward,
)
from devtools import demo_applications
from fundmgr import councils
from fundmgr.models import Notification, User
from fundmgr.roles import give_role

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
# Every council of the demo, the first (DEMO_FILE) first: its rows keep the ids they always had.
DEMO_FILES = (DEMO_FILE, Path(settings.BASE_DIR) / "fixtures" / "demo-ashcombe.json")


@dataclass
class DemoLogin:
    role: str
    username: str
    name: str
    lands_on: str


@dataclass
class Demo:
    spec: dict
    password: str
    logins: list[DemoLogin] = field(default_factory=list)


def read_spec(path: Path = DEMO_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def read_specs() -> list[dict]:
    """Each council's spec, in the order they are built."""
    return [read_spec(path) for path in DEMO_FILES]


def is_loaded(spec: dict) -> bool:
    return Council.objects.filter(gss_code=spec["council"]["gss_code"]).exists()


def address(spec: dict, site: str = "http://127.0.0.1:8000") -> str:
    """Where a council of the demo is served: the default council at the bare address, any
    other at its path prefix."""
    slug = spec["council"].get("slug") or ""
    if not slug or slug == getattr(settings, "DEFAULT_COUNCIL", ""):
        return f"{site}/"
    return f"{site}/{slug}/"


def logins(spec: dict) -> list[DemoLogin]:
    people = [*spec["staff"], *spec["applicants"]]
    result = [DemoLogin(p["role"], p["username"], p["name"], _lands_on(p["role"])) for p in people]
    first = spec["wards"][0]["councillors"][0]
    result.insert(
        1,
        DemoLogin(
            "Councillor", first["username"], f"Cllr {first['name']}", "bids and their budgets"
        ),
    )
    return result


def summary() -> str:
    """One line: how many applications the council in scope (the whole service, outside one)
    holds in each state."""
    counts = Counter(Application.objects.values_list("status", flat=True))
    states = ", ".join(f"{status.value} {counts[status.value]}" for status in Status)
    return f"{sum(counts.values())} applications: {states}."


def _lands_on(role: str) -> str:
    return {
        "Administrator": "the workbench and every fund's balances; /admin/ for set-up",
        "Grants officer": "the workbench: queues of bids by state",
        "Finance officer": "every fund's balances",
        "Auditor": "the workbench and balances, read only",
        "Panel member": "the panels they sit on",
        "Applicant": "their groups' applications",
    }.get(role, "their home page")


def _user(
    username: str, name: str, role: str, password: str, council: Council, superuser: bool = False
) -> User:
    """`password` is already hashed: hashing it once for a hundred users keeps the load quick."""
    first, _, last = name.partition(" ")
    user = User(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@example.org",
        is_staff=superuser or role in ("Administrator", "Auditor"),
        is_superuser=superuser,
    )
    user.password = password
    user.save()
    give_role(user, role, council)
    return user


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def load(spec: dict) -> Demo:
    """One council of the demo (for several in one transaction, `load_all`)."""
    return load_all([spec])[0]


def load_all(specs: list[dict]) -> list[Demo]:
    # The stories queue about 3,000 e-mails to the demo's fictional example.org addresses. They
    # are marked sent inside the load's own transaction, as the SMTP service would mark them
    # (`mark_sent`), and sent nowhere: a development machine's console backend would print them
    # all, and sending them after the commit (as the outbox does by itself) commits once per
    # e-mail, which on SQLite takes seconds. The outbox keeps every one, marked sent.
    # Offer letters and decision notices are not built after this commit (about 180 of them
    # would add some 4 s): each is produced from the decision's records on its first download.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        DOCUMENTS_AFTER_DECISIONS=False,
    ):
        with transaction.atomic():
            demos = [_build(spec) for spec in specs]
            mark_sent()
            statistics_refresh()
    return demos


def mark_sent() -> int:
    """Every e-mail waiting in the outbox, marked sent in one statement as the SMTP service
    marks one it has handed over (its Message-ID as the provider's id, one attempt), for the
    demo only: its addresses are fictional, and sending them one by one through Django's dummy
    backend (a claim and two updates each, some 9,000 statements) was a fifth of the load."""
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Cast, Concat

    from fundmgr.mail_services import message_id_host

    return Notification.objects.filter(
        sent_at__isnull=True, channel=Notification.Channel.EMAIL
    ).update(
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        provider_id=Concat(
            Value("<fundmgr-"),
            Cast("pk", CharField()),
            Value(f"@{message_id_host()}>"),
            output_field=CharField(),
        ),
    )


def statistics_refresh() -> None:
    """Tell the query planner what was just loaded (ANALYZE, as after any bulk load). Without it
    PostgreSQL plans from statistics taken before the load; if they say a table is empty, it
    picks nested scans of whole tables, and the public grants list took 15 s instead of 0.05 s.
    Inside the load's transaction, PostgreSQL counts the rows the transaction itself added."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _build(spec: dict) -> Demo:
    demo = Demo(spec=spec, password=spec["password"], logins=logins(spec))
    password = make_password(spec["password"])
    council = Council.objects.create(**spec["council"])
    with councils.acting_for(council):
        _build_council(spec, demo, password, council)
    return demo


def _build_council(spec: dict, demo: Demo, password: str, council: Council) -> None:
    users = _people(spec, password, council)
    admin = users[spec["staff"][0]["username"]]
    councillors = _wards_and_councillors(spec, council, users, password)
    fund_years = _funds(spec, council, admin)
    _transfers(spec, fund_years, councillors, admin)
    demo_applications.build(spec, users=users, councillors=councillors, fund_years=fund_years)
    _election_periods(spec, council)
    # The earlier year is closed last, once everything that belongs to it has been posted.
    years = sorted({fy.year for fy in fund_years.values()}, key=lambda y: y.start)
    for year in years[:-1]:
        ledger.year_close(year=year, by=admin)


def _people(spec: dict, password: str, council: Council) -> dict[str, User]:
    """Staff and the printed applicant logins; panel members and each group's own contact,
    who are not printed as logins. Councillors are made with their wards."""
    people = [
        *[(p["username"], p["name"], p["role"], p.get("superuser", False)) for p in spec["staff"]],
        *[(p["username"], p["name"], p["role"], False) for p in spec["applicants"]],
        *[(p["username"], p["name"], "Panel member", False) for p in spec["panel_members"]],
        *[
            (demo_applications.contact_username(o), o["contact"], "Applicant", False)
            for o in spec["organisations"]
        ],
    ]
    return {
        username: _user(username, name, role, password, council, superuser)
        for username, name, role, superuser in people
    }


def _wards_and_councillors(
    spec: dict, council: Council, users: dict[str, User], password: str
) -> dict[str, Councillor]:
    councillors: dict[str, Councillor] = {}
    for ward_spec in spec["wards"]:
        ward = Ward.objects.create(
            council=council, name=ward_spec["name"], gss_code=ward_spec["gss_code"]
        )
        for person in ward_spec["councillors"]:
            user = _user(person["username"], person["name"], "Councillor", password, council)
            users[user.username] = user
            councillors[person["username"]] = Councillor.objects.create(
                user=user,
                ward=ward,
                name=person["name"],
                term_start=_date(person["term_start"]),
                term_end=_date(person.get("term_end")),
            )
    return councillors


TEXT_RULES = ("cost_code", "funded_from", "year_end")


def _funds(spec: dict, council: Council, admin: User) -> dict[tuple[str, str], FundYear]:
    """Every fund's rules per year, its budget (source to pot) and the yearly allocations."""
    years = {
        start: FinancialYear.objects.get_or_create(start=datetime.date(int(start), 4, 1))[0]
        for fund in spec["funds"]
        for start in fund["years"]
    }
    fund_years: dict[tuple[str, str], FundYear] = {}
    for fund_spec in spec["funds"]:
        fund = Fund.objects.create(
            council=council, kind=fund_spec["kind"], name=fund_spec["name"], code=fund_spec["code"]
        )
        rules = {
            k: Decimal(v) if isinstance(v, str) and k not in TEXT_RULES else v
            for k, v in fund_spec["rules"].items()
        }
        for start, year_spec in fund_spec["years"].items():
            year = years[start]
            fund_year = FundYear.objects.create(
                fund=fund,
                year=year,
                allocation_per_councillor=Decimal(year_spec.get("allocation_per_councillor", "0")),
                opens_on=year.start,
                closes_on=datetime.date(year.start.year + 1, 2, 28),
                **rules,
            )
            ledger.budget_set(fund_year=fund_year, total=Decimal(year_spec["budget"]), by=admin)
            if fund_year.uses_allocations:
                ledger.allocate_year(fund_year=fund_year, by=admin)
            fund_years[(fund.code, start)] = fund_year
    return fund_years


def _transfers(spec, fund_years, councillors, admin) -> None:
    for number, move in enumerate(spec["transfers"], start=1):
        ledger.allocation_transfer(
            fund_year=fund_years[(move["fund"], move["year"])],
            from_councillor=councillors[move["from"]],
            to_councillor=councillors[move["to"]],
            amount=Decimal(move["amount"]),
            by=admin,
            key=f"demo-transfer:{spec['council']['gss_code']}:{number}",  # unique on the service
        )


def _election_periods(spec: dict, council: Council) -> None:
    """Made after the stories: the services refuse councillor-budget pledges and approvals on a
    day inside a pre-election period, and the stories are told today. Were the periods made
    first, the demo could not be loaded between 22 and 31 March 2027 (the notice period of the
    May 2027 elections falls in 2026/27). The stories are the history before the period."""
    for period in spec["election_periods"]:
        # A by-election names its ward and holds only that ward's bids; an election of the
        # whole council names none.
        ward = period.get("ward")
        ElectionPeriod.objects.create(
            council=council,
            ward=Ward.objects.get(council=council, name=ward) if ward else None,
            name=period["name"],
            notice_date=_date(period["notice_date"]),
            polling_day=_date(period["polling_day"]),
        )
