"""Settings: generated in development, required and checked in production."""

import base64
import json
import os
import subprocess
import sys

import pytest

from portal.config import ConfigError, load
from portal.verification.dry_run import Provisioning

from .conftest import TEST_ENVIRONMENT, make_app

PRODUCTION = {**TEST_ENVIRONMENT, "PORTAL_ENV": "production", "PORTAL_HOSTS": "portal.example"}


@pytest.mark.parametrize(
    "variable", ["SECRET_KEY", "PORTAL_EMBED_SECRET", "PORTAL_ENCRYPTION_KEYS"]
)
def test_production_refuses_to_start_without_a_secret(tmp_path, variable):
    environment = {key: value for key, value in PRODUCTION.items() if key != variable}

    with pytest.raises(ConfigError, match=f"^{variable} is not set"):
        load(environment, tmp_path)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 32 characters"),
        ("PORTAL_EMBED_SECRET", "short", "PORTAL_EMBED_SECRET must be at least 32 characters"),
        ("PORTAL_ENCRYPTION_KEYS", "not-base64!", "key 1 is not 32 bytes"),
        (
            "PORTAL_ENCRYPTION_KEYS",
            base64.urlsafe_b64encode(b"k" * 16).decode(),
            "key 1 is not 32 bytes",
        ),
        (
            "PORTAL_ENCRYPTION_KEYS",
            TEST_ENVIRONMENT["PORTAL_ENCRYPTION_KEYS"] + ",oops",
            "key 2 is not",
        ),
        ("PORTAL_FRAME_ANCESTORS", "app.coldsend.example", "is not an origin"),
        ("PORTAL_FRAME_ANCESTORS", "https://app.coldsend.example/path", "is not an origin"),
        ("PORTAL_RESOURCE_GROUP", "ends-with-a-dot.", "PORTAL_RESOURCE_GROUP must be"),
        ("PORTAL_RESOURCE_GROUP", "x" * 91, "PORTAL_RESOURCE_GROUP must be"),
        ("PORTAL_RESOURCE_LOCATION", "East US", "PORTAL_RESOURCE_LOCATION must be"),
        ("PORTAL_DATA_LOCATION", "Mars", "PORTAL_DATA_LOCATION must be one of Africa"),
        ("PORTAL_WEB_THREADS", "2", "PORTAL_WEB_THREADS must be a number of threads"),
        ("PORTAL_WEB_THREADS", "many", "PORTAL_WEB_THREADS must be a number of threads"),
    ],
)
def test_a_malformed_setting_is_named(tmp_path, variable, value, message):
    with pytest.raises(ConfigError, match=message):
        load({**PRODUCTION, variable: value}, tmp_path)


def test_production_wsgi_start_stops_with_one_line_naming_the_variable(tmp_path):
    environment = {
        "PATH": os.environ["PATH"],
        "PORTAL_ENV": "production",
        "SECRET_KEY": TEST_ENVIRONMENT["SECRET_KEY"],
    }

    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        env=environment,
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "ColdSend Azure Connect cannot start: PORTAL_EMBED_SECRET is not set "
        "(required when PORTAL_ENV=production)"
    ]


def test_development_generates_missing_secrets_once_and_keeps_them(tmp_path):
    first = load({}, tmp_path)
    second = load({}, tmp_path)

    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["ENCRYPTION_KEYS"] == second["ENCRYPTION_KEYS"]
    assert len(first["ENCRYPTION_KEYS"][0]) == 32
    stored = tmp_path / "dev-secrets.json"
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    assert set(json.loads(stored.read_text())) == {
        "SECRET_KEY",
        "PORTAL_EMBED_SECRET",
        "PORTAL_ENCRYPTION_KEYS",
    }


def test_development_uses_given_secrets_over_generated_ones(tmp_path):
    assert load(TEST_ENVIRONMENT, tmp_path)["SECRET_KEY"] == TEST_ENVIRONMENT["SECRET_KEY"]
    assert not (tmp_path / "dev-secrets.json").exists()


def test_encryption_keys_are_read_newest_first(tmp_path):
    newest, older = (base64.urlsafe_b64encode(bytes([n]) * 32).decode() for n in (1, 2))

    keys = load({**PRODUCTION, "PORTAL_ENCRYPTION_KEYS": f"{newest}, {older}"}, tmp_path)[
        "ENCRYPTION_KEYS"
    ]

    assert keys == [b"\x01" * 32, b"\x02" * 32]


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("", "sqlite:///{instance}/portal.db"),
        ("postgres://u:p@db/portal", "postgresql+psycopg://u:p@db/portal"),
        ("postgresql://u:p@db/portal", "postgresql+psycopg://u:p@db/portal"),
        ("postgresql+psycopg://u@db/p", "postgresql+psycopg://u@db/p"),
        ("sqlite:////var/lib/portal.db", "sqlite:////var/lib/portal.db"),
    ],
)
def test_database_url_defaults_to_sqlite_in_the_instance_folder(tmp_path, value, url):
    settings = load({**TEST_ENVIRONMENT, "DATABASE_URL": value}, tmp_path)

    assert settings["SQLALCHEMY_DATABASE_URI"] == url.format(instance=tmp_path)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {},
            "'self' http://localhost:* http://127.0.0.1:* https://localhost:* https://127.0.0.1:*",
        ),
        ({"PORTAL_ENV": "production", "PORTAL_HOSTS": "portal.example"}, "'none'"),
        (
            {
                "PORTAL_FRAME_ANCESTORS": "https://app.coldsend.example https://*.coldsend.example:8443"
            },
            "https://app.coldsend.example https://*.coldsend.example:8443",
        ),
    ],
)
def test_frame_ancestors_default_to_none_in_production(tmp_path, environment, expected):
    assert load({**TEST_ENVIRONMENT, **environment}, tmp_path)["FRAME_ANCESTORS"] == expected


def test_session_cookie_is_a_partitioned_host_cookie_in_production(tmp_path):
    production = load(PRODUCTION, tmp_path)

    assert production["SESSION_COOKIE_NAME"] == "__Host-portal-session"
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_SAMESITE"] == "None"
    assert production["SESSION_COOKIE_PARTITIONED"] is True
    assert load(TEST_ENVIRONMENT, tmp_path)["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(("cloud", "region"), [("public", "eastus"), ("usgov", "usgovvirginia")])
def test_what_coldsend_creates_defaults_to_a_region_of_the_configured_cloud(
    tmp_path, cloud, region
):
    settings = load({**TEST_ENVIRONMENT, "AZURE_CLOUD": cloud}, tmp_path)

    assert settings["PROVISIONING"] == Provisioning("coldsend-email", region, "United States")


def test_production_needs_the_names_it_answers_to(tmp_path):
    with pytest.raises(ConfigError, match="PORTAL_HOSTS is not set"):
        load({**PRODUCTION, "PORTAL_HOSTS": ""}, tmp_path)


@pytest.mark.reliability("a //-path with another Host", "400; no redirect off our host")
def test_a_request_for_another_host_is_refused_and_never_redirected_there(app, database_url):
    production = make_app(database_url, PORTAL_ENV="production", PORTAL_HOSTS="portal.example")
    client = production.test_client()

    evil = client.get("//accounts", headers={"Host": "evil.example"})
    ours = client.get("/embed", base_url="https://portal.example")

    assert evil.status_code == 400
    assert "evil.example" not in evil.headers.get("Location", "")
    assert ours.headers["Strict-Transport-Security"].startswith("max-age=63072000")
