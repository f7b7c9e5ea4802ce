"""ColdSend Azure Connect: connect a customer's Azure subscription to ColdSend."""

import os
from datetime import timedelta

from flask import Flask, abort
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, config, database, errors, headers, limits, sessions, static_files, templating
from .config import Limits
from .crypto import KeyRing
from .extensions import csrf, db, migrate

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config=None):
    """Build the portal: settings from the environment, or `test_config` in their place."""
    app = Flask(
        __name__,
        instance_path=os.path.join(PROJECT_ROOT, "instance"),
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    app.config.from_mapping(
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        SESSION_COOKIE_SAMESITE="Lax",
        # Statement parameters stay out of logs and exception messages.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "hide_parameters": True},
        MAX_CONTENT_LENGTH=64 * 1024,
        # Tie CSRF tokens to the session, not to the hour: following the guide in Azure can
        # take longer than that, and an expired form would throw away what was typed.
        WTF_CSRF_TIME_LIMIT=None,
        # How long a verification may wait on Azure, and how it watches a provider register.
        VERIFY_LIMITS=Limits(),
        # The job's deadline leaves room for the checks and for watching a provider register.
        VERIFY_DEADLINE=300,
        PROVIDER_POLL_INTERVAL=5,
        PROVIDER_POLL_TIMEOUT=180,
        # Verifications one workspace may have running at once: its burst waits, not others'.
        VERIFICATIONS_IN_FLIGHT=5,
        # How often one workspace, address or API token may act (Flask-Limiter's notation).
        RATELIMIT_VERIFY_PER_WORKSPACE="10 per minute; 60 per hour",
        RATELIMIT_VERIFY_PER_ADDRESS="20 per minute; 120 per hour",
        RATELIMIT_ENTRY="30 per minute",
        RATELIMIT_SESSION_GUESSES="30 per minute",
        # Certificates one workspace may make: each costs an RSA key's generation (~30 ms).
        RATELIMIT_CERTIFICATES="10 per minute; 50 per day",
        RATELIMIT_API_PER_TOKEN="600 per minute",  # noqa: S106 (a limit, not a token)
        RATELIMIT_API_PER_ADDRESS="1200 per minute",
        # How long a write waits for another writer's lock before the page says "busy".
        DATABASE_BUSY_TIMEOUT=5.0,
        # How long a status poll with nothing new waits for a change before answering 204:
        # under the read timeouts of proxies in front (nginx: 60 s), and a vanished job's
        # verification is found stale at the next poll at the latest.
        POLL_HOLD=20,
        # Polls one session may have held at once in one process: a few tabs, not the lot.
        POLL_HOLDS_PER_SESSION=4,
        # An asynchronous dry run is waited for this long, then shown as Azure's delay.
        DRY_RUN_TIMEOUT=60,
        # Pauses between checks while only a new role is missing: about 30 minutes in all,
        # as long as Azure says a role assignment can take to apply.
        RECHECK_DELAYS=(15, 30, 60, 120, 240, 300, 300, 300, 300, 300),
        # Scheduled re-verifications started per minute at most: a day's share of 10,000
        # accounts is 7 a minute; the rest of the room catches up after an outage, slowly.
        REVERIFY_PER_MINUTE=50,
        # Pauses before each retry of a webhook the receiver did not take: ~22 minutes in all.
        WEBHOOK_RETRY_INTERVALS=(10, 30, 60, 300, 900),
    )
    if test_config is None:
        app.config.from_mapping(config.load(os.environ, app.instance_path))
    else:
        app.config.from_mapping(test_config)
    app.extensions["key_ring"] = KeyRing(app.config["ENCRYPTION_KEYS"])
    app.session_interface = sessions.StoredSessions()
    app.before_request(sessions.unreadable)  # before any other hook reads the session

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"))
    csrf.init_app(app)
    limits.init_app(app)
    static_files.register(app)
    if app.config.get("PROXIES"):
        # The client's address and scheme as the trusted proxies in front of us saw them.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["PROXIES"], x_proto=app.config["PROXIES"]
        )
    with app.app_context():
        database.configure(db.engine, app.config["DATABASE_BUSY_TIMEOUT"])

    from .views import accounts, api, dev, embed, guide, staff, verifications

    app.register_blueprint(embed.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(verifications.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(guide.bp)
    if app.config["PORTAL_ENV"] != "production":
        app.register_blueprint(dev.bp)
    app.url_value_preprocessor(refuse_unprintable_values)
    errors.register(app)
    headers.register(app)
    templating.register(app)
    cli.register(app)
    return app


def refuse_unprintable_values(endpoint, values):
    """Answer 404 for a URL value with a control character: none of our IDs has one, and
    PostgreSQL would refuse a NUL with an error instead of finding nothing."""
    if values and any(
        isinstance(value, str) and not value.isprintable() for value in values.values()
    ):
        abort(404)
