"""The portal as `scripts/run` runs it, for benchmarks that measure it from outside.

gunicorn with portal.web_server's settings and worker.py, on a throwaway Redis and SQLite
database, against the fake Azure over HTTPS; and Debian's headless Chromium.
"""

import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager

from playwright.sync_api import sync_playwright
from redis import Redis

from benchmarks.polls import random_secrets
from fake_azure.serve import running
from portal import PROJECT_ROOT, signed_links
from tests.conftest import CHROMIUM_ARGS
from tests.servers import free_port, redis_server, wait_for


@contextmanager
def running_portal():
    """Yield (base URL, the environment it runs with, the fake Azure: set its `latency`)."""
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
            **random_secrets(),
            "PORTAL_LIMIT_VERIFY_PER_WORKSPACE": "1000 per minute",
            "PORTAL_LIMIT_VERIFY_PER_ADDRESS": "1000 per minute",
        }
        subprocess.run(
            [f"{PROJECT_ROOT}/.venv/bin/flask", "--app", "wsgi", "db", "upgrade"],
            cwd=PROJECT_ROOT,
            env=environment,
            check=True,
            capture_output=True,
        )
        base = stack.enter_context(web_and_worker(environment, redis_url))
        yield base, environment, fake


@contextmanager
def web_and_worker(environment, redis_url):
    """The web server and the worker, as scripts/run starts them; yield the base URL."""
    port = free_port()
    quiet = {"cwd": PROJECT_ROOT, "env": environment, "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen(
            [
                f"{PROJECT_ROOT}/.venv/bin/gunicorn",
                "-c",
                "python:portal.web_server",
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "/dev/null",
                "wsgi:app",
            ],
            **quiet,
        ),
        subprocess.Popen([sys.executable, "worker.py"], stdout=subprocess.DEVNULL, **quiet),
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


def entry_link(base, environment):
    """A fresh signed link into a new workspace."""
    token = signed_links.mint(environment["PORTAL_EMBED_SECRET"], secrets.token_hex(4), "Bench")
    return f"{base}/embed?token={token}"
