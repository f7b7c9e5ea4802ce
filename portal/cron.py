"""What runs on a clock, for `rq cron portal.cron` (started by scripts/run beside the worker)."""

from rq import cron

from .jobs import forget_unused_certificates, remind_of_expiring_secrets, reverify_due, sweep
from .queue import QUEUE_NAME

# Every minute: end verifications whose job vanished, so the back end hears about them even if
# no one looks at the page, and queue webhooks that could not be queued when Redis was down.
cron.register(sweep, QUEUE_NAME, interval=60, job_timeout=60, result_ttl=0)
# Every minute: start the scheduled re-verifications that are due (portal/schedule.py).
cron.register(reverify_due, QUEUE_NAME, interval=60, job_timeout=60, result_ttl=0)
# Every hour: remind ColdSend of client secrets about to expire (portal/secret_expiry.py).
cron.register(remind_of_expiring_secrets, QUEUE_NAME, interval=3600, job_timeout=300, result_ttl=0)
# Every hour: delete certificates made on a form and never used (portal/pending_certificates.py).
cron.register(forget_unused_certificates, QUEUE_NAME, interval=3600, job_timeout=60, result_ttl=0)
