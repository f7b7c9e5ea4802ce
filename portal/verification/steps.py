"""The six guide steps a verification checks, and the states a step and a verification take.

The values are stable markers: templates put them in `data-step` and `data-state`, and the
ColdSend app and the tests rely on them.
"""

from enum import StrEnum


class Step(StrEnum):
    TENANT_ID = "tenant-id"
    CLIENT_ID = "client-id"
    CLIENT_SECRET = "client-secret"  # noqa: S105 (a step name, not a secret)
    PERMISSIONS = "permissions"
    SUBSCRIPTION_ID = "subscription-id"
    COMMUNICATION_PROVIDER = "communication-provider"

    @property
    def number(self):
        """The step's number in the customer's guide."""
        return list(Step).index(self) + 1

    @property
    def title(self):
        return TITLES[self]


TITLES = {
    Step.TENANT_ID: "Tenant ID",
    Step.CLIENT_ID: "App registration and Client ID",
    Step.CLIENT_SECRET: "Client secret",
    Step.PERMISSIONS: "Contributor role on the subscription",
    Step.SUBSCRIPTION_ID: "Subscription ID",
    Step.COMMUNICATION_PROVIDER: "Communication Services provider",
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
