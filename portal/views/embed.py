"""Entry through a signed link from the ColdSend app, and the workspace session it opens."""

import functools
from datetime import UTC, datetime

from flask import Blueprint, current_app, g, render_template, request, session
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import Unauthorized

from .. import sessions, signed_links
from ..errors import http_error, too_many
from ..extensions import db
from ..framing import embedding
from ..limits import limiter, session_guessed, setting
from ..models import SpentLinkToken, Workspace, utcnow

bp = Blueprint("embed", __name__)


@bp.get("/embed")
@limiter.limit(setting("RATELIMIT_ENTRY"))
def enter():
    """Open a session for the workspace a signed link names, then drop the token from the URL."""
    try:
        claims = signed_links.read(
            request.args.get("token", ""), current_app.config["EMBED_SECRET"]
        )
        spend(claims)
    except signed_links.InvalidLink as problem:
        # The link opened or reopened in a browser whose session is still open (a reload, a
        # second tab): the way on is there, not only back through the app.
        signed_in = bool(session.get("workspace_id"))
        page = render_template("embed/invalid_link.html", problem=str(problem), signed_in=signed_in)
        return page, 401

    try:
        g.workspace = workspace_named_by(claims)
    except OperationalError:  # answered as busy: the same link must open it once it is not
        db.session.rollback()
        sessions.give_back(claims.jti)
        raise
    session.regenerate()
    session.spent_link = claims.jti
    session["workspace_id"] = g.workspace.id
    session["embedding"] = embedding(claims.embedding, current_app.config["FRAME_ANCESTORS"])
    # Not a redirect: in an iframe without cookies only this answer can hand the session token
    # to the page (and htmx). It is the landing page itself, one round trip for the customer.
    from .accounts import landing  # here: accounts imports this module's workspace_required

    return landing()


def spend(claims):
    """Record the link's `jti` as used, refusing one already used."""
    db.session.execute(db.delete(SpentLinkToken).where(SpentLinkToken.expires_at < utcnow()))
    expires_at = datetime.fromtimestamp(claims.expires_at + signed_links.CLOCK_SKEW, UTC)
    db.session.add(SpentLinkToken(jti=claims.jti, expires_at=expires_at.replace(tzinfo=None)))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise signed_links.InvalidLink("This link has already been used.") from None


def workspace_named_by(claims):
    """Return the link's workspace, creating it on its first visit."""
    select = db.select(Workspace).filter_by(external_id=claims.workspace)
    workspace = db.session.scalar(select)
    if workspace is None:
        db.session.add(Workspace(external_id=claims.workspace, name=claims.name))
        try:
            db.session.commit()
        except IntegrityError:  # created meanwhile by another link for the same workspace
            db.session.rollback()
        workspace = db.session.scalar(select)
    elif claims.name and claims.name != workspace.name:
        workspace.name = claims.name
        db.session.commit()
    return workspace


def in_workspace_session(view):
    """Serve `view` only within a workspace session; its workspace's id goes into `g`. Without
    one, the request counts as a guess of a session token (limits.session_guessed)."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        g.workspace_id = session.get("workspace_id")
        if not g.workspace_id:
            return too_many(None) if session_guessed() else http_error(Unauthorized())
        return view(**kwargs)

    return wrapped


def workspace_required(view):
    """Serve `view` only within a workspace session; load the workspace into `g`."""

    @in_workspace_session
    @functools.wraps(view)
    def wrapped(**kwargs):
        g.workspace = db.session.get(Workspace, g.workspace_id)
        if g.workspace is None:
            return http_error(Unauthorized())
        return view(**kwargs)

    return wrapped
