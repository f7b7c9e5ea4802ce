"""The one place where an Azure code becomes words: what happened, what it means, how to fix it.

Microsoft warns that codes and texts change, so every lookup has a fallback that shows Azure's
own code and message under the step it came from. The guide's Troubleshooting section is drawn
from this catalogue, so it lists exactly the failures we recognise.
"""

from dataclasses import dataclass

from .codes import COLDSEND_SIDE, Code
from .steps import Step


@dataclass(frozen=True)
class Guidance:
    """What a code means and how to fix it. A fix's `backticked` text is a command, which the
    page shows with a Copy button."""

    step: Step | None  # the guide step whose Troubleshooting lists it; None for faults
    summary: str  # what Azure said, in plain words
    meaning: str  # what it means for this step
    fix: tuple[str, ...] = ()  # numbered actions
    link: str | None = None  # an Azure portal page, filled in with the account's IDs
    link_text: str | None = None
    # The form field holding the value to correct, when a wrong value is the cause; None when
    # the values may be right and the fix is in Azure (a role, a policy, a payment).
    field: str | None = None


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

# Portal pages the guide itself links to, by name.
GUIDE_PAGES = {
    "entra_overview": ENTRA_OVERVIEW,
    "app_registrations": APP_REGISTRATIONS,
    "subscriptions": SUBSCRIPTIONS,
    "cloud_shell": "{portal}/#cloudshell/",
}

ASSIGN_CONTRIBUTOR = (
    "Open the Access control (IAM) page of the subscription itself (not of a resource group), "
    "and choose Add, then Add role assignment.",
    "Under Privileged administrator roles, select Contributor, then Next.",
    "Choose Select members, type your app's name (apps appear only when searched for), "
    "select it, then Review + assign.",
)
ROLE_ON_THE_SUBSCRIPTION = (
    "The role must be assigned on the subscription itself: a role on one of its resource "
    "groups, or on another subscription, does not let ColdSend create what it needs. A role "
    "assigned in the last minutes may not be in effect yet (Azure takes up to 30 minutes)."
)
RENEW_SECRET = (
    "Open your app's Certificates & secrets page and choose New client secret.",
    "Copy the new secret's Value column at once (not the Secret ID), and note its expiry date.",
    "In ColdSend, open this account and choose Replace the secret; paste it into Client "
    "Secret, with its expiry date, and save: it is verified again.",
)
UPLOAD_CERTIFICATE = (
    "Download the certificate ColdSend made for this account (the .cer file).",
    "Open your app's Certificates & secrets page, choose Certificates, then Upload "
    "certificate; select the file and choose Add.",
    "Check that the new row's Thumbprint is {thumbprint}, then verify again.",
)
RENEW_CERTIFICATE = (
    "In ColdSend, open this account and choose Replace the certificate, then Make a new "
    "certificate; download it.",
    "Upload it on your app's Certificates & secrets page (Certificates, then Upload "
    "certificate), then save the account: it verifies with the new certificate.",
    "Delete the old certificate from the app once the new one has passed.",
)
CONDITIONAL_ACCESS = (
    "{portal}/#view/Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/~/Policies"
)
ENTERPRISE_APPS = (
    "{portal}/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview"
)

OTHER_CLOUD = Guidance(
    Step.TENANT_ID,
    "Your directory is in {directory_cloud}; ColdSend connects to {portal_cloud}.",
    "Microsoft runs separate clouds (global Azure, Azure Government, Azure operated by 21Vianet "
    "in China), and an app signs in only to the cloud its directory lives in. ColdSend cannot "
    "reach a directory of {directory_cloud} from {portal_cloud}.",
    (
        "Check which Azure portal you work in: global Azure is portal.azure.com, Azure "
        "Government portal.azure.us, Azure in China portal.azure.cn.",
        "If your subscription is in {portal_cloud}, enter the Tenant ID of the directory that "
        "holds it (Microsoft Entra ID, Overview, in that portal).",
        "If it exists only in {directory_cloud}, contact ColdSend support with our reference "
        "below: this connection works in {portal_cloud} only.",
    ),
)
NO_SERVICE_PRINCIPAL = Guidance(
    Step.CLIENT_ID,
    "The app has no service principal (enterprise application) in your directory.",
    "An app registration signs in through its enterprise application, the service principal "
    "that the role of step 4 is given to. This app has none in this directory: that happens when "
    "it was created with a script or with az ad app create, which do not add one, or when its "
    "enterprise application was deleted. Your Client ID is right: the app only lacks its "
    "service principal here.",
    (
        "Open Enterprise applications, set Application type to All applications and search for "
        "your app's Client ID, {client_id}.",
        "If nothing is found, create the service principal: in Azure Cloud Shell run "
        "`az ad sp create --id {client_id}`",
        "Give it the Contributor role on the subscription (step 4), then verify again. If you "
        "created it in the last few minutes, Azure may still be copying it: wait and verify again.",
    ),
    ENTERPRISE_APPS,
    "Open Enterprise applications",
)
POLICY_ASSIGNMENTS = "{portal}/#view/Microsoft_Azure_Policy/PolicyMenuBlade/~/Assignments"
QUOTA = Guidance(
    Step.DRY_RUN,
    "Your subscription has reached a limit for what ColdSend creates.",
    "Azure checked the deployment without creating anything, and it would exceed a quota of "
    "the subscription.",
    (
        "Remove Communication Services or Email Communication Services resources you no longer "
        "use, or ask for a higher limit: Help + support, Create a support request, Service and "
        "subscription limits (quotas).",
        "Verify again.",
    ),
)
COLDSEND_FAULT = Guidance(
    None,
    "Azure refused a request ColdSend made, as malformed.",
    "This is our fault, not yours: nothing in your values caused it, and our team has the "
    "details. Try again in a few minutes; if it persists, send ColdSend support our reference.",
)

CATALOGUE = {
    Code.TENANT_NOT_FOUND: Guidance(
        Step.TENANT_ID,
        "Azure found no directory with this Tenant ID.",
        "The Tenant ID is mistyped, is another of the app's GUIDs (its Overview page shows the "
        "Directory (tenant) ID beside the Application (client) ID and the Object ID, and the "
        "two are easily swapped), belongs to a directory that was deleted, or lives in another "
        "Azure cloud.",
        (
            "Open Microsoft Entra ID in the Azure portal, on its Overview page.",
            "Copy the Tenant ID shown there.",
            "Paste it into Tenant ID here and verify again.",
        ),
        ENTRA_OVERVIEW,
        "Open Microsoft Entra ID",
        field="tenant_id",
    ),
    Code.TENANT_MALFORMED: Guidance(
        Step.TENANT_ID,
        "Azure cannot read this Tenant ID.",
        "It is neither a directory ID (a GUID) nor a domain name such as contoso.onmicrosoft.com.",
        (
            "Open Microsoft Entra ID in the Azure portal, on its Overview page.",
            "Copy the Tenant ID and paste it here, then verify again.",
        ),
        ENTRA_OVERVIEW,
        "Open Microsoft Entra ID",
        field="tenant_id",
    ),
    Code.TENANT_IN_OTHER_CLOUD: OTHER_CLOUD,
    Code.CROSS_CLOUD_REQUEST: OTHER_CLOUD,
    Code.CROSS_CLOUD_REQUEST_ALSO: OTHER_CLOUD,
    Code.APPLICATION_NOT_FOUND: Guidance(
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
        field="client_id",
    ),
    Code.APPLICATION_DISABLED: Guidance(
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
    Code.SERVICE_PRINCIPAL_MISSING: NO_SERVICE_PRINCIPAL,
    Code.SERVICE_PRINCIPAL_NOT_IN_TOKEN: NO_SERVICE_PRINCIPAL,
    Code.CONDITIONAL_ACCESS_BLOCKED: Guidance(
        Step.CLIENT_ID,
        "A Conditional Access policy of your directory blocked the app's sign-in.",
        "Your Client ID and secret are right: Microsoft Entra ID accepted them, then a "
        "Conditional Access policy for workload identities refused the sign-in, often one that "
        "allows only some locations or IP ranges. Only an administrator of your directory can "
        "change this.",
        (
            "Ask an administrator to open Sign-in logs, Service principal sign-ins, and find the "
            "correlation ID {correlation_id}: it names the policy that blocked the app.",
            "In Conditional Access, exclude this app (Client ID {client_id}) from that policy, or "
            "add the IP addresses ColdSend connects from to a trusted named location (ColdSend "
            "support gives them on request).",
            "Verify again.",
        ),
        CONDITIONAL_ACCESS,
        "Open Conditional Access",
    ),
    Code.SECRET_INVALID: Guidance(
        Step.CLIENT_SECRET,
        "Azure rejected the client secret.",
        "This is not a valid secret of this app. Most often the Secret ID was copied instead of "
        "the secret's Value, or the secret was deleted or belongs to another app.",
        RENEW_SECRET,
        APP_SECRETS,
        "Open the app's secrets",
        field="client_secret",
    ),
    Code.SECRET_EXPIRED: Guidance(
        Step.CLIENT_SECRET,
        "The client secret has expired.",
        "Secrets last as long as chosen when created; this one is past its expiry date.",
        RENEW_SECRET,
        APP_SECRETS,
        "Open the app's secrets",
        field="client_secret",
    ),
    Code.SECRET_EXPIRES_SOON: Guidance(
        Step.CLIENT_SECRET,
        "The client secret works, but expires on {expires_on}.",
        "After that date ColdSend can no longer reach your subscription, and your inboxes stop "
        "being managed. Renew it now and nothing is interrupted.",
        RENEW_SECRET,
        APP_SECRETS,
        "Open the app's secrets",
    ),
    Code.CERTIFICATE_NOT_REGISTERED: Guidance(
        Step.CLIENT_SECRET,
        "Your app has no certificate with the thumbprint {thumbprint}.",
        "The app signed in with the certificate ColdSend made for it, but Azure found no such "
        "certificate on the app registration. It has not been uploaded yet, was uploaded to "
        "another app, or another file was uploaded.",
        UPLOAD_CERTIFICATE,
        APP_SECRETS,
        "Open the app's certificates",
    ),
    Code.CERTIFICATE_EXPIRED: Guidance(
        Step.CLIENT_SECRET,
        "The certificate has expired.",
        "Azure found the certificate on your app, but it is past its end date, and Azure no "
        "longer accepts it.",
        RENEW_CERTIFICATE,
        APP_SECRETS,
        "Open the app's certificates",
        field="client_certificate",
    ),
    Code.CERTIFICATE_EXPIRES_SOON: Guidance(
        Step.CLIENT_SECRET,
        "The certificate works, but expires on {expires_on}.",
        "After that date ColdSend can no longer reach your subscription, and your inboxes stop "
        "being managed. Replace it now and nothing is interrupted.",
        RENEW_CERTIFICATE,
        APP_SECRETS,
        "Open the app's certificates",
    ),
    Code.NO_ROLE_ASSIGNMENT: Guidance(
        Step.PERMISSIONS,
        "The app has no role on this subscription.",
        "Without a role on it the app cannot see or change anything in the subscription. "
        + ROLE_ON_THE_SUBSCRIPTION,
        ASSIGN_CONTRIBUTOR,
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
    ),
    Code.AUTHORIZATION_FAILED: Guidance(
        Step.PERMISSIONS,
        "Azure refused the app access to this subscription.",
        "The app holds no role on the subscription that allows this. " + ROLE_ON_THE_SUBSCRIPTION,
        ASSIGN_CONTRIBUTOR,
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
    ),
    Code.READER_ONLY: Guidance(
        Step.PERMISSIONS,
        "The app can only read this subscription.",
        "Its role (Reader or similar) lets it look but not create resource groups or "
        "Communication Services resources, which ColdSend must do.",
        ASSIGN_CONTRIBUTOR,
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
    ),
    Code.MISSING_PERMISSIONS: Guidance(
        Step.PERMISSIONS,
        "The app's role lacks permissions ColdSend needs.",
        "Its role does not allow every action ColdSend performs (listed under details).",
        ASSIGN_CONTRIBUTOR,
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
    ),
    Code.SUBSCRIPTION_NOT_FOUND: Guidance(
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
        field="subscription_id",
    ),
    Code.SUBSCRIPTION_IN_OTHER_TENANT: Guidance(
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
        field="subscription_id",
    ),
    Code.SUBSCRIPTION_DISABLED: Guidance(
        Step.SUBSCRIPTION_ID,
        "The subscription is disabled.",
        "A disabled subscription (credit or spending limit used up, a payment issue, or "
        "cancelled) is read-only: nothing can be created in it.",
        (
            "Open the subscription's Overview in the Azure portal and follow its notice to "
            "reactivate it, or choose another subscription.",
            "Verify again once its status is Active.",
        ),
        SUBSCRIPTION_OVERVIEW,
        "Open the subscription",
    ),
    Code.SUBSCRIPTION_DELETED: Guidance(
        Step.SUBSCRIPTION_ID,
        "The subscription has been deleted.",
        "A deleted subscription cannot be used again.",
        (
            "Choose an active subscription under Subscriptions.",
            "Give the app the Contributor role on it (step 4), paste its ID here, and verify.",
        ),
        SUBSCRIPTIONS,
        "Open Subscriptions",
        field="subscription_id",
    ),
    Code.SUBSCRIPTION_WARNED: Guidance(
        Step.SUBSCRIPTION_ID,
        "The subscription works, but Azure has warned it will be disabled.",
        "This usually follows a payment problem or an ended free credit. ColdSend can set up now, "
        "but your inboxes stop if the subscription is disabled.",
        ("Open the subscription's Overview and settle what its notice asks for.",),
        SUBSCRIPTION_OVERVIEW,
        "Open the subscription",
    ),
    Code.SUBSCRIPTION_PAST_DUE: Guidance(
        Step.SUBSCRIPTION_ID,
        "The subscription works, but a payment is past due.",
        "Azure disables past-due subscriptions after a while, and your inboxes would stop.",
        ("Open the subscription's Overview and settle the outstanding payment.",),
        SUBSCRIPTION_OVERVIEW,
        "Open the subscription",
    ),
    Code.SUBSCRIPTION_STATE_UNKNOWN: Guidance(
        Step.SUBSCRIPTION_ID,
        "Azure reports the subscription as {state}, a state we do not know.",
        "ColdSend may not be able to create resources in it. An active subscription reads "
        "Enabled (Active in the portal).",
        ("Open the subscription's Overview and check that its status is Active.",),
        SUBSCRIPTION_OVERVIEW,
        "Open the subscription",
    ),
    Code.PROVIDER_NOT_REGISTERED: Guidance(
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
    Code.PROVIDER_REGISTERING: Guidance(
        Step.COMMUNICATION_PROVIDER,
        "Azure is turning on Communication Services.",
        "Registration usually takes a minute or two; this page updates by itself.",
    ),
    Code.PROVIDER_STILL_REGISTERING: Guidance(
        Step.COMMUNICATION_PROVIDER,
        "Azure is still turning on Communication Services.",
        "Registration is taking longer than usual. It needs nothing from you; verify again in a "
        "few minutes.",
    ),
    Code.PROVIDER_UNREGISTERING: Guidance(
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
    Code.PROVIDER_STATE_UNKNOWN: Guidance(
        Step.COMMUNICATION_PROVIDER,
        "Azure reports Microsoft.Communication as {state}, a state we do not know.",
        "Email domains can be created only once it reads Registered.",
        (
            "Open the subscription's Resource providers and find Microsoft.Communication.",
            "If it is not Registered, select it and choose Register, then verify again.",
        ),
        PROVIDERS,
        "Open Resource providers",
    ),
    Code.SUBSCRIPTION_READ_ONLY: Guidance(
        Step.COMMUNICATION_PROVIDER,
        "Azure refused to turn on Communication Services: the subscription is disabled.",
        "A disabled subscription is read-only, so no resource provider can be registered in it "
        "until it is active again.",
        (
            "Open the subscription's Overview and follow its notice to reactivate it.",
            "Verify again once its status is Active, then register the provider.",
        ),
        SUBSCRIPTION_OVERVIEW,
        "Open the subscription",
    ),
    Code.POLICY_DENIED: Guidance(
        Step.DRY_RUN,
        "An Azure Policy of your organisation would block what ColdSend creates.",
        "Azure checked ColdSend's deployment without creating anything, and a policy "
        "assignment, {policy_assignment}, denies the resource {target} (its policy: "
        "{policy_definition}). Your six steps are right; the policy decides.",
        (
            "Ask whoever manages Azure Policy to exempt this subscription from that assignment "
            "(the exemption can later be narrowed to ColdSend's resource group, "
            "{resource_group}, once it exists), or to allow Microsoft.Communication resources.",
            "Verify again: the dry run checks again.",
        ),
        POLICY_ASSIGNMENTS,
        "Open Policy assignments",
    ),
    Code.LOCATION_DENIED_BY_POLICY: Guidance(
        Step.DRY_RUN,
        "An Azure Policy of your organisation does not allow the region {location}.",
        "ColdSend creates its resource group {resource_group} in {location}, and a policy "
        "assignment, {policy_assignment}, allows other regions only (its policy: "
        "{policy_definition}). Nothing was created.",
        (
            "Ask whoever manages Azure Policy to allow {location} in that assignment, or to "
            "exempt this subscription from it.",
            "Or tell ColdSend support which regions your organisation allows, with our reference "
            "below.",
        ),
        POLICY_ASSIGNMENTS,
        "Open Policy assignments",
    ),
    Code.LOCATION_NOT_AVAILABLE: Guidance(
        Step.DRY_RUN,
        "Azure does not offer what ColdSend creates in the region {location} for this "
        "subscription.",
        "This comes from the region ColdSend is set up to use, not from your values.",
        (
            "Send ColdSend support our reference below: we will use a region your subscription "
            "offers.",
        ),
    ),
    Code.CREATE_NOT_AUTHORIZED: Guidance(
        Step.DRY_RUN,
        "Azure would not let the app create part of what ColdSend needs.",
        "The role of step 4 should cover it, yet Azure would not let the app perform {action} on "
        "{scope}. Something narrows the role: a deny assignment, a condition on the role "
        "assignment, or a role held on a narrower scope than the subscription.",
        (
            "Open the subscription's Access control (IAM), choose Check access and search for "
            "your app: it shows what the app may do, and any deny assignment.",
            "Give the app Contributor on the subscription itself, without conditions.",
            "Verify again.",
        ),
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
    ),
    Code.DENY_ASSIGNMENT: Guidance(
        Step.DRY_RUN,
        "A deny assignment stops the app creating what ColdSend needs.",
        "Deny assignments come from Azure managed applications, deployment stacks or Azure "
        "Blueprints, and override every role: the deny assignment {deny_assignment} denies "
        "{action}.",
        (
            "In the subscription's Access control (IAM), open Deny assignments and find the deny "
            "assignment {deny_assignment}.",
            "Ask its owner to exclude your app, or the resource group {resource_group}.",
            "Verify again.",
        ),
        SUBSCRIPTION_IAM,
        "Open Access control (IAM)",
    ),
    Code.QUOTA_EXCEEDED: QUOTA,
    Code.QUOTA_EXCEEDED_FOR_SKU: QUOTA,
    **dict.fromkeys(sorted(COLDSEND_SIDE), COLDSEND_FAULT),
    Code.AZURE_UNAVAILABLE: Guidance(
        None,
        "Azure had a passing fault.",
        "Nothing is wrong with your values as far as we know: Azure answered that it failed on "
        "its side. Try again in a minute.",
    ),
    **dict.fromkeys(
        (Code.ENTRA_UNAVAILABLE, Code.ENTRA_RETRYABLE, Code.ENTRA_BUDGET_EXCEEDED),
        Guidance(
            None,
            "Microsoft Entra ID had a passing fault.",
            "Nothing is wrong with your values as far as we know: the sign-in service asked us "
            "to try again. Try again in a minute.",
        ),
    ),
    Code.ENTRA_THROTTLED: Guidance(
        None,
        "Microsoft Entra ID asked us to slow down.",
        "Nothing is wrong with your values as far as we know: your directory received too "
        "many sign-in requests. Try again in a few minutes.",
    ),
    Code.AZURE_THROTTLED: Guidance(
        None,
        "Azure asked us to slow down.",
        "Nothing is wrong with your values as far as we know: your subscription or directory "
        "received too many requests. Try again in a minute.",
    ),
    Code.AZURE_TIMEOUT: Guidance(
        None,
        "Azure did not answer in time.",
        "Nothing is wrong with your values as far as we know. Try again in a minute.",
    ),
    Code.AZURE_UNREACHABLE: Guidance(
        None,
        "We could not reach Azure.",
        "Nothing is wrong with your values as far as we know: the connection to Azure failed. "
        "Try again in a minute.",
    ),
    Code.QUEUE_UNAVAILABLE: Guidance(
        None,
        "We could not start the check: our job queue is unavailable.",
        "This is our fault, not yours, and nothing was sent to Azure. Try again in a minute.",
    ),
    Code.SECRET_UNREADABLE: Guidance(
        Step.CLIENT_SECRET,
        "We can no longer read the client secret you gave us.",
        "This is on our side: the key that encrypted it has been replaced, so it cannot be "
        "used again. Nothing is wrong with your app, but we need the secret once more.",
        (
            "If you kept the secret's Value, paste it into Client Secret here (use Change "
            "details) and verify again.",
            "Otherwise open your app's Certificates & secrets page, choose New client secret, "
            "copy its Value at once, and paste it here.",
        ),
        APP_SECRETS,
        "Open the app's secrets",
        field="client_secret",
    ),
    Code.INTERRUPTED: Guidance(
        None,
        "This check was interrupted before it finished.",
        "Nothing is wrong with your values as far as we know. Try again.",
    ),
}

# What a user_impersonation permission does for this setup, shown beside step 4 in any state.
USER_IMPERSONATION_NOTE = (
    "the API permission Azure Service Management › user_impersonation acts only when a person "
    "signs in through the app, and ColdSend signs in as the app itself, so no check can see it. "
    "Having it does no harm; the role is what counts."
)


def guidance_for(code, step):
    """Return the guidance for `code`, or a fallback that shows Azure's own code and words.

    The fallback never asks the customer to change values that may be right: it names the
    step Azure's answer came from and leaves the rest to Azure's message and our reference.
    """
    known = CATALOGUE.get(code)
    if known is not None:
        return known
    # Azure's code is data, not a template: its braces must reach the page as written.
    shown = str(code).replace("{", "{{").replace("}", "}}")
    return Guidance(
        step,
        f"Azure answered {shown}, which we have no advice for yet." if code else "Azure said no.",
        "Your values may well be right. Azure's own words are below, with the references "
        "ColdSend support needs to look into it; this step of the guide is where the answer "
        "came from.",
    )


def troubleshooting():
    """Every failure we recognise, by guide step: `{step: [(codes, guidance)]}`, for the guide."""
    by_step = {step: {} for step in Step}
    for code, guidance in CATALOGUE.items():
        if guidance.step is not None:
            by_step[guidance.step].setdefault(guidance, []).append(code)
    return {
        step: [(codes, guidance) for guidance, codes in entries.items()]
        for step, entries in by_step.items()
    }


# Per credential type ("secret", "certificate"): the code of one that has expired, and of one
# that expires soon. The first's fix is how to replace it.
RENEWAL = {
    "secret": (Code.SECRET_EXPIRED, Code.SECRET_EXPIRES_SOON),
    "certificate": (Code.CERTIFICATE_EXPIRED, Code.CERTIFICATE_EXPIRES_SOON),
}

# The form fields a fix may send the customer back to, by the labels the form shows.
FIELD_LABELS = {
    "tenant_id": "Tenant ID",
    "client_id": "Client ID",
    "client_secret": "Client Secret",
    "client_certificate": "certificate",
    "subscription_id": "Subscription ID",
}

# What a placeholder reads as where no verification supplies it, as in the guide's list.
UNKNOWN_FACTS = {
    "expected_tenant": "another directory",
    "expires_on": "a date less than 60 days away",
    "thumbprint": "shown in step 3",
    "directory_cloud": "another Azure cloud",
    "correlation_id": "shown under What Azure answered",
    "client_id": "<Client ID>",
    "state": "something else",
    "policy_assignment": "named in Azure's answer",
    "policy_definition": "also named there",
    "target": "a resource ColdSend creates",
    "action": "an action ColdSend needs",
    "scope": "the subscription",
    "deny_assignment": "named in Azure's answer",
}


class _Facts(dict):
    def __missing__(self, key):
        return UNKNOWN_FACTS.get(key, "…")


def say(text, facts, account=None):
    """Fill a catalogue text's placeholders, such as {expected_tenant}, from a step's facts
    and, where given, the account's own IDs."""
    ids = {}
    if account is not None:
        ids = {"client_id": account.client_id, "tenant_id": account.tenant_id}
    return text.format_map(_Facts({**ids, **(facts or {})}))


def link_for(guidance, values):
    """Fill in the portal link with the account's IDs; None where a needed value is missing."""
    if not guidance.link:
        return None
    try:
        return guidance.link.format(**values)
    except KeyError:
        return None
