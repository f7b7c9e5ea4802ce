"""From the click on Verify to the final state on the customer's screen, in Chromium.

Runs the portal as `scripts/run` does (gunicorn with portal.web_server, worker.py), on Redis
and SQLite, against the fake Azure over HTTPS with --latency-ms added to every answer (D).
Headless Chromium enters through a signed link, fills the guide's form and clicks Verify, then
clicks "Verify again" --runs times; each time is taken from the click to the moment the panel
shows "passed". Goal (issue 10): at most (3 round trips + 1) x D + 0.3 s.

Usage: .venv/bin/python benchmarks/click_to_result.py [--latency-ms 0 100] [--runs 9]
"""

import argparse
import base64
import logging
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from playwright.sync_api import sync_playwright  # noqa: E402
from redis import Redis  # noqa: E402

from fake_azure import scenarios as azure  # noqa: E402
from fake_azure.serve import running  # noqa: E402
from portal import signed_links  # noqa: E402
from tests.conftest import CHROMIUM_ARGS  # noqa: E402
from tests.servers import free_port, redis_server, wait_for  # noqa: E402

ROUND_TRIPS = 3  # OpenID discovery, the token, then the ARM reads and the dry run at once
VALUES = {
    "Account Name": "Production",
    "Tenant ID": azure.TENANT,
    "Client ID": azure.APP_CONTRIBUTOR,
    "Client Secret": azure.SECRET,
    "Subscription ID": azure.SUB_READY,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0, 100])
    parser.add_argument("--runs", type=int, default=9)
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="portal-benchmark-")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake's request log
    with ExitStack() as stack:
        url, ca_path, fake = stack.enter_context(running(directory))
        redis_url = stack.enter_context(redis_server())
        environment = {
            **os.environ,
            "REQUESTS_CA_BUNDLE": ca_path,
            "AZURE_AUTHORITY_HOST": url,
            "AZURE_RESOURCE_MANAGER_URL": url,
            "DATABASE_URL": f"sqlite:///{directory}/portal.db",
            "REDIS_URL": redis_url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "PORTAL_EMBED_SECRET": secrets.token_urlsafe(32),
            "PORTAL_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "PORTAL_LIMIT_VERIFY_PER_WORKSPACE": "1000 per minute",
            "PORTAL_LIMIT_VERIFY_PER_ADDRESS": "1000 per minute",
        }
        subprocess.run(
            [f"{ROOT}/.venv/bin/flask", "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=environment,
            check=True,
            capture_output=True,
        )
        base = stack.enter_context(portal(environment, redis_url))
        browser = stack.enter_context(chromium())
        print(f"click on Verify to the result on screen, median of {arguments.runs} runs")
        for latency_ms in arguments.latency_ms:
            fake.latency = latency_ms / 1000
            times = clicks_to_result(browser, base, environment, arguments.runs)
            goal = (ROUND_TRIPS + 1) * latency_ms / 1000 + 0.3
            median = statistics.median(times)
            print(
                f"D = {latency_ms:.0f} ms: {median * 1000:.0f} ms "
                f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); "
                f"goal {goal * 1000:.0f} ms: {'met' if median <= goal else 'not met'}"
            )


@contextmanager
def portal(environment, redis_url):
    """The web server and the worker, as scripts/run starts them; yield the base URL."""
    port = free_port()
    processes = [
        subprocess.Popen(
            [
                f"{ROOT}/.venv/bin/gunicorn",
                "-c",
                "python:portal.web_server",
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "/dev/null",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=environment,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [sys.executable, "worker.py"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    connection = Redis.from_url(redis_url)
    wait_for(lambda: connection.keys("rq:worker:*"), "the worker", timeout=30)
    wait_for(lambda: reachable(port), "gunicorn", timeout=30)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def reachable(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def clicks_to_result(browser, base, environment, runs):
    """Connect an account through the form, then Verify again `runs` times; return each
    click's time to "passed" on screen, in seconds (the form's first, then the others)."""
    context = browser.new_context()
    page = context.new_page()
    link = signed_links.mint(environment["PORTAL_EMBED_SECRET"], secrets.token_hex(4), "Bench")
    page.goto(f"{base}/embed?token={link}")
    for label, value in VALUES.items():
        page.get_by_label(label, exact=True).fill(value)
    times = [timed_click(page, page.get_by_role("button", name="Verify", exact=True))]
    for _ in range(runs - 1):
        times.append(timed_click(page, page.get_by_role("button", name="Verify again")))
    context.close()
    return times


def timed_click(page, button):
    """Click; return the seconds until a new verification shows "passed"."""
    button.wait_for()
    before = page.evaluate("document.getElementById('verification')?.dataset.verificationId")
    started = time.perf_counter()
    button.click()
    page.wait_for_function(
        """before => {
            const panel = document.getElementById("verification");
            return panel && panel.dataset.verificationId !== before
                && panel.dataset.verificationState === "passed";
        }""",
        arg=before,
        polling="raf",
        timeout=20_000,
    )
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
