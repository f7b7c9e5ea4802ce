"""Run the RQ worker that carries out verifications.

The parent builds the app and imports the Azure SDK once, so each forked job starts with them
already loaded (benchmarks/worker_preload.py measured 16 ms of overhead per job instead of
467 ms). It opens no database connection, credential or HTTP session before forking: each job
makes its own.
"""

import logging
import time
from dataclasses import replace

import requests
from azure.core.pipeline.transport import RequestsTransport
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Worker
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers, make_transient_to_detached

from portal import jobs, verifying  # jobs preloads the Azure SDK for every forked job
from portal.extensions import db
from portal.models import Verification
from portal.queue import QUEUES
from portal.verification import checks
from portal.verification.azure import AzureSession
from portal.verification.clouds import cloud_from
from wsgi import app


def work_horse_killed(job, *_):
    """A job's process died (killed, out of memory): end its verification now."""
    try:
        jobs.interrupted(job)
    finally:
        # The parent must hold no database connection when it forks the next job.
        db.session.remove()
        db.engine.dispose()


class PortalWorker(Worker):
    """RQ's worker, remembering that it was asked to stop: a stop request that meets a lost
    Redis must end the worker, not look like one more outage to ride out."""

    stopping = False

    def request_stop(self, signum, frame):
        self.stopping = True
        super().request_stop(signum, frame)


def prepare_to_fork():
    """Do once what every forked job would otherwise do before its first request to Azure:
    SQLAlchemy configures its mappers on first use, and compiles each statement the first
    time it runs (its cache is the engine's, which forks inherit). So a job's first reads and
    claim are run here, for a verification that does not exist, and the connection closed.
    """
    configure_mappers()
    with app.app_context():
        try:
            verifying.still_running("")
            nowhere = Verification(id="", account_id="")
            make_transient_to_detached(nowhere)
            db.session.add(nowhere)
            nowhere.account, nowhere.steps  # noqa: B018 (loads its account and steps)
            verifying.claim(nowhere)
        except SQLAlchemyError:
            # A database locked or away for now must not keep the worker from starting:
            # jobs then compile their statements themselves, a few milliseconds slower.
            logging.getLogger(__name__).warning("Warm-up skipped: database unavailable")
        finally:
            db.session.remove()
            db.engine.dispose()
        first_requests_unsent()


class Unsent(requests.adapters.BaseAdapter):
    """Ends a request where it would leave for the network."""

    def send(self, request, **kwargs):
        raise requests.ConnectionError("not sent: the worker is warming up")

    def close(self):
        pass


def first_requests_unsent():
    """Make a verification's first requests up to the wire, and send none. The SDK's first use
    in a process imports its transport, builds its pipelines and fills Python's ABC caches:
    about 9 ms that every forked job would otherwise spend before asking Azure."""
    unsent = requests.Session()
    unsent.mount("https://", Unsent())
    azure = AzureSession(
        cloud_from(app.config),
        replace(app.config["VERIFY_LIMITS"], retries=0),
        tenant_id="00000000-0000-0000-0000-000000000000",
        client_id="00000000-0000-0000-0000-000000000000",
        proof="unsent",  # sent nowhere
        request_id="warm-up",
        transport=RequestsTransport(session=unsent, session_owner=False),
    )
    logging.disable(logging.WARNING)  # its failed sign-in is no news
    try:
        checks.tenant_exists(azure)
        checks.app_signs_in(azure)
    finally:
        logging.disable(logging.NOTSET)
        azure.close()


def main():
    """Work until stopped, riding out Redis outages: RQ waits for Redis between jobs, but
    loses it at the end of a job with an error; a new worker then starts once Redis is back."""
    prepare_to_fork()
    pause = 1
    with app.app_context():
        connection = Redis.from_url(app.config["REDIS_URL"])
        while True:
            worker = None
            try:
                # The scheduler runs the delayed re-checks of a role that is still propagating.
                worker = PortalWorker(
                    QUEUES,
                    connection=connection,
                    work_horse_killed_handler=work_horse_killed,
                    # RQ starts again a scheduler that Redis's restart stopped only at its
                    # maintenance, which an idle worker reaches once per dequeue timeout
                    # (worker_ttl - 15 s): within a minute, not ten, a role's re-check runs.
                    worker_ttl=45,
                    maintenance_interval=30,
                )
                worker.work(with_scheduler=True)
                return
            except (RedisConnectionError, RedisTimeoutError) as error:
                if worker is not None and worker.stopping:
                    return
                logging.getLogger("worker").error("Redis lost (%s); again in %d s", error, pause)
                time.sleep(pause)
                pause = min(pause * 2, 30)


if __name__ == "__main__":
    main()
