"""A verification's life: one at a time per account, always ending, polled cheaply."""

import re
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from flask import render_template
from redis import Redis
from rq.cron import CronScheduler
from sqlalchemy import event
from sqlalchemy.orm import Session

from fake_azure import scenarios as azure
from portal import jobs, verifying
from portal.config import Limits
from portal.extensions import db
from portal.models import AzureAccount, Verification, WebhookDelivery, utcnow
from portal.queue import QUEUE_NAME, queue

from .conftest import VALID_ACCOUNT, add_account, csrf_token, submit, work_off
from .test_accounts import SQLITE_ONLY
from .test_verification import GOOD, markers, verification_state


def verifications(app, account_id):
    with app.app_context():
        return db.session.scalars(db.select(Verification).filter_by(account_id=account_id)).all()


def start(customer, account_id, **headers):
    token = csrf_token(customer, "/accounts/new")
    return customer.post(
        f"/accounts/{account_id}/verifications", data={"csrf_token": token}, headers=headers
    )


def test_saving_the_form_starts_one_verification_with_only_its_id_in_the_queue(app, customer):
    account_id = add_account(customer, **GOOD)

    (verification,) = verifications(app, account_id)
    with app.app_context():
        (job,) = queue().get_jobs()
    assert job.func_name == "portal.jobs.verify"
    assert job.args == (verification.id,)
    assert job.kwargs == {}


def test_a_second_click_while_one_runs_joins_it_instead_of_starting_another(app, customer):
    account_id = add_account(customer, **GOOD)

    response = start(customer, account_id)

    assert response.status_code == 303
    assert len(verifications(app, account_id)) == 1
    with app.app_context():
        assert queue().count == 1


def test_verify_again_after_the_end_starts_a_new_verification(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)

    start(customer, account_id)
    work_off(app)

    runs = verifications(app, account_id)
    assert [run.state.value for run in runs] == ["passed", "passed"]
    assert "Earlier checks" in customer.get(f"/accounts/{account_id}").text


def test_htmx_gets_the_panel_and_a_summary_for_the_live_region(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)

    # As htmx sends it from the panel's own form (hx-target="#verification").
    response = start(customer, account_id, **{"HX-Request": "true", "HX-Target": "verification"})

    assert response.status_code == 200
    assert 'data-verification-state="running"' in response.text
    assert 'hx-trigger="load, again"' in response.text
    assert 'id="verification-status" hx-swap-oob="innerHTML"' in response.text


def test_polling_gets_204_until_something_changes_then_the_final_state_that_polls_no_more(
    app, customer
):
    account_id = add_account(customer, **GOOD)
    page = customer.get(f"/accounts/{account_id}").text
    poll = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")

    assert customer.get(poll).status_code == 204
    work_off(app)
    final = customer.get(poll)

    assert final.status_code == 200
    assert verification_state(final.text) == "passed"
    assert 'hx-trigger="load, again"' not in final.text  # no next poll
    assert "All six steps passed, and the dry run found nothing in the way." in final.text


def test_a_verification_whose_job_vanished_ends_as_interrupted_with_a_retry(app, customer):
    account_id = add_account(customer, **GOOD)
    with app.app_context():
        verification = db.session.scalars(db.select(Verification)).one()
        verification.deadline_at = utcnow() - timedelta(seconds=1)
        db.session.commit()

    page = customer.get(f"/accounts/{account_id}").text

    assert verification_state(page) == "error"
    assert set(markers(page).values()) == {("error", "Interrupted")}
    assert "Try again" in page
    assert "what happened." in page and "what Azure answered" not in page  # Azure was not asked


def test_the_job_deadline_ends_a_verification_that_azure_keeps_waiting(app, customer):
    app.config.update(VERIFY_DEADLINE=1, VERIFY_LIMITS=Limits(read_timeout=10, retries=0))
    account_id = add_account(customer, **{**GOOD, "subscription_id": azure.SUB_SLOW})

    work_off(app)

    page = customer.get(f"/accounts/{account_id}").text
    assert verification_state(page) == "error"
    assert markers(page)["permissions"] == ("error", "Interrupted")


@pytest.mark.reliability("Redis down when a check starts", "saved; QueueUnavailable, ours")
def test_with_redis_down_saving_still_works_and_the_check_says_it_did_not_run(app, customer):
    app.config["REDIS_URL"] = "unix:///nonexistent/redis.sock"
    app.extensions.pop("redis", None)

    account_id = add_account(customer, **GOOD)

    page = customer.get(f"/accounts/{account_id}").text
    assert verification_state(page) == "error"
    assert set(code for _, code in markers(page).values()) == {"QueueUnavailable"}
    assert "our job queue is unavailable" in page
    assert "Azure did not answer" not in page
    assert "Try again" in page


def test_renaming_does_not_verify_again_but_a_new_secret_does(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    edit = f"/accounts/{account_id}/edit"

    submit(customer, edit, {**VALID_ACCOUNT, **GOOD, "name": "Renamed", "client_secret": ""})
    assert len(verifications(app, account_id)) == 1

    submit(customer, edit, {**VALID_ACCOUNT, **GOOD, "name": "Renamed"})
    assert len(verifications(app, account_id)) == 2


def test_new_values_saved_while_a_role_is_awaited_get_a_check_of_their_own(app, customer):
    app.config["RECHECK_DELAYS"] = (60,)
    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_NO_ROLE})
    work_off(app)

    submit(customer, f"/accounts/{account_id}/edit", {**VALID_ACCOUNT, **GOOD, "client_secret": ""})
    work_off(app)

    waited, fresh = sorted(verifications(app, account_id), key=lambda run: run.created_at)
    assert waited.state.value == "failed" and fresh.state.value == "passed"
    page = customer.get(f"/accounts/{account_id}").text
    assert "Everything is set up" in page and "not checked yet" not in page


def test_another_workspaces_verification_is_not_found(app, customer, other_customer):
    account_id = add_account(customer, **GOOD)
    (verification,) = verifications(app, account_id)

    response = other_customer.get(f"/accounts/{account_id}/verifications/{verification.id}")

    assert response.status_code == 404


def test_jobs_leave_no_result_behind_in_redis(app, customer, redis_url):
    add_account(customer, **GOOD)
    work_off(app)

    keys = [key.decode() for key in Redis.from_url(redis_url).scan_iter("rq:results:*")]
    assert keys == []


def test_a_role_assigned_minutes_ago_is_checked_again_until_it_applies(app, customer):
    app.config["RECHECK_DELAYS"] = (0,)

    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_NEW_ROLE})
    work_off(app)

    page = customer.get(f"/accounts/{account_id}").text
    assert verification_state(page) == "passed"
    (verification,) = verifications(app, account_id)
    assert verification.attempt == 2


def test_while_waiting_for_a_role_the_page_says_when_it_checks_again_and_can_stop(app, customer):
    app.config["RECHECK_DELAYS"] = (60,)
    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_NO_ROLE})
    work_off(app)

    page = customer.get(f"/accounts/{account_id}").text
    assert verification_state(page) == "running"
    assert markers(page)["permissions"] == ("waiting", "NoRoleAssignment")
    assert "We check again by ourselves at" in page
    with app.app_context():
        assert len(queue().scheduled_job_registry) == 1

    (verification,) = verifications(app, account_id)
    token = csrf_token(customer, "/accounts/new")
    customer.post(
        f"/accounts/{account_id}/verifications/{verification.id}/stop", data={"csrf_token": token}
    )

    page = customer.get(f"/accounts/{account_id}").text
    assert verification_state(page) == "failed"
    assert markers(page)["permissions"] == ("failed", "NoRoleAssignment")
    assert "We check again" not in page and "Waiting for" not in page  # nothing more promised


def test_re_checks_give_up_after_the_last_pause(app, customer):
    app.config["RECHECK_DELAYS"] = (0, 0)

    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_NO_ROLE})
    work_off(app)

    page = customer.get(f"/accounts/{account_id}").text
    assert verification_state(page) == "failed"
    assert markers(page)["permissions"] == ("failed", "NoRoleAssignment")
    (verification,) = verifications(app, account_id)
    assert verification.attempt == 3


def test_the_sweep_ends_vanished_verifications_and_tells_the_back_end(app, customer):
    app.config["WEBHOOK_URL"], app.config["WEBHOOK_SECRET"] = "http://127.0.0.1:9/hooks", "x" * 40
    account_id = add_account(customer, **GOOD)
    with app.app_context():
        db.session.execute(
            db.update(Verification).values(deadline_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        queue().empty()

        assert jobs.sweep() == (1, 0)

        (verification,) = verifications(app, account_id)
        assert verification.state.value == "error"
        (delivery,) = db.session.scalars(db.select(WebhookDelivery)).all()
        assert delivery.event["data"]["verification_id"] == verification.id


def test_the_cron_configuration_registers_its_jobs_and_their_intervals(redis_url):
    scheduler = CronScheduler(connection=Redis.from_url(redis_url))

    scheduler.load_config_from_file("portal.cron")

    registered = {(job.func, job.interval, job.queue_name) for job in scheduler.get_jobs()}
    assert registered == {
        (jobs.sweep, 60, QUEUE_NAME),
        (jobs.reverify_due, 60, QUEUE_NAME),
        (jobs.remind_of_expiring_secrets, 3600, QUEUE_NAME),
        (jobs.forget_unused_certificates, 3600, QUEUE_NAME),
    }


def register_url(account_id, verification_id):
    return f"/accounts/{account_id}/verifications/{verification_id}/provider-registration"


@pytest.mark.reliability("Register on an outdated verification", "refused; Azure not asked")
def test_register_it_for_me_is_refused_on_a_verification_older_than_the_values(
    app, customer, fake_azure
):
    account_id = add_account(
        customer, **{**GOOD, "subscription_id": azure.SUB_PROVIDER_NOT_REGISTERED}
    )
    work_off(app)
    (older,) = verifications(app, account_id)
    submit(customer, f"/accounts/{account_id}/edit", {**GOOD, "subscription_id": azure.SUB_DELETED})
    work_off(app)

    token = csrf_token(customer, "/accounts/new")
    customer.post(register_url(account_id, older.id), data={"csrf_token": token})
    work_off(app)

    assert not [path for method, path in fake_azure.requests if path.endswith("/register")]
    assert {v.id: v.state.value for v in verifications(app, account_id)}[older.id] == "failed"


@pytest.mark.reliability("two Register clicks at once", "one reopens the verification")
def test_of_two_register_clicks_at_once_one_reopens_the_verification(app, customer):
    account_id = add_account(
        customer, **{**GOOD, "subscription_id": azure.SUB_PROVIDER_NOT_REGISTERED}
    )
    work_off(app)
    (verification,) = verifications(app, account_id)
    # Each click reads the verification as finished before either reopens it.
    first, second = (app.app_context() for _ in range(2))
    with first:
        seen_first = db.session.get(Verification, verification.id)
        assert seen_first.provider_registration_possible
        with second:
            seen_second = db.session.get(Verification, verification.id)
            assert seen_second.provider_registration_possible
            assert verifying.reopen_for_registration(seen_second) is True
        assert verifying.reopen_for_registration(seen_first) is False


@pytest.mark.reliability("Stop waiting as a re-check starts", "nothing changes")
def test_stop_waiting_once_the_re_check_has_started_changes_nothing(app, customer):
    app.config["RECHECK_DELAYS"] = (60,)
    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_NO_ROLE})
    work_off(app)
    (verification,) = verifications(app, account_id)

    with app.app_context():
        started = db.session.get(Verification, verification.id)
        assert verifying.claim(started)  # the re-check job has begun
        verifying.stop_waiting(db.session.get(Verification, verification.id))
        assert db.session.get(Verification, verification.id).running is True


def test_a_re_check_that_starts_after_stop_waiting_does_not_run(app, customer, fake_azure):
    app.config["RECHECK_DELAYS"] = (60,)
    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_NO_ROLE})
    work_off(app)
    (verification,) = verifications(app, account_id)
    with app.app_context():
        verifying.stop_waiting(db.session.get(Verification, verification.id))
        fake_azure.reset()

        assert verifying.check_every_step(verification.id) is None

    assert fake_azure.requests == []
    assert verifications(app, account_id)[0].state.value == "failed"


@pytest.mark.reliability("an outdated verification of an unregistered provider", "its page, no 500")
def test_an_outdated_verification_of_an_unregistered_provider_still_shows(app, customer):
    account_id = add_account(
        customer, **{**GOOD, "subscription_id": azure.SUB_PROVIDER_NOT_REGISTERED}
    )
    work_off(app)
    (older,) = verifications(app, account_id)
    app.config["VERIFICATIONS_IN_FLIGHT"] = 0  # the edit is saved, its check must wait
    submit(
        customer,
        f"/accounts/{account_id}/edit",
        {**GOOD, "name": "Production", "client_secret": azure.SECRET},
    )

    page = customer.get(f"/accounts/{account_id}")
    status = customer.get(f"/accounts/{account_id}/verifications/{older.id}")

    assert page.status_code == status.status_code == 200
    assert "Verify again to register it from here" in page.text
    assert "Register it for me</button>" not in page.text


@pytest.mark.reliability(
    "the worker starts a verification while a page reads the account", "one consistent state"
)
def test_an_accounts_status_and_its_verification_come_from_one_read(app, customer):
    account_id = add_account(customer, **{**GOOD, "client_secret": "Wrong8Q~" + "x" * 33})
    work_off(app)  # failed at step 3
    fired = []

    def the_worker_commits_a_new_verification(conn, cursor, statement, *args):
        if fired or "FROM verification" not in statement:
            return
        fired.append(statement)
        with Session(db.engine) as worker:
            worker.add(
                Verification(
                    account_id=account_id,
                    created_at=utcnow() + timedelta(seconds=1),
                    deadline_at=utcnow() + timedelta(minutes=5),
                )
            )
            worker.commit()

    with app.test_request_context():
        account = db.session.get(AzureAccount, account_id)
        event.listen(db.engine, "after_cursor_execute", the_worker_commits_a_new_verification)
        try:
            html = render_template("accounts/_status.html", account=account)
        finally:
            event.remove(db.engine, "after_cursor_execute", the_worker_commits_a_new_verification)

    assert fired  # the new verification was committed during the render
    assert "Needs attention: step 3" in html  # what the one read saw, told whole


@pytest.mark.reliability("values saved while a check of the old ones runs", "not called done")
def test_a_check_that_started_before_a_change_does_not_say_everything_is_set_up(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)  # passed
    with app.app_context():  # saved while that check ran: it joined the running one
        db.session.get(AzureAccount, account_id).credentials_changed_at = utcnow()
        db.session.commit()

    page = customer.get(f"/accounts/{account_id}").text

    assert verification_state(page) == "passed"
    assert "Your changes are not checked yet" in page
    assert "Everything is set up" not in page and "data-portal-done" not in page
    assert "Changed since the last check" in page


@SQLITE_ONLY
@pytest.mark.reliability("A role re-check waiting on Azure", "no other writer waits")
def test_a_re_check_holds_no_database_lock_while_azure_answers(
    app, customer, fake_azure, database_url
):
    app.config["RECHECK_DELAYS"] = (60,)
    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_NO_ROLE})
    work_off(app)
    (verification,) = verifications(app, account_id)

    def re_check():
        with app.app_context():
            jobs.verify(verification.id)

    fake_azure.latency = 0.3
    thread = threading.Thread(target=re_check)
    thread.start()
    try:
        time.sleep(0.5)  # inside the re-check, Azure still answering
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0.1)
        other.execute("BEGIN IMMEDIATE")  # a writer gets the lock at once
        other.rollback()
        other.close()
    finally:
        thread.join()
        fake_azure.latency = 0
    assert verifications(app, account_id)[0].attempt == 2
