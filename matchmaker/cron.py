"""Periodic jobs for production: `rq cron matchmaker.cron --url $MATCHMAKER_REDIS_URL`.

The mail sweep sends what is due (retries after backoff, rows whose wake-up was lost); the
snapshot saves the engine with the changes since the last saved state, so a new worker has little
to replay; the nightly refit relearns vocabulary and IDF and saves the state new workers start from; the notices
job runs alerts left waiting, the digests once their hour has come and issue freshness. All are idempotent,
so a second scheduler or a missed run does no harm. The embedded setup runs the sweep in its
worker thread instead (matchmaker/jobs.py).
"""

from __future__ import annotations

import os

from rq import cron

from matchmaker.jobs import (
    QUEUE_NAME,
    periodic_event_reminders,
    periodic_notices,
    periodic_refit,
    periodic_snapshot,
    periodic_sweep,
)

cron.register(periodic_sweep, QUEUE_NAME, interval=int(os.environ.get("MATCHMAKER_JOBS_SWEEP_SECONDS", "30")))
cron.register(periodic_snapshot, QUEUE_NAME, interval=300)
# Event reminders (the day before, from 09:00 JST): each registration's reminder is queued once.
cron.register(periodic_event_reminders, QUEUE_NAME, interval=300)
cron.register(periodic_refit, QUEUE_NAME, cron=os.environ.get("MATCHMAKER_REFIT_CRON", "30 3 * * *"),
              job_timeout=int(os.environ.get("MATCHMAKER_JOBS_TIMEOUT_SECONDS", "1800")))
# Alerts left waiting, digests once their hour has come (each period sent once), issue freshness.
cron.register(periodic_notices, QUEUE_NAME, interval=300)
