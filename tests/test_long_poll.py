"""The status poll is held until the verification changes: the page shows a change when it is
committed, not a polling interval later, and a poll that waits holds nothing but a socket."""

import re
import threading
import time
from contextlib import ExitStack
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from redis import Redis

from fake_azure import scenarios as azure
from portal import changes, queue, verifying
from portal.extensions import db
from portal.models import AzureAccount, Verification, utcnow
from portal.verification.steps import Step, StepState

from .conftest import (
    VALID_ACCOUNT,
    add_account,
    csrf_token,
    link_token,
    running_worker,
    work_off,
)
from .test_browser import fill
from .test_verification import GOOD, markers, verification_state


def poll_url(customer, account_id):
    page = customer.get(f"/accounts/{account_id}").text
    return re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")


def in_background(call):
    """Start `call()` in a thread; return a function that waits for its result and its time."""
    outcome = {}

    def run():
        started = time.monotonic()
        outcome["result"] = call()
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    return lambda: (thread.join(timeout=30), outcome)[1]


def record(app, account_id, step, state):
    """Change one step of the account's verification and commit, as the worker does."""
    with app.app_context():
        verification = db.session.scalars(
            db.select(Verification).filter_by(account_id=account_id)
        ).one()
        verification.step(step).state = state
        db.session.commit()


def test_a_held_poll_answers_as_soon_as_a_change_is_committed(app, customer):
    app.config["POLL_HOLD"] = 10
    account_id = add_account(customer, **GOOD)
    answer = in_background(lambda: customer.get(poll_url(customer, account_id)))

    time.sleep(0.3)
    record(app, account_id, Step.TENANT_ID, StepState.RUNNING)
    outcome = answer()

    assert outcome["result"].status_code == 200
    assert markers(outcome["result"].text)["tenant-id"][0] == "running"
    assert 0.3 <= outcome["seconds"] < 2


def test_a_poll_with_nothing_new_answers_204_after_the_hold(app, customer):
    app.config["POLL_HOLD"] = 0.5
    account_id = add_account(customer, **GOOD)

    started = time.monotonic()
    response = customer.get(poll_url(customer, account_id))

    assert response.status_code == 204
    assert 0.5 <= time.monotonic() - started < 2


def test_a_change_that_shows_nothing_new_keeps_the_poll_waiting(app, customer):
    app.config["POLL_HOLD"] = 1
    account_id = add_account(customer, **GOOD)
    answer = in_background(lambda: customer.get(poll_url(customer, account_id)))

    time.sleep(0.2)
    record(app, account_id, Step.TENANT_ID, StepState.PENDING)  # as it already was

    assert answer()["result"].status_code == 204


def test_a_waiting_poll_holds_no_database_connection(app, customer):
    app.config["POLL_HOLD"] = 1
    account_id = add_account(customer, **GOOD)
    url = poll_url(customer, account_id)
    with app.app_context():
        engine = db.engine
        before = engine.pool.checkedout()
        answer = in_background(lambda: customer.get(url))
        time.sleep(0.5)
        during = engine.pool.checkedout()

    assert answer()["result"].status_code == 204
    assert during == before


def test_the_final_state_reaches_a_held_poll_and_polls_no_more(app, customer, worker):
    app.config["POLL_HOLD"] = 10
    account_id = add_account(customer, **GOOD)
    url = poll_url(customer, account_id)

    deadline = time.monotonic() + 20
    polls = 'hx-trigger="load, again"'
    while (response := customer.get(url)).status_code == 200 and polls in response.text:
        url = re.search(r'hx-get="([^"]+)"', response.text).group(1).replace("&amp;", "&")
        assert time.monotonic() < deadline

    assert verification_state(response.text) == "passed"


@pytest.mark.reliability("Redis down while a page waits on a check", "204, asked again in 1 s")
def test_with_redis_down_a_poll_is_asked_again_in_a_second(app, customer):
    account_id = add_account(customer, **GOOD)
    url = poll_url(customer, account_id)
    app.config.update(POLL_HOLD=5, REDIS_URL="unix:///nonexistent/redis.sock")
    app.extensions.pop("redis")

    started = time.monotonic()
    response = customer.get(url)

    assert response.status_code == 204
    assert response.headers["Retry-After"] == "1"
    assert time.monotonic() - started < 1


@pytest.mark.reliability("One session holding many polls", "4 held; the rest asked again in 1 s")
def test_one_session_cannot_hold_more_than_its_share_of_polls(app, customer, other_customer):
    app.config.update(POLL_HOLD=2, POLL_HOLDS_PER_SESSION=1)
    url = poll_url(customer, add_account(customer, **GOOD))
    others = poll_url(other_customer, add_account(other_customer, **GOOD))
    held = in_background(lambda: customer.get(url))
    time.sleep(0.3)

    refused = customer.get(url)
    started = time.monotonic()
    other = other_customer.get(others)

    assert refused.status_code == 204 and refused.headers["Retry-After"] == "1"
    assert other.status_code == 204 and "Retry-After" not in other.headers
    assert time.monotonic() - started >= 2  # held for its whole hold
    assert "Retry-After" not in held()["result"].headers


def test_past_its_share_of_threads_a_process_asks_polls_again_in_a_second(app, customer):
    app.config.update(POLL_HOLD=2, POLL_HOLDS=1)
    account_id = add_account(customer, **GOOD)
    url = poll_url(customer, account_id)
    held = in_background(lambda: customer.get(url))
    time.sleep(0.3)

    started = time.monotonic()
    refused = customer.get(url)

    assert refused.status_code == 204 and refused.headers["Retry-After"] == "1"
    assert time.monotonic() - started < 1
    assert "Retry-After" not in held()["result"].headers
    assert customer.get(url).status_code == 204  # the slot is free again after the hold


def test_a_commit_announces_the_verifications_it_changed_and_nothing_else(app, customer):
    account_id = add_account(customer, **GOOD)
    listener = Redis.from_url(app.config["REDIS_URL"]).pubsub(ignore_subscribe_messages=True)
    listener.psubscribe(changes.CHANNEL.format("*"))
    listener.get_message(timeout=1)  # the subscription's confirmation

    record(app, account_id, Step.TENANT_ID, StepState.RUNNING)
    heard = listener.get_message(timeout=1)
    with app.app_context():
        db.session.get(AzureAccount, account_id).rename("Another name")
        db.session.commit()
        verification = db.session.scalars(db.select(Verification)).one()
        verification.step(Step.CLIENT_ID).state = StepState.RUNNING
        db.session.flush()
        db.session.rollback()
    unrelated = listener.get_message(timeout=0.5)

    assert heard["channel"].decode().endswith(heard_id(app))
    assert unrelated is None


def heard_id(app):
    with app.app_context():
        return db.session.scalars(db.select(Verification.id)).one()


@pytest.mark.reliability("One poll failed (a proxy's 502, no network)", "panel kept, asked again")
@pytest.mark.parametrize("failure", ["502", "network"])
def test_a_poll_that_fails_in_passing_keeps_the_panel_and_asks_again(
    app, live_server, page, database_url, redis_url, fake_azure, failure
):
    """A restart answers one poll 502, or the network drops it: the page keeps its panel
    (saying when the connection is lost), asks again after a pause, and shows the result."""
    failed = []

    def first_poll_fails(route):
        if failed:
            return route.continue_()
        failed.append(route.request.url)
        if failure == "network":
            return route.abort("internetdisconnected")
        return route.fulfill(status=502, body="<h1>502 Bad Gateway</h1>")

    page.route("**/verifications/*?seen=*", first_poll_fails)
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    fill(page, **{**VALID_ACCOUNT, **GOOD})
    page.get_by_role("button", name="Verify", exact=True).click()
    panel = page.locator("#verification")
    expect(panel).to_have_attribute("data-verification-state", "running")
    lost = page.get_by_text("We lost the connection to Azure Connect")
    if failure == "network":
        expect(lost).to_be_visible()
    page.wait_for_timeout(500)  # the failed poll has been answered by now

    with running_worker(database_url, redis_url, fake_azure):
        expect(panel).to_have_attribute("data-verification-state", "passed", timeout=20_000)

    assert failed
    expect(page.get_by_text("Bad Gateway")).to_have_count(0)
    expect(lost).to_have_count(0)


def test_a_poll_for_an_account_deleted_meanwhile_says_so_in_place_of_the_page(app, customer):
    account_id = add_account(customer, **GOOD)
    url = poll_url(customer, account_id)
    with app.app_context():
        db.session.delete(db.session.get(AzureAccount, account_id))
        db.session.commit()

    response = customer.get(url, headers={"HX-Request": "true", "HX-Target": "verification"})

    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#main"
    assert "<header" not in response.text and 'class="notice' in response.text


@pytest.mark.reliability("A burst of polls as a web worker starts", "one Redis client, no 500")
def test_threads_making_the_redis_client_at_once_share_one(app):
    app.extensions.pop("redis", None)
    clients, start = [], threading.Barrier(16)

    def make():
        start.wait()
        with app.app_context():
            clients.append(queue.connection())

    threads = [threading.Thread(target=make) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(client) for client in clients}) == 1


def test_a_verification_gone_unannounced_while_its_poll_waits_is_a_404(app, customer):
    app.config["POLL_HOLD"] = 1
    account_id = add_account(customer, **GOOD)
    url = poll_url(customer, account_id)
    answer = in_background(lambda: customer.get(url))
    time.sleep(0.3)
    with app.app_context():  # the database's cascade removes the verification: no one is told
        db.session.execute(db.delete(AzureAccount).where(AzureAccount.id == account_id))
        db.session.commit()

    assert answer()["result"].status_code == 404


@pytest.mark.parametrize(
    ("client_id", "button", "at_once", "final", "focused"),
    [
        # A click within a step keeps the customer there; Verify again goes to the verdict.
        (azure.APP_NO_ROLE, "Stop waiting", "failed", "failed", "#step-4 h2"),
        (azure.APP_CONTRIBUTOR, "Verify again", "running", "passed", "#verification .verdict h2"),
    ],
)
def test_after_a_click_in_the_panel_focus_is_where_its_outcome_is_read_until_the_result(
    app, live_server, customer, page, client_id, button, at_once, final, focused
):
    app.config["RECHECK_DELAYS"] = (60,)
    account_id = add_account(customer, **{**GOOD, "client_id": client_id})
    work_off(app)
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/accounts/{account_id}")
    panel = page.locator("#verification")
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    page.get_by_role("button", name=button).focus()
    page.keyboard.press("Enter")
    expect(panel).to_have_attribute("data-verification-state", at_once)
    work_off(app)  # the check that Verify again started: its answers replace the panel

    expect(panel).to_have_attribute("data-verification-state", final)
    expect(page.locator(focused)).to_be_focused()
    # The held poll the click's answer replaced was let go of, and no error was reported.
    assert errors == []


def test_the_list_follows_a_running_check_to_its_end_without_a_reload(
    app, live_server, customer, page
):
    account_id = add_account(customer, **GOOD)  # its check is queued, not run yet
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/")
    cell = page.locator(f"#status-{account_id}")
    expect(cell).to_have_text("Verifying…")

    work_off(app)

    expect(cell).to_have_text("Verified")
    expect(cell).not_to_have_attribute("hx-get", re.compile(".*"))  # done: it polls no more
    expect(page.locator(f"#last-passed-{account_id}")).not_to_have_text("Never")


def test_a_poll_without_seen_ends_a_stale_verification_at_once(app, customer):
    app.config["POLL_HOLD"] = 10
    account_id = add_account(customer, **GOOD)  # its job never runs: it goes stale
    url = poll_url(customer, account_id).partition("?")[0]  # no `seen` at all
    with app.app_context():
        (verification,) = db.session.scalars(db.select(Verification)).all()
        verification.deadline_at = utcnow() - timedelta(seconds=1)
        db.session.commit()

    started = time.monotonic()
    response = customer.get(url)

    assert response.status_code == 200 and time.monotonic() - started < 2
    assert verification_state(response.text) == "error"  # interrupted, with a retry


def test_a_process_holds_as_many_polls_as_its_threads_allow(app):
    # redis-py's pool stops at 100 connections unless told otherwise, and each held poll keeps
    # one: polls past the 100th were answered "not held" while threads were free for them.
    app.config.update(WEB_THREADS=200, POLL_HOLDS=150, POLL_HOLDS_PER_SESSION=150)
    with app.app_context(), ExitStack() as holding:
        for n in range(150):
            holding.enter_context(changes.listening(f"verification-{n}", 1, holder="one"))


def shown_check_url(page, account_id):
    """The URL a finished panel or list cell asks when its page is shown again."""
    pattern = rf'hx-get="(/accounts/{account_id}/verifications/latest[^"]+)"'
    return re.search(pattern, page).group(1).replace("&amp;", "&")


def test_a_finished_panel_shown_again_brings_what_another_tab_did_meanwhile(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    url = shown_check_url(customer.get(f"/accounts/{account_id}").text, account_id)
    assert customer.get(url).status_code == 204  # nothing changed since the page was made

    token = csrf_token(customer, f"/accounts/{account_id}")  # another tab: Verify again
    customer.post(f"/accounts/{account_id}/verifications", data={"csrf_token": token})
    work_off(app)
    answer = customer.get(url)

    with app.app_context():
        newest = db.session.get(AzureAccount, account_id).last_verification
    assert answer.status_code == 200 and f'data-verification-id="{newest.id}"' in answer.text
    assert customer.get(shown_check_url(answer.text, account_id)).status_code == 204


def test_a_finished_panel_shown_again_brings_an_edit_made_meanwhile(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    url = shown_check_url(customer.get(f"/accounts/{account_id}").text, account_id)

    with app.app_context():  # another tab replaced the secret: the result no longer speaks for it
        db.session.get(AzureAccount, account_id).set_client_secret("a-new-secret-value")
        db.session.commit()
    answer = customer.get(url)

    assert answer.status_code == 200 and "Your changes are not checked yet" in answer.text


def test_a_finished_panel_shown_again_brings_a_new_name_for_the_page(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    url = shown_check_url(customer.get(f"/accounts/{account_id}").text, account_id)

    with app.app_context():  # renamed in another tab
        db.session.get(AzureAccount, account_id).rename("Renamed meanwhile")
        db.session.commit()
    answer = customer.get(url)

    assert '<h1 id="account-name" hx-swap-oob="true">Renamed meanwhile</h1>' in answer.text


def test_a_second_tab_shows_what_the_first_did_when_it_is_shown_again(
    app, live_server, customer, page
):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/accounts/{account_id}")
    second = page.context.new_page()
    second.goto(f"{live_server}/accounts/{account_id}")
    first_check = second.locator("#verification").get_attribute("data-verification-id")

    page.bring_to_front()
    page.get_by_role("button", name="Verify again").click()
    expect(page.locator("#verification")).to_have_attribute("data-verification-state", "running")
    work_off(app)  # once the click's check is queued
    expect(page.locator("#verification")).to_have_attribute("data-verification-state", "passed")
    newest = page.locator("#verification").get_attribute("data-verification-id")
    assert newest != first_check
    second.bring_to_front()
    # Headless Chromium keeps every page visible: the event is what a tab switch sends.
    second.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    expect(second.locator("#verification")).to_have_attribute("data-verification-id", newest)


@pytest.mark.parametrize("width", [400, 1280])
def test_news_the_customer_did_not_click_for_keeps_their_place(
    app, live_server, customer, page, width
):
    app.config.update(RECHECK_DELAYS=(60,), POLL_HOLD=5)
    account_id = add_account(customer, **{**GOOD, "client_id": azure.APP_NO_ROLE})
    work_off(app)  # step 4 waits for the role
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/accounts/{account_id}")
    page.locator("#step-4 summary").first.click()  # "How to do it in Azure", to follow it
    copy = page.locator("#step-5").get_by_role("button", name=re.compile("Copy"))
    copy.focus()
    page.locator("#step-5").evaluate("step => window.scrollTo(0, step.offsetTop)")
    where = "document.getElementById('step-5').getBoundingClientRect().top"
    top = page.evaluate(where)

    record(app, account_id, Step.TENANT_ID, StepState.RUNNING)  # a re-check starts: news

    expect(page.locator('[data-step="tenant-id"]')).to_have_attribute("data-state", "running")
    expect(page.locator("#step-4 details").first).to_have_attribute("open", "")
    expect(copy).to_be_focused()
    assert abs(page.evaluate(where) - top) <= 1


def test_a_page_whose_account_was_deleted_elsewhere_offers_a_way_on(app, customer):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    url = shown_check_url(customer.get(f"/accounts/{account_id}").text, account_id)
    with app.app_context():  # deleted in another tab
        db.session.execute(db.delete(AzureAccount).where(AzureAccount.id == account_id))
        db.session.commit()

    answer = customer.get(url, headers={"HX-Request": "true"})

    assert answer.status_code == 404 and answer.headers["HX-Retarget"] == "#main"
    assert "Go to all your accounts" in answer.text


def finish_elsewhere(app, verification_id):
    """Finish a verification as passed from another session, as the worker does."""
    with app.app_context():
        verification = db.session.get(Verification, verification_id)
        for row in verification.steps:
            row.state = StepState.PASSED
        verification.finish()
        db.session.commit()


@pytest.fixture
def running_after_a_pass(app, customer):
    """An account that passed once, checked again now: (account id, the running check's id)."""
    account_id = add_account(customer, **GOOD)
    work_off(app)
    token = csrf_token(customer, f"/accounts/{account_id}")
    customer.post(f"/accounts/{account_id}/verifications", data={"csrf_token": token})
    with app.app_context():
        return account_id, db.session.get(AzureAccount, account_id).last_verification.id


@pytest.mark.reliability("A check finished while the list's cell is made", "its last pass shown")
def test_a_check_finished_while_the_cell_is_made_shows_its_last_pass(
    app, customer, monkeypatch, running_after_a_pass
):
    account_id, running = running_after_a_pass
    expire_if_stale = verifying.expire_if_stale

    def then_the_worker_finishes(verification):  # once the cell's check is loaded
        kept = expire_if_stale(verification)
        finish_elsewhere(app, running)
        return kept

    monkeypatch.setattr(verifying, "expire_if_stale", then_the_worker_finishes)
    url = f"/accounts/{account_id}/verifications/{running}?seen=x&part=status"
    answer = customer.get(url, headers={"HX-Request": "true"})

    assert answer.status_code == 200
    passed = re.search(r'id="last-passed-[^"]+"[^>]*>(.*?)</span>', answer.text, re.S).group(1)
    assert "Never" not in passed


@pytest.mark.reliability("An account deleted while its panel is made", "the panel, never a 500")
def test_an_account_deleted_while_its_panel_is_made_still_gets_an_answer(
    app, customer, monkeypatch
):
    account_id = add_account(customer, **GOOD)
    work_off(app)
    expire_if_stale = verifying.expire_if_stale

    def deleted_meanwhile(verification):  # by another tab, support or the API
        kept = expire_if_stale(verification)
        with db.engine.begin() as other:
            other.execute(db.delete(AzureAccount).where(AzureAccount.id == account_id))
        return kept

    monkeypatch.setattr(verifying, "expire_if_stale", deleted_meanwhile)
    url = f"/accounts/{account_id}/verifications/latest?seen=x"
    answer = customer.get(url, headers={"HX-Request": "true"})

    assert answer.status_code == 200 and 'id="verification"' in answer.text


def test_the_list_shown_again_after_an_account_was_deleted_elsewhere_loses_only_its_row(
    app, live_server, customer, page
):
    kept = add_account(customer, **GOOD)
    gone = add_account(customer, **{**GOOD, "name": "Gone soon"})
    work_off(app)
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/")
    expect(page.get_by_role("row", name=re.compile("Gone soon"))).to_be_visible()
    token = csrf_token(customer, f"/accounts/{gone}/delete")
    customer.post(f"/accounts/{gone}/delete", data={"csrf_token": token})  # in another tab

    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    expect(page.get_by_role("row", name=re.compile("Gone soon"))).to_have_count(0)
    expect(page.locator(f"#status-{kept}")).to_have_text(re.compile("Verified"))
    expect(page.get_by_role("alert")).to_have_count(0)


def test_the_list_shown_again_has_what_another_tab_did_meanwhile(app, live_server, customer, page):
    renamed = add_account(customer, **GOOD)
    work_off(app)
    page.goto(f"{live_server}/embed?token={link_token(app)}")
    page.goto(f"{live_server}/")
    with app.app_context():  # in another tab: a rename, and an account added
        db.session.get(AzureAccount, renamed).rename("Renamed meanwhile")
        db.session.commit()
    add_account(customer, **{**GOOD, "name": "Added meanwhile"})

    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    expect(page.get_by_role("row", name=re.compile("Renamed meanwhile"))).to_be_visible()
    added = page.get_by_role("row", name=re.compile("Added meanwhile"))
    expect(added).to_contain_text("Verifying…")  # and its check is followed live
    work_off(app)
    expect(added).to_contain_text("Verified")


@pytest.mark.reliability(
    "An account deleted while its stale check is ended", "404, or its row removed; never a 500"
)
@pytest.mark.parametrize(
    ("path", "status"),
    [("latest?seen=x", 404), ("{id}?seen=x", 404), ("{id}?seen=x&part=status", 200)],
)
def test_an_account_deleted_while_its_stale_check_is_ended_is_gone(
    app, customer, monkeypatch, path, status
):
    account_id = add_account(customer, **GOOD)  # never worked off: it goes stale
    with app.app_context():
        (verification,) = db.session.scalars(db.select(Verification)).all()
        verification.deadline_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        verification_id = verification.id
    expire_if_stale = verifying.expire_if_stale

    def deleted_meanwhile(verification):  # ending it commits: what was loaded is read again
        kept = expire_if_stale(verification)
        with db.engine.begin() as other:
            other.execute(db.delete(AzureAccount).where(AzureAccount.id == account_id))
        return kept

    monkeypatch.setattr(verifying, "expire_if_stale", deleted_meanwhile)
    url = f"/accounts/{account_id}/verifications/" + path.format(id=verification_id)
    answer = customer.get(url, headers={"HX-Request": "true"})

    assert answer.status_code == status
