"""Schemathesis against the live OpenAPI description: for every operation, generated requests
(valid ones, and invalid ones that break the schema on purpose) never answer 5xx, and every
answer (status, content type, headers, body) is one the description documents.

Bounded: a handful of examples per operation and per caller, so it runs in CI in about a minute.
Run more with FUNDMGR_SCHEMATHESIS_EXAMPLES=200.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.config import OperationConfig

from tests.factories import ApplicationFactory, OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = int(os.environ.get("FUNDMGR_SCHEMATHESIS_EXAMPLES", "6"))
ROLES = {
    # One caller who may do nearly everything, so most operations get past their permission
    # checks and into their real work; and (below) a community group's member, who may do little.
    "officer": ["Grants officer", "Finance officer", "Auditor", "Administrator"],
}


def _load_schema():
    # The description is for signed-in callers (settings.API_DOCS_PUBLIC opens it): read it as one.
    reader = Token.objects.create(user=UserFactory(username="schema-reader")).key
    loaded = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json",
        get_wsgi_application(),
        headers={"Authorization": f"Token {reader}"},
    )
    # Django refuses a NUL character in any text it reads from a form or a filter (400), which
    # OpenAPI 3.0 cannot say; schemathesis's own switch for such servers keeps it out.
    loaded.config.generation.update(
        modes=list(GenerationMode), max_examples=EXAMPLES, deterministic=True, allow_x00=False
    )
    # "Schema-valid request rejected" expects 2xx/401/403/404/409 for a valid request. A body that
    # fits the description can still be refused with 400 for what no schema can say: an id of a
    # record that does not exist (`"fund_year": 0`), a pay date already passed, a file that is
    # not a bank statement. So, for writes only, 400 is an answer to valid data too; reads must
    # still accept whatever their description allows (an unknown id in a filter is an empty list).
    # An edit (PATCH, PUT) also needs the version it starts from: 428 without one, 412 for a
    # stale or made-up If-Match, which a generated request cannot know.
    # (5xx is in schemathesis's own list because `not_a_server_error` is the check for it.)
    accepted = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
    loaded.config.operations.operations += [
        OperationConfig.from_dict(
            {
                "include-method": "POST",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*accepted, "400"]}},
            }
        ),
        *(
            OperationConfig.from_dict(
                {
                    "include-method": method,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*accepted, "400", "412", "428"]
                        }
                    },
                }
            )
            for method in ("PATCH", "PUT")
        ),
    ]
    return loaded


@pytest.fixture
def wsgi_keeps_the_test_connection(db):
    """Django closes the database connection when a request ends. Its test Client stops that;
    schemathesis calls the WSGI application itself, so here it is stopped for the test (on
    PostgreSQL the closed connection would end the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def throttles_out_of_the_way(monkeypatch):
    """A generated run calls the API thousands of times a minute as one person, far past the
    rates people and programs are held to (REST_FRAMEWORK's throttles; those are tested in
    tests/pages/test_accounts_sign_in.py). DRF's throttles read their rates when the classes are
    made."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None})


@pytest.fixture
def api_schema(wsgi_keeps_the_test_connection, throttles_out_of_the_way):
    """Every phase: examples, coverage (each parameter's edges and each way to break it,
    systematically) and fuzzing."""
    return _load_schema()


@pytest.fixture
def api_schema_fuzzing(wsgi_keeps_the_test_connection, throttles_out_of_the_way):
    """Fuzzing only, for the group member, whom most operations refuse (403) before reading
    anything: the coverage phase's ~80 requests an operation would mostly repeat that refusal,
    and would double the run's time."""
    loaded = _load_schema()
    loaded.config.phases.coverage.enabled = False
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")
schema_fuzzing = schemathesis.pytest.from_fixture("api_schema_fuzzing")


@pytest.fixture
def some_data(draft, treasurer):
    """A little of everything, so list operations return rows the description must fit."""
    group = OrganisationFactory(members=[UserFactory(roles=["Applicant"])])
    ApplicationFactory(fund_year=draft.fund_year, organisation=group)
    return draft


@pytest.fixture
def officer_token(some_data):
    user = UserFactory(username="api-everything", roles=ROLES["officer"])
    return Token.objects.create(user=user).key


@pytest.fixture
def applicant_token(some_data, treasurer):
    return Token.objects.create(user=treasurer).key


@pytest.fixture
def councillor_token(some_data, shaw):
    """A ward councillor holding an allocation: pledges and transfers get past their checks."""
    return Token.objects.create(user=shaw.user).key


def check(case, token: str) -> None:
    """Every check schemathesis has: no 5xx, documented status codes, content types, headers
    and bodies, and bad input refused with a 4xx."""
    case.call_and_validate(headers={"Authorization": f"Token {token}"})


BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@BOUNDED
def test_as_an_officer_no_operation_answers_5xx_or_breaks_its_description(case, officer_token):
    check(case, officer_token)


@schema_fuzzing.parametrize()
@BOUNDED
def test_as_a_group_no_operation_answers_5xx_or_breaks_its_description(case, applicant_token):
    check(case, applicant_token)


@schema_fuzzing.parametrize()
@BOUNDED
def test_as_a_councillor_no_operation_answers_5xx_or_breaks_its_description(case, councillor_token):
    check(case, councillor_token)


# --- what schemathesis found, pinned down so it cannot come back unnoticed ---------------------


@pytest.mark.parametrize(
    ("address", "status"),
    [
        # Pages: whole numbers from 1 (the description says minimum 1); past the last, 404.
        ("/api/v1/applications/?page=0", 400),
        ("/api/v1/applications/?page=", 400),
        ("/api/v1/applications/?page_size=0", 400),
        ("/api/v1/applications/?page=999", 404),
        ("/api/v1/applications/?page=1&page_size=9999", 200),
        # An id that matches nothing is an empty list, not a 400 saying which records exist.
        ("/api/v1/budgets/?fund_year=987654&councillor=987654&ward=987654", 200),
        ("/api/v1/councillors/?ward=987654", 200),
        ("/api/v1/payments/?run=987654&fund_year=987654", 200),
        ("/api/v1/statement-lines/?statement=987654", 200),
        ("/api/v1/matches/?statement=987654&run_line=987654", 200),
        ("/api/v1/payment-schedules/?fund_year=987654", 200),
        ("/api/v1/budgets/?ward=0", 400),
        # A filter given empty, twice, or a yes/no filter given neither, is bad input.
        ("/api/v1/payment-runs/due/?on=", 400),
        ("/api/v1/councillors/?serving_on=", 400),
        ("/api/v1/payments/?due_to=", 400),
        ("/api/v1/payment-runs/?pay_date__lte=", 400),
        ("/api/v1/financial-years/?is_closed=null", 400),
        ("/api/v1/financial-years/?is_closed=true&is_closed=true", 400),
        ("/api/v1/matches/?undone=false", 200),
        ("/api/v1/ledger-transactions/?reference=", 200),  # text may be empty
        # ?format= is REST framework's (the answer's format); statements filter on file_format.
        ("/api/v1/statements/?file_format=csv", 200),
        ("/api/v1/statements/?file_format=xls", 400),
    ],
)
def test_bad_query_input_is_a_400_problem_and_an_unknown_id_an_empty_list(
    address, status, officer_token
):
    response = Client().get(address, HTTP_AUTHORIZATION=f"Token {officer_token}")
    assert response.status_code == status, response.content
    if status >= 400:
        assert response["Content-Type"] == "application/problem+json"
    elif "results" in response.json() and "987654" in address:
        assert response.json()["results"] == []


def test_a_person_who_may_be_none_is_null_in_the_description(some_data, officer_token):
    """The ledger's allocations are made by the system: created_by is null, and the
    description says it may be."""
    client = Client(HTTP_AUTHORIZATION=f"Token {officer_token}")
    rows = client.get("/api/v1/ledger-transactions/").json()["results"]
    assert any(row["created_by"] is None for row in rows)
    described = client.get("/api/v1/schema/?format=json").json()
    created_by = described["components"]["schemas"]["LedgerTransaction"]["properties"]["created_by"]
    assert created_by.get("nullable") is True


@pytest.mark.parametrize("who", ["member", "officer"])
def test_lapsing_an_application_that_is_not_an_offer_is_refused_not_a_500(
    who, draft, treasurer, officer_token
):
    """A draft has no day its offer expires: lapsing it was a TypeError (500)."""
    token = officer_token if who == "officer" else Token.objects.create(user=treasurer).key
    response = Client().post(
        f"/api/v1/applications/{draft.pk}/lapse/",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code in (403, 409), response.content
    assert response["Content-Type"] == "application/problem+json"
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.parametrize(
    "path", ["/api/v1/panel-meetings/1/items/%0A/decision/", "/api/v1/no%0Asuch/"]
)
def test_an_address_with_a_newline_in_it_is_a_404_problem_too(client, officer_token, path):
    response = client.post(
        path,
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {officer_token}",
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
