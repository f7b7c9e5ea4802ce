"""A page waiting on a verification hears the moment it changes.

Every commit that changes a verification or one of its steps publishes the verification's id
on Redis (pub/sub: https://redis.io/docs/latest/develop/interact/pubsub/), wherever it was
made: the worker recording a step, the web concluding a stale check, "Stop waiting". A status
poll that has nothing new to show listens for it instead of being asked again a second later.

Pub/sub delivers only to who listens at that moment, so a poll listens first and reads the
database after: a change committed between its two reads is either in the second read or
heard. A message only wakes the poll; what it shows always comes from the database.
"""

import logging
import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event

from . import queue
from .extensions import db
from .models import StepResult, Verification

logger = logging.getLogger(__name__)
CHANNEL = "portal:verification:{}"
CHANGED = "changed_verifications"


def note(session, verification_id):
    """Count the verification as changed by `session`'s transaction, to announce on commit."""
    session.info.setdefault(CHANGED, set()).add(verification_id)


@event.listens_for(db.session, "after_flush")
def _note_flushed(session, _context):
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Verification):
            note(session, row.id)
        elif isinstance(row, StepResult):
            note(session, row.verification_id)


@event.listens_for(db.session, "after_commit")
def _announce(session):
    changed = session.info.pop(CHANGED, ())
    if not changed:
        return
    try:
        with queue.connection().pipeline(transaction=False) as pipeline:
            for verification_id in changed:
                pipeline.publish(CHANNEL.format(verification_id), "")
            pipeline.execute()
    except RedisError as error:
        # Not worth failing a commit for: a waiting poll then answers at its timeout.
        logger.warning("Could not announce changed verifications: %s", error)


@event.listens_for(db.session, "after_rollback")
def _forget(session):
    session.info.pop(CHANGED, None)


class Unheard(Exception):
    """This poll cannot listen now: Redis is unreachable, or polls hold their share of
    threads (POLL_HOLDS in all, POLL_HOLDS_PER_SESSION for one session)."""


# Set when the web worker is asked to stop (portal/web_server.py): held polls answer at once,
# and pages ask the next worker, instead of holding the stop up for its graceful timeout.
stopping = threading.Event()


class Holds:
    """How many polls this process holds, in all and for each session."""

    def __init__(self, most, most_each):
        self.most, self.most_each = most, most_each
        self.held = Counter()
        self.lock = threading.Lock()

    def take(self, holder):
        with self.lock:
            if self.held.total() >= self.most or self.held[holder] >= self.most_each:
                return False
            self.held[holder] += 1
            return True

    def give_back(self, holder):
        with self.lock:
            self.held[holder] -= 1
            if not self.held[holder]:
                del self.held[holder]


@contextmanager
def listening(verification_id, hold, holder, client=None):
    """Listen for changes to one verification for up to `hold` seconds, for `holder` (the
    session) whose request came on the `client` socket.

    Yields `next_change()`, which blocks until the next change is announced (True), or until
    the hold is over, the client hung up or the worker is stopping (False). Raises Unheard
    when it cannot listen: each held poll takes a web thread, and the process keeps some for
    pages and clicks, and one session cannot take them all.
    """
    holds = current_app.extensions.get("poll_holds") or current_app.extensions.setdefault(
        "poll_holds",
        Holds(current_app.config["POLL_HOLDS"], current_app.config["POLL_HOLDS_PER_SESSION"]),
    )
    if not holds.take(holder):
        raise Unheard("this process or this session holds all the polls it may")
    try:
        pubsub = queue.connection().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(CHANNEL.format(verification_id))
    except RedisError as error:
        holds.give_back(holder)
        raise Unheard(f"Redis is unreachable: {error}") from None
    deadline = time.monotonic() + hold

    def next_change():
        try:
            while (left := deadline - time.monotonic()) > 0 and not stopping.is_set():
                # None for the subscription's own confirmation, or when the second ran out.
                if pubsub.get_message(timeout=min(left, 1)) is not None:
                    return True
                if hung_up(client):
                    return False
        except RedisError as error:
            current_app.logger.warning("Lost Redis while a poll waited: %s", error)
        return False

    try:
        yield next_change
    finally:
        pubsub.close()
        holds.give_back(holder)


def hung_up(client):
    """Whether the client closed its connection (it reads as ended, not merely quiet): a
    page that went away, or a request sent and abandoned, holds nothing for long."""
    if client is None:  # not served by gunicorn (tests, the development server)
        return False
    try:
        return client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
