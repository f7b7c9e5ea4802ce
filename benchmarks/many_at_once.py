"""100 verifications started at once, with W = 1, 2 and 4 workers (worker.py, as scripts/run
starts it), against the fake Azure adding --latency-ms to every answer; one in ten meets
Azure's throttling (429 with Retry-After, once per path) and must still pass, only later.

Printed for each W: the total time beside the ideal ceil(100 / W) x one verification alone,
each verification's time from its start to its end (p50, p95), how many passed, and the
machine's CPU use over the run (a job should wait on Azure, not burn CPU).

Usage: .venv/bin/python benchmarks/many_at_once.py [--verifications 100] [--workers 1 2 4]
"""

import argparse
import logging
import math
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from flask_migrate import upgrade  # noqa: E402
from redis import Redis  # noqa: E402

from benchmarks.polls import random_secrets  # noqa: E402
from benchmarks.verification_latency import make_account, make_verification  # noqa: E402
from fake_azure import scenarios as azure  # noqa: E402
from fake_azure.serve import running  # noqa: E402
from portal import config, create_app, jobs, queue  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Verification  # noqa: E402
from tests.servers import redis_server, wait_for  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--verifications", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency-ms", type=float, default=100)
    arguments = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake's request log
    directory = tempfile.mkdtemp(prefix="portal-benchmark-")
    with ExitStack() as stack:
        url, ca_path, _ = stack.enter_context(
            running(directory, latency=arguments.latency_ms / 1000)
        )
        environment = {
            **os.environ,
            **random_secrets(),
            "REQUESTS_CA_BUNDLE": ca_path,
            "AZURE_AUTHORITY_HOST": url,
            "AZURE_RESOURCE_MANAGER_URL": url,
            "DATABASE_URL": f"sqlite:///{directory}/portal.db",
            "REDIS_URL": stack.enter_context(redis_server()),
        }
        app = create_app(config.load(environment, directory))
        with app.app_context():
            upgrade()
            accounts = [
                make_account(
                    f"workspace-{n}", azure.SUB_THROTTLED if n % 10 == 9 else azure.SUB_READY
                )
                for n in range(arguments.verifications)
            ]
            alone, _ = run(app, environment, accounts[:1], workers=1)
            print(
                f"{arguments.verifications} verifications at once, Azure answering after "
                f"{arguments.latency_ms:.0f} ms; one alone: {alone:.2f} s"
            )
            for workers in arguments.workers:
                cpu = cpu_times()
                total, times = run(app, environment, accounts, workers)
                busy = cpu_use(cpu)
                ideal = math.ceil(len(accounts) / workers) * alone
                print(
                    f"W = {workers}: total {total:.1f} s, {total / ideal:.2f} x ideal "
                    f"({ideal:.1f} s); each p50 {statistics.median(times):.2f} s, "
                    f"p95 {statistics.quantiles(times, n=20)[18]:.2f} s; "
                    f"passed {passed(accounts)} of {len(accounts)}; CPU {busy:.0%}"
                )


def run(app, environment, accounts, workers):
    """Start a verification of every account at once, with `workers` workers running; return
    the seconds from the first start to the last end, and each one's from its start to its
    end."""
    with ExitStack() as stack:
        for _ in range(workers):
            stack.enter_context(worker(environment))
        connection = Redis.from_url(environment["REDIS_URL"])
        wait_for(lambda: len(connection.keys("rq:worker:*")) >= workers, "the workers", 60)
        verifications = [make_verification(account) for account in accounts]
        for verification in verifications:
            queue.enqueue(jobs.verify, verification.id)
        wait_for(lambda: all_done(verifications), "the verifications", timeout=600)
    done = db.session.scalars(
        db.select(Verification).filter(Verification.id.in_([v.id for v in verifications]))
    ).all()
    total = max(v.finished_at for v in done) - min(v.created_at for v in done)
    return total.total_seconds(), [(v.finished_at - v.created_at).total_seconds() for v in done]


class worker:
    """worker.py in a process of its own, stopped at the end."""

    def __init__(self, environment):
        self.environment = environment

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "worker.py"],
            cwd=ROOT,
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def __exit__(self, *_):
        self.process.terminate()
        self.process.wait(timeout=30)


def all_done(verifications):
    db.session.rollback()  # a fresh read
    ids = [verification.id for verification in verifications]
    running = db.session.scalar(
        db.select(db.func.count(Verification.id)).filter(
            Verification.id.in_(ids), Verification.running.is_(True)
        )
    )
    return running == 0


def passed(accounts):
    return sum(account.last_verification.state.value == "passed" for account in accounts)


def cpu_times():
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]  # all, idle + iowait


def cpu_use(before):
    total, idle = cpu_times()
    return 1 - (idle - before[1]) / (total - before[0])


if __name__ == "__main__":
    main()
