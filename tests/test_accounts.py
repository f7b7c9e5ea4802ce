"""A workspace's accounts: list, view, change, replace the secret, delete; never another's."""

import os
import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
import requests

from portal import create_app
from portal.extensions import db
from portal.models import AzureAccount

from .conftest import (
    CLIENT_SECRET,
    VALID_ACCOUNT,
    add_account,
    csrf_token,
    enter,
    link_token,
    submit,
    work_off,
)

NEW_SECRET = "Zz9Q~NewSecretValue.0123456789_abcdefghij"


def account(app, account_id):
    with app.app_context():
        return db.session.get(AzureAccount, account_id)


def test_saved_account_is_listed_with_its_name_ids_and_status(customer):
    add_account(customer)
    add_account(customer, name="Staging")

    page = customer.get("/").text
    rows = page[page.index("<tbody") :]

    assert rows.index("Production") < rows.index("Staging")
    assert VALID_ACCOUNT["subscription_id"] in page
    # Saving starts a verification; no worker has run it yet.
    assert "Verifying…" in page
    assert "Never" in page


def test_account_page_shows_when_the_secret_was_set_and_never_the_secret(customer):
    account_id = add_account(customer)

    page = customer.get(f"/accounts/{account_id}").text

    assert "Production" in page
    assert f"set on {date.today().day} {date.today():%B %Y}" in page
    assert CLIENT_SECRET not in page


def test_saving_shows_a_confirmation(customer):
    response = submit(customer, "/accounts/new", VALID_ACCOUNT)

    page = customer.get(response.headers["Location"]).text
    assert "Saved “Production”" in page


@pytest.mark.parametrize(
    ("days", "shown"),
    [(61, "Expires on"), (60, "in 60 days"), (10, "in 10 days"), (1, "in 1 day"), (0, "in 0 days")],
)
def test_secret_expiry_is_shown_with_a_warning_when_near(customer, days, shown):
    account_id = add_account(customer, secret_expires_on=str(date.today() + timedelta(days)))

    page = customer.get(f"/accounts/{account_id}").text

    assert shown in page
    assert ('class="warning"' in page) == (days <= 60)  # the first reminder's mark


def test_edit_form_is_filled_in_except_the_secret(customer):
    account_id = add_account(customer)

    page = customer.get(f"/accounts/{account_id}/edit").text

    assert 'value="Production"' in page
    assert f'value="{VALID_ACCOUNT["tenant_id"]}"' in page
    assert CLIENT_SECRET not in page
    assert "Leave empty to keep the stored secret" in page


def test_rename_keeps_the_stored_secret_when_the_secret_field_is_empty(app, customer):
    account_id = add_account(customer)
    sealed_before = account(app, account_id).credential_sealed

    response = submit(
        customer,
        f"/accounts/{account_id}/edit",
        {**VALID_ACCOUNT, "name": "Main", "client_secret": ""},
    )

    assert response.status_code == 303
    renamed = account(app, account_id)
    assert renamed.name == "Main"
    assert renamed.credential_sealed == sealed_before


def test_keeping_its_own_name_is_not_a_duplicate(customer):
    account_id = add_account(customer)

    response = submit(
        customer, f"/accounts/{account_id}/edit", {**VALID_ACCOUNT, "client_secret": ""}
    )

    assert response.status_code == 303


def test_renaming_to_another_accounts_name_is_refused(customer):
    add_account(customer, name="Staging")
    account_id = add_account(customer)

    response = submit(
        customer,
        f"/accounts/{account_id}/edit",
        {**VALID_ACCOUNT, "name": "staging", "client_secret": ""},
    )

    assert response.status_code == 422
    assert "You already have an account called" in response.text


def test_replace_the_secret_without_retyping_the_rest(app, customer):
    account_id = add_account(customer)

    submit(customer, f"/accounts/{account_id}/edit", {**VALID_ACCOUNT, "client_secret": NEW_SECRET})

    with app.app_context():
        assert db.session.get(AzureAccount, account_id).decrypt_credential() == NEW_SECRET


def test_a_replacement_secret_is_checked_like_a_new_one(customer):
    account_id = add_account(customer)

    response = submit(
        customer,
        f"/accounts/{account_id}/edit",
        {**VALID_ACCOUNT, "client_secret": VALID_ACCOUNT["client_id"]},
    )

    assert response.status_code == 422
    assert "This is the Secret ID" in response.text


def test_a_past_expiry_already_stored_does_not_block_other_changes(app, customer):
    account_id = add_account(customer)
    with app.app_context():
        db.session.get(AzureAccount, account_id).secret_expires_on = date(2020, 1, 1)
        db.session.commit()

    response = submit(
        customer,
        f"/accounts/{account_id}/edit",
        {**VALID_ACCOUNT, "name": "Old", "client_secret": "", "secret_expires_on": "2020-01-01"},
    )

    assert response.status_code == 303
    assert "Expired on 1 January 2020" in customer.get(f"/accounts/{account_id}").text


def test_delete_asks_first_then_forgets_the_account(app, customer):
    account_id = add_account(customer)

    confirmation = customer.get(f"/accounts/{account_id}/delete")
    assert "Delete “Production”?" in confirmation.text
    assert account(app, account_id) is not None

    response = submit(customer, f"/accounts/{account_id}/delete", {})

    assert response.status_code == 303
    assert account(app, account_id) is None


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(app, customer):
    account_id = add_account(customer)

    response = customer.post(f"/accounts/{account_id}/delete")

    assert response.status_code == 400
    assert "This page has expired" in response.text
    assert account(app, account_id) is not None


ROUTES = [
    ("GET", "/accounts/{id}"),
    ("GET", "/accounts/{id}/edit"),
    ("POST", "/accounts/{id}/edit"),
    ("GET", "/accounts/{id}/delete"),
    ("POST", "/accounts/{id}/delete"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_workspaces_account_is_indistinguishable_from_a_missing_one(
    app, customer, other_customer, method, route
):
    theirs = add_account(other_customer)
    token = csrf_token(customer, "/accounts/new")
    data = {**VALID_ACCOUNT, "name": "Stolen", "csrf_token": token}

    foreign = customer.open(route.format(id=theirs), method=method, data=data)
    missing = customer.open(route.format(id="00000000-no-such-account"), method=method, data=data)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.text == missing.text
    assert account(app, theirs).name == "Production"


def test_the_list_shows_only_the_workspaces_own_accounts(customer, other_customer):
    add_account(other_customer, name="Globex account")
    add_account(customer)

    page = customer.get("/").text

    assert "Globex account" not in page
    assert len(re.findall(r'<th scope="row">', page)) == 1


def test_a_nul_in_an_account_url_is_not_found_not_a_database_error(customer):
    assert customer.get("/accounts/a%00b").status_code == 404


@pytest.mark.parametrize(
    "name", ["ß" * 33, "ﬃ" * 30, "İ" * 40], ids=["eszett", "ligature", "dotted-i"]
)
@pytest.mark.reliability("a name that case-folds longer than itself", "saved")
def test_a_name_whose_folded_form_is_longer_is_saved(app, customer, name):
    account_id = add_account(customer, name=name)

    assert account(app, account_id).name == name


def test_a_tenant_id_with_a_trailing_newline_is_stored_without_it(app, customer):
    account_id = add_account(customer, tenant_id="Contoso.onmicrosoft.com\n")

    assert account(app, account_id).tenant_id == "contoso.onmicrosoft.com"


@pytest.mark.reliability("one new name saved twice at once", "one saved, the other told it exists")
def test_the_same_new_name_sent_twice_at_once_is_refused_as_a_duplicate_never_a_500(
    app, live_server
):
    def browser():
        session = requests.Session()
        entered = session.get(f"{live_server}/embed", params={"token": link_token(app)})
        assert entered.status_code == 200
        page = session.get(f"{live_server}/accounts/new").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return session, token

    browsers = [browser() for _ in range(2)]
    statuses = []
    for trial in range(10):
        name = f"Twice {trial}"
        barrier = threading.Barrier(2)

        def send(session, token, name=name, barrier=barrier):
            barrier.wait()
            response = session.post(
                f"{live_server}/accounts/new",
                data={**VALID_ACCOUNT, "name": name, "csrf_token": token},
                headers={"Referer": f"{live_server}/accounts/new"},
                allow_redirects=False,
            )
            statuses.append((response.status_code, "You already have an account" in response.text))

        threads = [threading.Thread(target=send, args=pair) for pair in browsers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted({status for status, _ in statuses}) <= [303, 422]
    assert all(named for status, named in statuses if status == 422)
    with app.app_context():
        names = [a.name for a in db.session.scalars(db.select(AzureAccount))]
    assert sorted(names) == sorted(f"Twice {trial}" for trial in range(10))


SQLITE_ONLY = pytest.mark.skipif(
    os.environ.get("PORTAL_TEST_DATABASE") == "postgresql", reason="holds SQLite's write lock"
)


@contextmanager
def sqlite_locked(database_url):
    """SQLite's write lock held by another writer for the length of the block."""
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def impatient_customer(app):
    """A customer of the app as it runs with a 0.1 s wait for the database's locks."""
    return enter(create_app({**app.config, "DATABASE_BUSY_TIMEOUT": 0.1}).test_client())


@SQLITE_ONLY
@pytest.mark.reliability(
    "SQLite locked by another writer while saving", "503 with Retry-After, what was typed kept"
)
def test_a_busy_database_answers_503_and_keeps_what_was_typed(app, database_url):
    customer = impatient_customer(app)
    url = "/accounts/new"
    token = csrf_token(customer, url)
    with sqlite_locked(database_url):
        response = customer.post(url, data={**VALID_ACCOUNT, "name": "Busy", "csrf_token": token})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "We could not save this just now" in response.text
    assert 'value="Busy"' in response.text
    assert VALID_ACCOUNT["tenant_id"] in response.text
    assert CLIENT_SECRET not in response.text


@SQLITE_ONLY
@pytest.mark.reliability("SQLite locked while a new session is stored", "503 with Retry-After")
def test_a_session_that_cannot_be_stored_for_a_busy_database_is_a_503(app, database_url):
    customer = impatient_customer(app)
    with customer.session_transaction() as session:
        session.pop("csrf_token")  # as before any form was shown in this session
    with sqlite_locked(database_url):
        # The form's first showing stores the CSRF token in the session, after the page.
        response = customer.get("/accounts/new")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "We are busy for a moment" in response.text
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@SQLITE_ONLY
@pytest.mark.reliability(
    "SQLite locked under a click or a poll inside the page", "503 in the page's notice, never 500"
)
def test_a_busy_database_under_htmx_answers_503_in_the_notice_never_500(app, database_url):
    customer = impatient_customer(app)
    account_id = add_account(customer)
    work_off(app)  # Verify again then starts a new verification: a write
    url = f"/accounts/{account_id}/verifications"
    token = csrf_token(customer, "/accounts/new")  # one token per session
    htmx = {"HX-Request": "true", "HX-Target": "verification"}
    with sqlite_locked(database_url):
        clicked = customer.post(url, data={"csrf_token": token}, headers=htmx)
    with customer.session_transaction() as session:
        session.pop("csrf_token")  # the next page stores a new one: a session write
    with sqlite_locked(database_url):
        stored = customer.get("/accounts/new", headers=htmx)

    for response in (clicked, stored):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.headers["HX-Retarget"] == "#flashes"  # the page and its results stay
        assert "We are busy for a moment" in response.text


def test_an_edit_sent_without_the_secret_field_keeps_the_secret(app, customer):
    account_id = add_account(customer)
    url = f"/accounts/{account_id}/edit"
    sent = {key: value for key, value in VALID_ACCOUNT.items() if key != "client_secret"}

    response = customer.post(
        url, data={**sent, "name": "Kept", "csrf_token": csrf_token(customer, url)}
    )

    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(AzureAccount, account_id).decrypt_credential() == CLIENT_SECRET


@pytest.mark.skipif(
    os.environ.get("PORTAL_TEST_DATABASE") != "postgresql", reason="PostgreSQL's row locks"
)
@pytest.mark.reliability(
    "PostgreSQL row held by another transaction while saving", "503 after the busy timeout"
)
def test_a_row_held_on_postgresql_is_a_503_after_the_busy_timeout_not_a_hang(app):
    customer = impatient_customer(app)
    account_id = add_account(customer)
    url = f"/accounts/{account_id}/edit"
    token = csrf_token(customer, url)
    with app.app_context(), db.engine.connect() as holder:
        holder.execute(
            db.select(AzureAccount).where(AzureAccount.id == account_id).with_for_update()
        )
        started = time.monotonic()
        response = customer.post(url, data={**VALID_ACCOUNT, "name": "Held", "csrf_token": token})
        holder.rollback()

    assert response.status_code == 503
    assert time.monotonic() - started < 5
