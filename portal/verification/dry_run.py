"""The dry run: ask ARM to validate, not run, exactly the deployment ColdSend will make.

ARM's preflight (`POST …/providers/Microsoft.Resources/deployments/{name}/validate` at
subscription scope) answers 200 when the deployment would be accepted, 202 with a `Location` to
poll when it validates asynchronously, and 400 with `{"error": {"code", "message", "details"}}`
naming what would refuse it: an Azure Policy (`RequestDisallowedByPolicy`, with a
`PolicyViolation` in `additionalInfo` naming the assignment), missing write permissions
(`AuthorizationFailed` for a template resource), a region or a quota. Nothing is created.
Source: learn.microsoft.com/rest/api/resources/deployments/validate-at-subscription-scope and
the REST specs' examples; the README lists the public reports of each answer.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from azure.core.exceptions import AzureError, HttpResponseError

from .checks import Outcome, arm_failure, arm_ids, azure_fault, coded
from .codes import Code
from .steps import Step, StepState

TEMPLATE = Path(__file__).with_name("email_service.json")
DEPLOYMENT_NAME = "coldsend-dry-run"
# The data locations an Email Communication Service accepts (the template's allowedValues).
DATA_LOCATIONS = (
    "Africa",
    "Asia Pacific",
    "Australia",
    "Brazil",
    "Canada",
    "Europe",
    "France",
    "Germany",
    "India",
    "Japan",
    "Korea",
    "Norway",
    "Switzerland",
    "UAE",
    "UK",
    "United States",
)
# Codes that only wrap the answer that matters, found in their `details`.
WRAPPERS = {
    "InvalidTemplateDeployment",
    "PreflightValidationCheckFailed",
    "ValidationForResourceFailed",
}
# Azure's built-in "Allowed locations" policies (for resources, and for resource groups).
ALLOWED_LOCATIONS_POLICIES = {
    "e56962a6-4747-49cd-b67b-bf8b01975c4c",
    "e765b5de-1225-4ba3-bd56-1ac6695af988",
}
# "…perform action 'X' at scope 'Y'", "over scope", or in a deny assignment's "on scope".
ACTION_AND_SCOPE = re.compile(r"action '([^']+)' (?:at|over|on) scope '([^']+)'")
DENY_ASSIGNMENT = re.compile(r"deny assignment with name '([^']+)'")


@dataclass(frozen=True)
class Provisioning:
    """What ColdSend creates: the resource group's name and region, and where email data lives."""

    resource_group: str = "coldsend-email"
    location: str = "eastus"
    data_location: str = "United States"


@cache
def template():
    return json.loads(TEMPLATE.read_text())


def deployment(provisioning):
    """The body of the deployment to validate: ColdSend's template and its parameters."""
    return {
        "location": provisioning.location,
        "properties": {
            "mode": "Incremental",
            "template": template(),
            "parameters": {
                "resourceGroupName": {"value": provisioning.resource_group},
                "dataLocation": {"value": provisioning.data_location},
            },
        },
    }


def coldsend_can_create(session, subscription_id, provisioning, timeout):
    """Validate ColdSend's deployment in the subscription; return the dry run's Outcome.

    Waits at most `timeout` seconds for an asynchronous validation (202, then polling).
    """
    facts = {"resource_group": provisioning.resource_group, "location": provisioning.location}
    try:
        with session.deployments(subscription_id) as client:
            poller = client.deployments.begin_validate_at_subscription_scope(
                DEPLOYMENT_NAME, deployment(provisioning)
            )
            poller.wait(timeout)
            if not poller.done():
                return Outcome(Step.DRY_RUN, StepState.ERROR, Code.AZURE_TIMEOUT, facts=facts)
            poller.result()
    except HttpResponseError as error:
        if error.status_code == 400 and error.response is not None:
            return refusal(_body(error.response), {**facts, **arm_ids(error.response.headers)})
        outcome = arm_failure(Step.DRY_RUN, error)
        if outcome.state is not StepState.FAILED:
            return outcome
        answer = {"error": {"code": outcome.code, "message": outcome.azure_message}}
        return refusal(answer, {**facts, **outcome.facts})
    except AzureError as error:
        return azure_fault(Step.DRY_RUN, error)
    return Outcome(Step.DRY_RUN, StepState.PASSED, facts=facts)


def refusal(body, facts):
    """Read ARM's refusal by the answer inside its wrappers, such as a policy's denial."""
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    found = _deciding(error)
    code, message = found.get("code") or "", found.get("message") or error.get("message")
    facts = {**facts, **_policy(found)}
    if code == Code.POLICY_DENIED and facts.get("policy_definition_name") in (
        ALLOWED_LOCATIONS_POLICIES
    ):
        code = Code.LOCATION_DENIED_BY_POLICY
    elif code == Code.AUTHORIZATION_FAILED:
        code = Code.CREATE_NOT_AUTHORIZED
    action = ACTION_AND_SCOPE.search(message or "")
    if action:
        facts.update(action=action[1], scope=action[2])
    deny = DENY_ASSIGNMENT.search(message or "")
    if deny:
        facts["deny_assignment"] = deny[1]
    return coded(Step.DRY_RUN, code or None, message, facts)


def _deciding(error):
    """The first answer in `error` (depth first) that is not a wrapper; else `error` itself."""
    if error.get("code") not in WRAPPERS:
        return error
    for detail in error.get("details") or []:
        if isinstance(detail, dict):
            found = _deciding(detail)
            if found.get("code") not in WRAPPERS:
                return found
    return error


def _policy(error):
    """The resource refused, and the first PolicyViolation's names, as the page uses them."""
    facts = {"target": error["target"]} if error.get("target") else {}
    for item in error.get("additionalInfo") or []:
        info = item.get("info") if isinstance(item, dict) else None
        if item.get("type") == "PolicyViolation" and isinstance(info, dict):
            facts.update(
                policy_assignment=info.get("policyAssignmentDisplayName")
                or info.get("policyAssignmentName"),
                policy_assignment_scope=info.get("policyAssignmentScope"),
                policy_definition=info.get("policyDefinitionDisplayName")
                or info.get("policyDefinitionName"),
                policy_definition_name=info.get("policyDefinitionName"),
            )
            break
    return facts


def _body(response):
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
