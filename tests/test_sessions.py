"""Sessions that work with no cookie at all: the token in a header carries everything."""

import re
import secrets
from datetime import timedelta
from threading import Barrier, Thread

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from portal import create_app, sessions
from portal.extensions import db
from portal.models import StoredSession, utcnow
from portal.sessions import HEADER, PortalSession, store, token_hash

from .conftest import VALID_ACCOUNT, csrf_token, enter, link_token, make_app


def enter_without_cookies(app, workspace="acme"):
    """Enter as a browser that keeps no cookie would: return a client and the page's token."""
    client = app.test_client(use_cookies=False)
    page = client.get(f"/embed?token={link_token(app, workspace)}").text
    token = re.search(r'hx-headers=\'\{"X-Portal-Session": "([^"]+)"\}\'', page).group(1)
    return client, {HEADER: token}


def test_with_the_header_alone_forms_csrf_and_flashed_messages_all_work(app):
    client, header = enter_without_cookies(app)

    form = client.get("/accounts/new", headers=header)
    assert form.status_code == 200
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text).group(1)
    saved = client.post("/accounts/new", data={**VALID_ACCOUNT, "csrf_token": csrf}, headers=header)

    assert saved.status_code == 303
    account = client.get(saved.headers["Location"], headers=header)
    assert "Saved “Production”" in account.text


def test_without_the_header_or_a_cookie_there_is_no_session(app):
    client, _ = enter_without_cookies(app)

    assert client.get("/accounts/new").status_code == 401


def test_the_header_does_not_replace_the_csrf_token(app):
    client, header = enter_without_cookies(app)

    response = client.post("/accounts/new", data=VALID_ACCOUNT, headers=header)

    assert response.status_code == 400


def test_an_unknown_or_expired_token_opens_nothing(app):
    client, header = enter_without_cookies(app)
    with app.app_context():
        db.session.execute(db.update(StoredSession).values(expires_at=utcnow() - timedelta(1)))
        db.session.commit()

    assert client.get("/accounts/new", headers=header).status_code == 401
    assert client.get("/accounts/new", headers={HEADER: "made-up"}).status_code == 401


def test_only_a_hash_of_the_token_is_stored(app):
    _, header = enter_without_cookies(app)

    with app.app_context():
        ids = db.session.scalars(db.select(StoredSession.id)).all()
    assert ids == [token_hash(header[HEADER])]


def test_a_new_link_opens_a_new_session_and_the_old_token_stops_working(app):
    client, old = enter_without_cookies(app)
    page = client.get(f"/embed?token={link_token(app, 'globex', 'Globex')}", headers=old).text
    new = {HEADER: re.search(r'"X-Portal-Session": "([^"]+)"', page).group(1)}

    assert new != old
    assert client.get("/accounts/new", headers=old).status_code == 401
    assert "Globex" in client.get("/accounts/new", headers=new).text


def test_in_production_the_cookie_is_a_partitioned_host_only_third_party_cookie(
    app, database_url, redis_url
):
    # `app` is asked for its clean-up of the shared database after the test.
    production = make_app(
        database_url, redis_url, PORTAL_ENV="production", PORTAL_HOSTS="portal.example"
    )

    response = production.test_client().get(
        f"/embed?token={link_token(production)}", base_url="https://portal.example"
    )

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-portal-session=")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=None", "Partitioned"):
        assert attribute in cookie
    assert "Domain=" not in cookie


@pytest.mark.reliability("two requests of one session at once", "both succeed")
def test_two_writes_of_one_new_session_at_once_both_succeed(app):
    errors = []

    def write(session, barrier):
        with app.app_context():
            barrier.wait()
            try:
                store(session, utcnow() + timedelta(hours=1))
            except Exception as error:  # noqa: BLE001 (any failure is the finding)
                errors.append(error)

    for _ in range(20):
        session, barrier = PortalSession({"seen": 1}, token=secrets.token_urlsafe(32)), Barrier(2)
        threads = [Thread(target=write, args=(session, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredSession)) == 20


def test_a_request_that_writes_its_session_never_holds_two_connections(app, customer):
    """A thread holding its page's connection while it waits for the session's would, with
    every thread doing the same, empty the pool: all wait on each other for 30 s, then 500."""
    out, most = set(), [0]

    def checked_out(_dbapi, record, _proxy):
        out.add(record)
        most[0] = max(most[0], len(out))

    def checked_in(_dbapi, record):
        out.discard(record)

    with app.app_context():
        pool = db.engine.pool
    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", checked_in)
    try:
        # Reads the workspace and its accounts, then writes the session: a flashed message.
        saved = customer.post(
            "/accounts/new",
            data={**VALID_ACCOUNT, "csrf_token": csrf_token(customer, "/accounts/new")},
        )
    finally:
        event.remove(pool, "checkout", checked_out)
        event.remove(pool, "checkin", checked_in)

    assert saved.status_code == 303
    assert most[0] == 1


def test_with_every_pooled_connection_taken_a_page_says_busy_not_500(database_url, redis_url):
    app = create_app(
        {
            **make_app(database_url, redis_url).config,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2},
        }
    )
    customer = enter(app.test_client())
    with app.app_context(), db.engine.connect():  # the pool's one connection, held
        page = customer.get("/accounts")

    assert page.status_code == 503
    assert page.headers["Retry-After"]


@pytest.mark.reliability(
    "the session cannot be stored after the link was spent", "503; the same link opens it after"
)
def test_a_link_whose_session_could_not_be_stored_can_be_used_again(app, monkeypatch):
    client, token = app.test_client(), link_token(app)
    real_store = sessions.store

    def busy_once(*args):
        monkeypatch.setattr(sessions, "store", real_store)
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(sessions, "store", busy_once)
    busy = client.get(f"/embed?token={token}")
    again = client.get(f"/embed?token={token}")

    assert busy.status_code == 503
    assert again.status_code == 200
    assert client.get(f"/embed?token={token}").status_code == 401  # then spent, as ever
