"""Webhooks: tell the ColdSend back end when a verification ends, signed as Stripe signs.

The receiver checks `ColdSend-Signature: t=<unix time>,v1=<hex HMAC-SHA256>` computed with
PORTAL_WEBHOOK_SECRET over `<t>.<raw body>`, and rejects old timestamps. A delivery that is not
answered with a 2xx is retried by RQ with growing pauses; every attempt is recorded.
"""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import requests
from flask import current_app

from . import queue
from .extensions import db
from .models import Verification, WebhookDelivery, new_id, utcnow

SIGNATURE_HEADER = "ColdSend-Signature"
TIMEOUT = (5, 10)  # connect, read


class DeliveryFailed(Exception):
    """The receiver did not take the event; RQ retries the job."""


def sign(secret, timestamp, body):
    """Return the signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def announce(verification):
    """Queue the events of a finished verification, if the back end asked for webhooks:
    `verification.finished`, unless the schedule started it (a daily "still fine" for every
    account is noise), and `account.status_changed` when its outcome differs from the one
    before. Return the deliveries (none, and nothing read, without a webhook URL)."""
    if not current_app.config["WEBHOOK_URL"]:
        return []
    events = [] if verification.started_by == "schedule" else [finished_event(verification)]
    previous = previous_outcome(verification)
    if previous is not None and changed(previous, verification.outcome):
        events.append(status_changed_event(verification, previous))
    return send(events)


def send(events):
    """Store the events' deliveries with whatever the session holds, in one commit, then
    queue them; return the deliveries (none without a webhook URL)."""
    url = current_app.config["WEBHOOK_URL"]
    deliveries = [WebhookDelivery(url=url, event=event) for event in events] if url else []
    db.session.add_all(deliveries)
    db.session.commit()
    for delivery in deliveries:
        try:
            queue.enqueue_retried(deliver, delivery.id)
        except queue.RedisError:
            current_app.logger.exception("Could not queue webhook delivery %s", delivery.id)
    return deliveries


def previous_outcome(verification):
    """The outcome of the account's verification finished before this one, or None."""
    earlier = (
        verification.account.verifications.filter(
            Verification.id != verification.id,
            Verification.running.is_(None),
            Verification.created_at <= verification.created_at,
        )
        .limit(1)
        .first()
    )
    return earlier and earlier.outcome


def changed(before, after):
    return (before["state"], before["failed_step"]) != (after["state"], after["failed_step"])


def status_changed_event(verification, previous):
    return event(
        "account.status_changed",
        verification.account,
        started_by=verification.started_by,
        previous=previous,
        current=verification.outcome,
    )


def finished_event(verification):
    steps = [
        {"step": row.step.value, "state": row.state.value, "code": row.code}
        for row in verification.steps
    ]
    return event("verification.finished", verification.account, **verification.outcome, steps=steps)


def secret_expiring(account, reminder, status):
    """Queue the reminder that the account's secret expires in `reminder` days (0: it has),
    with its SecretStatus; nothing is queued without a webhook URL."""
    data = {
        "credential_type": account.credential_type,
        "secret_expires_on": account.secret_expires_on.isoformat(),
        "reminder_days": reminder,
        "status": status.status,
        "days_left": status.days_left,
    }
    return send([event("account.secret_expiring", account, **data)])


def event(kind, account, **data):
    """An event of type `kind` about `account`, with `data` beside its ids."""
    return {
        "id": new_id(),
        "type": kind,
        "created": int(time.time()),
        "data": {"workspace_id": account.workspace.external_id, "account_id": account.id, **data},
    }


def forgotten():
    """Deliveries whose queuing failed when they were made (Redis down), after a few minutes'
    grace for the queue."""
    return db.session.scalars(
        db.select(WebhookDelivery)
        .filter_by(state="pending", attempts=0)
        .filter(WebhookDelivery.created_at < utcnow() - timedelta(minutes=5))
    ).all()


def deliver(delivery_id):
    """POST one event; raise on failure so that RQ retries it, until the retries are spent."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state != "pending":
        return
    body = json.dumps(delivery.event, separators=(",", ":")).encode()
    delivery.attempts += 1
    try:
        response = requests.post(
            delivery.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "coldsend-azure-connect",
                SIGNATURE_HEADER: sign(
                    current_app.config["WEBHOOK_SECRET"], int(time.time()), body
                ),
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        delivery.last_status, delivery.last_error = response.status_code, None
    except requests.RequestException as error:
        delivery.last_status, delivery.last_error = None, f"{type(error).__name__}: {error}"[:500]
    if delivery.last_status is not None and 200 <= delivery.last_status < 300:
        delivery.state, delivery.delivered_at = "delivered", utcnow()
    elif delivery.attempts > len(current_app.config["WEBHOOK_RETRY_INTERVALS"]):
        delivery.state = "failed"
    db.session.commit()
    if delivery.state == "pending":
        raise DeliveryFailed(f"delivery {delivery.id}, attempt {delivery.attempts} not taken")
