"""The checks and the catalogue on their own: permission arithmetic, codes, clouds."""

import pytest

from fake_azure import scenarios as azure
from portal.config import ConfigError, Limits, load
from portal.verification import catalogue, checks
from portal.verification.azure import AzureSession
from portal.verification.clouds import cloud_from
from portal.verification.steps import Step, StepState

from .conftest import TEST_ENVIRONMENT

CONTRIBUTOR = azure.ROLE_PERMISSIONS["Contributor"]
READER = azure.ROLE_PERMISSIONS["Reader"]
COMMUNICATION_ONLY = {"actions": ["Microsoft.Communication/*"], "notActions": []}
GROUPS_ONLY = {"actions": ["Microsoft.Resources/subscriptions/resourceGroups/*"], "notActions": []}


@pytest.mark.parametrize(
    ("grants", "action", "allowed"),
    [
        ([CONTRIBUTOR], "Microsoft.Communication/emailServices/write", True),
        ([CONTRIBUTOR], "Microsoft.Authorization/roleAssignments/write", False),
        ([READER], "Microsoft.Communication/emailServices/write", False),
        ([READER], "Microsoft.Communication/emailServices/read", True),
        ([COMMUNICATION_ONLY], "microsoft.communication/EMAILSERVICES/write", True),
        ([COMMUNICATION_ONLY], "Microsoft.Resources/subscriptions/resourceGroups/write", False),
        (
            [COMMUNICATION_ONLY, GROUPS_ONLY],
            "Microsoft.Resources/subscriptions/resourceGroups/write",
            True,
        ),
        (
            [{"actions": ["*"], "notActions": ["Microsoft.Communication/*"]}],
            "Microsoft.Communication/register/action",
            False,
        ),
        ([], "Microsoft.Communication/register/action", False),
    ],
)
def test_an_action_is_allowed_by_actions_less_not_actions_of_some_grant(grants, action, allowed):
    assert checks.allowed(action, grants) is allowed


def test_two_narrow_custom_roles_together_are_enough():
    grants = [COMMUNICATION_ONLY, GROUPS_ONLY]

    assert all(checks.allowed(action, grants) for action in checks.REQUIRED_ACTIONS)


def test_a_malformed_tenant_is_aadsts900023_at_step_1(app, fake_azure):
    with app.app_context():
        session = AzureSession(
            cloud_from(app.config), Limits(), "not a tenant!", azure.APP_CONTRIBUTOR, "x" * 40, "t"
        )
        outcome = checks.tenant_exists(session)
        sign_in = checks.app_signs_in(session)

    assert [o.state for o in sign_in] == [StepState.SKIPPED, StepState.SKIPPED]
    assert (outcome.step, outcome.state, outcome.code) == (
        Step.TENANT_ID,
        StepState.FAILED,
        "AADSTS900023",
    )
    assert outcome.facts["trace_id"]


CODES_CHECKS_PRODUCE = [
    "AADSTS90002",
    "AADSTS900023",
    "AADSTS700016",
    "AADSTS7000112",
    "AADSTS7000215",
    "AADSTS7000222",
    "NoRoleAssignment",
    "AuthorizationFailed",
    "ReaderOnly",
    "MissingPermissions",
    "SubscriptionNotFound",
    "InvalidAuthenticationTokenTenant",
    "SubscriptionDisabled",
    "SubscriptionDeleted",
    "SubscriptionWarned",
    "SubscriptionPastDue",
    "NotRegistered",
    "SecretExpiresSoon",
    "Registering",
    "StillRegistering",
    "Unregistering",
    "AzureUnavailable",
    "AzureThrottled",
    "AzureTimeout",
    "AzureUnreachable",
    "Interrupted",
]


@pytest.mark.parametrize("code", CODES_CHECKS_PRODUCE)
def test_every_code_we_produce_has_words_and_a_fix_or_a_retry(code):
    guidance = catalogue.CATALOGUE[code]

    assert guidance.summary and guidance.meaning
    assert guidance.fix or guidance.azure_fault or code in {"Registering", "StillRegistering"}


def test_an_unknown_code_falls_back_to_azures_own_words_under_its_step():
    guidance = catalogue.guidance_for("SomethingNew", Step.SUBSCRIPTION_ID)

    assert guidance.step is Step.SUBSCRIPTION_ID
    assert "SomethingNew" in guidance.summary


def test_the_guide_lists_every_failure_we_recognise(customer):
    page = customer.get("/accounts/new").text

    troubleshooting = page[page.index('id="troubleshooting"') :]
    assert "{" not in troubleshooting.split("</section>")[0]
    for code, guidance in catalogue.CATALOGUE.items():
        if guidance.step is not None:
            assert f"<code>{code}</code>" in troubleshooting


@pytest.mark.parametrize(
    ("cloud", "authority", "portal"),
    [
        ("public", "https://login.microsoftonline.com", "https://portal.azure.com"),
        ("china", "https://login.chinacloudapi.cn", "https://portal.azure.cn"),
        ("usgov", "https://login.microsoftonline.us", "https://portal.azure.us"),
    ],
)
def test_each_cloud_signs_in_and_links_to_its_own_hosts(tmp_path, cloud, authority, portal):
    settings = load({**TEST_ENVIRONMENT, "AZURE_CLOUD": cloud}, tmp_path)

    chosen = cloud_from(settings)
    assert (chosen.authority_host, chosen.portal, chosen.known_authority) == (
        authority,
        portal,
        True,
    )


def test_an_overridden_authority_skips_msals_instance_discovery(tmp_path):
    settings = load(
        {**TEST_ENVIRONMENT, "AZURE_AUTHORITY_HOST": "https://login.example.test/"}, tmp_path
    )

    chosen = cloud_from(settings)
    assert chosen.authority_host == "https://login.example.test"
    assert chosen.known_authority is False
    assert chosen.scope == "https://management.azure.com/.default"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AZURE_CLOUD", "germany", "AZURE_CLOUD must be one of public, china, usgov"),
        (
            "AZURE_AUTHORITY_HOST",
            "http://login.example.test",
            "AZURE_AUTHORITY_HOST must be an https",
        ),
        (
            "AZURE_RESOURCE_MANAGER_URL",
            "management.example.test",
            "AZURE_RESOURCE_MANAGER_URL must",
        ),
    ],
)
def test_a_wrong_cloud_setting_is_named(tmp_path, variable, value, message):
    with pytest.raises(ConfigError, match=message):
        load({**TEST_ENVIRONMENT, variable: value}, tmp_path)


def test_a_tenant_code_from_the_token_endpoint_blocks_both_app_steps():
    outcomes = checks._sign_in_failure("Authentication failed: AADSTS90002: Tenant 'x' not found.")

    assert [(o.step, o.state) for o in outcomes] == [
        (Step.TENANT_ID, StepState.FAILED),
        (Step.CLIENT_ID, StepState.SKIPPED),
        (Step.CLIENT_SECRET, StepState.SKIPPED),
    ]


def test_a_discovery_answer_that_is_not_json_is_azures_fault_not_a_crash(app, fake_azure):
    with app.app_context():
        session = AzureSession(
            cloud_from(app.config),
            Limits(),
            azure.TENANT_BEHIND_PROXY,
            azure.APP_CONTRIBUTOR,
            "x" * 40,
            "t",
        )
        outcome = checks.tenant_exists(session)

    assert (outcome.state, outcome.code) == (StepState.ERROR, "AzureUnavailable")


def test_the_guide_links_to_the_portal_of_the_configured_cloud(app, customer):
    app.config["AZURE_CLOUD"] = "china"

    page = customer.get("/accounts/new").text

    assert 'href="https://portal.azure.cn/#view/Microsoft_AAD_IAM/' in page
    assert "portal.azure.com" not in page
