"""Certificates the portal makes for an app registration: the secretless way to sign in.

The customer uploads the public certificate under Certificates & secrets; the app then proves
itself with a client assertion signed by the private key, which never leaves the portal
except, encrypted at rest, to ColdSend's own back end. Microsoft Entra ID accepts RSA keys of
2048 bits or more for certificate credentials, and takes the credential's start and end from
the certificate (https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
"""

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# A thumbprint as Azure lists it and as we write it: SHA-1, upper-case hex.
THUMBPRINT = re.compile(r"[0-9A-F]{40}")
# As long as the guide's recommended secret lifetime: fewer renewals, an exact date to remind.
VALID_DAYS = 730
KEY_SIZE = 2048
# Azure rounds nothing, but a clock a little behind ours must already accept the certificate.
BACKDATE = timedelta(minutes=5)


@dataclass(frozen=True)
class Certificate:
    """A certificate as the Azure portal lists it: thumbprint (SHA-1, 40 upper-case hex
    digits) and the days it is valid, in UTC."""

    pem: str
    thumbprint: str
    starts_on: date
    expires_on: date

    @property
    def der(self):
        """The certificate as a `.cer` file: DER bytes."""
        return x509.load_pem_x509_certificate(self.pem.encode()).public_bytes(
            serialization.Encoding.DER
        )


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate credential: the private key and the certificate as one PEM text, the form
    azure-identity's CertificateCredential reads. Never shown in a repr."""

    pem: str = field(repr=False)


def make(common_name, days=VALID_DAYS, now=None):
    """Make a key pair and a self-signed certificate for it; return (Certificate, private key
    as unencrypted PKCS#8 PEM text). The caller seals the key at once."""
    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    subject_key = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(subject_key, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(subject_key),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    private_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return describe(pem), private_key


# Pages and the audit log ask an account for its certificate several times a request: read
# each PEM once.
@functools.lru_cache(maxsize=256)
def describe(pem):
    """Read a PEM certificate as a Certificate. Raises ValueError if it is not one."""
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return Certificate(
        pem=pem,
        thumbprint=certificate.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 (Azure's thumbprint)
        starts_on=certificate.not_valid_before_utc.date(),
        expires_on=certificate.not_valid_after_utc.date(),
    )
