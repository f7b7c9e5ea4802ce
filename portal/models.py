"""Database models: workspaces, their Azure accounts, and spent link tokens."""

import hashlib
import uuid
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import certificates
from .extensions import db
from .verification.codes import Code
from .verification.steps import (
    Step,
    StepState,
    VerificationState,
    blocking,
    provider_registration_possible,
)


def utcnow():
    """Return the time in UTC without a zone: SQLite keeps no zone, so every column is UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def stored_enum(enum, length):
    """Store a str Enum by its value, as a plain string column on every database."""
    return db.Enum(
        enum,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


def new_id():
    return str(uuid.uuid4())


class Workspace(db.Model):
    """A ColdSend workspace, known to us by the id the ColdSend app signs into its links."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    accounts: Mapped[list["AzureAccount"]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan", order_by="AzureAccount.name"
    )


class AzureAccount(db.Model):
    """One customer Azure subscription reached through a service principal."""

    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    # A random id, never a counter: it names the row in URLs and in the secret's encryption.
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    # The name folded for uniqueness, so "Production" and "production " cannot both exist.
    # Case folding can triple a name's length ("ﬃ" folds to "ffi").
    name_key: Mapped[str] = mapped_column(String(3 * 64))
    tenant_id: Mapped[str] = mapped_column(String(253))
    client_id: Mapped[str] = mapped_column(String(36))
    subscription_id: Mapped[str] = mapped_column(String(36))
    # The client secret, or the private key of the certificate below: sealed (portal/crypto.py).
    credential_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The public certificate (PEM) when the app signs in with one the portal made, else None.
    client_certificate_pem: Mapped[str | None] = mapped_column(Text)
    # The secret or certificate this one replaced, if that one had passed: kept, sealed as it
    # was, until the replacement passes, so the customer can go back to it in one click.
    previous_credential_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_certificate_pem: Mapped[str | None] = mapped_column(Text)
    previous_expires_on: Mapped[date | None]
    # When the secret or certificate was set, and when it expires (a certificate's is exact).
    secret_set_at: Mapped[datetime] = mapped_column(default=utcnow)
    secret_expires_on: Mapped[date | None]
    # The last expiry reminder sent, as its days before expiry (60, 30, 15, 1; 0 once it has
    # expired): each is sent once, until another secret or date starts them over.
    secret_reminded_at_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When the values Azure checks last changed: an older verification no longer speaks for them.
    credentials_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the schedule verifies it next (portal/schedule.py); None until it first passes.
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)

    workspace: Mapped[Workspace] = relationship(back_populates="accounts")
    verifications: Mapped[list["Verification"]] = relationship(
        back_populates="account",
        cascade="all, delete-orphan",
        order_by="Verification.created_at.desc()",
        lazy="dynamic",
    )

    @property
    def last_verification(self):
        return self.verifications.first()

    def running_verification(self):
        """The verification running now, or None (at most one: a unique constraint)."""
        return self.verifications.filter_by(running=True).first()

    @property
    def needs_verification(self):
        """Tell whether no verification has checked the account's current values yet."""
        return self.outdated_by(self.last_verification)

    def outdated_by(self, last):
        """Tell whether `last` (a verification, or None) checked other values than today's."""
        return last is None or last.created_at < self.credentials_changed_at

    @property
    def status(self):
        """One word for where the account stands, shared by the pages and the API."""
        return self.standing()[0]

    def standing(self):
        """(status, last verification or None), from one read of the last verification: a page
        that shows both must not meet a verification the worker started in between."""
        last = self.last_verification
        if not key_ring().can_open(self.credential_sealed):
            return "secret_unreadable", last
        if last is None:
            return "unverified", last
        if last.state is VerificationState.RUNNING:
            return "verifying", last
        if self.outdated_by(last):
            return "changed", last
        states = {"passed": "verified", "failed": "failed", "error": "error"}
        return states[last.state.value], last

    @property
    def last_verified_at(self):
        # The column, not a Verification: one loaded earlier in the request may have been
        # finished by the worker since, and the session would hand back its stale copy.
        passed = self.verifications.filter_by(state=VerificationState.PASSED)
        return passed.with_entities(Verification.finished_at).limit(1).scalar()

    @staticmethod
    def name_key_for(name):
        return " ".join(name.split()).casefold()

    def change_credentials(self, tenant_id, client_id, subscription_id):
        """Set the IDs Azure checks; a real change makes earlier verifications outdated."""
        ids = (tenant_id, client_id, subscription_id)
        if ids != (self.tenant_id, self.client_id, self.subscription_id):
            self.tenant_id, self.client_id, self.subscription_id = ids
            self.credentials_changed_at = utcnow()

    def rename(self, name):
        self.name = name
        self.name_key = self.name_key_for(name)

    @property
    def credential_type(self):
        """How the app signs in: "certificate" (one the portal made) or "secret"."""
        return credential_type_of(self.client_certificate_pem)

    @property
    def certificate(self):
        """The certificate the app signs in with (certificates.Certificate), or None."""
        pem = self.client_certificate_pem
        return certificates.describe(pem) if pem else None

    @property
    def _sealing_context(self):
        return _sealing_context(self.id, self.client_certificate_pem)

    def _seal(self, plaintext):
        if self.id is None:
            self.id = new_id()
        self.credential_sealed = key_ring().encrypt(plaintext, context=self._sealing_context)
        self.secret_set_at, self.credentials_changed_at = utcnow(), utcnow()
        self.secret_reminded_at_days = None

    def set_client_secret(self, secret):
        """Sign in with `secret` from now on, stored encrypted with the newest key, bound to
        this account."""
        self.client_certificate_pem = None
        self._seal(secret)

    def set_client_certificate(self, certificate, private_key):
        """Sign in with `certificate` (certificates.Certificate) and its private key (PEM)
        from now on; the key is stored encrypted like a secret, and the expiry is exact."""
        self.client_certificate_pem = certificate.pem
        self._seal(private_key)
        self.secret_expires(certificate.expires_on)

    def keep_previous_credential(self):
        """Keep the current secret or certificate, which last passed, as the one to go back to
        should its replacement fail."""
        self.previous_credential_sealed = self.credential_sealed
        self.previous_certificate_pem = self.client_certificate_pem
        self.previous_expires_on = self.secret_expires_on

    @property
    def previous_credential_type(self):
        """What `restore_previous_credential` goes back to: "secret", "certificate" or None."""
        if self.previous_credential_sealed is None:
            return None
        return credential_type_of(self.previous_certificate_pem)

    def restore_previous_credential(self):
        """Sign in again with the secret or certificate kept by `keep_previous_credential`."""
        self.credential_sealed = self.previous_credential_sealed
        self.client_certificate_pem = self.previous_certificate_pem
        self.secret_expires(self.previous_expires_on)
        self.secret_set_at = self.credentials_changed_at = utcnow()
        self.forget_previous_credential()

    def forget_previous_credential(self):
        self.previous_credential_sealed = None
        self.previous_certificate_pem = self.previous_expires_on = None

    def secret_expires(self, on):
        """Record the secret's expiry date (None: not known); a new date's reminders start over."""
        if on != self.secret_expires_on:
            self.secret_expires_on, self.secret_reminded_at_days = on, None

    # Not named client_secret: a form built from the account (obj=account) would take the
    # method for the field of that name, and hand it on as the secret.
    def decrypt_credential(self):
        """Return the client secret (str) or the certificate with its private key (a
        ClientCertificate); call only where Azure is about to be asked or ColdSend's back end
        reads it. Raises crypto.SecretUnreadable."""
        plaintext = key_ring().decrypt(self.credential_sealed, context=self._sealing_context)
        if self.client_certificate_pem:
            return certificates.ClientCertificate(plaintext + self.client_certificate_pem)
        return plaintext

    def reseal_credential(self):
        """Re-encrypt the secret or key, and any kept to go back to, with the newest key;
        return whether it needed it."""
        ring, before = key_ring(), (self.credential_sealed, self.previous_credential_sealed)
        self.credential_sealed = ring.reseal(self.credential_sealed, context=self._sealing_context)
        if self.previous_credential_sealed is not None:
            kept = _sealing_context(self.id, self.previous_certificate_pem)
            self.previous_credential_sealed = ring.reseal(
                self.previous_credential_sealed, context=kept
            )
        return (self.credential_sealed, self.previous_credential_sealed) != before


# What each credential type is called on the page, in the calendar file and in flashes.
CREDENTIAL_NAMES = {"secret": "client secret", "certificate": "certificate"}
# What a sealed credential of each type is bound to, beside its account: a key cannot be
# opened as a secret.
SEALED_AS = {"secret": "client-secret", "certificate": "client-certificate-key"}


def credential_type_of(certificate_pem):
    """ "certificate" when there is a certificate (PEM), else "secret"."""
    return "certificate" if certificate_pem else "secret"


def _sealing_context(account_id, certificate_pem):
    """What a sealed secret or private key is bound to: its account, and which of the two."""
    return f"azure-account:{account_id}:{SEALED_AS[credential_type_of(certificate_pem)]}"


def progress_key(state, attempt, recheck_at, steps):
    """The fingerprint of a verification's state, attempt and re-check time, and of its steps'
    (step, state, code) in guide order: 16 hex digits."""
    shown = [state.value, str(attempt), str(recheck_at)]
    shown += [f"{step.value}:{step_state.value}:{code}" for step, step_state, code in steps]
    return fingerprint(shown)


def shown_version(account, verification):
    """The fingerprint of what a finished panel shows of `account`, whose last
    verification is `verification`: that verification and its progress, the account's
    values as last changed, and the day (expiry counts in days): 16 hex digits."""
    shown = [verification.id, verification.progress_key, str(account.updated_at), str(date.today())]
    return fingerprint(shown)


def fingerprint(shown):
    """16 hex digits that change whenever one of the strings `shown` does."""
    return hashlib.sha256("|".join(shown).encode()).hexdigest()[:16]


class Verification(db.Model):
    """One run of the checks for an account; the database, not RQ, keeps its outcome."""

    __table_args__ = (UniqueConstraint("account_id", "running"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("azure_account.id", ondelete="CASCADE"))
    state: Mapped[VerificationState] = mapped_column(
        stored_enum(VerificationState, 16),
        default=VerificationState.RUNNING,
    )
    # True while running and NULL after: the unique constraint then allows one running
    # verification per account, however many clicks arrive at once.
    running: Mapped[bool | None] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime]
    # Runs so far; more than one while a newly assigned role propagates and is checked again.
    attempt: Mapped[int] = mapped_column(default=0)
    recheck_at: Mapped[datetime | None]
    # Who asked: "customer" (the page or the API on their behalf), "schedule" or "support".
    started_by: Mapped[str] = mapped_column(String(16), default="customer")

    account: Mapped[AzureAccount] = relationship(back_populates="verifications")
    steps: Mapped[list["StepResult"]] = relationship(
        back_populates="verification", cascade="all, delete-orphan", order_by="StepResult.position"
    )

    @property
    def progress_key(self):
        """A short fingerprint of what the page shows, so polling can skip unchanged answers."""
        steps = ((row.step, row.state, row.code) for row in self.steps)
        return progress_key(self.state, self.attempt, self.recheck_at, steps)

    def step(self, step):
        return next(result for result in self.steps if result.step == step)

    @property
    def awaits_role(self):
        """Whether it runs only to see a new role apply: step 4 waits, between re-checks and
        during one (whose answers show only when it is done)."""
        return bool(self.running) and self.step(Step.PERMISSIONS).state is StepState.WAITING

    @property
    def blocking_step(self):
        """The step result that stops the setup, or None: the one rule every consumer asks."""
        return blocking(self.steps)

    @property
    def outcome(self):
        """`{"verification_id", "state", "failed_step", "code"}`: what it came to, by the step
        that blocks, as the webhooks, the API and the support CLI tell it."""
        blocking = self.blocking_step
        return {
            "verification_id": self.id,
            "state": self.state.value,
            "failed_step": blocking.step.value if blocking else None,
            "code": blocking.code if blocking else None,
        }

    @property
    def provider_registration_possible(self):
        """Whether "Register it for me" is offered, and accepted: the same rule for both.

        Only the account's latest verification of its current values speaks for the
        subscription that registering would act on."""
        last = self.account.last_verification
        return (
            not self.running
            and self == last
            and not self.account.outdated_by(last)
            and provider_registration_possible(self.steps)
        )

    def finish(self):
        """End the run: a step still unfinished was interrupted; then sum up the steps."""
        for row in self.steps:
            if row.state.unfinished:
                row.state, row.code = StepState.ERROR, Code.INTERRUPTED
        self.state = VerificationState.of({row.state for row in self.steps})
        self.running, self.recheck_at = None, None
        self.finished_at = utcnow()


class StepResult(db.Model):
    """What one guide step came to in one verification."""

    __table_args__ = (UniqueConstraint("verification_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    verification_id: Mapped[str] = mapped_column(ForeignKey("verification.id", ondelete="CASCADE"))
    step: Mapped[Step] = mapped_column(stored_enum(Step, 32))
    position: Mapped[int]
    state: Mapped[StepState] = mapped_column(
        stored_enum(StepState, 16),
        default=StepState.PENDING,
    )
    # Azure's code (AADSTS7000215, AuthorizationFailed) or ours (ReaderOnly, NotRegistered).
    code: Mapped[str | None] = mapped_column(String(128))
    # Azure's own words, shown under "details" with the ids support asks for.
    azure_message: Mapped[str | None] = mapped_column(Text)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    verification: Mapped[Verification] = relationship(back_populates="steps")


class StoredSession(db.Model):
    """A portal session, found by the SHA-256 of its token, never by the token itself."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(db.Model):
    """One thing done to an account: when, by whom, what, and why (portal/audit.py)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # "customer", "schedule", "support", or "api:<token name>" for the ColdSend back end.
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    # The ColdSend workspace id, as long as a signed link allows.
    workspace_id: Mapped[str] = mapped_column(String(255))
    # Kept when the account is deleted: the record of who read its secret must outlive it.
    account_id: Mapped[str] = mapped_column(String(36), index=True)


class WebhookDelivery(db.Model):
    """One event for the ColdSend back end and how its delivery went."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    url: Mapped[str] = mapped_column(String(2000))
    event: Mapped[dict] = mapped_column(JSON)
    # pending, then delivered, or failed once the retries are spent
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]


class PendingCertificate(db.Model):
    """A certificate made on the form, waiting for the account that will sign in with it
    (portal/pending_certificates.py); its private key sealed to the workspace and thumbprint."""

    __table_args__ = (UniqueConstraint("workspace_id", "thumbprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # The account whose edit form made it, or None for the new account's form: each form
    # offers again only its own.
    account_id: Mapped[str | None] = mapped_column(
        ForeignKey("azure_account.id", ondelete="CASCADE")
    )
    thumbprint: Mapped[str] = mapped_column(String(40))
    certificate_pem: Mapped[str] = mapped_column(Text)
    private_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SpentLinkToken(db.Model):
    """The `jti` of every signed link already used, kept until the link would have expired."""

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime]


def key_ring():
    return current_app.extensions["key_ring"]
