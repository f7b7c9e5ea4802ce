"""ARM's preflight of a subscription-scope deployment, as the REST reference documents it.

`POST /subscriptions/{id}/providers/Microsoft.Resources/deployments/{name}/validate` answers
200 with a DeploymentValidateResult, 202 with a `Location` to poll (202 while running, then the
result), or 400 with `{"error": {"code": "InvalidTemplateDeployment", "details": [...]}}`;
a caller without `Microsoft.Resources/deployments/validate/action` gets a 403 CloudError.
Bodies follow the REST specs' examples and the public reports listed in the README.
"""

import uuid

# Azure's built-in policy definitions, by their names (GUIDs) and display names.
ALLOWED_RESOURCE_TYPES = ("a08ec900-254a-4555-9bf5-e42af04b5c5c", "Allowed resource types")
ALLOWED_LOCATIONS = (
    "e765b5de-1225-4ba3-bd56-1ac6695af988",
    "Allowed locations for resource groups",
)


def validate(subscription_id, name, body, preflight, principal_id):
    """Return (status, body, headers) for a validate request in this subscription."""
    problem = malformed(body)
    if problem:
        return 400, {"error": {"code": "InvalidTemplate", "message": problem}}, {}
    group = body["properties"]["parameters"]["resourceGroupName"]["value"]
    location = body["location"]
    scope = f"/subscriptions/{subscription_id}"
    if preflight == "async":
        return 202, None, {}
    if preflight == "policy":
        return 400, refused(name, policy_violation(scope, group, ALLOWED_RESOURCE_TYPES)), {}
    if preflight == "location-policy":
        return 400, refused(name, policy_violation(scope, group, ALLOWED_LOCATIONS, location)), {}
    if preflight == "write-denied":
        return 400, refused(name, write_denied(scope, group, principal_id)), {}
    if preflight == "quota":
        return 400, refused(name, quota_reached()), {}
    if preflight == "deny-assignment":
        return 403, deny_assignment(scope, principal_id), {}
    return 200, valid(subscription_id, name, group), {}


def malformed(body):
    """What ARM's template validation would say of the body, or None if it is well formed."""
    try:
        template = body["properties"]["template"]
        parameters = body["properties"]["parameters"]
        well_formed = (
            "subscriptionDeploymentTemplate" in template["$schema"]
            and template["resources"]
            and body["location"]
            and parameters["resourceGroupName"]["value"]
            and parameters["dataLocation"]["value"]
            in template["parameters"]["dataLocation"]["allowedValues"]
        )
    except (KeyError, TypeError):
        well_formed = False
    if well_formed:
        return None
    return (
        "Deployment template validation failed: 'The template or its parameters are not valid "
        "for a subscription-scope deployment.'"
    )


def valid(subscription_id, name, group):
    scope = f"/subscriptions/{subscription_id}"
    return {
        "id": f"{scope}/providers/Microsoft.Resources/deployments/{name}",
        "name": name,
        "type": "Microsoft.Resources/deployments",
        "properties": {
            "provisioningState": "Succeeded",
            "mode": "Incremental",
            "correlationId": str(uuid.uuid4()),
            "validatedResources": [
                {"id": f"{scope}/resourceGroups/{group}"},
                {
                    "id": f"{scope}/resourceGroups/{group}/providers/"
                    "Microsoft.Resources/deployments/coldsend-email-service"
                },
            ],
        },
    }


def refused(name, detail):
    return {
        "error": {
            "code": "InvalidTemplateDeployment",
            "message": f"The template deployment '{name}' is not valid according to the "
            f"validation procedure. The tracking id is '{uuid.uuid4()}'. See inner errors for "
            "details.",
            "details": [detail],
        }
    }


def policy_violation(scope, group, definition, location=None):
    definition_name, definition_display_name = definition
    assignment = f"{scope}/providers/Microsoft.Authorization/policyAssignments/contoso-guardrails"
    reason = f"location '{location}'" if location else "its resource type"
    return {
        "code": "RequestDisallowedByPolicy",
        "target": group,
        "message": f"Resource '{group}' was disallowed by policy because of {reason}. Policy "
        f'identifiers: \'[{{"policyAssignment":{{"name":"Contoso guardrails","id":'
        f'"{assignment}"}}}}]\'.',
        "additionalInfo": [
            {
                "type": "PolicyViolation",
                "info": {
                    "policyDefinitionName": definition_name,
                    "policyDefinitionDisplayName": definition_display_name,
                    "policyDefinitionEffect": "deny",
                    "policyDefinitionId": "/providers/Microsoft.Authorization/"
                    f"policyDefinitions/{definition_name}",
                    "policyAssignmentName": "contoso-guardrails",
                    "policyAssignmentDisplayName": "Contoso guardrails",
                    "policyAssignmentId": assignment,
                    "policyAssignmentScope": scope,
                    "policyAssignmentParameters": {},
                },
            }
        ],
    }


def write_denied(scope, group, principal_id):
    action = "Microsoft.Communication/emailServices/write"
    return {
        "code": "AuthorizationFailed",
        "message": f"Authorization failed for template resource 'coldsend-email' of type "
        f"'Microsoft.Communication/emailServices'. The client '{principal_id}' with object id "
        f"'{principal_id}' does not have permission to perform action '{action}' at scope "
        f"'{scope}/resourceGroups/{group}/providers/Microsoft.Communication/emailServices/"
        "coldsend-email'.",
    }


def quota_reached():
    return {
        "code": "ValidationForResourceFailed",
        "message": "Validation failed for a resource. Check 'Error.Details[0]' for more "
        "information.",
        "details": [
            {
                "code": "SubscriptionIsOverQuotaForSku",
                "message": "The subscription has reached its limit of 5 Email Communication "
                "Services resources.",
            }
        ],
    }


def deny_assignment(scope, principal_id):
    deny = "0b1ec7e0-dea1-4000-8000-000000000001"
    return {
        "error": {
            "code": "DenyAssignmentAuthorizationFailed",
            "message": f"The client '{principal_id}' with object id '{principal_id}' has "
            "permission to perform action 'Microsoft.Resources/deployments/validate/action' on "
            f"scope '{scope}/providers/Microsoft.Resources/deployments/coldsend-dry-run'; "
            f"however, the access is denied because of the deny assignment with name '{deny}' "
            f"and Id '{deny}' at scope '{scope}'.",
        }
    }
