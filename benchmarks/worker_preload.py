"""What preloading the Azure SDK in the worker's parent saves each forked job.

Runs the same burst of jobs twice on a real redis-server: once with a worker whose parent has
not imported the SDK (as a plain `rq worker` would), once with the SDK imported before forking
(as worker.py does). Each job imports what a verification imports and nothing else.
Usage: .venv/bin/python benchmarks/worker_preload.py [--jobs 20]
"""

import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from redis import Redis  # noqa: E402
from rq import Queue  # noqa: E402

from tests.servers import redis_server  # noqa: E402

WORKER = """
import sys, time
from redis import Redis
from rq import Worker
if sys.argv[2] == "preload":
    import portal.jobs  # noqa: F401
started = time.perf_counter()
Worker(["bench"], connection=Redis.from_url(sys.argv[1])).work(burst=True, logging_level="WARNING")
print(time.perf_counter() - started)
"""


def import_what_a_verification_imports():
    """The job: import the modules portal.jobs needs (a no-op when the parent has them)."""
    import portal.jobs  # noqa: F401


def run(url, mode, jobs):
    queue = Queue("bench", connection=Redis.from_url(url))
    for _ in range(jobs):
        queue.enqueue("benchmarks.worker_preload.import_what_a_verification_imports", result_ttl=0)
    with tempfile.TemporaryDirectory() as directory:
        script = os.path.join(directory, "worker.py")
        with open(script, "w") as file:
            file.write(WORKER)
        output = subprocess.run(
            [sys.executable, script, url, mode],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": ROOT},
            capture_output=True,
            text=True,
            check=True,
        )
    return float(output.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20)
    jobs = parser.parse_args().jobs
    with redis_server() as url:
        cold = run(url, "cold", jobs)
        warm = run(url, "preload", jobs)
    print(f"{jobs} jobs, each forked from the worker")
    print(f"parent without the SDK: {cold * 1000 / jobs:.0f} ms per job")
    print(f"parent with the SDK preloaded (worker.py): {warm * 1000 / jobs:.0f} ms per job")
    print(f"ratio: {cold / warm:.1f}x")


if __name__ == "__main__":
    main()
