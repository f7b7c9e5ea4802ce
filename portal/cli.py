"""Command-line tasks: a development sign-in link, and re-encryption after a key rotation."""

import click
from flask import current_app
from flask.cli import with_appcontext

from . import signed_links
from .crypto import SecretUnreadable
from .extensions import db
from .models import AzureAccount


def register(app):
    app.cli.add_command(dev_link)
    app.cli.add_command(rotate_encryption_key)


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
    """Re-encrypt every stored client secret with the newest key in PORTAL_ENCRYPTION_KEYS."""
    resealed, current, unreadable = 0, 0, []
    for account in db.session.scalars(db.select(AzureAccount)):
        try:
            if account.reseal_client_secret():
                resealed += 1
            else:
                current += 1
        except SecretUnreadable:
            unreadable.append(account.id)
    db.session.commit()
    click.echo(
        f"Re-encrypted {resealed} client secret(s) with the newest key; {current} already used it."
    )
    if unreadable:
        raise click.ClickException(
            f"{len(unreadable)} secret(s) match no configured key (accounts: "
            f"{', '.join(unreadable)}); put their old key back in PORTAL_ENCRYPTION_KEYS."
        )
