"""The guide's reference: every problem Verify recognises and its fix, the same for everyone.

Served on its own, not inside the form page: it is two fifths of that page's weight, and most
customers never open it. It needs no session, so its plain link works with no script and no
cookie too.
"""

from flask import Blueprint, render_template, request

bp = Blueprint("guide", __name__, url_prefix="/guide")


@bp.get("/troubleshooting")
def troubleshooting():
    """The known problems: the partial for the form page's "All known problems" (htmx), or a
    page of its own for the plain link."""
    if request.headers.get("HX-Request"):
        return render_template("guide/_troubleshooting.html")
    return render_template("guide/troubleshooting.html")
