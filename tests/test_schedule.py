"""Scheduled re-verification: once per period per account, spread out, and a webhook only
when an account's outcome changes."""

import json
import uuid
from collections import Counter
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fake_azure import scenarios as azure
from portal import jobs, schedule
from portal.extensions import db
from portal.models import AzureAccount, utcnow

from .conftest import add_account, work_off
from .test_webhooks import GOOD, receiver  # noqa: F401 (a fixture)

DAY = timedelta(days=1)


@given(
    account_id=st.uuids().map(str),
    period=st.integers(60, 366 * 86400).map(lambda seconds: timedelta(seconds=seconds)),
    after=st.datetimes(datetime(2020, 1, 1), datetime(2100, 1, 1)),
)
def test_each_account_comes_round_once_a_period_at_its_own_offset(account_id, period, after):
    first = schedule.next_check(account_id, period, after)
    then = schedule.next_check(account_id, period, first)

    assert after < first <= after + period
    assert then - first == period
    assert (first - schedule.EPOCH) % period == schedule.offset(account_id, period)


def test_ten_thousand_accounts_spread_over_the_day_not_in_one_minute():
    now = datetime(2026, 11, 30, 9, 0)
    minutes = Counter(
        schedule.next_check(str(uuid.uuid4()), DAY, now).replace(second=0, microsecond=0)
        for _ in range(10_000)
    )

    # 10,000 over 1,440 minutes is about 7 a minute; evenly spread, none has 4 times that.
    assert len(minutes) > 1_400
    assert max(minutes.values()) < 28


def account_row(app, account_id):
    with app.app_context():
        return db.session.get(AzureAccount, account_id)


def make_due(app, *account_ids):
    with app.app_context():
        for account_id in account_ids:
            db.session.get(AzureAccount, account_id).next_check_at = utcnow() - timedelta(seconds=1)
        db.session.commit()


def reverify_due(app):
    with app.app_context():
        return jobs.reverify_due()


def test_a_first_pass_places_the_account_in_the_schedule_a_failure_does_not(app, customer):
    passing = add_account(customer, **GOOD)
    failing = add_account(customer, **{**GOOD, "name": "Staging", "client_id": azure.APP_READER})
    work_off(app)

    planned = account_row(app, passing).next_check_at
    assert utcnow() < planned <= utcnow() + DAY
    assert account_row(app, failing).next_check_at is None


def test_a_due_account_is_verified_once_then_waits_a_period(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    make_due(app, account_id)

    assert reverify_due(app) == 1
    assert reverify_due(app) == 0  # not twice in one period
    work_off(app)

    planned = account_row(app, account_id).next_check_at
    assert utcnow() < planned <= utcnow() + DAY
    assert planned == schedule.next_check(account_id, DAY, utcnow())  # its own place in the day
    with app.app_context():
        last = db.session.get(AzureAccount, account_id).last_verification
        assert (last.started_by, last.state.value) == ("schedule", "passed")


def test_no_more_than_the_minute_s_share_start_at_once(app, customer):
    app.config["REVERIFY_PER_MINUTE"] = 2
    accounts = [add_account(customer, **{**GOOD, "name": f"Account {n}"}) for n in range(3)]
    work_off(app)
    make_due(app, *accounts)

    assert reverify_due(app) == 2
    work_off(app)
    assert reverify_due(app) == 1  # the one left over, the next minute


def test_a_workspace_at_its_limit_keeps_its_due_account_for_the_next_minute(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    make_due(app, account_id)
    app.config["VERIFICATIONS_IN_FLIGHT"] = 0

    assert reverify_due(app) == 0
    assert account_row(app, account_id).next_check_at < utcnow()


def test_off_starts_nothing(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    make_due(app, account_id)
    app.config["REVERIFY_EVERY"] = None

    assert reverify_due(app) == 0


def events(receiver):  # noqa: F811 (the fixture's value)
    return [json.loads(body) for _, body in receiver.received]


def test_an_unchanged_outcome_sends_no_webhook(app, customer, receiver):  # noqa: F811
    account_id = add_account(customer, **GOOD)
    work_off(app)
    receiver.received.clear()
    make_due(app, account_id)

    reverify_due(app)
    work_off(app)

    assert events(receiver) == []


def test_a_disabled_subscription_found_by_the_schedule_sends_status_changed(
    app,
    customer,
    receiver,  # noqa: F811
    fake_azure,
):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    receiver.received.clear()
    fake_azure.subscriptions[azure.SUB_READY].state = "Disabled"
    make_due(app, account_id)

    reverify_due(app)
    work_off(app)

    (event,) = events(receiver)
    assert event["type"] == "account.status_changed"
    data = event["data"]
    assert (data["account_id"], data["started_by"]) == (account_id, "schedule")
    assert (data["previous"]["state"], data["previous"]["failed_step"]) == ("passed", None)
    current = data["current"]
    assert (current["state"], current["failed_step"], current["code"]) == (
        "failed",
        "subscription-id",
        "SubscriptionDisabled",
    )
    page = customer.get(f"/accounts/{account_id}").text
    assert data["current"]["verification_id"] in page  # the account shows what changed
    assert "ColdSend's scheduled check" in page


def test_a_customer_s_fix_sends_finished_and_status_changed(
    app,
    customer,
    receiver,  # noqa: F811
):
    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_READER})
    work_off(app)
    receiver.received.clear()
    with app.app_context():  # the app gets its role in Azure (here: an app that has it)
        account = db.session.get(AzureAccount, account_id)
        account.client_id = azure.APP_CONTRIBUTOR
        jobs.start(account)
    work_off(app)

    finished, status_changed = events(receiver)
    assert (finished["type"], finished["data"]["state"]) == ("verification.finished", "passed")
    assert status_changed["type"] == "account.status_changed"
    assert status_changed["data"]["started_by"] == "customer"
    assert status_changed["data"]["previous"]["failed_step"] == "permissions"
    assert status_changed["data"]["current"]["state"] == "passed"
