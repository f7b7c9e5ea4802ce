"""A client secret's expiry: its status, one webhook per reminder, and the calendar file."""

import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from icalendar import Calendar

from portal import jobs, secret_expiry
from portal.extensions import db
from portal.models import AzureAccount, utcnow

from .conftest import API_AUTH, VALID_ACCOUNT, add_account, link_token, submit, work_off
from .test_verification import GOOD
from .test_webhooks import receiver  # noqa: F401 (a fixture)

TODAY = date(2026, 11, 30)
REPLACEMENT = "Rr7Q~ReplacementSecret.0123456789_abcdefg"


@pytest.mark.parametrize(
    ("days", "status"),
    [(None, "unknown"), (61, "ok"), (60, "expiring"), (0, "expiring"), (-1, "expired")],
)
def test_the_status_turns_at_60_days_and_after_the_day(days, status):
    expires_on = None if days is None else TODAY + timedelta(days)

    found = secret_expiry.status_of(expires_on, TODAY)

    assert (found.status, found.days_left) == (status, days)


@pytest.mark.parametrize(
    ("days", "sent", "owed"),
    [
        (61, None, None),
        (60, None, 60),
        (31, 60, None),
        (30, 60, 30),
        (16, 30, None),
        (15, 30, 15),
        (10, None, 15),  # entered 10 days ahead: the 15-day reminder alone, not three at once
        (2, 15, None),
        (1, 15, 1),
        (0, 1, None),  # the day itself: it still works until its hour
        (-1, 1, 0),
        (-30, 0, None),
        (None, None, None),
    ],
)
def test_each_reminder_is_owed_from_its_mark_and_only_once(days, sent, owed):
    account = SimpleNamespace(
        secret_expires_on=None if days is None else TODAY + timedelta(days),
        secret_reminded_at_days=sent,
    )

    assert secret_expiry.reminder_owed(account, TODAY) == owed


def expiring_in(app, account_id, days):
    """Set the account's date as the days go by, keeping the reminders already sent."""
    with app.app_context():
        account = db.session.get(AzureAccount, account_id)
        account.secret_expires_on = utcnow().date() + timedelta(days)
        db.session.commit()


def remind(app):
    with app.app_context():
        return jobs.remind_of_expiring_secrets()


def reminders(receiver):  # noqa: F811 (the fixture's value)
    events = [json.loads(body) for _, body in receiver.received]
    return [event["data"] for event in events if event["type"] == "account.secret_expiring"]


def test_from_61_days_to_past_the_date_each_mark_sends_one_webhook(
    app,
    customer,
    receiver,  # noqa: F811
):
    account_id = add_account(customer)
    receiver.received.clear()

    for days in range(61, -3, -1):
        expiring_in(app, account_id, days)
        remind(app)
        remind(app)  # the hourly job runs many times a day: still one each
    work_off(app)

    sent = reminders(receiver)
    assert [reminder["reminder_days"] for reminder in sent] == [60, 30, 15, 1, 0]
    assert [reminder["days_left"] for reminder in sent] == [60, 30, 15, 1, -1]
    assert sent[-1]["status"] == "expired" and sent[0]["status"] == "expiring"
    assert {reminder["account_id"] for reminder in sent} == {account_id}


def test_a_replaced_secret_starts_its_reminders_over(app, customer):
    account_id = add_account(customer)
    expiring_in(app, account_id, 20)
    assert remind(app) == 1
    assert remind(app) == 0

    in_25_days = str(utcnow().date() + timedelta(25))  # the new secret's own date
    replaced = submit(
        customer,
        f"/accounts/{account_id}/edit",
        {**VALID_ACCOUNT, "client_secret": REPLACEMENT, "secret_expires_on": in_25_days},
    )
    assert replaced.status_code == 303

    assert remind(app) == 1


def test_a_replaced_secret_is_not_given_the_old_one_s_date_silently(app, customer):
    in_20_days = str(utcnow().date() + timedelta(20))
    account_id = add_account(customer, secret_expires_on=in_20_days)
    edit = f"/accounts/{account_id}/edit"

    kept_date = submit(
        customer,
        edit,
        {**VALID_ACCOUNT, "client_secret": REPLACEMENT, "secret_expires_on": in_20_days},
    )
    cleared = submit(
        customer, edit, {**VALID_ACCOUNT, "client_secret": REPLACEMENT, "secret_expires_on": ""}
    )

    assert kept_date.status_code == 422
    assert "Enter the new secret&#39;s expiry date" in kept_date.text
    assert cleared.status_code == 303
    with app.app_context():
        assert db.session.get(AzureAccount, account_id).secret_expires_on is None
    assert "Expiry date not given" in customer.get(f"/accounts/{account_id}").text


@pytest.mark.parametrize(("left", "ahead"), [(200, 30), (31, 30), (30, 7), (8, 7), (7, 1), (2, 1)])
def test_the_calendar_s_alarm_never_rings_in_the_past(left, ahead):
    assert secret_expiry.alarm_days(TODAY + timedelta(left), TODAY) == ahead


def test_of_two_runs_at_once_one_records_the_reminder(app, customer):
    account_id = add_account(customer)
    expiring_in(app, account_id, 20)
    with app.app_context():
        account = db.session.get(AzureAccount, account_id)
        assert secret_expiry.reminded(account, 30)
        assert not secret_expiry.reminded(account, 30)  # as the other run would find it


def test_the_calendar_file_has_the_day_and_an_alarm_30_days_before(app, customer):
    account_id = add_account(customer, secret_expires_on="2027-06-30")

    response = customer.get(f"/accounts/{account_id}/secret-expiry.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].startswith("attachment")
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert event.decoded("dtstart") == date(2027, 6, 30)
    assert "Production" in str(event["summary"])
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(days=-30)
    assert "Certificates & secrets" in str(event["description"])
    assert event["transp"] == "TRANSPARENT"  # the day stays free


@pytest.mark.parametrize("host", [None, "http://localhost:5001"])
def test_the_calendar_file_leads_to_the_coldsend_app_not_to_the_bare_portal(app, host):
    customer = app.test_client()
    customer.get(f"/embed?token={link_token(app, **({'origin': host} if host else {}))}")
    account_id = add_account(customer, secret_expires_on="2027-06-30")

    (event,) = Calendar.from_ical(
        customer.get(f"/accounts/{account_id}/secret-expiry.ics").data
    ).walk("VEVENT")

    # Opened alone, the portal's own address has no session: it would show nothing useful.
    assert "/accounts/" not in str(event["description"])
    assert "under Azure accounts in ColdSend" in str(event["description"])
    assert event.get("url") == host


def test_no_calendar_without_a_date_nor_for_another_workspace(app, customer, other_customer):
    without = add_account(customer)
    dated = add_account(customer, name="Dated", secret_expires_on="2027-06-30")

    assert customer.get(f"/accounts/{without}/secret-expiry.ics").status_code == 404
    assert other_customer.get(f"/accounts/{dated}/secret-expiry.ics").status_code == 404


def test_an_expiring_secret_shows_how_to_replace_it_and_the_calendar_link(app, customer):
    soon = add_account(customer, secret_expires_on=str(utcnow().date() + timedelta(20)))
    later = add_account(
        customer, name="Later", secret_expires_on=str(utcnow().date() + timedelta(200))
    )

    page = customer.get(f"/accounts/{soon}").text
    assert "Replace it before then" in page
    assert "choose New client secret" in page
    assert f"/accounts/{soon}/secret-expiry.ics" in page

    page = customer.get(f"/accounts/{later}").text
    assert "choose New client secret" not in page
    assert f"/accounts/{later}/secret-expiry.ics" in page


def test_the_replacement_steps_are_given_once_when_the_check_warns_too(app, customer):
    soon = add_account(customer, **GOOD, secret_expires_on=str(utcnow().date() + timedelta(20)))
    work_off(app)  # step 3 passes with the SecretExpiresSoon warning, which has the steps

    page = customer.get(f"/accounts/{soon}").text

    assert 'data-code="SecretExpiresSoon"' in page
    assert page.count("choose New client secret") == 1


def test_the_api_gives_the_secret_s_status(app, api, customer):
    add_account(customer, secret_expires_on=str(utcnow().date() + timedelta(20)))

    (account,) = api.get("/api/v1/workspaces/acme/accounts", headers=API_AUTH).json["accounts"]

    assert (account["secret_status"], account["secret_days_left"]) == ("expiring", 20)


def test_the_list_shows_an_expiring_secret_beside_the_status(app, customer):
    soon = add_account(customer, secret_expires_on=str(utcnow().date() + timedelta(20)))
    add_account(customer, name="Later", secret_expires_on=str(utcnow().date() + timedelta(200)))

    listed = customer.get("/").text

    assert listed.count("Secret expires in") == 1
    assert f'id="status-{soon}"' in listed.split("Secret expires in 20 days")[0]
