"""ColdSend's staff: where customers get stuck in the setup, opened with an API token."""

from flask import Blueprint, render_template

from .. import reports
from ..forms import ReportForm
from ..limits import limiter, setting
from .api import token_name

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/stuck", methods=["GET", "POST"])
# Each refused token counts, per address: this form must not become a way to guess tokens.
@limiter.limit(
    setting("RATELIMIT_SESSION_GUESSES"),
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 401,
)
def stuck():
    """Ask for a token; with a valid one, show the report with its charts. The token is never
    kept nor shown again: each report asks for it."""
    form = ReportForm()
    if not form.validate_on_submit():
        return render_template("staff/stuck.html", form=form), 422 if form.errors else 200
    if token_name(form.token.data) is None:
        form.token.errors.append("This is not an API token of this portal.")
        return render_template("staff/stuck.html", form=form), 401
    report = reports.stuck(form.days.data, form.bucket.data)
    page = render_template("staff/stuck.html", form=form, report=report)
    return page, {"Cache-Control": "no-store"}
