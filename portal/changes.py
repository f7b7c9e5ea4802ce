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
import threading
import time
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
    """This poll cannot listen now: Redis is unreachable, or the process holds POLL_HOLDS."""


@contextmanager
def listening(verification_id, hold):
    """Listen for changes to one verification for up to `hold` seconds.

    Yields `next_change()`, which blocks until the next change is announced (True) or the
    hold is over (False). Raises Unheard when it cannot listen: each held poll takes a web
    thread, and the process keeps some for pages and clicks.
    """
    slots = current_app.extensions.setdefault(
        "poll_holds", threading.BoundedSemaphore(current_app.config["POLL_HOLDS"])
    )
    if not slots.acquire(blocking=False):
        raise Unheard("every poll this process may hold is held")
    try:
        pubsub = queue.connection().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(CHANNEL.format(verification_id))
    except RedisError as error:
        slots.release()
        raise Unheard(f"Redis is unreachable: {error}") from None
    deadline = time.monotonic() + hold

    def next_change():
        try:
            while (left := deadline - time.monotonic()) > 0:
                # None for the subscription's own confirmation, or when `left` ran out.
                if pubsub.get_message(timeout=left) is not None:
                    return True
        except RedisError as error:
            current_app.logger.warning("Lost Redis while a poll waited: %s", error)
        return False

    try:
        yield next_change
    finally:
        pubsub.close()
        slots.release()
