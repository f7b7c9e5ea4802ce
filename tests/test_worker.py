"""The RQ worker that the run command starts: it boots, registers with Redis and stops cleanly."""

import os
import shutil
import signal
import time

import pytest
from redis import Redis
from rq import Worker

from fake_azure import scenarios as azure
from portal.extensions import db
from portal.models import AzureAccount
from portal.queue import QUEUES

from .conftest import add_account, running_worker
from .servers import RedisServer, wait_for
from .test_accounts import SQLITE_ONLY, sqlite_locked
from .test_verification import GOOD, markers, verification_state


def test_worker_listens_on_the_verification_then_webhook_queues_and_stops_on_sigterm(
    worker, redis_url, fake_azure
):
    connection = Redis.from_url(redis_url)
    (registered,) = Worker.all(connection=connection)
    # Verifications first: a webhook waits behind a customer's check, never the other way.
    assert [queue.name for queue in registered.queues] == list(QUEUES)
    # Its warm-up made a verification's first requests and sent none.
    assert fake_azure.requests == []

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=20) == 0
    assert Worker.all(connection=connection) == []


def children(pid):
    """The process ids whose parent is `pid`."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    # The command name may hold spaces: the parent id follows the last ')'.
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.add(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


@pytest.mark.reliability("a job's process killed", "interrupted within seconds")
def test_a_killed_job_ends_its_verification_as_interrupted_within_seconds(
    app, customer, worker, redis_url
):
    idle = children(worker.pid)
    account_id = add_account(customer, **{**GOOD, "subscription_id": azure.SUB_SLOW})
    wait_for(lambda: children(worker.pid) - idle, "the work horse", timeout=20)
    (horse,) = children(worker.pid) - idle

    os.kill(horse, signal.SIGKILL)
    killed_at = time.monotonic()

    def ended():
        with app.app_context():
            return not db.session.get(AzureAccount, account_id).last_verification.running

    wait_for(ended, "the verification's end", timeout=10)
    assert time.monotonic() - killed_at < 10
    page = customer.get(f"/accounts/{account_id}").text
    assert verification_state(page) == "error"
    assert "Interrupted" in {code for _, code in markers(page).values()}


@pytest.mark.reliability("Redis lost while a job runs", "verifies again once Redis is back")
def test_the_worker_rides_out_redis_lost_mid_job_and_verifies_once_it_is_back(
    app, customer, database_url, fake_azure
):
    server = RedisServer()
    server.start()
    app.config["REDIS_URL"] = server.url
    app.extensions.pop("redis", None)
    try:
        with running_worker(database_url, server.url, fake_azure) as process:
            idle = children(process.pid)
            add_account(customer, **{**GOOD, "name": "Slow", "subscription_id": azure.SUB_SLOW})
            wait_for(lambda: children(process.pid) - idle, "the slow job", timeout=20)
            server.stop()  # Redis is lost while the job runs, and is gone when it ends
            time.sleep(5)
            server.start()
            account_id = add_account(customer, **GOOD)

            def verified():
                with app.app_context():
                    last = db.session.get(AzureAccount, account_id).last_verification
                    return last is not None and not last.running

            wait_for(verified, "a verification after the outage", timeout=60)
            assert process.poll() is None
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)


@pytest.mark.reliability("SIGTERM to the worker while Redis is down", "the worker stops")
def test_a_stop_request_that_meets_a_lost_redis_stops_the_worker(database_url, fake_azure):
    server = RedisServer()
    server.start()
    try:
        with running_worker(database_url, server.url, fake_azure) as process:
            server.stop()
            time.sleep(1)
            process.terminate()

            assert process.wait(timeout=20) is not None
    finally:
        shutil.rmtree(server.directory, ignore_errors=True)


@SQLITE_ONLY
@pytest.mark.reliability("SQLite locked while the worker starts", "it starts; warm-up skipped")
def test_a_database_locked_at_start_does_not_keep_the_worker_from_starting(
    app, database_url, redis_url, fake_azure
):
    with sqlite_locked(database_url), running_worker(database_url, redis_url, fake_azure):
        assert Worker.all(connection=Redis.from_url(redis_url))
