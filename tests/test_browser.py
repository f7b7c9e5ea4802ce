"""The foundation as a customer meets it, in headless Chromium."""

import re

from playwright.sync_api import expect

from fake_azure import scenarios as azure

from .conftest import CLIENT_SECRET, VALID_ACCOUNT, link_token, work_off

GOOD = {
    "tenant_id": azure.TENANT,
    "client_id": azure.APP_CONTRIBUTOR,
    "client_secret": azure.SECRET,
    "subscription_id": azure.SUB_READY,
}
WRONG_SECRET = "Wrong8Q~NotTheSecretValue.0123456789abcde"
FIELDS = {
    "Account Name": "name",
    "Tenant ID": "tenant_id",
    "Client ID": "client_id",
    "Client Secret": "client_secret",
    "Subscription ID": "subscription_id",
}


def fill(page, **values):
    for label, field in FIELDS.items():
        if field in values:
            page.get_by_label(label, exact=True).fill(values[field])


def test_customer_follows_the_link_corrects_a_mistake_and_saves_an_account(app, live_server, page):
    page.goto(f"{live_server}/embed?token={link_token(app)}")

    expect(page).to_have_url(f"{live_server}/accounts/new")
    expect(page.get_by_role("heading", name="Connect an Azure subscription")).to_be_visible()
    fill(page, **{**VALID_ACCOUNT, "client_secret": VALID_ACCOUNT["subscription_id"]})
    page.get_by_role("button", name="Verify").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("This is the Secret ID")
    expect(page.get_by_label("Account Name")).to_have_value("Production")
    expect(page.get_by_label("Client Secret")).to_have_value("")
    summary.get_by_role("link", name=re.compile("Client Secret")).click()
    expect(page.get_by_label("Client Secret")).to_be_focused()
    expect(page.locator("#step-3").get_by_label("Client Secret")).to_be_focused()

    page.get_by_label("Client Secret").fill(CLIENT_SECRET)
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="Production")).to_be_visible()
    expect(page.get_by_text("Saved “Production”")).to_be_visible()
    assert CLIENT_SECRET not in page.content()
    page.get_by_role("link", name="All accounts").click()
    expect(page.get_by_role("row", name=re.compile("Production"))).to_contain_text("Verifying…")


def test_pages_load_without_a_script_or_policy_error(app, live_server, page):
    errors = []
    # An invalid form answers 422 on purpose; Chromium reports every 4xx page on the console.
    expected = "the server responded with a status of 422"
    page.on(
        "console",
        lambda message: (
            message.type == "error" and expected not in message.text and errors.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("alert")).to_be_visible()
    page.wait_for_function("typeof htmx === 'object'")
    assert errors == []


def test_verify_shows_progress_then_the_fix_at_the_failed_step_then_passes_once_fixed(
    app, live_server, worker, page
):
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    fill(page, **{**GOOD, "name": "Production", "client_secret": WRONG_SECRET})
    page.evaluate("window.stayedOnThisPage = true")
    page.get_by_role("button", name="Verify").click()

    panel = page.locator("#verification")
    expect(page).to_have_url(re.compile(r"/accounts/[0-9a-f-]{36}$"))
    expect(panel).to_have_attribute("data-verification-state", "failed", timeout=20_000)
    assert page.evaluate("window.stayedOnThisPage") is True  # htmx swapped, nothing reloaded
    secret_step = page.locator('[data-step="client-secret"]')
    expect(secret_step).to_have_attribute("data-state", "failed")
    expect(secret_step).to_have_attribute("data-code", "AADSTS7000215")
    expect(secret_step).to_contain_text("Azure rejected the client secret.")
    expect(page.locator('[data-step="tenant-id"]')).to_have_attribute("data-state", "passed")
    expect(page.locator('[data-step="permissions"]')).to_have_attribute("data-state", "skipped")
    expect(page.locator("#verification-status")).to_contain_text("Step 3 needs your attention")

    secret_step.get_by_role("link", name=re.compile("Change the Client Secret")).click()
    expect(page).to_have_url(re.compile("/edit#client_secret-field$"))
    expect(page.get_by_label("Client Secret")).to_be_focused()  # ready for the new value
    page.get_by_label("Client Secret").fill(GOOD["client_secret"])
    page.get_by_role("button", name="Save and verify").click()

    expect(page.locator("#verification")).to_have_attribute(
        "data-verification-state", "passed", timeout=20_000
    )
    for step in page.locator("[data-step]").all():
        expect(step).to_have_attribute("data-state", "passed")
    expect(page.locator("#verification-status")).to_contain_text(
        "All six steps passed, and the dry run found nothing in the way."
    )


def test_a_rate_limit_met_by_verify_again_is_a_notice_and_the_results_stay(app, live_server, page):
    app.config["RATELIMIT_VERIFY_PER_WORKSPACE"] = "1 per minute"
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    fill(page, **{**VALID_ACCOUNT, **GOOD})
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Production")).to_be_visible()
    work_off(app)
    page.reload()

    page.get_by_role("button", name="Verify again").click()
    page.get_by_role("button", name="Verify again").click()

    expect(page.get_by_role("alert")).to_contain_text("Too many tries for now")
    expect(page.get_by_role("alert")).to_have_count(1)  # said once, however many clicks
    expect(page.get_by_role("alert")).to_be_in_viewport()
    expect(page.locator('[data-step="dry-run"]')).to_be_visible()
    expect(page.get_by_role("banner")).to_have_count(1)  # no page within the page
