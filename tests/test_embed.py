"""Entry through a signed link: the only way in, once per link, never another workspace's."""

import time

import jwt
import pytest

from portal import signed_links
from portal.extensions import db
from portal.models import SpentLinkToken, Workspace

from .conftest import enter, link_token


def claims(**changes):
    now = int(time.time())
    base = {
        "sub": "acme",
        "name": "Acme Ltd",
        "aud": signed_links.AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": "link-1",
    }
    return {key: value for key, value in {**base, **changes}.items() if value is not None}


def token(app, key=None, algorithm="HS256", **changes):
    return jwt.encode(claims(**changes), key or app.config["EMBED_SECRET"], algorithm=algorithm)


def test_valid_link_opens_the_workspace_and_loads_it_at_a_url_without_the_token(app, client):
    token = link_token(app)
    response = client.get(f"/embed?token={token}")

    assert response.status_code == 200
    assert "Connect an Azure subscription" in response.text  # the landing page, at once
    assert '<meta name="portal-address" content="/accounts/new">' in response.text
    assert token not in response.text
    page = client.get("/accounts/new").text
    assert "Acme Ltd" in page
    with app.app_context():
        assert db.session.scalars(db.select(Workspace.external_id)).all() == ["acme"]


def test_first_visit_with_no_accounts_lands_on_the_guide(customer):
    response = customer.get("/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/new"


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        (lambda app: "", "has no sign-in token"),
        (lambda app: "not-a-jwt", "malformed"),
        (lambda app: "x" * 5000, "malformed"),
        (
            lambda app: token(app, key="another-secret-entirely-0123456789abcdef"),
            "signature is not valid",
        ),
        (
            lambda app: token(app, iat=int(time.time()) - 1200, exp=int(time.time()) - 600),
            "expired",
        ),
        (lambda app: token(app, aud="someone-else"), "another application"),
        (lambda app: token(app, exp=int(time.time()) + 3600), "longer than the 15 minutes"),
        (lambda app: token(app, jti=None), "malformed"),
        (lambda app: token(app, sub=None), "malformed"),
        (lambda app: token(app, iat=None), "malformed"),
        (lambda app: token(app, aud=None), "malformed"),
        (lambda app: token(app, sub=""), "malformed"),
        (lambda app: token(app, sub=42), "malformed"),
        (lambda app: token(app, jti="j" * 200), "malformed"),
        (lambda app: jwt.encode(claims(), "", algorithm="none"), "malformed"),
        (lambda app: token(app, key="x" * 64, algorithm="HS512"), "malformed"),
    ],
    ids=[
        "missing",
        "garbage",
        "oversized",
        "wrong-signature",
        "expired",
        "wrong-audience",
        "too-long-lived",
        "no-jti",
        "no-sub",
        "no-iat",
        "no-aud",
        "empty-sub",
        "numeric-sub",
        "long-jti",
        "alg-none",
        "other-algorithm",
    ],
)
def test_invalid_link_gets_a_clear_401_and_creates_nothing(app, client, make_token, message):
    response = client.get("/embed", query_string={"token": make_token(app)})

    assert response.status_code == 401
    assert "This link cannot be used" in response.text
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Workspace.id))) == 0
    assert client.get("/accounts/new").status_code == 401


def test_a_link_works_only_once(app):
    reused = link_token(app)
    first, second = app.test_client(), app.test_client()

    assert first.get(f"/embed?token={reused}").status_code == 200
    response = second.get(f"/embed?token={reused}")

    assert response.status_code == 401
    assert "already been used" in response.text
    assert "go on to your Azure accounts" not in response.text
    assert second.get("/accounts/new").status_code == 401


def test_a_spent_link_opened_again_where_its_session_is_open_offers_the_way_on(app, client):
    reused = link_token(app)
    client.get(f"/embed?token={reused}")

    again = client.get(f"/embed?token={reused}")

    assert again.status_code == 401
    assert 'href="/">go on to your Azure accounts</a>' in again.text
    assert client.get("/").status_code in (200, 302)


def test_spent_links_are_forgotten_once_they_would_have_expired(app, client):
    old = link_token(app, now=time.time() - 3600)
    with app.app_context():
        db.session.add(SpentLinkToken(jti="old", expires_at=signed_links_expiry(old)))
        db.session.commit()

    enter(client)

    with app.app_context():
        assert db.session.get(SpentLinkToken, "old") is None


def signed_links_expiry(token):
    from datetime import datetime

    return datetime.utcfromtimestamp(jwt.decode(token, options={"verify_signature": False})["exp"])


def test_a_new_link_replaces_the_session_of_another_workspace(app, client):
    enter(client, workspace="acme")
    enter(client, workspace="globex", name="Globex")

    assert "Globex" in client.get("/accounts/new").text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/new",
        "/accounts/some-id",
        "/accounts/some-id/edit",
        "/accounts/some-id/delete",
    ],
)
def test_every_page_needs_a_session(client, path):
    response = client.get(path)

    assert response.status_code == 401
    assert "Your session has ended" in response.text


@pytest.mark.parametrize("claim", ["sub", "name", "jti"])
def test_control_characters_in_a_link_are_malformed_not_a_database_error(app, client, claim):
    response = client.get("/embed", query_string={"token": token(app, **{claim: "acme\x00"})})

    assert response.status_code == 401
    assert "malformed" in response.text


@pytest.mark.reliability("a link whose origin is not text", "401; nothing created or spent")
@pytest.mark.parametrize("origin", [1, True, ["https://app.example"], {"a": 1}])
def test_an_origin_that_is_not_text_is_malformed_and_spends_nothing(app, client, origin):
    made = link_token(app, workspace="initech", origin=origin)

    response = client.get("/embed", query_string={"token": made})

    assert response.status_code == 401
    assert "malformed" in response.text
    with app.app_context():
        assert db.session.scalars(db.select(SpentLinkToken)).all() == []
        assert db.session.scalars(db.select(Workspace).filter_by(external_id="initech")).all() == []


def test_dev_link_can_name_the_host_origin(app, runner):
    result = runner.invoke(args=["dev-link", "--origin", "http://localhost:5001"])

    token = result.output.strip().split("token=")[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["origin"] == "http://localhost:5001"
