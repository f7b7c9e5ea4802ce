"""The RQ worker that the run command starts: it boots, registers with Redis and stops cleanly."""

import signal

from redis import Redis
from rq import Worker

from portal.queue import QUEUE_NAME


def test_worker_listens_on_the_verification_queue_and_stops_on_sigterm(worker, redis_url):
    connection = Redis.from_url(redis_url)
    (registered,) = Worker.all(connection=connection)
    assert [queue.name for queue in registered.queues] == [QUEUE_NAME]

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=20) == 0
    assert Worker.all(connection=connection) == []
