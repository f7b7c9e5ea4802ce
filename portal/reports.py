"""Where customers get stuck in the setup, for ColdSend's staff: the guide can then be improved
where it loses people.

Only verifications that customers started count (not the schedule's, not support's), over the
last `days` days: where each failed (its blocking step and code, the same rule as the page),
per day or per week; how long customers took from their account's first attempt to its first
pass; and, for a failure followed by a pass, what the customer changed in between, read from
the audit log ("nothing" when the fix was in Azure: a role, a provider).
"""

import statistics
from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy.orm import selectinload

from . import audit
from .extensions import db
from .models import AuditEntry, Verification, utcnow
from .verification.steps import VerificationState

BUCKETS = ("day", "week")


def stuck(days=90, bucket="day", now=None):
    """The report as JSON-ready data (see openapi.json, StuckReport)."""
    since = (now or utcnow()) - timedelta(days=days)
    verifications = db.session.scalars(
        db.select(Verification)
        .where(
            Verification.started_by == "customer",
            Verification.running.is_(None),
            Verification.created_at >= since,
        )
        .order_by(Verification.account_id, Verification.created_at)
        .options(selectinload(Verification.steps))
    ).all()
    by_account = defaultdict(list)
    for verification in verifications:
        by_account[verification.account_id].append(verification)
    failures = [v for v in verifications if not passed(v)]
    # Accounts still on their first check (a role awaited for half an hour) tried too.
    trying = db.session.scalars(
        db.select(Verification.account_id).where(
            Verification.started_by == "customer",
            Verification.running.is_(True),
            Verification.created_at >= since,
        )
    ).all()
    for account_id in trying:
        by_account.setdefault(account_id, [])
    registered = registrations(since, verifications)
    return {
        "since": since.isoformat(timespec="seconds") + "Z",
        "bucket": bucket,
        "verifications": len(verifications),
        "failures": where_they_failed(failures, registered),
        "over_time": over_time(failures, bucket),
        "time_to_first_pass": time_to_first_pass(by_account),
        "fixes_that_passed": fixes_that_passed(by_account, registered),
    }


def registrations(since, verifications):
    """The failures at step 6 that "Register it for me" fixed in the same verification: its
    failure is overwritten, so the audit log tells it. A list of (code, whether it passed)."""
    entries = db.session.scalars(
        db.select(AuditEntry).where(
            AuditEntry.action == "registered-provider", AuditEntry.at >= since
        )
    ).all()
    found = []
    for entry in entries:
        reopened = next(
            (
                v
                for v in verifications
                if v.account_id == entry.account_id and v.created_at <= entry.at <= v.finished_at
            ),
            None,
        )
        found.append(
            (entry.reason.removeprefix("after "), reopened is not None and passed(reopened))
        )
    return found


def passed(verification):
    return verification.state is VerificationState.PASSED


def where_they_failed(failures, registered):
    counted = Counter(failure_key(v) for v in failures)
    counted.update(("communication-provider", code) for code, _ in registered)
    return [
        {"step": step, "code": code, "verifications": count}
        for (step, code), count in counted.most_common()
    ]


def failure_key(verification):
    blocking = verification.blocking_step
    return (blocking.step.value, blocking.code) if blocking else ("unknown", None)


def over_time(failures, bucket):
    counted = Counter((start_of(v.created_at, bucket), failure_key(v)[0]) for v in failures)
    return [
        {"period": period.isoformat(), "step": step, "verifications": count}
        for (period, step), count in sorted(counted.items())
    ]


def start_of(moment, bucket):
    day = moment.date()
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


def time_to_first_pass(by_account):
    """Minutes from an account's first attempt to its first pass, over accounts that passed;
    and how many tried and have not passed yet, those still on their first check included."""
    minutes = []
    for attempts in by_account.values():
        first = next((v for v in attempts if passed(v)), None)
        if first is not None:
            minutes.append((first.finished_at - attempts[0].created_at).total_seconds() / 60)
    quartiles = statistics.quantiles(minutes, n=4) if len(minutes) > 1 else minutes * 3
    return {
        "accounts_passed": len(minutes),
        "accounts_not_passed_yet": len(by_account) - len(minutes),
        "median_minutes": round(statistics.median(minutes), 1) if minutes else None,
        "p75_minutes": round(quartiles[2], 1) if minutes else None,
    }


def fixes_that_passed(by_account, registered):
    """For each failure (step, code) followed by a pass of the same account: what changed in
    between, by the audit log, and how often; and the passes that "Register it for me" made."""
    counted = Counter(
        ("communication-provider", code, "Register it for me")
        for code, then_passed in registered
        if then_passed
    )
    for account_id, attempts in by_account.items():
        for failed, following in zip(attempts, attempts[1:], strict=False):
            if passed(failed):
                continue
            if passed(following):
                counted[(*failure_key(failed), changed_between(account_id, failed, following))] += 1
    return [
        {"step": step, "code": code, "fix": fix, "passes": count}
        for (step, code, fix), count in counted.most_common()
    ]


# What a replaced credential is called in the report.
REPLACED = {"secret-replaced": "client secret", "certificate-replaced": "certificate"}


def changed_between(account_id, failed, following):
    """What the customer changed between two verifications: "Client ID", "client secret",
    "Tenant ID, Subscription ID", or "nothing" (the fix was in Azure)."""
    entries = db.session.scalars(
        db.select(AuditEntry).where(
            AuditEntry.account_id == account_id,
            AuditEntry.action.in_(("changed", *REPLACED)),
            AuditEntry.at >= failed.created_at,
            AuditEntry.at <= following.created_at,
        )
    ).all()
    values = set().union(*(audit.changed_values(e) for e in entries if e.action == "changed"))
    replaced = {REPLACED[e.action] for e in entries if e.action in REPLACED}
    changed = sorted((values - {"Account Name"}) | replaced)  # a new name fixes nothing
    return ", ".join(changed) or "nothing"
