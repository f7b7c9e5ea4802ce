"""The secretless way in: a certificate the portal makes, uploaded to the app, verified end to end
by azure-identity's CertificateCredential against the fake Entra ID."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from azure.identity import CertificateCredential
from cryptography import x509
from flask_migrate import downgrade, upgrade
from redis import Redis

from fake_azure import scenarios as azure
from fake_azure.certificates import key_credential, refusal
from portal import certificates
from portal.extensions import db
from portal.models import AzureAccount
from portal.verification import checks
from portal.verification.clouds import CLOUDS
from portal.verification.codes import Code
from portal.verification.steps import Step, StepState

from .conftest import API_AUTH, csrf_token, make_app, submit, work_off
from .test_api import REASON, credentials_url
from .test_fast_path import command_output
from .test_verification import markers, step_html

VALUES = {
    "name": "Production",
    "tenant_id": azure.TENANT,
    "client_id": azure.APP_CONTRIBUTOR,
    "subscription_id": azure.SUB_READY,
    "credential_type": "certificate",
}
PRIVATE_KEY = re.compile(r"-----BEGIN (?:RSA )?PRIVATE KEY-----")


def make_certificate(client, url="/accounts/new"):
    """Press Make the certificate on the form at `url`; return the thumbprint it offers."""
    token = csrf_token(client, url)
    make = url.replace("/new", "").replace("/edit", "") + "/certificates"
    response = client.post(make, data={**VALUES, "csrf_token": token})
    assert response.status_code == 200
    return re.search(r'name="client_certificate" value="([0-9A-F]{40})"', response.text)[1]


def download(client, thumbprint, extension="cer", account_id=None):
    if account_id:
        return client.get(f"/accounts/{account_id}/certificate.{extension}")
    return client.get(f"/accounts/certificates/{thumbprint}.{extension}")


def connect(client, thumbprint, **changes):
    """Save the account with the certificate; return its id."""
    response = submit(
        client, "/accounts/new", {**VALUES, "client_certificate": thumbprint, **changes}
    )
    assert response.status_code == 303, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


def test_the_certificate_made_on_the_form_is_offered_as_cer_and_pem(customer):
    thumbprint = make_certificate(customer)

    cer, pem = download(customer, thumbprint), download(customer, thumbprint, "pem")

    assert cer.status_code == pem.status_code == 200
    assert cer.headers["Content-Type"] == "application/pkix-cert"
    assert "attachment" in cer.headers["Content-Disposition"]
    read = x509.load_der_x509_certificate(cer.data)
    assert read == x509.load_pem_x509_certificate(pem.data)
    assert certificates.describe(pem.text).thumbprint == thumbprint
    assert read.not_valid_after_utc - read.not_valid_before_utc >= timedelta(days=730)
    assert not PRIVATE_KEY.search(pem.text)


def test_another_workspace_cannot_download_a_certificate_made_here(customer, other_customer):
    thumbprint = make_certificate(customer)

    assert download(other_customer, thumbprint).status_code == 404


def test_uploaded_certificate_verifies_and_its_expiry_is_exact(app, customer, fake_azure):
    fake = fake_azure
    thumbprint = make_certificate(customer)
    fake.upload_certificate(azure.APP_CONTRIBUTOR, download(customer, thumbprint).data)

    account_id = connect(customer, thumbprint)
    work_off(app)
    page = customer.get(f"/accounts/{account_id}").text

    assert set(state for state, _ in markers(page).values()) == {"passed"}
    assert thumbprint in page
    with app.app_context():
        account = db.session.get(AzureAccount, account_id)
        assert account.credential_type == "certificate"
        assert account.secret_expires_on == account.certificate.expires_on
    assert customer.get(f"/accounts/{account_id}/certificate.cer").status_code == 200


def test_a_certificate_not_uploaded_says_which_thumbprint_to_upload(app, customer):
    thumbprint = make_certificate(customer)

    account_id = connect(customer, thumbprint)
    work_off(app)
    page = customer.get(f"/accounts/{account_id}").text

    found = markers(page)
    assert found["client-id"] == ("passed", None)
    assert found["client-secret"] == ("failed", "AADSTS700027")
    step = step_html(page, "client-secret")
    assert f"no certificate with the thumbprint {thumbprint}" in step
    assert f"/accounts/{account_id}/certificate.cer" in step


def test_an_expired_certificate_is_told_apart_from_a_missing_one(app, customer, fake_azure):
    fake = fake_azure
    thumbprint = make_certificate(customer)
    account_id = connect(customer, thumbprint)
    work_off(app)
    with app.app_context():
        account = db.session.get(AzureAccount, account_id)
        expired, key = certificates.make("old", days=30, now=datetime.now(UTC) - timedelta(days=60))
        account.set_client_certificate(expired, key)
        db.session.commit()
    fake.upload_certificate(azure.APP_CONTRIBUTOR, expired.pem.encode())

    token = csrf_token(customer, "/accounts/new")
    customer.post(f"/accounts/{account_id}/verifications", data={"csrf_token": token})
    work_off(app)
    page = customer.get(f"/accounts/{account_id}").text

    assert markers(page)["client-secret"] == ("failed", "CertificateExpired")
    assert "The certificate has expired." in step_html(page, "client-secret")


def test_verify_without_a_certificate_asks_for_one_and_keeps_what_was_typed(customer):
    response = submit(customer, "/accounts/new", VALUES)

    assert response.status_code == 422
    assert "Make the certificate first" in response.text
    assert azure.SUB_READY in response.text


def test_the_private_key_is_nowhere_in_plain_text(app, customer, fake_azure, redis_url, caplog):
    fake = fake_azure
    thumbprint = make_certificate(customer)
    fake.upload_certificate(azure.APP_CONTRIBUTOR, download(customer, thumbprint).data)
    account_id = connect(customer, thumbprint)
    work_off(app)
    with app.app_context():
        account = db.session.get(AzureAccount, account_id)
        key = account.decrypt_credential().pem.split("-----END PRIVATE KEY-----")[0]
        body = key.split("-----BEGIN PRIVATE KEY-----")[1].replace("\n", "")
        rows = [
            str(row)
            for table in db.metadata.sorted_tables
            for row in db.session.execute(table.select())
        ]
    fragment = body[100:160]
    pages = [
        customer.get(url).text
        for url in (
            f"/accounts/{account_id}",
            f"/accounts/{account_id}/edit",
            f"/accounts/{account_id}/activity",
            f"/accounts/{account_id}/certificate.pem",
            "/",
        )
    ]
    stored = Redis.from_url(redis_url)
    redis_values = [
        str(stored.dump(name)) for name in stored.keys("*") if stored.type(name) != b"none"
    ]
    for place in [*rows, *pages, *redis_values, caplog.text]:
        assert fragment not in place
        assert base64.b64decode(body)[40:80].hex() not in place


def verified_certificate_account(app, customer, fake):
    thumbprint = make_certificate(customer)
    fake.upload_certificate(azure.APP_CONTRIBUTOR, download(customer, thumbprint).data)
    account_id = connect(customer, thumbprint)
    work_off(app)
    return account_id


def test_the_back_end_gets_a_certificate_that_signs_in(app, api, customer, fake_azure):
    account_id = verified_certificate_account(app, customer, fake_azure)

    response = api.get(credentials_url(account_id), headers={**API_AUTH, **REASON})

    assert response.status_code == 200
    found = response.json
    assert (found["credential_type"], found["client_secret"]) == ("certificate", None)
    credential = CertificateCredential(
        azure.TENANT,
        azure.APP_CONTRIBUTOR,
        certificate_data=found["client_certificate"].encode(),
        authority=fake_azure.url,
        disable_instance_discovery=True,
    )
    assert credential.get_token(f"{fake_azure.url}/.default").token


def test_switching_an_account_to_a_certificate_and_back_is_audited(app, customer, fake_azure):
    account_id = connect_with_secret(customer)
    edit_url = f"/accounts/{account_id}/edit"
    thumbprint = make_certificate(customer, edit_url)

    switched = submit(customer, edit_url, {**VALUES, "client_certificate": thumbprint})
    back_without_secret = submit(customer, edit_url, {**VALUES, "credential_type": "secret"})
    back = submit(
        customer, edit_url, {**VALUES, "credential_type": "secret", "client_secret": azure.SECRET}
    )

    assert switched.status_code == 303
    assert back_without_secret.status_code == 422
    assert "until now the app signed in with a certificate" in back_without_secret.text
    assert back.status_code == 303
    activity = customer.get(f"/accounts/{account_id}/activity").text
    assert "Replaced the certificate" in activity
    assert "Replaced the client secret" in activity


def connect_with_secret(customer, name="Production"):
    values = {**VALUES, "name": name, "credential_type": "secret", "client_secret": azure.SECRET}
    response = submit(customer, "/accounts/new", values)
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/", 1)[1]


TOKEN_ENDPOINT = "https://login.example/tenant/oauth2/v2.0/token"


def assertion(key, thumbprint, lifetime=timedelta(minutes=10), now=None, headers=(), **claims):
    now = now or datetime.now(UTC)
    claims = {
        "aud": TOKEN_ENDPOINT,
        "iss": azure.APP_CONTRIBUTOR,
        "sub": azure.APP_CONTRIBUTOR,
        "jti": "1",
        "nbf": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        **claims,
    }
    x5t = base64.urlsafe_b64encode(bytes.fromhex(thumbprint)).decode().rstrip("=")
    return jwt.encode(claims, key, algorithm="RS256", headers={"x5t": x5t, **dict(headers)})


def judged(token, keys):
    return refusal(token, keys, azure.APP_CONTRIBUTOR, {TOKEN_ENDPOINT})


@pytest.fixture
def uploaded():
    """A certificate the app knows, its private key, and the app's keys."""
    certificate, key = certificates.make("test")
    return certificate, key, [key_credential(certificate.pem.encode())]


def test_the_fake_accepts_a_good_assertion(uploaded):
    certificate, key, keys = uploaded

    assert judged(assertion(key, certificate.thumbprint), keys) is None


def test_the_fake_refuses_an_assertion_out_of_its_time_range(uploaded):
    certificate, key, keys = uploaded
    old = assertion(key, certificate.thumbprint, now=datetime.now(UTC) - timedelta(hours=2))

    status, error, code, text = judged(old, keys)

    assert (status, error, code) == (401, "invalid_client", 700024)
    assert "not within its valid time range" in text


def test_the_fake_refuses_a_signature_by_another_key(uploaded):
    certificate, _, keys = uploaded
    _, other_key = certificates.make("other")

    status, _, code, text = judged(assertion(other_key, certificate.thumbprint), keys)

    assert (status, code) == (401, 700027)
    assert "did not match the expected signature value" in text


@pytest.mark.parametrize(
    ("claims", "headers", "code"),
    [
        ({"iss": azure.APP_READER, "sub": azure.APP_READER}, {}, 700021),
        ({"sub": "someone-else"}, {}, 700021),
        ({"aud": "https://attacker.example/token"}, {}, 700023),
        ({"exp": "soon"}, {}, 50027),
        ({}, {"x5t": 12345}, 50027),
    ],
    ids=["another-app", "sub-not-iss", "another-endpoint", "exp-not-a-number", "x5t-not-text"],
)
def test_the_fake_refuses_an_assertion_not_made_for_this_app_and_endpoint(
    uploaded, claims, headers, code
):
    certificate, key, keys = uploaded

    found = judged(assertion(key, certificate.thumbprint, headers=headers, **claims), keys)

    assert found is not None and found[2] == code


@pytest.mark.parametrize(
    ("reason", "code", "state"),
    [
        (
            "[Reason - The key was not found., Thumbprint of key used by client: 'AB12']",
            "AADSTS700027",
            StepState.FAILED,
        ),
        (
            "[Reason - The key used is expired., Thumbprint of key used by client: 'AB12', "
            "Found key 'Start=01/22/2018 09:13:33, End=01/23/2021 09:13:33']",
            "CertificateExpired",
            StepState.FAILED,
        ),
    ],
)
def test_a_refused_certificate_fails_step_3_with_its_thumbprint(reason, code, state):
    message = (
        "Authentication failed: AADSTS700027: Client assertion contains an invalid signature. "
        f"{reason}\r\nTrace ID: t"
    )

    client_id, secret = checks.sign_in_failure(message, CLOUDS["public"])

    assert client_id.state is StepState.PASSED
    assert (secret.step, secret.state, secret.code) == (Step.CLIENT_SECRET, state, code)
    assert secret.facts["thumbprint"] == "AB12"


def test_an_assertion_out_of_time_is_our_fault_not_the_customers():
    message = "AADSTS700024: Client assertion is not within its valid time range. Current time: x"

    outcomes = checks.sign_in_failure(message, CLOUDS["public"])

    assert {o.state for o in outcomes} == {StepState.ERROR}
    assert {o.code for o in outcomes} == {Code.ASSERTION_TIME_RANGE}


def test_a_save_refused_still_offers_the_certificate_uploaded_and_a_saved_one_is_forgotten(
    customer,
):
    connect_with_secret(customer)  # "Production" is taken now
    thumbprint = make_certificate(customer)

    refused = submit(customer, "/accounts/new", {**VALUES, "client_certificate": thumbprint})
    saved = connect(customer, thumbprint, name="Staging")

    assert refused.status_code == 422
    assert f'name="client_certificate" value="{thumbprint}"' in refused.text
    assert saved
    assert download(customer, thumbprint).status_code == 404  # only the account's now
    assert download(customer, thumbprint, account_id=saved).status_code == 200


def test_downgrading_past_certificates_refuses_rather_than_lose_an_account(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/certificates.db")
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO workspace (id, external_id, created_at)"
                " VALUES ('w', 'w', '2026-11-01')"
            )
            connection.exec_driver_sql(
                "INSERT INTO azure_account (id, workspace_id, name, name_key, tenant_id, client_id,"
                " subscription_id, credential_sealed, client_certificate_pem, secret_set_at,"
                " created_at, updated_at, credentials_changed_at) VALUES ('a', 'w', 'A', 'a', 't',"
                " 'c', 's', x'00', 'pem', '2026-11-01', '2026-11-01', '2026-11-01', '2026-11-01')"
            )

        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
            downgrade(revision="0010")
        assert db.session.scalar(db.text("SELECT count(*) FROM azure_account")) == 1


def test_a_certificate_near_its_end_is_named_as_such_wherever_its_expiry_shows(app, customer):
    account_id = connect(customer, make_certificate(customer))
    with app.app_context():
        account = db.session.get(AzureAccount, account_id)
        account.set_client_certificate(*certificates.make("soon", days=20))
        db.session.commit()

    listed = customer.get("/").text
    page = customer.get(f"/accounts/{account_id}").text
    calendar = customer.get(f"/accounts/{account_id}/secret-expiry.ics").text

    assert re.search(r"Certificate expires in (19|20) days", listed)
    assert "Replace the certificate" in page
    assert "Make a new certificate" in page
    assert "Azure certificate for Production expires" in calendar


def test_replacing_a_working_certificate_says_to_upload_the_new_one_before_saving(
    app, customer, fake_azure
):
    account_id = verified_certificate_account(app, customer, fake_azure)
    edit_url = f"/accounts/{account_id}/edit"
    with app.app_context():
        old = db.session.get(AzureAccount, account_id).certificate.thumbprint

    landing = customer.get(edit_url).text
    new = make_certificate(customer, edit_url)
    offered = customer.post(
        f"/accounts/{account_id}/certificates",
        data={**VALUES, "csrf_token": csrf_token(customer, edit_url)},
    ).text
    saved = submit(customer, edit_url, {**VALUES, "client_certificate": new})
    activity = customer.get(f"/accounts/{account_id}/activity").text

    assert "To replace it: make a new certificate, upload it to your app, then save." in landing
    assert "New certificate, not saved yet" in offered
    assert "Saving switches the account to this certificate at once: upload it first." in offered
    assert f"Keep the old one ({old[:8]}…)" in offered
    assert saved.status_code == 303
    assert f"{old} → {new}" in activity


def test_a_certificate_refused_on_the_edit_form_offers_only_the_file_to_upload(app, customer):
    account_id = connect(customer, make_certificate(customer))
    work_off(app)  # not uploaded: AADSTS700027 at step 3
    edit_url = f"/accounts/{account_id}/edit"

    page = customer.get(edit_url).text

    step_3 = page[page.index('id="step-3"') : page.index('id="step-4"')]
    assert step_3.count(f"/accounts/{account_id}/certificate.cer") == 1


def test_the_one_command_output_turns_step_3_to_the_secret_it_makes(app, customer):
    make_certificate(customer)
    url = "/accounts/command-output"
    token = csrf_token(customer, "/accounts/new")
    printed = command_output()

    pasted = customer.post(
        url, data={"command_output": printed, "credential_type": "certificate", "csrf_token": token}
    )
    saved = submit(
        customer,
        "/accounts/new",
        {"name": "Pasted", "credential_type": "certificate", "command_output": printed},
    )

    choice = pasted.text[pasted.text.index('id="credential_type-field"') :]
    assert 'hx-swap-oob="true"' in choice.split(">")[0]
    assert re.search(r'checked[^>]*value="secret"|value="secret"[^>]*checked', choice)
    assert saved.status_code == 303
    with app.app_context():
        (account,) = db.session.scalars(db.select(AzureAccount)).all()
        assert account.credential_type == "secret"


def test_switching_a_certificate_account_to_a_secret_asks_for_one_plainly(app, customer):
    account_id = connect(customer, make_certificate(customer))
    edit_url = f"/accounts/{account_id}/edit"

    form = customer.get(edit_url).text
    refused = submit(customer, edit_url, {**VALUES, "credential_type": "secret"})

    expiry = form[form.index('id="secret_expires_on"') :].split(">")[0]
    assert 'value=""' in expiry or "value=" not in expiry
    assert "Leave empty to keep the stored secret" not in form
    assert refused.status_code == 422
    assert "We cleared the field" not in refused.text


def test_support_verifies_a_certificate_account_as_the_page_does(app, customer, fake_azure):
    account_id = verified_certificate_account(app, customer, fake_azure)

    result = app.test_cli_runner().invoke(args=["verify-account", account_id, "--json"])

    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["state"] == "passed"
    assert not PRIVATE_KEY.search(result.output)


def test_a_replacement_azure_refuses_can_be_undone_in_one_click(app, customer, fake_azure):
    account_id = verified_certificate_account(app, customer, fake_azure)
    edit_url = f"/accounts/{account_id}/edit"
    with app.app_context():
        working = db.session.get(AzureAccount, account_id).certificate.thumbprint
    saved = submit(
        customer, edit_url, {**VALUES, "client_certificate": make_certificate(customer, edit_url)}
    )
    work_off(app)  # the new one was never uploaded
    page = customer.get(f"/accounts/{account_id}").text

    assert saved.status_code == 303
    assert markers(page)["client-secret"] == ("failed", "AADSTS700027")
    assert "Go back to the previous certificate" in page
    token = csrf_token(customer, "/accounts/new")
    restored = customer.post(
        f"/accounts/{account_id}/previous-credential", data={"csrf_token": token}
    )
    work_off(app)
    page = customer.get(f"/accounts/{account_id}").text

    assert restored.status_code == 303
    assert set(state for state, _ in markers(page).values()) == {"passed"}
    assert "Go back to the previous" not in page
    with app.app_context():
        account = db.session.get(AzureAccount, account_id)
        assert account.certificate.thumbprint == working
        assert account.previous_credential_type is None
    assert (
        "Went back to the previous secret or certificate"
        in customer.get(f"/accounts/{account_id}/activity").text
    )


def test_a_replacement_that_passes_lets_go_of_the_one_it_replaced(app, customer, fake_azure):
    account_id = verified_certificate_account(app, customer, fake_azure)
    edit_url = f"/accounts/{account_id}/edit"
    new = make_certificate(customer, edit_url)
    fake_azure.upload_certificate(azure.APP_CONTRIBUTOR, download(customer, new).data)

    submit(customer, edit_url, {**VALUES, "client_certificate": new})
    with app.app_context():
        assert db.session.get(AzureAccount, account_id).previous_credential_type == "certificate"
    work_off(app)

    with app.app_context():
        assert db.session.get(AzureAccount, account_id).previous_credential_type is None
    assert "Go back to the previous" not in customer.get(f"/accounts/{account_id}").text


def test_a_wrong_secret_on_a_working_account_can_be_undone_too(app, customer):
    account_id = connect_with_secret(customer)
    work_off(app)
    submit(
        customer,
        f"/accounts/{account_id}/edit",
        {
            **VALUES,
            "credential_type": "secret",
            "client_secret": "Wrong8Q~NotTheSecretValue.0123456789abcde",
        },
    )
    work_off(app)

    page = customer.get(f"/accounts/{account_id}").text

    assert markers(page)["client-secret"] == ("failed", "AADSTS7000215")
    assert "Go back to the previous client secret" in page


def test_a_certificate_made_on_an_edit_form_waits_there_and_nowhere_else(app, customer):
    first = connect_with_secret(customer)
    second = connect_with_secret(customer, name="Staging")
    made = make_certificate(customer, f"/accounts/{first}/edit")

    again = customer.get(f"/accounts/{first}/edit").text
    elsewhere = customer.get(f"/accounts/{second}/edit").text
    new_form = customer.get("/accounts/new").text

    assert f'name="client_certificate" value="{made}"' in again
    assert made not in elsewhere
    assert made not in new_form
