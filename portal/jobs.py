"""RQ jobs, and how they are queued: plain functions that take a verification id, never a secret.

The secret is decrypted in the worker, inside the job, only for its length (`verifying`).
Whatever happens, a verification ends in a final state, or is left waiting for a re-check
that is queued here.
"""

from flask import current_app

from . import pending_certificates, queue, schedule, secret_expiry, verifying, webhooks
from .extensions import db
from .models import utcnow


def start(account, started_by="customer"):
    """Verify `account` now; a verification already running is returned, not started again.

    None when the workspace already has VERIFICATIONS_IN_FLIGHT running: one customer's burst
    must not hold the queue for everyone else."""
    running = account.running_verification()
    if running is not None and running.recheck_at and account.outdated_by(running):
        # It waits to check a role for values the account no longer has: its re-check would
        # check the new ones under the old one's name. It ends, and the new values get theirs.
        verifying.stop_waiting(running)
        running = account.running_verification()
    if running is not None:
        return running
    if verifying.in_flight(account.workspace) >= current_app.config["VERIFICATIONS_IN_FLIGHT"]:
        return None
    verification, new = verifying.open_for(account, started_by)
    if new:
        dispatch(verify, verification)
    return verification


def register_provider_for(verification):
    """Register Microsoft.Communication for a finished verification, if the rule allows it."""
    if verifying.reopen_for_registration(verification):
        dispatch(register_provider, verification)
    return verification


def verify(verification_id):
    """RQ job: check every guide step, then the dry run; check again later if a role may
    still be propagating."""
    delay = verifying.check_every_step(verification_id)
    if delay is not None:
        queue.enqueue(verify, verification_id, delay=delay, on_failure=interrupted)


def reverify_due():
    """RQ cron job: start the scheduled verifications that are due, at most
    REVERIFY_PER_MINUTE, and plan each account's next; return how many started. An account
    whose workspace runs its maximum at once waits for the next minute."""
    config = current_app.config
    if config["REVERIFY_EVERY"] is None:
        return 0
    started = 0
    for account in schedule.due(config["REVERIFY_PER_MINUTE"]):
        if start(account, started_by="schedule") is not None:
            schedule.plan(account, config["REVERIFY_EVERY"])
            db.session.commit()
            started += 1
    return started


def remind_of_expiring_secrets():
    """RQ cron job: send each account's secret-expiry reminder that is due, once; return how
    many were sent."""
    today, sent = utcnow().date(), 0
    for account in secret_expiry.accounts_to_remind(today):
        owed = secret_expiry.reminder_owed(account, today)
        if owed is not None and secret_expiry.reminded(account, owed):
            # The mark and the delivery are committed together: one webhook per reminder.
            webhooks.secret_expiring(
                account, owed, secret_expiry.status_of(account.secret_expires_on, today)
            )
            sent += 1
    db.session.commit()
    return sent


def register_provider(verification_id):
    """RQ job: register Microsoft.Communication as the customer's app, and watch it finish."""
    verifying.register_and_watch(verification_id)


def sweep():
    """RQ cron job: end verifications past their deadline, queue webhooks never queued."""
    stale = verifying.stale()
    for verification in stale:
        verifying.end_vanished(verification)
    forgotten = webhooks.forgotten()
    for delivery in forgotten:
        queue.enqueue_retried(webhooks.deliver, delivery.id)
    return len(stale), len(forgotten)


def forget_unused_certificates():
    """RQ cron job: delete certificates made on a form that no account took within a week."""
    return pending_certificates.forget_unused()


def interrupted(job, *_):
    """End the verification of a job that died before it could (a killed work horse, a
    timeout, a worker lost): shown as interrupted within seconds, not at its deadline.

    RQ calls it as the jobs' failure callback, and worker.py as its handler for a work horse
    that was killed."""
    verifying.end_if_running(job.args[0])


def dispatch(job, verification):
    """Queue `job` for the verification; with Redis down it ends at once, as interrupted."""
    try:
        queue.enqueue(job, verification.id, on_failure=interrupted)
    except queue.RedisError:
        current_app.logger.exception("Could not queue verification %s", verification.id)
        verifying.could_not_start(verification)
