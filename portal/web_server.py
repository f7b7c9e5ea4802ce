"""gunicorn's settings for the portal: `gunicorn -c python:portal.web_server wsgi:app`.

Threaded workers, so a slow client holds one thread and not a whole worker; every connection
times out a read or a write that stalls for `PORTAL_READ_TIMEOUT` seconds (default 10), so a
client that promises a body and never sends it frees its thread (the app answers 408); no
`Server` banner; and gunicorn's own answers (a malformed request line, a URI or headers too
long) carry the same security headers as the app's and echo nothing of the request.

A client that drips its headers a byte at a time is not bounded here (each read succeeds): in
production a buffering proxy in front bounds the whole request, as the README's deployment
section says.
"""

import gc
import html
import logging
import os
import signal
import socket
import struct

from gunicorn import util
from gunicorn.http import wsgi

from . import changes
from .config import web_threads
from .headers import security_headers

# Threads, not gevent: benchmarks/polls.py held 200 polls with a p99 from commit to answer of
# 11 ms on threads, at 20-43 KiB per held poll, where gevent woke few of them at all; and
# SQLite's lock waits would block a gevent worker's every request at once.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = web_threads(os.environ)
control_socket_disable = True
# Requests are short (verifications run in the worker): a stop need not wait 30 s for clients
# that stalled.
graceful_timeout = 10
accesslog = "-"
# Paths only: the entry link's query string carries a sign-in token.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

READ_TIMEOUT = int(os.environ.get("PORTAL_READ_TIMEOUT", "10"))


def when_ready(server):
    # Linux copies a listening socket's timeouts to each connection it accepts: one setting
    # bounds every read and write gunicorn and the app make, which no gunicorn setting does.
    timeout = struct.pack("ll", READ_TIMEOUT, 0)
    for listener in server.LISTENERS:
        listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeout)
        listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeout)
    logging.getLogger("gunicorn.error").addFilter(one_line_for_stalled_clients)


def post_worker_init(worker):
    # The app's and the SDKs' objects live as long as the worker: moved out of the collector's
    # sight, so that its full collections do not pause a held poll's answer.
    gc.freeze()

    # Asked to stop gracefully (SIGTERM), the worker waits for its requests to end: held polls
    # end at once instead (changes.stopping), and their pages ask the next worker.
    def release_polls_then_exit(signum, frame):
        changes.stopping.set()
        worker.handle_exit(signum, frame)

    signal.signal(signal.SIGTERM, release_polls_then_exit)


def one_line_for_stalled_clients(record):
    """gunicorn logs a timed-out read as an error with a traceback; it is a client's doing."""
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, BlockingIOError):
        record.msg = "Closed a connection that stalled for %s s"
        record.args = (READ_TIMEOUT,)
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.INFO, "INFO"
    return True


class Response(wsgi.Response):
    def default_headers(self):
        # gunicorn has no setting to leave out its banner (benoitc/gunicorn#825).
        return [line for line in super().default_headers() if not line.startswith("Server:")]


def write_error(sock, status_int, reason, mesg):
    """gunicorn's own answer to a request it cannot pass on: our headers, no echo of it.

    Same signature as `gunicorn.util.write_error`, which it replaces (there is no setting).
    """
    title = html.escape(reason)
    body = (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{title}</title>'
        f"<h1>{title}</h1><p>The request could not be read. Go back and try again.</p>"
    ).encode()
    headers = {
        **security_headers(
            frame_ancestors="'none'", production=os.environ.get("PORTAL_ENV") == "production"
        ),
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": str(len(body)),
        "Cache-Control": "no-store",
        "Connection": "close",
    }
    head = f"HTTP/1.1 {status_int} {reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    util.write_nonblock(sock, head.encode("latin-1") + b"\r\n" + body)


wsgi.Response = Response
util.write_error = write_error
