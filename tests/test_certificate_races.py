"""Certificates made on the form under pressure: two tabs at once, a save racing a make, two
saves of one certificate, a retired encryption key, and bursts against the rate limit."""

import base64
import contextlib
import threading
from urllib.parse import unquote

import pytest

from fake_azure import scenarios as azure
from portal import certificates, forms, pending_certificates
from portal.crypto import KeyRing
from portal.extensions import db
from portal.models import AzureAccount, Workspace

from .conftest import ENCRYPTION_KEY, csrf_token, make_app, submit, work_off
from .test_accounts import SQLITE_ONLY, impatient_customer, sqlite_locked
from .test_certificates import (
    VALUES,
    connect,
    connect_with_secret,
    download,
    make_certificate,
)

MAKE = "/accounts/certificates"

THUMBPRINT_INPUT = 'name="client_certificate" value="'


def tab(app, customer):
    """A second tab of the customer's browser: another client holding the same session."""
    name = app.config["SESSION_COOKIE_NAME"]
    other = app.test_client()
    other.set_cookie(name, customer.get_cookie(name).value)
    return other


def offered(response):
    """The thumbprint the form's answer offers."""
    start = response.text.index(THUMBPRINT_INPUT) + len(THUMBPRINT_INPUT)
    return response.text[start : start + 40]


def in_threads(*calls):
    """Run the calls at once; return their results in order (re-raising any error)."""
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 (re-raised below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    if errors:
        raise errors[0]
    return results


@pytest.mark.reliability("two tabs make a certificate at once", "each tab keeps its own")
def test_two_tabs_making_certificates_at_once_each_keep_their_own(app, customer, monkeypatch):
    """A session is written back whole by each request: certificates kept there were lost when
    two tabs made one at once. Each is a row of its own now."""
    second = tab(app, customer)
    token = csrf_token(customer, "/accounts/new")
    both_made = threading.Barrier(2, timeout=10)
    real_make = certificates.make

    def make_in_step(*args, **kwargs):
        made = real_make(*args, **kwargs)
        both_made.wait()  # both requests hold the session as it was before either made one
        return made

    monkeypatch.setattr(certificates, "make", make_in_step)
    data = {**VALUES, "csrf_token": token}

    first_answer, second_answer = in_threads(
        lambda: customer.post(MAKE, data=data), lambda: second.post(MAKE, data=data)
    )

    assert first_answer.status_code == second_answer.status_code == 200
    thumbprints = offered(first_answer), offered(second_answer)
    assert thumbprints[0] != thumbprints[1]
    statuses = [download(customer, thumbprint).status_code for thumbprint in thumbprints]
    assert statuses == [200, 200], f"a tab's certificate was lost: downloads answer {statuses}"


@pytest.mark.reliability(
    "a certificate made while another tab saves", "the saved certificate is not offered again"
)
def test_a_saved_certificate_is_not_brought_back_by_a_make_in_another_tab(
    app, customer, monkeypatch
):
    """Tab A saves the account with certificate X while tab B makes another: X must not be
    on offer again, or a second account could take the first one's private key."""
    adopted = make_certificate(customer)
    second = tab(app, customer)
    token = csrf_token(customer, "/accounts/new")
    making, saved = threading.Event(), threading.Event()
    real_make = certificates.make

    def make_after_the_save(*args, **kwargs):
        making.set()
        assert saved.wait(10)
        return real_make(*args, **kwargs)

    monkeypatch.setattr(certificates, "make", make_after_the_save)

    def make_in_tab_b():
        return second.post(MAKE, data={**VALUES, "csrf_token": token})

    def save_in_tab_a():
        assert making.wait(10)
        try:
            return connect(customer, adopted)
        finally:
            saved.set()

    made, account_id = in_threads(make_in_tab_b, save_in_tab_a)

    assert made.status_code == 200 and account_id
    assert download(customer, adopted).status_code == 404, "the adopted certificate is back"
    again = submit(
        customer, "/accounts/new", {**VALUES, "name": "Staging", "client_certificate": adopted}
    )
    assert again.status_code == 422, "a second account took the first account's private key"


@pytest.mark.reliability("two saves at once adopt one certificate", "one account holds it")
def test_two_saves_at_once_cannot_both_adopt_one_pending_certificate(app, customer, monkeypatch):
    """Two tabs (a duplicated tab) save different accounts with the same certificate: both
    pass the form's check, and the one conditional DELETE lets only one take it."""
    thumbprint = make_certificate(customer)
    second = tab(app, customer)
    token = csrf_token(customer, "/accounts/new")
    both_checked = threading.Barrier(2, timeout=10)
    real_fill = forms.AccountForm.fill

    def fill_in_step(self, account):
        both_checked.wait()
        return real_fill(self, account)

    monkeypatch.setattr(forms.AccountForm, "fill", fill_in_step)

    def save(client, name):
        values = {**VALUES, "name": name, "client_certificate": thumbprint, "csrf_token": token}
        return lambda: client.post("/accounts/new", data=values)

    answers = in_threads(save(customer, "Production"), save(second, "Staging"))

    assert sorted(answer.status_code for answer in answers) != [303, 303]
    with app.app_context():
        holders = db.session.scalars(
            db.select(AzureAccount.id).filter(AzureAccount.client_certificate_pem.is_not(None))
        ).all()
    assert len(holders) <= 1, f"{len(holders)} accounts hold the same private key"


# --- A retired encryption key ----------------------------------------------------------------


@pytest.mark.reliability(
    "a pending certificate sealed with a key since removed (README's rotation)",
    "the form asks for a new certificate; never a 500",
)
def test_a_pending_certificate_sealed_with_a_retired_key_asks_for_a_new_one(app, customer):
    """README: add a new key, run rotate-encryption-key, then remove the old one. A waiting
    certificate sealed with the old key is no longer offered: never a 500."""
    thumbprint = make_certificate(customer)
    # The old key removed after rotation: only a new key opens anything now.
    app.extensions["key_ring"] = KeyRing([b"n" * 32])

    response = submit(customer, "/accounts/new", {**VALUES, "client_certificate": thumbprint})

    assert response.status_code != 500, "Verify answered 500 (SecretUnreadable in fill)"
    assert response.status_code == 422
    assert "make a new one" in response.text


@pytest.mark.reliability(
    "a customer makes a few certificates, then verifies",
    "making a certificate does not use up the verification budget",
)
def test_making_certificates_does_not_use_up_the_verification_budget(app, customer):
    """Making a certificate asks Azure nothing: it has its own limit, not Verify's."""
    app.config["RATELIMIT_VERIFY_PER_WORKSPACE"] = "3 per minute"
    make_certificate(customer)
    make_certificate(customer)
    thumbprint = make_certificate(customer)

    response = submit(customer, "/accounts/new", {**VALUES, "client_certificate": thumbprint})

    assert response.status_code == 303, f"Verify answered {response.status_code}"


@pytest.mark.reliability(
    "a burst of 'make the certificate' from one session", "at most the limit's RSA keys made"
)
def test_a_burst_of_certificate_making_is_held_to_the_limit(app, customer, monkeypatch):
    """Each certificate costs an RSA key's generation. A limit tested before the view and
    counted after it lets every request in flight pass; this one is counted up front. The
    barrier makes the overlap certain on any machine."""
    app.config["RATELIMIT_CERTIFICATES"] = "2 per minute"
    token = csrf_token(customer, "/accounts/new")
    burst = 6
    all_in = threading.Barrier(burst, timeout=2)
    real_make = certificates.make

    def make_together(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            all_in.wait()  # held until the whole burst is in, or 2 s if the limit held
        return real_make(*args, **kwargs)

    monkeypatch.setattr(certificates, "make", make_together)
    data = {**VALUES, "csrf_token": token}

    answers = in_threads(*[lambda: customer.post(MAKE, data=data)] * burst)

    made = sum(answer.status_code == 200 for answer in answers)
    assert made <= 2, f"{made} keys made under a limit of 2"


def test_rotating_the_encryption_key_reseals_certificates_waiting_on_a_form(
    app, customer, database_url
):
    thumbprint = make_certificate(customer)
    newest = base64.urlsafe_b64encode(b"n" * 32).decode()
    rotated = make_app(database_url, PORTAL_ENCRYPTION_KEYS=f"{newest},{ENCRYPTION_KEY}")

    result = rotated.test_cli_runner().invoke(args=["rotate-encryption-key"])

    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 " in result.output
    only_newest = make_app(database_url, PORTAL_ENCRYPTION_KEYS=newest)
    with only_newest.app_context():
        workspace = db.session.scalars(db.select(Workspace)).one()
        certificate, key = pending_certificates.take(workspace, thumbprint)
    assert certificate.thumbprint == thumbprint
    assert "PRIVATE KEY" in key


@SQLITE_ONLY
@pytest.mark.reliability(
    "SQLite locked while a certificate is made", "503 with Retry-After in the page's notice"
)
def test_a_certificate_made_while_the_database_is_busy_is_a_503_notice(app, database_url):
    customer = impatient_customer(app)
    token = csrf_token(customer, "/accounts/new")
    with sqlite_locked(database_url):
        response = customer.post(
            MAKE, data={**VALUES, "csrf_token": token}, headers={"HX-Request": "true"}
        )

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.headers["HX-Retarget"] == "#flashes"


def test_rotating_the_encryption_key_reseals_the_credential_kept_to_go_back_to(
    app, customer, database_url
):
    account_id = connect_with_secret(customer)
    work_off(app)
    edit = f"/accounts/{account_id}/edit"
    submit(customer, edit, {**VALUES, "credential_type": "secret", "client_secret": "N" * 40})
    newest = base64.urlsafe_b64encode(b"n" * 32).decode()
    rotated = make_app(database_url, PORTAL_ENCRYPTION_KEYS=f"{newest},{ENCRYPTION_KEY}")

    assert rotated.test_cli_runner().invoke(args=["rotate-encryption-key"]).exit_code == 0

    with make_app(database_url, PORTAL_ENCRYPTION_KEYS=newest).app_context():
        account = db.session.get(AzureAccount, account_id)
        account.restore_previous_credential()
        assert account.decrypt_credential() == azure.SECRET


@pytest.mark.reliability("a certificate's address or field holding NUL", "404 or 422, never a 500")
@pytest.mark.parametrize("thumbprint", ["%00", "A" * 39 + "%00", "..%2F..%2Fx", "a" * 40])
def test_a_thumbprint_that_cannot_be_one_is_not_looked_up(customer, thumbprint):
    download = customer.get(f"/accounts/certificates/{thumbprint}.cer")
    saved = submit(customer, "/accounts/new", {**VALUES, "client_certificate": unquote(thumbprint)})

    assert download.status_code == 404
    assert saved.status_code == 422
