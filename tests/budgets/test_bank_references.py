"""A grant's payment reference read as banks print it (budgets.bank_references)."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgets.bank_references import candidates, find, find_all, grant_of, known_prefixes, pattern
from budgets.statement_files import _references

PRINTED = [
    ("CCIF26-000101/1", "CCIF26-000101/1"),
    ("CCIF26-000101", "CCIF26-000101"),
    ("CCIF26000101", "CCIF26-000101"),
    ("CCIF26000101/2", "CCIF26-000101/2"),
    ("ccif26 000101", "CCIF26-000101"),
    ("ccif26-000101/3", "CCIF26-000101/3"),
    ("Ccif26 - 000101 / 1", "CCIF26-000101/1"),
    ("FRIENDS OF ABBEY CCIF26000101 BGC", "CCIF26-000101"),
    ("FRIENDS OF ABBEY CCIF26-000101/1 BGC", "CCIF26-000101/1"),
    ("BACS CCIF26-000101/1 FRIENDS OF ABBEY", "CCIF26-000101/1"),
    ("REF:CCIF26-000101/1,GRANT", "CCIF26-000101/1"),
    ("CCIF26-000101/", "CCIF26-000101"),  # cut at 18 characters in a longer field
    ("ABBEY CCIF26-000101/", "CCIF26-000101"),
    ("ABBEY CCIF26000101", "CCIF26-000101"),
    ("CB27-000003/2", "CB27-000003/2"),
    ("CAF26-1234567/9", "CAF26-1234567/9"),
    ("RETURNED CCIF26 000101 ACCOUNT CLOSED", "CCIF26-000101"),
]

NOT_REFERENCES = [
    "",
    "CARD PAYMENT SUPPLIER 1234",
    "SW1A 1AA",  # a postcode
    "LS1 4DY LEEDS",
    "CCIF26-00010",  # a number cut short is not another grant's
    "CCIF26-0001",
    "ABBEYCCIF26000101",  # glued to the payee's name: no fund code stands alone
    "XYZABCD26-000101/1",  # seven letters: not a fund code
    "CCIF2-000101/1",
    "CCIF26-000101234567",  # more digits than any reference has
    "SORT CODE 20-00-00 ACC 12345678",
    "DD 12/03/2026 TESCO",
]


@pytest.mark.parametrize(("printed", "written"), PRINTED)
def test_each_printed_form_is_read_as_the_council_writes_it(printed, written):
    assert find(printed) == written
    assert find(printed, ["CCIF", "CB", "CAF"]) == written


@pytest.mark.parametrize("text", NOT_REFERENCES)
def test_text_that_is_not_a_reference_is_not_read_as_one(text):
    assert find(text) == ""
    assert find(text, ["CCIF", "CB"]) == ""


def test_the_funds_codes_keep_invoice_and_phone_numbers_out():
    for text in ["INV26-123456 STATIONERY", "TEL01-234567 CALL", "PO26 123456"]:
        assert find(text) != ""  # any 2 to 6 letters would take it
        assert find(text, ["CCIF", "CB"]) == ""
    # Given the codes, the grant's reference is found after an invoice number.
    assert find("INV26-123456 CCIF26-000101/1", ["CCIF"]) == "CCIF26-000101/1"
    assert find("INV26-123456 CCIF26-000101/1") == "INV26-123456"
    assert find("anything CCIF26-000101/1", []) == ""
    # A word that is not a fund's code, though it has the shape of one.
    assert find("XCCIF26-000101/1") == "XCCIF26-000101/1"
    assert find("XCCIF26-000101/1", ["CCIF"]) == ""


def test_the_series_reader_agrees_with_the_plain_one():
    texts = pd.Series([p for p, _ in PRINTED] + NOT_REFERENCES + [None])
    expected = [w for _, w in PRINTED] + [""] * len(NOT_REFERENCES) + [""]
    assert find_all(texts).tolist() == expected
    assert find_all(texts, ["CCIF", "CB", "CAF"]).tolist() == expected
    assert find_all(pd.Series([], dtype=object)).tolist() == []
    assert _references(texts.fillna("")).tolist() == expected


codes = st.sampled_from(["CCIF", "CB", "CAF", "CAB"])
years = st.integers(0, 99).map(lambda y: f"{y:02d}")
numbers = st.integers(1, 999_999_999).map(lambda n: f"{n:06d}")
instalments = st.sampled_from(["", "1", "2", "9"])
payees = st.sampled_from(["", "FRIENDS OF ABBEY ", "Kingsmoor RFC ", "BACS ", "1 ", "REF:"])
tails = st.sampled_from(["", " BGC", " GRANT", ",", " 12.50", "/"])


@given(codes, years, numbers, instalments, payees, tails, st.data())
def test_any_printed_form_of_any_reference_is_read_back(
    code, year, number, instalment, payee, tail, data
):
    written = f"{code}{year}-{number}" + (f"/{instalment}" if instalment else "")
    hyphen = data.draw(st.sampled_from(["-", "", " ", " - "]))
    slash = data.draw(st.sampled_from(["/", " / ", "/ "]))
    printed = f"{code}{year}{hyphen}{number}" + (f"{slash}{instalment}" if instalment else "")
    printed = data.draw(st.sampled_from([printed, printed.lower(), printed.title()]))
    if tail == "/" and instalment:
        tail = ""
    text = f"{payee}{printed}{tail}"
    assert find(text) == written
    assert find(text, [code]) == written
    assert find_all(pd.Series([text, "no reference"])).tolist() == [written, ""]


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_whatever_is_found_is_a_well_formed_reference(text):
    found = find(text)
    if found:
        assert len(found) <= 18
        assert pd.Series([found]).str.fullmatch(r"[A-Z]{2,6}\d{2}-\d{6,9}(/[1-9])?").all()
        # Read again, the reference the council writes is itself.
        assert find(found) == found
    assert find_all(pd.Series([text])).tolist() == [found]


def test_a_grants_reference_without_its_instalment_names_every_payment_it_could_be():
    payments = {
        "CCIF26-000101": ["CCIF26-000101/2", "CCIF26-000101/1"],
        "CB26-000007": ["CB26-000007/1"],
    }
    assert candidates("CCIF26-000101", payments) == ["CCIF26-000101/1", "CCIF26-000101/2"]
    assert candidates("CCIF26-000101/2", payments) == ["CCIF26-000101/2"]
    assert candidates("CCIF26-000101/3", payments) == []
    assert candidates("CB26-000007", payments) == ["CB26-000007/1"]
    assert candidates("CAF26-000001", payments) == []
    assert candidates("", payments) == []
    assert grant_of("CCIF26-000101/2") == grant_of("CCIF26-000101") == "CCIF26-000101"


def test_no_fund_codes_finds_nothing():
    assert pattern([]) == ""
    assert find_all(pd.Series(["CCIF26-000101/1"]), []).tolist() == [""]


@pytest.mark.django_db
def test_the_known_prefixes_are_the_funds_codes(fund_year):
    assert fund_year.fund.code in known_prefixes()
