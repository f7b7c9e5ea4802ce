"""The checks and the catalogue on their own: permission arithmetic, codes, clouds."""

import pytest

from fake_azure import scenarios as azure
from portal.config import ConfigError, Limits, load
from portal.verification import catalogue, checks, run
from portal.verification.azure import AzureSession
from portal.verification.clouds import CLOUDS, cloud_from, directory_cloud
from portal.verification.codes import Code
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


def test_every_code_we_declare_has_an_entry_and_the_catalogue_has_no_other():
    assert set(catalogue.CATALOGUE) == set(Code)


@pytest.mark.parametrize("code", list(Code))
def test_every_code_has_words_and_a_fix_or_a_retry(code):
    guidance = catalogue.CATALOGUE[code]

    assert guidance.summary and guidance.meaning
    assert (
        guidance.fix
        or code.retry_fixes
        or code in {Code.PROVIDER_REGISTERING, Code.PROVIDER_STILL_REGISTERING}
    )


@pytest.mark.parametrize("code", [code for code in Code if code.retry_fixes])
def test_a_fault_of_azure_or_ours_never_sends_the_customer_to_change_values(code):
    guidance = catalogue.CATALOGUE[code]

    assert guidance.field is None and guidance.step is None
    assert "Try again" in guidance.meaning


def test_an_unknown_code_falls_back_to_azures_own_words_under_its_step():
    guidance = catalogue.guidance_for("SomethingNew", Step.SUBSCRIPTION_ID)

    assert guidance.step is Step.SUBSCRIPTION_ID
    assert "SomethingNew" in guidance.summary


def test_the_guide_lists_every_failure_we_recognise(client):
    troubleshooting = client.get("/guide/troubleshooting", headers={"HX-Request": "true"}).text

    assert "{" not in troubleshooting
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
    outcomes = checks.sign_in_failure(
        "Authentication failed: AADSTS90002: Tenant 'x' not found.", CLOUDS["public"]
    )

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
    assert 'href="https://portal.azure.com' not in page


@pytest.mark.parametrize(
    ("code", "step", "state"),
    [
        ("AADSTS900382", Step.TENANT_ID, StepState.FAILED),
        ("AADSTS7000229", Step.CLIENT_ID, StepState.FAILED),
        ("AADSTS53003", Step.CLIENT_ID, StepState.FAILED),
        ("AADSTS7000215", Step.CLIENT_SECRET, StepState.FAILED),
        ("AADSTS70011", Step.CLIENT_ID, StepState.ERROR),
        ("AADSTS7000216", Step.CLIENT_ID, StepState.ERROR),
        ("AADSTS90033", Step.CLIENT_ID, StepState.ERROR),
        ("AADSTS5999999", Step.CLIENT_ID, StepState.FAILED),
    ],
)
def test_each_sign_in_code_lands_on_its_step(code, step, state):
    outcomes = checks.sign_in_failure(f"Authentication failed: {code}: words", CLOUDS["public"])

    landed = next(outcome for outcome in outcomes if outcome.code == code)
    assert (landed.step, landed.state) == (step, state)


# Discovery documents as global discovery answers them, trimmed (see the README's sources).
COMMERCIAL = {"tenant_region_scope": "NA", "cloud_instance_name": "microsoftonline.com"}
GCC = {"tenant_region_scope": "NA", "tenant_region_sub_scope": "GCC"}
GCC_HIGH = {"tenant_region_scope": "USGov", "tenant_region_sub_scope": "DODCON"}
FAIRFAX = {"tenant_region_scope": "USG"}
CHINA = {"cloud_instance_name": "partner.microsoftonline.cn"}


@pytest.mark.parametrize(
    ("document", "instance"),
    [
        (COMMERCIAL, "microsoftonline.com"),
        (GCC, None),
        (GCC_HIGH, "microsoftonline.us"),
        (FAIRFAX, "microsoftonline.us"),
        (CHINA, "partner.microsoftonline.cn"),
        ({}, None),
    ],
    ids=["commercial", "gcc", "gcc-high", "fairfax", "china", "silent"],
)
def test_the_directorys_cloud_is_read_from_its_discovery_document(document, instance):
    assert directory_cloud(document) == instance


def answer(step, code, state=StepState.FAILED):
    return checks.Outcome(step, state if code else StepState.PASSED, code)


SUBSCRIPTION, ROLE, PROVIDER = Step.SUBSCRIPTION_ID, Step.PERMISSIONS, Step.COMMUNICATION_PROVIDER
HIDDEN, DENIED, NO_ROLE = "SubscriptionNotFound", "AuthorizationFailed", "NoRoleAssignment"
OTHER_TENANT, NO_PRINCIPAL = "InvalidAuthenticationTokenTenant", "ServicePrincipalNotFound"


@pytest.mark.parametrize(
    ("subscription", "permissions", "provider", "expected"),
    [
        # No role: Azure answers 404 or 403 to the subscription read, [] or 403 to the list.
        (HIDDEN, NO_ROLE, DENIED, (ROLE, NO_ROLE)),
        (DENIED, NO_ROLE, DENIED, (ROLE, NO_ROLE)),
        (DENIED, DENIED, DENIED, (ROLE, DENIED)),
        (DENIED, None, None, (ROLE, DENIED)),
        (HIDDEN, DENIED, None, (ROLE, DENIED)),
        # An unknown subscription: 404 everywhere.
        (HIDDEN, HIDDEN, HIDDEN, (SUBSCRIPTION, HIDDEN)),
        # Another directory, and no service principal: 401 everywhere.
        (OTHER_TENANT, OTHER_TENANT, None, (SUBSCRIPTION, OTHER_TENANT)),
        (NO_PRINCIPAL, NO_PRINCIPAL, NO_PRINCIPAL, (Step.CLIENT_ID, NO_PRINCIPAL)),
    ],
)
def test_one_cause_answered_at_every_read_fails_one_step_and_skips_the_rest(
    subscription, permissions, provider, expected
):
    outcomes = run.reconcile(
        answer(SUBSCRIPTION, subscription), answer(ROLE, permissions), answer(PROVIDER, provider)
    )

    failed = [(o.step, o.code) for o in outcomes if o.state is StepState.FAILED]
    assert failed == [expected]
    assert Step.CLIENT_SECRET not in {o.step for o in outcomes}  # a token proved the secret
    assert {o.step for o in outcomes if o.state is StepState.SKIPPED} >= (
        {SUBSCRIPTION, ROLE, PROVIDER} - {expected[0]}
    )


def test_the_guides_troubleshooting_fills_every_placeholder_with_words_that_read(client):
    troubleshooting = client.get("/guide/troubleshooting", headers={"HX-Request": "true"}).text

    assert "…" not in troubleshooting
    assert "Your directory is in another Azure cloud; ColdSend connects to global Azure." in (
        troubleshooting
    )
    assert "az ad sp create --id &lt;Client ID&gt;" in troubleshooting
    assert "resource group, coldsend-email, once it exists" in troubleshooting


@pytest.mark.parametrize("code", ["Policy{0}", "X{state.__class__.__mro__}", "{}"])
def test_a_code_we_do_not_know_is_shown_as_written_never_formatted(code):
    guidance = catalogue.guidance_for(code, Step.DRY_RUN)

    assert catalogue.say(guidance.summary, {"state": "x"}).startswith(f"Azure answered {code},")


def test_the_known_problems_come_apart_from_the_form_and_open_without_a_session(customer, client):
    form = customer.get("/accounts/new").text
    page = client.get("/guide/troubleshooting")  # the plain link: no script, no session

    assert 'id="troubleshooting"' not in form
    assert 'href="/guide/troubleshooting"' in form
    assert page.status_code == 200
    assert '<h1 id="troubleshooting-title">Troubleshooting</h1>' in page.text
    assert "<code>AADSTS7000215</code>" in page.text
