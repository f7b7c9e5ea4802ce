"""Fixtures: the app on SQLite or PostgreSQL (PORTAL_TEST_DATABASE), a real Redis, customers."""

import base64
import os
import re
import subprocess
import sys
import threading
from contextlib import contextmanager, nullcontext

import pytest
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from redis import Redis
from rq import SimpleWorker, Worker
from werkzeug.serving import make_server

from fake_azure.serve import running as fake_azure_running
from portal import config, create_app, signed_links
from portal.config import Limits
from portal.extensions import db
from portal.queue import QUEUES

from .servers import postgresql_server, redis_server, wait_for

pytest_plugins = ["tests.reliability"]

ENCRYPTION_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
TEST_ENVIRONMENT = {
    "SECRET_KEY": "test-session-key-0123456789abcdef0123456789",
    "PORTAL_EMBED_SECRET": "test-embed-secret-0123456789abcdef0123456789",
    "PORTAL_ENCRYPTION_KEYS": ENCRYPTION_KEY,
}
# A value shaped like a real client secret (40 characters, as Azure makes them).
CLIENT_SECRET = "Xq8Q~u2Yf.TestSecret-Value_abcdefghijkLMN"
VALID_ACCOUNT = {
    "name": "Production",
    "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "client_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    "client_secret": CLIENT_SECRET,
    "subscription_id": "9a3c5e7f-1b2d-4e6f-8a0b-c1d2e3f4a5b6",
}


@pytest.fixture(scope="session")
def redis_url():
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def fake_azure(tmp_path_factory):
    """The fake Entra ID and ARM over HTTPS; the real SDKs trust its CA through requests."""
    with fake_azure_running(tmp_path_factory.mktemp("fake-azure")) as (url, ca_path, fake):
        previous = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = ca_path
        fake.url, fake.ca_path = url, ca_path
        yield fake
        if previous is None:
            del os.environ["REQUESTS_CA_BUNDLE"]
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = previous


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if os.environ.get("PORTAL_TEST_DATABASE", "sqlite") == "postgresql":
        server = postgresql_server()
    else:
        server = nullcontext(f"sqlite:///{tmp_path_factory.mktemp('db')}/portal.db")
    with server as url:
        migrated = make_app(url)
        with migrated.app_context():
            upgrade()
            db.engine.dispose()
        yield url


def make_app(database_url, redis_url="redis://127.0.0.1:1/0", **environment):
    """Build the app through the real settings loader, as it starts in production."""
    settings = config.load(
        {**TEST_ENVIRONMENT, "DATABASE_URL": database_url, "REDIS_URL": redis_url, **environment},
        instance_path="/nonexistent",
    )
    return create_app({**settings, "TESTING": True})


# Short enough to keep the suite fast, long enough for the fake's answers.
TEST_LIMITS = Limits(
    connect_timeout=2,
    read_timeout=1,
    retries=1,
    backoff_max=0.1,
    retry_after_max=2,
    poll_interval=0.05,
)


@pytest.fixture
def app(database_url, redis_url, fake_azure):
    app = make_app(
        database_url,
        redis_url,
        AZURE_AUTHORITY_HOST=fake_azure.url,
        AZURE_RESOURCE_MANAGER_URL=fake_azure.url,
    )
    # No re-checks unless a test asks for them: a missing role then fails at once.
    app.config.update(VERIFY_LIMITS=TEST_LIMITS, PROVIDER_POLL_INTERVAL=0.05, RECHECK_DELAYS=())
    # A poll with nothing new answers 204 at once, unless a test of holding it sets a hold.
    app.config.update(POLL_HOLD=0)
    # Rate limits out of the way, unless a test of them sets its own (counters are in Redis).
    app.config.update({f"RATELIMIT_{name}": "10000 per minute" for name in config.RATE_LIMITS})
    fake_azure.reset()
    Redis.from_url(redis_url).flushdb()
    yield app
    with app.app_context():
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def work_off(app):
    """Run every queued job to the end in this process, as the worker would."""
    connection = Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():
        SimpleWorker(QUEUES, connection=connection).work(burst=True)


def link_token(app, workspace="acme", name="Acme Ltd", **kwargs):
    return signed_links.mint(app.config["EMBED_SECRET"], workspace, name, **kwargs)


def enter(client, workspace="acme", name="Acme Ltd"):
    """Arrive through a fresh signed link, as a customer coming from the ColdSend app."""
    response = client.get(f"/embed?token={link_token(client.application, workspace, name)}")
    assert response.status_code == 200, response.text
    return client


API_TOKEN = "coldsend-backend-token-0123456789abcdef0123"
API_AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def api(app):
    """A client of the API, holding the token of the ColdSend back end (API_AUTH)."""
    app.config["API_TOKENS"] = {"coldsend": API_TOKEN, "support": "s" * 40}
    return app.test_client()


@pytest.fixture
def customer(app):
    return enter(app.test_client())


@pytest.fixture
def other_customer(app):
    return enter(app.test_client(), workspace="globex", name="Globex")


def csrf_token(client, url):
    page = client.get(url).text
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def submit(client, url, data):
    """Post a form the way a browser does: with the CSRF token from the page that shows it."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def add_account(client, **changes):
    """Save an account through the form; return its id."""
    response = submit(client, "/accounts/new", {**VALID_ACCOUNT, **changes})
    assert response.status_code == 303, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


# Flags for Debian's Chromium as root without a network: no sandbox, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium, driven by Playwright (never a downloaded browser)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def worker_idle(connection):
    """Tell whether a worker is fully set up (signal handlers, scheduler) and waiting for jobs."""
    return any(worker.get_state() == "idle" for worker in Worker.all(connection=connection))


@pytest.fixture
def worker(app, database_url, redis_url, fake_azure):
    """Run worker.py as the run command does, against this test's database, Redis and Azure."""
    with running_worker(database_url, redis_url, fake_azure) as process:
        yield process


@contextmanager
def running_worker(database_url, redis_url, fake_azure):
    """Run worker.py against this database, Redis and fake Azure until the block ends."""
    environment = {
        **os.environ,
        **TEST_ENVIRONMENT,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "AZURE_AUTHORITY_HOST": fake_azure.url,
        "AZURE_RESOURCE_MANAGER_URL": fake_azure.url,
    }
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    process = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=root,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    connection = Redis.from_url(redis_url)
    wait_for(lambda: worker_idle(connection), "the worker")
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def live_server(app):
    """Serve the app over real HTTP on a loopback port; yield its base URL."""
    # Browsers ask again at once after a 204: polls are held, as in production.
    app.config["POLL_HOLD"] = 5
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
