"""The guide and the form as one, at the widths an iframe gets, in headless Chromium."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from fake_azure import scenarios as azure
from portal import jobs
from portal.extensions import db
from portal.models import Verification

from .conftest import add_account, link_token, work_off
from .test_browser import GOOD as AZURE
from .test_browser import WRONG_SECRET
from .test_fast_path import command_output

GOOD = {
    "Account Name": "Production",
    "Tenant ID": azure.TENANT,
    "Client ID": azure.APP_CONTRIBUTOR,
    "Client Secret": azure.SECRET,
    "Subscription ID": azure.SUB_READY,
}
WIDTHS = [400, 700, 1280]


@pytest.fixture(params=WIDTHS, ids=[f"{width}px" for width in WIDTHS])
def sized_page(request, chromium):
    """A page `width` px wide and 700 px high: what a ColdSend iframe often gets."""
    context = chromium.new_context(viewport={"width": request.param, "height": 700})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fill(page, values):
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)


def overflows_sideways(page):
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def test_the_first_field_is_on_the_first_screen_and_nothing_scrolls_sideways(
    app, live_server, sized_page
):
    page = sized_page
    page.goto(f"{live_server}/embed?token={link_token(app)}")

    name = page.get_by_label("Account Name", exact=True)
    box = name.bounding_box()
    assert box["y"] + box["height"] <= 700, box
    assert not overflows_sideways(page)
    # Where the customer starts is open; each later step's instructions are one click away.
    expect(page.locator("details.how[open]")).to_have_count(1)
    expect(page.locator("#step-1 details.how")).to_have_attribute("open", "")
    # Each value's field sits in the guide step that produces it.
    for step, label in [
        (1, "Tenant ID"),
        (2, "Client ID"),
        (3, "Client Secret"),
        (5, "Subscription ID"),
    ]:
        expect(page.locator(f"#step-{step}").get_by_label(label, exact=True)).to_be_visible()


def test_a_failed_steps_fix_is_inside_its_own_section_at_every_width(
    app, live_server, customer, sized_page
):
    account_id = add_account(customer, **{**AZURE, "client_secret": WRONG_SECRET})
    work_off(app)
    page = sized_page
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/accounts/{account_id}")

    section = page.locator("#step-3")
    expect(section.locator('[data-step="client-secret"]')).to_have_attribute("data-state", "failed")
    expect(section.locator(".guidance")).to_contain_text("Azure rejected the client secret.")
    # The fix says what to do; the step's general instructions stay one click away.
    expect(page.locator("details.how[open]")).to_have_count(0)
    assert not overflows_sideways(page)


def test_the_secret_is_kept_after_another_fields_mistake_and_cleared_when_it_is_the_mistake(
    app, live_server, page
):
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    fill(page, {**GOOD, "Tenant ID": "not a tenant\n"})
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("alert")).to_contain_text("Tenant ID")
    expect(page.get_by_label("Client Secret", exact=True)).to_have_value(azure.SECRET)
    assert azure.SECRET not in page.content()  # kept by the browser, never sent back

    fill(page, {"Tenant ID": azure.TENANT, "Client Secret": azure.SUB_READY})  # a GUID
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("alert")).to_contain_text("Secret ID")
    expect(page.get_by_label("Client Secret", exact=True)).to_have_value("")
    expect(page.locator("#client_secret-error")).to_contain_text("We cleared the field")

    fill(page, {"Client Secret": azure.SECRET})
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Production")).to_be_visible()


# Every change to the panel, as the customer would have seen it.
SHOWN_WHILE_RECHECKING = """
window.shown = [];
new MutationObserver(() => {
  const panel = document.getElementById("verification");
  window.shown.push({
    heading: panel.querySelector(".verdict h2").textContent.trim(),
    role: panel.querySelector('[data-step="permissions"]').dataset.state,
    stop: [...panel.querySelectorAll("button")].some((b) => b.textContent === "Stop waiting"),
  });
}).observe(document.getElementById("main"), { childList: true, subtree: true });
"""


def test_while_the_role_propagates_the_count_and_time_advance_without_a_reload(
    app, live_server, customer, page
):
    app.config["RECHECK_DELAYS"] = (60, 120, 180)
    account_id = add_account(customer, **{**AZURE, "client_id": azure.APP_NO_ROLE})
    work_off(app)
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/accounts/{account_id}")
    page.evaluate("window.stayedOnThisPage = true")

    heading = "Waiting for the app’s role on this subscription"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator('[data-step="permissions"]')).to_contain_text(
        "No role yet: we keep checking"
    )
    recheck = page.locator(".recheck")
    expect(recheck).to_contain_text("check 2 of 4")
    first_time = re.search(r"\d\d:\d\d:\d\d", recheck.inner_text()).group()
    page.evaluate(SHOWN_WHILE_RECHECKING)

    with app.app_context():  # the re-check the scheduler would start in 60 s, now
        verification = db.session.scalars(db.select(Verification)).one()
        jobs.verify(verification.id)

    expect(recheck).to_contain_text("check 3 of 4", timeout=10_000)
    assert first_time not in recheck.inner_text()
    # The re-check played out nowhere on the page: heading, step 4 and its button stayed.
    shown = page.evaluate("window.shown")
    assert shown and all(
        moment == {"heading": heading, "role": "waiting", "stop": True} for moment in shown
    ), shown
    assert page.evaluate("window.stayedOnThisPage") is True
    page.goto(f"{live_server}/")
    expect(page.get_by_role("row", name=re.compile("Production"))).to_contain_text(
        "Waiting for the role"
    )


def test_the_fast_path_fills_the_form_from_one_paste_and_connects(app, live_server, worker, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.get_by_text("Faster: set it all up with one command").click()
    page.get_by_label("Subscription ID", exact=True).fill(azure.SUB_READY)
    page.get_by_label("Subscription ID", exact=True).blur()

    commands = page.locator("#commands-text")
    expect(commands).to_contain_text(f"SUBSCRIPTION_ID={azure.SUB_READY}")
    page.get_by_role("button", name="Copy the commands").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == commands.inner_text().strip()

    page.get_by_label("What the command printed").fill(command_output(name="From Cloud Shell"))

    expect(page.get_by_label("Tenant ID", exact=True)).to_have_value(azure.TENANT)
    expect(page.get_by_label("Client ID", exact=True)).to_have_value(azure.APP_CONTRIBUTOR)
    expect(page.get_by_label("Account Name", exact=True)).to_have_value("From Cloud Shell")
    expect(page.get_by_label("Client Secret", exact=True)).to_have_attribute(
        "placeholder", re.compile("Taken from what you pasted")
    )
    expect(page.locator("#command-output-status")).to_contain_text("Filled")
    page.get_by_role("button", name="Verify these values").click()

    expect(page.locator("#verification")).to_have_attribute(
        "data-verification-state", "passed", timeout=20_000
    )
    assert azure.SECRET not in page.content()
    # Outside the ColdSend app there is nothing to go back to.
    expect(page.get_by_role("button", name="Back to ColdSend")).to_be_hidden()


def test_times_are_shown_in_the_customers_time_zone_in_one_format(
    app, live_server, customer, chromium
):
    account_id = add_account(customer, **AZURE)
    work_off(app)
    context = chromium.new_context(timezone_id="Asia/Kolkata")  # UTC+05:30, no summer time
    page = context.new_page()
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/accounts/{account_id}")

    finished = page.locator(".reference time")
    utc = datetime.fromisoformat(finished.get_attribute("datetime"))
    local = utc + timedelta(hours=5, minutes=30)
    expect(finished).to_have_text(
        f"{local.day} {local:%B %Y}, {local:%H:%M} {finished.inner_text().rsplit(' ', 1)[1]}"
    )
    assert not finished.inner_text().endswith("UTC")
    context.close()


def test_the_accounts_list_fits_without_clipping_or_tall_dates(
    app, live_server, customer, sized_page
):
    for name in ("Production", "A much longer account name for the marketing team"):
        add_account(customer, **AZURE, name=name)
    work_off(app)
    page = sized_page
    page.goto(f"{live_server}/embed?token={link_token(app)}")

    expect(page.get_by_role("heading", name="Azure accounts")).to_be_visible()
    assert not overflows_sideways(page)
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    for date in page.locator("td[data-label='Last passed'] time").all():
        assert date.bounding_box()["height"] < 2.5 * line  # two lines at most
    for code in page.locator(".accounts code").all():
        assert code.evaluate("element => element.scrollWidth <= element.clientWidth + 1")


def test_every_id_on_an_account_has_a_copy_button(app, live_server, customer, page):
    account_id = add_account(customer, **AZURE)
    work_off(app)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/accounts/{account_id}")

    for name, value in [
        ("Tenant ID", azure.TENANT),
        ("Client ID", azure.APP_CONTRIBUTOR),
        ("Subscription ID", azure.SUB_READY),
    ]:
        page.get_by_role("button", name=f"Copy the {name}").click()
        assert page.evaluate("navigator.clipboard.readText()") == value
    page.get_by_role("button", name="Copy the reference").click()
    assert page.evaluate("navigator.clipboard.readText()") == page.locator(
        "#verification"
    ).get_attribute("data-verification-id")


def focused(page):
    """What has the keyboard focus: its accessible name, as a screen reader says it."""
    return page.evaluate(
        """() => {
          const element = document.activeElement;
          const label = element.labels && element.labels[0];
          return (label ? label.textContent : element.textContent).trim().split("\\n")[0];
        }"""
    )


def test_the_form_works_from_the_keyboard_alone(app, live_server, page):
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    expect(page.get_by_label("Account Name", exact=True)).to_be_visible()

    visited = []
    for _ in range(7):
        page.keyboard.press("Tab")
        visited.append(focused(page))
    assert visited == [
        "Skip to main content",
        "ColdSend Azure Connect",
        "Account Name",
        "Faster: set it all up with one command",
        "How to do it in Azure",
        "Azure portal, on Microsoft Entra ID",
        "Tenant ID",
    ]
    page.keyboard.type(azure.TENANT)
    page.keyboard.press("Enter")  # submits, as in any form

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page).startswith("Account Name: Enter a name")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Account Name", exact=True)).to_be_focused()
    expect(page.get_by_label("Tenant ID", exact=True)).to_have_value(azure.TENANT)


def test_what_the_page_said_on_arrival_goes_once_the_customer_acts_in_it(
    app, live_server, worker, page
):
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    fill(page, {**GOOD, "Client ID": azure.APP_READER})
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.locator("#verification")).to_have_attribute(
        "data-verification-state", "failed", timeout=20_000
    )
    expect(page.get_by_text("Saved “Production”")).to_be_visible()  # polls leave it

    page.get_by_role("button", name="Verify again").click()

    expect(page.get_by_text("Saved “Production”")).to_have_count(0)


def test_verify_on_an_account_never_checked_keeps_the_page_around_the_result(
    app, live_server, customer, worker, page
):
    app.config["VERIFICATIONS_IN_FLIGHT"] = 0  # saved, but not checked: "already checking"
    account_id = add_account(customer, **AZURE)
    app.config["VERIFICATIONS_IN_FLIGHT"] = 5
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/accounts/{account_id}")

    page.get_by_role("button", name="Verify", exact=True).click()

    expect(page.locator("#verification")).to_have_attribute(
        "data-verification-state", "passed", timeout=20_000
    )
    expect(page).to_have_url(f"{live_server}/accounts/{account_id}")
    expect(page.get_by_role("banner")).to_have_count(1)  # the whole page, not a fragment
    expect(page.get_by_role("link", name="Change details")).to_be_visible()
