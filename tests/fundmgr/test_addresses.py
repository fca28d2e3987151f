"""fundmgr.addresses: a list's rows' addresses from one `reverse`, the same as reversing each."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from fundmgr.addresses import addresses


@pytest.mark.parametrize("prefix", ["/", "/ashcombe/"])
def test_each_address_is_what_reverse_makes(prefix):
    set_script_prefix(prefix)
    try:
        run, bid = addresses("finance:run"), addresses("decisions:application", str)
        for pk in (1, 42, 987_654_320, 10**12):
            assert run(pk) == reverse("finance:run", args=[pk])
        for reference in ("CCIF26-000123", "CAF25-9", "A B&C"):
            assert bid(reference) == reverse("decisions:application", args=[reference])
        assert run(7).startswith(prefix)
    finally:
        set_script_prefix("/")


def test_a_route_without_one_argument_is_refused():
    with pytest.raises((ValueError, NoReverseMatch)):
        addresses("finance:runs")
