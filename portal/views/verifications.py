"""Verifying an account: start, the live status partial, and registering the provider."""

import functools

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import bindparam
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.exc import ObjectDeletedError
from werkzeug.exceptions import NotFound

from .. import changes, jobs, verifying
from ..extensions import db
from ..forms import ConfirmForm
from ..limits import starts_verification
from ..models import (
    AzureAccount,
    StepResult,
    Verification,
    progress_key,
    shown_version,
    utcnow,
)
from .accounts import account_or_404, verify
from .embed import in_workspace_session, workspace_required

bp = Blueprint("verifications", __name__, url_prefix="/accounts/<account_id>/verifications")


def verification_or_404(account, verification_id):
    return db.first_or_404(
        db.select(Verification).filter_by(id=verification_id, account_id=account.id)
    )


def answer(account, verification):
    """Return the panel where htmx asked for one in its place (HX-Target), or send the
    browser to the account page: a page without a panel yet (never checked), or no script."""
    if request.headers.get("HX-Target") == "verification":
        return panel_response(account, verification, acted=True)
    return redirect(url_for("accounts.show", account_id=account.id, _anchor="verification"), 303)


def panel_response(account, verification, acted=False):
    """The panel, with its summary for the live region; `acted` when the customer clicked
    (Verify again, Stop waiting, Register it for me), not for a poll."""
    return render_template(
        "verifications/_panel.html",
        account=account,
        verification=verification,
        form=ConfirmForm(),
        announce=True,
        acted=acted,
    )


@bp.post("")
@workspace_required
@starts_verification
def start(account_id):
    """Verify the account now; a click while one runs joins the running one."""
    account = account_or_404(account_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.show", account_id=account.id), 303)
    verification = verify(account)
    if verification is None:  # the workspace's other checks must finish first, as flashed
        return redirect(url_for("accounts.show", account_id=account.id), 303)
    return answer(account, verification)


def gone_from_the_list(view):
    """A list's cell (`part=status`) whose account or check is gone takes its row away, and
    the rest of the list stays; a panel gives way to the 404's notice, as any page does."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        try:
            return view(**kwargs)
        except NotFound:
            if request.args.get("part") != "status":
                raise
            return "", {"HX-Retarget": "closest tr", "HX-Reswap": "delete"}

    return wrapped


@bp.get("/<verification_id>")
@in_workspace_session  # the workspace's id is all a poll needs of it
@gone_from_the_list
def status(account_id, verification_id):
    """Serve the status partial once it differs from the `seen` version: at once if it does,
    else, while it runs, as soon as a change is committed (a long-poll); 204 if nothing
    changed within POLL_HOLD seconds, or nothing can because it has finished."""
    seen = request.args.get("seen")
    key, running = progress(account_id, verification_id)
    if key == seen and running:
        try:
            key, running = after_next_change(account_id, verification_id, seen)
        except changes.Unheard as reason:
            # Asked again in a second, as before polls were held: slower, never lost.
            current_app.logger.info("A poll is not held: %s", reason)
            return "", 204, {"Retry-After": "1"}
    if key == seen:
        return "", 204
    account, verification = current(account_id, verification_id)
    if request.args.get("part") == "status":  # the list's status cell, not the whole panel
        cell = render_template("accounts/_status_cell.html", account=account)
        return cell + render_template("accounts/_last_passed.html", account=account, oob=True)
    return panel_response(account, verification)


@bp.get("/latest")
@workspace_required
def latest(account_id):
    """Serve the account's panel as it is now, if it differs from the `seen` version
    (models.shown_version); else 204. A finished panel asks when its page is shown again, so
    what another tab or person did meanwhile (Verify again, an edit) shows there too: it holds
    no poll, which would take a thread for every page left open."""
    wanted = {"account_id": account_id, "workspace_id": g.workspace_id}
    verification = db.session.scalars(LATEST, wanted).unique().one_or_none()
    if verification is None:  # no such account here, or one never checked (no panel asks)
        account_or_404(account_id)
        return "", 204
    verification = ended_if_stale(verification)
    if shown_version(verification.account, verification) == request.args.get("seen"):
        return "", 204
    return panel_response(verification.account, verification)


def named(account_id, verification_id):
    return {
        "verification_id": verification_id,
        "account_id": account_id,
        "workspace_id": g.workspace_id,
    }


# The verification a status request names, within the session's workspace (`named`).
NAMED = (
    Verification.id == bindparam("verification_id"),
    Verification.account_id == bindparam("account_id"),
    AzureAccount.workspace_id == bindparam("workspace_id"),
)
# Built once: building a statement costs a poll more than running it does. A poll reads
# only columns: most answer "nothing new", and loading objects would cost more than the read.
PROGRESS = (
    db.select(
        Verification.state,
        Verification.attempt,
        Verification.recheck_at,
        Verification.running,
        Verification.deadline_at,
        StepResult.step,
        StepResult.state.label("step_state"),
        StepResult.code,
    )
    .join(Verification.account)
    .outerjoin(Verification.steps)
    .where(*NAMED)
    .order_by(StepResult.position)
)
# A verification with its account and its steps, in one read: a panel made from it stays
# whole if the account is deleted meanwhile (steps loaded later would be none).
WHOLE = (
    db.select(Verification)
    .join(Verification.account)
    .options(contains_eager(Verification.account), joinedload(Verification.steps))
)
CURRENT = WHOLE.where(*NAMED)
# The account's last verification.
LATEST = (
    WHOLE.where(
        AzureAccount.id == bindparam("account_id"),
        AzureAccount.workspace_id == bindparam("workspace_id"),
    )
    .order_by(Verification.created_at.desc())
    .limit(1)
)

# The key of a stale verification: equal to no `seen` a poll can send (None included), so the
# panel's read that ends it always follows.
STALE = object()


def progress(account_id, verification_id):
    """The verification's progress key as the database has it now, and whether it runs, in
    one read; (STALE, True) once it is stale.

    Read on a connection of its own, given back at once: each read is fresh, a held poll
    holds none while it waits, and the ORM's session, which a poll never needs, would cost a
    204 a quarter of its time."""
    with db.engine.connect() as connection:
        rows = connection.execute(PROGRESS, named(account_id, verification_id)).all()
    if not rows:
        abort(404)
    first = rows[0]
    if first.running and utcnow() > first.deadline_at:
        return STALE, True
    steps = [(row.step, row.step_state, row.code) for row in rows if row.step is not None]
    return progress_key(first.state, first.attempt, first.recheck_at, steps), bool(first.running)


def current(account_id, verification_id):
    """The account and its verification as the database has them now (a stale one ended),
    its steps included, in one read."""
    verification = (
        db.session.scalars(CURRENT, named(account_id, verification_id)).unique().one_or_none()
    )
    if verification is None:
        abort(404)
    verification = ended_if_stale(verification)
    return verification.account, verification


def ended_if_stale(verification):
    """`verifying.expire_if_stale`, then 404 if the account is gone: ending a stale check
    commits, so what this request loaded is read again, and another tab, support or the API
    may have deleted the account meanwhile."""
    verification = verifying.expire_if_stale(verification)
    try:
        verification.account.id  # noqa: B018 (read again now, not mid-template)
    except ObjectDeletedError:
        abort(404)
    return verification


def after_next_change(account_id, verification_id, seen):
    """The progress key and running flag once a change to what `seen` showed is committed,
    or as they are after POLL_HOLD seconds."""
    with changes.listening(
        verification_id,
        current_app.config["POLL_HOLD"],
        holder=session.token,
        client=request.environ.get("gunicorn.socket"),
    ) as next_change:
        key, running = progress(account_id, verification_id)  # now no change goes unheard
        while key == seen and running:
            changed = next_change()
            # Read again even when nothing was announced: it may have gone meanwhile (404).
            key, running = progress(account_id, verification_id)
            if not changed:
                break
    return key, running


@bp.post("/<verification_id>/stop")
@workspace_required
def stop(account_id, verification_id):
    """Stop waiting for a role to propagate: the verification ends as failed at step 4."""
    return confirmed(account_id, verification_id, verifying.stop_waiting)


@bp.post("/<verification_id>/provider-registration")
@workspace_required
@starts_verification
def register_provider(account_id, verification_id):
    """Register Microsoft.Communication with the customer's own app, and watch it finish."""
    return confirmed(account_id, verification_id, jobs.register_provider_for)


def confirmed(account_id, verification_id, action):
    """Apply `action` to the account's verification if the form's CSRF token holds."""
    account = account_or_404(account_id)
    verification = verification_or_404(account, verification_id)
    if ConfirmForm().validate_on_submit():
        action(verification)
    return answer(account, verification)
