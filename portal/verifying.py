"""One verification from start to end: open it, run the checks, re-check, conclude.

This is where the pure core (`portal.verification`: steps, codes, checks, the Azure session,
the catalogue, the order of the checks) meets the database and the settings. Queuing is left to
`jobs.py`, whose RQ jobs call in here: nothing here knows RQ.
"""

import contextlib
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from . import audit, changes, schedule, secret_expiry, webhooks
from .crypto import SecretUnreadable
from .extensions import db
from .models import AzureAccount, StepResult, Verification, new_id, utcnow
from .verification import catalogue, checks, dry_run, run
from .verification.azure import AzureSession
from .verification.clouds import cloud_from
from .verification.codes import Code, may_be_propagating
from .verification.steps import Step, StepState, VerificationState

logger = logging.getLogger(__name__)


def open_for(account, started_by="customer"):
    """Open a verification of `account` for `started_by` ("customer", "schedule", "support");
    return it and whether it is new (else one was running already, and a second click joins
    it)."""
    for _ in range(3):
        verification = Verification(account=account, deadline_at=deadline(), started_by=started_by)
        verification.steps = [StepResult(step=step, position=step.number) for step in Step]
        db.session.add(verification)
        try:
            db.session.commit()
            return verification, True
        except IntegrityError as error:
            db.session.rollback()
            refused = error
        running = account.running_verification()
        if running is not None:
            return running, False
        # The one that was running finished in between: this click starts the next.
    raise refused


def reopen_for_registration(verification):
    """Reopen a finished verification to register Microsoft.Communication; False if the
    rule that offers "Register it for me" does not allow it."""
    if not verification.provider_registration_possible:
        return False
    try:
        # Reopened only if still finished: of two clicks at once, one reopens it.
        reopened = changed_if(
            verification,
            Verification.running.is_(None),
            running=True,
            state=VerificationState.RUNNING,
            finished_at=None,
            deadline_at=deadline(),
        )
        if not reopened:
            db.session.rollback()
            return False
        row = verification.step(Step.COMMUNICATION_PROVIDER)
        # Told before the step is overwritten: the failure it fixes stays in the record.
        audit.record(verification.account, "customer", "registered-provider", f"after {row.code}")
        row.state, row.code = StepState.WAITING, Code.PROVIDER_REGISTERING
        db.session.commit()
    except IntegrityError:  # another verification of this account started meanwhile
        db.session.rollback()
        return False
    return True


def check_every_step(verification_id):
    """Run every check of a running verification; return the pause in seconds before it is
    checked again (a role may still be propagating), or None once it has concluded."""
    verification = still_running(verification_id)
    if verification is None or not claim(verification):
        return None
    run_every_check(verification)
    delay = recheck_delay(verification)
    if delay is None:
        conclude(verification)
    return delay


def run_every_check(verification):
    """Check every step of the running `verification` against Azure, storing each result as
    it arrives (or, on a re-check, all at the end)."""

    account = verification.account

    def checks_in_order(session, recorder):
        # A re-check shows nothing until it knows: the page waiting for a role stays as it
        # is, and changes once, if at all, when the re-check is done (one commit at the end).
        # Nothing is even flushed before then: on SQLite a flush takes the database's write
        # lock, which every other request would wait on while Azure answers.
        recorder.quiet = verification.attempt > 0
        with db.session.no_autoflush if recorder.quiet else contextlib.nullcontext():
            verification.attempt += 1
            recorder.start_over()
            dry_run = dry_run_of(verification, session)
            run.run_checks(session, account.subscription_id, recorder, dry_run)
            # Warned from 60 days, as the list and the reminders count them.
            run.warn_of_expiry(
                account.secret_expires_on,
                recorder,
                catalogue.RENEWAL[account.credential_type][1],
                days=secret_expiry.REMINDERS[0],
            )
        if verification.step(Step.COMMUNICATION_PROVIDER).state is StepState.WAITING:
            recorder.quiet = False  # registering takes minutes: shown as it goes
            watch_provider(verification, session, recorder)
            run.dry_run_again(recorder, dry_run)

    with_azure(verification, checks_in_order)


def check_values(tenant_id, client_id, subscription_id, secret):
    """Check values that belong to no account, as the support CLI does, and return the
    finished Verification: the same checks as a stored account's, kept out of the database
    (nothing stored, no webhook), its secret sealed in memory only."""
    account = AzureAccount(id=new_id(), credentials_changed_at=utcnow())
    account.change_credentials(tenant_id, client_id, subscription_id)
    account.set_client_secret(secret)
    verification = Verification(
        id=new_id(), account=account, state=VerificationState.RUNNING, running=True, attempt=0
    )
    verification.steps = [
        StepResult(step=step, position=step.number, state=StepState.PENDING, facts={})
        for step in Step
    ]
    run_every_check(verification)
    verification.finish()
    return verification


def register_and_watch(verification_id):
    """Register Microsoft.Communication as the customer's app, watch it finish, dry-run."""
    verification = still_running(verification_id)
    if verification is None:
        return

    def register(session, recorder):
        outcome = checks.register_provider(session, verification.account.subscription_id)
        recorder.record(outcome)
        if outcome.state is StepState.WAITING:
            watch_provider(verification, session, recorder)
        run.dry_run_again(recorder, dry_run_of(verification, session))

    with_azure(verification, register)
    conclude(verification)


def claim(verification):
    """Take the verification for this job: its first run, or the re-check it waits for. False
    if "Stop waiting" took it first. Its deadline then counts from now, not from queuing."""
    taken = changed_if(
        verification,
        Verification.running.is_(True),
        db.or_(Verification.recheck_at.is_not(None), Verification.attempt == 0),
        recheck_at=None,
        deadline_at=deadline(),
    )
    if not taken or verification.attempt:
        db.session.commit()
    # Else a first run's claim is committed with its first steps marked running, a few
    # milliseconds on: one commit before Azure is asked. A re-check commits it now, as it
    # must hold no lock while Azure answers.
    return taken


def changed_if(verification, *conditions, **values):
    """Set `values` on the verification's row only if `conditions` still hold there, in one
    statement: of two requests racing for it, exactly one changes it. Tell whether it did."""
    statement = (
        db.update(Verification)
        .where(Verification.id == verification.id, *conditions)
        .values(**values)
    )
    changed = db.session.execute(statement).rowcount == 1
    if changed:  # an UPDATE statement is not flushed, so it is noted by hand
        changes.note(db.session, verification.id)
    return changed


def recheck_delay(verification):
    """If only a role is missing, and it may still be propagating, schedule the next check and
    return its pause in seconds; None when the verification is done."""
    delays = current_app.config["RECHECK_DELAYS"]
    if verification.account.outdated_by(verification):
        return None  # its values changed meanwhile: it ends, and says it speaks for the old
    failed = [row for row in verification.steps if row.state is StepState.FAILED]
    only_the_role = [row.step for row in failed] == [Step.PERMISSIONS]
    if not only_the_role or not may_be_propagating(failed[0].code):
        return None
    if verification.attempt > len(delays):
        return None
    delay = delays[verification.attempt - 1]
    failed[0].state = StepState.WAITING
    verification.recheck_at = utcnow() + timedelta(seconds=delay)
    verification.deadline_at = deadline(starting=verification.recheck_at)
    db.session.commit()
    return delay


def stop_waiting(verification):
    """End a verification that waits for a re-check; the waiting step counts as failed.

    Only while it waits: once its re-check has started (and cleared `recheck_at`), the click
    is too late and changes nothing."""
    waiting = (Verification.running.is_(True), Verification.recheck_at.is_not(None))
    if not changed_if(verification, *waiting, recheck_at=None):
        db.session.rollback()
        return
    for row in verification.steps:
        if row.state is StepState.WAITING:
            row.state = StepState.FAILED
    conclude(verification)


def expire_if_stale(verification):
    """End a verification whose job vanished: shown as interrupted, with a retry, never running."""
    if verification and verification.running and utcnow() > verification.deadline_at:
        end_vanished(verification)
    return verification


def end_if_running(verification_id):
    """End the verification if it is still running: its job is gone."""
    verification = db.session.get(Verification, verification_id)
    if verification is not None and verification.running:
        end_vanished(verification)


def end_vanished(verification):
    """End a running verification whose job is gone, unless a poll, the sweep or the job's
    failure handler ended it first: of those racing, exactly one ends it and tells the back
    end, so one webhook goes out, not one per poll."""
    if changed_if(verification, Verification.running.is_(True), running=None):
        conclude(verification)
    else:
        db.session.rollback()  # another ended it: read it as they left it


def in_flight(workspace):
    """How many verifications of the workspace's accounts are running now: one waiting for a
    role's re-check holds no worker, for up to 30 minutes, and does not count."""
    return db.session.scalar(
        db.select(db.func.count(Verification.id))
        .join(Verification.account)
        .where(
            AzureAccount.workspace_id == workspace.id,
            Verification.running.is_(True),
            Verification.recheck_at.is_(None),
        )
    )


def stale():
    """Running verifications past their deadline: their job vanished."""
    return db.session.scalars(
        db.select(Verification).filter(
            Verification.running.is_(True), Verification.deadline_at < utcnow()
        )
    ).all()


def could_not_start(verification):
    """End a verification whose job could not be queued: our fault, said as ours."""
    for row in verification.steps:
        if row.state.unfinished:
            row.state, row.code = StepState.ERROR, Code.QUEUE_UNAVAILABLE
    conclude(verification)


def conclude(verification):
    """End the verification, store it, and tell the ColdSend back end. An account's first
    pass gives it its place in the schedule of re-verifications; a pass of its current values
    lets go of the secret or certificate they replaced."""
    verification.finish()
    account, period = verification.account, current_app.config["REVERIFY_EVERY"]
    passed = verification.state is VerificationState.PASSED
    if passed and not account.next_check_at and period:
        schedule.plan(account, period)
    if passed and not account.outdated_by(verification):
        account.forget_previous_credential()
    audit.verified(verification)
    db.session.commit()
    webhooks.announce(verification)


def deadline(starting=None):
    """When a job starting at `starting` (now by default) must have ended, queue margin included:
    past this, nothing is coming."""
    return (starting or utcnow()) + timedelta(seconds=current_app.config["VERIFY_DEADLINE"] + 30)


def still_running(verification_id):
    """Return the verification if it still waits for this job: a repeated job finds it done."""
    # A forked job must not reuse the parent's pooled connections.
    db.engine.dispose(close=False)
    # With its account and steps in the same read: the job needs all three before Azure.
    verification = db.session.get(
        Verification,
        verification_id,
        options=[joinedload(Verification.account), joinedload(Verification.steps)],
    )
    return verification if verification is not None and verification.running else None


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


def with_azure(verification, work):
    """Run `work(session, recorder)` signed in as the account's app; log a failure, never raise.

    Whatever `work` left unfinished then ends as interrupted when the verification finishes.
    """
    account, session = verification.account, None
    try:
        proof = account.decrypt_credential()
    except SecretUnreadable:
        current_app.logger.error(
            "Verification %s: the stored secret or key is unreadable", verification.id
        )
        recorder = StepRecorder(verification, None)
        recorder.record(
            checks.Outcome(Step.CLIENT_SECRET, StepState.FAILED, Code.SECRET_UNREADABLE)
        )
        return recorder.skip_from(Step.TENANT_ID, blocked_by=Step.CLIENT_SECRET)
    try:
        session = AzureSession(
            cloud_from(current_app.config),
            current_app.config["VERIFY_LIMITS"],
            account.tenant_id,
            account.client_id,
            proof,
            request_id=verification.id,
        )
        work(session, StepRecorder(verification, getattr(proof, "pem", proof)))
    except Exception:
        # Logged without locals, and Azure's messages never carry the secret.
        current_app.logger.exception("Verification %s stopped unexpectedly", verification.id)
        db.session.rollback()
    finally:
        if session is not None:
            session.close()


class StepRecorder:
    """Write step results to the verification's rows, with the secret scrubbed from any text.

    Each write is committed at once, so the page polling the database shows progress; a
    `quiet` recorder leaves its writes to the verification's next commit instead.
    """

    quiet = False

    def __init__(self, verification, secret):
        self.verification, self.secret = verification, secret

    def _commit(self):
        if not self.quiet:
            db.session.commit()

    @property
    def steps(self):
        return self.verification.steps

    def start_over(self):
        """Set every step back to pending, as a re-check runs them all again; committed with
        the first steps the checks mark running, one commit before Azure is asked."""
        for row in self.verification.steps:
            row.state, row.code, row.azure_message, row.facts = StepState.PENDING, None, None, {}

    def running(self, *steps):
        for step in steps:
            self.verification.step(step).state = StepState.RUNNING
        self._commit()

    def record(self, *outcomes):
        for outcome in outcomes:
            if isinstance(outcome.code, Code) and outcome.code.ours:
                # Azure says our request was malformed: a bug of ours that support must see.
                logger.error(
                    "Verification %s: Azure refused our request at %s with %s",
                    self.verification.id,
                    outcome.step,
                    outcome.code,
                )
            row = self.verification.step(outcome.step)
            row.state, row.code = outcome.state, outcome.code
            row.azure_message = self._scrub(outcome.azure_message)
            row.facts = {key: self._scrub(value) for key, value in outcome.facts.items()}
        self._commit()

    def skip_from(self, first, blocked_by):
        """Mark every step from `first` on that has not finished as blocked by another step."""
        later = list(Step)[list(Step).index(first) :]
        self.record(
            *(
                checks.skipped(step, blocked_by)
                for step in later
                if self.verification.step(step).state.unfinished
            )
        )

    def _scrub(self, value):
        # Azure never echoes a secret, and we keep it that way whatever Azure says.
        if isinstance(value, str) and self.secret:
            return value.replace(self.secret, "[secret]")
        return value
