"""What every page promises: strict headers, our own pinned htmx, error pages without a 500."""

import base64
import hashlib
import re

from .conftest import add_account


def test_pages_send_a_strict_content_security_policy(customer):
    response = customer.get("/accounts/new")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'self' http://localhost:*" in policy
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(customer):
    add_account(customer)
    for path in ["/", "/accounts/new"]:
        page = customer.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)
        assert "<style" not in page and " style=" not in page


def test_htmx_is_served_from_static_with_a_matching_integrity_hash(app, customer):
    page = customer.get("/accounts/new").text
    src, integrity = re.search(
        r'<script src="([^"]+htmx[^"]+)"\s+integrity="([^"]+)"', page
    ).groups()

    script = customer.get(src)

    assert script.status_code == 200
    digest = base64.b64encode(hashlib.sha384(script.data).digest()).decode()
    assert integrity == f"sha384-{digest}"
    assert b"2.0.11" in script.data


def test_an_unexpected_error_shows_a_calm_page_not_a_traceback(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("internal detail")

    response = app.test_client().get("/boom")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "internal detail" not in response.text
    assert "internal detail" in caplog.text


def test_an_oversized_form_gets_a_clear_page(customer):
    response = customer.post("/accounts/new", data={"name": "x" * 100_000})

    assert response.status_code == 413
    assert "That was too much to send" in response.text


def test_dev_link_prints_a_link_that_opens_the_workspace(app, runner):
    result = runner.invoke(
        args=["dev-link", "--workspace", "demo", "--base-url", "http://localhost:8000/"]
    )

    link = result.output.strip()
    assert link.startswith("http://localhost:8000/embed?token=")
    client = app.test_client()
    assert client.get(link.removeprefix("http://localhost:8000")).status_code == 200
    assert "demo" in client.get("/accounts/new").text


def test_dev_link_is_refused_in_production(app, runner):
    app.config["PORTAL_ENV"] = "production"

    result = runner.invoke(args=["dev-link"])

    assert result.exit_code == 1
    assert "for development" in result.output
