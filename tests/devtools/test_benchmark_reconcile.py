"""`manage.py benchmark reconcile`: a small run of the real benchmark (on a copy of a database
migrated for the tests: tests/devtools/conftest.py), and its data checked."""

import re

import pytest

from budgets.statement_files import PRESETS, read_csv
from devtools.benchmarks.reconcile import make, read_plain


def test_the_benchmarks_statement_has_references_as_banks_print_them_runs_and_strays():
    payments, runs, content = make(1000)
    lines = read_csv(content, PRESETS["hsbc"]).lines
    assert len(payments) == len(lines) == 1000
    with_reference = (lines["reference"] != "").mean()
    assert 0.6 < with_reference < 0.8  # a fifth of the payments are in runs
    references = lines["reference"][lines["reference"] != ""]
    without_instalment = (~references.str.contains("/", regex=False)).mean()
    assert 0.2 < without_instalment < 0.7  # printed without the instalment
    text = lines["description"].str.upper()
    assert text.str.contains(r"[A-Z]{2,4}2[67]\d{6}", regex=True).any()  # without the hyphen
    assert lines["description"].str.contains(r"[a-z]{2,4}2[67] \d{6}", regex=True).any()
    # Each run is one debit for its total, and its payments have no line of their own.
    assert len(runs) > 5 and all(
        pence == sum(p[2] for p in payments if p[4] == rid) for rid, pence, _ in runs
    )
    contras = lines[lines["description"].str.contains("GRANTS RUN")]
    assert len(contras) == len(runs)
    assert sorted((-contras["pence"]).tolist()) == sorted(pence for _, pence, _ in runs)
    round_sums = sum(1 for p in payments if p[2] % 25000 == 0) / 1000
    assert round_sums > 0.3  # many at £250, £500, £1,000: amounts alone are ambiguous
    assert [r[1] for r in read_plain(content)] == lines["reference"].tolist()


@pytest.mark.slow
def test_benchmark_reconcile_prints_both_matchers_the_import_and_the_targets(migrated_database):
    result = migrated_database.benchmark("reconcile", "--lines", "3000")
    assert result.returncode == 0, result.stderr
    said = result.stdout
    assert "the two matchers agree line for line" in said
    assert " by run total, " in said and " by reference, " in said
    for row in ("parse CSV", "match", "parse + match", "process peak resident memory"):
        assert row in said
    # The real path: the file imported through the service, saved and matched in the database,
    # finding what the in-memory matcher found.
    assert re.search(
        r"statement_import: 3,000 lines saved, [\d,]+ matched \([\d,]+ payments cleared, a match "
        r"saved for each\): the same as in memory",
        said,
    ), said
    for step in ("read and check", "save the lines", "match and save the matches"):
        assert re.search(rf"    {step}: [\d.]+ s", said)
    for label, sign, target, unit in (
        ("matching in memory", "≤", "0.10", " s"),
        ("parsing and matching in memory", "≤", "0.50", " s"),
        ("process peak memory, in memory", "≤", "400", " MB"),
        ("pandas matching against plain Python", "≥", "1", "x"),
        ("statement import, end to end", "≤", "60", " s"),
        ("memory the import adds to its process", "≤", "400", " MB"),
    ):
        figure = rf"  {label}: [\d.,]+{unit} \(target {sign} {target}{unit}\): (MET|MISSED)"
        assert re.search(figure, said), label
    assert re.search(r"Targets: \d of 6 MET", said)
    # The process's whole peak is said beside it, for what it is.
    assert re.search(r"  process peak memory, with the import: [\d,]+ MB\n", said)
