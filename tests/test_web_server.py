"""The web server as `scripts/run` starts it (portal/web_server.py), spoken to over raw sockets."""

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from .conftest import TEST_ENVIRONMENT, add_account
from .servers import free_port, wait_for
from .test_verification import GOOD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READ_TIMEOUT = 1


@pytest.fixture
def web_server(database_url, redis_url, tmp_path):
    """gunicorn serving the portal on a loopback port: yield (port, path of its log)."""
    with serving(database_url, redis_url, tmp_path) as (port, log, _):
        yield port, log


@contextmanager
def serving(database_url, redis_url, tmp_path, **environment):
    """Run gunicorn as scripts/run does, with `environment` added: (port, log, process)."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    environment = {
        **os.environ,
        **TEST_ENVIRONMENT,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PORTAL_READ_TIMEOUT": str(READ_TIMEOUT),
        **environment,
    }
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:portal.web_server"]
            + ["--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wait_for(lambda: _answers(port), "gunicorn")
    try:
        yield port, log, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def exchange(port, request, timeout=10):
    """Send raw bytes, read until the server closes or goes quiet: (answer, seconds)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or not _complete(answer):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer.decode("latin-1"), time.monotonic() - started


def _complete(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def headers_of(answer):
    head = answer.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    return {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in head)}


def slow_client(port, request):
    """A connection that sends `request` and then nothing more."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(request)
    return connection


PROMISED_BODY = (
    b"POST /accounts/new HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nname=a"
)
UNFINISHED_HEADERS = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
PAGE = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


@pytest.mark.reliability(
    "clients that promise a body or headers and never send them", "others served; 408 at 1 s"
)
def test_slow_clients_hold_neither_the_portal_nor_their_threads_for_long(web_server):
    port, log = web_server
    body_stallers = [slow_client(port, PROMISED_BODY) for _ in range(4)]
    header_stallers = [slow_client(port, UNFINISHED_HEADERS) for _ in range(2)]

    answer, seconds = exchange(port, PAGE)
    assert answer.startswith("HTTP/1.1 401") and seconds < 0.5

    for connection in body_stallers:
        started = time.monotonic()
        answer = connection.recv(65536).decode("latin-1")
        assert answer.startswith("HTTP/1.1 408"), answer[:80]
        assert "That took too long to arrive" in answer or not _complete(answer.encode())
        assert time.monotonic() - started < READ_TIMEOUT + 2
        connection.close()
    for connection in header_stallers:
        assert connection.recv(65536) == b""  # closed after the read timeout, nothing sent
        connection.close()
    text = log.read_text()
    assert "Closed a connection that stalled for 1 s" in text
    assert "Traceback" not in text


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 401),
        (b"GARBAGE <script>alert(1)</script>\r\n\r\n", 400),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
    ids=["page", "malformed request line", "URI too long", "header too large"],
)
def test_every_answer_carries_our_headers_and_no_server_banner(web_server, request_bytes, status):
    port, _ = web_server
    answer, _ = exchange(port, request_bytes)
    assert answer.startswith(f"HTTP/1.1 {status} ")
    headers = headers_of(answer)
    assert "server" not in headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert "<script>" not in answer  # gunicorn's own page echoed the request line


def held_poll(app, customer):
    """The raw request of a status poll with nothing new, as the account page sends it."""
    account_id = add_account(customer, **GOOD)
    page = customer.get(f"/accounts/{account_id}").text
    url = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    token = re.search(r'"X-Portal-Session": "([^"]+)"', page).group(1)
    return f"GET {url} HTTP/1.1\r\nHost: localhost\r\nX-Portal-Session: {token}\r\n\r\n".encode()


def held_for(port, request, seconds):
    """Whether the server is still holding `request` after `seconds` without an answer."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(request)
        connection.settimeout(seconds)
        try:
            return not connection.recv(65536)
        except TimeoutError:
            return True


@pytest.mark.reliability("Polls sent and abandoned at once", "their threads freed within 1 s")
def test_polls_whose_clients_hung_up_let_go_of_their_threads(
    app, customer, database_url, redis_url, tmp_path
):
    poll = held_poll(app, customer)
    # One worker of 4 threads holds at most 3 polls.
    with serving(
        database_url, redis_url, tmp_path, WEB_CONCURRENCY="1", PORTAL_WEB_THREADS="4"
    ) as (
        port,
        _,
        _,
    ):
        for _ in range(3):  # sent and abandoned at once
            with socket.create_connection(("127.0.0.1", port)) as connection:
                connection.sendall(poll)
        time.sleep(2)

        assert held_for(port, poll, 1)  # held again, not refused with Retry-After


@pytest.mark.reliability("gunicorn stopped while polls are held", "polls answered, stop within 4 s")
def test_a_stop_ends_held_polls_at_once_and_the_worker_soon(
    app, customer, database_url, redis_url, tmp_path
):
    poll = held_poll(app, customer)
    with serving(database_url, redis_url, tmp_path) as (port, _, process):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(poll)
            time.sleep(0.5)
            started = time.monotonic()
            process.terminate()
            answer = connection.recv(65536)
            assert answer.startswith(b"HTTP/1.1 204")
        process.wait(timeout=8)

        assert time.monotonic() - started < 4
