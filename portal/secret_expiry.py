"""A client secret's expiry: where it stands, the reminders it is owed, and a calendar file.

Microsoft Entra ID lets a client secret live up to 24 months (the guide's advice) and says
nothing when it lapses: from then on every sign-in fails with AADSTS7000222. So the portal
tells ColdSend 60, 30, 15 and 1 days before, and once it has expired (Datadog reminds its
Azure integration's users at the same marks), and offers the customer the calendar reminder
the guide asks them to set by hand.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from .extensions import db
from .models import CREDENTIAL_NAMES, AzureAccount, utcnow
from .verification.catalogue import CATALOGUE, RENEWAL

# Days before expiry that a reminder is sent; 0 once it has expired.
REMINDERS = (60, 30, 15, 1, 0)


@dataclass(frozen=True)
class SecretStatus:
    """`status`: "unknown" (no date given), "ok", "expiring" (60 days or fewer left, the day
    itself included) or "expired"; `days_left` is negative once expired, None if unknown."""

    status: str
    days_left: int | None


def status_of(expires_on, today):
    if expires_on is None:
        return SecretStatus("unknown", None)
    days_left = (expires_on - today).days
    if days_left < 0:
        return SecretStatus("expired", days_left)
    return SecretStatus("expiring" if days_left <= REMINDERS[0] else "ok", days_left)


def secret_status(account):
    """Where the account's client secret stands today, UTC (a SecretStatus)."""
    return status_of(account.secret_expires_on, utcnow().date())


def reminder_owed(account, today):
    """The reminder due now (days before expiry, as in REMINDERS), or None: only the latest
    mark passed is owed, once, so a date entered 10 days ahead gets the 15-day one alone."""
    days_left = status_of(account.secret_expires_on, today).days_left
    if days_left is None or days_left > REMINDERS[0]:
        return None
    # The day itself is the 1-day mark's: the secret still works until its hour.
    owed = 0 if days_left < 0 else min(mark for mark in REMINDERS[:-1] if days_left <= mark)
    sent = account.secret_reminded_at_days
    return owed if sent is None or owed < sent else None


def reminded(account, owed):
    """Record that the `owed` reminder is sent, only if no one recorded it first: of two runs at
    once, exactly one sends it. Tell whether this one did."""
    sent = AzureAccount.secret_reminded_at_days
    recorded = db.session.execute(
        db.update(AzureAccount)
        .where(AzureAccount.id == account.id, db.or_(sent.is_(None), sent > owed))
        .values(secret_reminded_at_days=owed)
        .execution_options(synchronize_session=False)
    )
    return recorded.rowcount == 1


def accounts_to_remind(today):
    """Accounts whose secret expires within the first reminder's reach and still owes one."""
    sent = AzureAccount.secret_reminded_at_days
    return db.session.scalars(
        db.select(AzureAccount).where(
            AzureAccount.secret_expires_on <= today + timedelta(days=REMINDERS[0]),
            db.or_(sent.is_(None), sent > 0),
        )
    ).all()


def alarm_days(expires_on, today):
    """How many days before the expiry the calendar's alarm rings: 30, or fewer when fewer are
    left (7, then 1), so that it never rings in the past."""
    left = (expires_on - today).days
    return next(days for days in (30, 7, 1) if days < left or days == 1)


def calendar(account, app_url=None):
    """An iCalendar file (bytes): the day the secret expires, with an alarm 30 days before it
    (fewer when fewer are left: `alarm_days`). It links to the ColdSend app (`app_url`, when
    known), where the portal lives: opened alone, the portal has no session to show."""
    expires_on, kind = account.secret_expires_on, account.credential_type
    what = CREDENTIAL_NAMES[kind]
    event = Event()
    event.add("uid", f"{account.id}-client-{kind}-{expires_on.isoformat()}@azure-connect")
    event.add("dtstamp", datetime.now().astimezone())
    event.add("dtstart", expires_on)
    event.add("dtend", expires_on + timedelta(days=1))
    # A reminder, not an appointment: the day stays free in the customer's calendar.
    event.add("transp", "TRANSPARENT")
    event.add("summary", f"Azure {what} for {account.name} expires")
    renew = CATALOGUE[RENEWAL[kind][0]].fix  # the expired one's fix: how to replace it
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(renew, 1))
    event.add(
        "description",
        f"Replace it before then, or ColdSend can no longer reach your subscription:\n{steps}\n"
        f"{'Then delete the old secret in Azure. ' if kind == 'secret' else ''}"
        f"The account is “{account.name}” under Azure accounts in ColdSend"
        f"{f': {app_url}' if app_url else ''}.",
    )
    if app_url:
        event.add("url", app_url)
    ahead = alarm_days(expires_on, utcnow().date())
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -timedelta(days=ahead))
    days = f"{ahead} day{'s' if ahead != 1 else ''}"
    alarm.add("description", f"The Azure {what} for {account.name} expires in {days}")
    event.add_component(alarm)
    found = Calendar()
    found.add("prodid", "-//ColdSend//Azure Connect//EN")
    found.add("version", "2.0")
    found.add_component(event)
    return found.to_ical()
