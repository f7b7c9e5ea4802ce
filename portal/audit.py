"""The audit log: per account, who did what and when.

Append-only: entries are only ever added, through `record`, in the same commit as what they
record; the mapper refuses to update or delete one. Entries outlive their account (no foreign
key), so the record of who read a secret stays after the account is deleted.
"""

from sqlalchemy import event, inspect

from . import certificates
from .extensions import db
from .models import AuditEntry
from .verification.steps import StepState

# Who acted: a customer in a workspace session, the schedule, support's CLI, or the back end
# through the API ("api:<token name>").
ACTORS = {
    "customer": "The customer, in ColdSend",
    "schedule": "ColdSend's scheduled check",
    "support": "ColdSend support",
}
ACTIONS = {
    "created": "Connected the account",
    "changed": "Changed",
    "secret-replaced": "Replaced the client secret",
    "certificate-replaced": "Replaced the certificate",
    "restored-previous": "Went back to the previous secret or certificate",
    "verified": "Verified",
    "registered-provider": "Registered Microsoft.Communication (Register it for me)",
    "read-credentials": "Read the credentials",
}
# The values whose change is recorded, by the names the form shows.
LABELS = {
    "name": "Account Name",
    "tenant_id": "Tenant ID",
    "client_id": "Client ID",
    "subscription_id": "Subscription ID",
    "secret_expires_on": "Secret expiry date",
}


class AppendOnly(Exception):
    """An audit entry was about to be changed or deleted."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def refuse(_mapper, _connection, entry):
    raise AppendOnly(f"audit entry {entry.id} is append-only")


def record(account, actor, action, reason=""):
    """Add an entry for `account` to the session: `actor` as in ACTORS or "api:<name>",
    `action` as in ACTIONS, `reason` up to 200 characters (why, or what)."""
    db.session.add(
        AuditEntry(
            actor=actor,
            action=action,
            reason=reason[:200],
            workspace_id=account.workspace.external_id,
            account_id=account.id,
        )
    )


def record_changes(account, actor):
    """Record what the session is about to change on `account`: its values, and its secret or
    certificate."""
    state = inspect(account)
    for name, label in LABELS.items():
        history = state.attrs[name].history
        if history.has_changes():
            before = history.deleted[0] if history.deleted else None
            record(
                account, actor, "changed", f"{label}: {shown(before)} → {shown(history.added[0])}"
            )
    if state.attrs.credential_sealed.history.has_changes():
        record(account, actor, f"{account.credential_type}-replaced", replaced(state))


def replaced(state):
    """Which certificate replaced which, by thumbprint, so the old one can be found in Azure and
    deleted; nothing for a secret, which has no public name."""
    pems = state.attrs.client_certificate_pem.history
    before = pems.deleted[0] if pems.deleted else state.attrs.client_certificate_pem.value
    after = state.attrs.client_certificate_pem.value
    if after is None or before == after:
        return ""
    old = certificates.describe(before).thumbprint if before else "a client secret"
    return f"{old} → {certificates.describe(after).thumbprint}"


def shown(value):
    """A changed value as the log shows it: IDs, names and dates are no secrets."""
    return "none" if value is None else str(value)


def changed_values(entry):
    """The labels of the values a "changed" entry names: "Tenant ID: a → b" names one; an
    entry written before values were logged lists them, "Tenant ID, Client ID"."""
    label, separator, _ = entry.reason.partition(": ")
    return {label} if separator else set(entry.reason.split(", "))


def verified(verification):
    """Record a verification's outcome, by whoever started it: the step that blocks it, or a
    warning it passed with."""
    blocking = verification.blocking_step
    outcome = verification.state.value
    warned = next((row for row in verification.steps if row.state is StepState.WARNING), None)
    if blocking:
        outcome += f" at {blocking.step.label} ({blocking.code})"
    elif warned:
        outcome += f", with a warning at {warned.step.label} ({warned.code})"
    record(verification.account, verification.started_by, "verified", outcome)


def entries(account, limit=100):
    """The account's entries, newest first."""
    return db.session.scalars(
        db.select(AuditEntry)
        .filter_by(account_id=account.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()


def actor_name(actor):
    if actor.startswith("api:"):
        return f"The ColdSend back end ({actor.removeprefix('api:')})"
    return ACTORS.get(actor, actor)
