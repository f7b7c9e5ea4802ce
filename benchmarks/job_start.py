"""How long a forked verification job takes to send its first request to Azure.

RQ forks a work horse per job from worker.py's parent. This forks the same way from a parent
that has imported the app and the SDK (as worker.py does), runs the real job against the fake
Azure over HTTPS, and times fork → first HTTP request, without and then with worker.py's
prepare_to_fork(). Then it times job pickup: from enqueueing to the job's first line, with
worker.py running as scripts/run starts it.
Usage: .venv/bin/python benchmarks/job_start.py [--runs 9]
"""

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import requests.adapters  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Queue  # noqa: E402

from benchmarks.verification_latency import make_account, make_verification  # noqa: E402
from fake_azure.serve import running  # noqa: E402
from portal import jobs  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import AzureAccount  # noqa: E402
from portal.queue import QUEUE_NAME  # noqa: E402
from tests.conftest import worker_idle  # noqa: E402
from tests.servers import redis_server, wait_for  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake's request log
    directory = tempfile.mkdtemp(prefix="portal-benchmark-")
    with running(directory) as (url, ca_path, _), redis_server() as redis_url:
        os.environ.update(
            REDIS_URL=redis_url,  # each commit is announced there, as it runs
            REQUESTS_CA_BUNDLE=ca_path,
            DATABASE_URL=f"sqlite:///{directory}/portal.db",
            AZURE_AUTHORITY_HOST=url,
            AZURE_RESOURCE_MANAGER_URL=url,
        )
        import worker  # builds the app from the environment and imports the SDK, as it runs

        in_child(worker.app, create_account)
        plain = [first_request_ms(worker.app) for _ in range(runs)]
        worker.prepare_to_fork()
        prepared = [first_request_ms(worker.app) for _ in range(runs)]
        pickups = pickup_ms(redis_url, runs)
    print(f"job pickup, enqueue to the job's first line, median of {runs} (goal: under 50 ms)")
    print(f"with worker.py idle and waiting: {statistics.median(pickups):.0f} ms")
    print(f"fork to first Azure request, median of {runs} (goal: under 20 ms)")
    print(f"parent with the app and SDK imported: {statistics.median(plain):.0f} ms")
    print(f"and prepare_to_fork() (worker.py):    {statistics.median(prepared):.0f} ms")
    print(f"ratio: {statistics.median(plain) / statistics.median(prepared):.2f}x")


def pickup_ms(redis_url, runs):
    """Enqueue `time.time` (a job that says when it ran) `runs` times, one after another,
    for worker.py; return each one's milliseconds from enqueueing to its start."""
    process = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    connection = Redis.from_url(redis_url)
    wait_for(lambda: worker_idle(connection), "the worker", timeout=30)
    times = []
    for _ in range(runs):
        queued = time.time()
        job = Queue(QUEUE_NAME, connection=connection).enqueue(time.time, result_ttl=60)
        wait_for(lambda job=job: job.refresh() or job.is_finished, "the job", timeout=30)
        times.append((job.return_value() - queued) * 1000)
    process.terminate()
    process.wait(timeout=30)
    return times


def create_account():
    from flask_migrate import upgrade

    upgrade()
    make_account()


def first_request_ms(app):
    """Fork a job for a new verification, as RQ does; return ms from fork to its first request."""

    def new_verification():
        account = db.session.scalars(db.select(AzureAccount)).one()
        os.write(write, make_verification(account).id.encode())

    read, write = os.pipe()
    in_child(app, new_verification)
    verification_id = os.read(read, 100).decode()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        send = requests.adapters.HTTPAdapter.send

        def first_send(adapter, *args, **kwargs):
            if first_send.at is None:
                first_send.at = time.perf_counter()
                os.write(write, f"{(first_send.at - started) * 1000:.3f}".encode())
            return send(adapter, *args, **kwargs)

        first_send.at = None
        requests.adapters.HTTPAdapter.send = first_send
        with app.app_context():
            jobs.verify(verification_id)
        os._exit(0)
    os.waitpid(pid, 0)
    elapsed = float(os.read(read, 100).decode())
    os.close(read)
    os.close(write)
    return elapsed


def in_child(app, function):
    """Run `function` in a forked child, so the parent opens no database connection."""
    pid = os.fork()
    if pid == 0:
        with app.app_context():
            function()
        os._exit(0)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
