"""Validation of the credentials form: every rule, shown inline and in the summary."""

import html
import re

import pytest

from portal.extensions import db
from portal.models import AzureAccount

from .conftest import CLIENT_SECRET, VALID_ACCOUNT, add_account, submit

TENANT = VALID_ACCOUNT["tenant_id"]
CLIENT = VALID_ACCOUNT["client_id"]


def field_error(page, field):
    """Return the inline error shown under `field`, or None."""
    match = re.search(
        rf'id="{field}-error">\s*<span class="visually-hidden">Error:</span>\s*(.*?)\s*</p>',
        page,
        re.S,
    )
    return html.unescape(match.group(1)) if match else None


def summary_links(page):
    return [html.unescape(link) for link in re.findall(r'<li><a href="#([a-z_]+)">', page)]


def stored_account(app):
    with app.app_context():
        return db.session.scalars(db.select(AzureAccount)).one()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter a name for this account"),
        ("name", "   ", "Enter a name for this account"),
        ("name", "x" * 65, "64 characters or fewer"),
        ("tenant_id", "", "Enter the Tenant ID"),
        ("tenant_id", "not a tenant", "as a GUID like"),
        ("tenant_id", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", "as a GUID like"),
        ("tenant_id", "contoso", "directory's domain name"),
        ("tenant_id", "00000000-0000-0000-0000-000000000000", "placeholder"),
        ("tenant_id", f"https://login.microsoftonline.com/{TENANT}/oauth2", "web address"),
        ("client_id", "", "Enter the Client ID"),
        ("client_id", "1b4e28ba-2fa1-11d2-883f", "Application (client) ID"),
        ("client_id", "contoso.onmicrosoft.com", "Enter a GUID"),
        ("client_id", "00000000-0000-0000-0000-000000000000", "placeholder"),
        ("client_secret", "", "Enter the client secret's Value"),
        ("subscription_id", "", "Enter the Subscription ID"),
        ("subscription_id", "Pay-As-You-Go", "Subscriptions page"),
        ("secret_expires_on", "next year", "year-month-day"),
        ("secret_expires_on", "2001-01-01", "has passed"),
    ],
)
def test_invalid_value_is_explained_next_to_its_field_and_in_the_summary(
    customer, field, value, message
):
    response = submit(customer, "/accounts/new", {**VALID_ACCOUNT, field: value})

    assert response.status_code == 422
    page = response.text
    assert message in field_error(page, field)
    assert field in summary_links(page)
    assert "<title>Error: " in page


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("9a3c5e7f-1b2d-4e6f-8a0b-c1d2e3f4a5b6", "This is the Secret ID"),
        ("{9A3C5E7F-1B2D-4E6F-8A0B-C1D2E3F4A5B6}", "This is the Secret ID"),
        (" " + CLIENT_SECRET, "starts or ends with a space or quotation mark"),
        (CLIENT_SECRET + "\n", "starts or ends with a space or quotation mark"),
        (f'"{CLIENT_SECRET}"', "starts or ends with a space or quotation mark"),
        (CLIENT_SECRET[:20] + " " + CLIENT_SECRET[20:], "contains a space or line break"),
        ("Xq8Q~u2Yf.short", "too short for a client secret (15 characters"),
        ("Xq8***********************************", "hidden form Azure shows"),
        ("x" * 600, "too long for a client secret"),
        (CLIENT_SECRET[:20] + "\x00" + CLIENT_SECRET[20:], "a character a client secret never has"),
    ],
)
def test_secret_id_pasted_instead_of_value_and_other_secret_mistakes_are_caught(
    customer, secret, message
):
    response = submit(customer, "/accounts/new", {**VALID_ACCOUNT, "client_secret": secret})

    assert response.status_code == 422
    assert message in field_error(response.text, "client_secret")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"client_id": TENANT}, "client_id", "This is your Tenant ID"),
        ({"client_id": TENANT.upper()}, "client_id", "This is your Tenant ID"),
        ({"subscription_id": TENANT}, "subscription_id", "This is your Tenant ID"),
        ({"subscription_id": CLIENT}, "subscription_id", "This is your Client ID"),
    ],
)
def test_ids_pasted_into_the_wrong_field_are_caught(customer, changes, field, message):
    response = submit(customer, "/accounts/new", {**VALID_ACCOUNT, **changes})

    assert response.status_code == 422
    assert message in field_error(response.text, field)


def test_entered_values_are_kept_but_the_secret_is_never_rendered_back(customer):
    response = submit(
        customer, "/accounts/new", {**VALID_ACCOUNT, "name": "Marketing", "subscription_id": "nope"}
    )

    page = response.text
    assert 'value="Marketing"' in page
    assert f'value="{TENANT}"' in page
    assert 'value="nope"' in page
    assert CLIENT_SECRET not in page


def test_each_field_sits_in_the_guide_step_that_produces_it(customer):
    page = customer.get("/accounts/new").text
    before, *chunks = page.split('<li class="journey-step" id="step-')
    sections = {chunk[0]: chunk for chunk in chunks}  # each runs to the next step's start

    for field, step in [
        ("tenant_id", "1"),
        ("client_id", "2"),
        ("client_secret", "3"),
        ("secret_expires_on", "3"),
        ("subscription_id", "5"),
    ]:
        assert f'id="{field}"' in sections[step], field
    assert 'id="name"' in before  # first, before the steps


def test_page_has_the_five_labelled_fields_and_a_verify_button(customer):
    page = customer.get("/accounts/new").text

    for label in ["Account Name", "Tenant ID", "Client ID", "Client Secret", "Subscription ID"]:
        assert re.search(rf"<label for=\"[a-z_]+\">{label}</label>", page)
    assert re.search(r'<button type="submit"[^>]*>Verify</button>', page)
    assert 'type="password"' in page


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
        ("{1b4e28ba-2fa1-11d2-883f-0016d3cca427}", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
        ("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
        ("  '1b4e28ba-2fa1-11d2-883f-0016d3cca427'  ", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
        ('"1b4e28ba2fa111d2883f0016d3cca427"', "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    ],
)
def test_guids_are_accepted_in_any_common_form_and_stored_canonical(app, customer, typed, stored):
    add_account(customer, client_id=typed)

    assert stored_account(app).client_id == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("contoso.onmicrosoft.com", "contoso.onmicrosoft.com"),
        ("  Contoso.OnMicrosoft.com ", "contoso.onmicrosoft.com"),
        ("fabrikam.co.uk", "fabrikam.co.uk"),
        ("{72F988BF-86F1-41AF-91AB-2D7CD011DB47}", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
    ],
)
def test_tenant_is_a_guid_or_a_directory_domain(app, customer, typed, stored):
    add_account(customer, tenant_id=typed)

    assert stored_account(app).tenant_id == stored


def test_account_name_is_trimmed_and_may_be_64_characters(app, customer):
    add_account(customer, name="  " + "n" * 64 + " ")

    assert stored_account(app).name == "n" * 64


@pytest.mark.parametrize("second_name", ["Production", "production", "  PRODUCTION "])
def test_account_name_is_unique_per_workspace_whatever_its_case(customer, second_name):
    add_account(customer)

    response = submit(customer, "/accounts/new", {**VALID_ACCOUNT, "name": second_name})

    assert response.status_code == 422
    assert "You already have an account called" in field_error(response.text, "name")


def test_the_same_name_may_exist_in_another_workspace(customer, other_customer):
    add_account(customer)

    add_account(other_customer)


def test_expiry_date_is_optional_and_kept(app, customer):
    add_account(customer, secret_expires_on="2099-01-31")

    assert str(stored_account(app).secret_expires_on) == "2099-01-31"


@pytest.mark.parametrize("name", ["Prod\x00uction", "Prod\x07", "Line\nbreak"])
def test_control_characters_in_a_name_are_refused_not_a_database_error(customer, name):
    response = submit(customer, "/accounts/new", {**VALID_ACCOUNT, "name": name})

    assert response.status_code == 422
    assert "letters, digits, spaces and punctuation" in field_error(response.text, "name")


@pytest.mark.parametrize(
    "pasted",
    [
        f"/subscriptions/{VALID_ACCOUNT['subscription_id']}",
        f"/subscriptions/{VALID_ACCOUNT['subscription_id'].upper()}/resourceGroups/rg",
        f"subscriptions/{VALID_ACCOUNT['subscription_id']}",
    ],
)
def test_a_subscription_id_pasted_as_its_resource_id_is_taken(customer, pasted):
    response = submit(customer, "/accounts/new", {**VALID_ACCOUNT, "subscription_id": pasted})

    assert response.status_code == 303
    page = customer.get(response.headers["Location"]).text
    assert (
        VALID_ACCOUNT["subscription_id"] in page
        and "/subscriptions/" + VALID_ACCOUNT["subscription_id"] not in page
    )
