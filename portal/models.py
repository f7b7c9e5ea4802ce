"""Database models: workspaces, their Azure accounts, and spent link tokens."""

import uuid
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow():
    """Return the time in UTC without a zone: SQLite keeps no zone, so every column is UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


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
    name_key: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[str] = mapped_column(String(253))
    client_id: Mapped[str] = mapped_column(String(36))
    subscription_id: Mapped[str] = mapped_column(String(36))
    client_secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    secret_set_at: Mapped[datetime] = mapped_column(default=utcnow)
    secret_expires_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    workspace: Mapped[Workspace] = relationship(back_populates="accounts")

    @staticmethod
    def name_key_for(name):
        return " ".join(name.split()).casefold()

    def rename(self, name):
        self.name = name
        self.name_key = self.name_key_for(name)

    @property
    def _secret_context(self):
        return f"azure-account:{self.id}:client-secret"

    def set_client_secret(self, secret):
        """Store `secret` encrypted with the newest key, bound to this account."""
        if self.id is None:
            self.id = new_id()
        self.client_secret_sealed = key_ring().encrypt(secret, context=self._secret_context)
        self.secret_set_at = utcnow()

    def client_secret(self):
        """Return the decrypted secret; call only where Azure is about to be asked."""
        return key_ring().decrypt(self.client_secret_sealed, context=self._secret_context)

    def reseal_client_secret(self):
        """Re-encrypt the secret with the newest key; return whether it needed it."""
        ring = key_ring()
        if ring.is_current(self.client_secret_sealed):
            return False
        secret = ring.decrypt(self.client_secret_sealed, context=self._secret_context)
        self.client_secret_sealed = ring.encrypt(secret, context=self._secret_context)
        return True


class SpentLinkToken(db.Model):
    """The `jti` of every signed link already used, kept until the link would have expired."""

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime]


def key_ring():
    return current_app.extensions["key_ring"]
