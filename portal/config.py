"""Settings read from the environment and checked once, at start-up.

In development a missing secret is generated once and kept under `instance/`, so the portal runs
with no hand steps; in production (`PORTAL_ENV=production`) a missing or malformed value stops
start-up with one line that names the variable.
"""

import base64
import binascii
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from limits import parse_many

from .verification.clouds import CLOUDS
from .verification.dry_run import DATA_LOCATIONS, Provisioning

# Each entry: environment variable, Flask config key, how to make a development value.
GENERATED_SECRETS = (
    ("SECRET_KEY", "SECRET_KEY", lambda: secrets.token_urlsafe(48)),
    ("PORTAL_EMBED_SECRET", "EMBED_SECRET", lambda: secrets.token_urlsafe(48)),
    (
        "PORTAL_ENCRYPTION_KEYS",
        "ENCRYPTION_KEYS",
        lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    ),
)
MIN_SECRET_LENGTH = 32
DEV_SECRETS_FILE = "dev-secrets.json"

# A frame-ancestors source: a keyword, or scheme://host[:port] where host may start with "*.".
FRAME_SOURCE = re.compile(
    r"^(?:'self'|'none'|https?://(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::(?:\d{1,5}|\*))?)$"
)


HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[^\s]*)?$")


@dataclass(frozen=True)
class Limits:
    """How long one verification may wait on Azure."""

    connect_timeout: float = 5
    read_timeout: float = 15
    retries: int = 2
    backoff_max: float = 4
    # A longer Retry-After is not waited for: the step ends as Azure's fault, with a retry.
    retry_after_max: float = 10
    # Between polls of an asynchronous dry run, when Azure sends no Retry-After.
    poll_interval: float = 2


DEVELOPMENT_FRAME_ANCESTORS = (
    "'self' http://localhost:* http://127.0.0.1:* https://localhost:* https://127.0.0.1:*"
)


API_TOKEN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def load(environ, instance_path):
    """Return the Flask config built from `environ`, generating development secrets if needed."""
    production = environ.get("PORTAL_ENV", "development") == "production"
    values = {name: environ.get(name, "").strip() for name, _, _ in GENERATED_SECRETS}
    missing = [name for name, value in values.items() if not value]
    if missing and production:
        raise ConfigError(f"{missing[0]} is not set (required when PORTAL_ENV=production)")
    if missing:
        values.update(_development_secrets(Path(instance_path), missing))
    endpoints = azure_endpoints(environ)

    return {
        "PORTAL_ENV": "production" if production else "development",
        "SECRET_KEY": _checked_secret("SECRET_KEY", values["SECRET_KEY"]),
        "EMBED_SECRET": _checked_secret("PORTAL_EMBED_SECRET", values["PORTAL_EMBED_SECRET"]),
        "ENCRYPTION_KEYS": parse_encryption_keys(values["PORTAL_ENCRYPTION_KEYS"]),
        "SQLALCHEMY_DATABASE_URI": database_url(
            environ.get("DATABASE_URL", ""), Path(instance_path)
        ),
        "REDIS_URL": environ.get("REDIS_URL", "").strip() or "redis://127.0.0.1:6379/0",
        "FRAME_ANCESTORS": frame_ancestors(environ.get("PORTAL_FRAME_ANCESTORS", ""), production),
        **session_cookie(production),
        **endpoints,
        "API_TOKENS": api_tokens(environ.get("PORTAL_API_TOKENS", "")),
        **webhook(environ),
        "PROVISIONING": provisioning(environ, CLOUDS[endpoints["AZURE_CLOUD"]]),
        "TRUSTED_HOSTS": trusted_hosts(environ.get("PORTAL_HOSTS", ""), production),
        **rate_limits(environ),
        "PROXIES": proxies(environ.get("PORTAL_PROXIES", "")),
        "WEB_THREADS": web_threads(environ),
        # A held poll takes a web thread: a quarter of them stays free for pages and clicks.
        "POLL_HOLDS": web_threads(environ) * 3 // 4,
        "REVERIFY_EVERY": reverify_every(environ.get("PORTAL_REVERIFY_EVERY", "")),
    }


def _development_secrets(instance_path, names):
    """Read the development secrets kept under `instance/`, creating those not there yet."""
    path = instance_path / DEV_SECRETS_FILE
    stored = json.loads(path.read_text()) if path.exists() else {}
    makers = {name: make for name, _, make in GENERATED_SECRETS}
    added = {name: makers[name]() for name in names if name not in stored}
    if added:
        stored.update(added)
        instance_path.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        # Owner-only from the first byte: these keys decrypt every stored client secret.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(stored, file, indent=2)
        temporary.replace(path)
    return {name: stored[name] for name in names}


def _checked_secret(name, value):
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{name} must be at least {MIN_SECRET_LENGTH} characters long")
    return value


def parse_encryption_keys(value):
    """Decode PORTAL_ENCRYPTION_KEYS: comma-separated URL-safe base64 keys of 32 bytes."""
    keys = []
    for position, text in enumerate(value.split(","), start=1):
        try:
            key = base64.urlsafe_b64decode(text.strip().encode())
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ConfigError(
                f"PORTAL_ENCRYPTION_KEYS: key {position} is not 32 bytes of URL-safe base64"
            )
        keys.append(key)
    return keys


def database_url(value, instance_path):
    """Return a SQLAlchemy URL, defaulting to SQLite under `instance/` and using psycopg 3."""
    value = value.strip()
    if not value:
        return f"sqlite:///{instance_path / 'portal.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def session_cookie(production):
    """Cookie settings for the session token: in production a partitioned third-party cookie.

    It is only the first carrier: the token also travels in a header, for browsers that drop
    even partitioned cookies. The __Host- prefix pins it to our host, path / and HTTPS.
    """
    if not production:
        return {"SESSION_COOKIE_NAME": "portal-session", "SESSION_COOKIE_SECURE": False}
    return {
        "SESSION_COOKIE_NAME": "__Host-portal-session",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_SAMESITE": "None",
        "SESSION_COOKIE_PARTITIONED": True,
    }


def api_tokens(value):
    """Read PORTAL_API_TOKENS, `name:token` pairs separated by commas; names go in the audit log."""
    tokens = {}
    for pair in filter(None, (item.strip() for item in value.split(","))):
        name, _, token = pair.partition(":")
        if not API_TOKEN_NAME.match(name) or len(token) < MIN_SECRET_LENGTH:
            raise ConfigError(
                "PORTAL_API_TOKENS: each entry is name:token, a name of letters, digits, - or _ "
                f"and a token of at least {MIN_SECRET_LENGTH} characters"
            )
        tokens[name] = token
    return tokens


def webhook(environ):
    """Read where verification results are posted, and the secret they are signed with."""
    url = environ.get("PORTAL_WEBHOOK_URL", "").strip()
    secret = environ.get("PORTAL_WEBHOOK_SECRET", "").strip()
    if url and not re.match(r"^https?://[^\s/]+", url):
        raise ConfigError("PORTAL_WEBHOOK_URL must be an http(s):// URL")
    if url and len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"PORTAL_WEBHOOK_SECRET must be at least {MIN_SECRET_LENGTH} characters when "
            "PORTAL_WEBHOOK_URL is set"
        )
    return {"WEBHOOK_URL": url or None, "WEBHOOK_SECRET": secret or None}


def azure_endpoints(environ):
    """Return the Azure cloud and any endpoint overrides (a private cloud, or the fake)."""
    cloud = environ.get("AZURE_CLOUD", "").strip() or "public"
    if cloud not in CLOUDS:
        raise ConfigError(f"AZURE_CLOUD must be one of {', '.join(CLOUDS)}, not {cloud!r}")
    endpoints = {"AZURE_CLOUD": cloud}
    for name in ("AZURE_AUTHORITY_HOST", "AZURE_RESOURCE_MANAGER_URL"):
        value = environ.get(name, "").strip().rstrip("/")
        # Tokens and secrets travel to these hosts: never over plain HTTP.
        if value and not HTTPS_URL.match(value):
            raise ConfigError(f"{name} must be an https:// URL")
        endpoints[name] = value or None
    return endpoints


RESOURCE_GROUP_NAME = re.compile(r"^[-\w._()]{0,89}[-\w_()]$")
REGION_NAME = re.compile(r"^[a-z0-9]{2,40}$")


HOST_NAME = re.compile(r"^(?:\.?[A-Za-z0-9-]+)(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?$")


def trusted_hosts(value, production):
    """Read PORTAL_HOSTS, the names the portal answers to (Flask's TRUSTED_HOSTS): a request
    for any other Host gets a 400, so no redirect can lead to another site. A name starting
    with a dot also allows its subdomains. Required in production."""
    hosts = value.replace(",", " ").split()
    if not hosts and production:
        raise ConfigError("PORTAL_HOSTS is not set (required when PORTAL_ENV=production)")
    for host in hosts:
        if not HOST_NAME.match(host):
            raise ConfigError(f"PORTAL_HOSTS: {host!r} is not a host name like portal.example.com")
    return hosts or ["127.0.0.1", "localhost"]


def proxies(value):
    """Read PORTAL_PROXIES: how many proxies in front of the portal add X-Forwarded-For and
    X-Forwarded-Proto (0 when it is reached directly). Behind one, every client would
    otherwise share the proxy's address, and so its rate limits."""
    value = value.strip() or "0"
    if not value.isdigit() or int(value) > 5:
        raise ConfigError("PORTAL_PROXIES must be a number of proxies from 0 to 5")
    return int(value)


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def reverify_every(value):
    """Read PORTAL_REVERIFY_EVERY: how often each connected account is verified again, as
    seconds or with a unit ("12h", "1d"; default 1d), from a minute up; "off" for never.
    Returns a timedelta, or None when off."""
    value = value.strip().lower() or "1d"
    if value == "off":
        return None
    match = re.fullmatch(r"(\d+)\s*([smhd]?)", value)
    seconds = match and int(match[1]) * DURATION_UNITS[match[2] or "s"]
    if not seconds or not 60 <= seconds <= 366 * 86400:
        raise ConfigError(
            'PORTAL_REVERIFY_EVERY must be a period from 60 s to a year, such as "1d" or '
            '"12h", or "off"'
        )
    return timedelta(seconds=seconds)


def web_threads(environ):
    """Read PORTAL_WEB_THREADS: the threads of each gunicorn worker process (default 64).

    Each held status poll takes one for up to POLL_HOLD seconds, and a Redis connection;
    benchmarks/polls.py measured about 45 KiB of memory per held poll."""
    value = environ.get("PORTAL_WEB_THREADS", "").strip() or "64"
    if not value.isdigit() or not 4 <= int(value) <= 1024:
        raise ConfigError("PORTAL_WEB_THREADS must be a number of threads from 4 to 1024")
    return int(value)


RATE_LIMITS = (
    "VERIFY_PER_WORKSPACE",
    "VERIFY_PER_ADDRESS",
    "ENTRY",
    "SESSION_GUESSES",
    "CERTIFICATES",
    "API_PER_TOKEN",
    "API_PER_ADDRESS",
)


def rate_limits(environ):
    """Read PORTAL_LIMIT_<NAME> overrides of the rate limits, such as "10 per minute; 60 per
    hour"; the defaults live beside the app's other limits."""
    found = {}
    for name in RATE_LIMITS:
        value = environ.get(f"PORTAL_LIMIT_{name}", "").strip()
        if not value:
            continue
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(
                f"PORTAL_LIMIT_{name} must read like '10 per minute; 60 per hour'"
            ) from None
        found[f"RATELIMIT_{name}"] = value
    return found


def provisioning(environ, cloud):
    """Read what ColdSend creates, which the dry run validates: resource group, region (by
    default the cloud's), data location."""
    group = environ.get("PORTAL_RESOURCE_GROUP", "").strip() or Provisioning.resource_group
    location = environ.get("PORTAL_RESOURCE_LOCATION", "").strip() or cloud.region
    data_location = environ.get("PORTAL_DATA_LOCATION", "").strip() or Provisioning.data_location
    if not RESOURCE_GROUP_NAME.match(group):
        raise ConfigError(
            "PORTAL_RESOURCE_GROUP must be 1 to 90 letters, digits, -, _, ., ( or ), "
            "not ending with a dot"
        )
    if not REGION_NAME.match(location):
        raise ConfigError("PORTAL_RESOURCE_LOCATION must be a region name such as eastus")
    if data_location not in DATA_LOCATIONS:
        raise ConfigError(f"PORTAL_DATA_LOCATION must be one of {', '.join(DATA_LOCATIONS)}")
    return Provisioning(group, location, data_location)


def frame_ancestors(value, production):
    """Return the CSP frame-ancestors sources: the configured ones, else only ourselves."""
    sources = value.split()
    if not sources:
        # In development the dev host page frames the portal from the other loopback name.
        return "'none'" if production else DEVELOPMENT_FRAME_ANCESTORS
    for source in sources:
        if not FRAME_SOURCE.match(source):
            raise ConfigError(
                f"PORTAL_FRAME_ANCESTORS: {source!r} is not an origin like https://app.example.com"
            )
    return " ".join(sources)
