"""Each council publishes its own grants (issue 18): its /grants/ pages, its 360Giving file and
its Transparency Code list hold its grants only, under its own prefix, name and department; the
service's own address publishes one 360Giving file of every council's grants, each grant with
its own council as funder, valid against the 360Giving schema. Asked for through the real
addresses: a council's path prefix (/council-a/grants/), its host, and the service's address."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications import support
from applications.models import Application
from applications.workflow import Status
from budgets.models import Councillor
from decisions import services as d
from fundmgr import councils
from tests.councils_fixtures import Made, one_council, two_councils
from tests.factories import ApplicationFactory, UserFactory
from transparency import schema

pytestmark = pytest.mark.django_db
SHARED = Path(settings.BASE_DIR).parent / "shared" / "data" / "360giving"
SCHEMAS = SHARED if SHARED.is_dir() else schema.SCHEMAS
ALL = "grants/360giving/grants-all.json"

PUBLISHING = {
    "a": ("360G-councila-", "GB-LAE-AAA", "Community Services A"),
    "b": ("360G-councilb-", "GB-LAE-BBB", "Neighbourhoods B"),
    "c": ("360G-councilc-", "GB-LAE-CCC", "Grants C"),
}


def awarded(made: Made, key: str) -> Made:
    """The council's publishing settings set, and its bid taken through support, assessment and
    an officer's decision to an offer made: a published grant."""
    council = made.council
    council.threesixty_prefix, council.org_id, council.department = PUBLISHING[key]
    council.save()
    with councils.acting_for(council):
        app = made.app
        shaw = Councillor.objects.get(user=made.councillor)
        support.pledge_make(
            application=app,
            councillor=shaw,
            amount=app.amount_requested,
            statement="Much needed",
            by=made.councillor,
        )
        d.assessment_record(
            application=app,
            by=made.officer,
            recommendation="approve",
            recommended_amount=app.amount_requested,
            notes="Meets every criterion.",
        )
        d.decision_record(
            application=app,
            by=UserFactory(username=f"officer2-{key}", roles=["Grants officer"]),
            outcome="approve",
            amount=app.amount_requested,
            reasons="Good value.",
        )
        app.refresh_from_db()
        assert app.status == Status.APPROVED
    return made


@pytest.fixture
def made() -> dict[str, Made]:
    return {key: awarded(m, key) for key, m in two_councils().items()}


@pytest.fixture
def client(client):
    """The test client, each request starting from the site's root: Django's own server sets
    the script prefix afresh for each request, its test client does not, and the council
    middleware adds a council's path prefix to it (/council-a/), which would stay for the next
    request otherwise."""
    from django.urls import set_script_prefix

    class Fresh:
        def get(self, *args, **kwargs):
            set_script_prefix("/")
            try:
                return client.get(*args, **kwargs)
            finally:
                set_script_prefix("/")

    return Fresh()


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode()


def package(client, url: str) -> dict:
    return json.loads(body(client.get(url)))


def whole_schema_errors(found: dict) -> list[str]:
    """The package checked whole by jsonschema against the standard's own two schemas (the
    package's `$ref` to the grant schema resolved to the copy beside it, nothing fetched; both
    name their dialect by its http address, which `referencing` does not know: told here)."""
    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    package_schema = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    grant_schema = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    ref = package_schema["properties"]["grants"]["items"]["$ref"]
    registry = Registry().with_resource(ref, DRAFT202012.create_resource(grant_schema))
    validator = jsonschema.Draft202012Validator(
        package_schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(found)]


@pytest.mark.parametrize(("key", "other"), [("a", "b"), ("b", "a")])
def test_a_councils_grants_page_lists_its_own_grants_only(client, made, key, other):
    page = client.get(f"/council-{key}/grants/").content.decode()
    assert made[key].app.reference not in page  # the public list shows no references...
    assert f"Friends of {key}" in page  # ...but the groups funded
    assert f"Friends of {other}" not in page
    assert f"Council {key}" in page
    assert f"/council-{key}/grants/360giving/grants-all.json" in page


@pytest.mark.parametrize(("key", "other"), [("a", "b"), ("b", "a")])
def test_a_councils_360giving_file_holds_its_own_grants_under_its_own_identifiers(
    client, made, key, other
):
    prefix, org_id, department = PUBLISHING[key]
    found = package(client, f"/council-{key}/{ALL}")
    (grant,) = found["grants"]
    assert grant["id"] == f"{prefix}{made[key].app.reference}"
    assert grant["recipientOrganization"][0]["id"].startswith(f"{prefix}ORG-")
    assert grant["fundingOrganization"] == [
        {"id": org_id, "name": f"Council {key}", "department": department}
    ]
    assert found["publisher"] == {"name": f"Council {key}", "identifier": org_id}
    assert found["identifier"] == f"{prefix}grants-all"
    assert made[other].app.reference not in json.dumps(found)
    assert schema.errors(found) == []
    assert whole_schema_errors(found) == []


@pytest.mark.parametrize(("key", "other"), [("a", "b"), ("b", "a")])
def test_a_councils_transparency_code_list_holds_its_own_grants_and_department(
    client, made, key, other
):
    text = body(client.get(f"/council-{key}/grants/transparency-code/grants-all.csv"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Grant reference"] for r in rows] == [made[key].app.reference]
    assert rows[0]["Department"] == PUBLISHING[key][2]
    assert rows[0]["Beneficiary"] == f"Friends of {key}"
    assert made[other].app.reference not in text


def test_a_council_at_its_own_host_publishes_its_own(client, made, settings):
    settings.ALLOWED_HOSTS = ["*"]
    made["b"].council.host = "grants.council-b.example"
    made["b"].council.save()
    found = json.loads(body(client.get(f"/{ALL}", HTTP_HOST="grants.council-b.example")))
    assert [g["id"] for g in found["grants"]] == [f"360G-councilb-{made['b'].app.reference}"]


def test_the_services_file_holds_every_councils_grants_each_with_its_own_funder(client, made):
    with councils.acting_for(made["b"].council):  # not published: a bid still waiting
        waiting = ApplicationFactory(
            fund_year=made["b"].app.fund_year, organisation=made["b"].app.organisation
        )
    found = package(client, f"/{ALL}")
    by_id = {g["id"]: g for g in found["grants"]}
    assert set(by_id) == {
        f"360G-councila-{made['a'].app.reference}",
        f"360G-councilb-{made['b'].app.reference}",
    }
    for key in ("a", "b"):
        prefix, org_id, department = PUBLISHING[key]
        grant = by_id[f"{prefix}{made[key].app.reference}"]
        assert grant["fundingOrganization"] == [
            {"id": org_id, "name": f"Council {key}", "department": department}
        ]
        assert grant["recipientOrganization"][0]["id"].startswith(f"{prefix}ORG-")
    assert waiting.reference not in json.dumps(found)
    assert "identifier" not in found["publisher"]  # the service publishes; the councils fund
    assert found["identifier"] == "all-councils-grants-all"
    assert schema.errors(found) == []
    assert whole_schema_errors(found) == []


def test_the_services_spreadsheet_holds_every_councils_grants_too(client, made):
    text = body(client.get("/grants/360giving/grants-all.csv"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted((r["Identifier"], r["Funding Org:Name"]) for r in rows) == [
        (f"360G-councila-{made['a'].app.reference}", "Council a"),
        (f"360G-councilb-{made['b'].app.reference}", "Council b"),
    ]


def test_the_service_check_refuses_a_grant_under_another_councils_prefix(client, made):
    """The check is not blind: a grant of council a's under council b's prefix is found."""
    found = package(client, f"/{ALL}")
    a_grant = next(g for g in found["grants"] if g["id"].startswith("360G-councila-"))
    a_grant["id"] = a_grant["id"].replace("360G-councila-", "360G-councilb-")
    with councils.across_the_service():
        problems = schema.errors(found)
    assert len(problems) == 1
    assert "does not start with the council's 360Giving prefix 360G-councila-" in problems[0]


def test_the_services_grants_page_lists_the_councils_and_the_file(client, made):
    page = client.get("/grants/").content.decode()
    assert 'href="/council-a/grants/"' in page and 'href="/council-b/grants/"' in page
    assert f'href="/{ALL}"' in page
    assert "Friends of a" not in page  # the councils' own pages list their grants
    assert client.get("/grants/360giving/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/grants/wards/",
        "/grants/wards/E05000101/",
        "/grants/transparency-code/grants-all.csv",
        "/grants/360giving/grants-2019-20.json",
    ],
)
def test_a_councils_own_pages_are_not_at_the_services_address(client, made, path):
    assert client.get(path).status_code == 404


def published_in_bulk(made: Made, n: int, tag: str = "") -> None:
    """`n` more published grants of the council, written in bulk."""
    with councils.acting_for(made.council):
        app = made.app
        Application.objects.bulk_create(
            Application(
                fund_year=app.fund_year,
                organisation=app.organisation,
                reference=f"BULK{made.council.pk}{tag}-{i:06d}",
                status=Status.CLOSED,
                title=f"Project {i}",
                amount_requested=Decimal("100.00"),
                total_cost=Decimal("100.00"),
                amount_awarded=Decimal("100.00"),
                paid_to_date=Decimal("100.00"),
                awarded_at=timezone.now(),
                created_by=made.treasurer,
                submitted_at=timezone.now(),
            )
            for i in range(n)
        )


def queries_for(client, url: str) -> tuple[int, int]:
    """(queries, grants) of a whole download."""
    with CaptureQueriesContext(connection) as queries:
        found = package(client, url)
    return len(queries), len(found["grants"])


def test_the_services_file_takes_the_same_queries_however_many_grants_and_councils(client, made):
    client.get(f"/{ALL}")  # the councils read once into the process's cache
    few = queries_for(client, f"/{ALL}")
    published_in_bulk(made["a"], 30)
    published_in_bulk(made["b"], 30)
    c = awarded(one_council("c", "E07000103", "E05000103"), "c")
    client.get(f"/{ALL}")
    many = queries_for(client, f"/{ALL}")
    assert (few[1], many[1]) == (2, 63)
    assert many[0] == few[0], (few, many)
    assert c.app.reference in body(client.get(f"/{ALL}"))


def test_a_councils_ward_pages_are_its_own(client, made):
    """The ward profiles' groups funded are read from the kept shares (GroupShare), counted
    per council: a's ward shows a's group; b's address does not know a's ward."""
    ward_a = "/grants/wards/E05000101/"
    page = client.get(f"/council-a{ward_a}").content.decode()
    assert "Friends of a" in page and "Friends of b" not in page
    assert client.get(f"/council-b{ward_a}").status_code == 404
    index = client.get("/council-b/grants/wards/").content.decode()
    assert "Ward b" in index and "Ward a" not in index


def test_the_export_commands_write_one_councils_files_or_every_councils(made, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    def export(*args) -> dict:
        out = tmp_path / "grants.json"
        call_command(
            "export_360giving", "--out", str(out), "--validate", *args, stderr=io.StringIO()
        )
        return json.loads(out.read_text())

    every = export()
    assert sorted(g["id"][:14] for g in every["grants"]) == ["360G-councila-", "360G-councilb-"]
    assert whole_schema_errors(every) == []
    (only_b,) = export("--council", "E07000102")["grants"]
    assert only_b["id"] == f"360G-councilb-{made['b'].app.reference}"
    (only_a,) = export("--council", "council-a")["grants"]
    assert only_a["id"] == f"360G-councila-{made['a'].app.reference}"

    listed = tmp_path / "list.csv"
    with pytest.raises(CommandError, match="name it with --council"):
        call_command("export_transparency_register", "--out", str(listed))
    call_command(
        "export_transparency_register",
        "--out",
        str(listed),
        "--council",
        "council-b",
        stderr=io.StringIO(),
    )
    rows = list(csv.DictReader(io.StringIO(listed.read_text())))
    assert [r["Grant reference"] for r in rows] == [made["b"].app.reference]


def test_the_services_xlsx_holds_every_councils_grants_too(client, made):
    from openpyxl import load_workbook

    response = client.get("/grants/360giving/grants-all.xlsx")
    assert response.status_code == 200
    assert "all-councils-grants-all.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["grants"]
    rows = list(sheet.iter_rows(values_only=True))
    funder = rows[0].index("Funding Org:Name")
    assert sorted((r[0], r[funder]) for r in rows[1:]) == [
        (f"360G-councila-{made['a'].app.reference}", "Council a"),
        (f"360G-councilb-{made['b'].app.reference}", "Council b"),
    ]


def test_the_files_read_every_grant_once_in_order_across_gaps_in_the_ids(made):
    """Chunks of ids are read by ranges of ids, widened while a range holds too few: a
    council's grants among another's, and many ids that are no published grant, are each read
    once, in order, at any chunk size."""
    from transparency.published import grant_rows

    for round_ in range(4):
        published_in_bulk(made["a"], 2, f"R{round_}")
        published_in_bulk(made["b"], 7, f"R{round_}")
        with councils.acting_for(made["b"].council):  # ids that are no published grant
            ApplicationFactory.create_batch(
                9, fund_year=made["b"].app.fund_year, organisation=made["b"].app.organisation
            )
    with councils.acting_for(made["a"].council):
        every_a = list(Application.objects.filter(status__in=["approved", "closed"]).order_by("pk"))
        for chunk in (1, 2, 3, 50):
            assert [r.pk for r in grant_rows(chunk=chunk)] == [a.pk for a in every_a]
    assert len(every_a) == 9
    every = [r.pk for r in grant_rows(chunk=4)]
    assert every == sorted(every) and len(every) == len(set(every)) == 9 + 29


def test_the_services_pages_are_at_service_when_bare_addresses_are_a_councils(
    client, made, settings
):
    """With DEFAULT_COUNCIL, the bare address is that council's; the service's own publishing
    is still at /service/ (its links carry the prefix), and no council may take that slug."""
    from django.core.exceptions import ValidationError

    settings.DEFAULT_COUNCIL = "council-a"
    own = client.get("/grants/").content.decode()
    assert "Friends of a" in own and "Friends of b" not in own  # council a's own page
    page = client.get("/service/grants/").content.decode()
    assert 'href="/council-a/grants/"' in page and 'href="/council-b/grants/"' in page
    assert f'href="/service/{ALL}"' in page
    found = package(client, f"/service/{ALL}")
    assert {g["id"] for g in found["grants"]} == {
        f"360G-councila-{made['a'].app.reference}",
        f"360G-councilb-{made['b'].app.reference}",
    }
    assert client.get("/service/officer/").status_code == 404
    for taken in ("service", "grants", "officer"):
        made["b"].council.slug = taken
        with pytest.raises(ValidationError, match="part of the service's own addresses"):
            made["b"].council.full_clean()
