"""/admin/ as an auditor: every registered model, ours and third parties' (tokens, lockouts,
two-factor devices), read and never changed; no action runs, the ledger's "Allocate to every
councillor in office" included (it once posted an allocation in the auditor's name)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from budgets.models import Account, LedgerTransaction
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.fixture
def auditor(db):
    return UserFactory(roles=["Auditor"], is_staff=True)


def _admin_url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def test_the_auditor_cannot_run_the_allocation_action(client, auditor, fund_year, shaw, okafor):
    client.force_login(auditor)
    url = _admin_url(type(fund_year), "changelist")
    listing = client.get(url)
    assert listing.status_code == 200
    assert "Allocate to every councillor in office" not in listing.content.decode()
    before = LedgerTransaction.objects.count(), list(Account.objects.values_list("balance"))
    response = client.post(url, {"action": "allocate", ACTION_CHECKBOX_NAME: [fund_year.pk]})
    assert response.status_code == 403
    after = LedgerTransaction.objects.count(), list(Account.objects.values_list("balance"))
    assert after == before


def test_an_administrator_still_allocates_from_the_admin(admin_client, fund_year, shaw):
    url = _admin_url(type(fund_year), "changelist")
    assert "Allocate to every councillor in office" in admin_client.get(url).content.decode()
    admin_client.post(url, {"action": "allocate", ACTION_CHECKBOX_NAME: [fund_year.pk]})
    assert Account.objects.get(kind="allocation", councillor=shaw).balance > 0


@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
def test_the_auditor_reads_every_admin_page_and_changes_nothing(client, auditor, model):
    """Generated from the admin's own registry: a model registered later is held to it too."""
    client.force_login(auditor)
    model_admin = admin.site._registry[model]
    request = client.get("/admin/").wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}
    assert client.post(_admin_url(model, "add"), {}).status_code == 403
    obj = model.objects.first()
    if obj is not None:
        assert client.post(_admin_url(model, "change", obj.pk), {}).status_code == 403
        assert client.post(_admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=obj.pk).exists()
