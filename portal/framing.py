"""Who may frame the portal, which host page hears its events, and the events it is told."""

import re
from urllib.parse import urlsplit

from flask import session

ACCENT = re.compile(r"^#[0-9a-fA-F]{6}$")
THEMES = ("light", "dark")


def origin_allowed(origin, sources):
    """Tell whether `origin` matches one of the CSP frame-ancestors sources (wildcards too)."""
    return any(_source_pattern(source).match(origin) for source in sources.split())


def sole_origin(sources):
    """The host page's origin when the configuration allows exactly one, without wildcards:
    then a link needs no `origin` claim for its events to arrive."""
    origins = [source for source in sources.split() if source.startswith(("http://", "https://"))]
    if len(origins) == 1 and "*" not in origins[0]:
        return canonical_origin(origins[0])
    return None


def _source_pattern(source):
    if not source.startswith(("http://", "https://")):
        return re.compile(r"(?!)")  # 'self' and 'none' name no host page to talk to
    pattern = re.escape(source)
    pattern = pattern.replace(r"://\*\.", r"://(?:[A-Za-z0-9-]+\.)+")
    pattern = pattern.replace(r":\*", r"(?::\d{1,5})?")
    return re.compile(f"^{pattern}$", re.IGNORECASE)


def embedding(claims, sources):
    """What the page needs to talk to its host: the host's origin and the chosen appearance.

    Claims that do not fit are left out, never fatal: a wrong colour must not lock a customer out.
    """
    settings = {}
    origin = canonical_origin(claims["origin"]) if claims.get("origin") else None
    if origin and origin_allowed(origin, sources):
        settings["origin"] = origin
    elif not claims.get("origin") and (only := sole_origin(sources)):
        settings["origin"] = only
    if claims.get("theme") in THEMES:
        settings["theme"] = claims["theme"]
    if isinstance(claims.get("accent"), str) and ACCENT.match(claims["accent"]):
        settings["accent"] = claims["accent"]
    return settings


def canonical_origin(origin):
    """`origin` as browsers write it (lower case, no default port, no leading zeros), which
    is what `MessageEvent.origin` is compared with; None if it has no valid port."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:  # a port out of range, or a broken "[IPv6]"
        return None
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def queue_event(event):
    """Keep an event for the host page until the next page is shown (a redirect may come first)."""
    session["portal_events"] = [*session.get("portal_events", []), event]


def queued_events():
    return session.pop("portal_events", [])
