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
from .models import WebhookDelivery, new_id, utcnow

SIGNATURE_HEADER = "ColdSend-Signature"
TIMEOUT = (5, 10)  # connect, read


class DeliveryFailed(Exception):
    """The receiver did not take the event; RQ retries the job."""


def sign(secret, timestamp, body):
    """Return the signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def announce(verification):
    """Queue the event of a finished verification, if the back end asked for webhooks."""
    url = current_app.config["WEBHOOK_URL"]
    if not url:
        return None
    delivery = WebhookDelivery(url=url, event=finished_event(verification))
    db.session.add(delivery)
    db.session.commit()
    try:
        queue.enqueue_retried(deliver, delivery.id)
    except queue.RedisError:
        current_app.logger.exception("Could not queue webhook delivery %s", delivery.id)
    return delivery


def finished_event(verification):
    account = verification.account
    blocking = verification.blocking_step
    return {
        "id": new_id(),
        "type": "verification.finished",
        "created": int(time.time()),
        "data": {
            "workspace_id": account.workspace.external_id,
            "account_id": account.id,
            "verification_id": verification.id,
            "state": verification.state.value,
            "failed_step": blocking.step.value if blocking else None,
            "code": blocking.code if blocking else None,
            "steps": [
                {"step": row.step.value, "state": row.state.value, "code": row.code}
                for row in verification.steps
            ],
        },
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
