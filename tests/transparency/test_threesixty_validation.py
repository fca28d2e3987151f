"""Validating the 360Giving package a grant at a time: the same errors as the whole grant schema,
the package checks (unique ids, the council's prefix, the publisher), and `export_360giving
--validate`, which writes exactly what the export writes unchecked, or nothing."""

from __future__ import annotations

import copy
import datetime
import io
import json
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from transparency import identifiers, schema, threesixty

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.transparency_fixtures"]

GRANT = {
    "id": "360G-thornburyvale-CAF26-000001",
    "title": "New benches",
    "description": "Benches for the park",
    "currency": "GBP",
    "amountAwarded": 500,
    "amountDisbursed": 0,
    "awardDate": "2026-05-01",
    "plannedDates": [{"startDate": "2026-05-01", "endDate": "2027-02-28"}],
    "recipientOrganization": [{"id": "GB-CHC-1990127", "name": "Brookfield Library"}],
    "beneficiaryLocation": [
        {"name": "Abbey Meadow", "countryCode": "GB", "geoCode": "E05800001", "geoCodeType": "WD"}
    ],
    "fundingOrganization": [{"id": "GB-LAE-TST", "name": "Testshire District Council"}],
    "grantProgramme": [{"code": "CAF", "title": "Community Asset Fund"}],
    "fromOpenCall": "Yes",
    "dateModified": "2026-05-01T10:00:00+01:00",
}


def broken(**changes) -> dict:
    grant = copy.deepcopy(GRANT)
    for key, value in changes.items():
        if value is None:
            del grant[key]
        else:
            grant[key] = value
    return grant


BROKEN = [
    broken(awardDate="23/11/2026"),
    broken(dateModified="yesterday", title=None),
    broken(recipientOrganization=None),
    broken(amountAwarded="500.00", fromOpenCall="Maybe"),
    broken(plannedDates=[{"startDate": "soon"}], recipientOrganization=[]),
    broken(beneficiaryLocation=[{"name": 7, "geoCode": "E05800001"}]),
    broken(fundingOrganization=[{"name": "No id"}], grantProgramme="CAF"),
    broken(recipientOrganization=[{"id": "GB-CHC-1", "name": "A"}], recipientIndividual={}),
    ["not", "a", "grant"],
]


def whole_schema_errors(grant) -> list:
    found = schema.grant_validator().iter_errors(grant)
    return sorted((tuple(e.absolute_path), e.message) for e in found)


@pytest.mark.parametrize("grant", [GRANT, *BROKEN])
def test_a_grant_checked_part_by_part_has_the_whole_grant_schemas_errors(grant):
    checker = schema.GrantValidator()
    for _ in range(2):  # the second time from what it remembers of each value
        assert sorted(checker.errors(grant)) == whole_schema_errors(grant)
    assert (grant is GRANT) == (whole_schema_errors(grant) == [])


def test_the_package_check_names_each_grant_by_its_place_and_id_and_finds_a_repeated_id():
    check = schema.PackageCheck(prefix="360G-thornburyvale-")
    check.grant(GRANT)
    check.grant(broken(awardDate="23/11/2026", id="360G-thornburyvale-CAF26-000002"))
    check.grant(broken())  # the first grant's id again
    check.grant(broken(id="360G-elsewhere-1"))
    check.metadata({"version": "1.4", "publisher": {"name": "Testshire", "identifier": "GB-X"}})
    problems = check.finish()
    assert problems[0].startswith(
        "grants/1/awardDate (grant 360G-thornburyvale-CAF26-000002): '23/11/2026' is not valid"
    )
    assert problems[1] == (
        "grants/2/id (grant 360G-thornburyvale-CAF26-000001): the id is not unique: grants/0 has it"
    )
    assert problems[2] == (
        "grants/3/id (grant 360G-elsewhere-1): the id does not start with the council's "
        "360Giving prefix 360G-thornburyvale-"
    )
    assert problems[3].startswith("publisher/identifier: the publisher GB-X is not the funder")
    assert len(problems) == check.found == 4


def test_a_package_without_grants_or_with_bad_metadata_is_refused():
    found = schema.errors({"grants": [], "version": 1.4, "publisher": {}})
    assert "grants: the package has no grants; it needs at least one" in found
    assert any(p.startswith("version: 1.4 is not of type 'string'") for p in found)
    assert any(p.startswith("publisher: 'name' is a required property") for p in found)


# --- through the command ------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def fixed_clock(monkeypatch):
    """The package's `modified` and `issued` are the time of writing: one time for both runs."""
    moment = timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 30))
    monkeypatch.setattr(threesixty.timezone, "now", lambda: moment)


def three_grants(town) -> list[str]:
    group = town.group("Brookfield Library", charity_number="1990127")
    made = [
        town.award(town.bid(group, amount="612.35"), pay="100.00"),
        town.award(town.bid(town.group("Friends of Abbey Park"), wards=[town.abbey, town.brook])),
        town.award(town.bid(group, amount="1200.00"), accept=False),
    ]
    return [app.reference for app in made]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_validated_export_is_byte_for_byte_the_unchecked_export(town, tmp_path, fixed_clock, fmt):
    three_grants(town)
    plain, checked = tmp_path / f"plain.{fmt}", tmp_path / f"checked.{fmt}"
    run("export_360giving", "--format", fmt, "--out", str(plain))
    said = run("export_360giving", "--format", fmt, "--out", str(checked), "--validate")
    assert "valid against the 360Giving schema (3 grants checked one by one" in said
    assert "Wrote 3 grants to" in said
    assert checked.read_bytes() == plain.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([plain.name, checked.name])
    if fmt == "json":
        # ... and the package the whole-document path made and validated before.
        package = json.loads("".join(threesixty.json_chunks()))
        assert json.loads(checked.read_text(encoding="utf-8")) == package
        assert schema.errors(package) == []


def test_a_validated_export_to_standard_out_and_as_xlsx(town, tmp_path, fixed_clock):
    three_grants(town)
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("export_360giving", "--out", "-", "--validate", stdout=stdout, stderr=stderr)
    assert "valid against the 360Giving schema" in stderr.getvalue()
    assert stdout.getvalue() == "".join(threesixty.json_chunks())
    out = tmp_path / "grants.xlsx"
    run("export_360giving", "--format", "xlsx", "--out", str(out), "--validate")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_size > 0
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, not a private one


def test_validate_names_a_broken_grant_by_id_and_path_and_a_repeated_id_and_writes_nothing(
    town, tmp_path, monkeypatch
):
    first, second, third = three_grants(town)
    made = threesixty.grant

    def grant(row):
        record = made(row)
        if row.reference == second:
            record["awardDate"] = "23/11/2026"
        return record

    monkeypatch.setattr(threesixty, "grant", grant)
    real_id = identifiers.grant_id
    monkeypatch.setattr(
        identifiers,
        "grant_id",
        lambda ref, prefix=None: real_id(first if ref == third else ref, prefix),
    )
    out = tmp_path / "grants.json"
    with pytest.raises(CommandError) as refused:
        run("export_360giving", "--out", str(out), "--validate")
    said = str(refused.value)
    assert "breaks the 360Giving schema in 2 place(s); nothing was written" in said
    assert f"grants/1/awardDate (grant 360G-thornburyvale-{second}): '23/11/2026'" in said
    assert (
        f"grants/2/id (grant 360G-thornburyvale-{first}): the id is not unique: grants/0 has it"
        in said
    )
    assert list(tmp_path.iterdir()) == []


def test_grant_rows_reads_each_field_in_grant_rows_own_order():
    """grant_rows builds each GrantRow from a tuple of FIELDS: their orders must agree."""
    import dataclasses

    from transparency.published import FIELDS, GrantRow

    names = [f.name for f in dataclasses.fields(GrantRow)]
    assert names[: len(FIELDS)] == list(FIELDS)
    assert names[len(FIELDS) :] == ["wards", "zone"]


def test_grant_rows_reads_each_time_to_the_microsecond_in_utc(town):
    """The times come as text (published.UtcText) and are read back as the same instants."""
    from applications.models import Application
    from transparency.published import grant_rows

    made = town.award(town.bid(town.group("Friends of Abbey Park")), pay="100.00")
    app = Application.objects.get(pk=made.pk)
    (row,) = list(grant_rows())
    assert row.awarded_at == app.awarded_at and row.awarded_at.utcoffset() is not None
    assert row.updated_at == app.updated_at
    assert row.last_posted_at is not None and row.last_posted_at >= app.awarded_at
