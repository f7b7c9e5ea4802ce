"""The pages a customer meets, checked by axe-core in both colour schemes: no violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from fake_azure import scenarios as azure

from .conftest import link_token

SERIOUS = {"serious", "critical"}


def violations(page):
    found = Axe().run(page).response["violations"]
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in found
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_guide_the_form_with_errors_and_a_failed_verification_are_accessible(
    app, live_server, worker, page, theme
):
    page.emulate_media(color_scheme=theme)
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    expect(page.get_by_role("button", name="Verify")).to_be_visible()
    assert violations(page) == []

    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert violations(page) == []

    for label, value in {
        "Account Name": "Production",
        "Tenant ID": azure.TENANT,
        "Client ID": azure.APP_CONTRIBUTOR,
        "Client Secret": azure.EXPIRED_SECRET,
        "Subscription ID": azure.SUB_PROVIDER_NOT_REGISTERED,
    }.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verification")).to_have_attribute(
        "data-verification-state", "failed", timeout=20_000
    )
    for details in page.locator("details").all():
        details.evaluate("element => element.open = true")
    assert violations(page) == []


def every_violation(page):
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in Axe().run(page).response["violations"]
    ]


@pytest.mark.parametrize(
    ("theme", "accent"),
    [("light", "#ffff00"), ("dark", "#1a0033"), ("dark", "#7b2cbf"), ("light", "#7b2cbf")],
)
def test_every_page_state_has_no_violation_with_a_strong_accent_in_either_scheme(
    app, live_server, worker, page, theme, accent
):
    app.config["RECHECK_DELAYS"] = (600,)
    page.emulate_media(color_scheme=theme)
    page.goto(f"{live_server}/embed?token={link_token(app, theme=theme, accent=accent)}")
    page.get_by_text("Faster: set it all up with one command").click()
    # The accent is the host's, adjusted only as far as contrast needs.
    button = page.get_by_role("button", name="Verify", exact=True)
    color = button.evaluate("element => getComputedStyle(element).backgroundColor")
    assert color != "rgb(11, 92, 173)"  # not our own blue
    assert (color == "rgb(123, 44, 191)") == (theme == "light" and accent == "#7b2cbf")
    states = {"the form, the fast path open": every_violation(page)}

    page.get_by_label("Tenant ID", exact=True).fill("not a tenant")
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    states["the form with errors"] = every_violation(page)

    for client_id, state, name in [
        (azure.APP_CONTRIBUTOR, "passed", "passed"),
        (azure.APP_NO_ROLE, "running", "waiting for the role"),
        (azure.APP_READER, "failed", "failed"),
    ]:
        page.goto(f"{live_server}/accounts/new")
        for label, value in {
            "Account Name": name,
            "Tenant ID": azure.TENANT,
            "Client ID": client_id,
            "Client Secret": azure.SECRET,
            "Subscription ID": azure.SUB_READY,
        }.items():
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name="Verify", exact=True).click()
        expect(page.locator(f'#verification[data-verification-state="{state}"]')).to_be_visible(
            timeout=20_000
        )
        if state == "running":
            expect(page.locator('[data-state="waiting"]')).to_be_visible(timeout=20_000)
        for details in page.locator("details").all():
            details.evaluate("element => element.open = true")
        states[name] = every_violation(page)

    page.get_by_role("link", name="All accounts").click()
    expect(page.get_by_role("heading", name="Azure accounts")).to_be_visible()
    states["the accounts list"] = every_violation(page)

    assert {state: found for state, found in states.items() if found} == {}
