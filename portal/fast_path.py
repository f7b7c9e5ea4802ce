"""The one-command setup: the Azure CLI commands the page offers, and their output read back.

`az ad sp create-for-rbac` registers an app, creates its service principal and a client secret,
and assigns it a role at the scopes given; it prints `appId`, `displayName`, `password` and
`tenant` (Microsoft Learn, "az ad sp create-for-rbac"). Our command adds `subscription`, so
one paste gives every value. The `--sdk-auth` format (`clientId`, `clientSecret`, `tenantId`,
`subscriptionId`) that older guides print is read as well.
"""

import json

from .identifiers import canonical_guid

# The app's name in the customer's directory, so they recognise it later.
APP_NAME = "ColdSend"
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
}
REQUIRED = {"tenant_id": "tenant", "client_id": "appId", "client_secret": "password"}


class OutputError(ValueError):
    """The pasted text is not the command's output; the message says what is missing."""


def commands(subscription_id=None):
    """The Bash lines for Azure Cloud Shell: str, one command per line.

    With `subscription_id` (a GUID the customer typed) they act on it; without, on the
    subscription Cloud Shell has selected."""
    subscription = canonical_guid(subscription_id or "") or "$(az account show --query id -o tsv)"
    return "\n".join(
        [
            f"SUBSCRIPTION_ID={subscription}",
            "az provider register --namespace Microsoft.Communication"
            ' --subscription "$SUBSCRIPTION_ID"',
            f"az ad sp create-for-rbac --name {APP_NAME} --role Contributor"
            ' --scopes "/subscriptions/$SUBSCRIPTION_ID"'
            ' --query "{appId: appId, displayName: displayName, password: password,'
            " tenant: tenant, subscription: '$SUBSCRIPTION_ID'}\"",
        ]
    )


def read(text):
    """Return {form field: value} from what the command printed.

    Lines around the JSON (the CLI's warnings, a prompt) are ignored. Raises OutputError when
    there is no JSON object, or when it lacks the tenant, the app's ID or the password."""
    start, end = text.find("{"), text.rfind("}")
    try:
        found = json.loads(text[start : end + 1]) if 0 <= start < end else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise OutputError(
            "This is not what the command printed. Copy all of its output, from { to }."
        )
    values = {}
    for key, field in FIELDS.items():
        value = found.get(key)
        if isinstance(value, str) and value.strip() and field not in values:
            values[field] = value.strip()
    missing = [key for field, key in REQUIRED.items() if field not in values]
    if missing:
        raise OutputError(
            f"The pasted output has no {' and no '.join(missing)}. Copy all of the command's "
            "output, from { to }."
        )
    return values
