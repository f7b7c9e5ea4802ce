"""Verify, end to end: the real Azure SDKs against the fake over HTTPS, a real Redis and worker.

Each case types values into the form, lets the worker run the job, and reads the stable
markers (data-step, data-state, data-code) of every step from the account page.
"""

import re
from datetime import date, timedelta

import pytest
from flask import render_template
from redis import Redis

from fake_azure import scenarios as azure
from portal.models import StepResult
from portal.verification import catalogue, checks, dry_run
from portal.verification.azure import AzureSession
from portal.verification.clouds import cloud_from
from portal.verification.steps import Step, StepState

from .conftest import TEST_LIMITS, add_account, work_off

GOOD = {
    "tenant_id": azure.TENANT,
    "client_id": azure.APP_CONTRIBUTOR,
    "client_secret": azure.SECRET,
    "subscription_id": azure.SUB_READY,
}
STEPS = [
    "tenant-id",
    "client-id",
    "client-secret",
    "permissions",
    "subscription-id",
    "communication-provider",
    "dry-run",
]


def markers(page):
    """Return {step: (state, code)} from the page's stable markers, in page order."""
    found = re.findall(
        r'data-step="([a-z-]+)" data-state="([a-z]+)"(?: data-code="([^"]+)")?', page
    )
    assert [step for step, _, _ in found] == STEPS
    return {step: (state, code or None) for step, state, code in found}


def step_html(page, step):
    """The markup of one step, up to the next step's."""
    start = page.index(f'data-step="{step}"')
    following = page.find('data-step="', start + 1)
    return page[start : following if following != -1 else len(page)]


def verification_state(page):
    return re.search(r'data-verification-state="([a-z]+)"', page).group(1)


def verify(app, customer, **changes):
    """Save an account with these values, run the queued job, return the account page."""
    account_id = add_account(customer, **{**GOOD, **changes})
    work_off(app)
    return account_id, customer.get(f"/accounts/{account_id}").text


P, F, S, W, E = "passed", "failed", "skipped", "warning", "error"

CASES = {
    "everything-right": ({}, "passed", [P, P, P, P, P, P], {}),
    "tenant-as-domain": ({"tenant_id": azure.TENANT_DOMAIN}, "passed", [P] * 6, {}),
    "tenant-unknown": (
        {"tenant_id": "deadbeef-0000-4000-8000-000000000000"},
        "failed",
        [F, S, S, S, S, S],
        {"tenant-id": "AADSTS90002"},
    ),
    "tenant-domain-unknown": (
        {"tenant_id": "nobody.onmicrosoft.com"},
        "failed",
        [F, S, S, S, S, S],
        {"tenant-id": "AADSTS90002"},
    ),
    "client-id-unknown": (
        {"client_id": "0badc0de-0000-4000-8000-000000000000"},
        "failed",
        [P, F, S, S, S, S],
        {"client-id": "AADSTS700016"},
    ),
    "app-disabled": (
        {"client_id": azure.APP_DISABLED},
        "failed",
        [P, F, S, S, S, S],
        {"client-id": "AADSTS7000112"},
    ),
    "secret-invalid": (
        {"client_secret": "Wrong8Q~NotTheSecretValue.0123456789abcde"},
        "failed",
        [P, P, F, S, S, S],
        {"client-secret": "AADSTS7000215"},
    ),
    "secret-expired": (
        {"client_secret": azure.EXPIRED_SECRET},
        "failed",
        [P, P, F, S, S, S],
        {"client-secret": "AADSTS7000222"},
    ),
    "role-reader": (
        {"client_id": azure.APP_READER},
        "failed",
        [P, P, P, F, P, P],
        {"permissions": "ReaderOnly"},
    ),
    "role-missing": (
        {"client_id": azure.APP_NO_ROLE},
        "failed",
        [P, P, P, F, S, S],
        {"permissions": "NoRoleAssignment"},
    ),
    "subscription-unknown": (
        {"subscription_id": azure.SUB_UNKNOWN},
        "failed",
        [P, P, P, S, F, S],
        {"subscription-id": "SubscriptionNotFound"},
    ),
    "subscription-other-directory": (
        {"subscription_id": azure.SUB_OTHER_TENANT},
        "failed",
        [P, P, P, S, F, S],
        {"subscription-id": "InvalidAuthenticationTokenTenant"},
    ),
    "subscription-disabled": (
        {"subscription_id": azure.SUB_DISABLED},
        "failed",
        [P, P, P, P, F, P],
        {"subscription-id": "SubscriptionDisabled"},
    ),
    "subscription-deleted": (
        {"subscription_id": azure.SUB_DELETED},
        "failed",
        [P, P, P, P, F, P],
        {"subscription-id": "SubscriptionDeleted"},
    ),
    "subscription-warned": (
        {"subscription_id": azure.SUB_WARNED},
        "passed",
        [P, P, P, P, W, P],
        {"subscription-id": "SubscriptionWarned"},
    ),
    "subscription-past-due": (
        {"subscription_id": azure.SUB_PAST_DUE},
        "passed",
        [P, P, P, P, W, P],
        {"subscription-id": "SubscriptionPastDue"},
    ),
    "provider-not-registered": (
        {"subscription_id": azure.SUB_PROVIDER_NOT_REGISTERED},
        "failed",
        [P, P, P, P, P, F],
        {"communication-provider": "NotRegistered"},
    ),
    "provider-registering-then-registered": (
        {"subscription_id": azure.SUB_PROVIDER_REGISTERING},
        "passed",
        [P] * 6,
        {},
    ),
    "arm-throttled-with-retry-after": (
        {"subscription_id": azure.SUB_THROTTLED},
        "passed",
        [P] * 6,
        {},
    ),
    "arm-outage": (
        {"subscription_id": azure.SUB_OUTAGE},
        "error",
        [P, P, P, E, E, E],
        {"permissions": "AzureUnavailable", "subscription-id": "AzureUnavailable"},
    ),
    "arm-too-slow": (
        {"subscription_id": azure.SUB_SLOW},
        "error",
        [P, P, P, E, E, E],
        {"subscription-id": "AzureTimeout"},
    ),
    "token-endpoint-outage": (
        {"tenant_id": azure.TENANT_TOKEN_OUTAGE},
        "error",
        [P, E, E, S, S, S],
        {"client-id": "AzureUnavailable"},
    ),
}

# Failures people publicly report, each answered as Azure answers it; the README's "Azure's
# answers" names the reports. Each must end on the one step that explains it, with words of
# its own (never the fallback).
REPORTED = {
    "role-only-on-a-resource-group": (
        {"client_id": azure.APP_GROUP_ROLE},
        "failed",
        [P, P, P, F, S, S],
        {"permissions": "NoRoleAssignment"},
    ),
    "no-service-principal-at-sign-in": (
        {"client_id": azure.APP_NO_SERVICE_PRINCIPAL},
        "failed",
        [P, F, S, S, S, S],
        {"client-id": "AADSTS7000229"},
    ),
    "no-service-principal-token-refused-by-arm": (
        {"client_id": azure.APP_NO_SERVICE_PRINCIPAL_AT_ARM},
        "failed",
        [P, F, P, S, S, S],
        {"client-id": "ServicePrincipalNotFound"},
    ),
    "directory-in-azure-government": (
        {"tenant_id": azure.TENANT_US_GOVERNMENT},
        "failed",
        [F, S, S, S, S, S],
        {"tenant-id": "TenantInOtherCloud"},
    ),
    "conditional-access-blocks-the-app": (
        {"client_id": azure.APP_CONDITIONAL_ACCESS},
        "failed",
        [P, F, P, S, S, S],
        {"client-id": "AADSTS53003"},
    ),
    "subscription-disabled-and-provider-not-registered": (
        {"subscription_id": azure.SUB_DISABLED_NOT_REGISTERED},
        "failed",
        [P, P, P, P, F, S],
        {"subscription-id": "SubscriptionDisabled"},
    ),
}
CASES.update(REPORTED)


def with_the_dry_run(states):
    """The six guide steps' states, then the dry run's: it passes here whenever they let it
    run, and is not checked when one of them blocks."""
    return [*states, P if set(states) <= {P, W} else S]


# What ARM's preflight of ColdSend's deployment can answer, once the six steps pass.
DRY_RUNS = {
    "dry-run-policy-denies-a-resource-type": (
        azure.SUB_POLICY_DENIED,
        F,
        "RequestDisallowedByPolicy",
    ),
    "dry-run-policy-denies-the-region": (
        azure.SUB_LOCATION_DENIED,
        F,
        "LocationDisallowedByPolicy",
    ),
    "dry-run-write-permission-missing": (azure.SUB_WRITE_DENIED, F, "CreateNotAuthorized"),
    "dry-run-deny-assignment": (azure.SUB_DENY_ASSIGNMENT, F, "DenyAssignmentAuthorizationFailed"),
    "dry-run-quota-reached": (azure.SUB_QUOTA_REACHED, F, "SubscriptionIsOverQuotaForSku"),
    "dry-run-answered-after-a-202": (azure.SUB_VALIDATION_ASYNC, P, None),
}


@pytest.mark.parametrize(("changes", "overall", "states", "codes"), CASES.values(), ids=CASES)
def test_each_case_ends_at_the_right_step_with_the_right_code(
    app, customer, changes, overall, states, codes
):
    _, page = verify(app, customer, **changes)

    found = markers(page)
    assert verification_state(page) == overall
    assert [state for state, _ in found.values()] == with_the_dry_run(states)
    for step, code in codes.items():
        assert found[step][1] == code


@pytest.mark.parametrize("changes", [case[0] for case in REPORTED.values()], ids=REPORTED)
def test_each_reported_failure_gets_words_of_its_own_not_the_fallback(app, customer, changes):
    _, page = verify(app, customer, **changes)

    assert "no advice for yet" not in page
    assert "Azure did not answer" not in page


def test_a_missing_role_answered_403_on_the_subscription_is_step_4_with_a_re_check(app, customer):
    app.config["RECHECK_DELAYS"] = (60,)

    _, page = verify(app, customer, client_id=azure.APP_GROUP_ROLE)

    assert verification_state(page) == "running"
    assert [state for state, _ in markers(page).values()] == [P, P, P, "waiting", S, S, S]
    step = step_html(page, "permissions")
    assert "on the subscription itself" in step
    assert "resource groups" in step
    assert "check again by ourselves" in step


def test_no_service_principal_says_how_to_create_it_for_this_client_id(app, customer):
    for client_id in (azure.APP_NO_SERVICE_PRINCIPAL, azure.APP_NO_SERVICE_PRINCIPAL_AT_ARM):
        _, page = verify(app, customer, client_id=client_id, name=f"App {client_id[-2:]}")

        step = step_html(page, "client-id")
        assert "no service principal" in step
        command = f"az ad sp create --id {client_id}"
        assert f'<code>{command}</code> <button type="button" class="copy"' in step
        assert f'data-copy-text="{command}"' in step
        assert "`" not in step
        assert "Change the Client ID" not in step


# What the words beside a step must name, taken from Azure's answer and our settings.
NAMED = {
    "both-clouds": (
        {"tenant_id": azure.TENANT_US_GOVERNMENT},
        "tenant-id",
        "Your directory is in Azure Government; ColdSend connects to global Azure.",
    ),
    "the-region-coldsend-uses": (
        {"subscription_id": azure.SUB_LOCATION_DENIED},
        "dry-run",
        "does not allow the region eastus",
    ),
    "the-action-refused": (
        {"subscription_id": azure.SUB_WRITE_DENIED},
        "dry-run",
        "perform Microsoft.Communication/emailServices/write on",
    ),
    "the-action-a-deny-assignment-denies": (
        {"subscription_id": azure.SUB_DENY_ASSIGNMENT},
        "dry-run",
        "denies Microsoft.Resources/deployments/validate/action",
    ),
}


@pytest.mark.parametrize(("changes", "step", "words"), NAMED.values(), ids=NAMED)
def test_the_fix_names_what_azure_named(app, customer, changes, step, words):
    _, page = verify(app, customer, **changes)

    assert words in step_html(page, step)


def test_conditional_access_names_the_sign_in_to_look_for_and_asks_no_new_values(app, customer):
    _, page = verify(app, customer, client_id=azure.APP_CONDITIONAL_ACCESS)

    step = step_html(page, "client-id")
    correlation_id = re.search(
        r"Correlation ID</dt><dd>\s*<span class=\"copyable\"><code>([0-9a-f-]{36})", step
    ).group(1)
    assert f"find the correlation ID {correlation_id}" in step
    assert "Your Client ID and secret are right" in step
    assert "Change the" not in step


def test_an_answer_we_do_not_know_shows_azures_words_and_asks_no_new_values(app, customer):
    _, page = verify(app, customer, client_id=azure.APP_UNKNOWN_ANSWER)

    assert markers(page)["client-id"] == ("failed", "AADSTS500014")
    step = step_html(page, "client-id")
    assert "Azure answered AADSTS500014, which we have no advice for yet." in step
    assert "AADSTS500014: The service principal for resource" in step
    assert "Our reference" in step
    assert "Change the" not in step


def test_a_request_azure_calls_malformed_is_coldsends_error_with_a_retry(app, customer):
    # Azure knows no resource at this URL: the token request names a resource of ours.
    app.config["AZURE_RESOURCE_MANAGER_URL"] = app.config["AZURE_RESOURCE_MANAGER_URL"] + "/x"

    _, page = verify(app, customer)

    assert verification_state(page) == "error"
    assert [state for state, _ in markers(page).values()] == [P, E, E, S, S, S, S]
    assert markers(page)["client-id"] == ("error", "AADSTS500011")
    assert "This is our fault, not yours" in step_html(page, "client-id")
    assert "Try again" in page


def test_register_it_for_me_is_not_offered_on_a_disabled_subscription_nor_accepted(
    app, customer, fake_azure
):
    account_id, page = verify(app, customer, subscription_id=azure.SUB_DISABLED_NOT_REGISTERED)
    assert "Register it for me" not in page
    assert "Checked once step 5" in step_html(page, "communication-provider")
    verification_id = re.search(r'data-verification-id="([^"]+)"', page).group(1)

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    customer.post(
        f"/accounts/{account_id}/verifications/{verification_id}/provider-registration",
        data={"csrf_token": token},
    )

    assert verification_state(customer.get(f"/accounts/{account_id}").text) == "failed"
    assert not [path for method, path in fake_azure.requests if path.endswith("/register")]


def test_azure_refusing_to_register_on_a_disabled_subscription_is_explained(app, fake_azure):
    with app.app_context():
        session = AzureSession(
            cloud_from(app.config),
            TEST_LIMITS,
            azure.TENANT,
            azure.APP_CONTRIBUTOR,
            azure.SECRET,
            "t",
        )
        outcome = checks.register_provider(session, azure.SUB_DISABLED_NOT_REGISTERED)

    assert (outcome.step, outcome.state, outcome.code) == (
        Step.COMMUNICATION_PROVIDER,
        StepState.FAILED,
        "ReadOnlyDisabledSubscription",
    )
    assert catalogue.guidance_for(outcome.code, outcome.step).summary.endswith("is disabled.")


@pytest.mark.parametrize(("subscription_id", "state", "code"), DRY_RUNS.values(), ids=DRY_RUNS)
def test_the_dry_run_shows_what_would_stop_coldsend_creating_the_email_service(
    app, customer, subscription_id, state, code
):
    _, page = verify(app, customer, subscription_id=subscription_id)

    assert verification_state(page) == ("passed" if state == P else "failed")
    assert markers(page)["dry-run"] == (state, code)
    assert [state for state, _ in markers(page).values()][:6] == [P] * 6
    if code:
        assert "no advice for yet" not in step_html(page, "dry-run")


def test_the_dry_run_validates_the_template_in_the_repository_and_nothing_else(
    app, customer, fake_azure
):
    verify(app, customer)

    (body,) = fake_azure.validated
    assert body["properties"]["template"] == dry_run.template()
    assert body["properties"]["mode"] == "Incremental"
    assert body["location"] == "eastus"
    assert body["properties"]["parameters"] == {
        "resourceGroupName": {"value": "coldsend-email"},
        "dataLocation": {"value": "United States"},
    }
    assert not [m for m, path in fake_azure.requests if m in ("PUT", "PATCH", "DELETE")]


def test_a_policy_denial_names_the_assignment_and_the_resource_group(app, customer):
    _, page = verify(app, customer, subscription_id=azure.SUB_POLICY_DENIED)

    step = step_html(page, "dry-run")
    assert "Dry run: ColdSend can create your email service (nothing is created)" in page
    assert "a policy assignment, Contoso guardrails, denies the resource coldsend-email" in step
    assert "(its policy: Allowed resource types)" in step
    assert "exempt this subscription from that assignment" in step
    assert "resource group, coldsend-email, once it exists" in step
    assert "Microsoft_Azure_Policy/PolicyMenuBlade" in step
    assert "The dry run needs your attention" in page


def test_the_dry_run_waits_for_its_step_when_an_earlier_step_fails(app, customer, fake_azure):
    _, page = verify(
        app, customer, client_id=azure.APP_READER, subscription_id=azure.SUB_POLICY_DENIED
    )

    assert markers(page)["dry-run"] == (S, None)
    assert "Checked once step 4" in step_html(page, "dry-run")


def test_the_dry_run_follows_register_it_for_me(app, customer, fake_azure):
    account_id, page = verify(app, customer, subscription_id=azure.SUB_PROVIDER_NOT_REGISTERED)
    assert markers(page)["dry-run"] == (S, None)
    verification_id = re.search(r'data-verification-id="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    customer.post(
        f"/accounts/{account_id}/verifications/{verification_id}/provider-registration",
        data={"csrf_token": token},
    )
    work_off(app)

    page = customer.get(f"/accounts/{account_id}").text
    assert markers(page)["dry-run"] == (P, None)
    assert len(fake_azure.validated) == 2


def test_azure_out_of_reach_is_an_error_with_a_retry_never_the_customers_fault(app, customer):
    app.config["AZURE_AUTHORITY_HOST"] = "https://127.0.0.1:9"  # nothing listens there

    _, page = verify(app, customer)

    assert verification_state(page) == "error"
    assert markers(page)["tenant-id"] == ("error", "AzureUnreachable")
    assert "Nothing is wrong with your values as far as we know" in page
    assert "Try again" in page


@pytest.mark.parametrize(
    ("days", "state"), [(10, "warning"), (0, "warning"), (60, "warning"), (61, "passed")]
)
def test_a_secret_expiring_within_60_days_is_a_warning_at_step_3(app, customer, days, state):
    expires_on = date.today() + timedelta(days)

    _, page = verify(app, customer, secret_expires_on=expires_on.isoformat())

    assert verification_state(page) == "passed"
    assert markers(page)["client-secret"][0] == state
    if state == "warning":
        assert markers(page)["client-secret"][1] == "SecretExpiresSoon"
        assert f"expires on {expires_on.isoformat()}" in step_html(page, "client-secret")


def test_a_failed_step_shows_azures_answer_the_fix_and_a_portal_link_for_this_app(app, customer):
    _, page = verify(app, customer, client_secret="Wrong8Q~NotTheSecretValue.0123456789abcde")

    step = step_html(page, "client-secret")
    assert "Azure rejected the client secret." in step
    assert "Secret ID was copied instead of the secret&#39;s Value" in step
    assert '<ol class="fix">' in step
    assert f"/Credentials/appId/{azure.APP_CONTRIBUTOR}" in step
    assert "Trace ID" in step and "Correlation ID" in step
    assert "AADSTS7000215: Invalid client secret provided." in step


def test_a_subscription_of_another_directory_names_the_directory_it_trusts(app, customer):
    _, page = verify(app, customer, subscription_id=azure.SUB_OTHER_TENANT)

    step = step_html(page, "subscription-id")
    assert f"This one trusts {azure.OTHER_TENANT}" in step


def test_missing_role_explains_that_a_new_role_can_take_30_minutes(app, customer):
    _, page = verify(app, customer, client_id=azure.APP_NO_ROLE)

    step = step_html(page, "permissions")
    assert "up to 30 minutes" in step
    assert f"/resource/subscriptions/{azure.SUB_READY}/users" in step


def test_user_impersonation_is_informational_never_passed_or_failed(app, customer):
    _, page = verify(app, customer)

    step = step_html(page, "permissions")
    assert "user_impersonation" not in step  # not a result: the guide's step 4 says why
    assert 'data-info="user-impersonation"' in page
    assert "It is not needed, and not checked" in page


def test_throttling_is_waited_out_as_retry_after_says(app, customer, fake_azure):
    verify(app, customer, subscription_id=azure.SUB_THROTTLED)

    reads = [path for method, path in fake_azure.requests if azure.SUB_THROTTLED in path]
    # Each of the three reads and the dry run was throttled once, then retried after Retry-After.
    assert len(reads) == 8


def test_a_409_missing_registration_is_reported_never_acted_on_silently(app, customer, fake_azure):
    _, page = verify(app, customer, subscription_id=azure.SUB_UNREGISTERED_TRAP)

    assert markers(page)["permissions"] == ("failed", "MissingSubscriptionRegistration")
    assert not [
        path for method, path in fake_azure.requests if method == "POST" and "/register" in path
    ]
    step = step_html(page, "permissions")
    assert "Azure answered MissingSubscriptionRegistration, which we have no advice for" in step


def test_register_it_for_me_registers_the_provider_and_the_verification_passes(
    app, customer, fake_azure
):
    account_id, page = verify(app, customer, subscription_id=azure.SUB_PROVIDER_NOT_REGISTERED)
    assert "Register it for me" in page
    verification_id = re.search(r'data-verification-id="([^"]+)"', page).group(1)

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = customer.post(
        f"/accounts/{account_id}/verifications/{verification_id}/provider-registration",
        data={"csrf_token": token},
    )
    assert response.status_code == 303
    running = customer.get(f"/accounts/{account_id}").text
    assert verification_state(running) == "running"
    assert markers(running)["communication-provider"] == ("waiting", "Registering")

    work_off(app)

    page = customer.get(f"/accounts/{account_id}").text
    assert verification_state(page) == "passed"
    assert markers(page)["communication-provider"] == ("passed", None)
    assert (
        "POST",
        f"/subscriptions/{azure.SUB_PROVIDER_NOT_REGISTERED}/providers/Microsoft.Communication/register",
    ) in fake_azure.requests


def test_register_it_for_me_is_offered_only_when_the_role_allows_it(app, customer):
    _, page = verify(
        app,
        customer,
        client_id=azure.APP_READER,
        subscription_id=azure.SUB_PROVIDER_NOT_REGISTERED,
    )

    assert markers(page)["communication-provider"] == ("failed", "NotRegistered")
    assert "Register it for me</button>" not in page
    assert "Once step 4 passes" in page


def test_secret_is_in_no_redis_key_or_value_after_a_verification(app, customer, redis_url):
    add_account(customer, **GOOD)
    connection = Redis.from_url(redis_url)
    queued = dump(connection)
    work_off(app)

    for contents in (queued, dump(connection)):
        assert azure.SECRET.encode() not in contents


def dump(connection):
    """Every key and value in Redis, whatever its type, as bytes."""
    contents = []
    for key in connection.scan_iter():
        contents.append(key)
        kind = connection.type(key)
        if kind == b"string":
            contents.append(connection.get(key) or b"")
        elif kind == b"hash":
            contents.extend(b"%s=%s" % item for item in connection.hgetall(key).items())
        elif kind == b"list":
            contents.extend(connection.lrange(key, 0, -1))
        elif kind in (b"set",):
            contents.extend(connection.smembers(key))
        elif kind == b"zset":
            contents.extend(member for member, _ in connection.zrange(key, 0, -1, withscores=True))
    return b"\n".join(contents)


def test_register_it_for_me_is_offered_once_under_step_6_even_beside_a_warning(app, customer):
    soon = (date.today() + timedelta(days=5)).isoformat()

    _, page = verify(
        app,
        customer,
        subscription_id=azure.SUB_PROVIDER_NOT_REGISTERED,
        secret_expires_on=soon,
    )

    assert page.count("Register it for me</button>") == 1
    assert "Register it for me</button>" in step_html(page, "communication-provider")


@pytest.mark.parametrize(
    ("step", "words"),
    [
        (Step.PERMISSIONS, "No role yet: we keep checking"),
        (Step.COMMUNICATION_PROVIDER, "Azure is still working on it"),
    ],
)
def test_a_waiting_step_says_what_it_waits_for(app, step, words):
    row = StepResult(step=step, state=StepState.WAITING, facts={})
    with app.test_request_context():
        assert words in render_template("verifications/_step.html", row=row, verification=None)


def verdict(page):
    return page[
        page.index('<div class="verdict">') : page.index("</div>", page.index('class="verdict"'))
    ]


@pytest.mark.parametrize(
    ("changes", "says", "never"),
    [
        ({"client_id": azure.APP_READER}, "Go to step 4</a>, where the fix is", None),
        ({"subscription_id": azure.SUB_OUTAGE}, "what Azure answered", "where the fix is"),
        ({"client_id": azure.APP_UNKNOWN_ANSWER}, "what Azure answered", "where the fix is"),
        ({"subscription_id": azure.SUB_WARNED}, "Step 5</a> has a warning:", None),
    ],
)
def test_the_verdict_points_to_a_fix_only_where_there_is_one_and_names_warnings(
    app, customer, changes, says, never
):
    _, page = verify(app, customer, **changes)

    assert says in verdict(page)
    assert never is None or never not in verdict(page)
