"""The workspace's Azure accounts: the guide with its fields, the list, one account, changes."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import audit, fast_path, jobs, pending_certificates, secret_expiry, verifying
from ..errors import BUSY_RETRY_AFTER
from ..extensions import db
from ..forms import AccountForm, ConfirmForm, EditAccountForm
from ..framing import queue_event
from ..limits import makes_certificates, starts_verification
from ..models import CREDENTIAL_NAMES, AzureAccount
from .embed import workspace_required

bp = Blueprint("accounts", __name__)


def account_or_404(account_id):
    """Return the workspace's account; another workspace's account is as absent as a missing one."""
    return db.first_or_404(
        db.select(AzureAccount).filter_by(id=account_id, workspace_id=g.workspace.id)
    )


@bp.get("/")
@workspace_required
def index():
    """List the accounts, or go straight to the guide when there are none yet."""
    if not g.workspace.accounts:
        return redirect(url_for("accounts.new"))
    return render_template("accounts/index.html", accounts=g.workspace.accounts)


def landing():
    """The page a workspace arrives at: its accounts, or the guide for a first one, served in
    the answer to the signed link itself, with the address it lives at (`g.address`, which
    portal.js puts in the address bar in place of the link's)."""
    if not g.workspace.accounts:
        g.address = url_for("accounts.new")
        return render_template("accounts/new.html", form=AccountForm(workspace=g.workspace))
    g.address = url_for("accounts.index")
    return render_template("accounts/index.html", accounts=g.workspace.accounts)


@bp.route("/accounts/new", methods=["GET", "POST"])
@workspace_required
@starts_verification
def new():
    """Show the guide with a field in each step; save the account when the form is valid."""
    form = AccountForm(workspace=g.workspace)
    status = None
    if form.validate_on_submit():
        account = AzureAccount(workspace=g.workspace)
        status = filled(form, account)
        if status is None:
            db.session.add(account)
            audit.record(account, "customer", "created")
            status = saved(form)
        if status is None:
            flash(f"Saved “{account.name}”. {STORED[account.credential_type]}")
            verify(account)
            return redirect(url_for("accounts.show", account_id=account.id), 303)
    status = status or (422 if form.errors else 200)
    return render_template("accounts/new.html", form=form), status, retry_after(status)


@bp.get("/accounts/commands")
@workspace_required
def commands():
    """The Cloud Shell commands for the Subscription ID typed so far (htmx)."""
    subscription_id = request.args.get("subscription_id", "")
    return render_template("accounts/_commands.html", subscription_id=subscription_id)


@bp.post("/accounts/command-output")
@bp.post("/accounts/<account_id>/command-output")
@workspace_required
def command_output(account_id=None):
    """Read what the one-command setup printed and fill the fields with it (htmx), on the new
    account's form or an account's edit form.

    The text is read here and forgotten: never stored, logged or sent back."""
    account = account_or_404(account_id) if account_id else None
    form_class = EditAccountForm if account else AccountForm
    form = form_class(workspace=g.workspace, account=account)
    try:
        filled, problem = form.take_command_output(pasting=True), None
    except fast_path.OutputError as error:
        filled, problem = [], str(error)
    return render_template(
        "accounts/_command_output.html",
        form=form,
        filled=[form[name] for name in filled],
        problem=problem,
    )


@bp.get("/accounts/<account_id>")
@workspace_required
def show(account_id):
    """Show one account with its verification; its secret only as the date it was set."""
    account = account_or_404(account_id)
    verifying.expire_if_stale(account.last_verification)
    return render_template("accounts/show.html", account=account, form=ConfirmForm())


@bp.get("/accounts/<account_id>/secret-expiry.ics")
@workspace_required
def secret_expiry_calendar(account_id):
    """The day the client secret expires as a calendar file, with an alarm 30 days before: the
    reminder the guide asks customers to set by hand."""
    account = account_or_404(account_id)
    if account.secret_expires_on is None:
        abort(404)
    host = session.get("embedding", {}).get("origin")
    return secret_expiry.calendar(account, host), {
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": (
            f'attachment; filename="azure-client-{account.credential_type}-expiry.ics"'
        ),
    }


@bp.get("/accounts/<account_id>/activity")
@workspace_required
def activity(account_id):
    """Who did what to the account, and when: the audit log, newest first."""
    account = account_or_404(account_id)
    return render_template(
        "accounts/activity.html", account=account, entries=audit.entries(account)
    )


@bp.route("/accounts/<account_id>/edit", methods=["GET", "POST"])
@workspace_required
@starts_verification
def edit(account_id):
    """Rename an account, correct its IDs, or replace its secret without retyping the rest."""
    account = account_or_404(account_id)
    form = EditAccountForm(obj=account, workspace=g.workspace, account=account)
    status = None
    if form.validate_on_submit():
        status = filled(form, account)
        if status is None:
            audit.record_changes(account, "customer")
            status = saved(form)
        if status is None:
            flash(f"Saved your changes to “{account.name}”.")
            if account.needs_verification:
                verify(account)
            return redirect(url_for("accounts.show", account_id=account.id), 303)
        account = account_or_404(account_id)
    status = status or (422 if form.errors else 200)
    page = render_template("accounts/edit.html", form=form, account=account)
    return page, status, retry_after(status)


STORED = {
    "secret": "Your client secret is stored encrypted.",
    "certificate": "The certificate's private key is stored encrypted.",
}


@bp.post("/accounts/certificates")
@bp.post("/accounts/<account_id>/certificates")
@workspace_required
@makes_certificates
def make_certificate(account_id=None):
    """Make a certificate for the new account's form, or an account's edit form, and answer
    with that form again, offering it at step 3 (htmx swaps in just that part). What else
    was typed waits, unchecked, for Verify."""
    account = account_or_404(account_id) if account_id else None
    if account:
        form = EditAccountForm(workspace=g.workspace, account=account)
    else:
        form = AccountForm(workspace=g.workspace)
    form.credential_type.data = "certificate"
    form.client_certificate.data = pending_certificates.make(g.workspace, account).thumbprint
    db.session.commit()
    if account:
        return render_template("accounts/edit.html", form=form, account=account)
    return render_template("accounts/new.html", form=form)


@bp.get("/accounts/certificates/<thumbprint>.<any(cer, pem):extension>")
@workspace_required
def pending_certificate(thumbprint, extension):
    """A certificate made on the form, to upload to the app in Azure: public, but only for
    the workspace that made it."""
    certificate = pending_certificates.find(g.workspace, thumbprint)
    if certificate is None:
        abort(404)
    return certificate_file(certificate, extension)


@bp.get("/accounts/<account_id>/certificate.<any(cer, pem):extension>")
@workspace_required
def account_certificate(account_id, extension):
    """The certificate an account signs in with, to upload again or to another app."""
    certificate = account_or_404(account_id).certificate
    if certificate is None:
        abort(404)
    return certificate_file(certificate, extension)


def certificate_file(certificate, extension):
    """`.cer`: DER, as Windows and the Azure portal know it; `.pem`: the same, as text."""
    body, media_type = (
        (certificate.der, "application/pkix-cert")
        if extension == "cer"
        else (certificate.pem, "application/x-pem-file")
    )
    name = f"coldsend-azure-connect-{certificate.thumbprint[:8].lower()}.{extension}"
    return body, {
        "Content-Type": media_type,
        "Content-Disposition": f'attachment; filename="{name}"',
    }


@bp.post("/accounts/<account_id>/previous-credential")
@workspace_required
@starts_verification
def restore_previous_credential(account_id):
    """Go back to the secret or certificate that the current one replaced, which had passed,
    and check it again: the way back from a replacement Azure refused."""
    account = account_or_404(account_id)
    kind = account.previous_credential_type
    if ConfirmForm().validate_on_submit() and kind:
        account.restore_previous_credential()
        audit.record(account, "customer", "restored-previous", kind)
        db.session.commit()
        flash(f"Went back to the previous {CREDENTIAL_NAMES[kind]}, and checking it again.")
        verify(account)
    return redirect(url_for("accounts.show", account_id=account.id), 303)


def verify(account):
    """Start verifying `account`, or say why it waits; return the verification or None."""
    verification = jobs.start(account)
    if verification is None:
        flash(IN_FLIGHT.format(count=current_app.config["VERIFICATIONS_IN_FLIGHT"]))
    return verification


IN_FLIGHT = (
    "ColdSend is already checking {count} of your accounts. Verify this one when one of them "
    "has finished."
)


def filled(form, account):
    """Copy the form onto `account`; None when done, else the status of the form sent back
    because its certificate was taken meanwhile (by a save in another tab)."""
    try:
        form.fill(account)
        return None
    except pending_certificates.Gone:
        db.session.rollback()
        form.certificate_gone()
        return 422


def saved(form):
    """Commit the form's changes; None when saved, else the status of a page that says why
    beside the form, with what was typed kept (never the secret).

    Two saves at once can both pass the form's checks; the database then refuses the second
    name exactly as the form would have. A database busy past its timeout is a 503."""
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
        form.name.errors = [*form.name.errors, form.name_taken()]
        return 422
    except OperationalError:
        db.session.rollback()
        current_app.logger.warning("Database busy while saving an account", exc_info=True)
        form.form_errors.append(BUSY)
        return 503


BUSY = "We could not save this just now: try again in a moment. Nothing was saved."


def retry_after(status):
    return BUSY_RETRY_AFTER if status == 503 else {}


@bp.route("/accounts/<account_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(account_id):
    """Ask before deleting an account and its stored secret; delete on confirmation."""
    account = account_or_404(account_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(account)
        db.session.commit()
        queue_event({"type": "account-deleted", "account_id": account_id})
        flash(f"Deleted “{account.name}” and its stored {account.credential_type}.")
        return redirect(url_for("accounts.index"), 303)
    return render_template("accounts/delete.html", account=account, form=form)
