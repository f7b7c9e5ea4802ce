"""One small function per guide step, each asking Azure one question and saying what it found.

Checks know nothing of Flask, the database or the words shown to customers: they return an
Outcome with Azure's code (or ours), Azure's own message and the facts the catalogue needs.
Azure's faults (throttling, 5xx, timeouts, no connection) become `error`, never `failed`.
"""

import fnmatch
import json
import re
from dataclasses import dataclass, field, replace

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from .clouds import cloud_named, directory_cloud
from .codes import Code, known
from .steps import Step, StepState

# What ColdSend does in the subscription: resource groups and Communication Services resources.
REQUIRED_ACTIONS = (
    "Microsoft.Resources/subscriptions/resourceGroups/write",
    "Microsoft.Communication/communicationServices/write",
    "Microsoft.Communication/emailServices/write",
    "Microsoft.Communication/emailServices/domains/write",
    "Microsoft.Communication/register/action",
)
AADSTS = re.compile(r"AADSTS(\d+)")
TRACE_IDS = re.compile(r"(Trace ID|Correlation ID|Timestamp): ([^\r\n]+)")
EXPECTED_TENANT = re.compile(r"must match the tenant 'https://[^/]+/([0-9a-f-]{36})/'", re.I)
# Subscription states: Warned and PastDue still work, for now; Disabled and Deleted do not.
SUBSCRIPTION_STATES = {
    "Enabled": (StepState.PASSED, None),
    "Warned": (StepState.WARNING, Code.SUBSCRIPTION_WARNED),
    "PastDue": (StepState.WARNING, Code.SUBSCRIPTION_PAST_DUE),
    "Disabled": (StepState.FAILED, Code.SUBSCRIPTION_DISABLED),
    "Deleted": (StepState.FAILED, Code.SUBSCRIPTION_DELETED),
}
PROVIDER_STATES = {
    "Registered": (StepState.PASSED, None),
    "Registering": (StepState.WAITING, Code.PROVIDER_REGISTERING),
    "NotRegistered": (StepState.FAILED, Code.PROVIDER_NOT_REGISTERED),
    "Unregistered": (StepState.FAILED, Code.PROVIDER_NOT_REGISTERED),
    "Unregistering": (StepState.FAILED, Code.PROVIDER_UNREGISTERING),
}
PROVIDER = "Microsoft.Communication"


@dataclass
class Outcome:
    step: Step
    state: StepState
    code: str | None = None
    azure_message: str | None = None
    facts: dict = field(default_factory=dict)


def tenant_exists(session):
    """Step 1: does Microsoft Entra ID know this tenant, in the cloud we sign in to?

    Asked without any credential. Global discovery also finds a directory of another national
    cloud, and then says so in `cloud_instance_name` (such as microsoftonline.us): a sign-in
    there fails later with AADSTS900382, so step 1 says which cloud it is in.
    """
    try:
        response = session.openid_configuration()
    except AzureError as error:
        return azure_fault(Step.TENANT_ID, error)
    body = _json(response.text())
    if response.status_code == 200 and "issuer" in body:
        match = re.search(r"/([0-9a-f-]{36})/", str(body["issuer"]))
        facts = {"directory": match and match[1]}
        instance = directory_cloud(body)
        if instance and instance != session.cloud.instance_name:
            facts.update(directory_cloud=cloud_named(instance), portal_cloud=session.cloud.name)
            return Outcome(
                Step.TENANT_ID, StepState.FAILED, Code.TENANT_IN_OTHER_CLOUD, facts=facts
            )
        return Outcome(Step.TENANT_ID, StepState.PASSED, facts=facts)
    description = body.get("error_description", "")
    code = AADSTS.search(description)
    if response.status_code == 400 and code:
        return Outcome(
            Step.TENANT_ID,
            StepState.FAILED,
            f"AADSTS{code[1]}",
            description,
            facts=_trace_ids(description),
        )
    return http_fault(Step.TENANT_ID, response.status_code, response.text())


def app_signs_in(session):
    """Steps 2 and 3: can the app sign in with this secret or certificate? One token request
    answers both."""
    try:
        session.management_token()
    except ValueError:  # azure-identity refused the tenant's format before asking Azure
        return [
            skipped(step, blocked_by=Step.TENANT_ID)
            for step in (Step.CLIENT_ID, Step.CLIENT_SECRET)
        ]
    except ClientAuthenticationError as error:
        return sign_in_failure(str(error.message or error), session.cloud)
    except AzureError as error:
        return [azure_fault(Step.CLIENT_ID, error), azure_fault(Step.CLIENT_SECRET, error)]
    return [
        Outcome(Step.CLIENT_ID, StepState.PASSED),
        Outcome(Step.CLIENT_SECRET, StepState.PASSED),
    ]


# Where a sign-in error code points: the directory (step 1), or the secret (step 3); any other
# code is about the app (step 2), unless it faults our request or Entra ID itself.
TENANT_CODES = {
    Code.TENANT_NOT_FOUND,
    Code.TENANT_MALFORMED,
    Code.CROSS_CLOUD_REQUEST,
    Code.CROSS_CLOUD_REQUEST_ALSO,
}
SECRET_CODES = {
    Code.SECRET_INVALID,
    Code.SECRET_EXPIRED,
    Code.CERTIFICATE_NOT_REGISTERED,
    Code.CERTIFICATE_EXPIRED,
}
# AADSTS700027's reasons, as Entra ID words them: which certificate, and why it was refused.
USED_THUMBPRINT = re.compile(r"Thumbprint of key used by client: '([0-9A-Fa-f]+)'")
KEY_EXPIRED = re.compile(r"Reason - The key used is expired", re.I)
# Answers given after the secret was accepted: step 3 passed, the app is refused.
AFTER_THE_SECRET = {Code.CONDITIONAL_ACCESS_BLOCKED}
APP_STEPS = (Step.CLIENT_ID, Step.CLIENT_SECRET)


def sign_in_failure(message, cloud):
    """Turn azure-identity's "Authentication failed: AADSTSnnnn: …" into steps 2 and 3.

    azure-identity keeps only Entra ID's `error_description`, which starts with the code.
    """
    match = AADSTS.search(message)
    if not match:
        # azure-core gives up on a token endpoint that keeps failing with only "HTTP Error: 503".
        return [
            Outcome(step, StepState.ERROR, Code.AZURE_UNAVAILABLE, message) for step in APP_STEPS
        ]
    description = message[match.start() :]
    failed = coded(None, f"AADSTS{match[1]}", description, _trace_ids(description))
    if failed.code == Code.CERTIFICATE_NOT_REGISTERED:
        certificate_refused(failed)
    code = failed.code
    if code in (Code.CROSS_CLOUD_REQUEST, Code.CROSS_CLOUD_REQUEST_ALSO):
        failed.facts["portal_cloud"] = cloud.name
    if failed.state is StepState.ERROR:
        return [replace(failed, step=step) for step in APP_STEPS]
    if code in SECRET_CODES:
        failed.step = Step.CLIENT_SECRET
        return [Outcome(Step.CLIENT_ID, StepState.PASSED), failed]
    if code in TENANT_CODES:
        failed.step = Step.TENANT_ID
        return [failed] + [skipped(step, Step.TENANT_ID) for step in APP_STEPS]
    failed.step = Step.CLIENT_ID
    if code in AFTER_THE_SECRET:
        return [failed, Outcome(Step.CLIENT_SECRET, StepState.PASSED)]
    return [failed, skipped(Step.CLIENT_SECRET, blocked_by=Step.CLIENT_ID)]


def certificate_refused(failed):
    """Say which certificate Azure refused, and whether only because it has expired: the one
    reason of AADSTS700027 whose fix is a new certificate rather than an upload."""
    thumbprint = USED_THUMBPRINT.search(failed.azure_message)
    if thumbprint:
        failed.facts["thumbprint"] = thumbprint[1].upper()
    if KEY_EXPIRED.search(failed.azure_message):
        failed.code = Code.CERTIFICATE_EXPIRED


def subscription_usable(session, subscription_id):
    """Step 5: does the subscription exist in this directory, and is it active?"""
    try:
        with session.subscriptions() as client:
            subscription = client.subscriptions.get(subscription_id)
    except HttpResponseError as error:
        return arm_failure(Step.SUBSCRIPTION_ID, error)
    except AzureError as error:
        return azure_fault(Step.SUBSCRIPTION_ID, error)
    state = _enum_text(subscription.state)
    step_state, code = SUBSCRIPTION_STATES.get(
        state, (StepState.WARNING, Code.SUBSCRIPTION_STATE_UNKNOWN)
    )
    facts = {"name": subscription.display_name, "state": state}
    return Outcome(Step.SUBSCRIPTION_ID, step_state, code, facts=facts)


def role_allows_setup(session, subscription_id):
    """Step 4: may the app create what ColdSend needs? Decided from actions, not role names."""
    try:
        response = session.permissions(subscription_id)
    except AzureError as error:
        return azure_fault(Step.PERMISSIONS, error)
    if response.status_code != 200:
        error = _json(response.text()).get("error", {})
        if 400 <= response.status_code < 500 and response.status_code != 429 and error.get("code"):
            return arm_outcome(
                Step.PERMISSIONS, error["code"], error.get("message"), arm_ids(response.headers)
            )
        return http_fault(Step.PERMISSIONS, response.status_code, response.text())
    grants = response.json().get("value", [])
    if not grants:
        return Outcome(Step.PERMISSIONS, StepState.FAILED, Code.NO_ROLE_ASSIGNMENT)
    missing = [action for action in REQUIRED_ACTIONS if not allowed(action, grants)]
    if not missing:
        return Outcome(Step.PERMISSIONS, StepState.PASSED)
    reads_only = all(
        action.lower().endswith("/read") for grant in grants for action in grant.get("actions", [])
    )
    code = Code.READER_ONLY if reads_only else Code.MISSING_PERMISSIONS
    return Outcome(Step.PERMISSIONS, StepState.FAILED, code, facts={"missing": missing})


def allowed(action, grants):
    """Tell whether any grant's actions, less its notActions, cover `action` (case-insensitive)."""

    def covers(patterns):
        return any(fnmatch.fnmatch(action.lower(), pattern.lower()) for pattern in patterns)

    return any(
        covers(grant.get("actions", [])) and not covers(grant.get("notActions", []))
        for grant in grants
    )


def provider_registered(session, subscription_id):
    """Step 6: is Microsoft.Communication registered on the subscription?"""
    return _provider(session, subscription_id, lambda providers: providers.get(PROVIDER))


def register_provider(session, subscription_id):
    """Ask Azure to register Microsoft.Communication, as the customer's own app."""
    return _provider(session, subscription_id, lambda providers: providers.register(PROVIDER))


def _provider(session, subscription_id, call):
    try:
        with session.resources(subscription_id) as client:
            provider = call(client.providers)
    except HttpResponseError as error:
        return arm_failure(Step.COMMUNICATION_PROVIDER, error)
    except AzureError as error:
        return azure_fault(Step.COMMUNICATION_PROVIDER, error)
    return provider_outcome(provider.registration_state)


def provider_outcome(registration_state):
    state = _enum_text(registration_state)
    step_state, code = PROVIDER_STATES.get(state, (StepState.WARNING, Code.PROVIDER_STATE_UNKNOWN))
    return Outcome(Step.COMMUNICATION_PROVIDER, step_state, code, facts={"state": state})


def skipped(step, blocked_by):
    return Outcome(step, StepState.SKIPPED, facts={"blocked_by": blocked_by.value})


def arm_failure(step, error):
    """An ARM error answer: the customer's to fix if it has a code, else Azure's fault."""
    status = error.status_code or 0
    code = error.error.code if error.error else None
    if status == 429 or status >= 500 or not code:
        return azure_fault(step, error)
    facts = arm_ids(error.response.headers if error.response else {})
    return arm_outcome(step, code, error.error.message, facts)


def arm_outcome(step, code, message, facts):
    """Read an ARM `{"error": {"code", "message"}}` answer by what it means.

    ARM answers 401 InvalidAuthenticationToken both for a token of ours it cannot use and
    for an app with no service principal in the directory; only the message tells them apart
    ("…make sure service principal is properly created in the tenant").
    """
    message = message or ""
    if code == Code.ARM_TOKEN_INVALID and "service principal" in message.lower():
        code = Code.SERVICE_PRINCIPAL_NOT_IN_TOKEN
    expected = EXPECTED_TENANT.search(message)
    if expected:
        facts["expected_tenant"] = expected[1]
    return coded(step, code, message, facts)


def coded(step, code, message, facts):
    """The outcome of an answer that carries a code: an error where a retry is the whole fix
    (Azure's fault or ours), else the step's failure. Known codes become `Code`s."""
    code = known(code) or code
    retry = isinstance(code, Code) and code.retry_fixes
    return Outcome(step, StepState.ERROR if retry else StepState.FAILED, code, message, facts)


def azure_fault(step, error):
    """Azure did not answer usefully: throttled, failing, slow or out of reach."""
    status = getattr(error, "status_code", None)
    if status == 429:
        code = Code.AZURE_THROTTLED
    elif (
        isinstance(error, ServiceResponseError | ServiceRequestError)
        and "timed out" in str(error).lower()
    ):
        code = Code.AZURE_TIMEOUT
    elif isinstance(error, ServiceRequestError):
        code = Code.AZURE_UNREACHABLE
    else:
        code = Code.AZURE_UNAVAILABLE
    return Outcome(step, StepState.ERROR, code, str(error.message or error)[:2000])


def http_fault(step, status, text):
    return Outcome(step, StepState.ERROR, Code.AZURE_UNAVAILABLE, f"HTTP {status}: {text[:500]}")


def _enum_text(value):
    """The SDK gives some states as enums and others as strings; compare them as Azure's text."""
    return str(getattr(value, "value", value) or "")


def _json(text):
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _trace_ids(description):
    return {
        name.lower().replace(" ", "_"): value.strip()
        for name, value in TRACE_IDS.findall(description)
    }


def arm_ids(headers):
    return {
        key: headers[header]
        for key, header in (
            ("request_id", "x-ms-request-id"),
            ("correlation_id", "x-ms-correlation-request-id"),
        )
        if header in headers
    }
