"""The API for the ColdSend back end: accounts, verification results, credentials to provision.

Every call needs `Authorization: Bearer <token>` with a token from PORTAL_API_TOKENS; errors
are JSON `{"error": {"code", "message"}}` with stable codes. The document is
/api/v1/openapi.json, kept in the repository beside this module.
"""

import hmac
import json
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, request

from .. import audit, jobs, reports, secret_expiry, verifying
from ..crypto import SecretUnreadable
from ..extensions import csrf, db
from ..limits import api_token_key, limiter, setting, starts_verification
from ..models import AzureAccount, Workspace

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: nothing a forged cross-site request can carry
# Counted before the token is checked, so guesses count too.
limiter.limit(setting("RATELIMIT_API_PER_ADDRESS"))(bp)
limiter.limit(setting("RATELIMIT_API_PER_TOKEN"), key_func=api_token_key)(bp)
REASON_HEADER = "X-Access-Reason"
OPENAPI = json.loads((Path(__file__).parent.parent / "openapi.json").read_text())


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(ApiError)
def api_error(error):
    return jsonify(error={"code": error.code, "message": error.message}), error.status


@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi":
        return
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    name = token_name(presented) if scheme.lower() == "bearer" and presented else None
    if name is None:
        raise ApiError(
            401, "unauthorized", "Send a valid API token: Authorization: Bearer <token>."
        )
    g.api_token_name = name


def token_name(presented):
    """Return the name of the configured token equal to `presented`, comparing in constant time."""
    found = None
    for name, token in current_app.config["API_TOKENS"].items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            found = name
    return found


@bp.get("/openapi.json")
def openapi():
    """Serve the API's OpenAPI document."""
    return jsonify(OPENAPI)


@bp.get("/reports/stuck")
def stuck():
    """Where customers get stuck in the setup, over every workspace (portal/reports.py)."""
    days = request.args.get("days", "90")
    bucket = request.args.get("bucket", "day")
    if not days.isdigit() or not 1 <= int(days) <= 366:
        raise ApiError(400, "invalid_days", "days must be a whole number from 1 to 366.")
    if bucket not in reports.BUCKETS:
        raise ApiError(400, "invalid_bucket", "bucket must be day or week.")
    return jsonify(reports.stuck(int(days), bucket))


@bp.get("/workspaces/<workspace_id>/accounts")
def accounts(workspace_id):
    """List a workspace's accounts with their status (none if the workspace never came)."""
    workspace = db.session.scalar(db.select(Workspace).filter_by(external_id=workspace_id))
    listed = workspace.accounts if workspace else []
    for each in listed:
        verifying.expire_if_stale(each.last_verification)
    return jsonify(accounts=[account_json(account) for account in listed])


@bp.get("/workspaces/<workspace_id>/accounts/<account_id>")
def account(workspace_id, account_id):
    """One account with its last verification and the state of every step."""
    found = account_or_404(workspace_id, account_id)
    last = verifying.expire_if_stale(found.last_verification)
    return jsonify(
        account=account_json(found), last_verification=verification_json(last) if last else None
    )


@bp.post("/workspaces/<workspace_id>/accounts/<account_id>/verifications")
@starts_verification
def verify(workspace_id, account_id):
    """Verify the account again; a verification already running is returned instead."""
    verification = jobs.start(account_or_404(workspace_id, account_id))
    if verification is None:
        raise ApiError(
            429,
            "too_many_in_flight",
            f"{current_app.config['VERIFICATIONS_IN_FLIGHT']} verifications of this workspace "
            "are running; start this one when one has finished.",
        )
    return jsonify(verification=verification_json(verification)), 202


@bp.get("/workspaces/<workspace_id>/accounts/<account_id>/credentials")
def credentials(workspace_id, account_id):
    """The decrypted credentials of a verified account, for provisioning; every read audited."""
    found = account_or_404(workspace_id, account_id)
    reason = utf8_header(request.headers.get(REASON_HEADER, "")).strip()
    if not 0 < len(reason) <= 200 or not reason.isprintable():
        raise ApiError(400, "reason_required", f"Say why in {REASON_HEADER} (200 characters).")
    unreadable = ApiError(
        409,
        "secret_unreadable",
        "The stored secret cannot be decrypted: the customer must enter it again.",
    )
    if found.status == "secret_unreadable":
        raise unreadable
    if found.status != "verified":
        raise ApiError(
            409, "account_not_verified", "Credentials are released only for a verified account."
        )
    try:
        proof = found.decrypt_credential()
    except SecretUnreadable:
        raise unreadable from None
    audit.record(found, f"api:{g.api_token_name}", "read-credentials", reason)
    db.session.commit()
    current_app.logger.info("Credentials of account %s read by %s", found.id, g.api_token_name)
    certificate = found.credential_type == "certificate"
    response = jsonify(
        tenant_id=found.tenant_id,
        client_id=found.client_id,
        subscription_id=found.subscription_id,
        credential_type=found.credential_type,
        client_secret=None if certificate else proof,
        client_certificate=proof.pem if certificate else None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def utf8_header(value):
    """Read a header sent as UTF-8, as clients send non-ASCII text; WSGI hands it over decoded
    as Latin-1 (PEP 3333). A value that is not UTF-8 is kept as it came."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def account_or_404(workspace_id, account_id):
    found = db.session.scalar(
        db.select(AzureAccount)
        .join(Workspace)
        .where(Workspace.external_id == workspace_id, AzureAccount.id == account_id)
    )
    if found is None:
        raise ApiError(404, "not_found", "No such account in this workspace.")
    return found


def account_json(account):
    return {
        "id": account.id,
        "name": account.name,
        "tenant_id": account.tenant_id,
        "client_id": account.client_id,
        "subscription_id": account.subscription_id,
        "status": account.status,
        "credential_type": account.credential_type,
        "last_verified_at": timestamp(account.last_verified_at),
        "secret_set_at": timestamp(account.secret_set_at),
        "secret_expires_on": account.secret_expires_on and account.secret_expires_on.isoformat(),
        **secret_json(account),
        "next_check_at": timestamp(account.next_check_at)
        if current_app.config["REVERIFY_EVERY"]
        else None,
    }


def secret_json(account):
    secret = secret_expiry.secret_status(account)
    return {"secret_status": secret.status, "secret_days_left": secret.days_left}


def verification_json(verification):
    outcome = verification.outcome
    return {
        "id": verification.id,
        "state": verification.state.value,
        "started_by": verification.started_by,
        "started_at": timestamp(verification.created_at),
        "finished_at": timestamp(verification.finished_at),
        "failed_step": outcome["failed_step"],
        "code": outcome["code"],
        "steps": [
            {
                "step": row.step.value,
                "guide_step": row.step.number if row.step.in_guide else None,
                "state": row.state.value,
                "code": row.code,
            }
            for row in verification.steps
        ],
    }


def timestamp(value):
    return value and value.isoformat(timespec="seconds") + "Z"
