"""The one rule for the step that blocks, and every consumer agreeing with it."""

import re
from types import SimpleNamespace

import pytest

from fake_azure import scenarios as azure
from portal import verifying
from portal.extensions import db
from portal.models import AzureAccount, WebhookDelivery
from portal.verification.steps import Step, StepState, blocking

from .conftest import API_AUTH, add_account

P, F, E, W, S = (StepState.PASSED, StepState.FAILED, StepState.ERROR, StepState.WAITING,
                 StepState.SKIPPED)  # fmt: skip


def results(*states):
    return [
        SimpleNamespace(step=step, state=state) for step, state in zip(Step, states, strict=True)
    ]


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ((P, P, P, P, P, P, P), None),
        (
            (P, P, P, E, F, P, S),
            Step.SUBSCRIPTION_ID,
        ),  # the customer's mistake before Azure's fault
        ((P, P, P, E, E, E, S), Step.PERMISSIONS),
        ((P, F, S, S, S, S, S), Step.CLIENT_ID),
        ((P, P, P, W, S, S, S), Step.PERMISSIONS),
        ((P, P, P, F, P, F, S), Step.PERMISSIONS),  # the first in guide order
    ],
)
def test_the_blocking_step_is_the_first_failed_then_errored_then_waiting(states, expected):
    found = blocking(list(reversed(results(*states))))

    assert (found.step if found else None) == expected


def test_panel_status_line_history_host_event_webhook_and_api_name_the_same_step(
    app,
    customer,
    api,
):
    app.config["WEBHOOK_URL"], app.config["WEBHOOK_SECRET"] = "http://127.0.0.1:9/hooks", "x" * 40
    account_id = add_account(
        customer,
        tenant_id=azure.TENANT,
        client_id=azure.APP_CONTRIBUTOR,
        client_secret=azure.SECRET,
        subscription_id=azure.SUB_READY,
    )
    with app.app_context():
        verification = db.session.get(AzureAccount, account_id).last_verification
        outcome = {
            Step.PERMISSIONS: (E, "AzureThrottled"),
            Step.SUBSCRIPTION_ID: (F, "SubscriptionDisabled"),
        }
        for row in verification.steps:
            row.state, row.code = outcome.get(row.step, (P, None))
        verifying.conclude(verification)
        (delivery,) = db.session.scalars(db.select(WebhookDelivery)).all()
        webhook = delivery.event["data"]

    page = customer.get(f"/accounts/{account_id}").text
    listing = customer.get("/").text
    from_api = api.get(f"/api/v1/workspaces/acme/accounts/{account_id}", headers=API_AUTH).json

    assert re.search(
        r'data-failed-step="subscription-id" data-failed-code="SubscriptionDisabled"', page
    )
    assert "Step 5 needs your attention" in page
    assert "Needs attention: step 5" in listing
    assert (webhook["failed_step"], webhook["code"]) == ("subscription-id", "SubscriptionDisabled")
    last = from_api["last_verification"]
    assert (last["failed_step"], last["code"]) == ("subscription-id", "SubscriptionDisabled")

    # Once a newer check runs, the history row of this one names the same step.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    customer.post(f"/accounts/{account_id}/verifications", data={"csrf_token": token})
    history = customer.get(f"/accounts/{account_id}").text.split('class="history"')[1]
    assert "Step 5: <code>SubscriptionDisabled</code>" in history
