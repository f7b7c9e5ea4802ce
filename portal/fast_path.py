"""The one-command setup: the Azure CLI commands the page offers, and their output read back.

`az ad sp create-for-rbac` registers an app, creates its service principal and a client secret,
and assigns it a role at the scopes given; it prints `appId`, `displayName`, `password` and
`tenant` (Microsoft Learn, "az ad sp create-for-rbac"). Our command adds `subscription`, so
one paste gives every value. The `--sdk-auth` format (`clientId`, `clientSecret`, `tenantId`,
`subscriptionId`) that older guides print is read as well.
"""

import json

from .identifiers import NIL_GUID, canonical_guid

# The app's name in the customer's directory, so they recognise it later, followed by the
# start of the subscription's ID: run for an existing name, create-for-rbac patches that app and
# deletes its passwords (azure-cli, role/custom.py), which would break another account's secret.
APP_NAME = "ColdSend"
CURRENT_SUBSCRIPTION = "$(az account show --query id -o tsv)"
# The secret lives 24 months, as the guide advises and Microsoft allows at most; the command
# prints the day it ends, which Azure counts from the same moment, so the portal knows it.
SECRET_YEARS = 2
SECRET_EXPIRES_ON = f"$(date -u -d '+{SECRET_YEARS} years' +%F)"
# Output key → form field. Later keys of the same field are the --sdk-auth spelling.
FIELDS = {
    "tenant": "tenant_id",
    "tenantId": "tenant_id",
    "appId": "client_id",
    "clientId": "client_id",
    "password": "client_secret",
    "clientSecret": "client_secret",
    "subscription": "subscription_id",
    "subscriptionId": "subscription_id",
    "displayName": "name",
    "secretExpiresOn": "secret_expires_on",
}
REQUIRED = {"tenant_id": "tenant", "client_id": "appId", "client_secret": "password"}


class OutputError(ValueError):
    """The pasted text is not the command's output; the message says what is missing."""


def usable(value):
    """Text a field can hold and a page can show: JSON can also carry control characters and
    lone surrogates ("\\ud800"), which no ID, name or secret has."""
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def commands(subscription_id=None):
    """The Bash lines for Azure Cloud Shell: str, one command per line.

    With `subscription_id` (a GUID the customer typed) they act on it; without, on the
    subscription Cloud Shell has selected."""
    typed = canonical_guid(subscription_id or "")
    subscription = typed if typed not in (None, NIL_GUID) else CURRENT_SUBSCRIPTION
    return "\n".join(
        [
            f"SUBSCRIPTION_ID={subscription}",
            "az provider register --namespace Microsoft.Communication"
            ' --subscription "$SUBSCRIPTION_ID"',
            f'az ad sp create-for-rbac --name "{APP_NAME}-${{SUBSCRIPTION_ID:0:8}}"'
            f' --role Contributor --scopes "/subscriptions/$SUBSCRIPTION_ID" --years {SECRET_YEARS}'
            ' --query "{appId: appId, displayName: displayName, password: password,'
            " tenant: tenant, subscription: '$SUBSCRIPTION_ID',"
            f" secretExpiresOn: '{SECRET_EXPIRES_ON}'}}\"",
        ]
    )


def read(text):
    """Return {form field: value} from what the command printed.

    Lines around the JSON (the CLI's warnings, a prompt) are ignored. Raises OutputError when
    there is no JSON object, or when it lacks the tenant, the app's ID or the password."""
    start, end = text.find("{"), text.rfind("}")
    try:
        found = json.loads(text[start : end + 1]) if 0 <= start < end else None
    except (ValueError, RecursionError):  # RecursionError: nested a thousand deep
        found = None
    if not isinstance(found, dict):
        raise OutputError(
            "This is not what the command printed. Copy all of its output, from { to }."
        )
    values = {}
    for key, field in FIELDS.items():
        value = found.get(key)
        if usable(value) and field not in values:
            values[field] = value.strip()
    missing = [key for field, key in REQUIRED.items() if field not in values]
    if missing:
        raise OutputError(
            f"The pasted output has no {' and no '.join(missing)}. Copy all of the command's "
            "output, from { to }."
        )
    return values
