"""Scheduled re-verification: every account that has passed is verified again each period
(PORTAL_REVERIFY_EVERY, a day by default), so ColdSend hears of a removed role, an expired
secret or a disabled subscription before creating a domain fails.

Each account has a fixed offset in the period, taken from its id, so that 10,000 accounts
spread over the day instead of starting in the same minute; `rq cron` (portal/cron.py) starts
the due ones every minute, at most REVERIFY_PER_MINUTE of them.
"""

import hashlib
from datetime import datetime, timedelta

from .extensions import db
from .models import AzureAccount, utcnow

EPOCH = datetime(2000, 1, 1)


def offset(account_id, period):
    """Where in each period the account is checked: a timedelta from 0 up to `period`, the
    same every period and spread evenly over accounts."""
    digest = hashlib.sha256(account_id.encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8]) % int(period.total_seconds()))


def next_check(account_id, period, after):
    """The first time strictly after `after` (naive UTC) that falls on the account's offset."""
    start = EPOCH + offset(account_id, period)
    periods = (after - start) // period + 1
    return start + periods * period


def due(limit):
    """Accounts whose scheduled check is due, the longest overdue first, at most `limit`."""
    return db.session.scalars(
        db.select(AzureAccount)
        .where(AzureAccount.next_check_at <= utcnow())
        .order_by(AzureAccount.next_check_at)
        .limit(limit)
    ).all()


def plan(account, period):
    """Put the account's next check at its next place in the schedule."""
    account.next_check_at = next_check(account.id, period, utcnow())
