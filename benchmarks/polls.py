"""What status polls cost the web server, beside a bare Flask endpoint on the same gunicorn.

Starts Redis, a SQLite database holding one running verification per workspace session, and
gunicorn with portal.web_server's settings and the worker class asked for, serving the portal
and, under /bare, a Flask app whose one route answers "ok". Then:

1. Held polls: --pollers clients each hold a long-poll on their own running verification for
   --seconds, while a committer changes one verification every --every-ms and commits, as the
   worker does. Printed: the delay from each commit to its poll's answer (p50, p99; goal p99
   under 50 ms), how many answers held nothing (204 with Retry-After, waited out as the page
   does), and the workers' memory per held poll (RSS held minus RSS idle, divided).
2. Immediate answers: --clients keep-alive clients for --seconds each against /bare, the
   portal's floor (/floor: a session opened, nothing else), the panel of a finished
   verification (200), and a poll of it that has seen its final state (204).
   Printed: requests per second and the ratio to /bare (goal: at least 0.5), and the server
   CPU time per answer, whose ratio is the throughput ratio of a CPU-bound server: the
   client runs on the same machine, so requests per second move with its share of the CPU,
   and with the machine's noise, much more than CPU per answer does.

Each of the 2 workers gets threads enough to hold its share of the polls and a quarter more,
as gunicorn's processes do not share connections evenly (PORTAL_WEB_THREADS, of which polls
may take three quarters), unless --threads says otherwise.

Usage: .venv/bin/python benchmarks/polls.py [--worker-class gthread|gevent] [--threads N]
"""

import argparse
import asyncio
import base64
import math
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402
from werkzeug.middleware.dispatcher import DispatcherMiddleware  # noqa: E402

from benchmarks.verification_latency import make_account, make_verification  # noqa: E402
from portal import config, create_app, sessions  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Verification, utcnow  # noqa: E402
from portal.verification.steps import Step, StepState  # noqa: E402
from portal.views.embed import in_workspace_session  # noqa: E402
from tests.servers import free_port, redis_server, wait_for  # noqa: E402

WORKERS = 2


def served():
    """What gunicorn serves: the portal (wsgi.py), and a bare Flask app under /bare. The
    portal also answers /floor: 204 once its session is open, and nothing else; what any
    answer to an open session costs before the view does its own work."""
    from wsgi import app as portal

    portal.add_url_rule("/floor", "floor", in_workspace_session(lambda: ("", 204)))
    bare = Flask("bare")
    bare.add_url_rule("/", "ok", lambda: "ok")
    return DispatcherMiddleware(portal, {"/bare": bare})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "gevent"])
    parser.add_argument("--threads", type=int, help="per worker (gthread)")
    parser.add_argument("--pollers", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--every-ms", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="portal-benchmark-")
    with redis_server() as redis_url:
        environment = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{directory}/portal.db",
            "REDIS_URL": redis_url,
            **random_secrets(),
        }
        app = create_app(config.load(environment, directory))
        with app.app_context():
            upgrade()
            running = [make_poller(app) for _ in range(arguments.pollers)]
            finished = make_poller(app, finished=True)
        with serving(environment, arguments) as (port, workers):
            targets = {
                "bare Flask endpoint": ("/bare/", None),
                "floor: session open, 204": ("/floor", finished["token"]),
                "finished panel (200)": (finished["url"], finished["token"]),
                "nothing new, finished (204)": (finished["seen_url"], finished["token"]),
            }
            # Rounds of one second each, taken in turn: the machine's noise then falls on
            # every target alike, and the median of the rounds is printed.
            rounds = {name: [] for name in targets}
            for _ in range(arguments.rounds):
                for name, (path, token) in targets.items():
                    used = cpu_seconds(workers)
                    rate, slowest = asyncio.run(hammer(port, path, token, arguments))
                    per_answer = (cpu_seconds(workers) - used) / rate
                    rounds[name].append((rate, slowest, per_answer))
            throughput = {
                name: (
                    statistics.median(rate for rate, _, _ in taken),
                    max(slowest for _, slowest, _ in taken),
                    statistics.median(per_answer for _, _, per_answer in taken),
                )
                for name, taken in rounds.items()
            }
            idle = rss_kib(workers)
            delays, held, unheld = asyncio.run(held_polls(app, port, workers, running, arguments))
    report(arguments, delays, unheld, (held - idle) / arguments.pollers, throughput)


def random_secrets():
    """The portal's secrets, made up for one run."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PORTAL_EMBED_SECRET": secrets.token_urlsafe(32),
        "PORTAL_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }


def make_poller(app, finished=False):
    """A workspace, its session, an account and a verification; what a poll of it needs."""
    account = make_account(secrets.token_hex(8))
    # No job runs here: a deadline far enough away that no poll finds it stale.
    verification = make_verification(account, deadline_at=utcnow() + timedelta(hours=1))
    if finished:  # after the insert, whose column default would say it still runs
        for row in verification.steps:
            row.state = StepState.PASSED
        verification.finish()
        db.session.commit()
    session = sessions.PortalSession(
        {"workspace_id": account.workspace_id}, secrets.token_urlsafe(32)
    )
    sessions.store(session, utcnow() + timedelta(hours=1))
    url = f"/accounts/{account.id}/verifications/{verification.id}"
    return {
        "id": verification.id,
        "token": session.token,
        "url": url,
        "seen_url": f"{url}?seen={verification.progress_key}",
    }


class serving:
    """gunicorn with the portal's settings and the worker class asked for."""

    def __init__(self, environment, arguments):
        self.port = free_port()
        command = [
            os.path.join(ROOT, ".venv/bin/gunicorn"),
            "-c",
            "python:portal.web_server",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--worker-class",
            arguments.worker_class,
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
            "--worker-connections",
            "1000",
        ]
        # Held polls may take 3/4 of a worker's threads (portal/config.py), and the processes
        # accept unevenly (112 and 88 of 200 connections, seen): every poll held.
        share = arguments.pollers / WORKERS * 1.25
        threads = arguments.threads or math.ceil(share / 0.75) + 1
        environment = {**environment, "WEB_CONCURRENCY": str(WORKERS)}
        environment["PORTAL_WEB_THREADS"] = str(threads)
        arguments.threads = threads
        self.command, self.environment = command, environment

    def __enter__(self):
        self.process = subprocess.Popen(
            [*self.command, "benchmarks.polls:served()"],
            cwd=ROOT,
            env=self.environment,
        )
        wait_for(lambda: answers(self.port), "gunicorn", timeout=30)
        return self.port, workers_of(self.process.pid)

    def __exit__(self, *_):
        self.process.terminate()
        self.process.wait(timeout=30)


def answers(port):
    try:
        return asyncio.run(get(port, "/bare/"))[0] == 200
    except OSError:
        return False


def workers_of(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


def cpu_seconds(pids):
    """The CPU time the processes have used so far, user and system, in seconds."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return total


async def get(port, path, token=None, connection=None):
    """One GET over a keep-alive connection (opened if not given): status, body, connection,
    and its Retry-After in seconds (0 if none)."""
    reader, writer = connection or await asyncio.open_connection("127.0.0.1", port)
    session = f"X-Portal-Session: {token}\r\n" if token else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{session}\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"(?i)content-length: *(\d+)", head)
    body = await reader.readexactly(int(length.group(1))) if length else b""
    retry_after = re.search(rb"(?i)retry-after: *(\d+)", head)
    return status, body, (reader, writer), int(retry_after.group(1)) if retry_after else 0


async def held_polls(app, port, workers, pollers, arguments):
    """Hold a long-poll per verification while a committer changes them; return the delays
    from commit to answer (seconds), the workers' RSS (KiB) with every poll held, and how
    many answers held nothing."""
    committed, delays, unheld = {}, [], []
    stop = threading.Event()
    committer = threading.Thread(
        target=commit_changes, args=(app, pollers, arguments.every_ms / 1000, committed, stop)
    )
    deadline = time.monotonic() + arguments.seconds

    async def poll(poller):
        url, connection = poller["seen_url"], None
        while time.monotonic() < deadline:
            status, body, connection, retry_after = await get(
                port, url, poller["token"], connection
            )
            if retry_after:  # not held (the process holds all it may): asked again later
                unheld.append(poller["id"])
                await asyncio.sleep(retry_after)
            elif status == 200:
                delays.append(time.monotonic() - committed[poller["id"]])
                url = re.search(rb'hx-get="([^"]+)"', body).group(1).decode()
                url = url.replace("&amp;", "&")

    tasks = [asyncio.create_task(poll(poller)) for poller in pollers]
    await asyncio.sleep(2)  # every poll sent and held
    held = rss_kib(workers)
    committer.start()
    await asyncio.sleep(max(0, deadline - time.monotonic()))
    stop.set()
    committer.join()
    for task in tasks:
        task.cancel()
    return delays, held, len(unheld)


def commit_changes(app, pollers, every, committed, stop):
    """Every `every` seconds, change one verification's first step, round robin, and commit,
    as the worker records a step. The clock starts when the commit is done, before it is
    announced (a listener ahead of portal.changes'), so a slow disk does not count."""
    changing = {}

    def stamp(_session):
        if "id" in changing:
            committed[changing.pop("id")] = time.monotonic()

    event.listen(db.session, "after_commit", stamp, insert=True)
    with app.app_context():
        turn = 0
        while not stop.wait(every):
            poller = pollers[turn % len(pollers)]
            row = db.session.get(Verification, poller["id"]).step(Step.TENANT_ID)
            row.state = StepState.RUNNING if row.state is StepState.PENDING else StepState.PENDING
            changing["id"] = poller["id"]
            db.session.commit()
            turn += 1


async def hammer(port, path, token, arguments, seconds=1):
    """Requests per second that --clients keep-alive clients get from `path`, and the
    slowest answer's time in seconds."""
    times = []
    deadline = time.monotonic() + seconds

    async def client():
        connection = None
        while time.monotonic() < deadline:
            started = time.monotonic()
            _, _, connection, _ = await get(port, path, token, connection)
            times.append(time.monotonic() - started)

    await asyncio.gather(*(client() for _ in range(arguments.clients)))
    return len(times) / seconds, max(times)


def report(arguments, delays, unheld, per_poll_kib, throughput):
    threaded = arguments.worker_class == "gthread"
    print(f"gunicorn {arguments.worker_class}", end="")
    print(f", {arguments.threads} threads per worker" if threaded else "")
    if delays:
        p50 = statistics.median(delays) * 1000
        p99 = statistics.quantiles(delays, n=100)[98] * 1000
        print(
            f"{arguments.pollers} held polls, {len(delays)} answers: commit to answer "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal: p99 under 50 ms)"
        )
    else:
        print(f"{arguments.pollers} held polls: no answer at all")
    print(
        f"answers that held nothing (204 with Retry-After: no hold left in that process; the "
        f"page, as this client, asks again after it): {unheld}"
    )
    print(f"memory per held poll: {per_poll_kib:.0f} KiB")
    bare, _, bare_cpu = throughput["bare Flask endpoint"]
    for name, (rate, slowest, cpu) in throughput.items():
        print(
            f"{name:30} {rate:6.0f} requests/s  {rate / bare:.2f} x bare (goal: 0.5); "
            f"server CPU {cpu * 1e6:4.0f} us per answer, {bare_cpu / cpu:.2f} x bare's rate; "
            f"slowest {slowest * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
