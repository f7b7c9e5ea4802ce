"""Every code a verification step can end with, declared once.

A code is either Azure's own (an `AADSTSnnnn` from Microsoft Entra ID's token endpoint, or an
ARM `error.code`) that we recognise, or one of ours where Azure answers with a state or a
silence rather than a code. Each has an entry in the catalogue (a test iterates this enum).
A code Azure sends that is not here is stored as Azure's text and shown with the fallback.

Sources: Microsoft Entra authentication and authorization error codes
(https://learn.microsoft.com/entra/identity-platform/reference-error-codes) and the Azure
Resource Manager troubleshooting guides (https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/).
"""

from enum import StrEnum


class Code(StrEnum):
    # Step 1: the directory.
    TENANT_NOT_FOUND = "AADSTS90002"
    TENANT_MALFORMED = "AADSTS900023"
    CROSS_CLOUD_REQUEST = "AADSTS900382"
    CROSS_CLOUD_REQUEST_ALSO = "AADSTS900432"
    TENANT_IN_OTHER_CLOUD = "TenantInOtherCloud"
    # Step 2: the app registration and its service principal.
    APPLICATION_NOT_FOUND = "AADSTS700016"
    APPLICATION_DISABLED = "AADSTS7000112"
    SERVICE_PRINCIPAL_MISSING = "AADSTS7000229"
    SERVICE_PRINCIPAL_NOT_IN_TOKEN = "ServicePrincipalNotFound"
    CONDITIONAL_ACCESS_BLOCKED = "AADSTS53003"
    # Step 3: the client secret, or the certificate the portal made.
    SECRET_INVALID = "AADSTS7000215"
    SECRET_EXPIRED = "AADSTS7000222"
    SECRET_EXPIRES_SOON = "SecretExpiresSoon"
    # Azure knows no valid key of this app for the certificate that signed the assertion:
    # "The key was not found" (not uploaded, or to another app), or another key's signature.
    CERTIFICATE_NOT_REGISTERED = "AADSTS700027"
    # The same code, when Azure's reason is "The key used is expired".
    CERTIFICATE_EXPIRED = "CertificateExpired"
    CERTIFICATE_EXPIRES_SOON = "CertificateExpiresSoon"
    # Step 4: the role on the subscription.
    NO_ROLE_ASSIGNMENT = "NoRoleAssignment"
    AUTHORIZATION_FAILED = "AuthorizationFailed"
    READER_ONLY = "ReaderOnly"
    MISSING_PERMISSIONS = "MissingPermissions"
    # Step 5: the subscription.
    SUBSCRIPTION_NOT_FOUND = "SubscriptionNotFound"
    SUBSCRIPTION_IN_OTHER_TENANT = "InvalidAuthenticationTokenTenant"
    SUBSCRIPTION_DISABLED = "SubscriptionDisabled"
    SUBSCRIPTION_DELETED = "SubscriptionDeleted"
    SUBSCRIPTION_WARNED = "SubscriptionWarned"
    SUBSCRIPTION_PAST_DUE = "SubscriptionPastDue"
    SUBSCRIPTION_STATE_UNKNOWN = "SubscriptionState"
    # Step 6: the Microsoft.Communication resource provider.
    PROVIDER_NOT_REGISTERED = "NotRegistered"
    PROVIDER_REGISTERING = "Registering"
    PROVIDER_STILL_REGISTERING = "StillRegistering"
    PROVIDER_UNREGISTERING = "Unregistering"
    PROVIDER_STATE_UNKNOWN = "ProviderState"
    SUBSCRIPTION_READ_ONLY = "ReadOnlyDisabledSubscription"
    # The dry run: what ARM's preflight of ColdSend's deployment refuses.
    POLICY_DENIED = "RequestDisallowedByPolicy"
    LOCATION_DENIED_BY_POLICY = "LocationDisallowedByPolicy"
    LOCATION_NOT_AVAILABLE = "LocationNotAvailableForResourceType"
    CREATE_NOT_AUTHORIZED = "CreateNotAuthorized"
    DENY_ASSIGNMENT = "DenyAssignmentAuthorizationFailed"
    QUOTA_EXCEEDED = "QuotaExceeded"
    QUOTA_EXCEEDED_FOR_SKU = "SubscriptionIsOverQuotaForSku"
    # ColdSend's side: Entra ID or ARM says our request was malformed. Never the customer's.
    REQUEST_MISSING_PARAMETER = "AADSTS900144"
    REQUEST_MISSING_FIELD = "AADSTS90014"
    REQUEST_INVALID = "AADSTS9002313"
    REQUEST_NOT_POST = "AADSTS900561"
    REQUEST_LOOP = "AADSTS50196"
    CREDENTIAL_MISSING = "AADSTS7000216"
    CREDENTIAL_PARAMETER_MISSING = "AADSTS7000218"
    SCOPE_INVALID = "AADSTS70011"
    SCOPE_NOT_DEFAULT = "AADSTS1002012"
    RESOURCE_NOT_FOUND = "AADSTS500011"
    RESOURCE_INVALID = "AADSTS50001"
    GRANT_TYPE_UNSUPPORTED = "AADSTS70003"
    # A client assertion out of its time range (our clock), one Entra ID cannot read, or one
    # made for another app or endpoint: what azure-identity signs for us.
    ASSERTION_TIME_RANGE = "AADSTS700024"
    ASSERTION_MALFORMED = "AADSTS50027"
    ASSERTION_NOT_THIS_APP = "AADSTS700021"
    ASSERTION_NOT_THIS_ENDPOINT = "AADSTS700023"
    ARM_TOKEN_INVALID = "InvalidAuthenticationToken"
    ARM_TOKEN_AUDIENCE = "InvalidAuthenticationTokenAudience"
    ARM_API_VERSION = "InvalidApiVersionParameter"
    TEMPLATE_INVALID = "InvalidTemplate"
    # Azure's side: it did not answer usefully; a retry is the fix.
    AZURE_UNAVAILABLE = "AzureUnavailable"
    AZURE_THROTTLED = "AzureThrottled"
    AZURE_TIMEOUT = "AzureTimeout"
    AZURE_UNREACHABLE = "AzureUnreachable"
    ENTRA_UNAVAILABLE = "AADSTS90033"
    ENTRA_RETRYABLE = "AADSTS50033"
    ENTRA_BUDGET_EXCEEDED = "AADSTS90024"
    ENTRA_THROTTLED = "AADSTS90055"
    # Ours: the run ended before this step was answered.
    INTERRUPTED = "Interrupted"
    # Ours: the check could not start, our job queue (Redis) being unavailable.
    QUEUE_UNAVAILABLE = "QueueUnavailable"
    # Ours: the stored secret no longer decrypts (its encryption key was removed).
    SECRET_UNREADABLE = "SecretUnreadable"

    @property
    def may_be_propagating(self):
        """Tell whether a role assigned in the last 30 minutes would explain this answer
        (Microsoft: role assignments can take up to 30 minutes to take effect)."""
        return self in {Code.NO_ROLE_ASSIGNMENT, Code.AUTHORIZATION_FAILED}

    @property
    def ours(self):
        """Tell whether the answer faults ColdSend's request, never the customer's values."""
        return self in COLDSEND_SIDE

    @property
    def retry_fixes(self):
        """Tell whether trying again later is the whole fix (Azure's fault or ours)."""
        return self in AZURE_SIDE or self in COLDSEND_SIDE


COLDSEND_SIDE = frozenset(
    {
        Code.REQUEST_MISSING_PARAMETER,
        Code.REQUEST_MISSING_FIELD,
        Code.REQUEST_INVALID,
        Code.REQUEST_NOT_POST,
        Code.REQUEST_LOOP,
        Code.CREDENTIAL_MISSING,
        Code.CREDENTIAL_PARAMETER_MISSING,
        Code.SCOPE_INVALID,
        Code.SCOPE_NOT_DEFAULT,
        Code.RESOURCE_NOT_FOUND,
        Code.RESOURCE_INVALID,
        Code.GRANT_TYPE_UNSUPPORTED,
        Code.ASSERTION_TIME_RANGE,
        Code.ASSERTION_MALFORMED,
        Code.ASSERTION_NOT_THIS_APP,
        Code.ASSERTION_NOT_THIS_ENDPOINT,
        Code.ARM_TOKEN_INVALID,
        Code.ARM_TOKEN_AUDIENCE,
        Code.ARM_API_VERSION,
        Code.TEMPLATE_INVALID,
    }
)
AZURE_SIDE = frozenset(
    {
        Code.AZURE_UNAVAILABLE,
        Code.AZURE_THROTTLED,
        Code.AZURE_TIMEOUT,
        Code.AZURE_UNREACHABLE,
        Code.ENTRA_UNAVAILABLE,
        Code.ENTRA_RETRYABLE,
        Code.ENTRA_BUDGET_EXCEEDED,
        Code.ENTRA_THROTTLED,
        Code.INTERRUPTED,
        Code.QUEUE_UNAVAILABLE,
    }
)

# Ours, where Azure answered nothing: the check ended early, or never started.
NOT_ASKED = frozenset({Code.INTERRUPTED, Code.QUEUE_UNAVAILABLE})


def may_be_propagating(code):
    """Tell whether a stored code (Azure's text or ours) may be a role still propagating."""
    found = known(code)
    return found is not None and found.may_be_propagating


def known(code):
    """Return `code` as a Code if we declare it, else None (Azure's codes change)."""
    try:
        return Code(code)
    except ValueError:
        return None
