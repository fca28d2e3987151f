"""Per-council publishing on PostgreSQL, where row-level security holds (the tests connect as a
role that is neither a superuser nor BYPASSRLS, as production's): a council's 360Giving file
holds its own grants; the service's, streamed a chunk at a time after its view returned, reads
every council's, because each chunk is made across the service explicitly (a request naming no
council may read no council's rows)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import set_script_prefix

from tests.councils_fixtures import two_councils
from tests.transparency.test_councils_publishing import awarded, whole_schema_errors

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def download(client, url: str) -> dict:
    set_script_prefix("/")
    try:
        response = client.get(url)
        assert response.status_code == 200
        return json.loads(b"".join(response.streaming_content))
    finally:
        set_script_prefix("/")


def test_each_councils_file_and_the_services_under_row_level_security(client, on_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False,), "run as a role row-level security holds for"
    made = {key: awarded(m, key) for key, m in two_councils().items()}
    a = download(client, "/council-a/grants/360giving/grants-all.json")
    assert [g["id"] for g in a["grants"]] == [f"360G-councila-{made['a'].app.reference}"]
    every = download(client, "/grants/360giving/grants-all.json")
    assert sorted(g["id"] for g in every["grants"]) == sorted(
        [f"360G-councila-{made['a'].app.reference}", f"360G-councilb-{made['b'].app.reference}"]
    )
    assert whole_schema_errors(every) == []
