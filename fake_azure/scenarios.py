"""What the fake Azure knows: directories, app registrations, secrets and subscriptions.

Every failure the portal recognises is reachable by typing the right values into the form; the
README lists them for the demo. Names say what each value makes Azure answer.
"""

from dataclasses import dataclass, field

TENANT = "c0ffee00-0000-4000-8000-000000000001"
TENANT_DOMAIN = "contoso.onmicrosoft.com"
OTHER_TENANT = "c0ffee00-0000-4000-8000-000000000002"
# A proxy between us and Azure answers discovery with its own HTML page.
TENANT_BEHIND_PROXY = "proxy-login-page.example"
# Discovery works, but the token endpoint answers 503 to every request.
TENANT_TOKEN_OUTAGE = "c0ffee00-0000-4000-8000-0000000000d0"
# A directory of Azure Government: global discovery finds it and says so, sign-ins fail.
TENANT_US_GOVERNMENT = "c0ffee00-0000-4000-8000-000000000005"
# Where each directory lives, as discovery's cloud_instance_name and tenant_region_scope say.
GLOBAL_CLOUD = ("microsoftonline.com", "EU", "login.microsoftonline.com")
TENANT_CLOUDS = {TENANT_US_GOVERNMENT: ("microsoftonline.us", "USGov", "login.microsoftonline.us")}

SECRET = "Good8Q~ValidSecretValue.0123456789abcdefg"
EXPIRED_SECRET = "Old08Q~ExpiredSecretVal.0123456789abcdefg"


@dataclass(frozen=True)
class App:
    name: str
    role: str | None  # built-in role on every subscription of its directory
    disabled: bool = False
    # No role for this many sign-ins, as a role assigned minutes ago propagates.
    role_delay_sign_ins: int = 0
    # Where the role is assigned: "subscription", or "resource-group" (which ARM does not
    # count at subscription scope).
    role_scope: str = "subscription"
    # The app's enterprise application: "present"; "missing" (the token request fails with
    # AADSTS7000229); or "missing-at-arm" (a token without an oid, which ARM refuses).
    service_principal: str = "present"
    # A Conditional Access policy for workload identities blocks its sign-in (AADSTS53003).
    blocked_by_conditional_access: bool = False


APP_CONTRIBUTOR = "a0000000-0000-4000-8000-000000000001"
APP_READER = "a0000000-0000-4000-8000-000000000002"
APP_NO_ROLE = "a0000000-0000-4000-8000-000000000003"
APP_DISABLED = "a0000000-0000-4000-8000-000000000004"
APP_NEW_ROLE = "a0000000-0000-4000-8000-000000000005"
APP_GROUP_ROLE = "a0000000-0000-4000-8000-000000000006"
APP_NO_SERVICE_PRINCIPAL = "a0000000-0000-4000-8000-000000000007"
APP_NO_SERVICE_PRINCIPAL_AT_ARM = "a0000000-0000-4000-8000-000000000008"
APP_CONDITIONAL_ACCESS = "a0000000-0000-4000-8000-000000000009"
# Entra ID answers with a code the portal has no advice for (a real one, AADSTS500014).
APP_UNKNOWN_ANSWER = "a0000000-0000-4000-8000-00000000000a"

APPS = {
    APP_CONTRIBUTOR: App("ColdSend", "Contributor"),
    APP_READER: App("ColdSend (reader)", "Reader"),
    APP_NO_ROLE: App("ColdSend (no role)", None),
    APP_DISABLED: App("ColdSend (disabled)", "Contributor", disabled=True),
    APP_NEW_ROLE: App("ColdSend (new role)", "Contributor", role_delay_sign_ins=1),
    APP_GROUP_ROLE: App("ColdSend (group role)", "Contributor", role_scope="resource-group"),
    APP_NO_SERVICE_PRINCIPAL: App("ColdSend (no SP)", "Contributor", service_principal="missing"),
    APP_NO_SERVICE_PRINCIPAL_AT_ARM: App(
        "ColdSend (no SP, token)", "Contributor", service_principal="missing-at-arm"
    ),
    APP_CONDITIONAL_ACCESS: App(
        "ColdSend (blocked)", "Contributor", blocked_by_conditional_access=True
    ),
    APP_UNKNOWN_ANSWER: App("ColdSend (unknown answer)", "Contributor"),
}
TENANT_APPS = {
    TENANT: APPS,
    TENANT_TOKEN_OUTAGE: APPS,
    TENANT_US_GOVERNMENT: APPS,
    OTHER_TENANT: {},
}


@dataclass
class Subscription:
    name: str
    tenant: str = TENANT
    state: str = "Enabled"
    provider: str = "Registered"
    fault: str | None = None  # "throttled" once per path, "outage" (503) or "slow"
    trap: bool = False  # answers 409 MissingSubscriptionRegistration to the permissions read
    # What ARM's preflight of a deployment finds: None (valid), "policy", "location-policy",
    # "write-denied", "deny-assignment", "quota", or "async" (valid, after a 202 and a poll).
    preflight: str | None = None
    seen: set = field(default_factory=set)


SUB_READY = "5b000000-0000-4000-8000-000000000001"
SUB_PROVIDER_NOT_REGISTERED = "5b000000-0000-4000-8000-000000000002"
SUB_PROVIDER_REGISTERING = "5b000000-0000-4000-8000-000000000003"
SUB_DISABLED = "5b000000-0000-4000-8000-000000000004"
SUB_WARNED = "5b000000-0000-4000-8000-000000000005"
SUB_PAST_DUE = "5b000000-0000-4000-8000-000000000006"
SUB_DELETED = "5b000000-0000-4000-8000-000000000007"
SUB_OTHER_TENANT = "5b000000-0000-4000-8000-000000000008"
SUB_THROTTLED = "5b000000-0000-4000-8000-000000000009"
SUB_OUTAGE = "5b000000-0000-4000-8000-00000000000a"
SUB_SLOW = "5b000000-0000-4000-8000-00000000000b"
SUB_UNREGISTERED_TRAP = "5b000000-0000-4000-8000-00000000000c"
SUB_DISABLED_NOT_REGISTERED = "5b000000-0000-4000-8000-00000000000d"
SUB_POLICY_DENIED = "5b000000-0000-4000-8000-00000000000e"
SUB_LOCATION_DENIED = "5b000000-0000-4000-8000-00000000000f"
SUB_WRITE_DENIED = "5b000000-0000-4000-8000-000000000010"
SUB_VALIDATION_ASYNC = "5b000000-0000-4000-8000-000000000011"
SUB_DENY_ASSIGNMENT = "5b000000-0000-4000-8000-000000000012"
SUB_QUOTA_REACHED = "5b000000-0000-4000-8000-000000000013"
SUB_UNKNOWN = "5b000000-0000-4000-8000-0000000000ff"


def subscriptions():
    """Return a fresh set of subscriptions; provider registration changes their state."""
    return {
        SUB_READY: Subscription("Production"),
        SUB_PROVIDER_NOT_REGISTERED: Subscription("New", provider="NotRegistered"),
        SUB_PROVIDER_REGISTERING: Subscription("Registering", provider="Registering"),
        SUB_DISABLED: Subscription("Disabled", state="Disabled"),
        SUB_WARNED: Subscription("Warned", state="Warned"),
        SUB_PAST_DUE: Subscription("Past due", state="PastDue"),
        SUB_DELETED: Subscription("Deleted", state="Deleted"),
        SUB_OTHER_TENANT: Subscription("Fabrikam", tenant=OTHER_TENANT),
        SUB_THROTTLED: Subscription("Busy", fault="throttled"),
        SUB_OUTAGE: Subscription("Outage", fault="outage"),
        SUB_SLOW: Subscription("Slow", fault="slow"),
        SUB_UNREGISTERED_TRAP: Subscription("Trap", trap=True),
        SUB_DISABLED_NOT_REGISTERED: Subscription(
            "Disabled, new", state="Disabled", provider="NotRegistered"
        ),
        SUB_POLICY_DENIED: Subscription("Policy", preflight="policy"),
        SUB_LOCATION_DENIED: Subscription("Allowed locations", preflight="location-policy"),
        SUB_WRITE_DENIED: Subscription("Write denied", preflight="write-denied"),
        SUB_VALIDATION_ASYNC: Subscription("Slow preflight", preflight="async"),
        SUB_DENY_ASSIGNMENT: Subscription("Managed app", preflight="deny-assignment"),
        SUB_QUOTA_REACHED: Subscription("Full", preflight="quota"),
    }


# The permissions of Azure's built-in roles, as the permissions API reports them.
ROLE_PERMISSIONS = {
    "Contributor": {
        "actions": ["*"],
        "notActions": [
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ],
        "dataActions": [],
        "notDataActions": [],
    },
    "Reader": {"actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": []},
}
