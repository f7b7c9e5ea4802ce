"""Error pages: every failure a customer can meet gets a page that says what to do next."""

import math
import time

from flask import current_app, jsonify, render_template, request, session, url_for
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import (
    ClientDisconnected,
    HTTPException,
    InternalServerError,
    RequestTimeout,
    SecurityError,
    ServiceUnavailable,
)

from .extensions import db
from .limits import limiter

MESSAGES = {
    400: ("Something in that request was off", "Go back, reload the page and try again."),
    401: (
        "Your session has ended",
        "Open Azure Connect again from ColdSend: Email Accounts, then the Infrastructure tab.",
    ),
    404: ("Page not found", "This page, or the account it showed, does not exist here."),
    405: ("Page not found", "This page cannot be used that way."),
    408: ("That took too long to arrive", "Check your connection, then send it again."),
    413: ("That was too much to send", "The form accepts a few kilobytes. Check what you pasted."),
    422: ("Something in that request was off", "Go back, reload the page and try again."),
    500: (
        "Something went wrong on our side",
        "Nothing you entered was lost or shown. Try again in a minute.",
    ),
    503: (
        "We are busy for a moment",
        "Nothing you entered was shown to anyone. Go back and send it again in a few seconds.",
    ),
}


def register(app):
    app.register_error_handler(CSRFError, page_expired)
    app.register_error_handler(RateLimitExceeded, too_many)
    app.register_error_handler(SecurityError, unknown_host)
    app.register_error_handler(ClientDisconnected, request_stalled)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, database_busy)
    # Every pooled connection in use for the pool's whole timeout: busy, as a lock wait is.
    app.register_error_handler(PoolTimeout, database_busy)
    app.register_error_handler(Exception, unexpected_error)


def page_expired(error):
    return render_template(
        "errors/error.html",
        title="This page has expired",
        advice="For your security, forms expire. Reload the page and send it again.",
    ), 400


TOO_MANY = "Too many tries for now"


def too_many(error):
    """A rate limit was reached: say when to try again, in the page or the API's JSON."""
    current = limiter.current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    headers = {"Retry-After": str(wait)}
    if request.path.startswith("/api/"):
        message = f"Too many requests; try again in {wait} s."
        return jsonify(error={"code": "too_many_requests", "message": message}), 429, headers
    minutes = max(1, round(wait / 60))
    advice = "To keep connected accounts safe, this can be done only so often. Try again in " + (
        f"{minutes} minutes." if minutes > 1 else "a minute."
    )
    return try_later(TOO_MANY, advice, 429, headers)


def try_later(title, advice, status, headers):
    """An answer that asks to try again later. For a click inside the page (htmx), the page's
    one notice says it (not one more each time), and the page, its results with it, stays;
    portal.js brings the notice into view. Otherwise, a page."""
    if request.headers.get("HX-Request"):
        notice = render_template("errors/_notice.html", title=title, advice=advice)
        return notice, status, {**headers, "HX-Retarget": "#flashes", "HX-Reswap": "innerHTML"}
    return render_template("errors/error.html", title=title, advice=advice), status, headers


def unknown_host(error):
    """A Host we do not answer to (PORTAL_HOSTS): plain words, since no URL of ours can be
    built for a host that is not ours."""
    return "This address is not served here.", 400, {"Content-Type": "text/plain; charset=utf-8"}


def http_error(error):
    if request.path.startswith("/api/"):
        code = error.name.lower().replace(" ", "_")
        return jsonify(error={"code": code, "message": error.description}), error.code
    title, advice = MESSAGES.get(error.code, (error.name, error.description))
    # Within a session, a way on from what is gone (an account deleted in another tab), so the
    # iframe is never a dead end.
    signed_in = session.get("workspace_id")
    way_on = url_for("accounts.index") if error.code == 404 and signed_in else None
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        # A part of the page asked (the live panel, a click in it), not a link: what the page
        # shows is gone or closed to this session, so the page gives way to why.
        notice = render_template("errors/_notice.html", title=title, advice=advice, way_on=way_on)
        return notice, error.code, {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"}
    page = render_template("errors/error.html", title=title, advice=advice, way_on=way_on)
    return page, error.code


# How long a customer is asked to wait when the database is busy.
BUSY_RETRY_AFTER = {"Retry-After": "5"}


def database_busy(error):
    """The database refused or timed out (locked, restarting, out of connections): a 503."""
    db.session.rollback()
    current_app.logger.warning("Database unavailable", exc_info=True)
    if request.path.startswith("/api/"):
        body, status = http_error(ServiceUnavailable())
        return body, status, BUSY_RETRY_AFTER
    title, advice = MESSAGES[503]
    return try_later(title, advice, 503, BUSY_RETRY_AFTER)


def make_busy(response, error):
    """Turn `response`, already made, into the database-busy answer, in place: for a write
    that fails after the view (the session's)."""
    busy = current_app.make_response(database_busy(error))
    response.status_code = busy.status_code
    response.set_data(busy.get_data())
    response.headers.update({k: v for k, v in busy.headers.items() if k != "Content-Length"})


def request_stalled(error):
    """The body stopped arriving: the client left, or stalled past the web server's read
    timeout (portal/web_server.py). gunicorn closes the connection after the answer."""
    return http_error(RequestTimeout())


def unexpected_error(error):
    # A handler for Exception stops Flask logging it, so log here; the customer sees no detail.
    current_app.logger.exception("Unhandled error")
    # The page itself may read the database: the failed transaction must not stop it.
    db.session.rollback()
    return http_error(InternalServerError())
