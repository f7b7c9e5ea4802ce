"""Engine settings that depend on the database behind DATABASE_URL."""

import os

from sqlalchemy import event


def configure(engine, busy_timeout=5.0):
    """Make SQLite fit for a web server and a worker writing at once, and enforce foreign keys;
    bound PostgreSQL's lock waits alike.

    A writer waits up to `busy_timeout` seconds for another's lock, then gets an
    OperationalError, which the pages answer with a 503 that keeps what was typed."""
    if engine.dialect.name == "postgresql":
        # The same bound on lock waits as SQLite's busy timeout: a row or table held by another
        # transaction (an idle one included) is a 503 after it, never a page left hanging.
        @event.listens_for(engine, "connect")
        def bound_lock_waits(connection, _record):
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
            connection.commit()

        return
    if engine.dialect.name != "sqlite":
        return
    if engine.url.database and engine.url.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(engine.url.database)), exist_ok=True)

    @event.listens_for(engine, "connect")
    def on_connect(connection, _record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
