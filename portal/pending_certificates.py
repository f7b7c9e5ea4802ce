"""Certificates made on the form, before the account that will use them is saved.

The customer downloads and uploads the certificate at step 3, and saves the form after step 5;
until then it waits in the database, one row per certificate, its private key sealed to the
workspace and thumbprint. Saving takes the row (one conditional DELETE, so two saves at once
cannot both take it) and seals the key again, to the account. A row, unlike the session, is
not written back whole by every request: two tabs making certificates at once keep both, and
one made before the customer came back through a new link is still offered.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from . import certificates
from .crypto import SecretUnreadable
from .extensions import db
from .models import PendingCertificate, utcnow

# The name Azure lists it under, with the minute it was made: replacements tell apart at a
# glance.
COMMON_NAME = "ColdSend Azure Connect {moment:%Y-%m-%d %H:%M}"
# How long an unused certificate is offered, and kept: a setup takes minutes, rarely days.
KEPT = timedelta(days=7)
# A form that names none offers the latest made within this time, as one made before the
# customer came back through a new link (which starts a new form).
RECENT = timedelta(days=1)


class Gone(Exception):
    """The certificate was taken by another save, or its key no longer opens: make another."""


def make(workspace, account=None):
    """Make a certificate for `workspace`, on `account`'s edit form or (None) the new
    account's, and add it to the database session (committed by the caller); return it
    (certificates.Certificate)."""
    certificate, private_key = certificates.make(COMMON_NAME.format(moment=utcnow()))
    context = _context(workspace.id, certificate.thumbprint)
    db.session.add(
        PendingCertificate(
            workspace_id=workspace.id,
            account_id=account and account.id,
            thumbprint=certificate.thumbprint,
            certificate_pem=certificate.pem,
            private_key_sealed=_ring().encrypt(private_key, context=context),
        )
    )
    return certificate


def find(workspace, thumbprint):
    """The workspace's certificate of this thumbprint, if it is still on offer, else None."""
    # Whatever was sent is looked up only if it can be a thumbprint: PostgreSQL refuses some
    # text (NUL) outright.
    if not certificates.THUMBPRINT.fullmatch(thumbprint or ""):
        return None
    return _offered(
        select(PendingCertificate).filter_by(workspace_id=workspace.id, thumbprint=thumbprint)
    )


def latest(workspace, account=None, since=None):
    """The certificate made last on `account`'s form (None: the new account's) in the last
    day, and after `since` if given; or None."""
    since = max(utcnow() - RECENT, since or utcnow() - RECENT)
    return _offered(
        select(PendingCertificate)
        .where(
            PendingCertificate.workspace_id == workspace.id,
            PendingCertificate.account_id == (account and account.id),
            PendingCertificate.created_at > since,
        )
        .order_by(PendingCertificate.created_at.desc(), PendingCertificate.id.desc())
        .limit(1)
    )


def _offered(statement):
    row = db.session.scalar(statement)
    # A key sealed with an encryption key since removed cannot be handed to an account.
    if row is None or not _ring().can_open(row.private_key_sealed):
        return None
    return certificates.describe(row.certificate_pem)


def take(workspace, thumbprint):
    """Take the certificate of this thumbprint for an account being saved, in the caller's
    transaction: (Certificate, private key PEM). Raises Gone if another save took it first
    or its key no longer opens."""
    if not certificates.THUMBPRINT.fullmatch(thumbprint or ""):
        raise Gone(thumbprint)
    # Not flushed first: the account being saved has no credential yet, which the database
    # would refuse.
    with db.session.no_autoflush:
        taken = db.session.execute(
            delete(PendingCertificate)
            .where(
                PendingCertificate.workspace_id == workspace.id,
                PendingCertificate.thumbprint == thumbprint,
            )
            .returning(PendingCertificate.certificate_pem, PendingCertificate.private_key_sealed)
        ).first()
    if taken is None:
        raise Gone(thumbprint)
    try:
        key = _ring().decrypt(taken.private_key_sealed, context=_context(workspace.id, thumbprint))
    except SecretUnreadable:
        raise Gone(thumbprint) from None
    return certificates.describe(taken.certificate_pem), key


def reseal_all():
    """Re-encrypt every waiting private key with the newest key (`flask rotate-encryption-key`);
    return how many needed it. One no configured key opens is deleted: it can never be used."""
    ring, resealed = _ring(), 0
    for row in db.session.scalars(select(PendingCertificate)):
        context = _context(row.workspace_id, row.thumbprint)
        try:
            sealed = ring.reseal(row.private_key_sealed, context=context)
        except SecretUnreadable:
            db.session.delete(row)
            continue
        resealed += sealed != row.private_key_sealed
        row.private_key_sealed = sealed
    return resealed


def forget_unused():
    """Delete the certificates no account took within KEPT; return how many."""
    old = delete(PendingCertificate).where(PendingCertificate.created_at < utcnow() - KEPT)
    deleted = db.session.execute(old).rowcount
    db.session.commit()
    return deleted


def _context(workspace_id, thumbprint):
    return f"pending-certificate:{workspace_id}:{thumbprint}"


def _ring():
    return current_app.extensions["key_ring"]
