"""RQ jobs: plain functions that take a verification id, never a secret.

The secret is decrypted here, in the worker, only for the length of the job. Whatever happens,
the verification ends in a final state.
"""

from contextlib import contextmanager

from flask import current_app

from .extensions import db
from .models import Verification
from .verification import checks, run
from .verification.azure import AzureSession
from .verification.clouds import cloud_from
from .verification.steps import Step, StepState


def verify(verification_id):
    """Check every guide step of the verification's account against Azure."""
    verification = running_verification(verification_id)
    if verification is None:
        return
    with azure_session(verification) as (session, recorder):
        run.run_checks(session, verification.account.subscription_id, recorder)
        if verification.step(Step.COMMUNICATION_PROVIDER).state is StepState.WAITING:
            watch_provider(verification, session, recorder)


def register_provider(verification_id):
    """Register Microsoft.Communication as the customer's app, then watch until it is done."""
    verification = running_verification(verification_id)
    if verification is None:
        return
    with azure_session(verification) as (session, recorder):
        outcome = checks.register_provider(session, verification.account.subscription_id)
        recorder.record(outcome)
        if outcome.state is StepState.WAITING:
            watch_provider(verification, session, recorder)


def watch_provider(verification, session, recorder):
    config = current_app.config
    run.watch_provider(
        session,
        verification.account.subscription_id,
        recorder,
        interval=config["PROVIDER_POLL_INTERVAL"],
        timeout=config["PROVIDER_POLL_TIMEOUT"],
    )


def running_verification(verification_id):
    """Return the verification if it still waits for this job: a repeated job finds it done."""
    # A forked job must not reuse the parent's pooled connections.
    db.engine.dispose(close=False)
    verification = db.session.get(Verification, verification_id)
    return verification if verification is not None and verification.running else None


@contextmanager
def azure_session(verification):
    """Open an Azure session for `verification` and finish the verification afterwards."""
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
        yield session, run.StepRecorder(verification, secret)
    except Exception:
        # Logged without locals, and Azure's messages never carry the secret.
        current_app.logger.exception("Verification %s stopped unexpectedly", verification.id)
        db.session.rollback()
    finally:
        if session is not None:
            session.close()
        verification.finish()
        db.session.commit()
