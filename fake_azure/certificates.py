"""Certificate credentials: what an app registration holds once a certificate is uploaded, and
how Entra ID's token endpoint judges a client assertion signed with its key.

As Microsoft documents it (https://learn.microsoft.com/entra/identity-platform/certificate-credentials):
the assertion is a JWT signed with RS256 or PS256 whose header names the certificate by its
SHA-1 (`x5t`) or SHA-256 (`x5t#S256`) thumbprint; `nbf` and `exp` bound when it may be used.
The key credential's start and end are the certificate's own. The answers, codes and reasons
are those people meet (AADSTS700027 "The key was not found." or "The key used is expired.",
AADSTS700024 for an assertion out of its time range); and, as the Azure SDK for Java's
troubleshooting guide lists them, AADSTS700021 for `iss`/`sub` other than the client_id,
AADSTS700023 for an `aud` other than the token endpoint, AADSTS50027 for a malformed JWT.
Not modelled, for want of a record of Entra ID's answer: a certificate used before its start,
and a wrong `client_assertion_type` (azure-identity always sends the right one).
"""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes

ALGORITHMS = ["RS256", "PS256"]
# Entra ID tolerates a few minutes between the client's clock and its own.
CLOCK_SKEW_SECONDS = 300
GRAPH_HINT = (
    "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured "
    "keys for app Id '{client_id}'. Review the documentation at "
    "https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service "
    "endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0"
    "&tabs=http to build a query request URL, such as "
    "'https://graph.microsoft.com/beta/applications/{client_id}'"
)


@dataclass(frozen=True)
class KeyCredential:
    """A certificate uploaded under Certificates & secrets."""

    sha1: bytes
    sha256: bytes
    public_key: object
    start: datetime
    end: datetime

    @property
    def found(self):
        """How Entra ID's reasons describe the key it found."""
        return f"Found key 'Start={_us_time(self.start)}, End={_us_time(self.end)}'"


def key_credential(data):
    """Read an uploaded `.cer` (DER) or `.pem`/`.crt` file. Raises ValueError if it is neither."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        certificate = x509.load_pem_x509_certificate(data)
    else:
        certificate = x509.load_der_x509_certificate(data)
    return KeyCredential(
        sha1=certificate.fingerprint(hashes.SHA1()),  # noqa: S303 (the x5t thumbprint)
        sha256=certificate.fingerprint(hashes.SHA256()),
        public_key=certificate.public_key(),
        start=certificate.not_valid_before_utc,
        end=certificate.not_valid_after_utc,
    )


MALFORMED = (400, "invalid_request", 50027, "JWT token is invalid or malformed.")


def refusal(assertion, keys, client_id, audiences, now=None):
    """Judge a client assertion against the app's uploaded keys: None if it proves the app,
    else (status, error, AADSTS code, text) as the token endpoint answers. `audiences`: the
    token endpoint's addresses, one of which `aud` must be."""
    now = now or datetime.now(UTC)
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.DecodeError:
        return MALFORMED
    named = _thumbprint(header)
    if named is None:
        return (
            400,
            "invalid_request",
            50027,
            "Invalid JWT token. No certificate thumbprint specified in token header.",
        )
    kind, thumbprint = named
    used = f"Thumbprint of key used by client: '{thumbprint.hex().upper()}'"
    key = next((key for key in keys if getattr(key, kind) == thumbprint), None)
    if key is None:
        return (
            401,
            "invalid_client",
            700027,
            "The certificate with identifier used to sign the client assertion is not "
            f"registered on application. [Reason - The key was not found., {used}, "
            f"{GRAPH_HINT.format(client_id=client_id)}]",
        )
    invalid = (
        f"Client assertion contains an invalid signature. [Reason - {{}}, {used}, {key.found}]"
    )
    if key.end < now:
        return 401, "invalid_client", 700027, invalid.format("The key used is expired.")
    try:
        claims = jwt.decode(
            assertion,
            key.public_key,
            algorithms=ALGORITHMS,
            options={"verify_exp": False, "verify_nbf": False, "verify_aud": False},
        )
    except jwt.InvalidSignatureError:
        reason = "The provided signature value did not match the expected signature value."
        return 401, "invalid_client", 700027, invalid.format(reason)
    except jwt.InvalidTokenError:
        return MALFORMED
    return claims_refused(claims, client_id, audiences, now)


def claims_refused(claims, client_id, audiences, now):
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        return (
            401,
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter. "
            "Review the documentation at "
            "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
        )
    if claims.get("aud") not in audiences:
        return (
            401,
            "invalid_client",
            700023,
            "Client assertion audience claim does not match Realm issuer. Review the "
            "documentation at "
            "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
        )
    valid_from = claims.get("nbf", claims.get("iat", 0))
    expires = claims.get("exp", 0)
    if not all(isinstance(value, int | float) for value in (valid_from, expires)):
        return MALFORMED
    if not valid_from - CLOCK_SKEW_SECONDS <= now.timestamp() <= expires + CLOCK_SKEW_SECONDS:
        return (
            401,
            "invalid_client",
            700024,
            f"Client assertion is not within its valid time range. Current time: "
            f"{_iso(now.timestamp())}, assertion valid from {_iso(valid_from)}, expiry time of "
            f"assertion {_iso(expires)}. Review the documentation at "
            "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
        )
    return None


def _thumbprint(header):
    for name, kind in (("x5t#S256", "sha256"), ("x5t", "sha1")):
        if header.get(name):
            try:
                return kind, base64.urlsafe_b64decode(header[name] + "==")
            except (TypeError, ValueError):
                return None
    return None


def _us_time(moment):
    return moment.strftime("%m/%d/%Y %H:%M:%S")


def _iso(timestamp):
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
