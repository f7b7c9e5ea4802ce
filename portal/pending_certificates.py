"""Certificates made on the form, before the account that will use them is saved.

The customer downloads and uploads the certificate at step 3, and saves the form after step 5;
until then it waits in their server-side session, its private key sealed to that workspace and
thumbprint. Saving puts it into the account (sealed again, to the account), and then it is
forgotten here. The form names its certificate by thumbprint, so two tabs each keep their own.
"""

import base64

from flask import current_app, g, session

from . import certificates

KEY = "pending_certificates"
# A customer who makes certificate after certificate keeps the latest few, not all.
KEPT = 3
COMMON_NAME = "ColdSend Azure Connect"


def make():
    """Make a certificate for the session's workspace; return it (certificates.Certificate)."""
    certificate, private_key = certificates.make(COMMON_NAME)
    sealed = _ring().encrypt(private_key, context=_context(certificate.thumbprint))
    kept = dict(list(session.get(KEY, {}).items())[-(KEPT - 1) :])
    kept[certificate.thumbprint] = {
        "pem": certificate.pem,
        "key": base64.b64encode(sealed).decode(),
    }
    session[KEY] = kept
    return certificate


def find(thumbprint):
    """The session's certificate of this thumbprint, or None."""
    stored = session.get(KEY, {}).get(thumbprint or "")
    return certificates.describe(stored["pem"]) if stored else None


def unseal(thumbprint):
    """The session's certificate of this thumbprint and its private key: (Certificate, PEM).
    Raises KeyError if the session has none; crypto.SecretUnreadable if its key no longer
    opens."""
    stored = session[KEY][thumbprint]
    private_key = _ring().decrypt(base64.b64decode(stored["key"]), context=_context(thumbprint))
    return certificates.describe(stored["pem"]), private_key


def forget(thumbprint):
    """Drop the certificate of this thumbprint once an account holds it: not before, so that
    a save refused (a name taken, a busy database) still offers the certificate uploaded."""
    if thumbprint in session.get(KEY, {}):
        session[KEY] = {kept: value for kept, value in session[KEY].items() if kept != thumbprint}


def _context(thumbprint):
    return f"pending-certificate:{g.workspace.id}:{thumbprint}"


def _ring():
    return current_app.extensions["key_ring"]
