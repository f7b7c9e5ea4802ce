"""The RQ queue that verification jobs go through; jobs carry a verification id and no secret."""

import threading
from datetime import timedelta

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError  # noqa: F401 (what callers catch when Redis is down)
from rq import Callback, Queue, Retry

QUEUE_NAME = "verifications"
# Webhooks wait in their own queue, after verifications: a receiver that is slow or down
# never delays a customer's check.
WEBHOOK_QUEUE_NAME = "webhooks"
QUEUES = (QUEUE_NAME, WEBHOOK_QUEUE_NAME)


_making = threading.Lock()


def connection():
    """The app's Redis client, made once per app (connections are made when first used), with
    room for a connection in each of the process's threads (WEB_THREADS).

    Made under a lock: of two clients made at once by two threads, the one dropped would
    close, as it is collected, the connections the other's callers were using."""
    redis = current_app.extensions.get("redis")
    if redis is not None:  # every commit and poll asks: no lock once it is made
        return redis
    with _making:
        redis = current_app.extensions.get("redis")
        if redis is None:
            redis = Redis.from_url(
                current_app.config["REDIS_URL"],
                socket_connect_timeout=2,
                socket_timeout=5,
                # A held poll keeps a connection for its whole hold: redis-py's default of
                # 100 refused the polls held past it, while the threads could hold more.
                max_connections=max(100, current_app.config["WEB_THREADS"]),
            )
            current_app.extensions["redis"] = redis
    return redis


def queue(name=QUEUE_NAME):
    """Return a queue (the verifications' by default)."""
    return Queue(name, connection=connection())


def enqueue(job, verification_id, delay=0, on_failure=None):
    """Queue `job(verification_id)`, after `delay` seconds if given; its outcome lives in the
    database, not in RQ. `on_failure(job, ...)` runs if the job dies (RQ's failure callback)."""
    options = {
        "job_timeout": current_app.config["VERIFY_DEADLINE"],
        "result_ttl": 0,
        "failure_ttl": 24 * 3600,
        "on_failure": Callback(on_failure) if on_failure else None,
    }
    if delay:
        return queue().enqueue_in(timedelta(seconds=delay), job, verification_id, **options)
    return queue().enqueue(job, verification_id, **options)


def enqueue_retried(job, record_id):
    """Queue `job(record_id)`, retried by RQ after each pause in WEBHOOK_RETRY_INTERVALS."""
    intervals = list(current_app.config["WEBHOOK_RETRY_INTERVALS"])
    return queue(WEBHOOK_QUEUE_NAME).enqueue(
        job,
        record_id,
        retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        job_timeout=60,
        result_ttl=0,
        failure_ttl=24 * 3600,
    )
