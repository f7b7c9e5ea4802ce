"""Starting a verification, restarting it for provider registration, and ending stale ones."""

from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .. import queue, webhooks
from ..extensions import db
from ..models import StepResult, Verification, utcnow
from .codes import Code
from .steps import Step, StepState, VerificationState


def start(account):
    """Start verifying `account`, or return the verification already running for it."""
    verification = Verification(account=account, deadline_at=deadline())
    verification.steps = [StepResult(step=step, position=step.number) for step in Step]
    db.session.add(verification)
    try:
        db.session.commit()
    except IntegrityError:  # one is running already: a second click joins it
        db.session.rollback()
        return account.verifications.filter_by(running=True).first()
    return dispatch("portal.jobs.verify", verification)


def register_provider(verification):
    """Reopen a finished verification to register Microsoft.Communication; None if not allowed."""
    if not verification.provider_registration_possible:
        return None
    row = verification.step(Step.COMMUNICATION_PROVIDER)
    verification.running, verification.state = True, VerificationState.RUNNING
    verification.finished_at, verification.deadline_at = None, deadline()
    row.state, row.code = StepState.WAITING, Code.PROVIDER_REGISTERING
    try:
        db.session.commit()
    except IntegrityError:  # another verification of this account started meanwhile
        db.session.rollback()
        return None
    return dispatch("portal.jobs.register_provider", verification)


def stop_waiting(verification):
    """End a verification that waits for a re-check; the waiting step counts as failed."""
    if not (verification.running and verification.recheck_at):
        return
    for row in verification.steps:
        if row.state is StepState.WAITING:
            row.state = StepState.FAILED
    conclude(verification)


def dispatch(job, verification):
    try:
        queue.enqueue(job, verification.id)
    except queue.RedisError:
        current_app.logger.exception("Could not queue verification %s", verification.id)
        conclude(verification)
    return verification


def expire_if_stale(verification):
    """End a verification whose job vanished: shown as interrupted, with a retry, never running."""
    if verification and verification.running and utcnow() > verification.deadline_at:
        conclude(verification)
    return verification


def conclude(verification):
    """End the verification, store it, and tell the ColdSend back end."""
    verification.finish()
    db.session.commit()
    webhooks.announce(verification)


def deadline(starting=None):
    """When a job starting at `starting` (now by default) must have ended, queue margin included:
    past this, nothing is coming."""
    return (starting or utcnow()) + timedelta(seconds=current_app.config["VERIFY_DEADLINE"] + 30)
