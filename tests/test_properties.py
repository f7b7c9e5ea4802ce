"""Whatever arrives, an answer and never a 500, and nothing half-saved (hypothesis).

Each property runs on SQLite and again on PostgreSQL, as the whole suite does.
"""

import json
import time
from urllib.parse import quote

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import signed_links
from portal.extensions import db
from portal.models import AzureAccount, SpentLinkToken, Workspace

from .conftest import API_AUTH, VALID_ACCOUNT, add_account, csrf_token
from .test_api import credentials_url

FIELDS = ("name", "tenant_id", "client_id", "client_secret", "subscription_id", "secret_expires_on")
# Any text, including what PostgreSQL refuses (NUL) and what folds longer than it is ("ß").
TEXT = st.text(st.characters(codec="utf-8"), max_size=300)
# The same examples every run, so CI is repeatable: a new finding comes from raising
# max_examples (or a new strategy), not from luck.
ONE_BY_ONE = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def accounts(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(AzureAccount))


@pytest.mark.reliability("any text in any form field", "303 or 422; nothing half-saved")
@ONE_BY_ONE
@given(field=st.sampled_from(FIELDS), value=TEXT)
def test_any_value_in_any_field_is_saved_or_explained(app, customer, field, value):
    before = accounts(app)
    data = {**VALID_ACCOUNT, "name": f"Account {before}", field: value}

    response = customer.post(
        "/accounts/new", data={**data, "csrf_token": csrf_token(customer, "/accounts/new")}
    )

    assert response.status_code in (303, 422), response.status_code
    assert accounts(app) == before + (response.status_code == 303)


LINK_CLAIM_VALUES = st.one_of(
    TEXT, st.integers(), st.booleans(), st.none(), st.lists(TEXT, max_size=3), st.floats()
)


@ONE_BY_ONE
@given(
    claims=st.dictionaries(
        st.sampled_from(["sub", "name", "jti", "origin", "theme", "accent"]),
        LINK_CLAIM_VALUES,
        max_size=6,
    )
)
@pytest.mark.reliability("any link claims", "200 or a 401 that creates nothing")
def test_any_link_claims_open_a_session_or_a_401_that_creates_nothing(app, client, claims):
    now = int(time.time())
    payload = {"sub": "ws", "aud": signed_links.AUDIENCE, "iat": now, "exp": now + 60}
    payload.update({"jti": f"jti-{now}-{id(claims)}", **claims})
    token = jwt.encode(payload, app.config["EMBED_SECRET"], algorithm="HS256")
    with app.app_context():
        before = (
            db.session.scalar(db.select(db.func.count()).select_from(Workspace)),
            db.session.scalar(db.select(db.func.count()).select_from(SpentLinkToken)),
        )

    response = client.get("/embed", query_string={"token": token})

    assert response.status_code in (200, 401), response.status_code
    if response.status_code == 401:
        with app.app_context():
            after = (
                db.session.scalar(db.select(db.func.count()).select_from(Workspace)),
                db.session.scalar(db.select(db.func.count()).select_from(SpentLinkToken)),
            )
        assert after == before


@pytest.mark.reliability("any account id in a path", "200, 404 or a redirect home")
@ONE_BY_ONE
@given(account_id=TEXT.filter(bool))
def test_any_account_id_in_a_path_is_found_or_not_found(customer, account_id):
    for path in ("/accounts/{}", "/accounts/{}/edit", "/accounts/{}/verifications/x"):
        response = customer.get(path.format(quote(account_id, safe="")))

        assert response.status_code in (200, 308, 404, 405), (path, response.status_code)
        # "." and ".." are normalised by a redirect, which stays on our host.
        assert response.headers.get("Location", "/").startswith(("/", "http://localhost/"))


@pytest.mark.reliability("any X-Access-Reason", "200, 400 or 409")
@ONE_BY_ONE
@given(reason=st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=300))
def test_any_access_reason_is_audited_or_refused(app, api, customer, reason):
    with app.app_context():
        account_id = db.session.scalars(db.select(AzureAccount.id)).first()
    account_id = account_id or add_account(customer)

    response = api.get(credentials_url(account_id), headers={**API_AUTH, "X-Access-Reason": reason})

    assert response.status_code in (200, 400, 409), response.status_code


# What a header can carry: latin-1 without line breaks (the test client refuses the rest, as
# HTTP does).
HEADER_TEXT = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=200)
API_STATUSES = (200, 202, 308, 400, 401, 404, 405, 409, 415, 429)


@pytest.mark.reliability("any workspace, account id, token and body in the API", "JSON, never 500")
@ONE_BY_ONE
@given(
    workspace=TEXT.filter(bool),
    account_id=TEXT.filter(bool),
    authorization=st.one_of(st.just(API_AUTH["Authorization"]), HEADER_TEXT),
    body=st.binary(max_size=300),
    content_type=st.sampled_from(["application/json", "text/plain", "", "multipart/form-data"]),
)
def test_any_api_request_is_answered_in_json(
    api, workspace, account_id, authorization, body, content_type
):
    base = f"/api/v1/workspaces/{quote(workspace, safe='')}/accounts"
    headers = {"Authorization": authorization, "X-Access-Reason": "property test"}
    for method, path in (
        ("GET", base),
        ("GET", f"{base}/{quote(account_id, safe='')}"),
        ("GET", f"{base}/{quote(account_id, safe='')}/credentials"),
        ("POST", f"{base}/{quote(account_id, safe='')}/verifications"),
    ):
        response = api.open(
            path, method=method, headers=headers, data=body, content_type=content_type
        )

        assert response.status_code in API_STATUSES, (method, path, response.status_code)
        # Werkzeug normalises "//" and "." in paths by a redirect, which stays on our host.
        assert response.is_json or response.status_code == 308, (method, path)
        assert response.headers.get("Location", "/").startswith(("/", "http://localhost/"))


PAGE_HEADERS = st.dictionaries(
    st.sampled_from(
        ["HX-Request", "HX-Current-URL", "HX-Target", "X-Portal-Session", "Referer", "Origin"]
        + ["Accept", "Accept-Language", "X-Forwarded-For", "Cookie", "If-None-Match"]
    ),
    HEADER_TEXT,
    max_size=5,
)


@pytest.mark.reliability("any request headers on the pages", "an answer, never a 500")
@ONE_BY_ONE
@given(headers=PAGE_HEADERS)
def test_any_headers_on_a_page_get_an_answer(app, customer, headers):
    account_id = add_account(customer) if accounts(app) == 0 else first_account_id(app)
    for method, path in (
        ("GET", "/"),
        ("GET", "/accounts/new"),
        ("GET", f"/accounts/{account_id}"),
        ("POST", f"/accounts/{account_id}/verifications"),
    ):
        response = customer.open(path, method=method, headers=headers)

        assert response.status_code < 500, (method, path, headers, response.status_code)


def first_account_id(app):
    with app.app_context():
        return db.session.scalars(db.select(AzureAccount.id)).first()


# What a paste can hold: any text, and JSON objects of any values under the keys we read.
PASTED = st.one_of(
    TEXT,
    st.dictionaries(
        st.sampled_from(["appId", "password", "tenant", "subscription", "displayName", "x"]),
        st.one_of(TEXT, st.integers(), st.none(), st.lists(TEXT, max_size=2)),
        max_size=6,
    ).map(json.dumps),
    st.recursive(st.just("[]"), lambda inner: inner.map(lambda s: f"[{s}]"), max_leaves=50),
)


@pytest.mark.reliability("any text pasted as the command's output", "filled or explained")
@ONE_BY_ONE
@given(output=PASTED, subscription_id=TEXT)
def test_any_paste_fills_fields_or_says_why_and_any_id_gives_commands(
    customer, output, subscription_id
):
    token = csrf_token(customer, "/accounts/new")

    pasted = customer.post(
        "/accounts/command-output", data={"command_output": output, "csrf_token": token}
    )
    commands = customer.get("/accounts/commands", query_string={"subscription_id": subscription_id})
    submitted = customer.post(
        "/accounts/new", data={"command_output": output, "name": "", "csrf_token": token}
    )

    assert (pasted.status_code, commands.status_code) == (200, 200)
    assert submitted.status_code in (303, 422)


@pytest.mark.reliability("any text in the certificate's fields", "303 or 422; nothing half-saved")
@ONE_BY_ONE
@given(
    choice=st.one_of(st.just("certificate"), TEXT),
    thumbprint=st.one_of(TEXT, st.text("0123456789ABCDEF", min_size=40, max_size=40)),
)
def test_any_certificate_choice_is_saved_or_explained(app, customer, choice, thumbprint):
    before = accounts(app)
    data = {**VALID_ACCOUNT, "name": f"Account {before}"}
    data.update(credential_type=choice, client_certificate=thumbprint)

    response = customer.post(
        "/accounts/new", data={**data, "csrf_token": csrf_token(customer, "/accounts/new")}
    )

    assert response.status_code in (303, 422), response.status_code
    assert accounts(app) == before + (response.status_code == 303)
