"""The BACS Standard 18 file, field by field against the format."""

import datetime
from decimal import Decimal

import pytest

from budgets import bacs

D = Decimal
COUNCIL = bacs.Originator(
    service_user_number="912345",
    name="Thornbury Vale DC",
    sort_code="309950",
    account_number="10203040",
    account_name="TVDC GRANTS",
)
CREDITS = [
    bacs.Credit("200000", "12345678", "Friends of Abbey Park", D("500.00"), "CCIF26-000001/1"),
    bacs.Credit("401234", "87654321", "St Aidan's School", D("1234.56"), "CB26-000002/2"),
]
PROCESSING = datetime.date(2027, 5, 14)  # day 134 of 2027
CREATED = datetime.date(2027, 5, 12)  # day 132


def records(credits=CREDITS) -> list[str]:
    content = bacs.standard18(
        originator=COUNCIL,
        credits=credits,
        serial="000042",
        processing_day=PROCESSING,
        created=CREATED,
        narrative="GRANTS RUN 000042",
    )
    assert content.endswith(b"\r\n")
    return content.decode("ascii").split("\r\n")[:-1]


def field(record: str, first: int, last: int) -> str:
    """Characters `first` to `last`, counted from 1 as the standard counts them."""
    return record[first - 1 : last]


def test_every_record_is_exactly_100_characters_of_bacs_characters():
    lines = records()
    assert [len(line) for line in lines] == [100] * len(lines)
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .&/-")
    assert all(set(line) <= allowed for line in lines)


def test_the_file_is_labels_then_credits_then_the_contra_then_trailer_labels():
    kinds = [line[:4] for line in records()]
    assert kinds[:4] == ["VOL1", "HDR1", "HDR2", "UHL1"]
    assert kinds[-3:] == ["EOF1", "EOF2", "UTL1"]
    assert len(kinds) == 4 + len(CREDITS) + 1 + 3


def test_vol1_carries_the_serial_and_the_service_user_number():
    vol1 = records()[0]
    assert field(vol1, 5, 10) == "000042"
    assert field(vol1, 11, 11) == "0"
    assert field(vol1, 12, 41) == " " * 30
    assert field(vol1, 42, 47) == "912345"
    assert field(vol1, 48, 79) == " " * 32
    assert field(vol1, 80, 80) == "1"
    assert field(vol1, 81, 100) == " " * 20  # the 80-character label padded to 100


def test_hdr1_and_eof1_identify_the_file_and_its_dates():
    lines = records()
    hdr1, eof1 = lines[1], lines[-3]
    for label, record in (("HDR1", hdr1), ("EOF1", eof1)):
        assert field(record, 1, 4) == label
        assert field(record, 5, 21) == "A912345S  1912345"
        assert field(record, 22, 27) == "000042"  # set identification = the serial
        assert field(record, 28, 35) == "00010001"
        assert field(record, 42, 47) == " 27132"  # created
        assert field(record, 48, 53) == " 27132"
        assert field(record, 55, 60) == "000000"
    assert hdr1[4:] == eof1[4:]


def test_hdr2_declares_fixed_100_character_records():
    hdr2, eof2 = records()[2], records()[-2]
    for record in (hdr2, eof2):
        assert field(record, 5, 5) == "F"
        assert field(record, 6, 10) == "02000"
        assert field(record, 11, 15) == "00100"
        assert field(record, 51, 52) == "00"


def test_uhl1_names_the_processing_day_and_a_single_day_sterling_file():
    uhl1 = records()[3]
    assert field(uhl1, 5, 10) == " 27134"
    assert field(uhl1, 11, 16) == "999999"
    assert field(uhl1, 21, 22) == "00"
    assert field(uhl1, 29, 37) == "1 DAILY  "
    assert field(uhl1, 38, 40) == "001"


def test_each_credit_is_a_standard_18_record_with_transaction_code_99():
    first, second = records()[4:6]
    assert field(first, 1, 6) == "200000"
    assert field(first, 7, 14) == "12345678"
    assert field(first, 15, 15) == "0"
    assert field(first, 16, 17) == "99"
    assert field(first, 18, 23) == "309950"
    assert field(first, 24, 31) == "10203040"
    assert field(first, 32, 35) == "    "
    assert field(first, 36, 46) == "00000050000"
    assert field(first, 47, 64) == "THORNBURY VALE DC "
    assert field(first, 65, 82) == "CCIF26-000001/1   "
    assert field(first, 83, 100) == "FRIENDS OF ABBEY P"  # cut to 18
    assert field(second, 36, 46) == "00000123456"
    assert field(second, 83, 100) == "ST AIDANS SCHOOL  "  # no apostrophe in BACS


def test_the_contra_debits_the_council_with_the_total():
    contra = records()[6]
    assert field(contra, 1, 14) == "30995010203040"
    assert field(contra, 16, 17) == "17"
    assert field(contra, 18, 31) == "30995010203040"
    assert field(contra, 36, 46) == "00000173456"
    assert field(contra, 47, 64) == "GRANTS RUN 000042 "
    assert field(contra, 65, 82) == "CONTRA            "
    assert field(contra, 83, 100) == "TVDC GRANTS       "


def test_utl1_counts_and_totals_debits_and_credits():
    utl1 = records()[-1]
    assert field(utl1, 5, 17) == "0000000173456"  # debits: the contra
    assert field(utl1, 18, 30) == "0000000173456"  # credits: the payments
    assert field(utl1, 31, 37) == "0000001"
    assert field(utl1, 38, 44) == "0000002"


def test_a_sort_code_that_is_not_six_digits_is_refused_naming_the_payment():
    bad = [bacs.Credit("20-00-0", "12345678", "A GROUP", D("10.00"), "CCIF26-000009/1")]
    with pytest.raises(bacs.BacsError, match="sort code for CCIF26-000009/1 must be 6 digits"):
        records(bad)


def test_an_account_number_that_is_not_eight_digits_is_refused():
    bad = [bacs.Credit("200000", "1234567", "A GROUP", D("10.00"), "CCIF26-000009/1")]
    with pytest.raises(bacs.BacsError, match="account number for CCIF26-000009/1 must be 8"):
        records(bad)


def test_a_reference_longer_than_18_characters_is_refused():
    bad = [bacs.Credit("200000", "12345678", "A GROUP", D("10.00"), "CCIF26-000009/1-EXTRA")]
    with pytest.raises(bacs.BacsError, match="longer than BACS's 18 characters"):
        records(bad)


def test_a_file_without_payments_is_refused():
    with pytest.raises(bacs.BacsError, match="at least one payment"):
        records([])


def test_julian_dates_are_year_and_day_of_year():
    assert bacs.julian(datetime.date(2027, 1, 1)) == " 27001"
    assert bacs.julian(datetime.date(2028, 12, 31)) == " 28366"
