"""The portal inside the ColdSend app: a cross-site iframe over HTTPS, third-party cookies
blocked, events to the host page, and framing refused to sites not allowed."""

import json
import re
import ssl
import threading
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect
from werkzeug.serving import make_server

from fake_azure import scenarios as azure
from fake_azure.tls import write_certificates
from portal.extensions import db
from portal.framing import embedding, origin_allowed
from portal.models import Verification

from .conftest import make_app
from .test_long_poll import finish_elsewhere

GOOD = {
    "Tenant ID": azure.TENANT,
    "Client ID": azure.APP_CONTRIBUTOR,
    "Client Secret": azure.SECRET,
    "Subscription ID": azure.SUB_READY,
}


@pytest.fixture
def https_port(app, tmp_path):
    """Serve the portal over HTTPS with a throwaway certificate for localhost and 127.0.0.1.

    The ColdSend app is played by the dev host page on https://localhost:PORT; the portal it
    frames is https://127.0.0.1:PORT, another site. Only the host page may frame the portal.
    """
    _, cert_path, key_path = write_certificates(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    app.config["FRAME_ANCESTORS"] = f"https://localhost:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join()


@pytest.fixture
def strict_context(chromium):
    # A new context blocks third-party cookies, as Chromium does now by default.
    context = chromium.new_context(ignore_https_errors=True)
    yield context
    context.close()


def events(page, kind):
    return [
        json.loads(text)
        for text in page.locator(f'#events li[data-type="{kind}"]').all_text_contents()
    ]


def settled(page, quiet_ms=300):
    """Wait until the host stops resizing the iframe, as a person would before clicking."""
    count = -1
    while count != (count := page.locator('#events li[data-type="resize"]').count()):
        page.wait_for_timeout(quiet_ms)


def at_the_host(context, https_port):
    """The dev host page, as the ColdSend app, and the portal inside its iframe."""
    page = context.new_page()
    page.goto(f"https://localhost:{https_port}/dev/host")
    return page, page.frame_locator("#portal")


def connect(page, portal, name, values):
    """Fill the form inside the iframe and click Verify once the frame has settled."""
    portal.get_by_label("Account Name", exact=True).fill(name)
    for label, value in values.items():
        portal.get_by_label(label, exact=True).fill(value)
    settled(page)
    portal.get_by_role("button", name="Verify").click()


def test_the_portal_works_in_a_cross_site_iframe_with_third_party_cookies_blocked(
    app, https_port, worker, strict_context
):
    page, portal = at_the_host(strict_context, https_port)

    connect(page, portal, "Production", GOOD)

    expect(portal.locator("#verification")).to_have_attribute(
        "data-verification-state", "passed", timeout=20_000
    )
    expect(page.locator('#events li[data-type="verification-finished"]')).to_have_count(1)
    (finished,) = events(page, "verification-finished")
    assert finished["state"] == "passed"
    assert re.fullmatch(r"[0-9a-f-]{36}", finished["account_id"])
    assert len(events(page, "verification-started")) == 1
    assert events(page, "ready")
    heights = [event["height"] for event in events(page, "resize")]
    assert heights and heights[-1] > 300
    # The session lived in the header alone: the portal's site kept no cookie.
    assert [c for c in strict_context.cookies() if c["domain"] == "127.0.0.1"] == []

    portal.get_by_role("button", name="Back to ColdSend").click()
    expect(page.locator('#events li[data-type="done"]')).to_have_count(1)
    assert events(page, "done")[0]["account_id"] == finished["account_id"]


def test_inside_the_iframe_a_mistake_moves_the_focus_to_the_error_summary(
    app, https_port, strict_context
):
    page, portal = at_the_host(strict_context, https_port)
    settled(page)

    portal.get_by_role("button", name="Verify").click()

    expect(portal.get_by_role("alert")).to_be_focused()


def test_going_to_the_fix_inside_the_iframe_asks_the_host_to_scroll_there(
    app, https_port, worker, strict_context
):
    page = strict_context.new_page()
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(f"https://localhost:{https_port}/dev/host")
    portal = page.frame_locator("#portal")
    connect(page, portal, "Wrong", {**GOOD, "Client Secret": "Wrong8Q~" + "x" * 33})
    expect(portal.locator("#verification")).to_have_attribute(
        "data-verification-state", "failed", timeout=20_000
    )

    portal.get_by_role("link", name="Go to step 3").click()

    expect(page.locator('#events li[data-type="scroll-to"]')).to_have_count(1)
    (told,) = events(page, "scroll-to")
    step_3 = portal.locator("#step-3").evaluate("e => e.getBoundingClientRect().top + scrollY")
    assert abs(told["top"] - step_3) <= 1
    page.wait_for_function("window.scrollY > 300")  # the dev host scrolled to it

    # The panel's next swaps (Verify again, then its result) leave the address's #step-3 as
    # it is: the host is not taken back there each time, whatever the customer scrolled to.
    portal.get_by_role("button", name="Verify again").click()
    expect(portal.locator("#verification")).to_have_attribute(
        "data-verification-state", "failed", timeout=20_000
    )
    # The panel still says "failed" from the first check until the second one's answer.
    expect(page.locator('#events li[data-type="verification-finished"]')).to_have_count(
        2, timeout=20_000
    )
    assert len(events(page, "scroll-to")) == 1


def test_a_failed_verification_names_the_failing_step_to_the_host(
    app, https_port, worker, strict_context
):
    page, portal = at_the_host(strict_context, https_port)
    connect(page, portal, "Reader", {**GOOD, "Client ID": azure.APP_READER})

    expect(page.locator('#events li[data-type="verification-finished"]')).to_have_count(
        1, timeout=20_000
    )
    (finished,) = events(page, "verification-finished")
    assert (finished["state"], finished["failed_step"], finished["code"]) == (
        "failed",
        "permissions",
        "ReaderOnly",
    )


def test_the_host_can_switch_the_theme_and_accent(app, https_port, strict_context):
    page, portal = at_the_host(strict_context, https_port)
    expect(portal.get_by_role("button", name="Verify")).to_be_visible()
    settled(page)

    page.get_by_role("button", name="Dark").click()
    page.get_by_role("button", name="Purple accent").click()

    expect(portal.locator("html")).to_have_attribute("data-theme", "dark")
    # #7b2cbf, lightened for the dark scheme only as far as 4.5:1 contrast needs.
    expect(portal.get_by_role("button", name="Verify")).to_have_css(
        "background-color", "rgb(168, 106, 221)"
    )


def test_a_site_not_allowed_to_frame_the_portal_gets_nothing(app, https_port, strict_context):
    page = strict_context.new_page()
    # Served from 127.0.0.1, this host page frames the portal on localhost: not an allowed host.
    page.goto(f"https://127.0.0.1:{https_port}/dev/host")

    page.wait_for_timeout(1000)
    (framed,) = [frame for frame in page.frames if frame != page.main_frame]
    assert "Azure Connect" not in framed.content()
    assert events(page, "ready") == []


def test_the_dev_host_page_does_not_exist_in_production(app, database_url, redis_url):
    production = make_app(
        database_url, redis_url, PORTAL_ENV="production", PORTAL_HOSTS="localhost"
    )

    assert production.test_client().get("/dev/host").status_code == 404


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.coldsend.io", True),
        ("https://eu.app.coldsend.io", True),
        ("https://coldsend.io.evil.example", False),
        ("http://app.coldsend.io", False),
        ("https://app.coldsend.io:8443", False),
        ("https://staging.coldsend.dev:8443", True),
    ],
)
def test_host_origins_match_the_frame_ancestors_sources(origin, allowed):
    sources = (
        "'self' https://app.coldsend.io https://*.app.coldsend.io https://staging.coldsend.dev:*"
    )

    assert origin_allowed(origin, sources) is allowed


def test_link_claims_that_do_not_fit_are_left_out():
    claims = {"origin": "https://evil.example", "theme": "neon", "accent": "red"}

    assert embedding(claims, "https://app.coldsend.io") == {}
    assert embedding({"theme": "dark", "accent": "#7B2CBF"}, "") == {
        "theme": "dark",
        "accent": "#7B2CBF",
    }


@pytest.mark.parametrize(
    ("claimed", "kept"),
    [
        ("HTTPS://APP.ColdSend.io", "https://app.coldsend.io"),
        ("https://app.coldsend.io:443", "https://app.coldsend.io"),
        ("https://staging.coldsend.dev:08443", "https://staging.coldsend.dev:8443"),
        ("https://staging.coldsend.dev:99999", None),
        ("https://[app.coldsend.io", None),
    ],
)
def test_an_origin_is_kept_as_browsers_write_it_so_the_hosts_messages_match(claimed, kept):
    sources = "https://app.coldsend.io https://staging.coldsend.dev:*"

    assert embedding({"origin": claimed}, sources).get("origin") == kept


def test_deleting_an_account_is_told_to_the_host_and_a_theme_can_come_with_the_link(
    app, https_port, strict_context
):
    page = strict_context.new_page()
    page.goto(f"https://localhost:{https_port}/dev/host?theme=dark")
    portal = page.frame_locator("#portal")
    expect(portal.locator("html")).to_have_attribute("data-theme", "dark")
    connect(page, portal, "Short-lived", GOOD)
    account_id = portal.locator("#verification").get_attribute("data-account-id")

    settled(page)
    portal.get_by_role("link", name="Delete").click()
    settled(page)
    portal.get_by_role("button", name="Delete this account").click()

    expect(page.locator('#events li[data-type="account-deleted"]')).to_have_count(1)
    assert events(page, "account-deleted")[0]["account_id"] == account_id


def test_back_and_forward_keep_the_session_in_a_cookieless_iframe(app, https_port, strict_context):
    page, portal = at_the_host(strict_context, https_port)
    connect(page, portal, "Back and forth", GOOD)
    expect(portal.get_by_role("heading", name="Back and forth")).to_be_visible()
    settled(page)

    page.frames[1].evaluate("history.back()")
    expect(portal.get_by_role("heading", name="Connect an Azure subscription")).to_be_visible()
    page.frames[1].evaluate("history.forward()")
    expect(portal.get_by_role("heading", name="Back and forth")).to_be_visible()


@pytest.mark.parametrize(
    ("sources", "origin"),
    [
        ("https://app.coldsend.io", "https://app.coldsend.io"),
        ("'self' https://app.coldsend.io", "https://app.coldsend.io"),
        ("https://app.coldsend.io https://eu.coldsend.io", None),
        ("https://*.coldsend.io", None),
        ("'none'", None),
        ("https://App.ColdSend.io:443", "https://app.coldsend.io"),
    ],
)
def test_a_link_without_origin_talks_to_the_only_host_configured(sources, origin):
    assert embedding({}, sources).get("origin") == origin


@pytest.mark.reliability("/dev/host from another machine", "404")
def test_the_dev_host_page_answers_only_this_machine(app):
    client = app.test_client()

    assert client.get("/dev/host").status_code == 200
    away = client.get("/dev/host", environ_overrides={"REMOTE_ADDR": "192.0.2.10"})
    assert away.status_code == 404


def test_leaving_for_the_list_mid_check_still_tells_the_host_when_it_ends(
    app, https_port, worker, strict_context
):
    page, portal = at_the_host(strict_context, https_port)
    connect(page, portal, "Slow", {**GOOD, "Subscription ID": azure.SUB_SLOW})
    expect(page.locator('#events li[data-type="verification-started"]')).to_have_count(1)

    portal.get_by_role("link", name="All accounts").click()

    expect(portal.locator(".status-cell")).to_have_text(re.compile("Could not check|Verified"))
    expect(page.locator('#events li[data-type="verification-finished"]')).to_have_count(1)
    assert len(events(page, "verification-started")) == 1


def test_the_calendar_file_downloads_inside_a_cookieless_iframe(app, https_port, strict_context):
    page, portal = at_the_host(strict_context, https_port)
    portal.get_by_label("Secret expiry date (optional)").fill("2027-06-30")
    connect(page, portal, "Dated", GOOD)
    expect(portal.get_by_role("heading", name="Dated")).to_be_visible()  # the account's page
    settled(page)
    link = portal.get_by_role("link", name="Add the expiry to your calendar")

    with page.expect_download() as download:
        link.click()

    (event,) = Calendar.from_ical(Path(download.value.path()).read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart") == date(2027, 6, 30)
    assert download.value.suggested_filename == "azure-client-secret-expiry.ics"
    expect(portal.get_by_role("heading", name="Dated")).to_be_visible()  # the page stayed


def test_a_newcomer_connects_with_a_certificate_inside_a_cookieless_iframe(
    app, https_port, worker, strict_context, fake_azure
):
    page, portal = at_the_host(strict_context, https_port)
    secret = portal.get_by_label("Client Secret", exact=True)
    expect(secret).to_be_visible()

    portal.get_by_label(re.compile("A certificate ColdSend makes")).check()
    expect(secret).to_be_hidden()
    portal.get_by_role("button", name="Make the certificate").click()
    block = portal.locator("#client_certificate-field")
    expect(block).to_contain_text("Thumbprint")
    thumbprint = block.locator("code").first.inner_text()
    settled(page)
    with page.expect_download() as download:
        block.get_by_role("link", name="certificate (.cer)").click()
    fake_azure.upload_certificate(azure.APP_CONTRIBUTOR, Path(download.value.path()).read_bytes())
    values = {label: value for label, value in GOOD.items() if label != "Client Secret"}
    connect(page, portal, "Secretless", values)

    panel = portal.locator("#verification")
    expect(panel).to_have_attribute("data-verification-state", "passed", timeout=20_000)
    expect(portal.locator("#step-3")).to_contain_text(thumbprint)
    expect(portal.get_by_role("link", name="Replace the certificate")).to_be_visible()


def test_the_known_problems_load_when_opened_inside_a_cookieless_iframe(
    app, https_port, strict_context
):
    page, portal = at_the_host(strict_context, https_port)
    expect(portal.get_by_label("Account Name", exact=True)).to_be_visible()
    assert portal.locator("#troubleshooting").count() == 0  # not sent with the form

    portal.get_by_text("All known problems and their fixes").click()

    expect(portal.locator("#troubleshooting")).to_contain_text("AADSTS7000215")
    expect(portal.get_by_role("heading", name="Troubleshooting", level=3)).to_be_visible()


def test_news_inside_the_iframe_keeps_the_step_the_reader_sees_where_it_was(
    app, https_port, worker, strict_context
):
    app.config["RECHECK_DELAYS"] = (60,)
    page, portal = at_the_host(strict_context, https_port)
    connect(page, portal, "Waiting", {**GOOD, "Client ID": azure.APP_NO_ROLE})
    expect(portal.locator("#verification .verdict h2")).to_have_text(
        re.compile("Waiting for the app"), timeout=20_000
    )
    settled(page)

    def step_5_on_screen():  # its top, in the app's viewport
        frame = page.locator("#portal").evaluate("frame => frame.getBoundingClientRect().top")
        return frame + portal.locator("#step-5").evaluate(
            "step => step.getBoundingClientRect().top"
        )

    # The reader scrolled the app's page to the middle of step 5.
    page.evaluate(f"window.scrollBy(0, {step_5_on_screen() + 60})")
    settled(page)
    where = step_5_on_screen()
    with app.app_context():  # the role arrived: the verdict above grows, step 4's wait goes
        (verification,) = db.session.scalars(db.select(Verification)).all()
    finish_elsewhere(app, verification.id)

    expect(portal.locator("#verification")).to_have_attribute("data-verification-state", "passed")
    settled(page)
    # Within the 1 % steps in which the browser reports where the app's viewport cuts a step.
    assert abs(step_5_on_screen() - where) <= 4
