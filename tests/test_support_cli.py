"""The support staff's commands: `flask verify-account` and `flask verify`, table and JSON."""

import json
import logging

from fake_azure import scenarios as azure
from portal.extensions import db
from portal.models import AzureAccount, Verification

from .conftest import add_account, work_off
from .test_verification import GOOD, STEPS

VALUES = ["--tenant", azure.TENANT, "--client", azure.APP_CONTRIBUTOR]


def verify(app, *arguments, secret=azure.SECRET, subscription=azure.SUB_READY, env=None):
    return app.test_cli_runner().invoke(
        args=["verify", *VALUES, "--subscription", subscription, *arguments],
        input=f"{secret}\n",
        env=env,
    )


def stored(app):
    with app.app_context():
        return (
            db.session.scalar(db.select(db.func.count(AzureAccount.id))),
            db.session.scalar(db.select(db.func.count(Verification.id))),
        )


def test_verify_prints_every_step_passed_and_stores_nothing(app, caplog):
    caplog.set_level(logging.DEBUG)
    before = stored(app)

    result = verify(app)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith(": passed")
    assert [line.split()[0] for line in lines[2:]] == ["1", "2", "3", "4", "5", "6", "-"]
    assert all(line.split()[-1] == "passed" for line in lines[2:])
    assert stored(app) == before
    assert azure.SECRET not in result.output + caplog.text


def test_verify_json_of_a_wrong_secret_names_step_3_and_its_fix(app):
    result = verify(app, "--json", secret="Wrong8Q~NotTheSecret.0123456789abcdefgh")

    assert result.exit_code == 1
    found = json.loads(result.output)
    assert found["state"] == "failed"
    assert (found["failed_step"], found["code"]) == ("client-secret", "AADSTS7000215")
    assert [step["step"] for step in found["steps"]] == STEPS
    secret_step = found["steps"][2]
    assert secret_step["guide_step"] == 3 and secret_step["state"] == "failed"
    assert secret_step["guidance"]["fix"]  # the numbered actions the page shows beside step 3
    assert secret_step["azure_message"].startswith("AADSTS7000215")
    assert {step["state"] for step in found["steps"][3:]} == {"skipped"}


def test_verify_table_of_a_wrong_secret_shows_the_fix_under_step_3(app):
    result = verify(app, secret="Wrong8Q~NotTheSecret.0123456789abcdefgh")

    assert result.exit_code == 1
    text = result.output
    step_3 = next(line for line in text.splitlines() if line.startswith("3 "))
    assert step_3.split()[-2:] == ["failed", "AADSTS7000215"]
    assert "     1. " in text
    assert "Not checked until step 3 passes." in text


def test_verify_takes_the_secret_from_the_environment_and_never_as_an_argument(app):
    from_environment = app.test_cli_runner().invoke(
        args=["verify", *VALUES, "--subscription", azure.SUB_READY],
        input="",
        env={"AZURE_CLIENT_SECRET": azure.SECRET},
    )
    assert from_environment.exit_code == 0, from_environment.output

    as_argument = verify(app, "--secret", azure.SECRET)
    assert as_argument.exit_code == 2
    assert "No such option" in as_argument.output

    none = app.test_cli_runner().invoke(
        args=["verify", *VALUES, "--subscription", azure.SUB_READY], input=""
    )
    assert none.exit_code == 1
    assert "No client secret on stdin or in AZURE_CLIENT_SECRET" in none.output


def test_verify_account_runs_the_page_s_checks_and_stores_them(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)  # the check that saving started

    result = app.test_cli_runner().invoke(args=["verify-account", account_id, "--json"])

    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["state"] == "passed"
    page = customer.get(f"/accounts/{account_id}").text
    assert found["verification_id"] in page  # the page shows this verification, stored


def test_verify_account_of_a_failing_account_exits_1_with_the_step(app, customer):
    account_id = add_account(customer, **{**GOOD, "subscription_id": azure.SUB_UNKNOWN})
    work_off(app)

    result = app.test_cli_runner().invoke(args=["verify-account", account_id])

    assert result.exit_code == 1
    step_5 = next(line for line in result.output.splitlines() if line.startswith("5 "))
    assert step_5.split()[-2:] == ["failed", "SubscriptionNotFound"]


def test_verify_account_of_an_unknown_id_says_so(app):
    result = app.test_cli_runner().invoke(args=["verify-account", "no-such-account"])

    assert result.exit_code == 1
    assert "No account no-such-account. Give its whole id" in result.output


def test_verify_checks_the_values_as_the_form_does_before_asking_azure(app, fake_azure):
    swapped = app.test_cli_runner().invoke(
        args=["verify", "--tenant", "", "--client", azure.APP_CONTRIBUTOR, "--subscription", "x"],
        input=f"{azure.SECRET}\n",
    )
    assert swapped.exit_code == 1
    assert "Tenant ID:" in swapped.output and "Subscription ID:" in swapped.output
    assert "Traceback" not in swapped.output
    assert fake_azure.requests == []  # Azure was not asked

    braces = verify(app, "--json", subscription="{" + azure.SUB_READY + "}")
    assert braces.exit_code == 0, braces.output  # read as the form reads it


def test_a_secret_that_is_no_text_is_refused_clearly(app):
    result = app.test_cli_runner().invoke(
        args=["verify", *VALUES, "--subscription", azure.SUB_READY],
        env={"AZURE_CLIENT_SECRET": "abc\udcffdef"},
    )

    assert result.exit_code == 1
    assert "The client secret is not text" in result.output
