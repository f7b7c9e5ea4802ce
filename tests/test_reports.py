"""Where customers get stuck: the report's counts against a known history."""

from datetime import date

from fake_azure import scenarios as azure
from portal import jobs
from portal.extensions import db
from portal.models import AzureAccount

from .conftest import API_AUTH, add_account, csrf_token, submit, work_off
from .test_verification import GOOD


def edit(customer, account_id, **changes):
    response = submit(
        customer, f"/accounts/{account_id}/edit", {**GOOD, "client_secret": "", **changes}
    )
    assert response.status_code == 303


def verify_again(app, account_id, started_by="customer"):
    with app.app_context():
        jobs.start(db.session.get(AzureAccount, account_id), started_by=started_by)
    work_off(app)


def report(api, **query):
    response = api.get("/api/v1/reports/stuck", query_string=query, headers=API_AUTH)
    assert response.status_code == 200, response.json
    return response.json


def test_the_report_counts_where_customers_failed_and_what_fixed_it(app, api, customer, fake_azure):
    reader = add_account(customer, **{**GOOD, "name": "Reader", "client_id": azure.APP_READER})
    secret = add_account(
        customer, **{**GOOD, "name": "Secret", "client_secret": "Wrong8Q~NotTheSecret.0123456789ab"}
    )
    provider = add_account(
        customer,
        **{**GOOD, "name": "Provider", "subscription_id": azure.SUB_PROVIDER_NOT_REGISTERED},
    )
    add_account(
        customer, **{**GOOD, "name": "Lost", "tenant_id": "deadbeef-0000-4000-8000-000000000000"}
    )
    work_off(app)
    # Each customer fixes their step; the last gives up.
    edit(customer, reader, name="Reader", client_id=azure.APP_CONTRIBUTOR)
    edit(customer, secret, name="Secret", client_secret=azure.SECRET)
    fake_azure.subscriptions[azure.SUB_PROVIDER_NOT_REGISTERED].provider = "Registered"
    work_off(app)
    verify_again(app, provider)
    verify_again(app, reader, started_by="schedule")  # not a customer's: not counted

    found = report(api)

    assert found["verifications"] == 7
    assert {(f["step"], f["code"], f["verifications"]) for f in found["failures"]} == {
        ("permissions", "ReaderOnly", 1),
        ("client-secret", "AADSTS7000215", 1),
        ("communication-provider", "NotRegistered", 1),
        ("tenant-id", "AADSTS90002", 1),
    }
    fixes = {(fix["step"], fix["fix"]): fix["passes"] for fix in found["fixes_that_passed"]}
    assert fixes == {
        ("permissions", "Client ID"): 1,
        ("client-secret", "client secret"): 1,
        ("communication-provider", "nothing"): 1,  # registered in Azure, nothing changed here
    }
    first_pass = found["time_to_first_pass"]
    assert (first_pass["accounts_passed"], first_pass["accounts_not_passed_yet"]) == (3, 1)
    assert first_pass["median_minutes"] >= 0
    assert sum(period["verifications"] for period in found["over_time"]) == 4


def test_weekly_buckets_start_on_monday_and_bad_parameters_are_refused(app, api, customer):
    add_account(customer, **{**GOOD, "client_id": azure.APP_READER})
    work_off(app)

    (week,) = report(api, bucket="week")["over_time"]

    assert date.fromisoformat(week["period"]).weekday() == 0
    for query in ({"days": "0"}, {"days": "x"}, {"bucket": "month"}):
        response = api.get("/api/v1/reports/stuck", query_string=query, headers=API_AUTH)
        assert response.status_code == 400
    assert api.get("/api/v1/reports/stuck").status_code == 401


def test_an_account_still_waiting_for_its_role_counts_as_not_passed_yet(app, api, customer):
    add_account(customer, **{**GOOD, "client_id": azure.APP_NO_ROLE})
    work_off(app)  # it now waits for the role, running, between re-checks

    first_pass = report(api)["time_to_first_pass"]

    assert (first_pass["accounts_passed"], first_pass["accounts_not_passed_yet"]) == (0, 1)


def test_a_failure_fixed_by_register_it_for_me_still_counts(app, api, customer):
    account_id = add_account(
        customer, **{**GOOD, "subscription_id": azure.SUB_PROVIDER_NOT_REGISTERED}
    )
    work_off(app)
    with app.app_context():
        (verification,) = db.session.get(AzureAccount, account_id).verifications.all()
        verification_id = verification.id
    url = f"/accounts/{account_id}/verifications/{verification_id}/provider-registration"
    token = csrf_token(customer, "/accounts/new")  # one per session
    assert customer.post(url, data={"csrf_token": token}).status_code == 303
    work_off(app)  # registers as the app, watches it finish, passes the same verification

    found = report(api)

    assert found["failures"] == [
        {"step": "communication-provider", "code": "NotRegistered", "verifications": 1}
    ]
    assert found["fixes_that_passed"] == [
        {
            "step": "communication-provider",
            "code": "NotRegistered",
            "fix": "Register it for me",
            "passes": 1,
        }
    ]
    activity = customer.get(f"/accounts/{account_id}/activity").text
    assert (
        "Registered Microsoft.Communication (Register it for me): after NotRegistered" in activity
    )
