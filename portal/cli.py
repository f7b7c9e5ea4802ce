"""Command-line tasks: a development sign-in link, re-encryption after a key rotation, and
the support staff's verifications."""

import json
import logging
import os
import sys
from types import SimpleNamespace

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import MultiDict

from . import jobs, pending_certificates, queue, signed_links, support, verifying
from .crypto import SecretUnreadable
from .extensions import db
from .forms import AccountForm
from .models import AzureAccount, Verification
from .verification.steps import VerificationState

# Where `flask verify` finds the secret when stdin has none: azure-identity's own name for it.
SECRET_VARIABLE = "AZURE_CLIENT_SECRET"  # noqa: S105 (a variable's name)


def register(app):
    app.cli.add_command(dev_link)
    app.cli.add_command(rotate_encryption_key)
    app.cli.add_command(verify_account)
    app.cli.add_command(verify)


@click.command("dev-link")
@click.option("--workspace", default="dev-workspace", show_default=True, help="Workspace id.")
@click.option("--name", help="Workspace name shown on the pages (default: the id).")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@click.option("--origin", help="The host page's origin, where the portal posts its events.")
@with_appcontext
def dev_link(workspace, name, base_url, origin):
    """Print a fresh sign-in link, as the ColdSend app would make one."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("dev-link is for development; ColdSend makes production links")
    claims = {"origin": origin} if origin else {}
    token = signed_links.mint(
        current_app.config["EMBED_SECRET"], workspace, name or workspace, **claims
    )
    click.echo(f"{base_url.rstrip('/')}/embed?token={token}")


@click.command("rotate-encryption-key")
@with_appcontext
def rotate_encryption_key():
    """Re-encrypt every stored client secret and certificate key with the newest key in
    PORTAL_ENCRYPTION_KEYS."""
    resealed, current, unreadable = 0, 0, []
    for account in db.session.scalars(db.select(AzureAccount)):
        try:
            if account.reseal_credential():
                resealed += 1
            else:
                current += 1
        except SecretUnreadable:
            unreadable.append(account.id)
    resealed += pending_certificates.reseal_all()
    db.session.commit()
    click.echo(
        f"Re-encrypted {resealed} client secret(s) or certificate key(s) with the newest key; "
        f"{current} already used it."
    )
    if unreadable:
        raise click.ClickException(
            f"{len(unreadable)} secret(s) match no configured key (accounts: "
            f"{', '.join(unreadable)}); put their old key back in PORTAL_ENCRYPTION_KEYS."
        )


as_json = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@click.command("verify-account")
@click.argument("account_id")
@as_json
@with_appcontext
def verify_account(account_id, as_json):
    """Verify a stored account now, as its Verify button does, and print each step's result.

    The verification is stored and shown on the account's page; exit status 0 if it passed."""
    quiet_sign_in_warnings()
    try:
        verify_stored(account_id, as_json)
    except OperationalError:
        raise click.ClickException("The database is busy: try again in a moment.") from None


def verify_stored(account_id, as_json):
    account = db.session.get(AzureAccount, account_id)
    if account is None:
        raise click.ClickException(
            f"No account {account_id}. Give its whole id: the last part of its page's address, "
            "36 characters."
        )
    verification, new = verifying.open_for(account, started_by="support")
    if not new:
        click.echo("A verification of this account is running already: its steps so far.", err=True)
    else:
        try:
            jobs.verify(verification.id)
        except queue.RedisError:
            click.echo("Redis is down: a role still propagating is not checked again.", err=True)
    db.session.expire_all()
    report(db.session.get(Verification, verification.id), as_json)


@click.command("verify")
@click.option("--tenant", required=True, help="Tenant ID (Directory ID) or domain.")
@click.option("--client", required=True, help="Client ID (Application ID) of the app.")
@click.option("--subscription", required=True, help="Subscription ID.")
@as_json
@with_appcontext
def verify(tenant, client, subscription, as_json):
    """Check values that belong to no account and print each step's result; nothing is stored.

    The client secret comes from AZURE_CLIENT_SECRET if it is set, else from stdin (asked for,
    hidden, at a terminal): never from an argument, which other users of the machine can
    read in the process list."""
    values = checked_values(tenant, client, subscription, read_secret())
    quiet_sign_in_warnings()
    report(verifying.check_values(*values), as_json)


def checked_values(tenant, client, subscription, secret):
    """The values as the page's form reads and checks them (a GUID in braces, the Secret ID
    for the Value, one ID for another); ClickException naming each mistake, as the form does."""
    sent = MultiDict(
        {
            "name": "support",
            "tenant_id": tenant,
            "client_id": client,
            "subscription_id": subscription,
            "client_secret": secret,
        }
    )
    with current_app.test_request_context():
        form = AccountForm(formdata=sent, meta={"csrf": False}, workspace=NO_WORKSPACE)
        if not form.validate():
            raise click.ClickException(
                "; ".join(
                    f"{form[name].label.text}: {errors[0]}" for name, errors in form.errors.items()
                )
            )
        return form.tenant_id.data, form.client_id.data, form.subscription_id.data, secret


# `flask verify` checks values of no account: no name of theirs can be taken.
NO_WORKSPACE = SimpleNamespace(accounts=[])


def read_secret():
    secret = os.environ.get(SECRET_VARIABLE)
    if not secret and sys.stdin.isatty():
        secret = click.prompt("Client secret", hide_input=True)
    elif not secret:
        secret = sys.stdin.readline().strip()
    if not secret:
        raise click.ClickException(f"No client secret on stdin or in {SECRET_VARIABLE}.")
    try:
        secret.encode()
    except UnicodeEncodeError:  # bytes that are no UTF-8 text: no secret Azure makes
        raise click.ClickException("The client secret is not text: copy its Value again.") from None
    return secret


def quiet_sign_in_warnings():
    # azure-identity warns of every refused sign-in on stderr; the table says it better.
    logging.getLogger("azure.identity").setLevel(logging.ERROR)


def report(verification, as_json):
    """Print the verification's result; exit 1 unless it passed."""
    found = support.result(verification)
    click.echo(json.dumps(found, indent=2) if as_json else support.table(found))
    if verification.state is not VerificationState.PASSED:
        sys.exit(1)
