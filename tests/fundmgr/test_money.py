"""Every amount of money a person types or a program sends is read by one parser
(fundmgr.money.read_money), with the same rules and the same words on the pages and in the API.

1. Every money field in the code is found (forms, serializers, the admin's forms) and must be a
   MoneyField: a new money field made with a plain DecimalField fails here.
2. Every field, page and API, is given the whole table of strings below and must accept or refuse
   each with the message for it; a page field and its API twin give the very same words.
3. Through the real pages and the real API (the issue's four: the pledge, the amount requested,
   a budget line's cost and the award), every string: status, message, and what was stored.
4. Properties of the parser (hypothesis): valid amounts round-trip; no exponent is ever read.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from django import forms
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from applications import services as s
from applications import support
from applications.models import Application, BudgetLine
from applications.workflow import Status
from budgets.models import FundYear
from decisions import services as d
from fundmgr import api_fields
from fundmgr import forms as form_fields
from fundmgr.money import PATTERN, MoneyError, MoneyRules, pounds, read_money, to_money
from tests.api_fixtures import API, client_for
from tests.factories import UserFactory

D = Decimal
# Every app of this project (a new one is read without being listed here), but devtools, whose
# demo and benchmarks take no money from anyone.
APPS = tuple(
    config.name
    for config in django_apps.get_app_configs()
    if Path(config.path).parent == Path(settings.BASE_DIR) and config.name != "devtools"
)

# --- the table ------------------------------------------------------------------------------

# (typed, the amount read)
ACCEPTED = [
    ("1000", D("1000.00")),
    ("1000.5", D("1000.50")),
    ("1000.50", D("1000.50")),
    ("1,000.00", D("1000.00")),
    ("£1,000.00", D("1000.00")),
    ("£1000", D("1000.00")),
    ("£ 1,000.50", D("1000.50")),
    (" 1000.00 ", D("1000.00")),
    ("1 000.00", D("1000.00")),
    ("1000.", D("1000.00")),
    ("0001000", D("1000.00")),
]
# (typed, which message: a key of MoneyRules.messages())
REFUSED = [
    ("1e3", "invalid"),
    ("1E2", "invalid"),
    ("1e-2", "invalid"),
    ("NaN", "invalid"),
    ("nan", "invalid"),
    ("Infinity", "invalid"),
    ("-Infinity", "invalid"),
    ("inf", "invalid"),
    ("ten pounds", "invalid"),
    ("£", "invalid"),
    (".", "invalid"),
    ("+5", "invalid"),
    ("--5", "invalid"),
    ("-£-5", "invalid"),
    ("$100", "invalid"),
    ("100p", "invalid"),
    ("1 00", "invalid"),
    ("١٠٠٠", "invalid"),  # Arabic-Indic digits: Decimal reads them, a person would not mean them
    ("1000.505", "decimal_places"),
    ("1000.500", "decimal_places"),
    ("0.001", "decimal_places"),
    ("1,00", "commas"),
    ("250,50", "commas"),
    ("10,00.00", "commas"),
    ("1,000 000", "commas"),
    ("10000000000", "max_value"),
    ("9,999,999,999.991", "decimal_places"),
    ("10,000,000,000.00", "max_value"),
    ("", "required"),
    ("   ", "required"),
]
# Zero and below: what each kind of field says.
SIGNED = [("0", D("0.00")), ("0.00", D("0.00")), ("£0", D("0.00")), ("-5", D("-5.00"))]
LARGEST = ("9,999,999,999.99", D("9999999999.99"))


def expected_for_sign(typed: str, value: Decimal, rules: MoneyRules) -> str | Decimal:
    if value == 0:
        return (
            value
            if rules.allow_zero
            else ("not_zero" if rules.allow_negative else "more_than_zero")
        )
    if rules.allow_negative:
        return value
    return "zero_or_more" if rules.allow_zero else "more_than_zero"


# --- finding every money field in the code --------------------------------------------------


@functools.cache
def _import_everything() -> None:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if any(p in module.name for p in (".migrations", ".management", ".tests")):
                continue
            importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _ours(cls) -> bool:
    return cls.__module__.split(".")[0] in APPS


# A decimal that is not money: a fund year's match-funding share is a proportion (0.25).
NOT_MONEY = {("FundYearForm", "match_funding_share"), ("FundYearSerializer", "match_funding_share")}


def form_fields_in_code() -> list[tuple[str, str, forms.Field]]:
    _import_everything()
    found = []
    for cls in sorted(set(_subclasses(forms.BaseForm)), key=lambda c: c.__qualname__):
        if _ours(cls):
            found += [(cls.__qualname__, n, f) for n, f in getattr(cls, "base_fields", {}).items()]
    return found


def serializer_fields_in_code() -> list[tuple[str, str, serializers.Field]]:
    _import_everything()
    found = []
    for cls in sorted(set(_subclasses(serializers.Serializer)), key=lambda c: c.__qualname__):
        if _ours(cls) and not cls.__name__.startswith("_"):
            found += [(cls.__qualname__, n, f) for n, f in cls().fields.items()]
    return found


def is_decimal(field) -> bool:
    return isinstance(field, forms.DecimalField | forms.FloatField | serializers.DecimalField) or (
        isinstance(field, serializers.FloatField)
    )


def test_every_money_field_on_the_pages_and_in_the_api_is_a_money_field():
    plain = [
        f"{cls}.{name}"
        for cls, name, field in form_fields_in_code() + serializer_fields_in_code()
        if is_decimal(field)
        and not isinstance(field, form_fields.MoneyField | api_fields.MoneyField)
        and (cls, name) not in NOT_MONEY
    ]
    assert plain == []
    # and the finder finds them: the forms and serializers of the four amounts at least
    money = {
        f"{cls}.{name}"
        for cls, name, field in form_fields_in_code() + serializer_fields_in_code()
        if isinstance(field, form_fields.MoneyField | api_fields.MoneyField)
    }
    assert {
        "PledgeForm.amount",
        "PledgeInput.amount",
        "AmountForm.amount_requested",
        "ApplicationUpdateSerializer.amount_requested",
        "BudgetLineForm.cost",
        "BudgetLineSerializer.cost",
        "DecisionForm.amount",
        "ApproveInput.amount",
    } <= money


@pytest.mark.django_db
def test_every_money_field_an_admin_may_change_is_a_money_field():
    superuser = UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    plain, money = [], set()
    for model, model_admin in admin.site._registry.items():
        if not (
            model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
        ):
            continue
        for name, field in model_admin.get_form(request).base_fields.items():
            form_name = model_admin.get_form(request).__name__
            if isinstance(field, form_fields.MoneyField):
                money.add(f"{model.__name__}.{name}")
            if is_decimal(field) and not isinstance(field, form_fields.MoneyField):
                if (model_admin.form.__name__, name) not in NOT_MONEY:
                    plain.append(f"{model.__name__} admin ({form_name}).{name}")
    assert plain == []
    assert {"FundYear.budget", "FundYear.max_award", "FundYear.min_award"} <= money


# --- every field, the whole table -----------------------------------------------------------


def page_fields() -> list[tuple[str, form_fields.MoneyField]]:
    return [
        (f"{cls}.{name}", field)
        for cls, name, field in form_fields_in_code()
        if isinstance(field, form_fields.MoneyField)
    ]


def api_fields_found() -> list[tuple[str, api_fields.MoneyField]]:
    return [
        (f"{cls}.{name}", field)
        for cls, name, field in serializer_fields_in_code()
        if isinstance(field, api_fields.MoneyField) and not field.read_only
    ]


def page_reads(field: forms.Field, typed: str) -> Decimal | str:
    required = field.required
    field.required = True  # an optional box left empty is nothing to read; asked for here
    try:
        return field.clean(typed)
    except forms.ValidationError as error:
        return error.messages[0]
    finally:
        field.required = required


def api_reads(field: serializers.Field, typed) -> Decimal | str:
    allow_null = field.allow_null
    field.allow_null = False  # an optional amount sent empty is none; asked for here
    try:
        return field.run_validation(typed)
    except serializers.ValidationError as error:
        return str(error.detail[0])
    finally:
        field.allow_null = allow_null


def expectations(rules: MoneyRules):
    messages = rules.messages()
    for typed, value in ACCEPTED + [LARGEST]:
        yield typed, value
    for typed, key in REFUSED:
        yield typed, messages[key]
    for typed, value in SIGNED:
        outcome = expected_for_sign(typed, value, rules)
        yield typed, messages[outcome] if isinstance(outcome, str) else outcome


@pytest.mark.parametrize("name,field", page_fields(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_page_money_box_reads_the_table(name, field):
    for typed, expected in expectations(field.rules):
        assert page_reads(field, typed) == expected, (name, typed)


@pytest.mark.parametrize(
    "name,field", api_fields_found(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_api_money_field_reads_the_table(name, field):
    for typed, expected in expectations(field.rules):
        assert api_reads(field, typed) == expected, (name, typed)
    # A JSON number is not read: 1000.5 is a float by now, and 1e3 was one in the JSON text.
    for number in (1000, 1000.5, 1e3, True):
        assert api_reads(field, number) == field.rules.messages()["not_text"]


# A page box and its API twin: the same words for the same string.
TWINS = [
    ("PledgeForm.amount", "PledgeInput.amount"),
    ("AmountForm.amount_requested", "ApplicationAnswersSerializer.amount_requested"),
    ("BudgetLineForm.cost", "BudgetLineSerializer.cost"),
    ("MatchFundingForm.amount", "MatchFundingSerializer.amount"),
    ("MonitoringForm.amount_spent", "MonitoringReportSerializer.amount_spent"),
    ("DecisionForm.amount", "ApproveInput.amount"),
    ("DecisionForm.amount", "DecisionBody.amount"),
    ("AssessmentForm.recommended_amount", "RecommendInput.recommended_amount"),
    ("AssessmentForm.recommended_amount", "AssessmentInput.recommended_amount"),
    ("TransferForm.amount", "TransferInput.amount"),
    ("RefundForm.amount", "RefundInput.amount"),
]


def test_a_page_box_and_its_api_twin_say_the_same_words():
    pages, apis = dict(page_fields()), dict(api_fields_found())
    for page_name, api_name in TWINS:
        page, api = pages[page_name], apis[api_name]
        if api_name == "PledgeInput.amount":  # the API's pledge box refuses zero where a page does
            api = PledgeInputForAllocations().fields["amount"]
        for typed, _ in ACCEPTED + [LARGEST] + REFUSED + SIGNED:
            assert page_reads(page, typed) == api_reads(api, typed), (page_name, typed)


def PledgeInputForAllocations():  # noqa: N802 - a serializer, as built for a fund of allocations
    from applications.serializers import PledgeInput

    return PledgeInput(uses_allocations=True)


# --- through the real pages and the real API ------------------------------------------------


@pytest.fixture
def roomy(fund_year):
    """Allocations of £2,000, awards up to £5,000 by an officer: room for £1,000.50 anywhere."""
    FundYear.objects.filter(pk=fund_year.pk).update(
        allocation_per_councillor=D("2000.00"), max_award=D("5000.00"), delegated_limit=D("5000.00")
    )
    fund_year.refresh_from_db()
    return fund_year


@pytest.fixture
def bid(roomy, draft):
    """The draft asks for £2,000 of a £2,000 project."""
    Application.objects.filter(pk=draft.pk).update(
        amount_requested=D("2000.00"), total_cost=D("2000.00")
    )
    BudgetLine.objects.filter(application=draft).update(cost=D("2000.00"))
    draft.refresh_from_db()
    return draft


@pytest.fixture
def waiting(bid, treasurer, officer):
    s.application_submit(application=bid, by=treasurer)
    return s.application_mark_eligible(application=bid, by=officer)


@pytest.fixture
def deciding(waiting, officer, shaw, okafor):
    for councillor in (shaw, okafor):
        support.pledge_make(
            application=waiting,
            councillor=councillor,
            amount=D("1000.00"),
            statement="Needed",
            by=councillor.user,
        )
    d.assessment_record(
        application=waiting,
        by=officer,
        recommendation="approve",
        recommended_amount=D("2000.00"),
        notes="Fine.",
    )
    waiting.refresh_from_db()
    assert waiting.status == Status.AWAITING_DECISION
    return waiting


@dataclass
class Surface:
    """One amount on both surfaces: how to send it, and where it is kept once accepted."""

    rules: MoneyRules
    page: object  # (client, app, typed) -> response
    api: object  # (app, typed) -> response
    stored: object  # app -> Decimal
    page_accepted: int = 302
    api_blank_clears: bool = False  # an optional answer to a draft: sent empty, it is cleared


def _pledge_page(client, app, typed):
    client.force_login(app.organisation.ward.councillors.get(name="Sam Shaw").user)
    return client.post(
        f"/councillor/bids/{app.reference}/support/", {"amount": typed, "statement": "Needed"}
    )


def _pledge_api(app, typed):
    shaw = app.organisation.ward.councillors.get(name="Sam Shaw")
    return client_for(shaw.user).post(
        f"{API}/applications/{app.pk}/pledges/", {"amount": typed, "statement": "Needed"}
    )


def _member(app):
    return app.organisation.members.get(username="treasurer")


def _requested_page(client, app, typed):
    client.force_login(_member(app))
    return client.post(
        f"/apply/applications/{app.pk}/amount/",
        {"version": app.version, "amount_requested": typed},
    )


def _requested_api(app, typed):
    return client_for(_member(app)).patch(
        f"{API}/applications/{app.pk}/",
        {"amount_requested": typed},
        HTTP_IF_MATCH=f'"{app.version}"',
    )


def _cost_page(client, app, typed):
    client.force_login(_member(app))
    return client.post(f"/apply/applications/{app.pk}/costs/add/", {"item": "Bulbs", "cost": typed})


def _cost_api(app, typed):
    return client_for(_member(app)).post(
        f"{API}/applications/{app.pk}/budget-lines/", {"item": "Bulbs", "cost": typed}
    )


def _decider():
    return UserFactory(username="decider", roles=["Grants officer"])


def _award_page(client, app, typed):
    client.force_login(_decider())
    return client.post(
        f"/officer/applications/{app.reference}/decide/",
        {"outcome": "approve", "amount": typed, "reasons": "Good value."},
    )


def _award_api(app, typed):
    return client_for(_decider()).post(
        f"{API}/applications/{app.pk}/approve/", {"amount": typed, "reasons": "Good value."}
    )


SURFACES = {
    "pledge": (
        "waiting",
        Surface(
            MoneyRules(what="the pledge"),
            _pledge_page,
            _pledge_api,
            lambda app: app.pledges.get().amount,
        ),
    ),
    "amount requested": (
        "bid",
        Surface(
            MoneyRules(what="the amount you are asking for", example="500.00"),
            _requested_page,
            _requested_api,
            lambda app: Application.objects.get(pk=app.pk).amount_requested,
            api_blank_clears=True,
        ),
    ),
    "budget line cost": (
        "bid",
        Surface(
            MoneyRules(what="the cost"),
            _cost_page,
            _cost_api,
            lambda app: app.budget_lines.get(item="Bulbs").cost,
        ),
    ),
    "award": (
        "deciding",
        Surface(
            MoneyRules(what="the amount awarded", example="500.00"),
            _award_page,
            _award_api,
            lambda app: Application.objects.get(pk=app.pk).amount_awarded,
        ),
    ),
}


def page_errors(response) -> list[str]:
    html = response.content.decode()
    if "govuk-error-summary" not in html:
        return []
    summary = html[html.index("govuk-error-summary") :]
    summary = summary[: summary.index("</ul>")]
    found = re.findall(r"<a href=[^>]*>(.*?)</a>", summary, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", f).split()).replace("&#x27;", "'") for f in found]


def attempt(send, stored):
    """Send one string, see what was kept, and undo it: each string meets the same record."""
    with transaction.atomic():
        response = send()
        try:
            kept = stored()
        except ObjectDoesNotExist:
            kept = None
        transaction.set_rollback(True)
    return response, kept


def _table(rules: MoneyRules):
    messages = rules.messages()
    for typed, value in ACCEPTED:
        yield typed, value, None
    for typed, key in REFUSED:
        yield typed, None, messages[key]
    for typed, value in SIGNED:
        outcome = expected_for_sign(typed, value, rules)
        yield typed, None, messages[outcome]


@pytest.mark.parametrize("what", list(SURFACES))
def test_every_string_through_the_page_and_the_api(what, request, db, client):
    fixture, surface = SURFACES[what]
    app = request.getfixturevalue(fixture)
    for typed, value, message in _table(surface.rules):
        page, kept_by_page = attempt(
            partial(surface.page, client, app, typed), partial(surface.stored, app)
        )
        api, kept_by_api = attempt(partial(surface.api, app, typed), partial(surface.stored, app))
        if message is None:
            assert page.status_code == surface.page_accepted, (what, typed, page_errors(page))
            assert api.status_code in (200, 201), (what, typed, api.content)
            assert kept_by_page == kept_by_api == value, (what, typed)
        else:
            assert page.status_code == 200, (what, typed)
            assert message in page_errors(page), (what, typed, page_errors(page))
            if surface.api_blank_clears and not typed.strip():
                assert api.status_code == 200 and kept_by_api is None, (what, typed)
                continue
            assert api.status_code == 400, (what, typed, api.content)
            body = api.json()
            field = next(iter(body["errors"]))
            assert body["errors"][field] == [message], (what, typed)
            assert message in body["detail"]


def test_a_json_number_is_refused_with_a_message_asking_for_a_string(waiting, shaw):
    response = client_for(shaw.user).post(
        f"{API}/applications/{waiting.pk}/pledges/", {"amount": 1000.5, "statement": "Needed"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "amount": [
            'Send the pledge as a string of pounds and pence, like "250.00": a JSON number can '
            "lose pence"
        ]
    }
    assert not waiting.pledges.exists()


def test_the_api_describes_money_as_a_pattern_the_parser_agrees_with(client, administrator):
    client.force_login(administrator)
    schema = client.get("/api/v1/schema/?format=json").json()
    pledge = schema["components"]["schemas"]["PledgeInputRequest"]["properties"]["amount"]
    assert pledge["type"] == "string" and pledge["pattern"] == PATTERN
    for typed, _ in ACCEPTED + [LARGEST]:
        assert re.search(PATTERN, typed), typed
    for typed in ("1e3", "NaN", "Infinity", "1.505", "1,00"):
        assert not re.search(PATTERN, typed), typed


# --- the parser's properties ----------------------------------------------------------------

ANY = MoneyRules(allow_zero=True, allow_negative=True)
amounts = st.decimals(
    min_value=D("-9999999999.99"), max_value=D("9999999999.99"), places=2, allow_nan=False
)


@given(amounts)
def test_an_amount_written_any_way_a_person_would_reads_back_the_same(amount):
    written = [
        f"{amount:.2f}",
        f"{amount:,.2f}",
        pounds(amount),
        f" {pounds(amount)} ",
        f"{amount:,.2f}".replace(",", " "),
    ]
    for text in written:
        assert read_money(text, ANY) == amount, text
        assert re.search(PATTERN, text), text


@given(
    st.from_regex(r"\A-?[0-9]{0,6}(\.[0-9]{0,3})?[eE][+-]?[0-9]{1,3}\Z"),
)
def test_no_exponent_is_ever_read(text):
    with pytest.raises(MoneyError):
        read_money(text, ANY)


@given(st.text(max_size=20))
def test_any_text_is_an_amount_or_a_message_never_a_crash(text):
    try:
        amount = read_money(text, ANY)
    except MoneyError as error:
        assert error.message.startswith(("Enter the amount", "The amount"))
    else:
        assert amount == amount.quantize(D("0.01")) and abs(amount) <= ANY.largest
        assert "e" not in text.lower() and re.search(PATTERN, text)


def test_to_money_reads_what_a_file_reader_already_read():
    assert to_money(D("500.000")) == D("500.00")
    assert to_money("-£1,234.50") == D("-1234.50")
    with pytest.raises(ValueError, match="more than 2 decimal places|no more than 2"):
        to_money(D("1.505"))
    with pytest.raises(ValueError):
        to_money(1000.5)
