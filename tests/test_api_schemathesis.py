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
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
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


@pytest.fixture
def api_schema(db):
    loaded = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    loaded.config.generation.update(
        modes=list(GenerationMode), max_examples=EXAMPLES, deterministic=True
    )
    # "Schema-valid request rejected" expects 2xx/401/403/404/409 for a valid request. A body that
    # fits the description can still be refused with 400 for what no schema can say: an id of a
    # record that does not exist (`"fund_year": 0`), a pay date already passed, a file that is
    # not a bank statement. So, for writes only, 400 is an answer to valid data too; reads must
    # still accept whatever their description allows (an unknown id in a filter is an empty list).
    # An edit (PATCH) also needs the version it starts from: 428 without one, 412 for a stale or
    # made-up If-Match, which a generated request cannot know.
    # (5xx is in schemathesis's own list because `not_a_server_error` is the check for it.)
    accepted = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
    loaded.config.operations.operations += [
        OperationConfig.from_dict(
            {
                "include-method": "POST",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*accepted, "400"]}},
            }
        ),
        OperationConfig.from_dict(
            {
                "include-method": "PATCH",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [*accepted, "400", "412", "428"]
                    }
                },
            }
        ),
    ]
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


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


@schema.parametrize()
@BOUNDED
def test_as_a_group_no_operation_answers_5xx_or_breaks_its_description(case, applicant_token):
    check(case, applicant_token)
