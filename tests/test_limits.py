"""Rate limits: a burst from one workspace, address or token is refused, with when to return."""

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from fake_azure import scenarios as azure
from portal.extensions import db
from portal.models import Verification

from .conftest import (
    API_AUTH,
    VALID_ACCOUNT,
    add_account,
    csrf_token,
    enter,
    link_token,
    make_app,
    submit,
    work_off,
)
from .test_browser import GOOD


def limit(app, name, value):
    app.config[f"RATELIMIT_{name}"] = value


@pytest.mark.reliability(
    "a burst of checks from one workspace", "429 with Retry-After; others unaffected"
)
def test_starting_verifications_is_limited_per_workspace_and_says_when_to_return(app, customer):
    limit(app, "VERIFY_PER_WORKSPACE", "2 per minute")
    add_account(customer, name="One")
    add_account(customer, name="Two")

    refused = submit(customer, "/accounts/new", {**VALID_ACCOUNT, "name": "Three"})

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61  # the window, rounded up
    assert "Too many tries for now" in refused.text
    assert "Try again in a minute." in refused.text
    # Another workspace is not held back by this one's burst.
    add_account(enter(app.test_client(), workspace="globex"), name="Elsewhere")


@pytest.mark.reliability("a burst of checks from one address", "429")
def test_starting_verifications_is_limited_per_address_across_workspaces(app):
    limit(app, "VERIFY_PER_ADDRESS", "3 per minute")
    first, second = enter(app.test_client()), enter(app.test_client(), workspace="globex")
    add_account(first, name="One")
    add_account(first, name="Two")
    add_account(second, name="Three")

    assert submit(second, "/accounts/new", {**VALID_ACCOUNT, "name": "Four"}).status_code == 429


@pytest.mark.reliability("a burst of entry links", "429")
def test_entry_links_are_limited_per_address(app, client):
    limit(app, "ENTRY", "2 per minute")

    statuses = [client.get(f"/embed?token={link_token(app)}").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


@pytest.mark.reliability("guessed session tokens", "401, then 429")
def test_session_token_guesses_are_limited_per_address(app, client):
    limit(app, "SESSION_GUESSES", "2 per minute")

    statuses = [
        client.get("/", headers={"X-Portal-Session": f"guess-{n}"}).status_code for n in range(3)
    ]

    assert statuses == [401, 401, 429]


@pytest.mark.reliability("a burst of API calls", "429 JSON with Retry-After")
def test_the_api_is_limited_per_token_with_a_json_answer(app, api):
    limit(app, "API_PER_TOKEN", "2 per minute")

    answers = [api.get("/api/v1/workspaces/acme/accounts", headers=API_AUTH) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].json["error"]["code"] == "too_many_requests"
    assert answers[2].headers["Retry-After"]


@pytest.mark.parametrize("value", ["lots", "10 per fortnight"])
def test_a_malformed_limit_setting_is_named(tmp_path, value):
    from portal.config import ConfigError, load

    from .conftest import TEST_ENVIRONMENT

    with pytest.raises(ConfigError, match="PORTAL_LIMIT_ENTRY must read like"):
        load({**TEST_ENVIRONMENT, "PORTAL_LIMIT_ENTRY": value}, tmp_path)


@pytest.mark.reliability(
    "many checks in flight in one workspace", "the rest wait; others unaffected"
)
def test_a_workspace_runs_only_so_many_verifications_at_once(app, customer, api):
    app.config["VERIFICATIONS_IN_FLIGHT"] = 2
    add_account(customer, name="One")
    add_account(customer, name="Two")

    third = submit(customer, "/accounts/new", {**VALID_ACCOUNT, "name": "Three"})
    page = customer.get(third.headers["Location"]).text
    account_id = third.headers["Location"].rsplit("/", 1)[1]
    url = f"/api/v1/workspaces/acme/accounts/{account_id}/verifications"
    again = api.post(url, headers=API_AUTH)

    assert "ColdSend is already checking 2 of your accounts" in page
    assert 'data-verification-state="' not in page
    assert (again.status_code, again.json["error"]["code"]) == (429, "too_many_in_flight")
    # Another workspace's checks do not wait for this one's.
    other = enter(app.test_client(), workspace="globex")
    add_account(other, name="Elsewhere")
    assert "already checking" not in other.get("/").text


def test_accounts_waiting_for_a_role_leave_room_for_other_checks(app, customer):
    app.config.update(VERIFICATIONS_IN_FLIGHT=1, RECHECK_DELAYS=(600,))
    add_account(customer, **{**GOOD, "name": "No role", "client_id": azure.APP_NO_ROLE})
    work_off(app)  # now waiting for the role's re-check

    saved = submit(customer, "/accounts/new", {**VALID_ACCOUNT, **GOOD, "name": "Next"})
    page = customer.get(saved.headers["Location"]).text

    assert "already checking" not in page
    assert 'data-verification-state="running"' in page


@pytest.mark.reliability(
    "session guesses from a customer's address", "the customer's session works"
)
def test_session_guesses_never_lock_out_an_open_session_from_the_same_address(app, customer):
    limit(app, "SESSION_GUESSES", "2 per minute")
    for n in range(3):
        app.test_client().get("/", headers={"X-Portal-Session": f"guess-{n}"})

    assert customer.get("/accounts/new").status_code == 200


@pytest.mark.reliability(
    "a form sent back with mistakes, many times", "no check counted, none refused"
)
def test_forms_sent_back_with_mistakes_do_not_use_up_the_verify_limit(app, customer):
    limit(app, "VERIFY_PER_WORKSPACE", "2 per minute")
    for _ in range(3):
        assert (
            submit(customer, "/accounts/new", {**VALID_ACCOUNT, "tenant_id": "x"}).status_code
            == 422
        )

    add_account(customer, name="Saved")


def entries_behind_a_proxy(app):
    """Entry by a fresh link from the address a proxy forwards: address → status."""
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    client = app.test_client()

    def entry(address):
        headers = {"X-Forwarded-For": address}
        return client.get(f"/embed?token={link_token(app)}", headers=headers).status_code

    return entry


def test_behind_a_proxy_each_client_address_has_its_own_limits(app):
    limit(app, "ENTRY", "1 per minute")
    entry = entries_behind_a_proxy(app)

    assert [entry("198.51.100.1"), entry("198.51.100.2"), entry("198.51.100.1")] == [200, 200, 429]


@pytest.mark.reliability("entries from many addresses of one IPv6 /64", "one counter: 429")
def test_an_ipv6_network_counts_as_one_client_and_an_odd_forwarded_address_is_no_500(app):
    limit(app, "ENTRY", "2 per minute")
    entry = entries_behind_a_proxy(app)

    assert [entry("2001:db8:1:2::1"), entry("2001:db8:1:2:ffff::9")] == [200, 200]
    assert entry("2001:db8:1:2:abcd::3") == 429  # the same /64
    assert entry("2001:db8:1:3::1") == 200  # the next /64
    assert [entry("::ffff:198.51.100.7"), entry("198.51.100.7")] == [200, 200]
    assert entry("198.51.100.7") == 429  # an IPv4-mapped address is that IPv4 address
    # Ports and brackets as proxies write them are the same client; made-up values are the
    # proxy's own address, one counter between them.
    assert [entry("198.51.100.8:4431"), entry("[::ffff:198.51.100.8]:80")] == [200, 200]
    assert entry("198.51.100.8") == 429
    assert [entry("not an address"), entry("010.009.009.009")] == [200, 200]
    assert entry("made up") == 429


def test_portal_proxies_wraps_the_app_to_read_forwarded_addresses(tmp_path, database_url):
    behind = make_app(database_url, PORTAL_PROXIES="1")

    assert isinstance(behind.wsgi_app, ProxyFix)


def test_a_limit_met_by_a_click_in_the_page_is_told_above_it_and_the_page_stays(app, customer):
    limit(app, "VERIFY_PER_WORKSPACE", "1 per minute")
    account_id = add_account(customer)
    token = csrf_token(customer, "/accounts/new")

    refused = customer.post(
        f"/accounts/{account_id}/verifications",
        data={"csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": "verification"},
    )

    assert refused.status_code == 429
    assert (refused.headers["HX-Retarget"], refused.headers["HX-Reswap"]) == (
        "#flashes",
        "innerHTML",
    )
    assert refused.text.strip().startswith('<p class="notice notice--warning" role="alert">')
    assert "<html" not in refused.text


# Every route a session opens, with the method it takes: ACC and VER are filled in.
SESSION_ROUTES = [
    ("GET", "/"),
    ("GET", "/accounts/new"),
    ("POST", "/accounts/new"),
    ("GET", "/accounts/ACC/edit"),
    ("POST", "/accounts/ACC/edit"),
    ("POST", "/accounts/ACC/verifications"),
    ("POST", "/accounts/ACC/certificates"),
    ("POST", "/accounts/ACC/previous-credential"),
    ("GET", "/accounts/ACC/verifications/VER?seen=x"),
    ("GET", "/accounts/ACC/verifications/latest?seen=x"),
    ("POST", "/accounts/ACC/verifications/VER/provider-registration"),
]


@pytest.mark.parametrize(("method", "url"), SESSION_ROUTES)
def test_session_token_guesses_are_limited_on_every_route(app, customer, method, url):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    with app.app_context():
        verification_id = db.session.scalars(db.select(Verification.id)).first()
    url = url.replace("ACC", account_id).replace("VER", verification_id)
    limit(app, "SESSION_GUESSES", "3 per minute")
    # A form without its CSRF token is refused before any session is looked at: off here, so
    # the count is shown to hold behind every route on its own.
    app.config["WTF_CSRF_ENABLED"] = False
    attacker = app.test_client()

    answers = [
        attacker.open(url, method=method, headers={"X-Portal-Session": f"guess-{n}"})
        for n in range(4)
    ]

    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    assert customer.get("/accounts/new").status_code == 200  # an open session is never refused
