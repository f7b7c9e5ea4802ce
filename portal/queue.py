"""The RQ queue that verification jobs go through."""

QUEUE_NAME = "verifications"
