"""Response headers that keep the portal's pages private and its scripts our own."""

from flask import current_app


def register(app):
    app.after_request(add_security_headers)


def add_security_headers(response):
    # No inline script or style anywhere, so the policy needs no 'unsafe-inline'.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
        f"frame-ancestors {current_app.config['FRAME_ANCESTORS']}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The entry URL carries a token; no page should hand its address to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response
