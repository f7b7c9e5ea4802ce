"""Running a verification: the checks in dependency order, their results stored step by step.

    tenant ──────────────────────┐
    sign-in (client ID + secret) ┴→ ┬→ subscription ─┐
                                    ├→ permissions ──┼→ reconcile → rows
                                    └→ provider ─────┘

The tenant check and the sign-in run at once, and so do the three ARM reads once a token
exists: a verification costs three sequential round trips to Azure, not five. The tenant
check still decides who is to blame when the directory is unknown, since the SDK reports that
only vaguely. Every result is committed as it arrives, so the page polling the database shows
progress while the checks run.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from ..extensions import db
from . import checks
from .catalogue import CATALOGUE
from .steps import Step, StepState

SUBSCRIPTION_READS = (
    checks.subscription_usable,
    checks.role_allows_setup,
    checks.provider_registered,
)


class StepRecorder:
    """Write step results to the verification's rows, with the secret scrubbed from any text."""

    def __init__(self, verification, secret):
        self.verification, self.secret = verification, secret

    def start_over(self):
        """Set every step back to pending, as a re-check runs them all again."""
        for row in self.verification.steps:
            row.state, row.code, row.azure_message, row.facts = StepState.PENDING, None, None, {}
        db.session.commit()

    def running(self, *steps):
        for step in steps:
            self.verification.step(step).state = StepState.RUNNING
        db.session.commit()

    def record(self, *outcomes):
        for outcome in outcomes:
            row = self.verification.step(outcome.step)
            row.state, row.code = outcome.state, outcome.code
            row.azure_message = self._scrub(outcome.azure_message)
            row.facts = {key: self._scrub(value) for key, value in outcome.facts.items()}
        db.session.commit()

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


def run_checks(session, subscription_id, recorder):
    """Check every step, stopping where a failed step blocks the ones after it."""
    recorder.running(Step.TENANT_ID, Step.CLIENT_ID, Step.CLIENT_SECRET)
    tenant, sign_in = at_once(
        lambda: checks.tenant_exists(session), lambda: checks.app_signs_in(session)
    )
    signed_in = all(outcome.state is StepState.PASSED for outcome in sign_in)
    if tenant.state is StepState.ERROR and signed_in:
        tenant = checks.Outcome(Step.TENANT_ID, StepState.PASSED)  # a token proves the tenant
    recorder.record(tenant)
    if tenant.state is not StepState.PASSED:
        return recorder.skip_from(Step.CLIENT_ID, blocked_by=Step.TENANT_ID)
    recorder.record(*sign_in)
    blocker = next((outcome for outcome in sign_in if outcome.state is not StepState.PASSED), None)
    if blocker:
        return recorder.skip_from(Step.PERMISSIONS, blocked_by=blocker.step)

    recorder.running(Step.PERMISSIONS, Step.SUBSCRIPTION_ID, Step.COMMUNICATION_PROVIDER)
    answers = at_once(
        *(lambda read=read: read(session, subscription_id) for read in SUBSCRIPTION_READS)
    )
    return recorder.record(*reconcile(*answers))


def at_once(*calls):
    """Run the calls in parallel threads; return their results in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def warn_of_expiry(expires_on, recorder, days=30):
    """Turn a passing step 3 into a warning when the secret expires soon, by the date given."""
    row = recorder.verification.step(Step.CLIENT_SECRET)
    if row.state is not StepState.PASSED or expires_on is None:
        return
    left = (expires_on - date.today()).days
    if left <= days:
        facts = {"expires_on": expires_on.isoformat(), "days_left": max(left, 0)}
        recorder.record(
            checks.Outcome(Step.CLIENT_SECRET, StepState.WARNING, "SecretExpiresSoon", facts=facts)
        )


def reconcile(subscription, permissions, provider):
    """Attribute the three ARM answers to the step that explains them.

    ARM hides a subscription from an app without a role (SubscriptionNotFound), while the
    reads below it answer that access is missing: then the role is what to fix, not the ID.
    An unknown subscription answers SubscriptionNotFound to every read.
    """
    answers = (subscription, permissions, provider)
    wrong_directory = next(
        (a for a in answers if a.code == "InvalidAuthenticationTokenTenant"), None
    )
    if wrong_directory:
        wrong_directory.step = Step.SUBSCRIPTION_ID
        return [
            wrong_directory,
            checks.skipped(Step.PERMISSIONS, blocked_by=Step.SUBSCRIPTION_ID),
            checks.skipped(Step.COMMUNICATION_PROVIDER, blocked_by=Step.SUBSCRIPTION_ID),
        ]
    no_access = permission_missing(permissions) or provider.code == "AuthorizationFailed"
    if subscription.code == "SubscriptionNotFound" and not no_access:
        return [
            subscription,
            checks.skipped(Step.PERMISSIONS, blocked_by=Step.SUBSCRIPTION_ID),
            checks.skipped(Step.COMMUNICATION_PROVIDER, blocked_by=Step.SUBSCRIPTION_ID),
        ]
    if subscription.code == "SubscriptionNotFound":
        subscription = checks.skipped(Step.SUBSCRIPTION_ID, blocked_by=Step.PERMISSIONS)
    if provider.code == "AuthorizationFailed":
        provider = checks.skipped(Step.COMMUNICATION_PROVIDER, blocked_by=Step.PERMISSIONS)
    return [subscription, permissions, provider]


def permission_missing(outcome):
    """Tell whether a step failed in a way a role assigned minutes ago would explain."""
    guidance = CATALOGUE.get(outcome.code)
    return bool(guidance and guidance.may_be_propagating)


def watch_provider(session, subscription_id, recorder, interval, timeout):
    """Poll the provider while it registers, recording each answer, until done or `timeout`."""
    deadline = time.monotonic() + timeout
    outcome = None
    while time.monotonic() < deadline:
        outcome = checks.provider_registered(session, subscription_id)
        recorder.record(outcome)
        if outcome.state is not StepState.WAITING:
            return outcome
        time.sleep(interval)
    if outcome is not None:
        outcome.state, outcome.code = StepState.WARNING, "StillRegistering"
        recorder.record(outcome)
    return outcome
