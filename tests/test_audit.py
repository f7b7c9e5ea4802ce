"""The audit log: per account, who did what and when, append-only, each workspace its own."""

import pytest

from portal import audit
from portal.extensions import db
from portal.models import AuditEntry

from .conftest import API_AUTH, VALID_ACCOUNT, add_account, submit, work_off
from .test_verification import GOOD

REPLACEMENT = "Rr7Q~ReplacementSecret.0123456789_abcdefg"


def logged(app, account_id):
    with app.app_context():
        return [
            (entry.actor, entry.action, entry.reason)
            for entry in db.session.scalars(
                db.select(AuditEntry).filter_by(account_id=account_id).order_by(AuditEntry.id)
            )
        ]


def test_every_action_on_an_account_is_logged_by_whoever_acted(app, api, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    api.get(
        f"/api/v1/workspaces/acme/accounts/{account_id}/credentials",
        headers={**API_AUTH, "X-Access-Reason": "create domain example.com"},
    )
    edit = f"/accounts/{account_id}/edit"
    submit(customer, edit, {**GOOD, "name": "Renamed", "client_secret": ""})
    submit(customer, edit, {**GOOD, "name": "Renamed", "client_secret": REPLACEMENT})
    submit(customer, edit, {**GOOD, "name": "Renamed", "client_secret": ""})  # nothing changed
    work_off(app)  # the check of the new secret, which Azure does not know

    assert logged(app, account_id) == [
        ("customer", "created", ""),
        ("customer", "verified", "passed"),
        ("api:coldsend", "read-credentials", "create domain example.com"),
        ("customer", "changed", "Account Name: Production → Renamed"),
        ("customer", "secret-replaced", ""),
        ("customer", "verified", "failed at step 3 (AADSTS7000215)"),
    ]


def test_the_activity_page_shows_who_did_what_newest_first(app, customer):
    account_id = add_account(customer, **{**GOOD, "client_id": VALID_ACCOUNT["client_id"]})
    work_off(app)

    page = customer.get(f"/accounts/{account_id}/activity").text

    assert page.index("Verified: failed at step") < page.index("Connected the account")
    assert "The customer, in ColdSend" in page
    assert f"/accounts/{account_id}/activity" in customer.get(f"/accounts/{account_id}").text


def test_another_workspace_sees_no_activity_of_this_one(app, customer, other_customer):
    account_id = add_account(customer, **GOOD)
    theirs = add_account(other_customer, **GOOD)

    assert other_customer.get(f"/accounts/{account_id}/activity").status_code == 404
    page = customer.get(f"/accounts/{account_id}/activity").text
    assert "Connected the account" in page
    with app.app_context():
        assert [e.workspace_id for e in db.session.scalars(db.select(AuditEntry))] == [
            "acme",
            "globex",
        ]
    assert theirs not in page


def test_an_entry_can_be_neither_changed_nor_deleted(app, customer):
    add_account(customer, **GOOD)
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry)).first()
        entry.reason = "rewritten"
        with pytest.raises(audit.AppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalars(db.select(AuditEntry)).first())
        with pytest.raises(audit.AppendOnly):
            db.session.commit()


@pytest.mark.parametrize(
    ("reason", "labels"),
    [
        (
            "Tenant ID: c0ffee00-0000-4000-8000-000000000001 → contoso.onmicrosoft.com",
            {"Tenant ID"},
        ),
        ("Secret expiry date: none → 2027-06-30", {"Secret expiry date"}),
        ("Tenant ID, Client ID", {"Tenant ID", "Client ID"}),  # as logged before values were
    ],
)
def test_a_changed_entry_names_the_values_it_changed(reason, labels):
    assert audit.changed_values(AuditEntry(action="changed", reason=reason)) == labels
