"""Webhooks to the ColdSend back end: signed, retried on failure, recorded, never duplicated."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from fake_azure import scenarios as azure
from portal.extensions import db
from portal.models import Verification, WebhookDelivery, utcnow

from .conftest import add_account, enter, work_off

SECRET = "whsec-test-0123456789abcdef0123456789abcdef"
GOOD = {
    "tenant_id": azure.TENANT,
    "client_id": azure.APP_CONTRIBUTOR,
    "client_secret": azure.SECRET,
    "subscription_id": azure.SUB_READY,
}


class Receiver:
    """A webhook endpoint on loopback answering with the statuses it is given, then 200."""

    def __init__(self):
        self.statuses, self.received = [], []

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.received.append((dict(request.headers), request.get_data()))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status=status)(environ, start_response)


@pytest.fixture
def receiver(app):
    receiver = Receiver()
    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(
        WEBHOOK_URL=f"http://127.0.0.1:{server.server_port}/hooks/azure-connect",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_RETRY_INTERVALS=(0, 0),
    )
    yield receiver
    server.shutdown()
    thread.join()


def verify_signature(header, body, secret, tolerance=300):
    """The receiver's check, written from the description alone, as ColdSend's would be."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return abs(time.time() - timestamp) <= tolerance and hmac.compare_digest(
        expected.hexdigest(), parts["v1"]
    )


def deliveries(app):
    with app.app_context():
        return db.session.scalars(db.select(WebhookDelivery)).all()


def test_a_finished_verification_is_posted_signed(app, customer, receiver):
    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_READER})
    work_off(app)

    ((headers, body),) = receiver.received
    assert verify_signature(headers["Coldsend-Signature"], body, SECRET)
    assert not verify_signature(headers["Coldsend-Signature"], body, "another secret")
    event = json.loads(body)
    assert event["type"] == "verification.finished"
    assert event["data"]["workspace_id"] == "acme"
    assert event["data"]["account_id"] == account_id
    assert (event["data"]["state"], event["data"]["failed_step"], event["data"]["code"]) == (
        "failed",
        "permissions",
        "ReaderOnly",
    )
    assert azure.SECRET.encode() not in body


def test_a_receiver_failing_with_500_gets_the_event_again_and_the_attempts_are_recorded(
    app, customer, receiver
):
    receiver.statuses = [500]
    add_account(customer, **GOOD)
    work_off(app)

    assert len(receiver.received) == 2
    (delivery,) = deliveries(app)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 2, 200)
    assert receiver.received[0][1] == receiver.received[1][1]  # the same event, the same id


def test_a_2xx_answer_ends_the_deliveries(app, customer, receiver):
    receiver.statuses = [204]
    add_account(customer, **GOOD)
    work_off(app)

    assert len(receiver.received) == 1
    (delivery,) = deliveries(app)
    assert (delivery.state, delivery.attempts) == ("delivered", 1)


def test_retries_are_bounded_and_the_failure_is_recorded(app, customer, receiver):
    receiver.statuses = [500, 502, 503, 500]
    add_account(customer, **GOOD)
    work_off(app)

    assert len(receiver.received) == 3
    (delivery,) = deliveries(app)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 3, 503)


def test_an_unreachable_receiver_is_recorded_with_its_error(app, customer, receiver):
    app.config["WEBHOOK_URL"] = "http://127.0.0.1:9/nothing-here"
    add_account(customer, **GOOD)
    work_off(app)

    (delivery,) = deliveries(app)
    assert delivery.state == "failed"
    assert delivery.last_error.startswith("ConnectionError")


def test_without_a_webhook_url_nothing_is_sent(app, customer):
    add_account(customer, **GOOD)
    work_off(app)

    assert deliveries(app) == []


@pytest.mark.reliability("12 polls at once find a verification stale", "one webhook, not 12")
def test_of_many_polls_ending_a_stale_verification_at_once_one_sends_the_webhook(
    app, customer, receiver
):
    account_id = add_account(customer, **GOOD)  # its job never runs: it goes stale
    with app.app_context():
        (verification,) = db.session.scalars(db.select(Verification)).all()
        verification.deadline_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        stale_id = verification.id
    start = threading.Barrier(12)

    def poll():
        client = enter(app.test_client())
        start.wait()
        client.get(f"/accounts/{account_id}/verifications/{stale_id}?seen=x")

    polls = [threading.Thread(target=poll) for _ in range(12)]
    for thread in polls:
        thread.start()
    for thread in polls:
        thread.join()

    with app.app_context():
        finished = [d for d in deliveries(app) if d.event["type"] == "verification.finished"]
    assert len(finished) == 1
