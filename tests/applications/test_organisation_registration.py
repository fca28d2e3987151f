"""Registering a group: a real UK postcode, written as Royal Mail writes it; a charity number that
is optional and checked only when given; the person's own role in the group, as they said it.
Each through the service, the page and the API."""

import html
import re

import pytest

from applications import organisations as o
from applications.models import Membership, Organisation
from fundmgr.errors import InvalidInput
from tests.api_fixtures import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        (" tv1  3xy ", "TV1 3XY"),
        ("m11ae", "M1 1AE"),
        ("b338th", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("dn551pt", "DN55 1PT"),
        ("w1a 0ax", "W1A 0AX"),
        ("ec1a1bb", "EC1A 1BB"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_a_real_postcode_is_written_as_royal_mail_writes_it(typed, kept):
    assert o.postcode_normalised(typed) == kept


@pytest.mark.parametrize(
    "typed", ["12345", "SW1A", "SW1A 1A", "SW1A 1AAA", "QW1 1AA", "TV1 1CI", "TV1-3XY", "AB"]
)
def test_anything_else_is_not_a_postcode(typed):
    with pytest.raises(InvalidInput, match="Enter a real postcode, like SW1A 1AA") as refused:
        o.postcode_normalised(typed)
    assert refused.value.field == "postcode"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("", ""), ("  ", ""), ("1234567", "1234567"), ("sc012345", "SC012345"), ("123 456", "123456")],
)
def test_a_charity_number_is_optional_and_kept_without_spaces(typed, kept):
    assert o.charity_number_normalised(typed) == kept


@pytest.mark.parametrize("typed", ["12345", "ABC1234", "SC12345", "123456789"])
def test_a_charity_number_that_is_given_must_be_one(typed):
    with pytest.raises(InvalidInput, match="Enter the charity number in the correct format"):
        o.charity_number_normalised(typed)


def test_the_role_sentence_says_what_the_person_is():
    assert o.your_role_sentence("treasurer") == "You are its treasurer."
    assert o.your_role_sentence("chair") == "You are its chair."
    assert o.your_role_sentence("member") == "You are a member."


def test_a_registration_with_no_real_role_is_refused(ward, treasurer):
    with pytest.raises(InvalidInput, match="Choose your role in the organisation") as refused:
        o.organisation_create(
            by=treasurer,
            role="president",
            name="Club",
            kind="constituted_group",
            address="x",
            postcode="TV1 1AA",
            ward=ward,
            email="c@example.org",
        )
    assert refused.value.field == "role"


# --- the page -----------------------------------------------------------------------------------


def errors(response) -> tuple[list[str], list[str]]:
    """The messages in the error summary, and those shown at the fields."""
    text = response.content.decode()
    summary = text[text.index("govuk-error-summary") :]
    summary = summary[: summary.index("</ul>")]
    in_summary = re.findall(r"<a href=[^>]*>(.*?)</a>", summary, flags=re.S)
    at_fields = re.findall(
        r'class="govuk-error-message">\s*'
        r'<span class="govuk-visually-hidden">Error:</span>(.*?)</span>',
        text,
        flags=re.S,
    )
    clean = [html.unescape(re.sub(r"\s+", " ", m).strip()) for m in in_summary]
    return clean, [html.unescape(re.sub(r"\s+", " ", m).strip()) for m in at_fields]


def registration(ward, **changes) -> dict:
    return {
        "name": "Abbey Meadow Allotment Society",
        "kind": "charity",
        "address": "The Allotments\nAbbey Lane",
        "postcode": "tv1 3xy",
        "ward": ward.pk,
        "email": "allotments@example.org",
        "role": "treasurer",
        **changes,
    }


def test_the_page_asks_the_persons_role_with_radios(client, treasurer):
    client.force_login(treasurer)
    page = client.get("/apply/organisations/new/").text
    assert "What is your role in the organisation?" in page
    radios = re.findall(r'<input[^>]*name="role"[^>]*>', page)
    assert [re.search(r'value="(\w+)"', r).group(1) for r in radios] == [
        "chair",
        "secretary",
        "treasurer",
        "member",
    ]
    assert all('type="radio"' in r for r in radios)


def test_a_bad_postcode_is_explained_at_the_field_and_in_the_summary_and_nothing_is_lost(
    client, ward, treasurer
):
    client.force_login(treasurer)
    response = client.post("/apply/organisations/new/", registration(ward, postcode="TV1 XYZ"))
    assert response.status_code == 200
    in_summary, at_fields = errors(response)
    assert in_summary == ["Enter a real postcode, like SW1A 1AA"]
    assert at_fields == ["Enter a real postcode, like SW1A 1AA"]
    assert 'value="TV1 XYZ"' in response.text and "Abbey Meadow Allotment Society" in response.text
    assert not Organisation.objects.exists()


def test_a_charity_registers_without_a_number_and_the_treasurer_is_told_they_are_treasurer(
    client, ward, treasurer
):
    client.force_login(treasurer)
    response = client.post("/apply/organisations/new/", registration(ward), follow=True)
    org = Organisation.objects.get()
    assert org.charity_number == "" and org.postcode == "TV1 3XY"
    assert Membership.objects.get(organisation=org, user=treasurer).role == "treasurer"
    assert "You are its treasurer." in response.text
    assert "secretary" not in response.text.lower()


def test_a_postcode_typed_with_extra_spaces_is_kept_as_royal_mail_writes_it(
    client, ward, treasurer
):
    client.force_login(treasurer)
    client.post("/apply/organisations/new/", registration(ward, postcode=" sw1a   1aa "))
    assert Organisation.objects.get().postcode == "SW1A 1AA"


def test_a_charity_number_given_wrongly_is_explained_at_the_field(client, ward, treasurer):
    client.force_login(treasurer)
    response = client.post("/apply/organisations/new/", registration(ward, charity_number="12-34"))
    in_summary, at_fields = errors(response)
    message = (
        "Enter the charity number in the correct format, like 1234567 or SC012345, or leave it "
        "empty if you do not have one"
    )
    assert in_summary == at_fields == [message]


def test_changing_the_details_keeps_the_charity_number_optional_and_the_postcode_real(
    client, ward, treasurer
):
    client.force_login(treasurer)
    client.post("/apply/organisations/new/", registration(ward, charity_number="1234567"))
    org = Organisation.objects.get()
    edit = f"/apply/organisations/{org.pk}/edit/"
    changed = registration(ward, charity_number="", postcode="sw1a1aa")
    del changed["role"]
    assert client.post(edit, changed).status_code == 302
    org.refresh_from_db()
    assert (org.charity_number, org.postcode) == ("", "SW1A 1AA")
    refused = client.post(edit, {**changed, "postcode": "nowhere"})
    assert errors(refused)[0] == ["Enter a real postcode, like SW1A 1AA"]


def test_bank_details_are_saved_for_a_charity_with_no_number(client, ward, treasurer):
    client.force_login(treasurer)
    client.post("/apply/organisations/new/", registration(ward))
    org = Organisation.objects.get()
    response = client.post(
        f"/apply/organisations/{org.pk}/bank-details/",
        {"account_name": "Abbey Allotments", "sort_code": "20-00-00", "account_number": "12345678"},
    )
    assert response.status_code == 302
    assert org.bank_accounts.count() == 1


# --- the API ------------------------------------------------------------------------------------


def test_the_api_normalises_the_postcode_and_takes_the_role(ward, treasurer):
    body = registration(ward, postcode="sw1a1aa")
    response = client_for(treasurer).post(f"{API}/organisations/", body)
    assert response.status_code == 201, response.content
    assert response.json()["postcode"] == "SW1A 1AA"
    assert response.json()["charity_number"] == ""
    assert "role" not in response.json()
    org = Organisation.objects.get()
    assert org.membership_set.get(user=treasurer).role == "treasurer"


def test_the_api_refuses_a_postcode_that_is_not_real(ward, treasurer):
    response = client_for(treasurer).post(
        f"{API}/organisations/", registration(ward, postcode="TV1 XYZ")
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Enter a real postcode, like SW1A 1AA"
    assert not Organisation.objects.exists()


def test_the_api_checks_a_charity_number_only_when_given(ward, treasurer):
    client = client_for(treasurer)
    bad = client.post(f"{API}/organisations/", registration(ward, charity_number="12"))
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("Enter the charity number in the correct format")
    good = client.post(f"{API}/organisations/", registration(ward, charity_number="sc 012345"))
    assert good.status_code == 201, good.content
    assert good.json()["charity_number"] == "SC012345"
    org = Organisation.objects.get()
    cleared = client.patch(f"{API}/organisations/{org.pk}/", {"charity_number": ""})
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["charity_number"] == ""
    moved = client.patch(f"{API}/organisations/{org.pk}/", {"postcode": "tv13xy"})
    assert moved.json()["postcode"] == "TV1 3XY"
    refused = client.patch(f"{API}/organisations/{org.pk}/", {"postcode": "TV1"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Enter a real postcode, like SW1A 1AA"


def test_the_api_refuses_a_role_that_is_not_one(ward, treasurer):
    response = client_for(treasurer).post(
        f"{API}/organisations/", registration(ward, role="president")
    )
    assert response.status_code == 400
    assert "Choose your role in the organisation" in response.json()["detail"]
