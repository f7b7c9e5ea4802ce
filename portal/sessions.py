"""Server-side sessions that survive a cross-site iframe with every cookie blocked.

Browsers block third-party cookies inside the ColdSend app's iframe; some also drop partitioned
ones. So the session lives in the database under a random token, and the token travels two
ways: a partitioned cookie where the browser keeps it, and the X-Portal-Session header that
htmx sends on every request (the page renders the token into `hx-headers`). Flashed messages and
Flask-WTF's CSRF token live in the session, so both keep working with either carrier. Only a
hash of the token is stored: a copy of the database opens no session.
"""

import hashlib
import secrets

from flask import session
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.datastructures import CallbackDict

from . import errors
from .extensions import db
from .models import SpentLinkToken, StoredSession, utcnow

HEADER = "X-Portal-Session"


class PortalSession(CallbackDict, SessionMixin):
    """A session's data, its token, and whether it must be written back."""

    def __init__(self, data=None, token=None):
        def on_update(session):
            session.modified = True

        super().__init__(data or {}, on_update)
        self.token = token
        self.replaced_token = None
        # The signed link this session was opened with, spent: given back if the session
        # cannot be stored, so that trying the same link again opens it.
        self.spent_link = None
        self.modified = False
        # The database's error when the session could not be read: raised by `unreadable`
        # once the error handlers can answer it (503), where Flask opens sessions they cannot.
        self.error = None

    def regenerate(self):
        """Start afresh under a new token, as on signing in, so no earlier token carries over."""
        self.clear()
        self.replaced_token, self.token = self.token, secrets.token_urlsafe(32)


class StoredSessions(SessionInterface):
    """Keep sessions in the database; find them by header or by cookie."""

    def open_session(self, app, request):
        token = request.headers.get(HEADER) or request.cookies.get(self.get_cookie_name(app))
        try:
            data = load(token) if token else None
        except (OperationalError, PoolTimeout) as error:
            unread = PortalSession(token=token)
            unread.error = error
            return unread
        return PortalSession(data, token) if data is not None else PortalSession()

    def save_session(self, app, session, response):
        if not session.modified:
            return
        if session.token is None:
            session.token = secrets.token_urlsafe(32)
        expires_at = utcnow() + app.permanent_session_lifetime
        # The page is made: its connection goes back to the pool before the write takes one.
        # Threads that each held one while waiting for a second emptied the pool and waited
        # on each other for its 30-s timeout (benchmarks/polls.py met it).
        db.session.close()
        try:
            store(session, expires_at)
        except (OperationalError, PoolTimeout) as error:
            # Written after the page was made, outside the error handlers. A redirect stays:
            # what it follows is done, and only its notice is lost.
            if not 300 <= response.status_code < 400:
                errors.make_busy(response, error)
            if session.spent_link:
                give_back(session.spent_link)
            return
        response.set_cookie(
            self.get_cookie_name(app),
            session.token,
            max_age=int(app.permanent_session_lifetime.total_seconds()),
            path="/",
            secure=self.get_cookie_secure(app),
            httponly=True,
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )


def give_back(jti):
    """Unspend a signed link whose session could not be stored: best effort, as the database
    that refused the session may refuse this too (the link then stays spent, and the page
    says to open the portal again from ColdSend)."""
    try:
        with db.engine.begin() as connection:
            connection.execute(delete(SpentLinkToken).where(SpentLinkToken.jti == jti))
    except (OperationalError, PoolTimeout):
        pass


def unreadable():
    """Before every request (registered first): a session the database could not give is
    answered as busy, and never written back empty over the stored one."""
    if session.error is not None:
        raise session.error


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


# Built once: every request runs it, and building it cost more than running it.
LOAD = select(StoredSession.data).where(
    StoredSession.id == bindparam("id"), StoredSession.expires_at > bindparam("now")
)


def load(token):
    with db.engine.connect() as connection:
        row = connection.execute(LOAD, {"id": token_hash(token), "now": utcnow()}).first()
    return row.data if row else None


def store(session, expires_at):
    """Write the session under its token, forgetting a token it replaced and expired ones.

    Written in place (insert, or update on conflict): two requests of one session at once
    both succeed, the later write winning, where a delete-then-insert let one of them fail.
    """
    table = StoredSession.__table__
    with db.engine.begin() as connection:
        if session.replaced_token:
            connection.execute(
                delete(table).where(
                    (table.c.id == token_hash(session.replaced_token))
                    | (table.c.expires_at < utcnow())
                )
            )
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        values = {"data": dict(session), "expires_at": expires_at}
        write = dialect.insert(table).values(id=token_hash(session.token), **values)
        connection.execute(write.on_conflict_do_update(index_elements=[table.c.id], set_=values))
