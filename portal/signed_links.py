"""Signed links from the ColdSend app: short-lived, single-use HS256 JWTs naming a workspace."""

import secrets
import time
from dataclasses import dataclass

import jwt

AUDIENCE = "coldsend-azure-connect"
MAX_LIFETIME = 15 * 60
MAX_TOKEN_LENGTH = 4096
MAX_JTI_LENGTH = 128
# The ColdSend app's clock and ours may differ a little.
CLOCK_SKEW = 30


class InvalidLink(Exception):
    """The link cannot open a session; the message is safe to show to the customer."""


@dataclass(frozen=True)
class LinkClaims:
    workspace: str
    name: str | None
    jti: str
    expires_at: int
    # Optional: the host page's origin (for events), its theme and accent colour.
    embedding: dict


def mint(secret, workspace, name=None, lifetime=MAX_LIFETIME, now=None, **embedding):
    """Return a token for `workspace`, as the ColdSend app makes them."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": workspace,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + lifetime,
        "jti": secrets.token_urlsafe(16),
    }
    if name:
        claims["name"] = name
    claims.update(embedding)
    return jwt.encode(claims, secret, algorithm="HS256")


def read(token, secret):
    """Check a token's signature, audience and lifetime; return its claims or raise InvalidLink."""
    if not token:
        raise InvalidLink("This link has no sign-in token.")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidLink("This link's sign-in token is malformed.")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            leeway=CLOCK_SKEW,
            options={"require": ["sub", "aud", "iat", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidLink("This link has expired.") from None
    except jwt.InvalidAudienceError:
        raise InvalidLink("This link was made for another application.") from None
    except jwt.InvalidSignatureError:
        raise InvalidLink("This link's signature is not valid.") from None
    except jwt.InvalidTokenError:
        raise InvalidLink("This link's sign-in token is malformed.") from None

    lifetime = claims["exp"] - claims["iat"]
    if not 0 < lifetime <= MAX_LIFETIME:
        raise InvalidLink("This link is valid for longer than the 15 minutes allowed.")
    name = claims.get("name")
    embedding = {key: claims[key] for key in ("origin", "theme", "accent") if key in claims}
    well_formed = (
        _text(claims["sub"], 255)
        and _text(claims["jti"], MAX_JTI_LENGTH)
        and (name is None or _text(name, 255))
        and all(_text(value, 255) for value in embedding.values())
    )
    if not well_formed:
        raise InvalidLink("This link's sign-in token is malformed.")
    return LinkClaims(claims["sub"], name, claims["jti"], claims["exp"], embedding)


def _text(value, longest):
    return isinstance(value, str) and 0 < len(value) <= longest and value.isprintable()
