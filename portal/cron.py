"""What runs on a clock, for `rq cron portal.cron` (started by scripts/run beside the worker)."""

from rq import cron

from .jobs import reverify_due, sweep
from .queue import QUEUE_NAME

# Every minute: end verifications whose job vanished, so the back end hears about them even if
# no one looks at the page, and queue webhooks that could not be queued when Redis was down.
cron.register(sweep, QUEUE_NAME, interval=60, job_timeout=60, result_ttl=0)
# Every minute: start the scheduled re-verifications that are due (portal/schedule.py).
cron.register(reverify_due, QUEUE_NAME, interval=60, job_timeout=60, result_ttl=0)
