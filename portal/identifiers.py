"""The shapes of Azure identifiers as customers paste them, and their canonical forms."""

import re
import uuid

# What surrounds a value copied from the portal, a spreadsheet or a JSON file.
WRAPPING = " \t\r\n\"'`\u201c\u201d\u2018\u2019"
# A directory's domain name: DNS labels with a final label of letters (contoso.onmicrosoft.com).
DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
GUID_ANYWHERE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
NIL_GUID = "00000000-0000-0000-0000-000000000000"
# A subscription's resource ID, as the portal's Properties page and the CLI show it.
SUBSCRIPTION_RESOURCE_ID = re.compile(r"^/?subscriptions/([^/\s]+)(?:/\S*)?$", re.I)


def unwrap(value):
    """Strip the spaces and quotes around a pasted value."""
    return value.strip(WRAPPING)


def canonical_guid(value):
    """Return the GUID in `value` as lowercase 8-4-4-4-12, or None if it is not one.

    Accepts any case, braces, a `urn:uuid:` prefix and the 32-digit form, as Azure tools print
    all of them.
    """
    text = unwrap(value)
    if not text or len(text) > 45:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def canonical_domain(value):
    """Return a directory domain name in lowercase, or None if `value` is not one."""
    text = unwrap(value).lower().rstrip(".")
    return text if DOMAIN.match(text) else None


def contains_guid(value):
    return bool(GUID_ANYWHERE.search(value))


def subscription_guid(value):
    """The canonical Subscription ID in `value`, also given as its resource ID
    (/subscriptions/<ID>/...); None if there is none."""
    text = unwrap(value)
    found = SUBSCRIPTION_RESOURCE_ID.match(text)
    return canonical_guid(found[1] if found else text)
