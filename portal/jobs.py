"""RQ jobs: plain functions that take a verification id, never a secret.

The secret is decrypted here, in the worker, only for the length of the job. Whatever happens,
the verification ends in a final state, or is left waiting for a scheduled re-check.
"""

from datetime import timedelta

from flask import current_app

from . import queue
from .extensions import db
from .models import Verification, WebhookDelivery, utcnow
from .verification import checks, dry_run, lifecycle, run
from .verification.azure import AzureSession
from .verification.clouds import cloud_from
from .verification.codes import may_be_propagating
from .verification.steps import Step, StepState


def verify(verification_id):
    """Check every guide step of the verification's account against Azure."""
    verification = running_verification(verification_id)
    if verification is None:
        return

    def check_every_step(session, recorder):
        verification.attempt += 1
        recorder.start_over()
        dry_run = dry_run_of(verification, session)
        run.run_checks(session, verification.account.subscription_id, recorder, dry_run)
        run.warn_of_expiry(verification.account.secret_expires_on, recorder)
        if verification.step(Step.COMMUNICATION_PROVIDER).state is StepState.WAITING:
            watch_provider(verification, session, recorder)
            run.dry_run_again(recorder, dry_run)

    with_azure(verification, check_every_step)
    if not recheck_later(verification):
        lifecycle.conclude(verification)


def register_provider(verification_id):
    """Register Microsoft.Communication as the customer's app, then watch until it is done."""
    verification = running_verification(verification_id)
    if verification is None:
        return

    def register_and_watch(session, recorder):
        outcome = checks.register_provider(session, verification.account.subscription_id)
        recorder.record(outcome)
        if outcome.state is StepState.WAITING:
            watch_provider(verification, session, recorder)
        run.dry_run_again(recorder, dry_run_of(verification, session))

    with_azure(verification, register_and_watch)
    lifecycle.conclude(verification)


def dry_run_of(verification, session):
    """The dry run of what ColdSend will create in the account's subscription, to call later."""
    # Read now: the dry run runs in another thread, which must not touch the database.
    subscription_id, config = verification.account.subscription_id, current_app.config
    provisioning, timeout = config["PROVISIONING"], config["DRY_RUN_TIMEOUT"]
    return lambda: dry_run.coldsend_can_create(session, subscription_id, provisioning, timeout)


def watch_provider(verification, session, recorder):
    config = current_app.config
    run.watch_provider(
        session,
        verification.account.subscription_id,
        recorder,
        interval=config["PROVIDER_POLL_INTERVAL"],
        timeout=config["PROVIDER_POLL_TIMEOUT"],
    )


def recheck_later(verification):
    """Check again after a pause if only a role, perhaps still propagating, is missing."""
    delays = current_app.config["RECHECK_DELAYS"]
    failed = [row for row in verification.steps if row.state is StepState.FAILED]
    only_the_role = [row.step for row in failed] == [Step.PERMISSIONS]
    if not only_the_role or not may_be_propagating(failed[0].code):
        return False
    if verification.attempt > len(delays):
        return False
    delay = delays[verification.attempt - 1]
    failed[0].state = StepState.WAITING
    verification.recheck_at = utcnow() + timedelta(seconds=delay)
    verification.deadline_at = lifecycle.deadline(starting=verification.recheck_at)
    db.session.commit()
    queue.enqueue("portal.jobs.verify", verification.id, delay=delay)
    return True


def sweep():
    """End verifications past their deadline and queue webhooks that never got queued."""
    stale = db.session.scalars(
        db.select(Verification).filter(
            Verification.running.is_(True), Verification.deadline_at < utcnow()
        )
    ).all()
    for verification in stale:
        lifecycle.conclude(verification)
    # Queuing failed when they were created (Redis down); a few minutes' grace for the queue.
    forgotten = db.session.scalars(
        db.select(WebhookDelivery)
        .filter_by(state="pending", attempts=0)
        .filter(WebhookDelivery.created_at < utcnow() - timedelta(minutes=5))
    ).all()
    for delivery in forgotten:
        queue.enqueue_retried("portal.webhooks.deliver", delivery.id)
    return len(stale), len(forgotten)


def running_verification(verification_id):
    """Return the verification if it still waits for this job: a repeated job finds it done."""
    # A forked job must not reuse the parent's pooled connections.
    db.engine.dispose(close=False)
    verification = db.session.get(Verification, verification_id)
    return verification if verification is not None and verification.running else None


def with_azure(verification, work):
    """Run `work(session, recorder)` signed in as the account's app; log a failure, never raise.

    Whatever `work` left unfinished then ends as interrupted when the verification finishes.
    """
    account, session = verification.account, None
    try:
        secret = account.client_secret()
        session = AzureSession(
            cloud_from(current_app.config),
            current_app.config["VERIFY_LIMITS"],
            account.tenant_id,
            account.client_id,
            secret,
            request_id=verification.id,
        )
        work(session, run.StepRecorder(verification, secret))
    except Exception:
        # Logged without locals, and Azure's messages never carry the secret.
        current_app.logger.exception("Verification %s stopped unexpectedly", verification.id)
        db.session.rollback()
    finally:
        if session is not None:
            session.close()
