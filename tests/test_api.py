"""The API for the ColdSend back end: tokens, isolation, audited credentials, its document."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from fake_azure import scenarios as azure
from portal.crypto import KeyRing
from portal.extensions import db
from portal.models import AuditEntry, Verification, utcnow

from .conftest import API_AUTH, API_TOKEN, add_account, enter, work_off


def credential_reads():
    """The audit log's reads of credentials (it also holds creations and verifications)."""
    return db.session.scalars(db.select(AuditEntry).filter_by(action="read-credentials")).all()


GOOD = {
    "tenant_id": azure.TENANT,
    "client_id": azure.APP_CONTRIBUTOR,
    "client_secret": azure.SECRET,
    "subscription_id": azure.SUB_READY,
}
REASON = {"X-Access-Reason": "create domain example.com"}


def credentials_url(account_id, workspace="acme"):
    return f"/api/v1/workspaces/{workspace}/accounts/{account_id}/credentials"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": API_TOKEN},
        {"Authorization": "Basic x"},
    ],
    ids=["missing", "wrong", "no-scheme", "other-scheme"],
)
def test_every_call_needs_a_valid_bearer_token(api, headers):
    response = api.get("/api/v1/workspaces/acme/accounts", headers=headers)

    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_accounts_are_listed_with_their_status(app, api, customer):
    add_account(customer, **GOOD)
    work_off(app)

    (account,) = api.get("/api/v1/workspaces/acme/accounts", headers=API_AUTH).json["accounts"]

    assert account["status"] == "verified"
    assert account["client_id"] == azure.APP_CONTRIBUTOR
    assert "client_secret" not in account


def test_one_account_shows_its_last_verification_step_by_step(app, api, customer):
    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_READER})
    work_off(app)

    body = api.get(f"/api/v1/workspaces/acme/accounts/{account_id}", headers=API_AUTH).json

    assert body["account"]["status"] == "failed"
    steps = {
        step["step"]: (step["state"], step["code"]) for step in body["last_verification"]["steps"]
    }
    assert steps["permissions"] == ("failed", "ReaderOnly")


def test_another_workspaces_account_is_not_found(app, api, customer):
    account_id = add_account(customer, **GOOD)

    for url in [
        f"/api/v1/workspaces/globex/accounts/{account_id}",
        credentials_url(account_id, workspace="globex"),
    ]:
        response = api.get(url, headers={**API_AUTH, **REASON})
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
    assert api.get("/api/v1/workspaces/globex/accounts", headers=API_AUTH).json == {"accounts": []}


def test_a_verification_whose_job_vanished_reads_as_error_not_verifying_forever(app, api, customer):
    account_id = add_account(customer, **GOOD)
    with app.app_context():
        db.session.execute(db.update(Verification).values(deadline_at=utcnow() - timedelta(1)))
        db.session.commit()

    (account,) = api.get("/api/v1/workspaces/acme/accounts", headers=API_AUTH).json["accounts"]

    assert account["status"] == "error"
    body = api.get(f"/api/v1/workspaces/acme/accounts/{account_id}", headers=API_AUTH).json
    assert body["last_verification"]["state"] == "error"


def test_a_re_verification_can_be_started(app, api, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)

    response = api.post(
        f"/api/v1/workspaces/acme/accounts/{account_id}/verifications", headers=API_AUTH
    )

    assert response.status_code == 202
    assert response.json["verification"]["state"] == "running"


def test_credentials_are_refused_for_an_account_not_verified(app, api, customer):
    account_id = add_account(customer, **{**GOOD, "client_secret": azure.EXPIRED_SECRET})
    work_off(app)

    response = api.get(credentials_url(account_id), headers={**API_AUTH, **REASON})

    assert response.status_code == 409
    assert response.json["error"]["code"] == "account_not_verified"
    with app.app_context():
        assert credential_reads() == []


def test_credentials_need_a_reason(app, api, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)

    response = api.get(credentials_url(account_id), headers=API_AUTH)

    assert response.status_code == 400
    assert response.json["error"]["code"] == "reason_required"


def test_credentials_of_a_verified_account_are_released_and_audited(app, api, customer, caplog):
    account_id = add_account(customer, **GOOD)
    work_off(app)

    response = api.get(
        credentials_url(account_id), headers={"Authorization": "Bearer " + "s" * 40, **REASON}
    )

    assert response.status_code == 200
    assert response.json["client_secret"] == azure.SECRET
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        (entry,) = credential_reads()
    assert (entry.actor, entry.reason, entry.account_id, entry.workspace_id) == (
        "api:support",
        "create domain example.com",
        account_id,
        "acme",
    )
    assert azure.SECRET not in caplog.text


def test_the_openapi_document_is_served_valid_and_the_same_as_in_the_repository(api):
    served = api.get("/api/v1/openapi.json").json

    validate(served)
    assert served == json.loads(
        (Path(__file__).parent.parent / "portal" / "openapi.json").read_text()
    )


def test_every_answer_matches_the_document(app, api, customer):
    add_account(customer, **GOOD)
    # Schemathesis's pytest plugin does not run on pytest 9; its API does, one operation at a time.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def answers_as_documented(case):
            case.call_and_validate(headers=API_AUTH)

        answers_as_documented()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/workspaces/a%00b/accounts", "/api/v1/workspaces/acme/accounts/a%00b"],
)
def test_a_nul_in_the_path_is_not_found_not_a_database_error(api, url):
    response = api.get(url, headers=API_AUTH)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_reason_with_control_characters_is_refused(app, api, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)

    reason = {"X-Access-Reason": "a\x01b"}
    response = api.get(credentials_url(account_id), headers={**API_AUTH, **reason})

    assert response.status_code == 400


@pytest.mark.reliability("X-Access-Reason in UTF-8", "stored as written")
@pytest.mark.parametrize("reason", ["créer le domaine", "€ refund check", "ドメイン作成"])
def test_a_reason_in_utf8_is_stored_as_written(app, api, customer, reason):
    account_id = add_account(customer, **GOOD)
    work_off(app)

    # A client sends the UTF-8 bytes; the WSGI server hands them over decoded as Latin-1.
    sent = reason.encode().decode("latin-1")
    response = api.get(credentials_url(account_id), headers={**API_AUTH, "X-Access-Reason": sent})

    assert response.status_code == 200
    with app.app_context():
        (entry,) = credential_reads()
        assert entry.reason == reason


@pytest.mark.reliability("a 255-character workspace id", "credentials read and audited")
def test_a_workspace_id_as_long_as_a_link_allows_is_audited(app, api):
    workspace = "ws-" + "x" * 252
    customer = enter(app.test_client(), workspace=workspace)
    account_id = add_account(customer, **GOOD)
    work_off(app)

    response = api.get(credentials_url(account_id, workspace), headers={**API_AUTH, **REASON})

    assert response.status_code == 200
    with app.app_context():
        (entry,) = credential_reads()
        assert entry.workspace_id == workspace


@pytest.mark.reliability("the secret's encryption key removed", "'enter the secret again'; API 409")
def test_a_secret_whose_key_was_removed_is_named_as_ours_everywhere(app, api, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    app.extensions["key_ring"] = KeyRing([b"n" * 32])  # the old key is gone

    listed = api.get(f"/api/v1/workspaces/acme/accounts/{account_id}", headers=API_AUTH).json
    read = api.get(credentials_url(account_id), headers={**API_AUTH, **REASON})
    page = customer.get(f"/accounts/{account_id}").text

    assert listed["account"]["status"] == "secret_unreadable"
    assert (read.status_code, read.json["error"]["code"]) == (409, "secret_unreadable")
    assert "Enter the secret again" in page

    api.post(f"/api/v1/workspaces/acme/accounts/{account_id}/verifications", headers=API_AUTH)
    work_off(app)
    last = api.get(f"/api/v1/workspaces/acme/accounts/{account_id}", headers=API_AUTH).json
    assert (last["last_verification"]["failed_step"], last["last_verification"]["code"]) == (
        "client-secret",
        "SecretUnreadable",
    )
    assert "We can no longer read the client secret" in customer.get(f"/accounts/{account_id}").text
