"""Build the demo council from fixtures/demo.json through the real services, so the demo's
ledger is exactly what the product would have written. Deterministic: same file, same data."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

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
from fundmgr.models import User

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


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


def is_loaded(spec: dict) -> bool:
    return Council.objects.filter(gss_code=spec["council"]["gss_code"]).exists()


def logins(spec: dict) -> list[DemoLogin]:
    people = [*spec["staff"], *spec["applicants"]]
    result = [DemoLogin(p["role"], p["username"], p["name"], _lands_on(p["role"])) for p in people]
    first = spec["wards"][0]["councillors"][0]
    result.insert(
        1, DemoLogin("Councillor", first["username"], f"Cllr {first['name']}", "their budgets")
    )
    return result


def _lands_on(role: str) -> str:
    return {
        "Administrator": "every fund's balances; /admin/ for set-up",
        "Grants officer": "every fund's balances",
        "Finance officer": "every fund's balances",
        "Auditor": "every fund's balances (read only)",
    }.get(role, "their home page")


def _user(username: str, name: str, role: str, password: str, superuser: bool = False) -> User:
    """`password` is already hashed: hashing it once for forty users keeps the load quick."""
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
    user.groups.add(Group.objects.get(name=role))
    return user


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


@transaction.atomic
def load(spec: dict) -> Demo:
    demo = Demo(spec=spec, password=spec["password"], logins=logins(spec))
    password = make_password(spec["password"])
    for person in spec["staff"] + spec["applicants"]:
        _user(
            person["username"],
            person["name"],
            person["role"],
            password,
            bool(person.get("superuser")),
        )
    admin = User.objects.get(username=spec["staff"][0]["username"])

    council = Council.objects.create(**spec["council"])
    for period in spec["election_periods"]:
        ElectionPeriod.objects.create(
            council=council,
            name=period["name"],
            notice_date=_date(period["notice_date"]),
            polling_day=_date(period["polling_day"]),
        )
    councillors: dict[str, Councillor] = {}
    for ward_spec in spec["wards"]:
        ward = Ward.objects.create(
            council=council, name=ward_spec["name"], gss_code=ward_spec["gss_code"]
        )
        for person in ward_spec["councillors"]:
            user = _user(person["username"], person["name"], "Councillor", password)
            councillors[person["username"]] = Councillor.objects.create(
                user=user,
                ward=ward,
                name=person["name"],
                term_start=_date(person["term_start"]),
                term_end=_date(person.get("term_end")),
            )

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
        rules = dict(fund_spec["rules"])
        for start, year_spec in fund_spec["years"].items():
            year = years[start]
            fund_year = FundYear.objects.create(
                fund=fund,
                year=year,
                allocation_per_councillor=Decimal(year_spec.get("allocation_per_councillor", "0")),
                opens_on=year.start,
                closes_on=datetime.date(year.start.year + 1, 2, 28),
                **{
                    k: Decimal(v)
                    if isinstance(v, str)
                    and k != "cost_code"
                    and k not in ("funded_from", "year_end")
                    else v
                    for k, v in rules.items()
                },
            )
            ledger.budget_set(fund_year=fund_year, total=Decimal(year_spec["budget"]), by=admin)
            if fund_year.uses_allocations:
                ledger.allocate_year(fund_year=fund_year, by=admin)
            fund_years[(fund.code, start)] = fund_year

    for number, move in enumerate(spec["transfers"], start=1):
        ledger.allocation_transfer(
            fund_year=fund_years[(move["fund"], move["year"])],
            from_councillor=councillors[move["from"]],
            to_councillor=councillors[move["to"]],
            amount=Decimal(move["amount"]),
            by=admin,
            key=f"demo-transfer:{number}",
        )

    # The earlier year is closed last, once everything that belongs to it has been posted.
    for year in sorted(years.values(), key=lambda y: y.start)[:-1]:
        ledger.year_close(year=year, by=admin)
    return demo
