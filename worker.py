"""Run the RQ worker that carries out verifications.

The app is built once here, in the parent, so that every forked job starts with its modules
already imported; no database connection is opened before the fork.
"""

from redis import Redis
from rq import Worker

from portal.queue import QUEUE_NAME
from wsgi import app


def main():
    with app.app_context():
        connection = Redis.from_url(app.config["REDIS_URL"])
        Worker([QUEUE_NAME], connection=connection).work()


if __name__ == "__main__":
    main()
