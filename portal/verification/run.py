"""The checks in dependency order, and who is to blame when they fail.

    tenant ──────────────────────┐
    sign-in (client ID + secret) ┴→ ┬→ subscription ─┐
                                    ├→ permissions ──┼→ reconcile ─┐
                                    ├→ provider ─────┘             ├→ recorder
                                    └→ dry run ────────────────────┘

The tenant check and the sign-in run at once, and so do the three ARM reads and the dry run
once a token exists: a verification costs three sequential round trips to Azure, not six. The
tenant check still decides who is to blame when the directory is unknown, since the SDK reports
that only vaguely. Results go to a `recorder` as they arrive (`recorder.steps`, `running`,
`record`, `skip_from`); `portal.verifying` stores them, so the page shows progress. Nothing
here knows Flask, Redis or the database.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from . import checks
from .codes import Code, may_be_propagating
from .steps import Step, StepState, blocking

SUBSCRIPTION_READS = (
    checks.subscription_usable,
    checks.role_allows_setup,
    checks.provider_registered,
)
SUBSCRIPTION_STEPS = (Step.PERMISSIONS, Step.SUBSCRIPTION_ID, Step.COMMUNICATION_PROVIDER)


def run_checks(session, subscription_id, recorder, dry_run):
    """Check every step, stopping where a failed step blocks the ones after it.

    `dry_run()` returns the dry run's Outcome. It is asked beside the three reads, so it adds
    no round trip, and counts only if the six steps let ColdSend go ahead.
    """
    tenant, sign_in = at_once(
        lambda: checks.tenant_exists(session),
        lambda: checks.app_signs_in(session),
        meanwhile=lambda: recorder.running(Step.TENANT_ID, Step.CLIENT_ID, Step.CLIENT_SECRET),
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

    *answers, dry_run_outcome = at_once(
        *(lambda read=read: read(session, subscription_id) for read in SUBSCRIPTION_READS),
        dry_run,
        meanwhile=lambda: recorder.running(*SUBSCRIPTION_STEPS, Step.DRY_RUN),
    )
    recorder.record(*reconcile(*answers))
    return record_dry_run(recorder, dry_run_outcome)


def record_dry_run(recorder, outcome):
    """Keep the dry run's answer if nothing before it blocks; else it waits on what blocks."""
    blocker = blocking(recorder.steps)
    if blocker is not None and blocker.step is not Step.DRY_RUN:
        return recorder.skip_from(Step.DRY_RUN, blocked_by=blocker.step)
    return recorder.record(outcome)


def dry_run_again(recorder, dry_run):
    """Run the dry run alone, as after a provider finished registering, if nothing blocks."""
    if blocking(recorder.steps) is None:
        recorder.running(Step.DRY_RUN)
        recorder.record(dry_run())


def at_once(*calls, meanwhile):
    """Run the calls in parallel threads; return their results in order.

    `meanwhile()` runs in this thread once they are sent: storing that the steps run (a
    commit, an announcement) costs Azure's answer nothing, where before it delayed the asking.
    """
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        meanwhile()
        return [future.result() for future in futures]


def warn_of_expiry(expires_on, recorder, code, days):
    """Turn a passing step 3 into a warning (`code`) when the secret or certificate expires
    within `days` days, by the date given."""
    row = next(row for row in recorder.steps if row.step is Step.CLIENT_SECRET)
    if row.state is not StepState.PASSED or expires_on is None:
        return
    left = (expires_on - date.today()).days
    if left <= days:
        facts = {"expires_on": expires_on.isoformat(), "days_left": max(left, 0)}
        recorder.record(checks.Outcome(Step.CLIENT_SECRET, StepState.WARNING, code, facts=facts))


def reconcile(subscription, permissions, provider):
    """Attribute the three ARM answers to the one step that explains them.

    Azure answers one cause at every read, each in its own way, so they are read by meaning:
    - an app with no service principal: every read 401 InvalidAuthenticationToken naming it;
    - a subscription of another directory: 401 InvalidAuthenticationTokenTenant;
    - no role on the subscription itself (none at all, or only on a resource group): the
      subscription read 403 AuthorizationFailed or 404 SubscriptionNotFound (hidden), the
      permissions list empty or 403, the provider read 403: all step 4;
    - an unknown subscription: 404 SubscriptionNotFound at every read: step 5.
    """
    answers = (subscription, permissions, provider)
    no_principal = _answered(answers, Code.SERVICE_PRINCIPAL_NOT_IN_TOKEN)
    if no_principal:
        # A token was issued, so the secret is right (step 3 stays passed).
        no_principal.step = Step.CLIENT_ID
        return [no_principal, *_blocked(Step.CLIENT_ID, *SUBSCRIPTION_STEPS)]
    wrong_directory = _answered(answers, Code.SUBSCRIPTION_IN_OTHER_TENANT)
    if wrong_directory:
        wrong_directory.step = Step.SUBSCRIPTION_ID
        return [wrong_directory, *_blocked(Step.SUBSCRIPTION_ID, *SUBSCRIPTION_STEPS)]
    denied = (
        permissions
        if may_be_propagating(permissions.code)
        else _answered((subscription, provider), Code.AUTHORIZATION_FAILED)
    )
    if denied:
        denied.step = Step.PERMISSIONS
        return [denied, *_blocked(Step.PERMISSIONS, *SUBSCRIPTION_STEPS)]
    if subscription.code == Code.SUBSCRIPTION_NOT_FOUND:
        return [subscription, *_blocked(Step.SUBSCRIPTION_ID, *SUBSCRIPTION_STEPS)]
    if subscription.state is StepState.FAILED and provider.state is not StepState.PASSED:
        # A disabled or deleted subscription is read-only: nothing can be registered in it.
        provider = checks.skipped(Step.COMMUNICATION_PROVIDER, blocked_by=Step.SUBSCRIPTION_ID)
    return [subscription, permissions, provider]


def _answered(answers, code):
    return next((answer for answer in answers if answer.code == code), None)


def _blocked(blocker, *steps):
    return [checks.skipped(step, blocked_by=blocker) for step in steps if step is not blocker]


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
        outcome.state, outcome.code = StepState.WARNING, Code.PROVIDER_STILL_REGISTERING
        recorder.record(outcome)
    return outcome
