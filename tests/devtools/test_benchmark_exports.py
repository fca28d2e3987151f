"""`manage.py benchmark exports`: a small run of the real benchmark on a throwaway database (a
copy of one migrated for the tests: tests/devtools/conftest.py)."""

import re

import pytest

pytestmark = pytest.mark.slow

FIGURE = r"{label}: [\d.,]+ {unit} \(target ≤ {target} {unit}\): (MET|MISSED)"


def test_benchmark_exports_times_the_command_and_the_download_against_their_targets(
    migrated_database,
):
    result = migrated_database.benchmark("exports", "--grants", "300")
    assert result.returncode == 0, result.stderr
    said = result.stdout
    assert "Exports: 300 grants" in said
    for fmt in ("JSON", "CSV", "XLSX"):
        for way in ("command", "download"):
            assert re.search(FIGURE.format(label=f"{way} {fmt} time", unit="s", target=10), said)
            assert re.search(
                FIGURE.format(label=f"{way} {fmt} peak memory", unit="MB", target=250), said
            ), said
        assert f"download {fmt.lower()}: " in said and "streamed" in said
    assert "NOT streamed" not in said
    assert re.search(FIGURE.format(label="command JSON --validate time", unit="s", target=30), said)
    assert "valid against the 360Giving schema (300 grants checked one by one" in said
    assert "the JSON file holds all 300 grants" in said
    assert re.search(r"Targets: \d+ of 14 MET", said)
