"""The plaintext client secret appears in no response, log line, URL or database file."""

import glob
import logging

from sqlalchemy import text

from fake_azure import scenarios as azure
from portal.extensions import db

from .conftest import CLIENT_SECRET, VALID_ACCOUNT, add_account, csrf_token, submit, work_off
from .test_fast_path import command_output

REPLACEMENT = "Rr7Q~ReplacementSecret.0123456789_abcdefg"
PASTED = "Pp7Q~PastedFromCloudShell.0123456789_abcd"


def test_saved_secret_is_found_in_no_response_log_or_database_file(app, customer, caplog):
    caplog.set_level(logging.DEBUG)
    responses = []
    original_open = customer.open

    def recording_open(*args, **kwargs):
        response = original_open(*args, **kwargs)
        responses.append(response)
        return response

    customer.open = recording_open
    account_id = add_account(customer)
    submit(
        customer, f"/accounts/{account_id}/edit", {**VALID_ACCOUNT, "client_secret": REPLACEMENT}
    )
    submit(customer, "/accounts/new", {**VALID_ACCOUNT, "name": "x" * 80})  # an invalid form too
    # The one-command setup: its output holds a secret, read live and on submit, with a mistake.
    output = command_output(PASTED, name="Pasted")
    submit(customer, "/accounts/new", {"command_output": output, "tenant_id": "oops"})
    customer.post(
        "/accounts/command-output",
        data={"command_output": output, "csrf_token": csrf_token(customer, "/accounts/new")},
    )
    for path in [
        "/",
        f"/accounts/{account_id}",
        f"/accounts/{account_id}/edit",
        f"/accounts/{account_id}/delete",
    ]:
        customer.get(path)

    for secret in (CLIENT_SECRET, REPLACEMENT, PASTED):
        for response in responses:
            assert secret not in response.get_data(as_text=True)
            assert secret not in str(response.headers)
        assert secret not in caplog.text
        assert secret.encode() not in database_bytes(app)


def test_verifying_logs_nothing_of_the_secret_even_at_debug_level(app, customer, caplog):
    caplog.set_level(logging.DEBUG)
    for secret in (azure.SECRET, "Wrong8Q~NotTheSecretValue.0123456789abcde"):
        account_id = add_account(
            customer,
            name=secret[:8],
            tenant_id=azure.TENANT,
            client_id=azure.APP_CONTRIBUTOR,
            client_secret=secret,
            subscription_id=azure.SUB_READY,
        )
        work_off(app)
        page = customer.get(f"/accounts/{account_id}").text

        assert "data-verification-state" in page
        assert secret not in page
        assert secret not in caplog.text
        assert secret.encode() not in database_bytes(app)


def database_bytes(app):
    """Return everything the database holds: its files for SQLite, a dump of every row otherwise."""
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            return b"".join(open(path, "rb").read() for path in glob.glob(f"{url.database}*"))
        with db.engine.connect() as connection:
            rows = [
                repr(row).encode()
                for table in db.metadata.sorted_tables
                for row in connection.execute(text(f"SELECT * FROM {table.name}"))
            ]
        return b"\n".join(rows)
