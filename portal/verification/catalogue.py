"""The one place where an Azure code becomes words: what happened, what it means, how to fix it.

Microsoft warns that codes and texts change, so every lookup has a fallback that shows Azure's
own code and message under the step it came from. The guide's Troubleshooting section is drawn
from this catalogue, so it lists exactly the failures we recognise.
"""

from dataclasses import dataclass

from .steps import Step


@dataclass(frozen=True)
class Guidance:
    step: Step
    summary: str  # what Azure said, in plain words
    meaning: str  # what it means for this step
    fix: tuple[str, ...] = ()  # numbered actions
    link: str | None = None  # an Azure portal page, filled in with the account's IDs
    link_text: str | None = None
    # A failure that a newly assigned role explains: checked again automatically.
    may_be_propagating: bool = False
    # Azure's fault, not the customer's: offer a retry.
    azure_fault: bool = False


ENTRA_OVERVIEW = "{portal}/#view/Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/~/Overview"
APP_REGISTRATIONS = "{portal}/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"
APP_SECRETS = (
    "{portal}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials"
    "/appId/{client_id}"
)
APP_PROPERTIES = (
    "{portal}/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Properties/appId/{client_id}"
)
SUBSCRIPTION_IAM = "{portal}/#@{tenant_id}/resource/subscriptions/{subscription_id}/users"
SUBSCRIPTION_OVERVIEW = "{portal}/#@{tenant_id}/resource/subscriptions/{subscription_id}/overview"
SUBSCRIPTIONS = "{portal}/#view/Microsoft_Azure_Billing/SubscriptionsBladeV2"
PROVIDERS = "{portal}/#@{tenant_id}/resource/subscriptions/{subscription_id}/resourceProviders"

ASSIGN_CONTRIBUTOR = (
    "Open the subscription's Access control (IAM) page and choose Add, then Add role assignment.",
    "Under Privileged administrator roles, select Contributor, then Next.",
    "Choose Select members, type your app's name (apps appear only when searched for), "
    "select it, then Review + assign.",
)

CATALOGUE = {
    "AADSTS90002": Guidance(
        Step.TENANT_ID,
        "Azure found no directory with this Tenant ID.",
        "The Tenant ID is mistyped, belongs to a directory that was deleted, or lives in "
        "another Azure cloud.",
        (
            "Open Microsoft Entra ID in the Azure portal, on its Overview page.",
            "Copy the Tenant ID shown there.",
            "Paste it into Tenant ID here and verify again.",
        ),
        ENTRA_OVERVIEW,
        "Open Microsoft Entra ID",
    ),
    "AADSTS900023": Guidance(
        Step.TENANT_ID,
        "Azure cannot read this Tenant ID.",
        "It is neither a directory ID (a GUID) nor a domain name such as contoso.onmicrosoft.com.",
        (
            "Open Microsoft Entra ID in the Azure portal, on its Overview page.",
            "Copy the Tenant ID and paste it here, then verify again.",
        ),
        ENTRA_OVERVIEW,
        "Open Microsoft Entra ID",
    ),
    "AADSTS700016": Guidance(
        Step.CLIENT_ID,
        "Azure found no app with this Client ID in your directory.",
        "Either the Client ID is wrong (often the Object ID or the Tenant ID copied instead), or "
        "the app was registered in another directory than the Tenant ID you entered.",
        (
            "Open App registrations, and under All applications find the app you registered.",
            "On its Overview, copy Application (client) ID into Client ID here.",
            "Check that the Directory (tenant) ID on the same page equals the Tenant ID here.",
            "Verify again.",
        ),
        APP_REGISTRATIONS,
        "Open App registrations",
    ),
    "AADSTS7000112": Guidance(
        Step.CLIENT_ID,
        "The app is disabled in your directory.",
        "An administrator turned off sign-in for this app, so it cannot get a token.",
        (
            "Open the app under Enterprise applications, then Properties.",
            "Set Enabled for users to sign-in? to Yes and save.",
            "Verify again.",
        ),
        APP_PROPERTIES,
        "Open the app's properties",
    ),
    "AADSTS7000215": Guidance(
        Step.CLIENT_SECRET,
        "Azure rejected the client secret.",
        "This is not a valid secret of this app. Most often the Secret ID was copied instead of "
        "the secret's Value, or the secret was deleted or belongs to another app.",
        (
            "Open your app's Certificates & secrets page and choose New client secret.",
            "Copy the new secret's Value column at once (not the Secret ID).",
            "Paste it into Client Secret here (use Change details) and verify again.",
        ),
        APP_SECRETS,
        "Open the app's secrets",
    ),
    "AADSTS7000222": Guidance(
        Step.CLIENT_SECRET,
        "The client secret has expired.",
        "Secrets last as long as chosen when created; this one is past its expiry date.",
        (
            "Open your app's Certificates & secrets page and choose New client secret.",
            "Copy the new secret's Value at once, and note its expiry date.",
            "Replace the secret here (use Change details), add the expiry date, and verify again.",
        ),
        APP_SECRETS,
        "Open the app's secrets",
    ),
    "SecretExpiresSoon": Guidance(
        Step.CLIENT_SECRET,
        "The client secret works, but expires on {expires_on}.",
        "After that date ColdSend can no longer reach your subscription, and your inboxes stop "
        "being managed. Renew it now and nothing is interrupted.",
        (
            "Open your app's Certificates & secrets page and choose New client secret.",
            "Copy the new secret's Value, and note its expiry date.",
            "Replace the secret here (use Change details) with the new date, and verify again.",
        ),
        APP_SECRETS,
        "Open the app's secrets",
    ),
    "NoRoleAssignment": Guidance(
        Step.PERMISSIONS,
        "The app has no role on this subscription yet.",
        "Without a role the app cannot see or change anything in the subscription. A role "
        "assigned in the last minutes may not be in effect yet: it can take up to 30 minutes, so "
        "we check again by ourselves.",
        ASSIGN_CONTRIBUTOR,
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
        may_be_propagating=True,
    ),
    "AuthorizationFailed": Guidance(
        Step.PERMISSIONS,
        "Azure refused the app access to this subscription.",
        "The app has no role that allows this, or a role assigned in the last minutes is not "
        "in effect yet (it can take up to 30 minutes; we check again by ourselves).",
        ASSIGN_CONTRIBUTOR,
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
        may_be_propagating=True,
    ),
    "ReaderOnly": Guidance(
        Step.PERMISSIONS,
        "The app can only read this subscription.",
        "Its role (Reader or similar) lets it look but not create resource groups or "
        "Communication Services resources, which ColdSend must do.",
        ASSIGN_CONTRIBUTOR,
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
    ),
    "MissingPermissions": Guidance(
        Step.PERMISSIONS,
        "The app's role lacks permissions ColdSend needs.",
        "Its role does not allow every action ColdSend performs (listed under details).",
        ASSIGN_CONTRIBUTOR,
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
    ),
    "SubscriptionNotFound": Guidance(
        Step.SUBSCRIPTION_ID,
        "Azure found no subscription with this ID.",
        "The Subscription ID is mistyped, or the subscription was cancelled long ago.",
        (
            "Open Subscriptions in the Azure portal.",
            "Copy the Subscription ID of the subscription you gave the app a role on.",
            "Paste it into Subscription ID here and verify again.",
        ),
        SUBSCRIPTIONS,
        "Open Subscriptions",
    ),
    "InvalidAuthenticationTokenTenant": Guidance(
        Step.SUBSCRIPTION_ID,
        "This subscription belongs to another directory.",
        "A subscription trusts one directory. This one trusts {expected_tenant}, not the "
        "Tenant ID you entered.",
        (
            "Either choose a subscription of your directory and paste its ID here,",
            "or enter {expected_tenant} as Tenant ID, with an app registered in that directory "
            "and its secret.",
            "Verify again.",
        ),
        SUBSCRIPTIONS,
        "Open Subscriptions",
    ),
    "SubscriptionDisabled": Guidance(
        Step.SUBSCRIPTION_ID,
        "The subscription is disabled.",
        "A disabled subscription (credit or spending limit used up, a payment issue, or "
        "cancelled) cannot create resources.",
        (
            "Open the subscription's Overview in the Azure portal and follow its notice to "
            "reactivate it, or choose another subscription.",
            "Verify again once its status is Active.",
        ),
        SUBSCRIPTION_OVERVIEW,
        "Open the subscription",
    ),
    "SubscriptionDeleted": Guidance(
        Step.SUBSCRIPTION_ID,
        "The subscription has been deleted.",
        "A deleted subscription cannot be used again.",
        (
            "Choose an active subscription under Subscriptions.",
            "Give the app the Contributor role on it (step 4), paste its ID here, and verify.",
        ),
        SUBSCRIPTIONS,
        "Open Subscriptions",
    ),
    "SubscriptionWarned": Guidance(
        Step.SUBSCRIPTION_ID,
        "The subscription works, but Azure has warned it will be disabled.",
        "This usually follows a payment problem or an ended free credit. ColdSend can set up now, "
        "but your inboxes stop if the subscription is disabled.",
        ("Open the subscription's Overview and settle what its notice asks for.",),
        SUBSCRIPTION_OVERVIEW,
        "Open the subscription",
    ),
    "SubscriptionPastDue": Guidance(
        Step.SUBSCRIPTION_ID,
        "The subscription works, but a payment is past due.",
        "Azure disables past-due subscriptions after a while, and your inboxes would stop.",
        ("Open the subscription's Overview and settle the outstanding payment.",),
        SUBSCRIPTION_OVERVIEW,
        "Open the subscription",
    ),
    "NotRegistered": Guidance(
        Step.COMMUNICATION_PROVIDER,
        "Communication Services is not turned on for this subscription.",
        "Its resource provider, Microsoft.Communication, is not registered, so the "
        "subscription cannot hold email domains yet.",
        (
            "Choose Register it for me: we ask Azure as your app, then watch until it is done.",
            "Or, in the subscription's Resource providers, select Microsoft.Communication and "
            "choose Register.",
        ),
        PROVIDERS,
        "Open Resource providers",
    ),
    "Registering": Guidance(
        Step.COMMUNICATION_PROVIDER,
        "Azure is turning on Communication Services.",
        "Registration usually takes a minute or two; this page updates by itself.",
    ),
    "StillRegistering": Guidance(
        Step.COMMUNICATION_PROVIDER,
        "Azure is still turning on Communication Services.",
        "Registration is taking longer than usual. It needs nothing from you; verify again in a "
        "few minutes.",
    ),
    "Unregistering": Guidance(
        Step.COMMUNICATION_PROVIDER,
        "Communication Services is being turned off on this subscription.",
        "Someone unregistered Microsoft.Communication; it must finish before it can be turned "
        "on again.",
        (
            "Wait a few minutes, then register Microsoft.Communication again in Resource "
            "providers.",
            "Verify again.",
        ),
        PROVIDERS,
        "Open Resource providers",
    ),
    "AzureUnavailable": Guidance(
        None,
        "Azure did not answer.",
        "Nothing is wrong with your values as far as we know: Azure answered with an error of "
        "its own. Try again in a minute.",
        azure_fault=True,
    ),
    "AzureThrottled": Guidance(
        None,
        "Azure asked us to slow down.",
        "Nothing is wrong with your values as far as we know: your subscription or directory "
        "received too many requests. Try again in a minute.",
        azure_fault=True,
    ),
    "AzureTimeout": Guidance(
        None,
        "Azure did not answer in time.",
        "Nothing is wrong with your values as far as we know. Try again in a minute.",
        azure_fault=True,
    ),
    "AzureUnreachable": Guidance(
        None,
        "We could not reach Azure.",
        "Nothing is wrong with your values as far as we know: the connection to Azure failed. "
        "Try again in a minute.",
        azure_fault=True,
    ),
    "Interrupted": Guidance(
        None,
        "This check was interrupted before it finished.",
        "Nothing is wrong with your values as far as we know. Try again.",
        azure_fault=True,
    ),
}

# What a user_impersonation permission does for this setup, shown beside step 4 in any state.
USER_IMPERSONATION_NOTE = (
    "the API permission Azure Service Management › user_impersonation acts only when a person "
    "signs in through the app, and ColdSend signs in as the app itself, so no check can see it. "
    "Having it does no harm; the role is what counts."
)


def guidance_for(code, step):
    """Return the guidance for `code`, or a fallback that shows Azure's own code and words."""
    known = CATALOGUE.get(code)
    if known is not None:
        return known
    return Guidance(
        step,
        f"Azure said {code}." if code else "Azure said no.",
        "We do not recognise this answer yet. Azure's own message is below; the guide step "
        "beside it is the place to look.",
    )


def troubleshooting():
    """Every failure we recognise, grouped by guide step, for the guide's Troubleshooting."""
    by_step = {step: [] for step in Step}
    for code, guidance in CATALOGUE.items():
        if guidance.step is not None:
            by_step[guidance.step].append((code, guidance))
    return by_step


# What a placeholder reads as where no verification supplies it, as in the guide's list.
UNKNOWN_FACTS = {"expected_tenant": "another directory", "expires_on": "its expiry date"}


class _Facts(dict):
    def __missing__(self, key):
        return UNKNOWN_FACTS.get(key, "…")


def say(text, facts):
    """Fill a catalogue text's placeholders, such as {expected_tenant}, from a step's facts."""
    return text.format_map(_Facts(facts or {}))


def link_for(guidance, values):
    """Fill in the portal link with the account's IDs; None where a needed value is missing."""
    if not guidance.link:
        return None
    try:
        return guidance.link.format(**values)
    except KeyError:
        return None
