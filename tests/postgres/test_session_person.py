"""The session's person is read with their roles at the council the request is for and whether
they have an authenticator, in one query (fundmgr.sign_in.EmailOrUsernameBackend.get_user): a
grants officer of one council is nobody's officer at another; roles given or taken away are
seen on the next request; a switched-off account gets no session."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fundmgr import councils
from fundmgr.models import StaffRole
from fundmgr.roles import Role, forget_roles, role_names
from fundmgr.sign_in import EmailOrUsernameBackend
from fundmgr.two_factor import needs_code
from tests.authenticator import authenticator_for
from tests.councils_fixtures import two_councils

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _read(user, council):
    """The person as a request for `council` reads them, and the queries that took."""
    with councils.acting_for(council), CaptureQueriesContext(connection) as queries:
        person = EmailOrUsernameBackend().get_user(user.pk)
        roles = role_names(person) if person is not None else set()
    return person, roles, len(queries)


def test_the_person_comes_with_their_roles_at_that_council_only_in_one_query(on_postgres):
    made = two_councils()
    officer, a, b = made["a"].officer, made["a"].council, made["b"].council
    person, roles, queries = _read(officer, a)
    assert (person.pk, roles, queries) == (officer.pk, {str(Role.GRANTS_OFFICER)}, 1)
    person, roles, queries = _read(officer, b)
    assert (person.pk, roles, queries) == (officer.pk, set(), 1)
    with councils.acting_for(a):
        StaffRole.objects.create(user=officer, council=a, role=str(Role.AUDITOR))
    assert _read(officer, a)[1] == {str(Role.GRANTS_OFFICER), str(Role.AUDITOR)}
    person, roles, _ = _read(made["a"].treasurer, a)
    assert roles == {str(Role.APPLICANT)}
    with councils.acting_for(a):
        forget_roles(person)
        assert role_names(person) == {str(Role.APPLICANT)}  # read again: the same


def test_whether_they_have_an_authenticator_is_read_with_them(on_postgres, finance):
    with councils.acting_for(councils.current_id() or 1):
        assert EmailOrUsernameBackend().get_user(finance.pk)._has_authenticator is False
        authenticator_for(finance)
        person = EmailOrUsernameBackend().get_user(finance.pk)
        with CaptureQueriesContext(connection) as queries:
            assert needs_code(person) == "code"
        assert len(queries) == 0


def test_a_switched_off_account_or_an_unknown_id_gets_no_session(on_postgres, officer):
    officer.is_active = False
    officer.save()
    assert EmailOrUsernameBackend().get_user(officer.pk) is None
    assert EmailOrUsernameBackend().get_user(10**9) is None
    assert EmailOrUsernameBackend().get_user("not a number") is None
