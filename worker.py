"""Run the RQ worker that carries out verifications.

The parent builds the app and imports the Azure SDK once, so each forked job starts with them
already loaded (benchmarks/worker_preload.py measured 16 ms of overhead per job instead of
467 ms). It opens no database connection, credential or HTTP session before forking: each job
makes its own.
"""

from redis import Redis
from rq import Worker

from portal import jobs  # preloads the Azure SDK for every forked job
from portal.extensions import db
from portal.queue import QUEUES
from wsgi import app


def work_horse_killed(job, *_):
    """A job's process died (killed, out of memory): end its verification now."""
    try:
        jobs.interrupted(job)
    finally:
        # The parent must hold no database connection when it forks the next job.
        db.session.remove()
        db.engine.dispose()


def main():
    with app.app_context():
        connection = Redis.from_url(app.config["REDIS_URL"])
        # The scheduler runs the delayed re-checks of a role that is still propagating.
        worker = Worker(QUEUES, connection=connection, work_horse_killed_handler=work_horse_killed)
        worker.work(with_scheduler=True)


if __name__ == "__main__":
    main()
