"""Response headers that keep the portal's pages private and its scripts our own."""

import functools

from flask import current_app, g, request


def register(app):
    app.after_request(add_security_headers)


def add_security_headers(response):
    # Only the dev host page frames anything (the portal, from the other loopback name).
    response.headers.update(
        security_headers(
            frame_ancestors=current_app.config["FRAME_ANCESTORS"],
            frame_src=g.get("frame_src", "'none'"),
            production=current_app.config["PORTAL_ENV"] == "production",
        )
    )
    # Pages, partials, the API's JSON (credentials among them), error answers: none may be kept.
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


@functools.cache  # every answer asks, with one of a few sets of arguments
def security_headers(frame_ancestors, frame_src="'none'", production=False):
    """The headers every answer carries, the app's and the web server's own: {name: value}."""
    headers = {
        # No inline script or style anywhere, so the policy needs no 'unsafe-inline'.
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
            f"frame-src {frame_src}; frame-ancestors {frame_ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        # The entry URL carries a token: no other site may see our addresses. Our own requests
        # keep the Referer, which Flask-WTF's CSRF check requires over HTTPS.
        "Referrer-Policy": "same-origin",
    }
    if production:
        # Two years, as the HSTS preload list asks; the portal is only ever served over HTTPS.
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers
