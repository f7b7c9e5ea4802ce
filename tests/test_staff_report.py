"""The staff's page of where customers get stuck: opened with an API token, charts drawn."""

from playwright.sync_api import expect

from fake_azure import scenarios as azure

from .conftest import API_TOKEN, add_account, csrf_token, work_off
from .test_verification import GOOD


def open_report(client, token, **fields):
    data = {"token": token, "days": "90", "bucket": "day", **fields}
    return client.post(
        "/staff/stuck", data={**data, "csrf_token": csrf_token(client, "/staff/stuck")}
    )


def test_a_valid_token_opens_the_report_and_is_never_shown_back(app, api, customer):
    add_account(customer, **{**GOOD, "client_id": azure.APP_READER})
    work_off(app)
    staff = app.test_client()

    response = open_report(staff, API_TOKEN)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Since " in response.text and "ReaderOnly" in response.text
    assert API_TOKEN not in response.text


def test_a_wrong_token_or_period_is_refused_with_the_reason(app, api):
    staff = app.test_client()

    wrong = open_report(staff, "not-a-token-of-this-portal-0123456789abcdef")
    assert wrong.status_code == 401
    assert "This is not an API token of this portal." in wrong.text
    assert "not-a-token-of-this-portal" not in wrong.text

    period = open_report(staff, API_TOKEN, days="400")
    assert period.status_code == 422
    assert "Choose from 1 to 366 days." in period.text


def test_guessing_tokens_is_rate_limited(app):
    app.config["RATELIMIT_SESSION_GUESSES"] = "2 per minute"
    staff = app.test_client()

    statuses = [open_report(staff, f"guess-{n}-0123456789abcdef0123").status_code for n in range(3)]

    assert statuses == [401, 401, 429]


def test_the_charts_are_drawn_in_chromium_with_no_error(app, api, live_server, customer, page):
    add_account(customer, **{**GOOD, "client_id": azure.APP_READER})
    work_off(app)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    page.goto(f"{live_server}/staff/stuck")
    page.get_by_label("API token").fill(API_TOKEN)
    page.get_by_role("button", name="Show the report").click()

    for chart in ("#failures-chart", "#over-time-chart"):
        expect(page.locator(chart)).to_be_visible()
        assert page.locator(chart).evaluate("canvas => Chart.getChart(canvas) !== undefined")
    assert errors == []
