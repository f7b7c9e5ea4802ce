"""The six guide steps a verification checks, the dry run after them, and their states.

The values are stable markers: templates put them in `data-step` and `data-state`, and the
ColdSend app and the tests rely on them.
"""

from enum import StrEnum

from .codes import Code


class Step(StrEnum):
    TENANT_ID = "tenant-id"
    CLIENT_ID = "client-id"
    CLIENT_SECRET = "client-secret"  # noqa: S105 (a step name, not a secret)
    PERMISSIONS = "permissions"
    SUBSCRIPTION_ID = "subscription-id"
    COMMUNICATION_PROVIDER = "communication-provider"
    # Not a guide step: ARM validates what ColdSend will create, once the six pass.
    DRY_RUN = "dry-run"

    @property
    def number(self):
        """The step's number in the customer's guide (7 for the dry run, which has none)."""
        return list(Step).index(self) + 1

    @property
    def in_guide(self):
        return self is not Step.DRY_RUN

    @property
    def label(self):
        """How a sentence names it: "step 4", or "the dry run"."""
        return f"step {self.number}" if self.in_guide else "the dry run"

    @property
    def title(self):
        return TITLES[self]


TITLES = {
    Step.TENANT_ID: "Tenant ID",
    Step.CLIENT_ID: "App registration and Client ID",
    Step.CLIENT_SECRET: "Client secret or certificate",
    Step.PERMISSIONS: "Contributor role on the subscription",
    Step.SUBSCRIPTION_ID: "Subscription ID",
    Step.COMMUNICATION_PROVIDER: "Communication Services provider",
    Step.DRY_RUN: "Dry run: ColdSend can create your email service (nothing is created)",
}


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"
    ERROR = "error"

    @property
    def unfinished(self):
        return self in (StepState.PENDING, StepState.RUNNING, StepState.WAITING)


class VerificationState(StrEnum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"

    @classmethod
    def of(cls, step_states):
        """Sum up finished steps: a customer's mistake first, then Azure's fault, else passed."""
        if StepState.FAILED in step_states:
            return cls.FAILED
        if StepState.ERROR in step_states:
            return cls.ERROR
        return cls.PASSED


def blocking(results):
    """Return the result that stops the setup, or None when nothing does.

    `results` are step results (anything with `.step` and `.state`). The customer's mistake
    comes first, in guide order; then a step Azure could not answer; then one still waiting.
    This is the one rule: the panel, the status line, the history, the host-page event, the
    webhook and the API all ask it, so they always name the same step.
    """
    ordered = sorted(results, key=lambda result: result.step.number)
    for state in (StepState.FAILED, StepState.ERROR, StepState.WAITING):
        found = next((result for result in ordered if result.state is state), None)
        if found is not None:
            return found
    return None


def provider_registration_possible(results):
    """Tell whether "Register it for me" can succeed: the provider is not registered, the
    app's role allows registering it (step 4 passed) and the subscription is active, not
    disabled and read-only (step 5 passed, perhaps with a warning)."""
    by_step = {result.step: result for result in results}
    return (
        by_step[Step.COMMUNICATION_PROVIDER].code == Code.PROVIDER_NOT_REGISTERED
        and by_step[Step.PERMISSIONS].state is StepState.PASSED
        and by_step[Step.SUBSCRIPTION_ID].state in (StepState.PASSED, StepState.WARNING)
    )
