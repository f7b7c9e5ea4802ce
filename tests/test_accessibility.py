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
