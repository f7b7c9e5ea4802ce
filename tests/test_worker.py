"""The RQ worker that the run command starts: it boots, registers with Redis and stops cleanly."""

import os
import signal
import subprocess
import sys

from redis import Redis
from rq import Worker

from portal.queue import QUEUE_NAME

from .conftest import TEST_ENVIRONMENT, worker_idle
from .servers import wait_for

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_worker_listens_on_the_verification_queue_and_stops_on_sigterm(redis_url, database_url):
    environment = {
        **os.environ,
        **TEST_ENVIRONMENT,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
    }
    worker = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    connection = Redis.from_url(redis_url)
    try:
        wait_for(lambda: worker_idle(connection), "the worker")
        assert [queue.name for queue in Worker.all(connection=connection)[0].queues] == [QUEUE_NAME]
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)

    assert worker.returncode == 0, output
    assert Worker.all(connection=connection) == []
