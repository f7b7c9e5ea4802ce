"""Rate limits: how often one address, workspace or API token may try, counted in Redis.

Each verification asks Azure about a set of credentials, so without limits the portal would
test stolen ones at scale: starting one (saving the form, Verify, Register it for me, the API)
is limited per workspace and per client address. Entry links and failed session lookups are
limited per address, the API per token and per address. Counters live in the queue's Redis;
if Redis is down, requests go through (the queue is down then too, and the page says so).
"""

import hashlib
import ipaddress

from flask import current_app, g, request
from flask_limiter import Limiter
from limits import parse_many
from limits.errors import StorageError
from redis.exceptions import RedisError


def client_network():
    """The client's address, or for IPv6 its /64: one subscriber usually holds a whole /64
    (RFC 6177), so counting single IPv6 addresses would give an attacker 2**64 counters.

    Behind a proxy (PORTAL_PROXIES) the address is the one it forwarded, written as proxies
    write it (Azure Application Gateway adds a port); a forwarded value that is no address
    counts as the proxy's own, so made-up values cannot each get a counter of their own."""
    address = parsed_address(request.remote_addr or "")
    if address is None:
        peer = request.environ.get("werkzeug.proxy_fix.orig", request.environ)["REMOTE_ADDR"]
        address = parsed_address(peer or "")
    if address is None:  # a Unix socket's peer
        return request.remote_addr or ""
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def parsed_address(text):
    """An IP address written alone, with a port ("1.2.3.4:80", "[::1]:80") or a zone; or None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None


# Its own headers are off: it would put a Retry-After on every answer, a 503's included. Our
# 429 handler sets Retry-After from the limit that was reached.
limiter = Limiter(key_func=client_network, swallow_errors=True, strategy="moving-window")


def init_app(app):
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config["REDIS_URL"]))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "portal-limits")
    # A stalled Redis must not stall every page: a counter not reached in half a second lets
    # the request through (swallow_errors), as a Redis that is down does.
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    )
    limiter.init_app(app)


def storage_uri(redis_url):
    """The `limits` library's name for the queue's Redis: it spells sockets redis+unix://."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def setting(name):
    return lambda: current_app.config[name]


def workspace_key():
    """The ColdSend workspace a verification is for, in the pages and in the API alike."""
    workspace = g.get("workspace")
    return workspace.external_id if workspace else request.view_args["workspace_id"]


def api_token_key():
    """The API token presented, hashed: a counter per token, guessed or real."""
    return hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()[:32]


def starts_verification(view):
    """Limit how often `view` may start a verification, per workspace and per address.

    Only answers that went ahead count: a form sent back with a mistake asks Azure nothing."""
    went_ahead = {"methods": ["POST"], "deduct_when": lambda response: response.status_code < 400}
    per_address = limiter.shared_limit(
        setting("RATELIMIT_VERIFY_PER_ADDRESS"), scope="verify-address", **went_ahead
    )
    per_workspace = limiter.shared_limit(
        setting("RATELIMIT_VERIFY_PER_WORKSPACE"),
        scope="verify-workspace",
        key_func=workspace_key,
        **went_ahead,
    )
    return per_workspace(per_address(view))


def makes_certificates(view):
    """Limit how many certificates a workspace makes: each costs a key pair's generation.

    Counted before the view runs, not after as a verification is: requests that arrive
    together must not all pass one check before any of them is counted."""
    return limiter.limit(
        setting("RATELIMIT_CERTIFICATES"), key_func=workspace_key, scope="certificates"
    )(view)


def session_guessed():
    """Count a request that names no open session (a guessed token, or one whose session
    ended) against its address's RATELIMIT_SESSION_GUESSES: True once the address is over it.

    Counted where the session is found missing, so every route counts alike (a decorator on
    each view let eight of them through uncounted, its marker copied by functools.wraps), and
    a request with an open session is neither counted nor refused: guesses from an address,
    or from behind the same proxy, cannot lock its real customers out. With Redis unreachable
    nothing is counted, as with the limiter's own limits (swallow_errors)."""
    address = client_network()
    items = parse_many(current_app.config["RATELIMIT_SESSION_GUESSES"])
    try:
        return not all([limiter.limiter.hit(item, "session-guesses", address) for item in items])
    except (RedisError, StorageError):
        return False
